"""Storms: N real processes released at the same moment.

Each process imports everything first and then waits on its standard input (the
start gate: one line); writing that line and closing the pipes in one loop releases
them together. Whatever follows the gate line is the command's own standard input
(a key for `login --with-key`, a document for `import -`). Used by the e2e tests and
benchmarks/refresh_storm.py and benchmarks/write_storm.py.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conftest import clean_environment

_GATED = (
    "import sys\n"
    "import code_mesh.entrypoints.cli, code_mesh.entrypoints.commands.token\n"
    "import code_mesh.adapters.store.sql_store, code_mesh.adapters.providers.oauth_http\n"
    "import code_mesh.adapters.store.dialects, code_mesh.adapters.store.postgres_connect, psycopg\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
    "from code_mesh.entrypoints.main import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


@dataclass(frozen=True)
class StormResult:
    exit_codes: list[int]
    outputs: list[str]
    errors: list[str]
    seconds: float
    finished: list[float] = field(default_factory=list)
    """When each process exited, in seconds from the release, sorted (not kept by every runner)."""

    @property
    def failures(self) -> int:
        return sum(1 for code in self.exit_codes if code != 0)


@dataclass(frozen=True)
class Command:
    """One process of a storm: its arguments and what it reads from standard input."""

    arguments: Sequence[str]
    stdin: str = ""
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    """The working directory (the launcher's children only; project files are found from it)."""


def storm(home: Path, commands: Sequence[Command]) -> StormResult:
    """Run every command in its own process, released together; wall time from the release."""
    started = [
        subprocess.Popen(
            [sys.executable, "-c", _GATED, *command.arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(home, command.env),
        )
        for command in commands
    ]
    for process in started:  # each says "ready" once its imports are done
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
    begin = time.perf_counter()
    for process, command in zip(started, commands, strict=True):
        assert process.stdin is not None
        process.stdin.write("go\n" + command.stdin)
        process.stdin.close()
        process.stdin = None
    results: list[tuple[str, str, int, float]] = [("", "", 0, 0.0)] * len(started)

    def collect(index: int, process: subprocess.Popen[str]) -> None:
        out, err = process.communicate(timeout=600)
        results[index] = (out, err, process.returncode, time.perf_counter() - begin)

    collectors = [threading.Thread(target=collect, args=item) for item in enumerate(started)]
    for collector in collectors:
        collector.start()
    for collector in collectors:
        collector.join()
    return StormResult(
        [code for _, _, code, _ in results],
        [out for out, _, _, _ in results],
        [err for _, err, _, _ in results],
        time.perf_counter() - begin,
        sorted(seconds for _, _, _, seconds in results),
    )


def refresh_storm(
    home: Path, processes: int, provider: str = "anthropic", env: Mapping[str, str] | None = None
) -> StormResult:
    """Run `auth token PROVIDER` in `processes` processes released together."""
    return storm(home, [Command(("auth", "token", provider), env=env)] * processes)
