"""The KeyVault port three ways: the OS keychain (keyring), a key file, a passphrase (scrypt).

Key ids are fingerprints of the keys themselves, so the id the store records is its
own check value: a vault that does not hold it (a replaced key file, a mistyped
passphrase) is recognised before anything is sealed. The key file and the keychain
entry share one text format (adapters/crypto/key_list.py) that the token path reads
with no json import. Nothing here imports the AES library: `auth list` asks a vault
which key ids it holds without paying for it.

Every change of a vault's keys happens under the store's key lock (ports.KeyLock):
adding and retiring keys in a rotation exclusively, the first key inside a sealing
write (shared key lock and the database's write lock together).
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from code_mesh.adapters.crypto.key_list import (
    KEY_BYTES,
    derive_key,
    format_key_list,
    key_id,
    parse_key_list,
)
from code_mesh.domain.errors import KeyUnavailable

KEYCHAIN_SERVICE = "code-mesh"
START_OVER = (
    "or, to start over without them, `code-mesh auth logout --all --yes` (removes every stored credential)"
)
"""The second way out of a lost key, said wherever the first one is (SPEC section 8)."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """The keys of a key list, each checked against its id (a damaged file is caught here)."""
    keys = parse_key_list(text)
    for identifier, key in keys:
        if key_id(key) != identifier:
            raise ValueError("a key does not match its id")
    return keys


format_keys = format_key_list


class _ListVault:
    """Shared logic: a list of keys kept somewhere as text, the newest first."""

    where = ""
    start_over = START_OVER
    """The second way out of a lost key; a team store's is never "start over"."""

    def _load(self) -> list[tuple[str, bytes]]:
        """The keys; [] when none is stored; KeyUnavailable when they cannot be read."""
        raise NotImplementedError

    def _save(self, keys: list[tuple[str, bytes]]) -> None:
        raise NotImplementedError

    def _missing(self) -> KeyUnavailable:
        raise NotImplementedError

    def _lacks(self, key: str) -> KeyUnavailable:
        return KeyUnavailable(
            f"{self.where[0].upper()}{self.where[1:]} does not hold key {key}, which this store's "
            "secrets are sealed with (was it replaced?); nothing was changed",
            f"Restore the {self.what} that holds it from your backup, {self.start_over}",
        )

    what = "key"

    def keys(self) -> dict[str, bytes]:
        keys = self._load()
        if not keys:
            raise self._missing()
        return dict(keys)

    def active_key_id(self) -> str:
        return next(iter(self.keys()))

    def key(self, key: str) -> bytes | None:
        return self.keys().get(key)

    def check_holds(self, key: str) -> None:
        if self.key(key) is None:
            raise self._lacks(key)

    def ensure_key(self) -> tuple[str, bool]:
        existing = self._load()
        if existing:
            return existing[0][0], False
        return self.add_key(), True

    def known_key_ids(self) -> frozenset[str] | None:
        return None

    def add_key(self) -> str:
        key = new_key()
        self._save([(key_id(key), key), *self._load()])
        return key_id(key)

    def retire(self, key_ids: Sequence[str]) -> None:
        self._save([(identifier, key) for identifier, key in self._load() if identifier not in key_ids])


class KeyFileVault(_ListVault):
    what = "key file"

    def __init__(self, path: Path, start_over: str = START_OVER) -> None:
        self.path = path
        self.where = f"the key file {path}"
        self.start_over = start_over

    def _text(self) -> str | None:
        try:
            return self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
            raise KeyUnavailable(
                f"Cannot read the key file {self.path} ({reason}); nothing was changed",
                "Check its permissions",
            ) from None

    def _damaged(self) -> KeyUnavailable:
        return KeyUnavailable(
            f"The key file {self.path} is damaged; nothing was changed",
            f"Restore it from your backup, {self.start_over}",
        )

    def _load(self) -> list[tuple[str, bytes]]:
        text = self._text()
        if text is None:
            return []
        try:
            return parse_keys(text)
        except (ValueError, binascii.Error):
            raise self._damaged() from None

    def known_key_ids(self) -> frozenset[str] | None:
        """The ids in the file, read without the AES library (for `auth list`'s `locked`)."""
        try:
            text = self._text()
            return frozenset() if text is None else frozenset(i for i, _ in parse_key_list(text))
        except (KeyUnavailable, ValueError, binascii.Error):
            return None

    def _missing(self) -> KeyUnavailable:
        return KeyUnavailable(
            f"The encryption key file {self.path} is missing, and the stored secrets are sealed with it; "
            "nothing was changed",
            f"Restore it from your backup, {self.start_over}",
        )

    def _save(self, keys: list[tuple[str, bytes]]) -> None:
        from code_mesh.adapters.files.private_file import write_private_file

        # Through a symlink to the file itself: the link stays, the file it names is replaced
        # (atomically, in its own directory), so no copy of an old key is left behind.
        target = Path(os.path.realpath(self.path))
        try:
            write_private_file(target, format_keys(keys))
        except OSError as error:
            raise KeyUnavailable(
                f"Cannot write the key file {described_key_file(self.path, target)} "
                f"({error.strerror or type(error).__name__}); nothing was changed",
                "Reading commands still work; to change keys, make CODE_MESH_HOME and its files writable "
                "for you",
            ) from None


