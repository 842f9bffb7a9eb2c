"""`code-mesh auth status [PROVIDER] [--json] [--online]`: what `gh auth status` answers (SPEC section 12).

Without --online it sends nothing and refreshes nothing: the store's summaries (no key
needed), the environment and the project file say it all. The rules are in
application/credential_choice.py and credential_status.py, the look in render_status.py.
"""

from __future__ import annotations

import json as json_module
from dataclasses import replace
from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.credential_choice import choose_credential
from code_mesh.application.credential_status import (
    SKIPPED,
    ProviderStatus,
    all_ok,
    provider_status,
    providers_to_show,
    status_document,
)
from code_mesh.application.online_check import NO_CHECK, SUBSCRIPTION_SKIPPED, ModelList, check_online
from code_mesh.application.ports import CredentialStore
from code_mesh.application.provider_registry import stored_api_url
from code_mesh.application.token import find_credential, header_ready, token_from_environment, token_of
from code_mesh.domain.credentials import Status, StoredCredential
from code_mesh.domain.errors import CodeMeshError, NotLoggedIn, RefreshRefused
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.providers import ProviderEntry
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, provider_argument
from code_mesh.entrypoints.output import paint, say
from code_mesh.entrypoints.project import project_accounts
from code_mesh.entrypoints.render_status import status_lines


def status(
    provider: Annotated[
        str | None,
        Parameter(help="Only this provider (default: every one in use).", completer=complete_provider),
    ] = None,
    /,
    *,
    json: Annotated[
        bool, Parameter(negative=(), help="Print one JSON object for scripts and status bars.")
    ] = False,
    online: Annotated[
        bool, Parameter(negative=(), help="Verify each credential with one request that changes nothing.")
    ] = False,
) -> int:
    """Show the credential each provider would use here, its source, type, status and expiry."""
    config = bootstrap.settings()
    environ = bootstrap.environment()
    named = None if provider is None else provider_argument(provider)
    project = project_accounts()
    store = bootstrap.open_store()
    with store.reading() as repository:
        summaries = repository.summaries()
    now = bootstrap.clock().now()
    if named is not None:
        providers = [str(named)]
    else:
        known = [str(p) for p in config.known_providers()]
        with_variable = [p for p in known if config.provider(ProviderId(p)).variable_set(environ)]
        providers = providers_to_show(known, summaries, with_variable, project)
    blocks: list[ProviderStatus] = []
    model_list = _model_list() if online else None
    for provider_id in providers:
        entry = config.provider(ProviderId(provider_id))
        choice = choose_credential(provider_id, None, entry.env, environ, project, summaries)
        block = provider_status(entry.name, choice, now)
        if model_list is not None:
            block = _verified(block, entry, store, model_list)
        blocks.append(block)
    ok = all_ok(blocks)
    if json:
        say(json_module.dumps(status_document(blocks), indent=2))
        return 0 if ok else 1
    if not blocks:
        raise NotLoggedIn(
            "Not logged in to any provider, and no provider's variable is set",
            "Run `code-mesh auth login` (or `code-mesh auth login PROVIDER`)",
        )
    locked = any(block.status is Status.LOCKED for block in blocks)
    advice = bootstrap.way_out_of_locked().rstrip(".") if locked else None
    for line in status_lines(blocks, now, paint=paint, locked_advice=advice):
        say(line)
    return 0 if ok else 1


def _model_list() -> ModelList:
    from code_mesh.adapters.providers.model_list_http import HttpModelList

    return HttpModelList(timeout=bootstrap.oauth_timeout())


def _verified(
    block: ProviderStatus, entry: ProviderEntry, store: CredentialStore, model_list: ModelList
) -> ProviderStatus:
    """SPEC section 12's --online: one request per usable credential, after a refresh if due."""
    if not block.usable:
        return block.with_online(SKIPPED, detail="nothing usable to check")
    choice = block.choice
    try:
        if choice.variable is not None:
            token = token_from_environment(entry, None, bootstrap.environment())
            assert token is not None
            stored: StoredCredential | None = None
        else:
            assert choice.account is not None
            stored = find_credential(store, entry.id, AccountName(choice.account))
            if entry.holds_subscription_token(stored.type):
                return block.with_online(SKIPPED, detail=SUBSCRIPTION_SKIPPED)
            if entry.models_url is None:
                return block.with_online(SKIPPED, detail=NO_CHECK)

            def refresh(due: StoredCredential) -> StoredCredential:
                return bootstrap.refresh(due.provider, due.account)

            token = token_of(stored, bootstrap.clock().now(), refresh)
            api_url, _ = stored_api_url(entry, stored)
            token = replace(token, api_url=api_url)
        outcome = check_online(entry, header_ready(token, stored), model_list)
    except RefreshRefused as refused:
        return block.with_online(f"refused: {refused.message}", refused=True).replace(
            status=Status.NEEDS_LOGIN
        )
    except CodeMeshError as error:
        return block.with_online(f"failed: {error.message}", failed=True)
    if outcome.outcome == SKIPPED:
        return block.with_online(SKIPPED, detail=outcome.detail)
    return block.with_online(outcome.outcome, refused=outcome.refused, failed=outcome.failed)
