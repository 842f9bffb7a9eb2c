"""The one place where adapters are chosen and wired to the use cases.

Imports of heavy adapters (SQLAlchemy, httpx) stay inside the functions that need
them, so a command pays only for what it uses.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from code_mesh.adapters.clock import SystemClock
from code_mesh.adapters.files.home import Home, prepare_home, resolve_home
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.text import one_line
from code_mesh.entrypoints.output import notice, warn

if TYPE_CHECKING:
    from code_mesh.adapters.crypto.field_cipher import FieldCipher
    from code_mesh.adapters.providers.chat_http import HttpChatClient
    from code_mesh.adapters.providers.oauth_http import HttpOAuthGateway
    from code_mesh.adapters.store.sqlite_store import SqliteCredentialStore
    from code_mesh.application.ports import KeyVault
    from code_mesh.application.refresh import Refresher
    from code_mesh.application.settings import Settings
    from code_mesh.domain.credentials import OAuthToken, StoredCredential


def environment() -> Mapping[str, str]:
    return os.environ


def home() -> Home:
    return resolve_home(environment())


def _take_over_auth_json(source: Path, taken: list[int]) -> Callable[[Path], None]:
    """First use: import the auth.json a Code Mesh CLI left in the home, all or none.

    The number imported is appended to `taken`; the caller says so once the new store is
    in place (a full disk can still stop it after the import)."""

    def populate(new_store: Path) -> None:
        from code_mesh.adapters.files.auth_json import detect_format
        from code_mesh.adapters.files.text_input import AUTH_JSON_LIMIT, UnreadableText, read_text_file
        from code_mesh.adapters.store.sqlite_store import SqliteCredentialStore
        from code_mesh.application.import_credentials import import_credentials

        try:
            text = read_text_file(source, AUTH_JSON_LIMIT)
        except UnreadableText as error:
            raise CodeMeshError(
                f"Found {source} from an earlier Code Mesh but it {error.problem}; no store was created",
                f"{error.next_step}, or move the file aside",
            ) from None
        try:
            entries = detect_format(text).decode(text)
        except CodeMeshError as error:
            raise CodeMeshError(
                f"Found {source} from an earlier Code Mesh but cannot take it over: {error.message}; "
                "no store was created and the file is untouched",
                f"Fix or move {source} aside, then run the command again",
            ) from None
        store = SqliteCredentialStore(new_store, _cipher(new_store))
        try:
            import_credentials(store, entries)
        finally:
            store.dispose()
        taken.append(len(entries))

    return populate


def _choose_protection(database: Path) -> dict[str, str]:
    """For a store that has not recorded it: how its secrets will be protected (SPEC section 8)."""
    from code_mesh.adapters.crypto.key_vaults import keychain_usable, new_salt
    from code_mesh.adapters.store import store_meta

    if store_meta.read_meta(database).get(store_meta.PROTECTION):
        return {}
    if environment().get("CODE_MESH_PASSPHRASE"):
        return {store_meta.PROTECTION: store_meta.PASSPHRASE, store_meta.PASSPHRASE_SALTS: new_salt()}
    if keychain_usable():
        return {store_meta.PROTECTION: store_meta.KEYCHAIN}
    return {store_meta.PROTECTION: store_meta.KEYFILE}


def _announce_key_file(vault: KeyVault) -> None:
    """The fallback is said plainly, once: when the key file is made (it is made only once)."""
    from code_mesh.adapters.crypto.key_vaults import KeyFileVault

    if isinstance(vault, KeyFileVault):
        notice(
            f"No OS keychain is available here, so the key that encrypts your credentials is kept in "
            f"{vault.path} (mode 0600). Back it up: without it the stored secrets cannot be read."
        )


def _vault_for(database: Path, meta: Mapping[str, str]) -> KeyVault:
    from code_mesh.adapters.crypto.key_vaults import KeychainVault, KeyFileVault, PassphraseVault
    from code_mesh.adapters.store import store_meta
    from code_mesh.domain.errors import KeyUnavailable

    mode = store_meta.read_meta(database).get(store_meta.PROTECTION) or meta.get(store_meta.PROTECTION)
    if mode == store_meta.PASSPHRASE:
        passphrase = environment().get("CODE_MESH_PASSPHRASE")
        if not passphrase:
            raise KeyUnavailable(
                "This store's key is derived from a passphrase, and CODE_MESH_PASSPHRASE is not set",
                "Set CODE_MESH_PASSPHRASE to the passphrase the store was made with",
            )
        pending = meta.get(store_meta.PASSPHRASE_SALTS, "").split()
        return PassphraseVault(passphrase, database, pending)
    if mode == store_meta.KEYCHAIN:
        return KeychainVault(home().root)
    return KeyFileVault(home().root / "key")


def _cipher(database: Path, meta: Mapping[str, str] | None = None) -> FieldCipher:
    from code_mesh.adapters.crypto.field_cipher import FieldCipher
    from code_mesh.adapters.store.store_meta import nothing_sealed

    return FieldCipher(
        lambda: _vault_for(database, meta or {}), lambda: nothing_sealed(database), _announce_key_file
    )


def _migration_attributes(database: Path) -> dict[str, object]:
    meta = _choose_protection(database)
    return {"meta": meta, "seal": _cipher(database, meta).seal}


@functools.cache
def open_store() -> SqliteCredentialStore:
    """The store in the home directory, private, migrated, its secrets sealed with the vault's key."""
    from code_mesh.adapters.store.schema_migrator import ensure_schema
    from code_mesh.adapters.store.sqlite_store import SqliteCredentialStore

    where = home()
    prepare_home(where, warn)
    taking_over = where.auth_json if where.auth_json.is_file() else None
    taken: list[int] = []
    populate = _take_over_auth_json(taking_over, taken) if taking_over else None
    created = ensure_schema(
        where.database, where.schema_lock, populate, _migration_attributes, taking_over=taking_over
    )
    if created and taken:
        notice(f"Took over {taken[0]} credential(s) from {taking_over} (first use).")
    return SqliteCredentialStore(where.database, _cipher(where.database))


