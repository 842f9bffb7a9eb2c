"""A SQLAlchemy engine for the store that makes SQLite's transactions mean what they say.

pysqlite's legacy transaction handling issues its own BEGIN lazily (and not before
DDL); switching it off and emitting BEGIN ourselves (SQLAlchemy's "pysqlite
transaction" recipe) makes every write a `BEGIN IMMEDIATE`: the write lock is taken
at the start, so two read-modify-writes can never interleave, and a busy database
is waited for (busy timeout) instead of failing half-way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from code_mesh.adapters.store.sqlite_connect import looking_only_uri, read_only_uri

BUSY_TIMEOUT_SECONDS = 60.0
BEGIN_OPTION = "code_mesh_begin"


def make_engine(path: Path, *, looking_only: bool = False) -> Engine:
    """An engine on `path`; `BEGIN IMMEDIATE` unless the connection asks for DEFERRED.
    Where this user cannot write, reads go through sqlite_connect's read-only URI;
    `looking_only` opens it for reading only in any case (`auth doctor`)."""
    uri = looking_only_uri(path) if looking_only else read_only_uri(path)
    if uri is not None:
        engine = create_engine(
            "sqlite://",
            poolclass=NullPool,
            creator=lambda: sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS),
        )
    else:
        engine = create_engine(
            f"sqlite:///{path}",
            poolclass=NullPool,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if looking_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine
