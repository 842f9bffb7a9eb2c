"""The StoreInspector of `auth doctor`: what only the files and SQLite itself can tell."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from code_mesh.adapters.files.home import DIRECTORY_MODE, FILE_MODE, Home, described
from code_mesh.adapters.store.schema_revision import SCHEMA_HEAD
from code_mesh.adapters.store.sqlite_connect import connect
from code_mesh.adapters.store.store_meta import describe_protection, read_key_record


class SqliteInspector:
    """Made before the store is opened: opening narrows permissions, and doctor must see them first."""

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

    def _query(self, sql: str) -> str | None:
        connection = connect(self._home.database)
        try:
            row = connection.execute(sql).fetchone()
            return None if row is None else str(row[0])
        finally:
            connection.close()

    def integrity(self) -> str:
        try:
            return self._query("PRAGMA integrity_check") or "no answer"
        except sqlite3.Error as error:
            return str(error)

    def revision(self) -> tuple[str | None, str]:
        try:
            return self._query("SELECT version_num FROM alembic_version"), SCHEMA_HEAD
        except sqlite3.Error:
            return None, SCHEMA_HEAD

    def protection(self) -> str:
        return describe_protection(read_key_record(self._home.database), self._home.root)
