"""The CredentialStore on SQLAlchemy Core: one adapter for SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.debug_log import logger
from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.adapters.store.sqlite_engine import BEGIN_OPTION, make_engine
from code_mesh.adapters.store.store_meta import (
    KEY_ID,
    KEY_ROWS,
    PROTECTION,
    SEALED_SAMPLE_QUERY,
    KeyRecord,
    read_key_record,
    sealed_key_id,
)
from code_mesh.adapters.store.tables import credentials as table
from code_mesh.application.ports import CredentialWrite, KeyLock, Reencryption, Unreadable
from code_mesh.domain.credentials import (
    ApiKey,
    Credential,
    CredentialSummary,
    Custom,
    OAuthToken,
    StoredCredential,
)
from code_mesh.domain.errors import DiskFull, KeyUnavailable, SecretDoesNotDecrypt, StoreUnavailable
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret

if TYPE_CHECKING:
    from code_mesh.adapters.crypto.field_cipher import FieldCipher

SECRET_COLUMNS = ("api_key", "access_token", "refresh_token", "custom_data")
"""The only columns that hold secrets; each is sealed on its own (SPEC section 8)."""

CANNOT_OPEN = (SecretDoesNotDecrypt, KeyUnavailable)
"""What opening one row's secrets can fail with; either leaves the other rows usable."""


class _TransactionKeys:
    """The store's key record as one transaction sees it (read with the rows, written with them)."""

    def __init__(self, connection: Connection, cipher: FieldCipher | None) -> None:
        self._connection = connection
        self._cipher = cipher
        self._record: KeyRecord | None = None
        self._sealing_key: str | None = None
        self._lacks: dict[frozenset[str], bool] = {}

    def record(self) -> KeyRecord:
        if self._record is None:
            meta = {
                name: value
                for name, value in self._connection.execute(text("SELECT name, value FROM store_meta"))
            }
            sample: tuple[str | None, ...] = ()
            if not meta.get(KEY_ID) and meta.get(PROTECTION):
                sample = tuple(self._connection.execute(text(SEALED_SAMPLE_QUERY)).first() or ())
            self._record = KeyRecord.from_meta(meta, sample)
        return self._record

    def _write(self, record: KeyRecord) -> None:
        self._connection.execute(
            text("DELETE FROM store_meta WHERE name IN (:a, :b, :c)"), dict(zip("abc", KEY_ROWS, strict=True))
        )
        values = record.as_meta()
        if values:
            self._connection.execute(
                text("INSERT INTO store_meta (name, value) VALUES (:name, :value)"),
                [{"name": name, "value": value} for name, value in values.items()],
            )
        self._record = record

    def seal(self, provider: str, account: str, field: str, value: str, key_id: str | None = None) -> str:
        if self._cipher is None:
            return value
        if key_id is None:
            if self._sealing_key is None:
                identifier, first = self._cipher.sealing_key(self.record())
                if first is not None:
                    _log.debug("first key %s (%s)", identifier, first.protection)
                    self._write(first)
                self._sealing_key = identifier
            key_id = self._sealing_key
        return self._cipher.seal(self.record(), key_id, provider, account, field, value)

    def open(self, provider: str, account: str, field: str, value: str) -> str:
        if self._cipher is None:
            return value
        return self._cipher.open(self.record(), provider, account, field, value)

    def lacks(self, key_ids: Iterable[str | None]) -> bool:
        if self._cipher is None:
            return False
        wanted = frozenset(filter(None, key_ids))
        if wanted not in self._lacks:
            self._lacks[wanted] = self._cipher.lacks_keys(self.record(), wanted)
        return self._lacks[wanted]

    def record_key(self, key_id: str) -> None:
        """After a re-seal: `key_id` is the key new secrets are sealed with."""
        current = self.record()
        self._write(KeyRecord(current.protection, current.salts, key_id))

    def forget(self) -> None:
        """No credential is left: the next seal decides the protection and the key afresh
        (`auth logout --all --yes` is the way to start over after a lost key)."""
        if self.record() != KeyRecord():
            _log.debug("store is empty: forget its key record")
            self._write(KeyRecord())


class _Fields:
    """Seals or opens one row's secret columns."""

    def __init__(self, keys: _TransactionKeys, provider: str, account: str) -> None:
        self._keys = keys
        self._provider = provider
        self._account = account

    def seal(self, column: str, value: str | None, key_id: str | None = None) -> str | None:
        if value is None:
            return value
        return self._keys.seal(self._provider, self._account, column, value, key_id)

    def open(self, column: str, value: str | None) -> str | None:
        if value is None:
            return value
        return self._keys.open(self._provider, self._account, column, value)


