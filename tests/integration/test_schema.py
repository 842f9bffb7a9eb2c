"""The schema exists only through Alembic, is created safely by many processes, and is checked cheaply."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from code_mesh.adapters.store.schema_migrator import MIGRATIONS_PACKAGE, ensure_schema
from code_mesh.adapters.store.schema_revision import KNOWN_REVISIONS, SCHEMA_HEAD
from code_mesh.domain.errors import StoreUnavailable


def alembic_script() -> ScriptDirectory:
    from importlib.resources import files

    config = Config()
    config.set_main_option("script_location", str(files(MIGRATIONS_PACKAGE)))
    return ScriptDirectory.from_config(config)


def test_the_constants_on_the_hot_path_match_alembic() -> None:
    script = alembic_script()
    assert script.get_heads() == [SCHEMA_HEAD]
    history = [revision.revision for revision in script.walk_revisions()]
    assert tuple(reversed(history)) == KNOWN_REVISIONS


def test_a_new_store_is_created_private_in_wal_mode_at_head(tmp_path: Path) -> None:
    database = tmp_path / "auth.db"
    assert ensure_schema(database, tmp_path / "locks" / "schema.lock") is True
    assert database.stat().st_mode & 0o777 == 0o600
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_HEAD,)]
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    assert ensure_schema(database, tmp_path / "locks" / "schema.lock") is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auth.db", "locks"]


def test_alembic_is_not_imported_when_the_schema_is_at_head(tmp_path: Path) -> None:
    database = tmp_path / "auth.db"
    ensure_schema(database, tmp_path / "schema.lock")
    probe = (
        "import sys, pathlib\n"
        "from code_mesh.adapters.store.schema_migrator import ensure_schema\n"
        f"created = ensure_schema(pathlib.Path({str(database)!r}), pathlib.Path({str(tmp_path / 'schema.lock')!r}))\n"
        "print(created, 'alembic' in sys.modules, 'sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_store_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    database = tmp_path / "auth.db"
    ensure_schema(database, tmp_path / "schema.lock")
    connection = sqlite3.connect(database)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()
    before = _digest(database)
    with pytest.raises(StoreUnavailable) as caught:
        ensure_schema(database, tmp_path / "schema.lock")
    assert "newer code-mesh" in caught.value.one_line()
    assert "Upgrade code-mesh" in caught.value.one_line()
    assert _digest(database) == before


def test_an_empty_file_is_brought_to_head_in_place(tmp_path: Path) -> None:
    database = tmp_path / "auth.db"
    database.touch(mode=0o600)
    assert ensure_schema(database, tmp_path / "schema.lock") is False
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_HEAD,)
    connection.close()


@pytest.mark.parametrize("content", [b"\x8f" * 4096, b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_corrupt_store_is_reported_not_replaced(tmp_path: Path, content: bytes) -> None:
    database = tmp_path / "auth.db"
    database.write_bytes(content)
    with pytest.raises(StoreUnavailable) as caught:
        ensure_schema(database, tmp_path / "schema.lock")
    assert "nothing in it was changed" in caught.value.one_line()
    assert database.read_bytes() == content
