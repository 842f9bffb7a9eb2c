"""Running the CLI as an unprivileged user, for permission tests: root ignores file modes.

As root, commands run under `setpriv` as uid/gid 65534 in a home that user owns. The
interpreter must be one that user can run: the test interpreter if it can, else the
system's Python of the same version with this environment's site-packages on
PYTHONPATH (a venv made from a Python under /root points into a directory only root
may enter). Not as root, the commands just run: modes already apply.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import clean_environment

NOBODY = 65534
SETPRIV = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")


def _works(command: list[str], env: Mapping[str, str]) -> bool:
    probe = [*SETPRIV, *command, "-c", "import code_mesh, sqlalchemy, cryptography"]
    try:
        return subprocess.run(probe, env=dict(env), capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def _interpreter() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None:
    """How to start Python as the unprivileged user: the command and extra environment."""
    if _works([sys.executable], os.environ):
        return (sys.executable,), ()
    site = os.pathsep.join(dict.fromkeys((sysconfig.get_path("purelib"), sysconfig.get_path("platlib"))))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        extra = {"PYTHONPATH": site, "PYTHONNOUSERSITE": "1"}
        if os.path.exists(candidate) and _works([candidate], {**os.environ, **extra}):
            return (candidate,), tuple(extra.items())
    return None


@contextmanager
def unprivileged_home() -> Iterator[Path]:
    """A home the unprivileged user owns, in a directory it can reach (not under /root's tmp)."""
    parent = Path(tempfile.mkdtemp(prefix="code-mesh-unprivileged-", dir="/tmp"))
    try:
        parent.chmod(0o755)
        home = parent / "home"
        if os.getuid() == 0:
            os.chown(parent, NOBODY, NOBODY)
        yield home
    finally:
        for path in [parent, *parent.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o700)
        shutil.rmtree(parent, ignore_errors=True)


def run_unprivileged(
    home: Path, *arguments: str, input: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`code-mesh ARGS` as the unprivileged user (or as this one, when it is not root)."""
    environment = clean_environment(home, env)
    if os.getuid() != 0:
        command = [sys.executable, "-m", "code_mesh", *arguments]
    else:
        found = _interpreter()
        if found is None:
            pytest.skip("no Python that an unprivileged user can run")
        interpreter, extra = found
        environment.update(extra)
        environment["HOME"] = str(home.parent)
        command = [*SETPRIV, *interpreter, "-m", "code_mesh", *arguments]
    return subprocess.run(command, input=input, capture_output=True, text=True, env=environment, timeout=120)
