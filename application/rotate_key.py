"""Use case: re-encrypt every secret under a new key, then retire the old one.

The vault (a keychain, a key file) cannot share the database's transaction, so the
order is what keeps a crash harmless: the new key is added beside the old; the rows
move to it in one transaction; the old key is retired only after that commits. A
crash anywhere leaves every row under a key the vault still holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.application.ports import CredentialStore, KeyVault
from code_mesh.domain.errors import KeyUnavailable


@dataclass(frozen=True)
class Rotation:
    new_key_id: str
    rows: int
    retired: tuple[str, ...]


def rotate_key(store: CredentialStore, vault: KeyVault) -> Rotation:
    try:
        old = tuple(vault.keys())
    except KeyUnavailable:
        with store.reading() as repository:
            if repository.summaries():
                raise  # secrets are sealed with a key that is not at hand: never replace it
        old = ()
    new_key_id = vault.add_key()
    rows = store.reencrypt(new_key_id)
    retired = tuple(key for key in old if key != new_key_id)
    vault.retire(retired)
    return Rotation(new_key_id, rows, retired)
