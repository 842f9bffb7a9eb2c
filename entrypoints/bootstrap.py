"""The one place where adapters are chosen and wired to the use cases.

Imports of heavy adapters (SQLAlchemy, httpx) stay inside the functions that need
them, so a command pays only for what it uses.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from code_mesh.adapters.clock import SystemClock
from code_mesh.adapters.files.home import Home, prepare_home, resolve_home
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.text import one_line
from code_mesh.domain.wording import counted
from code_mesh.entrypoints.output import notice, warn

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from code_mesh.adapters.crypto.field_cipher import FieldCipher
    from code_mesh.adapters.providers.chat_http import HttpChatClient
    from code_mesh.adapters.providers.oauth_http import HttpOAuthGateway
    from code_mesh.adapters.store.advisory_locks import PostgresKeyLock
    from code_mesh.adapters.store.file_lock import FileKeyLock
    from code_mesh.adapters.store.sql_store import SqlCredentialStore
    from code_mesh.adapters.store.store_meta import KeyRecord
    from code_mesh.application.doctor import StoreInspector
    from code_mesh.application.ports import KeyVault, NewTeamKey
    from code_mesh.application.refresh import Refresher
    from code_mesh.application.settings import Settings
    from code_mesh.domain.credentials import OAuthToken, StoredCredential
    from code_mesh.domain.secret import Secret


def environment() -> Mapping[str, str]:
    return os.environ


def home() -> Home:
    return resolve_home(environment())


@dataclass
class _FirstUse:
    """What first use did with the home's auth.json; said once the new store is in place (a
    full disk can still stop it after the import)."""

    taken: int | None = None
    left_alone: bool = False


def _take_over_auth_json(source: Path, outcome: _FirstUse) -> Callable[[Path], None]:
    """First use: import the auth.json a Code Mesh CLI left in the home, all or none; but
    never one that code-mesh's own `auth export` wrote (SPEC section 1): deleting auth.db must
    not bring back an old plaintext copy of it."""

    def populate(new_store: Path) -> None:
        from code_mesh.adapters.files.auth_json import detect_format, written_by_code_mesh
        from code_mesh.adapters.files.text_input import AUTH_JSON_LIMIT, UnreadableText, read_text_file
        from code_mesh.adapters.store.sql_store import SqlCredentialStore
        from code_mesh.application.import_credentials import import_credentials, screen_metadata_urls
        from code_mesh.entrypoints.arguments import note_aliases

        try:
            text = read_text_file(source, AUTH_JSON_LIMIT)
        except UnreadableText as error:
            raise CodeMeshError(
                f"Found {source} from an earlier Code Mesh but it {error.problem}; no store was created",
                f"{error.next_step}, or move the file aside",
            ) from None
        if written_by_code_mesh(text):
            outcome.left_alone = True
            return
        try:
            entries = detect_format(text).decode(text)
        except CodeMeshError as error:
            raise CodeMeshError(
                f"Found {source} from an earlier Code Mesh but cannot take it over: {error.message}; "
                "no store was created and the file is untouched",
                f"Fix or move {source} aside, then run the command again",
            ) from None
        note_aliases(entry.written_as for entry in entries)
        entries, dropped = screen_metadata_urls(entries, settings().provider)
        for line in dropped:
            warn(line)
        store = SqlCredentialStore.sqlite(new_store, _cipher(), key_lock=key_lock())
        try:
            import_credentials(store, entries)
        finally:
            store.dispose()
        outcome.taken = len(entries)

    return populate


def _protection_for_new_key() -> str:
    """How a store's first key is kept (SPEC section 8), decided when that key is made."""
    from code_mesh.adapters.crypto.key_vaults import keychain_usable
    from code_mesh.adapters.store import store_meta

    if _passphrase() is not None:
        return store_meta.PASSPHRASE
    if keychain_usable():
        return store_meta.KEYCHAIN
    return store_meta.KEYFILE


def _passphrase() -> str | None:
    """CODE_MESH_PASSPHRASE, or None; one line (never quoting it) when it is not UTF-8 text."""
    from code_mesh.domain.errors import KeyUnavailable

    value = environment().get("CODE_MESH_PASSPHRASE")
    if not value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise KeyUnavailable(
            "CODE_MESH_PASSPHRASE holds bytes that are not UTF-8 text, so no key can be derived from it; "
            "nothing was changed",
            "Set it to the passphrase as UTF-8 text",
        ) from None
    return value


def _announce_key_file(vault: KeyVault) -> None:
    """The fallback is said plainly, once: when the key file is made (it is made only once)."""
    from code_mesh.adapters.crypto.key_vaults import KeyFileVault

    if isinstance(vault, KeyFileVault):
        notice(
            f"No OS keychain is available here, so the key that encrypts your credentials is kept in "
            f"{vault.path} (mode 0600). Back it up: without it the stored secrets cannot be read."
        )


def _save_salts(salts: list[str]) -> None:
    from code_mesh.adapters.store import store_meta

    store_meta.write_meta(home().database, {store_meta.PASSPHRASE_SALTS: " ".join(salts)})


def _vault_for(record: KeyRecord) -> KeyVault:
    """The vault the store's record names, as this process's environment reaches it."""
    from code_mesh.adapters.crypto.key_vaults import (
        START_OVER,
        KeychainVault,
        KeyFileVault,
        PassphraseVault,
        keychain_unavailable,
        keychain_usable,
    )
    from code_mesh.adapters.store import store_meta
    from code_mesh.domain.errors import KeyUnavailable

    passphrase = _passphrase()
    if record.protection == store_meta.PASSPHRASE:
        if passphrase is None:
            raise KeyUnavailable(
                "This store's key is derived from a passphrase, and CODE_MESH_PASSPHRASE is not set; "
                "nothing was changed",
                f"Set CODE_MESH_PASSPHRASE to the passphrase the store was made with, {START_OVER}",
            )
        return PassphraseVault(passphrase, record.salts, _save_salts)
    keychain = record.protection == store_meta.KEYCHAIN
    key_file = home().root / "key"
    if passphrase is not None:
        where = "the OS keychain" if keychain else f"the key file {key_file}"
        raise KeyUnavailable(
            f"CODE_MESH_PASSPHRASE is set, but this store's secrets are sealed with the key in {where}, "
            "not with a passphrase; nothing was changed",
            "Unset CODE_MESH_PASSPHRASE for this store (a passphrase store needs its own CODE_MESH_HOME)",
        )
    if keychain:
        if not keychain_usable():
            raise keychain_unavailable("no usable keyring backend in this session")
        return KeychainVault(home().root)
    return KeyFileVault(key_file)


def _cipher() -> FieldCipher:
    from code_mesh.adapters.crypto.field_cipher import FieldCipher
    from code_mesh.adapters.crypto.key_vaults import new_salt

    return FieldCipher(_vault_for, _protection_for_new_key, new_salt, _announce_key_file)


def _holds_plain_rows(database: Path) -> bool:
    """A store from before encryption (schema 0001) with credentials in it."""
    import sqlite3

    try:
        connection = sqlite3.connect(database, timeout=60)
    except sqlite3.Error:
        return False
    try:
        return connection.execute("SELECT 1 FROM credentials LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def _migration_attributes(database: Path) -> dict[str, object]:
    """What the 0002 migration needs to seal a plaintext store: its first key, made here, under
    the schema lock that every other process waits on while the store is not at head."""
    from code_mesh.adapters.store.store_meta import read_key_record

    record = read_key_record(database)
    if record.keyed or not _holds_plain_rows(database):
        return {}
    cipher = _cipher()
    key_id, first = cipher.sealing_key(record)
    assert first is not None
    return {
        "meta": first.as_meta(),
        "seal": lambda provider, account, field, value: cipher.seal(
            first, key_id, provider, account, field, value
        ),
    }


def key_lock() -> FileKeyLock | PostgresKeyLock:
    """The one lock over the store's key material (SPEC section 8; ports.KeyLock)."""
    if is_team():
        from code_mesh.adapters.store.advisory_locks import PostgresKeyLock

        engine, where, _ = _team_connection()
        return PostgresKeyLock(engine, where)
    return _file_key_lock()


def _file_key_lock() -> FileKeyLock:
    """The key lock of the home's SQLite store."""
    from code_mesh.adapters.store.file_lock import FileKeyLock

    return FileKeyLock(home().locks / "key.lock")


@functools.cache
def open_store() -> SqlCredentialStore:
    """The store: a team store when a database URL is set (SPEC section 13), else the one in the
    home directory, private, migrated, its secrets sealed with the vault's key."""
    if environment().get("CODE_MESH_DATABASE_URL"):
        return _team_store()
    from code_mesh.adapters.store.schema_migrator import ensure_schema
    from code_mesh.adapters.store.sql_store import SqlCredentialStore

    where = home()
    prepare_home(where, warn)  # before config.toml is read: a home that cannot be used says so
    if is_team():  # `[store] url`
        return _team_store()
    taking_over = where.auth_json if where.auth_json.is_file() else None
    first_use = _FirstUse()
    populate = _take_over_auth_json(taking_over, first_use) if taking_over else None
    created = ensure_schema(
        where.database, where.schema_lock, populate, _migration_attributes, taking_over=taking_over
    )
    if created and first_use.taken is not None:
        notice(f"Took over {counted(first_use.taken, 'credential')} from {taking_over} (first use).")
    if created and first_use.left_alone:
        notice(
            f"Left {taking_over} alone: code-mesh's own `auth export` wrote it, so it is not taken over "
            "on first use; `code-mesh auth import` brings it back."
        )
    return SqlCredentialStore.sqlite(where.database, _cipher(), key_lock=key_lock())


def key_vault() -> KeyVault:
    """The vault of the store, as its committed key record names it (call it under the key
    lock: a rotation changes that record)."""
    from code_mesh.adapters.store.store_meta import read_key_record

    store = open_store()
    if store.team:
        return _team_vault_for(store.key_record())
    return _vault_for(read_key_record(home().database))


def way_out_of_locked() -> str:
    """What to do about `locked` credentials, for this store's protection (SPEC section 8)."""
    from code_mesh.adapters.crypto.key_vaults import START_OVER
    from code_mesh.adapters.store import store_meta

    if is_team():
        if open_store().key_record().protection == store_meta.PASSPHRASE:
            return "Set CODE_MESH_PASSPHRASE to the team's current passphrase."
        return "Set CODE_MESH_KEY_FILE to the team's current key file (ask whoever keeps the team's key)."
    record = store_meta.read_key_record(home().database)
    if record.protection == store_meta.PASSPHRASE:
        first = "Set CODE_MESH_PASSPHRASE to the passphrase the store was made with"
    elif record.protection == store_meta.KEYCHAIN:
        first = "Unlock the OS keychain or restore its code-mesh entry"
    else:
        first = f"Restore the key file {home().root / 'key'} from your backup"
    if environment().get("CODE_MESH_PASSPHRASE") and record.protection != store_meta.PASSPHRASE:
        first = "Unset CODE_MESH_PASSPHRASE (this store does not use a passphrase)"
    return f"{first}, {START_OVER}."


def protection() -> str:
    from code_mesh.adapters.store import store_meta

    if is_team():
        record = open_store().key_record()
        if not record.keyed:
            return "not yet decided (no secret stored)"
        if record.protection == store_meta.PASSPHRASE:
            return "AES-256-GCM, team key derived from CODE_MESH_PASSPHRASE (scrypt, salt in the database)"
        named = environment().get("CODE_MESH_KEY_FILE")
        return f"AES-256-GCM, team key file {named or '(CODE_MESH_KEY_FILE is not set)'}"
    return store_meta.describe_protection(store_meta.read_key_record(home().database), home().root)


@functools.cache
def settings() -> Settings:
    from code_mesh.adapters.files.config_file import config_path, load_settings

    return load_settings(config_path(environment(), home().root))


def clock() -> SystemClock:
    return SystemClock()


OAUTH_TIMEOUT_SECONDS = 30.0
MAX_HTTP_TIMEOUT_SECONDS = 3600.0
LOCK_WAIT_MARGIN_SECONDS = 5.0
"""A process waiting for another's refresh waits this much longer than one exchange may take."""


def http_timeout(default: float) -> float:
    """CODE_MESH_HTTP_TIMEOUT in seconds (more than 0, at most an hour), else `default`."""
    configured = environment().get("CODE_MESH_HTTP_TIMEOUT")
    if not configured:
        return default
    try:
        timeout = float(configured)
    except ValueError:
        timeout = float("nan")
    if not 0 < timeout <= MAX_HTTP_TIMEOUT_SECONDS:  # NaN fails this too
        raise CodeMeshError(
            f"CODE_MESH_HTTP_TIMEOUT must be a number of seconds from 0 to 3600, not "
            f"{one_line(configured, 40)!r}",
            "Fix or unset the variable",
        )
    return timeout


def oauth_timeout() -> float:
    """The total time one OAuth exchange may take (no import of httpx just to know it)."""
    return http_timeout(OAUTH_TIMEOUT_SECONDS)


@functools.cache
def gateway() -> HttpOAuthGateway:
    from code_mesh.adapters.providers.oauth_http import HttpOAuthGateway

    return HttpOAuthGateway(timeout=oauth_timeout())


def chat_client() -> HttpChatClient:
    """For `run`: the timeout bounds the wait for the answer and for each piece of the reply."""
    from code_mesh.adapters.providers.chat_http import DEFAULT_PIECE_TIMEOUT_SECONDS, HttpChatClient

    return HttpChatClient(timeout=http_timeout(DEFAULT_PIECE_TIMEOUT_SECONDS))


def refresher_for(provider: ProviderId) -> Refresher:
    """How this provider's OAuth credentials are refreshed: a token exchange when its entry names
    one (Copilot: the GitHub token buys a new Copilot token), else its token endpoint."""
    from code_mesh.application.provider_endpoints import token_endpoint
    from code_mesh.application.refresh import CopilotRefresher, TokenEndpointRefresher

    config = settings()
    entry = config.provider(provider)
    if entry.copilot_token_url:
        return CopilotRefresher(gateway(), entry.copilot_token_url)
    return TokenEndpointRefresher(gateway(), token_endpoint(entry, config.source))


def refresh(
    provider: ProviderId, account: AccountName | None, *, force: bool = False, margin: float | None = None
) -> StoredCredential:
    """Single-flight refresh of a stored credential (see application/refresh.py): a lock file per
    credential on SQLite, an advisory lock on a team store (one refresh across machines); `margin`:
    refresh when fewer seconds than this are left (default 5 minutes)."""
    from code_mesh.adapters.store.advisory_locks import PostgresCredentialLocks
    from code_mesh.adapters.store.file_lock import FileCredentialLocks
    from code_mesh.application.refresh import refresh_credential
    from code_mesh.domain.rules import REFRESH_MARGIN_SECONDS

    store = open_store()
    locks = (
        PostgresCredentialLocks(*_team_connection()[:2]) if store.team else FileCredentialLocks(home().locks)
    )
    return refresh_credential(
        store,
        locks,
        _LazyRefresher(provider),
        clock(),
        provider,
        account,
        force=force,
        lock_wait=oauth_timeout() + LOCK_WAIT_MARGIN_SECONDS,
        margin=REFRESH_MARGIN_SECONDS if margin is None else margin,
    )


class _LazyRefresher:
    """Builds the real refresher (and imports httpx) only when a refresh actually happens."""

    def __init__(self, provider: ProviderId) -> None:
        self._provider = provider

    def refresh(self, credential: OAuthToken, now: float) -> OAuthToken:
        return refresher_for(self._provider).refresh(credential, now)


def reset() -> None:
    """Forget what a run cached (the open store, the settings, the HTTP client), so a program
    that runs the CLI more than once in one process (tests do) starts every run afresh."""
    if open_store.cache_info().currsize:
        open_store().dispose()
    if gateway.cache_info().currsize:
        gateway().close()
    open_store.cache_clear()
    settings.cache_clear()
    gateway.cache_clear()
    if _team_connection.cache_info().currsize:
        _team_connection()[0].dispose()
    _team_connection.cache_clear()


def store_as_found() -> SqlCredentialStore:
    """The home's store opened for reading only, as it is (`auth doctor`): never created,
    migrated, or its files narrowed; the caller has seen that it exists at the current schema."""
    from code_mesh.adapters.store.sql_store import SqlCredentialStore
    from code_mesh.adapters.store.sqlite_engine import make_engine

    database = home().database
    return SqlCredentialStore.sqlite(
        database, _cipher(), engine=make_engine(database, looking_only=True), key_lock=_file_key_lock()
    )


# The team store (SPEC section 13) ---------------------------------------------------------------

TEAM_WAY_OUT = "or ask whoever keeps the team's key for it"
"""A team store's second way out of a lost key: never "start over" (it would wipe the team's)."""


def team_url_setting() -> tuple[Secret, str] | None:
    """The team store's URL and where it was set: CODE_MESH_DATABASE_URL beats `[store] url`."""
    from code_mesh.domain.secret import Secret

    value = environment().get("CODE_MESH_DATABASE_URL")
    if value:
        return Secret(value), "CODE_MESH_DATABASE_URL"
    config = settings()
    if config.store_url is not None:
        return config.store_url, f"[store] url in {config.source}"
    return None


def is_team() -> bool:
    return team_url_setting() is not None


@functools.cache
def _team_connection() -> tuple[Engine, str, tuple[str, ...]]:
    """The engine on the process's one connection (opened on first use), the URL to show, and
    the password never to show."""
    from code_mesh.adapters.store.postgres_connect import display_url, make_team_engine, team_url

    setting = team_url_setting()
    assert setting is not None
    url = team_url(*setting)
    return make_team_engine(url), display_url(url), tuple(p for p in (url.password,) if p)


def _team_key_file() -> Path | None:
    """CODE_MESH_KEY_FILE: it may be a symlink and read-only (a secret mount), but a file that
    group or others can write could be replaced under the team's feet, so it is refused."""
    named = environment().get("CODE_MESH_KEY_FILE")
    return _checked_key_file(Path(named)) if named else None


def _checked_key_file(path: Path) -> Path:
    """`path`, absolute, unless it is something a team key file must not be."""
    import stat

    from code_mesh.domain.errors import KeyUnavailable

    path = path.expanduser().absolute()
    try:
        info = path.stat()
    except FileNotFoundError:
        return path  # the first member's code-mesh makes it (when nothing is sealed yet)
    except OSError as error:
        raise KeyUnavailable(
            f"Cannot read the team key file {path} ({error.strerror or error}); nothing was changed",
            "Check CODE_MESH_KEY_FILE and the file's permissions",
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyUnavailable(
            f"The team key file {path} is not a regular file; nothing was changed", "Check CODE_MESH_KEY_FILE"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise KeyUnavailable(
            f"The team key file {path} can be written by group or others (mode {mode:04o}), so code-mesh "
            "will not use it; nothing was changed",
            f"Run `chmod go-w {path}` (0600, or 0400 for a read-only mount)",
        )
    return path


def _require_team_key() -> None:
    """A team store is refused without a team key (never the machine's keychain)."""
    from code_mesh.domain.errors import KeyUnavailable

    passphrase, key_file = _passphrase(), _team_key_file()
    if passphrase is None and key_file is None:
        raise KeyUnavailable(
            f"The team store {_team_connection()[1]} needs the team key, and neither CODE_MESH_PASSPHRASE "
            "nor CODE_MESH_KEY_FILE is set; nothing was changed",
            "Set CODE_MESH_PASSPHRASE to the team's passphrase, or CODE_MESH_KEY_FILE to the team's key file",
        )
    if passphrase is not None and key_file is not None:
        raise KeyUnavailable(
            "Both CODE_MESH_PASSPHRASE and CODE_MESH_KEY_FILE are set, so it is not clear which is the team "
            "key; nothing was changed",
            "Unset one of them",
        )


def _team_protection_for_new_key() -> str:
    from code_mesh.adapters.store import store_meta

    return store_meta.PASSPHRASE if _passphrase() is not None else store_meta.KEYFILE


def _team_vault_for(record: KeyRecord) -> KeyVault:
    """The vault the team store's record names, as this member's environment reaches it."""
    from code_mesh.adapters.crypto.key_vaults import KeyFileVault, PassphraseVault
    from code_mesh.adapters.store import store_meta
    from code_mesh.domain.errors import KeyUnavailable

    if record.protection == store_meta.PASSPHRASE:
        passphrase = _passphrase()
        if passphrase is None:
            raise KeyUnavailable(
                "This team store's key is derived from a passphrase, and CODE_MESH_PASSPHRASE is not set "
                "(CODE_MESH_KEY_FILE is); nothing was changed",
                "Set CODE_MESH_PASSPHRASE to the team's passphrase instead",
            )
        return PassphraseVault(passphrase, record.salts, _team_save_salts, TEAM_WAY_OUT)
    if record.protection == store_meta.KEYFILE:
        key_file = _team_key_file()
        if key_file is None:
            raise KeyUnavailable(
                "This team store's secrets are sealed with a team key file, and CODE_MESH_KEY_FILE is not "
                "set (CODE_MESH_PASSPHRASE is); nothing was changed",
                "Set CODE_MESH_KEY_FILE to the team's key file instead",
            )
        return KeyFileVault(key_file, TEAM_WAY_OUT)
    raise KeyUnavailable(
        f"This team store's secrets are protected in a way this code-mesh does not know "
        f"({record.protection})",
        "Upgrade code-mesh",
    )


def _team_save_salts(salts: list[str]) -> None:
    from code_mesh.adapters.store import store_meta

    open_store().write_meta({store_meta.PASSPHRASE_SALTS: " ".join(salts)})


def _announce_team_key_file(vault: KeyVault) -> None:
    from code_mesh.adapters.crypto.key_vaults import KeyFileVault

    if isinstance(vault, KeyFileVault):
        notice(
            f"Made the team key file {vault.path} (mode 0600): every member of the team store needs a copy, "
            "named by CODE_MESH_KEY_FILE. Share it privately and back it up: without it the team's "
            "secrets cannot be read."
        )


def _team_cipher() -> FieldCipher:
    from code_mesh.adapters.crypto.field_cipher import FieldCipher
    from code_mesh.adapters.crypto.key_vaults import new_salt

    return FieldCipher(_team_vault_for, _team_protection_for_new_key, new_salt, _announce_team_key_file)


def _team_store() -> SqlCredentialStore:
    """The team store, at head: never migrated here (`store migrate` does that, so one member's
    upgrade cannot lock out the fleet), and no first-use import (that is for a personal store)."""
    from code_mesh.adapters.store.dialects import PostgresDialect
    from code_mesh.adapters.store.sql_store import SqlCredentialStore
    from code_mesh.adapters.store.team_schema import check_team_schema

    engine, where, secrets = _team_connection()
    _require_team_key()
    check_team_schema(engine, where)
    return SqlCredentialStore(PostgresDialect(engine, where, secrets), _team_cipher())


def migrate_store() -> tuple[str, str | None, str | None]:
    """`store migrate`: (where, the team store's revision before or "sqlite", the team key id when
    this recorded the store's first key)."""
    from code_mesh.adapters.store.team_schema import migrate_team_store

    if not is_team():
        return open_store().location, "sqlite", None
    engine, where, _ = _team_connection()
    _require_team_key()
    before = migrate_team_store(engine, where)
    return where, before, open_store().ensure_key()


def store_inspector() -> StoreInspector:
    """What `auth doctor` asks of the store's own files or database (made before it is opened)."""
    from code_mesh.adapters.store.store_inspection import SqliteInspector, TeamInspector
    from code_mesh.adapters.store.team_schema import read_team_revision

    if not is_team():
        return SqliteInspector(home())

    def revision() -> str | None:
        engine = _team_connection()[0]
        with engine.connect() as connection, connection.begin():
            return read_team_revision(connection)

    return TeamInspector(home(), revision, protection)


def store_location() -> str:
    return _team_connection()[1] if is_team() else str(home().database)


def reads_audited() -> bool:
    from code_mesh.application.audit import reads_audited as decide

    return decide(settings().audit_reads, open_store())


def new_team_key(passphrase: Secret | None, key_file: Path | None) -> NewTeamKey:
    """The team's next key: from a new passphrase (and a new salt), or a key file (made when it
    does not exist yet, else its newest key)."""
    from code_mesh.adapters.crypto.key_list import derive_key, key_id
    from code_mesh.adapters.crypto.key_vaults import KeyFileVault, new_salt
    from code_mesh.adapters.store import store_meta
    from code_mesh.application.ports import NewTeamKey

    if passphrase is not None:
        salt = new_salt()
        key = derive_key(passphrase.reveal(), salt)
        return NewTeamKey(store_meta.PASSPHRASE, (salt,), key_id(key), key)
    assert key_file is not None
    vault = KeyFileVault(_checked_key_file(key_file), TEAM_WAY_OUT)
    identifier, _ = vault.ensure_key()
    key = vault.key(identifier)
    assert key is not None
    return NewTeamKey(store_meta.KEYFILE, (), identifier, key)