def credential_from_row(row: Any, keys: _TransactionKeys) -> Credential:
    """Rebuild the domain credential from a row of the credentials table."""
    fields = _Fields(keys, row.provider, row.account)
    if row.type == ApiKey.type:
        return ApiKey(Secret(fields.open("api_key", row.api_key) or ""))
    if row.type == OAuthToken.type:
        refresh = fields.open("refresh_token", row.refresh_token)
        return OAuthToken(
            access_token=Secret(fields.open("access_token", row.access_token) or ""),
            refresh_token=None if refresh is None else Secret(refresh),
            expires_at=row.expires_at,
            account_id=row.account_id,
            enterprise_url=row.enterprise_url,
            scopes=row.scopes,
        )
    if row.type == Custom.type:
        data = json.loads(fields.open("custom_data", row.custom_data) or "{}")
        return Custom({name: Secret(value) for name, value in data.items()})
    raise StoreUnavailable(
        f"The store holds a credential of unknown type {row.type!r} for {row.provider}",
        "Upgrade code-mesh",
    )


_CREDENTIAL_COLUMNS = (
    "type",
    "api_key",
    "access_token",
    "refresh_token",
    "custom_data",
    "expires_at",
    "account_id",
    "enterprise_url",
    "scopes",
    "has_refresh_token",
)


def columns_for(credential: Credential, fields: _Fields) -> dict[str, Any]:
    """The credential's fields as column values, secrets sealed; every type sets every column."""
    values: dict[str, Any] = dict.fromkeys(_CREDENTIAL_COLUMNS)
    values["type"] = credential.type
    values["has_refresh_token"] = False
    if isinstance(credential, ApiKey):
        values["api_key"] = fields.seal("api_key", credential.key.reveal())
    elif isinstance(credential, OAuthToken):
        values.update(
            access_token=fields.seal("access_token", credential.access_token.reveal()),
            refresh_token=fields.seal(
                "refresh_token",
                None if credential.refresh_token is None else credential.refresh_token.reveal(),
            ),
            expires_at=credential.expires_at,
            account_id=credential.account_id,
            enterprise_url=credential.enterprise_url,
            scopes=credential.scopes,
            has_refresh_token=credential.refresh_token is not None,
        )
    else:
        plain = json.dumps({name: value.reveal() for name, value in credential.data.items()}, sort_keys=True)
        values["custom_data"] = fields.seal("custom_data", plain)
    return values


