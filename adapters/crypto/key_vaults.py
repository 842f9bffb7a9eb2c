"""The KeyVault port three ways: the OS keychain (keyring), a key file, a passphrase (scrypt).

Key ids are fingerprints of the keys themselves, so a value sealed with a key that
is not at hand (a replaced key file, a wrong passphrase) is recognised as such,
without a separate check value. The key file and the keychain entry share one text
format (adapters/crypto/key_list.py) that the token path reads with no json import.
"""

from __future__ import annotations

import binascii
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from code_mesh.adapters.crypto.aes_gcm import KEY_BYTES, new_key
from code_mesh.adapters.crypto.key_list import format_key_list, parse_key_list
from code_mesh.domain.errors import KeyUnavailable

KEYCHAIN_SERVICE = "code-mesh"
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}


def key_id(key: bytes) -> str:
    return "k" + hashlib.sha256(b"code-mesh key id\x00" + key).hexdigest()[:12]


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """The keys of a key list, each checked against its id (a damaged file is caught here)."""
    keys = parse_key_list(text)
    for identifier, key in keys:
        if key_id(key) != identifier:
            raise ValueError("a key does not match its id")
    return keys


format_keys = format_key_list


class _ListVault:
    """Shared logic: a list of keys kept somewhere as text."""

    where = ""

    def _load(self) -> list[tuple[str, bytes]]:
        raise NotImplementedError

    def _save(self, keys: list[tuple[str, bytes]]) -> None:
        raise NotImplementedError

    def keys(self) -> dict[str, bytes]:
        keys = self._load()
        if not keys:
            raise self._missing()
        return dict(keys)

    def active_key_id(self) -> str:
        keys = self._load()
        if not keys:
            raise self._missing()
        return keys[0][0]

    def _missing(self) -> KeyUnavailable:
        raise NotImplementedError

    def add_key(self) -> str:
        try:
            existing = self._load()
        except KeyUnavailable:
            existing = []
        key = new_key()
        self._save([(key_id(key), key), *existing])
        return key_id(key)

    def retire(self, key_ids: Sequence[str]) -> None:
        self._save([(identifier, key) for identifier, key in self._load() if identifier not in key_ids])


class KeyFileVault(_ListVault):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"the key file {path}"

    def _load(self) -> list[tuple[str, bytes]]:
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise self._missing() from None
        except (OSError, UnicodeDecodeError) as error:
            raise KeyUnavailable(
                f"Cannot read the key file {self.path} ({error})", "Check its permissions"
            ) from None
        try:
            return parse_keys(text)
        except (ValueError, binascii.Error):
            raise KeyUnavailable(
                f"The key file {self.path} is damaged; nothing was changed", "Restore it from your backup"
            ) from None

    def _missing(self) -> KeyUnavailable:
        return KeyUnavailable(
            f"The encryption key file {self.path} is missing; nothing was changed",
            "Restore it from your backup (the stored secrets cannot be read without it)",
        )

    def _save(self, keys: list[tuple[str, bytes]]) -> None:
        from code_mesh.adapters.files.private_file import write_private_file

        write_private_file(self.path, format_keys(keys))


class KeychainVault(_ListVault):
    """The OS keychain through keyring; one entry per code-mesh home."""

    def __init__(self, home: Path) -> None:
        import keyring

        self._keyring = keyring
        self._username = str(home)
        self.where = "the OS keychain"

    def _load(self) -> list[tuple[str, bytes]]:
        try:
            text = self._keyring.get_password(KEYCHAIN_SERVICE, self._username)
        except Exception as error:  # keyring backends raise their own types
            raise KeyUnavailable(
                f"The OS keychain did not answer ({type(error).__name__}); nothing was changed",
                "Unlock the keychain and try again",
            ) from None
        if text is None:
            return []
        try:
            return parse_keys(text)
        except (ValueError, binascii.Error):
            raise KeyUnavailable(
                f"The keychain entry {KEYCHAIN_SERVICE}/{self._username} is damaged", "Restore it"
            ) from None

    def _missing(self) -> KeyUnavailable:
        return KeyUnavailable(
            f"The OS keychain has no code-mesh key (service {KEYCHAIN_SERVICE}, account {self._username}); "
            "nothing was changed",
            "Restore the keychain entry (the stored secrets cannot be read without it)",
        )

    def _save(self, keys: list[tuple[str, bytes]]) -> None:
        self._keyring.set_password(KEYCHAIN_SERVICE, self._username, format_keys(keys))


def keychain_usable() -> bool:
    """A keyring backend that really stores secrets (not the fail or null backends)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    return getattr(backend, "priority", 0) >= 1 or (
        type(backend).__name__ == "ChainerBackend" and bool(getattr(backend, "backends", []))
    )


def derive_key(passphrase: str, salt_hex: str) -> bytes:
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=bytes.fromhex(salt_hex), dklen=KEY_BYTES, **SCRYPT)


def new_salt() -> str:
    return os.urandom(16).hex()


class PassphraseVault:
    """Keys derived from CODE_MESH_PASSPHRASE with scrypt; the salts live in the store's meta."""

    where = "the key derived from CODE_MESH_PASSPHRASE (is it the passphrase the store was made with?)"

    def __init__(self, passphrase: str, database: Path, pending_salts: Sequence[str] = ()) -> None:
        self._passphrase = passphrase
        self._database = database
        self._pending = list(pending_salts)
        """Salts chosen for a store whose meta is still being written (its first migration)."""

    def _salts(self) -> list[str]:
        from code_mesh.adapters.store.store_meta import PASSPHRASE_SALTS, read_meta

        return read_meta(self._database).get(PASSPHRASE_SALTS, "").split() or self._pending

    def keys(self) -> dict[str, bytes]:
        derived = [derive_key(self._passphrase, salt) for salt in self._salts()]
        return {key_id(key): key for key in derived}

    def active_key_id(self) -> str:
        salts = self._salts()
        if not salts:
            raise KeyUnavailable("The store records no passphrase salt", "Run `code-mesh auth doctor`")
        return key_id(derive_key(self._passphrase, salts[0]))

    def add_key(self) -> str:
        from code_mesh.adapters.store.store_meta import PASSPHRASE_SALTS, write_meta

        salt = new_salt()
        write_meta(self._database, {PASSPHRASE_SALTS: " ".join([salt, *self._salts()])})
        return key_id(derive_key(self._passphrase, salt))

    def retire(self, key_ids: Sequence[str]) -> None:
        from code_mesh.adapters.store.store_meta import PASSPHRASE_SALTS, write_meta

        kept = [s for s in self._salts() if key_id(derive_key(self._passphrase, s)) not in key_ids]
        write_meta(self._database, {PASSPHRASE_SALTS: " ".join(kept)})
