"""The read-only fast paths' view of a personal store, on the standard library's sqlite3.

It answers only when everything is ordinary: the home and every file in it private and the
user's own (each checked where a symlink leads), no writer's temporary file left over, the
store there and its schema at head. Anything else and `open_ordinary_store` returns None, and
the full path (which narrows permissions, tidies, migrates, creates and explains) takes over.
It never writes and never creates the store.

`summaries` is the full store's `summaries` (adapters/store/sql_store.py) in SQL of its own:
the same columns, the same order, the same `locked` (SPEC section 8) told without the key.
"""

from __future__ import annotations

import os
import stat

from code_mesh.adapters.store.schema_revision import SCHEMA_HEAD
from code_mesh.adapters.store.sqlite_connect import connect, sqlite3

TYPE_CHECKING = False  # not `from typing import`: typing costs a read path ~6 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

    from code_mesh.domain.credential_summary import CredentialSummary

# What only summaries need is imported there: the `auth token` path opens the store here too.

_PRIVATE = 0o077
_SUMMARY_QUERY = (
    "SELECT provider, account, type, expires_at, has_refresh_token, needs_login,"
    " substr(api_key, 1, 40), substr(access_token, 1, 40), substr(custom_data, 1, 40)"
    " FROM credentials"
)
_ORDER = " ORDER BY provider, activation DESC, account"
_SEALED_SAMPLE = (
    "SELECT api_key, access_token, custom_data FROM credentials WHERE api_key LIKE 'cm1:%' "
    "OR access_token LIKE 'cm1:%' OR custom_data LIKE 'cm1:%' LIMIT 1"
)


def is_private(path: str, want_directory: bool) -> bool:
    """The user's own regular file (or directory), readable by nobody else, where a link leads."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if want_directory else stat.S_ISREG(info.st_mode)
    return kind_ok and not info.st_mode & _PRIVATE and info.st_uid == os.getuid()


def _settled(home: str) -> bool:
    """Nothing in the home the full path would narrow, refuse or tidy away (adapters/files/home.py)."""
    if not is_private(home, True):
        return False
    try:
        entries = list(os.scandir(home))
    except OSError:
        return False
    for entry in entries:
        name = entry.name
        if name.startswith(".") and (name.endswith(".tmp") or name.startswith(".auth.db.new-")):
            return False  # a writer at work, or one that died: the full path decides which
        try:
            info = os.stat(entry.path)
        except FileNotFoundError:
            continue  # another process's -wal/-shm went away meanwhile, as the full path allows
        except OSError:
            return False
        regular_or_directory = stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)
        if not regular_or_directory or info.st_mode & _PRIVATE or info.st_uid != os.getuid():
            return False
    return True


class OrdinaryStore:
    """An open, current personal store: its meta rows, and the reads the fast paths make."""

    def __init__(self, home: str, connection: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.home = home
        self.database = os.path.join(home, "auth.db")
        self.connection = connection
        self.meta = meta

    def close(self) -> None:
        self.connection.close()

    def key_id(self) -> str | None:
        """The store's key id (store_meta.KeyRecord): recorded, else that of a sealed value."""
        from code_mesh.adapters.crypto.key_list import sealed_key_id

        recorded = self.meta.get("key_id")
        if recorded or not self.meta.get("protection"):
            return recorded or None
        sample = self.connection.execute(_SEALED_SAMPLE).fetchone() or ()
        return next(filter(None, map(sealed_key_id, sample)), None)

    def protection(self) -> str:
        """`auth list`'s Secrets: line, as bootstrap.protection() says it for a personal store."""
        from code_mesh.adapters.store.protection_words import protection_words

        return protection_words(self.meta.get("protection") or None, self.key_id() is not None, self.home)

    def summaries(self, environ: Mapping[str, str], provider: str | None = None) -> list[CredentialSummary]:
        """SqlRepository.summaries: by provider, the active account first, then by account."""
        from code_mesh.adapters.crypto.key_list import sealed_key_id
        from code_mesh.domain.credential_summary import CredentialSummary

        if provider is None:
            rows = self.connection.execute(_SUMMARY_QUERY + _ORDER).fetchall()
        else:
            rows = self.connection.execute(
                _SUMMARY_QUERY + " WHERE provider = ?" + _ORDER, (provider,)
            ).fetchall()
        lacks = _KeyAvailability(self.home, self.meta, environ)
        result = []
        previous = None
        for name, account, kind, expires_at, can_refresh, needs_login, *sealed in rows:
            key_ids = frozenset(filter(None, map(sealed_key_id, sealed)))
            result.append(
                CredentialSummary(
                    name,
                    account,
                    kind,
                    expires_at,
                    bool(can_refresh),
                    bool(needs_login),
                    name != previous,
                    locked=lacks(key_ids),
                )
            )
            previous = name
        return sorted(result, key=lambda c: (c.provider, not c.active, c.account))


class _KeyAvailability:
    """FieldCipher.lacks_keys with bootstrap's vault choice, without a vault: whether the keys named
    are certainly not at hand. Never derives or decrypts; a keychain is never asked (not cheap)."""

    def __init__(self, home: str, meta: Mapping[str, str], environ: Mapping[str, str]) -> None:
        self._home = home
        self._protection = meta.get("protection") or None
        passphrase = environ.get("CODE_MESH_PASSPHRASE")
        self._passphrase_set = bool(passphrase)
        self._passphrase_usable = bool(passphrase) and _is_text(passphrase)
        self._known: frozenset[str] | None = None
        self._read = False

    def __call__(self, wanted: frozenset[str]) -> bool:
        from code_mesh.adapters.store.protection_words import KEYCHAIN, PASSPHRASE

        if not wanted or self._protection == KEYCHAIN:
            return False
        if self._protection == PASSPHRASE:
            return not self._passphrase_usable  # a passphrase vault cannot tell its keys cheaply
        if self._passphrase_set:
            return True  # a passphrase set for a store that has none: no vault is had
        known = self._key_file_ids()
        return known is not None and not wanted <= known

    def _key_file_ids(self) -> frozenset[str] | None:
        if not self._read:
            self._read = True
            from code_mesh.adapters.crypto.key_list import parse_key_list

            path = os.path.join(self._home, "key")
            try:
                with open(path, encoding="utf-8") as handle:  # not "ascii": one codec less to import
                    self._known = frozenset(key_id for key_id, _ in parse_key_list(handle.read()))
            except FileNotFoundError:
                self._known = frozenset()
            except (OSError, ValueError):
                self._known = None  # unreadable or damaged: not "certainly lacking"
        return self._known


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def open_ordinary_store(home: str) -> OrdinaryStore | None:
    """The store in `home` when it is ordinary (see the module's docstring), else None."""
    database = os.path.join(home, "auth.db")
    if not (_settled(home) and is_private(database, False)):
        return None
    try:
        connection = connect(database)
    except sqlite3.Error:
        return None
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != SCHEMA_HEAD:
            connection.close()
            return None
        meta = dict(connection.execute("SELECT name, value FROM store_meta").fetchall())
    except sqlite3.Error:
        connection.close()
        return None
    return OrdinaryStore(home, connection, meta)
