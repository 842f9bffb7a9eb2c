"""The CredentialStore on SQLAlchemy Core: one adapter for SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.debug_log import logger
from code_mesh.adapters.store.dialects import Dialect, Mode, SqliteDialect, describe_sqlite_error
from code_mesh.adapters.store.store_meta import (
    KEY_ID,
    KEY_ROWS,
    PROTECTION,
    SEALED_SAMPLE_QUERY,
    KeyRecord,
    sealed_key_id,
)
from code_mesh.adapters.store.tables import audit_log
from code_mesh.adapters.store.tables import credentials as table
from code_mesh.adapters.store.tables import store_meta as meta_table
from code_mesh.application.ports import CredentialWrite, KeyLock, NewTeamKey, Reencryption, Unreadable
from code_mesh.domain.audit import Action, AuditEntry, AuditQuery, AuditRow
from code_mesh.domain.credentials import (
    ApiKey,
    Credential,
    CredentialSummary,
    Custom,
    OAuthToken,
    StoredCredential,
)
from code_mesh.domain.errors import KeyUnavailable, SecretDoesNotDecrypt, StoreUnavailable
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
        self.made_first_key = False
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

    def sealing_key(self) -> str:
        """The key new secrets are sealed with; the store's first key is made (and recorded in
        this transaction) when it has none yet."""
        assert self._cipher is not None
        if self._sealing_key is None:
            identifier, first = self._cipher.sealing_key(self.record())
            if first is not None:
                _log.debug("first key %s (%s)", identifier, first.protection)
                self._write(first)
                self.made_first_key = True
            self._sealing_key = identifier
        return self._sealing_key

    def seal(self, provider: str, account: str, field: str, value: str, key_id: str | None = None) -> str:
        if self._cipher is None:
            return value
        key_id = key_id or self.sealing_key()  # first: it may record the store's first key
        return self._cipher.seal(self.record(), key_id, provider, account, field, value)

    def verify(self) -> None:
        """KeyUnavailable unless this process holds the store's key (nothing sealed: nothing to hold)."""
        record = self.record()
        if self._cipher is not None and record.key_id is not None:
            self._cipher.vault(record).check_holds(record.key_id)

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

    def record_key(self, key_id: str, new_key: NewTeamKey | None = None) -> None:
        """After a re-seal: `key_id` is the key new secrets are sealed with (and, for a team
        store's new key, its protection and salts replace the old ones)."""
        current = self.record()
        if new_key is not None:
            self._write(KeyRecord(new_key.protection, new_key.salts, new_key.key_id))
        else:
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
    """Rebuild the domain credential from a row of the credentials table (one that may lack the
    refresh_token column: a read-only member's view)."""
    fields = _Fields(keys, row.provider, row.account)
    if row.type == ApiKey.type:
        return ApiKey(Secret(fields.open("api_key", row.api_key) or ""))
    if row.type == OAuthToken.type:
        refresh = fields.open("refresh_token", row._mapping.get("refresh_token"))
        return OAuthToken(
            access_token=Secret(fields.open("access_token", row.access_token) or ""),
            refresh_token=None if refresh is None else Secret(refresh),
            expires_at=row.expires_at,
            account_id=row.account_id,
            enterprise_url=row.enterprise_url,
            scopes=row.scopes,
            api_url=row.api_url,
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
    "api_url",
    "has_refresh_token",
)
_SAMPLED_COLUMNS = ("api_key", "access_token", "custom_data")
"""The secret columns whose key ids tell `locked`; refresh_token is left out, since a read-only
member may not select it and every OAuth row has an access token sealed with the same key."""


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
            api_url=credential.api_url,
            has_refresh_token=credential.refresh_token is not None,
        )
    else:
        plain = json.dumps({name: value.reveal() for name, value in credential.data.items()}, sort_keys=True)
        values["custom_data"] = fields.seal("custom_data", plain)
    return values


