"""Small facts the store keeps about itself (table store_meta): how its secrets are protected.

Read with the standard library's sqlite3, so the token path and `auth list` can
learn the protection without SQLAlchemy; tolerant of a store from before the table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from code_mesh.adapters.crypto.key_list import sealed_key_id
from code_mesh.adapters.store.protection_words import KEYCHAIN as KEYCHAIN
from code_mesh.adapters.store.protection_words import KEYFILE as KEYFILE
from code_mesh.adapters.store.protection_words import PASSPHRASE as PASSPHRASE
from code_mesh.adapters.store.protection_words import protection_words
from code_mesh.adapters.store.sqlite_connect import connect
from code_mesh.domain.errors import StoreUnavailable

PROTECTION = "protection"
"""keychain | keyfile | passphrase"""
PASSPHRASE_SALTS = "passphrase_salts"
"""Hex salts for scrypt, space-separated, the newest first."""
KEY_ID = "key_id"
"""The key new secrets are sealed with. Key ids are fingerprints of the keys, so this is
also the check value: a vault that does not hold it (a mistyped passphrase, a replaced
key file) is refused before anything is sealed."""
KEY_ROWS = (PROTECTION, PASSPHRASE_SALTS, KEY_ID)


SEALED_SAMPLE_QUERY = (
    "SELECT api_key, access_token, custom_data FROM credentials WHERE api_key LIKE 'cm1:%' "
    "OR access_token LIKE 'cm1:%' OR custom_data LIKE 'cm1:%' LIMIT 1"
)
"""One sealed value, for stores written before KEY_ID was recorded: its key id is the store's."""


@dataclass(frozen=True)
class KeyRecord:
    """What the store says about its keys. No key_id: nothing is sealed yet, so the first
    seal decides the protection (SPEC section 8) and makes or adopts the key."""

    protection: str | None = None
    salts: tuple[str, ...] = ()
    key_id: str | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, str], sealed_sample: tuple[str | None, ...] = ()) -> KeyRecord:
        key_id = meta.get(KEY_ID) or next(filter(None, map(sealed_key_id, sealed_sample)), None)
        return cls(meta.get(PROTECTION) or None, tuple(meta.get(PASSPHRASE_SALTS, "").split()), key_id)

    @property
    def keyed(self) -> bool:
        return self.key_id is not None

    def as_meta(self) -> dict[str, str]:
        values = {PROTECTION: self.protection or "", PASSPHRASE_SALTS: " ".join(self.salts)}
        if self.key_id:
            values[KEY_ID] = self.key_id
        return {name: value for name, value in values.items() if value}


def read_meta(database: Path | str) -> dict[str, str]:
    """Every meta row; empty for a store that has none (yet)."""
    try:
        connection = connect(database)
    except sqlite3.Error:
        return {}
    try:
        return dict(connection.execute("SELECT name, value FROM store_meta").fetchall())
    except sqlite3.Error:
        return {}
    finally:
        connection.close()


def read_key_record(database: Path | str) -> KeyRecord:
    """The key record as committed (for a caller that holds the key lock, or only describes it)."""
    meta = read_meta(database)
    if meta.get(KEY_ID) or not meta.get(PROTECTION):
        return KeyRecord.from_meta(meta)
    try:
        connection = connect(database)
    except sqlite3.Error:
        return KeyRecord.from_meta(meta)
    try:
        sample = connection.execute(SEALED_SAMPLE_QUERY).fetchone() or ()
    except sqlite3.Error:
        sample = ()
    finally:
        connection.close()
    return KeyRecord.from_meta(meta, sample)


def write_meta(database: Path, values: dict[str, str]) -> None:
    """Upsert meta rows in one short transaction (never while another write is open here)."""
    try:
        connection = sqlite3.connect(database, timeout=60, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO store_meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise StoreUnavailable(
            f"Cannot write to the store {database} ({error}); nothing was changed",
            "Reading commands still work; to change it, make CODE_MESH_HOME and its files writable for you",
        ) from None


def describe_protection(record: KeyRecord, home: Path) -> str:
    """How secrets are protected, for people; needs neither the key nor the crypto library."""
    return protection_words(record.protection, record.keyed, str(home))
