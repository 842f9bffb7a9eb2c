"""The narrow read port of the `auth token` hot path (and `exec`'s), on the standard library's sqlite3.

It answers only when everything is ordinary: the store ordinary (adapters/store/sqlite_reader.py:
the home and its files private, the schema at head), the key cheap to reach (a key file, or a
passphrase on a passphrase store), the secret opening cleanly. Anything else returns None,
and the full path (which narrows permissions, migrates, reaches the keychain and explains
problems) takes over. It never writes and never creates the store. Its only import beyond
the standard library is the AES-GCM primitive.
"""

from __future__ import annotations

import os

from code_mesh.adapters.store.sqlite_connect import sqlite3
from code_mesh.adapters.store.sqlite_reader import OrdinaryStore, is_private, open_ordinary_store
from code_mesh.application.fresh_token import TokenRecord

TYPE_CHECKING = False  # not `from typing import`: typing costs the token path ~6 ms
if TYPE_CHECKING:  # not at run time: collections.abc costs the token path about a millisecond
    from collections.abc import Mapping

_QUERY = (
    "SELECT account, type, api_key, access_token, refresh_token, has_refresh_token, custom_data,"
    " expires_at, needs_login FROM credentials WHERE provider = ?"
)


def _keys(home: str, meta: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, bytes] | None:
    """The keys, when cheap to reach. The OS keychain is left to the full path (no keyring here),
    and so is a passphrase set on a store that does not use one (the full path refuses it)."""
    mode = meta.get("protection")
    passphrase = environ.get("CODE_MESH_PASSPHRASE")
    if mode == "keyfile" and not passphrase:
        from code_mesh.adapters.crypto.key_list import parse_key_list

        key_file = os.path.join(home, "key")
        if not is_private(key_file, False):
            return None  # the full path narrows it and says so
        try:
            with open(key_file, encoding="utf-8") as handle:  # not "ascii": one codec less to import
                return dict(parse_key_list(handle.read()))
        except (OSError, ValueError):
            return None
    if mode == "passphrase" and passphrase:
        from code_mesh.adapters.crypto.key_list import derive_key, key_id

        salts = meta.get("passphrase_salts", "").split()[:1]
        try:
            return {key_id(key): key for key in (derive_key(passphrase, salt) for salt in salts)}
        except (ValueError, UnicodeError):
            return None  # damaged salts, a passphrase that is not text: the full path says so
    return None


class SqliteTokenReader:
    """Reads one credential's token fields from `<home>/auth.db` and opens its sealed secret."""

    def __init__(self, home: str, environ: Mapping[str, str] = os.environ) -> None:
        self._home = home
        self._environ = environ

    def read(
        self,
        provider: str,
        account: str | None,
        store: OrdinaryStore | None = None,
        oauth_field: str = "access_token",
    ) -> TokenRecord | None:
        """The record of `account` (None: the active one); `store` when the caller has it open.
        `oauth_field` is the OAuth secret wanted: `access_token`, or `refresh_token` (exec hands
        Copilot's GitHub token over, kept as the refresh token)."""
        opened = store or open_ordinary_store(self._home)
        if opened is None:
            return None
        connection = opened.connection
        meta = opened.meta
        try:
            if account is None:
                row = connection.execute(
                    _QUERY + " ORDER BY activation DESC, account LIMIT 1", (provider,)
                ).fetchone()
            else:
                row = connection.execute(_QUERY + " AND account = ?", (provider, account)).fetchone()
        except sqlite3.Error:
            return None
        finally:
            if store is None:
                opened.close()
        if row is None:
            return None
        stored_account, kind, api_key, access_token, refresh_token, has_refresh, custom_data = row[:7]
        expires_at, needs_login = row[7:]
        oauth = (oauth_field, refresh_token if oauth_field == "refresh_token" else access_token)
        column, sealed = {
            "api_key": ("api_key", api_key),
            "oauth": oauth,
            "custom": ("custom_data", custom_data),
        }.get(kind, (None, None))
        if column is None or sealed is None:
            return None
        secret = self._open(provider, stored_account, column, sealed, meta)
        if secret is None:
            return None
        if kind == "custom":
            import json

            return TokenRecord(kind, None, None, bool(needs_login), False, json.loads(secret))
        return TokenRecord(kind, secret, expires_at, bool(needs_login), bool(has_refresh))

    def _open(
        self, provider: str, account: str, column: str, sealed: str, meta: Mapping[str, str]
    ) -> str | None:
        from code_mesh.adapters.crypto.aes_gcm import (
            OpenFailed,
            UnknownKey,
            associated_data,
            is_sealed,
            open_sealed,
        )

        if not is_sealed(sealed):
            return None  # a store the migration has not sealed yet: the full path knows what to do
        keys = _keys(self._home, meta, self._environ)
        if keys is None:
            return None
        try:
            return open_sealed(keys, sealed, associated_data(provider, account, column))
        except (OpenFailed, UnknownKey):
            return None
