"""Use case: merge auth.json entries into the store, all of them or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from code_mesh.application.auth_file import AuthFileEntry
from code_mesh.application.ports import CredentialStore, CredentialWrite
from code_mesh.domain.credentials import StoredCredential


class ImportAction(StrEnum):
    ADD = "add"
    REPLACE = "replace"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedImport:
    entry: AuthFileEntry
    action: ImportAction


def _action(entry: AuthFileEntry, existing: StoredCredential | None) -> ImportAction:
    if existing is None:
        return ImportAction.ADD
    same = (
        existing.credential == entry.credential
        and existing.needs_login == entry.needs_login
        and (existing.active or not entry.active)
    )
    return ImportAction.UNCHANGED if same else ImportAction.REPLACE


def import_credentials(
    store: CredentialStore, entries: Sequence[AuthFileEntry], *, dry_run: bool = False
) -> list[PlannedImport]:
    """Each entry replaces the stored credential of the same provider and account.

    An entry that stood under a bare provider id becomes the active account; the
    others keep whichever account was active. One transaction: all entries or none.
    A stored credential whose secrets do not open (locked, damaged) does not stop the
    import: an entry for it replaces it, and the others are left as they are.
    """
    with store.reading() if dry_run else store.writing() as repository:
        readable, unreadable = repository.all_readable()
        existing = {(stored.provider, stored.account): stored for stored in readable}
        cannot_compare = {(item.provider, item.account) for item in unreadable}
        planned = [
            PlannedImport(
                entry,
                ImportAction.REPLACE
                if (entry.provider, entry.account) in cannot_compare
                else _action(entry, existing.get((entry.provider, entry.account))),
            )
            for entry in entries
        ]
        if not dry_run:
            repository.save_many(
                [
                    CredentialWrite(
                        item.entry.provider,
                        item.entry.account,
                        item.entry.credential,
                        needs_login=item.entry.needs_login,
                        activate=item.entry.active,
                    )
                    for item in planned
                    if item.action is not ImportAction.UNCHANGED
                ]
            )
    return planned
