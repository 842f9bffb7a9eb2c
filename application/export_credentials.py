"""Use case: the store as an auth.json document."""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.application.auth_file import AuthFileCodec, EncodedAuthFile
from code_mesh.application.ports import CredentialStore, Unreadable


@dataclass(frozen=True)
class Export:
    encoded: EncodedAuthFile
    unreadable: tuple[Unreadable, ...] = ()
    """Stored credentials whose secrets did not open: left out, and named by the caller."""


def export_credentials(store: CredentialStore, codec: AuthFileCodec) -> Export:
    """Every credential that opens; one that does not (locked, damaged) is left out rather than
    blocking the others. When none opens but some are stored, that is the failure."""
    with store.reading() as repository:
        readable, unreadable = repository.all_readable()
    if unreadable and not readable:
        raise unreadable[0].reason
    return Export(codec.encode(readable), tuple(unreadable))