@dataclass(frozen=True)
class ClientIdentity:
    """What this client says about itself in the audit log: not verified by anyone."""

    os_user: str | None
    host: str | None

    @classmethod
    def here(cls) -> ClientIdentity:
        import getpass  # here: only a store that writes an audit row asks
        import socket

        try:
            user: str | None = getpass.getuser()
        except (OSError, KeyError):  # no name for this uid (a bare container)
            import os

            user = str(os.getuid())
        try:
            host: str | None = socket.gethostname() or None
        except OSError:
            host = None
        return cls(user, host)


class SqlRepository:
    """The repository port over one open transaction."""

    def __init__(
        self,
        connection: Connection,
        cipher: FieldCipher | None,
        dialect: Dialect,
        client: Callable[[], ClientIdentity] = lambda: ClientIdentity(None, None),
        *,
        withhold_refresh_tokens: bool = False,
    ) -> None:
        self._connection = connection
        self.keys = _TransactionKeys(connection, cipher)
        self._dialect = dialect
        self._client = client
        """Asked only when an audit row is written (who this is costs imports)."""
        self._deleted = False
        self._withheld = withhold_refresh_tokens
        self._columns = [c for c in table.c if not (self._withheld and c.name == "refresh_token")]

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
            refresh_withheld=self._withheld and bool(row.has_refresh_token),
        )

    def get(self, provider: ProviderId, account: AccountName) -> StoredCredential | None:
        row = self._connection.execute(
            select(*self._columns).where(table.c.provider == provider, table.c.account == account)
        ).first()
        if row is None:
            return None
        return self._stored(row, self._active_account(provider) == account)

    def active(self, provider: ProviderId) -> StoredCredential | None:
        row = self._connection.execute(
            select(*self._columns)
            .where(table.c.provider == provider)
            .order_by(table.c.activation.desc(), table.c.account)
            .limit(1)
        ).first()
        return None if row is None else self._stored(row, True)

    def _rows_with_active(self) -> Iterator[tuple[Any, bool]]:
        rows = self._connection.execute(
            select(*self._columns).order_by(table.c.provider, table.c.activation.desc(), table.c.account)
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
            *(func.substr(table.c[column], 1, 40).label(f"sealed_{column}") for column in _SAMPLED_COLUMNS),
        ).order_by(table.c.provider, table.c.activation.desc(), table.c.account)
        if provider is not None:
            statement = statement.where(table.c.provider == provider)
        result: list[CredentialSummary] = []
        previous_provider = None
        for row in self._connection.execute(statement).all():
            key_ids = (sealed_key_id(getattr(row, f"sealed_{column}")) for column in _SAMPLED_COLUMNS)
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

    def reseal_all(self, key_id: str, new_key: NewTeamKey | None = None) -> Reencryption:
        """Open every secret and seal it again under `key_id` (the caller's transaction); a row
        that does not open keeps its key, which is then still in use. With a team store's
        `new_key`, every row must open: one that does not stops the rotation (rolled back)."""
        rows = self._connection.execute(select(table)).all()
        _log.debug("reseal %d credential(s) under key %s", len(rows), key_id)
        resealed = 0
        not_resealed: list[Unreadable] = []
        in_use = {key_id}
        for row in rows:
            fields = self._fields(row.provider, row.account)
            try:
                opened = {column: fields.open(column, getattr(row, column)) for column in SECRET_COLUMNS}
                if new_key is None:
                    values = {column: fields.seal(column, value, key_id) for column, value in opened.items()}
                else:
                    values = {
                        column: _seal_with(new_key, row.provider, row.account, column, value)
                        for column, value in opened.items()
                    }
            except CANNOT_OPEN as error:
                if new_key is not None:
                    raise KeyUnavailable(
                        f"{row.provider}:{row.account} does not open with the current team key "
                        f"({error.message}), so the team key was not rotated; nothing was changed",
                        "Log out of that credential (or log in to it again), then rotate",
                    ) from None
                not_resealed.append(Unreadable(ProviderId(row.provider), AccountName(row.account), error))
                in_use.update(filter(None, (sealed_key_id(getattr(row, c)) for c in SECRET_COLUMNS)))
                continue
            self._connection.execute(
                update(table)
                .where(table.c.provider == row.provider, table.c.account == row.account)
                .values(**values)
            )
            resealed += 1
        self.keys.record_key(key_id, new_key)
        return Reencryption(resealed, tuple(not_resealed), frozenset(in_use))

    def finish(self) -> None:
        """Before a writing transaction commits: a personal store emptied by logouts forgets its
        key record. A team store keeps its key: it is the team's, not the last member's."""
        if self._dialect.team or not self._deleted:
            return
        if self._connection.execute(select(func.count()).select_from(table)).scalar() == 0:
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

    def _upsert(self, keep_activation: bool) -> Any:
        statement = self._dialect.upsert(table)
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
        if self._dialect.team:
            self._check_may_delete(provider, account)
        result = self._connection.execute(
            delete(table).where(table.c.provider == provider, table.c.account == account)
        )
        self._deleted = True
        return result.rowcount > 0

    def _check_may_delete(self, provider: ProviderId, account: AccountName) -> None:
        """On a team store, removing a credential that another role logged in last needs the
        verified team key (SPEC section 8): a database login alone must not wipe the team's."""
        last_login = self._connection.execute(
            select(audit_log.c.db_user)
            .where(
                audit_log.c.action == Action.LOGIN.value,
                audit_log.c.provider == provider,
                audit_log.c.account == account,
            )
            .order_by(audit_log.c.id.desc())
            .limit(1)
        ).first()
        if last_login is not None and last_login.db_user == self._dialect.session_user(self._connection):
            return
        try:
            self.keys.verify()
        except KeyUnavailable as error:
            raise KeyUnavailable(
                f"Removing {provider}:{account} from the team store needs the team key, since another "
                f"member logged it in: {error.message}",
                error.next_step,
            ) from None

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

    def record(self, *entries: AuditEntry) -> None:
        append_audit_rows(self._connection, entries, self._client())

    def audit(self, query: AuditQuery) -> list[AuditRow]:
        statement = select(
            audit_log.c.at,
            audit_log.c.os_user,
            audit_log.c.host,
            audit_log.c.db_user,
            audit_log.c.action,
            audit_log.c.provider,
            audit_log.c.account,
            audit_log.c.outcome,
        ).order_by(audit_log.c.id.desc())
        if query.provider is not None:
            statement = statement.where(audit_log.c.provider == query.provider)
        if query.since is not None:
            statement = statement.where(audit_log.c.at >= int(query.since))
        return [AuditRow(*row) for row in self._connection.execute(statement.limit(query.limit)).all()]

    def write_meta(self, values: dict[str, str]) -> None:
        if values:
            statement = self._dialect.upsert(meta_table)
            self._connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[meta_table.c.name], set_={"value": statement.excluded.value}
                ),
                [{"name": name, "value": value} for name, value in values.items()],
            )


