"""The read-only fast paths' view of a personal store, on the standard library's sqlite3.

It answers only when everything is ordinary: the home and every file in it private and the
user's own (each checked where a symlink leads), no writer's temporary file left over, the
store there and its schema at head. Anything else and `open_ordinary_store` returns None, and
the full path (which narrows permissions, tidies, migrates, creates and explains) takes over.
It never writes and never creates the store.

`summaries` is the full store's `summaries` (adapters/store/sql_store.py) in SQL of its own:
the same columns, the same order, the same `locked` (SPEC section 8) told without the key.

SqliteTokenReader is the narrow read port of `auth token` (and `exec`): one credential's token
fields, its secret opened when the key is cheap to reach (a key file, or a passphrase on a
passphrase store) and the secret opens cleanly; else None. Its only import beyond the standard
library is the AES-GCM primitive. One module for all of it: every module is a tenth of a
millisecond on the token path.
"""

from __future__ import annotations

import os
import stat

from code_mesh.adapters.store.schema_revision import SCHEMA_HEAD
from code_mesh.adapters.store.sqlite_connect import connect, sqlite3

TYPE_CHECKING = False  # not `from typing import`: typing costs a read path ~6 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

    from code_mesh.application.fresh_token import TokenRecord
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
        from code_mesh.application.fresh_token import TokenRecord

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
