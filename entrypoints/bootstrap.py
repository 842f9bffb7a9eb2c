"""The one place where adapters are chosen and wired to the use cases."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from code_mesh.adapters.home import Home, prepare_home, resolve_home
from code_mesh.adapters.schema_migrator import ensure_schema
from code_mesh.adapters.sqlite_store import SqliteCredentialStore
from code_mesh.domain.errors import CodeMeshError
from code_mesh.entrypoints.output import notice, warn

PROTECTION = "file permissions (0600), not encrypted"
"""How secrets in the store are protected today; shown by `auth list`."""


def environment() -> Mapping[str, str]:
    return os.environ


def home() -> Home:
    return resolve_home(environment())


def _take_over_auth_json(source: Path) -> Callable[[Path], None]:
    """First use: import the auth.json a Code Mesh CLI left in the home, all or none."""

    def populate(new_store: Path) -> None:
        from code_mesh.adapters.auth_json import detect_format
        from code_mesh.application.import_credentials import import_credentials

        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CodeMeshError(
                f"Found {source} but cannot read it ({error}); no store was created",
                "Fix the file's permissions or move it aside",
            ) from None
        try:
            entries = detect_format(text).decode(text)
        except CodeMeshError as error:
            raise CodeMeshError(
                f"Found {source} from an earlier Code Mesh but cannot take it over: {error.message}; "
                "no store was created and the file is untouched",
                f"Fix or move {source} aside, then run the command again",
            ) from None
        store = SqliteCredentialStore(new_store)
        try:
            import_credentials(store, entries)
        finally:
            store.dispose()
        notice(f"Took over {len(entries)} credential(s) from {source} (first use).")

    return populate


def open_store() -> SqliteCredentialStore:
    """The store in the home directory, private and migrated to the current schema."""
    where = home()
    prepare_home(where, warn)
    populate = _take_over_auth_json(where.auth_json) if where.auth_json.is_file() else None
    ensure_schema(where.database, where.schema_lock, populate)
    return SqliteCredentialStore(where.database)