def described_key_file(path: Path, target: Path) -> str:
    return str(path) if target == path else f"{path} (-> {target})"


class KeychainVault(_ListVault):
    """The OS keychain through keyring; one entry per code-mesh home."""

    what = "keychain entry"

    def __init__(self, home: Path) -> None:
        import keyring

        self._keyring = keyring
        self._username = str(home)
        self.where = "the OS keychain"

    def _load(self) -> list[tuple[str, bytes]]:
        try:
            text = self._keyring.get_password(KEYCHAIN_SERVICE, self._username)
        except Exception as error:  # keyring backends raise their own types
            raise keychain_unavailable(type(error).__name__) from None
        if text is None:
            return []
        try:
            return parse_keys(text)
        except (ValueError, binascii.Error):
            raise KeyUnavailable(
                f"The keychain entry {KEYCHAIN_SERVICE}/{self._username} is damaged; nothing was changed",
                f"Restore it, {START_OVER}",
            ) from None

    def _missing(self) -> KeyUnavailable:
        return KeyUnavailable(
            f"The OS keychain has no code-mesh key (service {KEYCHAIN_SERVICE}, account {self._username}), "
            "and the stored secrets are sealed with it; nothing was changed",
            f"Restore the keychain entry, {START_OVER}",
        )

    def _save(self, keys: list[tuple[str, bytes]]) -> None:
        try:
            self._keyring.set_password(KEYCHAIN_SERVICE, self._username, format_keys(keys))
        except Exception as error:
            raise keychain_unavailable(type(error).__name__) from None


def keychain_unavailable(reason: str) -> KeyUnavailable:
    """Not the same as a missing key: the key may well be there, out of reach from this session."""
    return KeyUnavailable(
        f"The OS keychain that holds this store's key is not available here ({reason}); nothing was changed",
        "Run code-mesh in a session where the keychain is unlocked (not, say, over SSH), or unlock it",
    )


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


def new_salt() -> str:
    return os.urandom(16).hex()


class PassphraseVault:
    """Keys derived from CODE_MESH_PASSPHRASE with scrypt; the salts live in the store's meta.

    `salts` are the store's as read under the key lock; `save_salts` writes a changed list
    back (a rotation's own short transaction, before and after the re-seal)."""

    where = "the key derived from CODE_MESH_PASSPHRASE"

    def __init__(
        self,
        passphrase: str,
        salts: Sequence[str],
        save_salts: Callable[[list[str]], None] | None = None,
        start_over: str = START_OVER,
    ) -> None:
        self._passphrase = passphrase
        self._start_over = start_over
        self._salts = list(salts)
        self._save_salts = save_salts
        for salt in self._salts:
            try:
                bytes.fromhex(salt)
            except ValueError:
                raise KeyUnavailable(
                    "The store's passphrase salts (store_meta passphrase_salts) are damaged; "
                    "nothing was changed",
                    f"Restore the store from a backup, {start_over}",
                ) from None

    def keys(self) -> dict[str, bytes]:
        derived = [derive_key(self._passphrase, salt) for salt in self._salts]
        if not derived:
            raise KeyUnavailable("The store records no passphrase salt", "Run `code-mesh auth doctor`")
        return {key_id(key): key for key in derived}

    def active_key_id(self) -> str:
        return next(iter(self.keys()))

    def key(self, key: str) -> bytes | None:
        """Derived salt by salt, newest first, until one gives `key`: after a rotation that is
        the first, so a login derives one key, not one per salt."""
        for salt in self._salts:
            derived = derive_key(self._passphrase, salt)
            if key_id(derived) == key:
                return derived
        return None

    def check_holds(self, key: str) -> None:
        if self.key(key) is None:
            raise KeyUnavailable(
                "CODE_MESH_PASSPHRASE does not match this store's passphrase (its secrets are sealed "
                f"with key {key}); nothing was changed",
                f"Set CODE_MESH_PASSPHRASE to the passphrase the store was made with, {self._start_over}",
            )

    def ensure_key(self) -> tuple[str, bool]:
        return self.active_key_id(), False

    def known_key_ids(self) -> frozenset[str] | None:
        return None  # deriving is not cheap

    def _store(self, salts: list[str]) -> None:
        if self._save_salts is None:
            raise RuntimeError("this passphrase vault cannot change the store's salts")
        self._save_salts(salts)
        self._salts = salts

    def add_key(self) -> str:
        salt = new_salt()
        self._store([salt, *self._salts])
        return key_id(derive_key(self._passphrase, salt))

    def retire(self, key_ids: Sequence[str]) -> None:
        self._store([s for s in self._salts if key_id(derive_key(self._passphrase, s)) not in key_ids])
