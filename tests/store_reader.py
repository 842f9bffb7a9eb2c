"""Reading a store's rows as the tests need them: secrets opened with the home's key file.

Since secrets are sealed at rest (SPEC section 8), a test that checks what was stored
opens the sealed columns here, with the same primitives the product uses.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from code_mesh.adapters.crypto.aes_gcm import associated_data, is_sealed, open_sealed
from code_mesh.adapters.crypto.key_list import derive_key, key_id, parse_key_list

SECRET_COLUMNS = ("api_key", "access_token", "refresh_token", "custom_data")


def home_keys(home: Path, passphrase: str | None = None) -> dict[str, bytes]:
    """The keys the home's key file holds, or those the passphrase and the store's salts give."""
    if passphrase is None:
        return dict(parse_key_list((home / "key").read_text()))
    connection = sqlite3.connect(home / "auth.db")
    try:
        row = connection.execute("SELECT value FROM store_meta WHERE name = 'passphrase_salts'").fetchone()
    finally:
        connection.close()
    derived = [derive_key(passphrase, salt) for salt in (row[0] if row else "").split()]
    return {key_id(key): key for key in derived}


def store_key_id(home: Path) -> str | None:
    """The key id the store records as the one it seals with."""
    connection = sqlite3.connect(home / "auth.db")
    try:
        row = connection.execute("SELECT value FROM store_meta WHERE name = 'key_id'").fetchone()
    finally:
        connection.close()
    return None if row is None else row[0]


def store_dump(home: Path) -> list[str]:
    """The store's content as SQL, independent of page layout and WAL checkpoints."""
    connection = sqlite3.connect(home / "auth.db")
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def sealed_rows(home: Path) -> list[dict[str, Any]]:
    """Every credentials row as it is in auth.db, secrets sealed ([] when there is no store):
    equal rows before and after mean nothing was rewritten."""
    database = home / "auth.db"
    if not database.exists():
        return []
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [
            dict(row) for row in connection.execute("SELECT * FROM credentials ORDER BY provider, account")
        ]
    finally:
        connection.close()


def decrypted_rows(home: Path, passphrase: str | None = None) -> list[dict[str, Any]]:
    """Every credentials row as a dict, secret columns opened (they must be sealed) with the
    key file's keys, or with those of `passphrase`."""
    if not (home / "auth.db").exists():
        raise FileNotFoundError(home / "auth.db")
    rows = sealed_rows(home)
    keys = home_keys(home, passphrase) if any(row[c] for row in rows for c in SECRET_COLUMNS) else {}
    for row in rows:
        for column in SECRET_COLUMNS:
            value = row[column]
            if value is not None:
                assert is_sealed(value), (
                    f"{column} of {row['provider']}:{row['account']} is stored in the clear"
                )
                row[column] = open_sealed(
                    keys, value, associated_data(row["provider"], row["account"], column)
                )
    return rows


def store_rows(home: Path) -> list[dict[str, Any]]:
    """`decrypted_rows`, or [] when there is no store (reading must not create one)."""
    return decrypted_rows(home) if (home / "auth.db").exists() else []
