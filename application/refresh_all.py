"""Use case: `auth refresh --all`, a writer's cron job: every OAuth credential due within the hour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.credentials import CredentialSummary, StoredCredential
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.identifiers import AccountName, ProviderId

WITHIN_SECONDS = 3600


@dataclass(frozen=True)
class Refreshed:
    provider: ProviderId
    account: AccountName
    stored: StoredCredential | None = None
    error: CodeMeshError | None = None


def due_within(store: CredentialStore, now: float, within: float = WITHIN_SECONDS) -> list[CredentialSummary]:
    """OAuth credentials that can be refreshed and expire before `now + within` (not needs-login,
    not locked: those need a person)."""
    with store.reading() as repository:
        summaries = repository.summaries()
    return [
        s
        for s in summaries
        if s.can_refresh
        and not s.needs_login
        and not s.locked
        and s.expires_at is not None
        and s.expires_at < now + within
    ]


def refresh_all(
    store: CredentialStore,
    refresh: Callable[[ProviderId, AccountName], StoredCredential],
    now: float,
) -> list[Refreshed]:
    """Refresh each due credential (single-flight, like any refresh); one failure does not stop
    the others."""
    results = []
    for summary in due_within(store, now):
        try:
            results.append(
                Refreshed(summary.provider, summary.account, refresh(summary.provider, summary.account))
            )
        except CodeMeshError as error:
            results.append(Refreshed(summary.provider, summary.account, error=error))
    return results
