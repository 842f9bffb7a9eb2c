"""The narrow read port of the `auth token` hot path, on the standard library's sqlite3.

It answers only when everything is ordinary: the home and the store private, the
schema at head, the row readable. Anything else returns None, and the full path
(which narrows permissions, migrates and explains problems) takes over. It never
writes and never creates the store.
"""

from __future__ import annotations

import os
import sqlite3
import stat

from code_mesh.adapters.schema_revision import SCHEMA_HEAD
from code_mesh.application.fresh_token import TokenRecord

_PRIVATE = 0o077

_QUERY = (
    "SELECT type, api_key, access_token, refresh_token IS NOT NULL, custom_data,"
    " expires_at, needs_login FROM credentials WHERE provider = ?"
)


def _is_private(path: str, want_directory: bool) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if want_directory else stat.S_ISREG(info.st_mode)
    return kind_ok and not info.st_mode & _PRIVATE and info.st_uid == os.getuid()


class SqliteTokenReader:
    """Reads one credential's token fields from `<home>/auth.db`."""

    def __init__(self, home: str) -> None:
        self._home = home
        self._database = os.path.join(home, "auth.db")

    def read(self, provider: str, account: str | None) -> TokenRecord | None:
        if not (_is_private(self._home, True) and _is_private(self._database, False)):
            return None
        try:
            connection = sqlite3.connect(self._database, timeout=60)
        except sqlite3.Error:
            return None
        try:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            if revision is None or revision[0] != SCHEMA_HEAD:
                return None
            if account is None:
                row = connection.execute(
                    _QUERY + " ORDER BY activation DESC, account LIMIT 1", (provider,)
                ).fetchone()
            else:
                row = connection.execute(_QUERY + " AND account = ?", (provider, account)).fetchone()
        except sqlite3.Error:
            return None
        finally:
            connection.close()
        if row is None:
            return None
        kind, api_key, access_token, has_refresh, custom_data, expires_at, needs_login = row
        if kind == "api_key":
            return TokenRecord(kind, api_key, None, bool(needs_login), False)
        if kind == "oauth":
            return TokenRecord(kind, access_token, expires_at, bool(needs_login), bool(has_refresh))
        if kind == "custom":
            import json

            return TokenRecord(kind, None, None, bool(needs_login), False, json.loads(custom_data))
        return None
