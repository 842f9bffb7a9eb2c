"""Locks of a team store: PostgreSQL advisory locks, held by the database server for every
machine at once and released by it when a process's connection ends (a crash included).

- KEY_LOCK: the key lock (ports.KeyLock): shared by every transaction that seals or opens
  (transaction-level, see dialects.py), exclusive for a rotation (session-level).
- WRITE_LOCK: taken by every read-modify-write transaction, as SQLite's write lock is.
- MIGRATE_LOCK: `store migrate`, one at a time.
- one per credential: single-flight refresh (session-level, held across the HTTP call on
  the connection alone: no transaction stays open meanwhile).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.store.postgres_connect import describe_postgres_error
from code_mesh.application.ports import FailureNote

LOCK_NOT_AVAILABLE = "55P03"


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for `name` (a collision only serialises a little more)."""
    return int.from_bytes(
        hashlib.blake2b(f"code-mesh {name}".encode(), digest_size=8).digest(), "big", signed=True
    )


KEY_LOCK = lock_key("key")
WRITE_LOCK = lock_key("write")
MIGRATE_LOCK = lock_key("migrate")


def _note_name(provider: str, account: str) -> str:
    return f"refresh-failure:{provider}@{account}"


class PostgresCredentialLocks:
    """The CredentialLocks port on advisory locks; the last failed refresh is noted in store_meta,
    so a process on another machine that waited for it repeats it instead of asking again."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where

    @contextmanager
    def hold(self, provider: str, account: str, wait: float) -> Iterator[bool]:
        key = lock_key(f"credential {provider}@{account}")
        try:
            with self._engine.connect() as connection, connection.begin():
                connection.execute(text(f"SET LOCAL lock_timeout = {max(int(wait * 1000), 1)}"))
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise describe_postgres_error(error, self._where) from None
            yield False
            return
        try:
            yield True
        finally:
            try:
                with self._engine.connect() as connection, connection.begin():
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            except DBAPIError:
                pass  # the connection is gone, and the server released the lock with it

    def last_failure(self, provider: str, account: str) -> FailureNote | None:
        try:
            with self._engine.connect() as connection, connection.begin():
                value = connection.execute(
                    text("SELECT value FROM store_meta WHERE name = :name"),
                    {"name": _note_name(provider, account)},
                ).scalar()
            note = json.loads(value) if value else None
            if note is None:
                return None
            at, message, next_step = note["at"], note["message"], note.get("next_step")
        except (DBAPIError, ValueError, TypeError, KeyError):
            return None
        if not (isinstance(at, int | float) and isinstance(message, str)):
            return None
        return FailureNote(float(at), message, next_step if isinstance(next_step, str) else None)

    def note_failure(self, provider: str, account: str, note: FailureNote) -> None:
        value = json.dumps({"at": note.at, "message": note.message, "next_step": note.next_step})
        try:
            with self._engine.connect() as connection, connection.begin():
                connection.execute(
                    text(
                        "INSERT INTO store_meta (name, value) VALUES (:name, :value) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                    ),
                    {"name": _note_name(provider, account), "value": value},
                )
        except DBAPIError:
            pass  # best effort, as beside a lock file


class PostgresKeyLock:
    """The KeyLock port on KEY_LOCK, session-level; reentrant within the process (one connection)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where
        self._held: list[bool] = []
        self._lock = threading.RLock()

    def shared(self) -> AbstractContextManager[None]:
        return self._hold(exclusive=False)

    def exclusive(self) -> AbstractContextManager[None]:
        return self._hold(exclusive=True)

    @contextmanager
    def _hold(self, *, exclusive: bool) -> Iterator[None]:
        with self._lock:
            if self._held:
                if exclusive and not self._held[0]:
                    raise RuntimeError("the key lock is held shared and cannot be upgraded")
                self._held.append(exclusive)
                try:
                    yield
                finally:
                    self._held.pop()
                return
            suffix = "" if exclusive else "_shared"
            try:
                with self._engine.connect() as connection, connection.begin():
                    connection.execute(text(f"SELECT pg_advisory_lock{suffix}(:key)"), {"key": KEY_LOCK})
            except DBAPIError as error:
                raise describe_postgres_error(error, self._where) from None
            self._held.append(exclusive)
            try:
                yield
            finally:
                self._held.pop()
                unlock = text(f"SELECT pg_advisory_unlock{suffix}(:key)")
                # A lost connection has released it with itself.
                with (
                    contextlib.suppress(DBAPIError),
                    self._engine.connect() as connection,
                    connection.begin(),
                ):
                    connection.execute(unlock, {"key": KEY_LOCK})
