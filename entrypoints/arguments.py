"""Turning command-line words into domain values; a bad one is a command-line error (exit 2)."""

from __future__ import annotations

from collections.abc import Iterable

from code_mesh.domain.errors import CommandLineError, InvalidIdentifier
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.rules import PROVIDER_ALIASES
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


def provider_argument(text: str) -> ProviderId:
    if text in PROVIDER_ALIASES:
        note_aliases([text])
        text = PROVIDER_ALIASES[text]
    try:
        return ProviderId(text)
    except InvalidIdentifier as error:
        raise CommandLineError(str(error), "Run `code-mesh auth list` to see provider ids") from None


def account_argument(text: str) -> AccountName:
    try:
        return AccountName(text)
    except InvalidIdentifier as error:
        raise CommandLineError(str(error), "Run `code-mesh auth list` to see account names") from None


def optional_account(text: str | None) -> AccountName | None:
    return None if text is None else account_argument(text)
