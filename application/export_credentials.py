"""Use case: the store as an auth.json document."""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.application.auth_file import AuthFileCodec, EncodedAuthFile
from code_mesh.application.ports import CredentialStore, Unreadable
from code_mesh.domain.audit import Action, AuditEntry
from code_mesh.domain.errors import CodeMeshError, StoreUnavailable


@dataclass(frozen=True)
class Export:
    encoded: EncodedAuthFile
    unreadable: tuple[Unreadable, ...] = ()
    """Stored credentials whose secrets did not open: left out, and named by the caller."""
    unaudited: StoreUnavailable | None = None
    """Why the export's audit row could not be written (a read-only home): a warning, no failure."""


def export_credentials(store: CredentialStore, codec: AuthFileCodec) -> Export:
    """Every credential that opens; one that does not (locked, damaged) is left out rather than
    blocking the others. When none opens but some are stored, that is the failure."""
    with store.reading() as repository:
        readable, unreadable = repository.all_readable()
    if unreadable and not readable:
        raise unreadable[0].reason
    if any(stored.refresh_withheld for stored in readable):
        raise CodeMeshError(
            "This database role may only read the team store and does not see its refresh tokens, so an "
            "export would lose them; nothing was written",
            "Export as a member with write access",
        )
    encoded = codec.encode(readable)
    try:
        store.append_audit([AuditEntry(Action.EXPORT)])
    except StoreUnavailable as error:
        return Export(encoded, tuple(unreadable), error)
    return Export(encoded, tuple(unreadable))
