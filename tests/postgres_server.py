"""The PostgreSQL the team-store tests use: a real server on 127.0.0.1:5432, never a stand-in.

Each test gets databases (and roles) of its own, made here and dropped afterwards; the
shared `test` database is never touched. Where no server answers, the tests are skipped
with the reason shown, unless CODE_MESH_REQUIRE_PG=1 (CI on a machine that has one) turns
that skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

HOST = os.environ.get("CODE_MESH_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("CODE_MESH_TEST_PG_PORT", "5432"))
ADMIN = os.environ.get("CODE_MESH_TEST_PG_USER", "postgres")


def _connect_admin() -> Any:
    import psycopg

    return psycopg.connect(
        host=HOST, port=PORT, user=ADMIN, dbname="postgres", autocommit=True, connect_timeout=5
    )


def require_server() -> None:
    """Skip (or fail, under CODE_MESH_REQUIRE_PG=1) when no PostgreSQL answers."""
    try:
        import psycopg  # noqa: F401

        _connect_admin().close()
    except Exception as error:  # ImportError, OperationalError: either way, no server to test with
        reason = f"no PostgreSQL at {HOST}:{PORT} ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
        if os.environ.get("CODE_MESH_REQUIRE_PG") == "1":
            pytest.fail(f"{reason}, and CODE_MESH_REQUIRE_PG=1 requires one", pytrace=False)
        pytest.skip(reason)


def _identifier(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@dataclass
class Cluster:
    """Makes databases and roles for one test, and drops all of them at the end."""

    databases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)

    def admin(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with _connect_admin() as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def role(self, *, login: bool = True) -> str:
        name = _identifier("cm_role")
        self.admin(f'CREATE ROLE "{name}" {"LOGIN" if login else "NOLOGIN"}')
        self.roles.append(name)
        return name

    def database(self, owner: str | None = None, connection_limit: int | None = None) -> str:
        name = _identifier("cm_test")
        options = f' OWNER "{owner}"' if owner else ""
        if connection_limit is not None:
            options += f" CONNECTION LIMIT {connection_limit}"
        self.admin(f'CREATE DATABASE "{name}"{options}')
        self.databases.append(name)
        return name

    def url(self, database: str, user: str = ADMIN, password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql+psycopg://{user}{secret}@{HOST}:{PORT}/{database}"

    def run(self, database: str, sql: str, *params: object, user: str = ADMIN) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(host=HOST, port=PORT, user=user, dbname=database, autocommit=True) as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def drop_all(self) -> None:
        for name in self.databases:
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for name in self.roles:
            self.admin(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def postgres() -> Iterator[Cluster]:
    require_server()
    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.drop_all()


@pytest.fixture(scope="module")
def postgres_for_module() -> Iterator[Cluster]:
    require_server()
    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.drop_all()