class SqlRepository:
    """The repository port over one open transaction."""

    def __init__(self, connection: Connection, cipher: FieldCipher | None) -> None:
        self._connection = connection
        self.keys = _TransactionKeys(connection, cipher)
        self._deleted = False

    def _fields(self, provider: str, account: str) -> _Fields:
        return _Fields(self.keys, provider, account)

    def _active_account(self, provider: str) -> str | None:
        return self._connection.execute(
            select(table.c.account)
            .where(table.c.provider == provider)
            .order_by(table.c.activation.desc(), table.c.account)
            .limit(1)
        ).scalar()

    def _stored(self, row: Any, active: bool) -> StoredCredential:
        return StoredCredential(
            ProviderId(row.provider),
            AccountName(row.account),
            credential_from_row(row, self.keys),
            bool(row.needs_login),
            active,
        )

    def get(self, provider: ProviderId, account: AccountName) -> StoredCredential | None:
        row = self._connection.execute(
            select(table).where(table.c.provider == provider, table.c.account == account)
        ).first()
        if row is None:
            return None
        return self._stored(row, self._active_account(provider) == account)

    def active(self, provider: ProviderId) -> StoredCredential | None:
        row = self._connection.execute(
            select(table)
            .where(table.c.provider == provider)
            .order_by(table.c.activation.desc(), table.c.account)
            .limit(1)
        ).first()
        return None if row is None else self._stored(row, True)

    def _rows_with_active(self) -> Iterator[tuple[Any, bool]]:
        rows = self._connection.execute(
            select(table).order_by(table.c.provider, table.c.activation.desc(), table.c.account)
        ).all()
        previous_provider = None
        for row in rows:
            yield row, row.provider != previous_provider
            previous_provider = row.provider

    def all(self) -> list[StoredCredential]:
        """By provider, most recently activated first (the order they would become active)."""
        return [self._stored(row, active) for row, active in self._rows_with_active()]

    def all_readable(self) -> tuple[list[StoredCredential], list[Unreadable]]:
        readable: list[StoredCredential] = []
        unreadable: list[Unreadable] = []
        for row, active in self._rows_with_active():
            try:
                readable.append(self._stored(row, active))
            except CANNOT_OPEN as error:
                unreadable.append(Unreadable(ProviderId(row.provider), AccountName(row.account), error))
        return readable, unreadable

    def summaries(self, provider: ProviderId | None = None) -> list[CredentialSummary]:
        """Listing without secrets: no column is opened, so no key is needed. Only the key ids
        in the sealed values' prefixes are read, to tell `locked` (SPEC section 8)."""
        statement = select(
            table.c.provider,
            table.c.account,
            table.c.type,
            table.c.expires_at,
            table.c.has_refresh_token.label("can_refresh"),
            table.c.needs_login,
            *(func.substr(table.c[column], 1, 40).label(f"sealed_{column}") for column in SECRET_COLUMNS),
        ).order_by(table.c.provider, table.c.activation.desc(), table.c.account)
        if provider is not None:
            statement = statement.where(table.c.provider == provider)
        result: list[CredentialSummary] = []
        previous_provider = None
        for row in self._connection.execute(statement).all():
            key_ids = (sealed_key_id(getattr(row, f"sealed_{column}")) for column in SECRET_COLUMNS)
            result.append(
                CredentialSummary(
                    ProviderId(row.provider),
                    AccountName(row.account),
                    row.type,
                    row.expires_at,
                    bool(row.can_refresh),
                    bool(row.needs_login),
                    row.provider != previous_provider,
                    locked=self.keys.lacks(key_ids),
                )
            )
            previous_provider = row.provider
        return sorted(result, key=lambda c: (c.provider, not c.active, c.account))

    def reseal_all(self, key_id: str) -> Reencryption:
        """Open every secret and seal it again under `key_id` (the caller's transaction); a row
        that does not open keeps its key, which is then still in use."""
        rows = self._connection.execute(select(table)).all()
        _log.debug("reseal %d credential(s) under key %s", len(rows), key_id)
        resealed = 0
        not_resealed: list[Unreadable] = []
        in_use = {key_id}
        for row in rows:
            fields = self._fields(row.provider, row.account)
            try:
                values = {
                    column: fields.seal(column, fields.open(column, getattr(row, column)), key_id)
                    for column in SECRET_COLUMNS
                }
            except CANNOT_OPEN as error:
                not_resealed.append(Unreadable(ProviderId(row.provider), AccountName(row.account), error))
                in_use.update(filter(None, (sealed_key_id(getattr(row, c)) for c in SECRET_COLUMNS)))
                continue
            self._connection.execute(
                update(table)
                .where(table.c.provider == row.provider, table.c.account == row.account)
                .values(**values)
            )
            resealed += 1
        self.keys.record_key(key_id)
        return Reencryption(resealed, tuple(not_resealed), frozenset(in_use))

    def finish(self) -> None:
        """Before a writing transaction commits: a store emptied by logouts forgets its key record."""
        if self._deleted and self._connection.execute(select(func.count()).select_from(table)).scalar() == 0:
            self.keys.forget()

    def _next_activation(self) -> int:
        highest = self._connection.execute(select(func.max(table.c.activation))).scalar()
        return (highest or 0) + 1

    def save(
        self,
        provider: ProviderId,
        account: AccountName,
        credential: Credential,
        *,
        needs_login: bool = False,
        activate: bool = True,
    ) -> None:
        self.save_many([CredentialWrite(provider, account, credential, needs_login, activate)])

    def save_many(self, writes: Sequence[CredentialWrite]) -> None:
        """One executemany: upserts keep `activation` unless the write activates."""
        if not writes:
            return
        _log.debug(
            "save %d credential(s): %s",
            len(writes),
            ", ".join(f"{w.provider}:{w.account} ({w.credential.type})" for w in writes[:5])
            + (" …" if len(writes) > 5 else ""),
        )
        now = int(time.time())
        next_activation = self._next_activation()
        activating: list[dict[str, Any]] = []
        keeping: list[dict[str, Any]] = []
        for write in writes:
            values = columns_for(write.credential, self._fields(write.provider, write.account))
            values.update(
                provider=str(write.provider),
                account=str(write.account),
                needs_login=write.needs_login,
                created_at=now,
                updated_at=now,
            )
            if write.activate:
                values["activation"] = next_activation
                next_activation += 1
                activating.append(values)
            else:
                values["activation"] = 0
                keeping.append(values)
        for batch, keeps_activation in ((keeping, True), (activating, False)):
            if batch:
                self._connection.execute(self._upsert(keeps_activation), batch)

    @staticmethod
    def _upsert(keep_activation: bool) -> Any:
        statement = insert(table)
        updated = {
            name: statement.excluded[name]
            for name in (*_CREDENTIAL_COLUMNS, "needs_login", "updated_at", "activation")
            if not (keep_activation and name == "activation")
        }
        return statement.on_conflict_do_update(
            index_elements=[table.c.provider, table.c.account], set_=updated
        )

    def delete(self, provider: ProviderId, account: AccountName) -> bool:
        _log.debug("delete %s:%s", provider, account)
        result = self._connection.execute(
            delete(table).where(table.c.provider == provider, table.c.account == account)
        )
        self._deleted = True
        return result.rowcount > 0

    def mark_needs_login(self, provider: ProviderId, account: AccountName) -> None:
        _log.debug("mark %s:%s needs-login", provider, account)
        self._connection.execute(
            update(table)
            .where(table.c.provider == provider, table.c.account == account)
            .values(needs_login=True, updated_at=int(time.time()))
        )

    def touch(self, provider: ProviderId, account: AccountName) -> None:
        """A write that changes nothing (see SqlCredentialStore.check_writable)."""
        self._connection.execute(
            update(table)
            .where(table.c.provider == provider, table.c.account == account)
            .values(updated_at=table.c.updated_at)
        )

    def activate(self, provider: ProviderId, account: AccountName) -> None:
        _log.debug("activate %s:%s", provider, account)
        self._connection.execute(
            update(table)
            .where(table.c.provider == provider, table.c.account == account)
            .values(activation=self._next_activation())
        )


