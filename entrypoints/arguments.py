"""Turning command-line words into domain values; a bad one is a command-line error (exit 2)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from code_mesh.application.login_with_api_key import key_pipe_command
from code_mesh.domain.errors import CodeMeshError, CommandLineError, InvalidIdentifier
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.rules import PROVIDER_ALIASES, is_valid_identifier
from code_mesh.domain.text_rules import looks_like_secret
from code_mesh.domain.wording import with_suggestion
from code_mesh.entrypoints.output import notice

_noted: set[str] = set()


def note_aliases(names: Iterable[str | None]) -> None:
    """Say once per command, on stderr, what another tool's provider id means here (SPEC section 2)."""
    for name in names:
        if name is not None and name not in _noted:
            _noted.add(name)
            notice(
                f"code-mesh: note: {name} means {PROVIDER_ALIASES[name]} here "
                "(the id the Code Mesh CLI uses for it)"
            )


def secret_argument_error(provider: str | None = None) -> CommandLineError:
    """What is said, whatever the command, when an argument looks like a key or a token: it is
    not shown (it may already be in the shell's history), and how a key is given instead."""
    pipe = key_pipe_command(provider or "PROVIDER")
    return CommandLineError(
        "An argument looks like a key or a token, and code-mesh never takes a secret as an argument "
        "(it is not shown here; nothing was stored)",
        f"Pass a key on standard input instead: {pipe}",
    )


def known_provider_ids() -> list[str]:
    """The ids worth suggesting or completing: the catalog's and config.toml's own."""
    from code_mesh.domain.providers import MAIN_PROVIDERS
    from code_mesh.entrypoints import bootstrap

    ids = list(MAIN_PROVIDERS)
    with contextlib.suppress(CodeMeshError):  # a broken config.toml is said where it matters
        ids = [str(p) for p in bootstrap.settings().known_providers()]
    return ids


def provider_argument(text: str) -> ProviderId:
    if looks_like_secret(text):
        raise secret_argument_error()
    if text in PROVIDER_ALIASES:
        note_aliases([text])
        text = PROVIDER_ALIASES[text]
    try:
        return ProviderId(text)
    except InvalidIdentifier as error:
        listing = "Run `code-mesh auth list` to see provider ids"
        raise CommandLineError(str(error), with_suggestion(text, known_provider_ids(), listing)) from None


def account_argument(text: str) -> AccountName:
    if looks_like_secret(text):
        raise secret_argument_error()
    try:
        return AccountName(text)
    except InvalidIdentifier as error:
        lowered = text.lower()
        candidates = [lowered] if is_valid_identifier(lowered) else []
        raise CommandLineError(
            str(error), with_suggestion(text, candidates, "Run `code-mesh auth list` to see account names")
        ) from None


def provider_spec(text: str) -> tuple[ProviderId, AccountName | None]:
    """`PROVIDER` or `PROVIDER:ACCOUNT` (exec's --provider, `[exec] providers`)."""
    provider, colon, account = text.partition(":")
    if colon and not account:
        raise CommandLineError(
            f"{text!r} names no account after the colon", "Use PROVIDER or PROVIDER:ACCOUNT"
        )
    return provider_argument(provider), account_argument(account) if colon else None


def optional_account(text: str | None) -> AccountName | None:
    return None if text is None else account_argument(text)


def complete_provider(_context: object) -> list[str]:
    """Provider ids for shell completion (cyclopts calls this at TAB time)."""
    return known_provider_ids()
