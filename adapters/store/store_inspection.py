"""The StoreInspector of `auth doctor`: what only the files and SQLite itself can tell."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from code_mesh.adapters.files.home import DIRECTORY_MODE, FILE_MODE, Home, described
from code_mesh.adapters.files.private_file import leftover_temporary_files
from code_mesh.adapters.store.schema_revision import KNOWN_REVISIONS, SCHEMA_HEAD
from code_mesh.adapters.store.sqlite_connect import connect_looking_only
from code_mesh.adapters.store.store_meta import describe_protection, read_key_record
from code_mesh.domain.errors import CodeMeshError


class SqliteInspector:
    """Looks at the files as they are, changing nothing: no permission is narrowed, and the
    store is opened for reading only (so `auth doctor`'s advice is never already stale)."""

    def __init__(self, home: Home) -> None:
        self._home = home
        self._loose = self._find_loose_permissions() if home.root.is_dir() else []

    def loose_permissions(self) -> list[str]:
        return self._loose

    def _find_loose_permissions(self) -> list[str]:
        """Checked where symlinks lead, as the home's own narrowing does (adapters/files/home.py)."""
        found = []
        paths = [self._home.root, *(Path(entry.path) for entry in os.scandir(self._home.root))]
        for path in paths:
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # a file that went away meanwhile, or a symlink that leads nowhere
            if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
                continue
            wanted = DIRECTORY_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
            mode = stat.S_IMODE(info.st_mode)
            if mode & ~wanted:
                found.append(f"{described(path)} is {mode:04o}")
        return found

    def _query(self, sql: str) -> list[str]:
        if not self._home.database.is_file():  # sqlite3.connect would create an empty store
            raise sqlite3.DatabaseError(f"{self._home.database} is not a file")
        connection = connect_looking_only(self._home.database)
        try:
            return [str(row[0]) for row in connection.execute(sql).fetchall()]
        finally:
            connection.close()

    def integrity(self) -> str | None:
        """One line, however much SQLite says: one bad page yields a line per damaged cell."""
        if not self._home.database.exists():
            return None
        try:
            answer = self._query("PRAGMA integrity_check")
        except sqlite3.DatabaseError as error:
            if "not a database" in str(error):
                return f"{self._home.database} is not an SQLite database"
            return str(error).splitlines()[0] if str(error) else type(error).__name__
        problems = [
            line
            for row in answer
            for line in row.splitlines()
            if line.strip() and not line.startswith("*** in database")
        ]
        if problems == ["ok"]:
            return "ok"
        if not problems:
            return "no answer"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return problems[0] + more

    def revision(self) -> tuple[str | None, str]:
        try:
            rows = self._query("SELECT version_num FROM alembic_version")
        except sqlite3.Error:
            return None, SCHEMA_HEAD
        return (rows[0] if rows else None), SCHEMA_HEAD

    def known_revisions(self) -> frozenset[str]:
        return frozenset(KNOWN_REVISIONS)

    def leftover_files(self) -> list[str]:
        return [str(path) for path in leftover_temporary_files(self._home.root)]

    def protection(self) -> str:
        return describe_protection(read_key_record(self._home.database), self._home.root)


class TeamInspector:
    """The StoreInspector of a team store: PostgreSQL keeps its own pages (no integrity check
    here), so what is left is the schema revision, the home's leftovers and the protection."""

    def __init__(self, home: Home, revision: Callable[[], str | None], protection: Callable[[], str]) -> None:
        self._home = home
        self._revision = revision
        self._protection = protection

    def loose_permissions(self) -> list[str]:
        return []

    def integrity(self) -> str | None:
        return None

    def revision(self) -> tuple[str | None, str]:
        try:
            return self._revision(), SCHEMA_HEAD
        except (CodeMeshError, DBAPIError):
            return None, SCHEMA_HEAD

    def leftover_files(self) -> list[str]:
        if not self._home.root.is_dir():
            return []
        return [str(path) for path in leftover_temporary_files(self._home.root)]

    def protection(self) -> str:
        try:
            return self._protection()
        except CodeMeshError as error:
            return error.message
