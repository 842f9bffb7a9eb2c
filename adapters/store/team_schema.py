"""A team store's schema: explicit migrations (`code-mesh store migrate`), checked by every other command.

On SQLite every command migrates (one machine, one user). On a shared database an upgrade
by one member's newer code-mesh must not lock out the fleet, so only `store migrate`
changes the schema, under an advisory lock (16 members running it at once make one
schema), in one transaction (PostgreSQL's DDL is transactional: all or nothing). The same
Alembic history as SQLite's runs here.
"""

from __future__ import annotations

from importlib.resources import files

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.store.advisory_locks import MIGRATE_LOCK
from code_mesh.adapters.store.postgres_connect import describe_postgres_error
from code_mesh.adapters.store.schema_migrator import MIGRATIONS_PACKAGE
from code_mesh.adapters.store.schema_revision import KNOWN_REVISIONS, SCHEMA_HEAD
from code_mesh.domain.errors import StoreUnavailable

MIGRATE = "Run `code-mesh store migrate` (as a member with write access)"


def read_team_revision(connection: Connection) -> str | None:
    """The Alembic revision, or None on a database without code-mesh's schema."""
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _newer(where: str, revision: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"The team store {where} was written by a newer code-mesh (schema {revision}, this one knows up "
        f"to {SCHEMA_HEAD}); nothing was changed",
        f"Upgrade code-mesh to a version that knows schema {revision} (pip install --upgrade code-mesh)",
    )


def check_team_schema(engine: Engine, where: str) -> None:
    """StoreUnavailable unless the schema is at head: behind (or none) says to migrate, newer
    to upgrade. Never changes anything."""
    try:
        with engine.connect() as connection, connection.begin():
            revision = read_team_revision(connection)
    except DBAPIError as error:
        raise describe_postgres_error(error, where) from None
    if revision == SCHEMA_HEAD:
        return
    if revision is None:
        raise StoreUnavailable(
            f"The team store {where} has no code-mesh schema yet; nothing was changed", MIGRATE
        )
    if revision not in KNOWN_REVISIONS:
        raise _newer(where, revision)
    raise StoreUnavailable(
        f"The team store {where} is at schema {revision}, and this code-mesh needs {SCHEMA_HEAD}; "
        "nothing was changed",
        MIGRATE,
    )


def migrate_team_store(engine: Engine, where: str) -> str | None:
    """Bring the schema to head under MIGRATE_LOCK; the revision it was at when this began (the
    same as SCHEMA_HEAD when there was nothing to do; None for a database without one)."""
    try:
        return _migrate(engine, where)
    except DBAPIError as error:  # a role that may not create tables, say: rolled back, one line
        raise describe_postgres_error(error, where) from None


def _migrate(engine: Engine, where: str) -> str | None:
    from alembic import command
    from alembic.config import Config

    with engine.connect() as connection:
        with connection.begin():
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATE_LOCK})
        try:
            with connection.begin():
                before = read_team_revision(connection)
            if before is not None and before not in KNOWN_REVISIONS:
                raise _newer(where, before)
            if before != SCHEMA_HEAD:
                config = Config()
                config.set_main_option("script_location", str(files(MIGRATIONS_PACKAGE)))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if connection.in_transaction():
                    connection.commit()
            return before
        finally:
            try:
                if connection.in_transaction():
                    connection.rollback()
                with connection.begin():
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATE_LOCK})
            except DBAPIError:
                pass  # the connection is gone, and the server has released the lock with it