def append_audit_rows(connection: Connection, entries: Sequence[AuditEntry], client: ClientIdentity) -> None:
    """Insert audit rows; `at` and `db_user` are left to the database's defaults (the server's
    clock and session_user on PostgreSQL), which is also all a member's INSERT grant covers."""
    if not entries:
        return
    connection.execute(
        insert(audit_log),
        [
            {
                "os_user": client.os_user,
                "host": client.host,
                "action": str(entry.action),
                "provider": entry.provider,
                "account": entry.account,
                "outcome": str(entry.outcome),
            }
            for entry in entries
        ],
    )


def _seal_with(
    new_key: NewTeamKey, provider: str, account: str, column: str, value: str | None
) -> str | None:
    from code_mesh.adapters.crypto.aes_gcm import associated_data, seal

    if value is None:
        return None
    return seal(new_key.key, new_key.key_id, value, associated_data(provider, account, column))


_log = logger("store")

describe_database_error = describe_sqlite_error
"""Kept for callers that describe a SQLite file's errors (the migrator)."""


class SqlCredentialStore:
    """Credentials in a database whose schema Alembic has already brought to head: a SQLite file
    (`SqlCredentialStore.sqlite`) or a PostgreSQL team store (a PostgresDialect)."""

    def __init__(
        self,
        dialect: Dialect,
        cipher: FieldCipher | None,
        key_lock: KeyLock | None = None,
        client: ClientIdentity | None = None,
    ) -> None:
        self._dialect = dialect
        self._cipher = cipher
        self._key_lock = key_lock
        self._given_client = client

    @classmethod
    def sqlite(
        cls,
        path: Path,
        cipher: FieldCipher | None,
        engine: Engine | None = None,
        key_lock: KeyLock | None = None,
    ) -> SqlCredentialStore:
        return cls(SqliteDialect(path, engine), cipher, key_lock)

    @property
    def location(self) -> str:
        return self._dialect.location

    @functools.cached_property
    def _client(self) -> ClientIdentity:
        return self._given_client or ClientIdentity.here()

    @property
    def team(self) -> bool:
        return self._dialect.team

    @contextmanager
    def _transaction(self, mode: Mode) -> Iterator[SqlRepository]:
        # Key lock first, then the database's lock: the one order every process uses (ports.KeyLock).
        with self._key_lock.shared() if self._key_lock is not None else nullcontext():
            _log.debug("BEGIN %s on %s", mode, self.location)
            try:
                if mode == "write" and self._cipher is not None:
                    # Slow key work (scrypt) before the database's write lock, not while every other
                    # writer waits on it: the record cannot change while the key lock is held.
                    self._cipher.prepare(self._dialect.committed_key_record())
                withhold = not self._dialect.reads_refresh_tokens()  # asked once, before the transaction
                with self._dialect.transaction(mode) as connection:
                    repository = SqlRepository(
                        connection,
                        self._cipher,
                        self._dialect,
                        lambda: self._client,
                        withhold_refresh_tokens=withhold,
                    )
                    yield repository
                    if mode == "write":
                        repository.finish()
            except DBAPIError as error:
                raise self._dialect.describe(error) from None

    def reading(self) -> AbstractContextManager[SqlRepository]:
        return self._transaction("read")

    def writing(self) -> AbstractContextManager[SqlRepository]:
        return self._transaction("write")

    def active_key_id(self) -> str | None:
        with self.reading() as repository:
            return repository.keys.record().key_id

    def key_record(self) -> KeyRecord:
        """How the store's secrets are protected, as committed."""
        try:
            return self._dialect.committed_key_record()
        except DBAPIError as error:
            raise self._dialect.describe(error) from None

    def reencrypt(self, key_id: str, new_key: NewTeamKey | None = None) -> Reencryption:
        with self.writing() as repository:
            result = repository.reseal_all(key_id, new_key)
            repository.record(AuditEntry(Action.KEY_ROTATE))
            return result

    def ensure_key(self) -> str | None:
        """Record the store's first key now if it has none (a team store's first `store migrate`):
        under the write lock, so two members starting together cannot make two keys. The key id
        when this call recorded it, else None."""
        if self._cipher is None:
            return None
        with self.writing() as repository:
            key_id = repository.keys.sealing_key()
            return key_id if repository.keys.made_first_key else None

    def check_writable(self, provider: ProviderId, account: AccountName) -> None:
        """Rewrite one column of the row with its own value: SQLite writes the page, so a full
        disk or a read-only file fails here, as StoreUnavailable, and nothing changes."""
        with self._transaction("write") as repository:
            repository.touch(provider, account)

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        try:
            with self._dialect.transaction("append") as connection:
                append_audit_rows(connection, entries, self._client)
        except DBAPIError as error:
            raise self._dialect.describe(error) from None

    def write_meta(self, values: dict[str, str]) -> None:
        """Upsert store_meta rows in a write transaction of their own (a team store's salts)."""
        with self.writing() as repository:
            repository.write_meta(values)

    def dispose(self) -> None:
        self._dialect.dispose()
