"""Symlinks in the home follow one rule: resolve them and apply every check (owner, kind,
mode) to what they lead to, as if it stood in the home (issue 9 P1-P4)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import CliRunner
from launcher import Launcher
from store_reader import decrypted_rows, store_key_id


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def move_behind_a_link(path: Path, elsewhere: Path) -> Path:
    """Move `path` to `elsewhere` and leave a symlink to it in its place."""
    elsewhere.mkdir(mode=0o700, exist_ok=True)
    target = elsewhere / path.name
    path.rename(target)
    path.symlink_to(target)
    return target


def test_p1_the_token_path_never_reads_a_key_file_open_to_others(run: CliRunner, home: Path) -> None:
    assert run("auth", "login", "openai", "--with-key", input="sk-p1").returncode == 0
    (home / "key").chmod(0o644)
    token = run("auth", "token", "openai")
    assert token.returncode == 0 and token.stdout == "sk-p1\n"
    assert f"{home / 'key'} was open to other users (mode 0644); narrowed to 0600" in token.stderr
    assert mode(home / "key") == 0o600
    again = run("auth", "token", "openai")
    assert again.stdout == "sk-p1\n" and again.stderr == ""


def test_p2_symlinked_store_files_are_checked_and_narrowed_where_they_lead(
    run: CliRunner, home: Path, tmp_path: Path
) -> None:
    assert run("auth", "login", "openai", "--with-key", input="sk-p2").returncode == 0
    targets = [move_behind_a_link(home / name, tmp_path / "elsewhere") for name in ("auth.db", "key")]
    for target in targets:
        target.chmod(0o644)
    doctor = run("auth", "doctor")
    assert doctor.returncode == 1 and "problem permissions" in " ".join(doctor.stdout.split())
    for name, target in zip(("auth.db", "key"), targets, strict=True):
        assert f"{home / name} (-> {target}) is 0644" in doctor.stdout
        assert mode(target) == 0o644, "doctor only looks: its advice stays true"
    assert doctor.stderr == ""
    # Opening the store narrows what the link leads to, and says so; the link stays.
    token = run("auth", "token", "openai")
    assert token.stdout == "sk-p2\n"
    for name, target in zip(("auth.db", "key"), targets, strict=True):
        assert f"{home / name} (-> {target}) was open to other users (mode 0644)" in token.stderr
        assert mode(target) == 0o600 and (home / name).is_symlink()
    again = run("auth", "doctor")
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.skipif(os.getuid() != 0, reason="making a file another user's needs root")
def test_p3_a_symlinked_store_of_another_user_is_refused(run: CliRunner, home: Path, tmp_path: Path) -> None:
    assert run("auth", "login", "openai", "--with-key", input="sk-p3").returncode == 0
    target = move_behind_a_link(home / "auth.db", tmp_path / "theirs")
    os.chown(target, 65534, 65534)
    before = target.read_bytes()
    for arguments in (("auth", "token", "openai"), ("auth", "list"), ("auth", "logout", "openai", "--yes")):
        result = run(*arguments)
        assert result.returncode == 1 and result.stdout == "", arguments
        assert f"{home / 'auth.db'} (-> {target}) belongs to another user (uid 65534)" in result.stderr
        assert "Traceback" not in result.stderr
    assert target.read_bytes() == before and target.stat().st_uid == 65534


def test_p4_rotation_writes_through_a_symlinked_key_file(run: CliRunner, home: Path, tmp_path: Path) -> None:
    assert run("auth", "login", "openai", "--with-key", input="sk-p4").returncode == 0
    old_key = store_key_id(home)
    target = move_behind_a_link(home / "key", tmp_path / "keys")
    rotated = run("auth", "key", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new_key = store_key_id(home)
    assert (home / "key").is_symlink() and Path(os.readlink(home / "key")) == target
    assert new_key in target.read_text() and old_key not in target.read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"], "no old copy left beside it"
    assert decrypted_rows(home)[0]["api_key"] == "sk-p4"


def test_a_symlinked_home_is_not_narrowed_again_and_again(launcher: Launcher, tmp_path: Path) -> None:
    real = tmp_path / "real-home"
    link = tmp_path / "home-link"
    link.symlink_to(real, target_is_directory=True)
    first = launcher.cli(link, "auth", "login", "openai", "--with-key", input="sk-link")
    assert first.returncode == 0 and mode(real) == 0o700 and "narrowed" not in first.stderr
    real.chmod(0o755)
    widened = launcher.cli(link, "auth", "list")
    assert f"{link} (-> {real}) was open to other users (mode 0755); narrowed to 0700" in widened.stderr
    for arguments in (("auth", "list"), ("auth", "token", "openai"), ("auth", "doctor")):
        result = launcher.cli(link, *arguments)
        assert result.returncode == 0 and "narrowed" not in result.stderr, (arguments, result.stderr)
