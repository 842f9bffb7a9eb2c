"""Seals and opens the secret fields of the store's rows; the key is fetched only when needed.

Opening never falls back to returning something wrong: a value that does not open
is reported (SecretDoesNotDecrypt), and a key that is not at hand says where it
was expected (KeyUnavailable).
"""

from __future__ import annotations

from collections.abc import Callable

from code_mesh.adapters.crypto.aes_gcm import (
    OpenFailed,
    UnknownKey,
    associated_data,
    is_sealed,
    open_sealed,
    seal,
)
from code_mesh.application.ports import KeyVault
from code_mesh.domain.errors import KeyUnavailable, SecretDoesNotDecrypt


class FieldCipher:
    def __init__(
        self,
        vault: Callable[[], KeyVault],
        may_create_key: Callable[[], bool],
        on_first_key: Callable[[KeyVault], None] = lambda vault: None,
    ) -> None:
        """`may_create_key()` says whether a first key may be made: only while nothing is sealed,
        so a lost key is reported, never silently replaced. `on_first_key` hears when one is made.
        (Sealing runs inside the store's write transaction, so two processes never both make one.)"""
        self._vault_factory = vault
        self._may_create_key = may_create_key
        self._on_first_key = on_first_key
        self._vault: KeyVault | None = None
        self._keys: dict[str, bytes] | None = None

    @property
    def vault(self) -> KeyVault:
        if self._vault is None:
            self._vault = self._vault_factory()
        return self._vault

    def _all_keys(self) -> dict[str, bytes]:
        if self._keys is None:
            self._keys = self.vault.keys()
        return self._keys

    def forget_keys(self) -> None:
        """After a rotation: read the vault again."""
        self._keys = None

    def _active_key_id(self) -> str:
        try:
            return self.vault.active_key_id()
        except KeyUnavailable:
            if not self._may_create_key():
                raise
            self.forget_keys()
            identifier = self.vault.add_key()
            self._on_first_key(self.vault)
            return identifier

    def seal(self, provider: str, account: str, field: str, value: str, key_id: str | None = None) -> str:
        identifier = key_id or self._active_key_id()
        keys = self._all_keys()
        if identifier not in keys:
            self.forget_keys()
            keys = self._all_keys()
        return seal(keys[identifier], identifier, value, associated_data(provider, account, field))

    def open(self, provider: str, account: str, field: str, value: str) -> str:
        if not is_sealed(value):
            return value  # written before encryption existed; the migration seals these
        try:
            return open_sealed(self._all_keys(), value, associated_data(provider, account, field))
        except UnknownKey as missing:
            raise KeyUnavailable(
                f"The secrets of {provider}:{account} were sealed with key {missing.key_id}, which is not in "
                f"{self.vault.where}; nothing was changed",
                "Restore that key (or set the passphrase the store was made with) and try again",
            ) from None
        except OpenFailed:
            raise SecretDoesNotDecrypt(
                f"The stored {field} of {provider}:{account} does not decrypt: it was altered or copied "
                "from another credential, so it is not used",
                f"Log in to {provider} again; `code-mesh auth doctor` checks the others",
            ) from None
