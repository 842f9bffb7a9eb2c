"""One command run twice from the same home, working directory and environment: as the installed
`code-mesh` (its read-only fast paths allowed) and forced to the full CLI (`main(fast=False)`).

Both runs are fresh interpreters under `-X importtime`, so each also says which modules it
imported: a run that never imported cyclopts was answered by a fast path (entrypoints/fast_path/).
The importtime lines are taken out of stderr before the two are compared.

Each run starts from the same copy of the world (the user's home with the code-mesh home and the
project directories in it), restored between the two, at the same path: the store's path is part
of what `auth list` prints, and a run that creates or changes a file (the full path creates a
missing store) cannot change what the other one sees. So the order of the two runs does not
matter; the fast one goes first, as a user's command would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(sys.executable).parent / "code-mesh"
"""The installed command (bin/code-mesh), run by the interpreter running the tests."""

FORCED_FULL_PATH = (
    "import os, sys\n"
    "sys.argv[0] = sys.argv.pop(1)\n"  # the same argv as the launcher's: [LAUNCHER, *arguments]
    "sys.path[0] = os.path.dirname(sys.argv[0])\n"  # as for a script, not the working directory
    "from code_mesh.entrypoints.main import main\n"
    "raise SystemExit(main(fast=False))\n"
)

CLOSED_PORT_PROXY = "http://127.0.0.1:9"
"""Anything that would reach the network goes to a closed loopback port instead."""

IMPORT_TIME = b"import time:"


def base_environment(home: Path) -> dict[str, str]:
    """Built from nothing rather than from the test's environment, so no provider variable, no
    CODE_MESH_* and no keychain of the machine running the tests changes an answer."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CODE_MESH_HOME": str(home / ".code-mesh"),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # key-file protection
        "HTTP_PROXY": CLOSED_PORT_PROXY,
        "HTTPS_PROXY": CLOSED_PORT_PROXY,
    }
    for name in ("LD_LIBRARY_PATH", "TMPDIR"):
        if name in os.environ:
            environ[name] = os.environ[name]
    return environ


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: bytes
    stderr: bytes
    """Without the lines -X importtime adds."""
    modules: frozenset[str]
    """The top-level names of the modules the run imported (before an exec, for `exec`)."""

    @property
    def answered_fast(self) -> bool:
        return "cyclopts" not in self.modules

    def shown(self) -> str:
        return (
            f"exit {self.exit_code}\n--- stdout\n{self.stdout.decode(errors='replace')}"
            f"--- stderr\n{self.stderr.decode(errors='replace')}"
        )


def run_once(command: list[str], environ: Mapping[str, str], cwd: Path) -> Run:
    result = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, env=dict(environ), cwd=cwd, timeout=60
    )
    kept: list[bytes] = []
    modules: set[str] = set()
    for line in result.stderr.splitlines(keepends=True):
        if line.startswith(IMPORT_TIME):
            if b"|" in line:
                modules.add(line.rsplit(b"|", 1)[1].strip().split(b".")[0].decode())
        else:
            kept.append(line)
    return Run(result.returncode, result.stdout, b"".join(kept), frozenset(modules))


def normal_command(arguments: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-X", "importtime", str(LAUNCHER), *arguments]


def full_path_command(arguments: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-X", "importtime", "-c", FORCED_FULL_PATH, str(LAUNCHER), *arguments]


TreeState = dict[str, tuple[int, str | None]]


def tree_state(root: Path) -> TreeState:
    """Every file and directory under `root`: its mode and a digest of its content. SQLite's
    -wal and -shm files come and go with any reader and are left out."""
    state: TreeState = {}
    for path in sorted(root.rglob("*")):
        if path.name.endswith(("-wal", "-shm")):
            continue
        info = path.lstat()
        digest = None
        if stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISLNK(info.st_mode):
            digest = os.readlink(path)
        state[str(path.relative_to(root))] = (stat.S_IMODE(info.st_mode), digest)
    return state


@dataclass(frozen=True)
class Pair:
    fast: Run
    """The installed command, fast paths allowed."""
    full: Run
    """The same command forced to the full CLI."""
    before: TreeState
    after_fast: TreeState
    after_full: TreeState


def run_pair(
    arguments: tuple[str, ...], snapshot: Path, world: Path, environ: Mapping[str, str], cwd: Path
) -> Pair:
    """`snapshot` is copied to `world` before each run; `environ` and `cwd` name paths in `world`."""
    shutil.copytree(snapshot, world, symlinks=True)
    before = tree_state(world)
    fast = run_once(normal_command(arguments), environ, cwd)
    after_fast = tree_state(world)
    shutil.rmtree(world)
    shutil.copytree(snapshot, world, symlinks=True)
    full = run_once(full_path_command(arguments), environ, cwd)
    return Pair(fast, full, before, after_fast, tree_state(world))


def set_expiries(code_mesh_home: Path, expiries: Mapping[tuple[str, str], int]) -> None:
    """Give stored OAuth rows the expiry times a case needs, relative to the moment it runs.
    `expires_at` is no secret and not part of a ciphertext's associated data, so this is the
    stored row the CLI would have written with that expiry."""
    connection = sqlite3.connect(code_mesh_home / "auth.db")
    try:
        with connection:
            for (provider, account), expires_at in expiries.items():
                updated = connection.execute(
                    "UPDATE credentials SET expires_at = ? WHERE provider = ? AND account = ?",
                    (expires_at, provider, account),
                )
                assert updated.rowcount == 1, (provider, account)
    finally:
        connection.close()


def child_environment(output: bytes) -> dict[str, str]:
    """What `env -0` printed: COMMAND's environment."""
    return dict(entry.decode().split("=", 1) for entry in output.split(b"\0") if entry)