def key_vault() -> KeyVault:
    """The vault of the store in the home directory (opened, so migrated, first)."""
    open_store()
    return _vault_for(home().database, {})


def protection() -> str:
    from code_mesh.adapters.store.store_meta import PROTECTION, describe_protection, read_meta

    return describe_protection(read_meta(home().database).get(PROTECTION), home().root)


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
    """How this provider's OAuth credentials are refreshed."""
    from code_mesh.application.provider_endpoints import (
        anthropic_endpoints,
        copilot_endpoints,
        standard_endpoints,
    )
    from code_mesh.application.refresh import CopilotRefresher, TokenEndpointRefresher

    config = settings()
    provider_settings = config.provider(provider)
    if provider == "anthropic":
        return TokenEndpointRefresher(gateway(), anthropic_endpoints(provider_settings).token)
    if provider == "github-copilot":
        return CopilotRefresher(gateway(), copilot_endpoints(provider_settings).copilot_token_url)
    endpoints = standard_endpoints(provider, provider_settings, config.source)
    return TokenEndpointRefresher(gateway(), endpoints.token)


def refresh(provider: ProviderId, account: AccountName | None, *, force: bool = False) -> StoredCredential:
    """Single-flight refresh of a stored credential (see application/refresh.py)."""
    from code_mesh.adapters.store.file_lock import FileCredentialLocks
    from code_mesh.application.refresh import refresh_credential

    store = open_store()
    return refresh_credential(
        store,
        FileCredentialLocks(home().locks),
        _LazyRefresher(provider),
        clock(),
        provider,
        account,
        force=force,
        lock_wait=oauth_timeout() + LOCK_WAIT_MARGIN_SECONDS,
    )


class _LazyRefresher:
    """Builds the real refresher (and imports httpx) only when a refresh actually happens."""

    def __init__(self, provider: ProviderId) -> None:
        self._provider = provider

    def refresh(self, credential: OAuthToken, now: float) -> OAuthToken:
        return refresher_for(self._provider).refresh(credential, now)
