"""Use case: re-encrypt every secret under a new key, then retire the old one.

The vault (a keychain, a key file) cannot share the database's transaction, so the
order is what keeps a crash harmless: the new key is added beside the old and made
durable; the rows move to it in one transaction that also records it as the store's
key; an old key is retired only after that commits, and only when no row names it any
more. A crash anywhere leaves every row under a key the vault still holds.

All of it runs under the key lock held exclusively, so no login seals with a key
that is about to go and no two rotations interleave: a second rotation waits, then
rotates again from what the first left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from code_mesh.application.ports import CredentialStore, KeyLock, KeyVault, NewTeamKey, Unreadable
from code_mesh.domain.errors import CodeMeshError


@dataclass(frozen=True)
class Rotation:
    new_key_id: str | None
    """None: nothing was sealed yet, so there was no key to rotate."""
    rows: int
    retired: tuple[str, ...]
    not_resealed: tuple[Unreadable, ...] = ()
    """Credentials whose secrets did not open; they keep their key, which is kept too."""


def rotate_key(store: CredentialStore, lock: KeyLock, open_vault: Callable[[], KeyVault]) -> Rotation:
    """`open_vault()` is called under the lock: the vault's view of the keys (a passphrase
    store's salts) must be the one no other rotation can change meanwhile."""
    with lock.exclusive():
        active = store.active_key_id()
        if active is None:
            return Rotation(None, 0, ())
        vault = open_vault()
        vault.check_holds(active)  # a wrong passphrase or a replaced key file: nothing changes
        old = tuple(vault.keys())
        new_key_id = vault.add_key()
        result = store.reencrypt(new_key_id)
        retired = tuple(key for key in old if key != new_key_id and key not in result.key_ids_in_use)
        if retired:
            vault.retire(retired)
        return Rotation(new_key_id, result.rows, retired, result.not_resealed)


def rotate_team_key(
    store: CredentialStore, lock: KeyLock, open_vault: Callable[[], KeyVault], new_key: NewTeamKey
) -> Rotation:
    """A team store's rotation (SPEC section 13): the new key comes from outside (a new
    passphrase, a new key file the team will share); every row is re-sealed with it in one
    transaction that also records it, or none is. The old key then opens nothing: retired."""
    with lock.exclusive():
        active = store.active_key_id()
        if active is not None:
            open_vault().check_holds(active)  # the current team key, verified: nothing changes otherwise
        if active == new_key.key_id:
            raise CodeMeshError(
                f"The new key is the one the team store already uses ({active}); nothing was changed",
                "Give a new passphrase, or a new key file",
            )
        result = store.reencrypt(new_key.key_id, new_key)
        return Rotation(new_key.key_id, result.rows, (active,) if active else ())
