"""The home directory: private whatever the umask, and calm when other processes' files come and go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from code_mesh.adapters.files import home as home_module
from code_mesh.adapters.files.home import Home, prepare_home


def test_a_file_that_vanishes_while_narrowing_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the refresh storm: another process's auth.db-shm disappeared between listing and chmod."""
    root = tmp_path / "home"
    root.mkdir(mode=0o700)
    (root / "auth.db-shm").write_text("x")
    stale = list(os.scandir(root))
    (root / "auth.db-shm").unlink()
    monkeypatch.setattr(home_module.os, "scandir", lambda path: iter(stale))
    warnings: list[str] = []
    prepare_home(Home(root), warnings.append)
    assert warnings == []


def test_wider_files_are_narrowed_and_reported(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir(mode=0o755)
    (root / "auth.json").write_text("{}")
    (root / "auth.json").chmod(0o644)
    warnings: list[str] = []
    prepare_home(Home(root), warnings.append)
    assert (root.stat().st_mode & 0o777, (root / "auth.json").stat().st_mode & 0o777) == (0o700, 0o600)
    assert len(warnings) == 2 and all("narrowed" in warning for warning in warnings)
