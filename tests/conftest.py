"""Fixtures shared by every test: a private CODE_MESH_HOME and a way to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from postgres_server import postgres, postgres_for_module  # noqa: F401  (fixtures for every test)

if TYPE_CHECKING:
    from cli_process import CliProcess
    from launcher import Launcher

PROVIDER_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


def clean_environment(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without anything that would change code-mesh's answers."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in PROVIDER_VARIABLES and not key.startswith("CODE_MESH_")
    }
    environ["CODE_MESH_HOME"] = str(home)
    environ["NO_COLOR"] = "1"
    environ.update(extra or {})
    return environ


CliRunner = Callable[..., subprocess.CompletedProcess[str]]

KEYFILE_NOTICE = "No OS keychain is available here"
"""How the line starts that says, once, where a new store's key file is (SPEC section 8)."""


def lines_besides_the_keyfile_notice(stderr: str, *, creates_the_store: bool) -> list[str]:
    """stderr's lines other than the key-file notice, which must be there once exactly when
    the command is the one that creates the store, and never otherwise."""
    lines = stderr.splitlines()
    notices = [line for line in lines if line.startswith(KEYFILE_NOTICE)]
    assert len(notices) == (1 if creates_the_store else 0), stderr
    return [line for line in lines if not line.startswith(KEYFILE_NOTICE)]


def command_line(*arguments: str) -> list[str]:
    """The installed program, run by the interpreter running the tests."""
    return [sys.executable, "-m", "code_mesh", *arguments]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "code-mesh-home"


@pytest.fixture
def cli(home: Path) -> CliRunner:
    """Run `code-mesh ARGS` in a subprocess with `home` as CODE_MESH_HOME."""

    def run(
        *arguments: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        home_override: Path | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command_line(*arguments),
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=clean_environment(home_override or home, env),
            timeout=120,
            cwd=cwd,
        )

    return run


@pytest.fixture
def spawn(home: Path) -> Iterator[Callable[..., CliProcess]]:
    """Start CLI processes; any still running when the test ends (it failed) is killed, not leaked."""
    from cli_process import CliProcess

    started: list[CliProcess] = []

    def start(*arguments: str) -> CliProcess:
        started.append(CliProcess(home, *arguments))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.finish(timeout=10)


@pytest.fixture(scope="module")
def launcher() -> Iterator[Launcher]:
    """One interpreter that imported the installed code-mesh once and forks a real process per
    command (tests/launcher.py): many-process tests stay fast."""
    from launcher import Launcher

    with Launcher() as started:
        yield started


@pytest.fixture
def run(launcher: Launcher, home: Path) -> CliRunner:
    """`code-mesh ARGS` in a fresh real process forked by the launcher, `home` as CODE_MESH_HOME."""

    def command(
        *arguments: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        home_override: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return launcher.cli(home_override or home, *arguments, input=input or "", env=env, cwd=cwd)

    return command
