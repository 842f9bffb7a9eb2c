"""What differs between the two databases the SQL store runs on, in one place (ARCHITECTURE.md,
"One store port, two databases").

- upsert: `sqlite.insert … ON CONFLICT` / `postgresql.insert … ON CONFLICT`.
- a read-modify-write: `BEGIN IMMEDIATE` (SQLite's write lock) / `pg_advisory_xact_lock(WRITE_LOCK)`
  as the transaction's first statement after the key lock.
- the key lock, shared: an flock around the transaction / `pg_advisory_xact_lock_shared(KEY_LOCK)`.
- the committed key record: the stdlib reader / one query on the process's connection.
- audit `at` and `db_user`: the file's default and null / the server's `now()` and `session_user`.
- refresh tokens: always readable / a read-only role may not select the column.
- errors: SQLite's words about the file / the server's, never with the URL's password.

Three kinds of transaction: `read` (a consistent view), `write` (a serialised
read-modify-write: no other write runs until it ends) and `append` (rows that need no
serialising: an audit row, a note; on PostgreSQL it takes no lock at all, so a
read-only member can add its own audit row).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.adapters.store.advisory_locks import KEY_LOCK, WRITE_LOCK
from code_mesh.adapters.store.postgres_connect import describe_postgres_error
from code_mesh.adapters.store.sqlite_engine import BEGIN_OPTION, make_engine
from code_mesh.adapters.store.store_meta import KeyRecord, read_key_record
from code_mesh.domain.errors import DiskFull, StoreUnavailable

Mode = Literal["read", "write", "append"]


class Dialect(Protocol):
    team: bool
    location: str

    def upsert(self, table: Table) -> Any:
        """An INSERT with `on_conflict_do_update`."""
        ...

    def transaction(self, mode: Mode) -> AbstractContextManager[Connection]: ...

    def committed_key_record(self) -> KeyRecord:
        """The key record as committed, read outside any transaction of the caller's."""
        ...

    def reads_refresh_tokens(self) -> bool:
        """Whether this connection's role may select `credentials.refresh_token`."""
        ...

    def session_user(self, connection: Connection) -> str | None:
        """The database role, as the audit log's `db_user` names it (None on SQLite)."""
        ...

    def describe(self, error: DBAPIError) -> StoreUnavailable:
        """One readable line for what the database said; never the SQL or its parameters."""
        ...

    def dispose(self) -> None: ...


class SqliteDialect:
    """A SQLite file: WAL, a busy timeout, and `BEGIN IMMEDIATE` for every write."""

    team = False

    def __init__(self, path: Path, engine: Engine | None = None) -> None:
        self.path = path
        self.location = str(path)
        self._engine = engine or make_engine(path)

    def upsert(self, table: Table) -> Any:
        return sqlite.insert(table)

    @contextmanager
    def transaction(self, mode: Mode) -> Iterator[Connection]:
        begin = "DEFERRED" if mode == "read" else "IMMEDIATE"
        with self._engine.connect() as connection:
            connection = connection.execution_options(**{BEGIN_OPTION: begin})
            with connection.begin():
                yield connection

    def committed_key_record(self) -> KeyRecord:
        return read_key_record(self.path)

    def reads_refresh_tokens(self) -> bool:
        return True

    def session_user(self, connection: Connection) -> str | None:
        return None

    def describe(self, error: DBAPIError) -> StoreUnavailable:
        return describe_sqlite_error(error, self.path)

    def dispose(self) -> None:
        self._engine.dispose()


def describe_sqlite_error(error: DBAPIError | Exception, path: Path) -> StoreUnavailable:
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


IDLE = 0
"""psycopg's TransactionStatus.IDLE: no transaction open on the connection."""


class PostgresDialect:
    """A PostgreSQL database on the process's one connection (a StaticPool engine)."""

    team = True

    def __init__(self, engine: Engine, location: str, secrets: tuple[str, ...] = ()) -> None:
        self._engine = engine
        self.location = location
        self._secrets = secrets
        """The URL's password: never in a message, whatever the server or the driver says."""
        self._reads_refresh_tokens: bool | None = None

    def upsert(self, table: Table) -> Any:
        # Here, not above: SQLAlchemy's PostgreSQL dialect (asyncpg and asyncio with it) costs
        # 40 ms to import, which a SQLite store's commands must not pay.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)

    @contextmanager
    def transaction(self, mode: Mode) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            status = connection.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
            if status != IDLE:
                # Every engine.connect() is the same connection: a transaction begun inside another
                # would end it, and with it the advisory locks it holds.
                raise RuntimeError("a team store transaction was begun inside another")
            with connection.begin():
                if mode != "append":
                    # Key lock first, then the write lock: the one order every process uses.
                    connection.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": KEY_LOCK})
                if mode == "write":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
                yield connection

    def committed_key_record(self) -> KeyRecord:
        with self._engine.connect() as connection, connection.begin():
            meta = dict(connection.execute(text("SELECT name, value FROM store_meta")).all())
        return KeyRecord.from_meta(meta)

    def reads_refresh_tokens(self) -> bool:
        if self._reads_refresh_tokens is None:
            with self._engine.connect() as connection, connection.begin():
                self._reads_refresh_tokens = bool(
                    connection.execute(
                        text("SELECT has_column_privilege('credentials', 'refresh_token', 'SELECT')")
                    ).scalar()
                )
        return self._reads_refresh_tokens

    def session_user(self, connection: Connection) -> str | None:
        return connection.execute(text("SELECT session_user")).scalar()

    def describe(self, error: DBAPIError) -> StoreUnavailable:
        return describe_postgres_error(error, self.location, self._secrets)

    def dispose(self) -> None:
        self._engine.dispose()
