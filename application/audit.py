"""Use case: the audit log (SPEC section 13): reads recorded where asked, and the log read back.

Changes record their own rows inside their transactions (login, logout, …); what is here
is for what changes nothing: a credential handed to a script or a provider (`read`)."""

from __future__ import annotations

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.audit import Action, AuditEntry, AuditQuery, AuditRow
from code_mesh.domain.errors import StoreUnavailable


def reads_audited(configured: bool | None, store: CredentialStore) -> bool:
    """`[audit] reads` when set; else on for a team store and off on SQLite (so that `auth
    token` stays a read-only fast path there)."""
    return store.team if configured is None else configured


def record_read(store: CredentialStore, provider: str, account: str) -> str | None:
    """One `read` row for a credential handed out; a warning to show when it cannot be written
    (a read-only home): the read itself still succeeds."""
    try:
        store.append_audit([AuditEntry(Action.READ, provider, account)])
    except StoreUnavailable as error:
        return f"the read of {provider}:{account} was not recorded in the audit log: {error.message}"
    return None


def audit_log(store: CredentialStore, query: AuditQuery) -> list[AuditRow]:
    """The rows `query` asks for, newest first."""
    with store.reading() as repository:
        return repository.audit(query)
