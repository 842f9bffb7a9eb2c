"""Seals and opens the secret fields of the store's rows with the key the store records.

The store hands over its KeyRecord (store_meta, read in the same transaction as the
rows); the cipher finds the vault for it, and seals only with the recorded key after
checking that the vault still holds it, so a mistyped passphrase or a replaced key
file is refused before anything is sealed. A store with nothing sealed yet gets its
first key here: the protection is decided then (not when the empty store was made),
and a key the vault already holds (a key file kept from an earlier store) is adopted.

Opening never falls back to returning something wrong: a value that does not open is
reported (SecretDoesNotDecrypt), and a key that is not at hand says where it was
expected and both ways out (KeyUnavailable). The AES library is imported only when a
value is sealed or opened, so `auth list` never pays for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from code_mesh.adapters.store.store_meta import KEYCHAIN, PASSPHRASE, KeyRecord, sealed_key_id
from code_mesh.application.ports import KeyVault
from code_mesh.domain.errors import KeyUnavailable, SecretDoesNotDecrypt

VaultFor = Callable[[KeyRecord], KeyVault]
"""The vault a record describes (raises KeyUnavailable when it cannot be had here)."""


def _vault_cache_key(record: KeyRecord) -> tuple[str | None, tuple[str, ...]]:
    return record.protection, record.salts


class FieldCipher:
    def __init__(
        self,
        vault_for: VaultFor,
        protection_for_new_key: Callable[[], str],
        new_salt: Callable[[], str],
        on_first_key: Callable[[KeyVault], None] = lambda vault: None,
    ) -> None:
        """`protection_for_new_key()` decides how a store's first key is kept (keychain, key file
        or passphrase); `on_first_key` hears when a vault had to make one."""
        self._vault_for = vault_for
        self._protection_for_new_key = protection_for_new_key
        self._new_salt = new_salt
        self._on_first_key = on_first_key
        self._vaults: dict[tuple[str | None, tuple[str, ...]], KeyVault] = {}
        self._asked_again: set[str] = set()
        self._keys: dict[tuple[str | None, tuple[str, ...]], dict[str, bytes | None]] = {}

    def vault(self, record: KeyRecord) -> KeyVault:
        cache_key = _vault_cache_key(record)
        if cache_key not in self._vaults:
            self._vaults[cache_key] = self._vault_for(record)
        return self._vaults[cache_key]

    def _key(self, record: KeyRecord, key_id: str, *, again: bool = False) -> bytes | None:
        """One key, asked of the vault once per process (a passphrase vault derives only what
        is asked for: scrypt is the one slow step, and it may run inside a write transaction)."""
        known = self._keys.setdefault(_vault_cache_key(record), {})
        if again or key_id not in known:
            known[key_id] = self.vault(record).key(key_id)
        return known[key_id]

    def prepare(self, record: KeyRecord) -> None:
        """Before a write takes SQLite's lock: derive a passphrase store's key now, so the
        transaction holds the lock for milliseconds, not for scrypt. Best effort: a key that
        cannot be had is reported where it is needed, if it is."""
        if record.key_id is not None and record.protection == PASSPHRASE:
            with contextlib.suppress(KeyUnavailable):
                self._key(record, record.key_id)

    def sealing_key(self, record: KeyRecord) -> tuple[str, KeyRecord | None]:
        """The key id to seal with, and the record to store when this made the store's first key.

        Called inside a sealing write: the shared key lock excludes rotations and the
        database's write lock excludes every other writer, so two first keys are never made."""
        if record.key_id is not None:
            self.vault(record).check_holds(record.key_id)
            return record.key_id, None
        protection = self._protection_for_new_key()
        fresh = KeyRecord(protection, (self._new_salt(),) if protection == PASSPHRASE else ())
        vault = self.vault(fresh)
        identifier, made = vault.ensure_key()
        if made:
            self._on_first_key(vault)
        return identifier, KeyRecord(fresh.protection, fresh.salts, identifier)

    def seal(
        self, record: KeyRecord, key_id: str, provider: str, account: str, field: str, value: str
    ) -> str:
        from code_mesh.adapters.crypto.aes_gcm import associated_data, seal

        key = self._key(record, key_id) or self._key(record, key_id, again=True)  # a rotation added it
        if key is None:
            self.vault(record).check_holds(key_id)  # says where it was expected
            raise KeyUnavailable(f"Key {key_id} is not in {self.vault(record).where}")
        return seal(key, key_id, value, associated_data(provider, account, field))

    def open(self, record: KeyRecord, provider: str, account: str, field: str, value: str) -> str:
        from code_mesh.adapters.crypto.aes_gcm import (
            OpenFailed,
            UnknownKey,
            associated_data,
            is_sealed,
            open_sealed,
        )

        if not is_sealed(value):
            return value  # written before encryption existed; the migration seals these
        aad = associated_data(provider, account, field)
        identifier = sealed_key_id(value) or ""
        try:
            key = self._key(record, identifier)
            if key is None and identifier not in self._asked_again:
                # Keys read earlier in this process may predate another process's rotation.
                self._asked_again.add(identifier)
                key = self._key(record, identifier, again=True)
            return open_sealed({identifier: key} if key is not None else {}, value, aad)
        except UnknownKey as missing:
            if record.key_id is not None:
                # The store's own key is not at hand either: say that (a mistyped passphrase,
                # a replaced key file), not just this row's part of it.
                self.vault(record).check_holds(record.key_id)
            where = self.vault(record).where
            raise KeyUnavailable(
                f"The secrets of {provider}:{account} were sealed with key {missing.key_id}, which is not in "
                f"{where}; nothing was changed",
                "Restore that key (or set the passphrase the store was made with), or log out of "
                f"{provider}:{account} and log in again",
            ) from None
        except OpenFailed:
            raise SecretDoesNotDecrypt(
                f"The stored {field} of {provider}:{account} does not decrypt: it was altered or copied "
                "from another credential, so it is not used",
                f"Log in to {provider} again; `code-mesh auth doctor` checks the others",
            ) from None

    def lacks_keys(self, record: KeyRecord, key_ids: Iterable[str]) -> bool:
        """Whether these keys are certainly not at hand, told cheaply (SPEC section 8's `locked`):
        the vault cannot be had (no passphrase set, a mismatched one, no keychain), or a key
        file that is missing or lacks one of them. Never derives or decrypts anything."""
        wanted = frozenset(key_ids)
        if not wanted or record.protection == KEYCHAIN:
            return False  # asking a keychain may prompt or unlock: not cheap
        try:
            known = self.vault(record).known_key_ids()
        except KeyUnavailable:
            return True
        return known is not None and not wanted <= known
