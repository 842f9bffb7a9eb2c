"""The CredentialStore on a SQLite file, through SQLAlchemy Core."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.crypto.field_cipher import FieldCipher
from code_mesh.adapters.debug_log import logger
from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.adapters.store.sqlite_engine import BEGIN_OPTION, make_engine
from code_mesh.adapters.store.sqlite_tables import credentials as table
from code_mesh.application.ports import CredentialWrite
from code_mesh.domain.credentials import (
    ApiKey,
    Credential,
    CredentialSummary,
    Custom,
    OAuthToken,
    StoredCredential,
)
from code_mesh.domain.errors import DiskFull, StoreUnavailable
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret

SECRET_COLUMNS = ("api_key", "access_token", "refresh_token", "custom_data")
"""The only columns that hold secrets; each is sealed on its own (SPEC section 8)."""


class _Fields:
    """Seals or opens one row's secret columns (no cipher: plain text, for a store's own tests)."""

    def __init__(self, cipher: FieldCipher | None, provider: str, account: str) -> None:
        self._cipher = cipher
        self._provider = provider
        self._account = account

    def seal(self, column: str, value: str | None, key_id: str | None = None) -> str | None:
        if value is None or self._cipher is None:
            return value
        return self._cipher.seal(self._provider, self._account, column, value, key_id)

    def open(self, column: str, value: str | None) -> str | None:
        if value is None or self._cipher is None:
            return value
        return self._cipher.open(self._provider, self._account, column, value)


def credential_from_row(row: Any, cipher: FieldCipher | None) -> Credential:
    """Rebuild the domain credential from a row of the credentials table."""
    fields = _Fields(cipher, row.provider, row.account)
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
)


def columns_for(credential: Credential, fields: _Fields) -> dict[str, Any]:
    """The credential's fields as column values, secrets sealed; every type sets every column."""
    values: dict[str, Any] = dict.fromkeys(_CREDENTIAL_COLUMNS)
    values["type"] = credential.type
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
        )
    else:
        plain = json.dumps({name: value.reveal() for name, value in credential.data.items()}, sort_keys=True)
        values["custom_data"] = fields.seal("custom_data", plain)
    return values


class SqliteRepository:
    """The repository port over one open transaction."""

    def __init__(self, connection: Connection, cipher: FieldCipher | None) -> None:
        self._connection = connection
        self._cipher = cipher

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
            credential_from_row(row, self._cipher),
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

    def all(self) -> list[StoredCredential]:
        rows = self._connection.execute(
            select(table).order_by(table.c.provider, table.c.activation.desc(), table.c.account)
        ).all()
        result: list[StoredCredential] = []
        previous_provider = None
        for row in rows:
            result.append(self._stored(row, row.provider != previous_provider))
            previous_provider = row.provider
        return result

    def summaries(self) -> list[CredentialSummary]:
        """Listing without secrets: no column is opened, so no key is needed."""
        rows = self._connection.execute(
            select(
                table.c.provider,
                table.c.account,
                table.c.type,
                table.c.expires_at,
                table.c.refresh_token.is_not(None).label("can_refresh"),
                table.c.needs_login,
            ).order_by(table.c.provider, table.c.activation.desc(), table.c.account)
        ).all()
        result: list[CredentialSummary] = []
        previous_provider = None
        for row in rows:
            result.append(
                CredentialSummary(
                    ProviderId(row.provider),
                    AccountName(row.account),
                    row.type,
                    row.expires_at,
                    bool(row.can_refresh),
                    bool(row.needs_login),
                    row.provider != previous_provider,
                )
            )
            previous_provider = row.provider
        return sorted(result, key=lambda c: (c.provider, not c.active, c.account))

    def reseal_all(self, key_id: str) -> int:
        """Open every secret and seal it again under `key_id` (the caller's transaction)."""
        rows = self._connection.execute(select(table)).all()
        _log.debug("reseal %d credential(s) under key %s", len(rows), key_id)
        for row in rows:
            fields = _Fields(self._cipher, row.provider, row.account)
            values = {
                column: fields.seal(column, fields.open(column, getattr(row, column)), key_id)
                for column in SECRET_COLUMNS
            }
            self._connection.execute(
                update(table)
                .where(table.c.provider == row.provider, table.c.account == row.account)
                .values(**values)
            )
        return len(rows)

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
            values = columns_for(write.credential, _Fields(self._cipher, write.provider, write.account))
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
        return result.rowcount > 0

    def mark_needs_login(self, provider: ProviderId, account: AccountName) -> None:
        _log.debug("mark %s:%s needs-login", provider, account)
        self._connection.execute(
            update(table)
            .where(table.c.provider == provider, table.c.account == account)
            .values(needs_login=True, updated_at=int(time.time()))
        )

    def touch(self, provider: ProviderId, account: AccountName) -> None:
        """A write that changes nothing (see SqliteCredentialStore.check_writable)."""
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
    return StoreUnavailable(
        f"The store {path} cannot be read ({reason}); nothing in it was changed",
        "Run `code-mesh auth doctor`, then move the file aside and restore it from an `auth export` backup",
    )


class SqliteCredentialStore:
    """Credentials in a SQLite file whose schema Alembic has already brought to head."""

    def __init__(self, path: Path, cipher: FieldCipher | None, engine: Engine | None = None) -> None:
        self._path = path
        self._cipher = cipher
        self._engine = engine or make_engine(path)

    @property
    def location(self) -> str:
        return str(self._path)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[SqliteRepository]:
        _log.debug("BEGIN %s on %s", begin, self._path)
        try:
            with self._engine.connect() as connection:
                connection = connection.execution_options(**{BEGIN_OPTION: begin})
                with connection.begin():
                    yield SqliteRepository(connection, self._cipher)
        except DBAPIError as error:
            raise describe_database_error(error, self._path) from None

    def reading(self) -> AbstractContextManager[SqliteRepository]:
        return self._transaction("DEFERRED")

    def writing(self) -> AbstractContextManager[SqliteRepository]:
        return self._transaction("IMMEDIATE")

    def reencrypt(self, key_id: str) -> int:
        with self.writing() as repository:
            return repository.reseal_all(key_id)

    def check_writable(self, provider: ProviderId, account: AccountName) -> None:
        """Rewrite one column of the row with its own value: SQLite writes the page, so a full
        disk or a read-only file fails here, as StoreUnavailable, and nothing changes."""
        with self._transaction("IMMEDIATE") as repository:
            repository.touch(provider, account)

    def dispose(self) -> None:
        self._engine.dispose()
