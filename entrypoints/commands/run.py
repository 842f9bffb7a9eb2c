"""`code-mesh run MESSAGE`: send a message with the stored credential and stream the reply."""

from __future__ import annotations

import json as json_module
import sys
import time
from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.debug_log import logger
from code_mesh.application.provider_registry import chat_target, default_provider
from code_mesh.application.run_message import ChatRequest, run_message
from code_mesh.application.token import (
    UsableToken,
    find_credential,
    login_command,
    token_from_environment,
    token_of,
)
from code_mesh.domain.credentials import StoredCredential
from code_mesh.domain.errors import CommandLineError, InvalidInput
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import optional_account, provider_argument
from code_mesh.entrypoints.output import say


def _resolve(
    provider: ProviderId, account: AccountName | None
) -> tuple[UsableToken, StoredCredential | None]:
    """SPEC section 7: --account, else the environment variable, else the active stored account
    (refreshed first when due). The stored credential is returned for a refresh after a 401."""
    from_env = token_from_environment(provider, account, bootstrap.environment())
    if from_env is not None:
        logger("run").debug("credential for %s from %s", provider, from_env.source)
        return from_env, None
    current = find_credential(bootstrap.open_store(), provider, account)

    def refresh(stored: StoredCredential) -> StoredCredential:
        nonlocal current
        current = bootstrap.refresh(stored.provider, stored.account)
        return current

    token = token_of(current, bootstrap.clock().now(), refresh)
    logger("run").debug(
        "credential for %s from the store: %s:%s (%s)", provider, provider, current.account, token.type
    )
    return token, current


def run(
    message: Annotated[
        str, Parameter(allow_leading_hyphen=True, help="The message, or - to read it from stdin.")
    ],
    /,
    *,
    provider: Annotated[
        str | None, Parameter(help="Provider id (default: config.toml, else the first logged in).")
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
    target = chat_target(provider_id, config)
    token, stored_credential = _resolve(provider_id, account_name)

    def refresh_after_401() -> UsableToken:
        assert stored_credential is not None
        renewed = bootstrap.refresh(stored_credential.provider, stored_credential.account, force=True)
        secret = renewed.credential.usable_secret()
        assert secret is not None
        return UsableToken(secret, "store", renewed.type)

    shown: list[str] = []

    def show(piece: str) -> None:
        if not json:
            shown.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()

    from code_mesh.adapters.providers.chat_http import HttpChatClient

    login_hint = (
        login_command(stored_credential) if stored_credential else f"code-mesh auth login {provider_id}"
    )
    try:
        reply = run_message(
            HttpChatClient(),
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
