"""Small facts the store keeps about itself (table store_meta): how secrets are protected.

Read with the standard library's sqlite3, so the token path and `auth list` can
learn the protection without SQLAlchemy; tolerant of a store from before the table.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PROTECTION = "protection"
"""keychain | keyfile | passphrase"""
PASSPHRASE_SALTS = "passphrase_salts"
"""Hex salts for scrypt, space-separated, the active one first."""

KEYCHAIN, KEYFILE, PASSPHRASE = "keychain", "keyfile", "passphrase"


def read_meta(database: Path | str) -> dict[str, str]:
    """Every meta row; empty for a store that has none (yet)."""
    try:
        connection = sqlite3.connect(database, timeout=60)
    except sqlite3.Error:
        return {}
    try:
        return dict(connection.execute("SELECT name, value FROM store_meta").fetchall())
    except sqlite3.Error:
        return {}
    finally:
        connection.close()


def nothing_sealed(database: Path | str) -> bool:
    """Whether no stored secret is sealed yet (so a first key may be created)."""
    try:
        connection = sqlite3.connect(database, timeout=60)
    except sqlite3.Error:
        return True
    try:
        row = connection.execute(
            "SELECT 1 FROM credentials WHERE api_key LIKE 'cm1:%' OR access_token LIKE 'cm1:%' "
            "OR refresh_token LIKE 'cm1:%' OR custom_data LIKE 'cm1:%' LIMIT 1"
        ).fetchone()
        return row is None
    except sqlite3.Error:
        return True
    finally:
        connection.close()


def write_meta(database: Path, values: dict[str, str]) -> None:
    """Upsert meta rows in one short transaction (never while another write is open here)."""
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


def describe_protection(mode: str | None, home: Path) -> str:
    """How secrets are protected, for people; needs neither the key nor the crypto library."""
    if mode == KEYCHAIN:
        return "AES-256-GCM, key in the OS keychain"
    if mode == PASSPHRASE:
        return "AES-256-GCM, key derived from CODE_MESH_PASSPHRASE (scrypt)"
    if mode == KEYFILE:
        return f"AES-256-GCM, key in {home / 'key'} (no OS keychain)"
    return "not yet decided (no credential stored)"
