"""Bring the store's schema to head with Alembic, safely when many processes start at once.

Fast path: the revision is read with the standard library's sqlite3; when it is at
head, Alembic and SQLAlchemy are not imported at all. Otherwise one process at a time
(an flock on `locks/schema.lock`) looks again and migrates. A new store is built
under a temporary name and renamed into place only when complete, so no process ever
sees a half-created store, and a crash leaves nothing behind but a stray temp file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.adapters.store.file_lock import exclusive_lock
from code_mesh.adapters.store.schema_revision import KNOWN_REVISIONS, SCHEMA_HEAD
from code_mesh.adapters.store.sqlite_connect import connect
from code_mesh.domain.errors import DiskFull, StoreUnavailable

MIGRATIONS_PACKAGE = "code_mesh.migrations"


def _unreadable(path: Path, reason: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"The store {path} cannot be read ({reason}); nothing in it was changed",
        "Move the file aside (or restore it from an `auth export` backup) and run the command again",
    )


def read_revision(path: Path) -> str | None:
    """The Alembic revision recorded in the store, or None for a store without one."""
    if path.is_dir():
        raise _unreadable(path, "it is a directory, not a file")
    try:
        connection = connect(path)
        try:
            tables = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchall()
            if not tables:
                return None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            return None if row is None else str(row[0])
        finally:
            connection.close()
    except sqlite3.Error as error:
        if is_disk_full(error, path.parent):  # a full tmpfs: SQLite cannot even grow its -shm file
            raise DiskFull(f"SQLite could not open {path} ({error}); nothing in it was changed") from None
        raise _unreadable(path, str(error)) from None


def _refuse_newer(path: Path, revision: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"The store {path} was written by a newer code-mesh (schema {revision}); nothing was changed",
        "Upgrade code-mesh (pip install --upgrade code-mesh)",
    )


def revision_as_found(path: Path) -> str | None:
    """The store's revision, read without changing anything (`auth doctor`): StoreUnavailable
    for a file that is not a store, or one written by a newer code-mesh."""
    revision = read_revision(path)
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise _refuse_newer(path, revision)
    return revision


MigrationAttributes = Callable[[Path], dict[str, object]]
"""Given the store about to be migrated, what its migrations need (the cipher, meta rows).

Called under the schema lock but before the migration's transaction begins, so it may
read the store and write key files or keychain entries without waiting on itself."""


def _upgrade(path: Path, attributes: MigrationAttributes | None = None) -> None:
    """Run every pending migration on `path` in one transaction."""
    from importlib.resources import files

    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import DBAPIError

    from code_mesh.adapters.store.sql_store import describe_database_error
    from code_mesh.adapters.store.sqlite_engine import make_engine

    extra = attributes(path) if attributes is not None else {}
    engine = make_engine(path)
    try:
        with engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(files(MIGRATIONS_PACKAGE)))
            config.attributes.update(extra)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as error:  # a full disk, mostly: one line, the transaction rolled back
        raise describe_database_error(error, path) from None
    finally:
        engine.dispose()
    # WAL lets readers run beside a writer; the mode is stored in the file, so once is enough.
    plain = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        plain.execute("PRAGMA journal_mode = WAL")
    finally:
        plain.close()


def _checkpoint_completely(path: Path) -> None:
    """Move everything in `path`'s WAL into the file itself, and fail if that cannot be done.

    The new store is renamed into place without its -wal file: a commit still in the WAL
    (a checkpoint that a full disk stopped) would be lost, and the store left damaged."""
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        busy, log_frames, checkpointed = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    wal = Path(f"{path}-wal")
    if busy or log_frames != checkpointed or (wal.exists() and wal.stat().st_size):
        raise sqlite3.OperationalError("the new store's write-ahead log could not be written into it")


def _creation_failed(database: Path, taking_over: Path | None, error: BaseException) -> StoreUnavailable:
    """One line for a store that could not be built, naming auth.db (and the auth.json being
    taken over), never the temporary file it was built in."""
    source = f" from {taking_over} (left untouched)" if taking_over else ""
    if isinstance(error, DiskFull) or is_disk_full(error, database.parent):
        return DiskFull(f"the store {database} could not be created{source}; nothing was changed")
    cause = error.__context__ if isinstance(error, StoreUnavailable) and error.__context__ else error
    reason = getattr(cause, "strerror", None) or str(getattr(cause, "orig", cause)).splitlines()[0]
    return StoreUnavailable(
        f"Cannot create the store {database}{source} ({reason or type(cause).__name__}); nothing was changed",
        "Check that CODE_MESH_HOME is a directory you can write to",
    )


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def ensure_schema(
    database: Path,
    lock: Path,
    populate_new: Callable[[Path], None] | None = None,
    attributes: MigrationAttributes | None = None,
    *,
    taking_over: Path | None = None,
) -> bool:
    """Make sure `database` exists at SCHEMA_HEAD; True when this call created it.

    `populate_new(path)` runs on a newly created store before it is put in place
    (the first-use import of `taking_over`, named in messages); if it raises, the new
    store is discarded.
    """
    if database.exists():
        revision = read_revision(database)
        if revision == SCHEMA_HEAD:
            return False
        if revision is not None and revision not in KNOWN_REVISIONS:
            raise _refuse_newer(database, revision)
    try:
        with exclusive_lock(lock):
            if database.exists():
                revision = read_revision(database)
                if revision is not None and revision not in KNOWN_REVISIONS:
                    raise _refuse_newer(database, revision)
                if revision != SCHEMA_HEAD:
                    _upgrade(database, attributes)
                return False
            _build(database, populate_new, attributes, taking_over)
            return True
    except OSError as error:
        raise _creation_failed(database, None, error) from None


def _build(
    database: Path,
    populate_new: Callable[[Path], None] | None,
    attributes: MigrationAttributes | None,
    taking_over: Path | None,
) -> None:
    """Create the store under a temporary name, fill it, and rename it into place."""
    building = database.with_name(f".{database.name}.new-{os.getpid()}")
    leftovers = (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm")))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    try:
        # Private from the first byte, whatever the umask; SQLite gives its
        # -wal and -shm files the database file's mode.
        os.close(os.open(building, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        _upgrade(building, attributes)
        if populate_new is not None:
            populate_new(building)
        _checkpoint_completely(building)
        os.replace(building, database)
        _fsync_directory(database.parent)
    except (OSError, sqlite3.Error, StoreUnavailable) as error:
        raise _creation_failed(database, taking_over, error) from None
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
