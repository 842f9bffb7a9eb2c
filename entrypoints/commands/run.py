"""`code-mesh run MESSAGE`: send a message with the stored credential and stream the reply."""

from __future__ import annotations

import json as json_module
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.debug_log import logger
from code_mesh.application.audit import record_read
from code_mesh.application.provider_registry import (
    chat_target,
    default_provider,
    stored_api_url,
    subscription_token_refused,
)
from code_mesh.application.run_message import ChatRequest, run_message
from code_mesh.application.token import (
    UsableToken,
    find_credential,
    header_ready,
    login_command,
    token_from_environment,
    token_of,
)
from code_mesh.domain.credentials import StoredCredential
from code_mesh.domain.errors import CommandLineError, InvalidInput
from code_mesh.domain.identifiers import AccountName
from code_mesh.domain.providers import ProviderEntry
from code_mesh.domain.text import for_terminal
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, optional_account, provider_argument
from code_mesh.entrypoints.output import say, warn
from code_mesh.entrypoints.project import project_accounts


def _resolve(
    entry: ProviderEntry, account: AccountName | None
) -> tuple[UsableToken, StoredCredential | None]:
    """SPEC section 7: --account, else the environment variable, else the active stored account
    (refreshed first when due). The stored credential is returned for a refresh after a 401.

    A claude-max subscription token is refused before anything is sent, a refresh included."""
    project = project_accounts()  # a malformed one is an error even when a variable answers
    from_env = token_from_environment(entry, account, bootstrap.environment())
    if from_env is not None:
        logger("run").debug("credential for %s from %s", entry.id, from_env.source)
        return from_env, None
    current = find_credential(bootstrap.open_store(), entry.id, account, project)
    if entry.holds_subscription_token(current.type):
        raise subscription_token_refused(entry, current.account)

    def refresh(stored: StoredCredential) -> StoredCredential:
        nonlocal current
        current = bootstrap.refresh(stored.provider, stored.account)
        return current

    token = token_of(current, bootstrap.clock().now(), refresh)
    if bootstrap.reads_audited():
        problem = record_read(bootstrap.open_store(), current.provider, current.account)
        if problem:
            warn(problem)
    logger("run").debug(
        "credential for %s from the store: %s:%s (%s)", entry.id, entry.id, current.account, token.type
    )
    return _aimed(entry, token, current), current


def _aimed(entry: ProviderEntry, token: UsableToken, stored: StoredCredential) -> UsableToken:
    """The token with the API host its credential names, when the entry allows that host."""
    api_url, refused = stored_api_url(entry, stored)
    if refused is not None:
        warn(
            f"ignoring the api_url stored with {entry.id} ({stored.account}): its host is not one "
            f"{entry.id} allows over https (allowed_hosts in config.toml can add it)"
        )
    return replace(token, api_url=api_url)


def _reply_writer() -> Callable[[str], None]:
    """How reply text reaches stdout: at a terminal with control characters escaped (a reply
    is text from outside and could steer the terminal), newlines and tabs kept; to a pipe or a
    file exactly as it came, but for what UTF-8 cannot encode (a lone surrogate, as an escape)."""
    if sys.stdout.isatty():

        def to_terminal(piece: str) -> None:
            sys.stdout.write(for_terminal(piece, keep_newlines=True))
            sys.stdout.flush()

        return to_terminal
    out = sys.stdout.buffer

    def to_pipe(piece: str) -> None:
        out.write(piece.encode("utf-8", errors="backslashreplace"))
        out.flush()

    sys.stdout.flush()
    return to_pipe


def run(
    message: Annotated[
        str, Parameter(allow_leading_hyphen=True, help="The message, or - to read it from stdin.")
    ],
    /,
    *,
    provider: Annotated[
        str | None,
        Parameter(
            help="Provider id (default: config.toml, else the first logged in).", completer=complete_provider
        ),
    ] = None,
    account: Annotated[str | None, Parameter(help="A stored account instead of the active one.")] = None,
    model: Annotated[str | None, Parameter(help="Model name (default: the provider's default).")] = None,
    system: Annotated[str | None, Parameter(help="A system prompt.")] = None,
    max_tokens: Annotated[int, Parameter(help="Upper bound on the reply's length, in tokens.")] = 1024,
    json: Annotated[
        bool, Parameter(negative=(), help="Print one JSON object at the end instead of streaming.")
    ] = False,
) -> int:
    """Send MESSAGE to a provider and stream the reply as it arrives."""
    text = sys.stdin.read() if message == "-" else message
    if not text.strip():
        raise InvalidInput("The message is empty", "Pass a message, or pipe one in with `run -`")
    if max_tokens < 1:
        raise CommandLineError("--max-tokens must be at least 1")
    account_name = optional_account(account)
    config = bootstrap.settings()
    if provider is not None:
        provider_id = provider_argument(provider)
    else:
        with bootstrap.open_store().reading() as repository:
            stored = repository.summaries()
        provider_id = default_provider(config, bootstrap.environment(), stored, bootstrap.clock().now())
    entry = config.provider(provider_id)
    target = chat_target(entry, config.source)
    token, stored_credential = _resolve(entry, account_name)
    token = header_ready(token, stored_credential)

    def refresh_after_401() -> UsableToken:
        assert stored_credential is not None
        renewed = bootstrap.refresh(stored_credential.provider, stored_credential.account, force=True)
        secret = renewed.credential.usable_secret()
        assert secret is not None
        return header_ready(_aimed(entry, UsableToken(secret, "store", renewed.type), renewed), renewed)

    shown: list[str] = []
    write = _reply_writer()

    def show(piece: str) -> None:
        if not json:
            shown.append(piece)
            write(piece)

    login_hint = (
        login_command(stored_credential) if stored_credential else f"code-mesh auth login {provider_id}"
    )
    try:
        reply = run_message(
            bootstrap.chat_client(),
            target,
            ChatRequest(model or target.default_model, text, system, max_tokens),
            token,
            refresh=refresh_after_401 if stored_credential is not None else None,
            show=show,
            sleep=time.sleep,
            login_hint=login_hint,
        )
    finally:
        if shown:  # the reply ends with a newline, even one cut short
            sys.stdout.write("\n")
            sys.stdout.flush()
    if json:
        say(json_module.dumps(reply.as_json()))
    return 0