_log = logger("store")


def describe_database_error(error: DBAPIError | Exception, path: Path) -> StoreUnavailable:
    """One readable line for what SQLite said; never the SQL or its parameters."""
    original = getattr(error, "orig", error)
    reason = str(original).splitlines()[0] if str(original) else type(original).__name__
    if is_disk_full(original, path.parent):
        return DiskFull(f"SQLite could not write {path} ({reason}); nothing in it was changed")
    if "locked" in reason or "busy" in reason:
        return StoreUnavailable(
            f"The store {path} stayed busy for too long ({reason})",
            "Try again; if it persists, look for a stuck code-mesh process",
        )
    if "readonly" in reason or "read-only" in reason:
        return StoreUnavailable(
            f"The store {path} is read-only here ({reason}); nothing was changed",
            "Reading commands still work; to change credentials, make CODE_MESH_HOME and its files "
            "writable for you",
        )
    return StoreUnavailable(
        f"The store {path} cannot be read ({reason}); nothing in it was changed",
        "Run `code-mesh auth doctor`, then move the file aside and restore it from an `auth export` backup",
    )


class SqlCredentialStore:
    """Credentials in a SQLite file whose schema Alembic has already brought to head."""

    def __init__(
        self,
        path: Path,
        cipher: FieldCipher | None,
        engine: Engine | None = None,
        key_lock: KeyLock | None = None,
    ) -> None:
        self._path = path
        self._cipher = cipher
        self._engine = engine or make_engine(path)
        self._key_lock = key_lock

    @property
    def location(self) -> str:
        return str(self._path)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[SqlRepository]:
        # Key lock first, then SQLite's lock: the one order every process uses (ports.KeyLock).
        with self._key_lock.shared() if self._key_lock is not None else nullcontext():
            if begin == "IMMEDIATE" and self._cipher is not None:
                # Slow key work (scrypt) before SQLite's write lock, not while every other
                # writer waits on it: the record cannot change while the key lock is held.
                self._cipher.prepare(read_key_record(self._path))
            _log.debug("BEGIN %s on %s", begin, self._path)
            try:
                with self._engine.connect() as connection:
                    connection = connection.execution_options(**{BEGIN_OPTION: begin})
                    with connection.begin():
                        repository = SqlRepository(connection, self._cipher)
                        yield repository
                        if begin == "IMMEDIATE":
                            repository.finish()
            except DBAPIError as error:
                raise describe_database_error(error, self._path) from None

    def reading(self) -> AbstractContextManager[SqlRepository]:
        return self._transaction("DEFERRED")

    def writing(self) -> AbstractContextManager[SqlRepository]:
        return self._transaction("IMMEDIATE")

    def active_key_id(self) -> str | None:
        with self.reading() as repository:
            return repository.keys.record().key_id

    def reencrypt(self, key_id: str) -> Reencryption:
        with self.writing() as repository:
            return repository.reseal_all(key_id)

    def check_writable(self, provider: ProviderId, account: AccountName) -> None:
        """Rewrite one column of the row with its own value: SQLite writes the page, so a full
        disk or a read-only file fails here, as StoreUnavailable, and nothing changes."""
        with self._transaction("IMMEDIATE") as repository:
            repository.touch(provider, account)

    def dispose(self) -> None:
        self._engine.dispose()
