"""A refresh storm: N real processes ask for a due token at the same moment.

Each process imports everything first and then waits on its standard input (the
start gate); closing all the pipes in one loop releases them together, so they reach
the refresh at once. Used by the e2e test (N=64) and benchmarks/refresh_storm.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import clean_environment

_GATED = (
    "import sys\n"
    "import code_mesh.entrypoints.cli, code_mesh.entrypoints.commands.token\n"
    "import code_mesh.adapters.store.sqlite_store, code_mesh.adapters.providers.oauth_http\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
    "from code_mesh.entrypoints.main import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


@dataclass(frozen=True)
class StormResult:
    exit_codes: list[int]
    outputs: list[str]
    errors: list[str]
    seconds: float

    @property
    def failures(self) -> int:
        return sum(1 for code in self.exit_codes if code != 0)


def refresh_storm(home: Path, processes: int, provider: str = "anthropic") -> StormResult:
    """Run `auth token PROVIDER` in `processes` processes released together; wall time from release."""
    started = [
        subprocess.Popen(
            [sys.executable, "-c", _GATED, "auth", "token", provider],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(home),
        )
        for _ in range(processes)
    ]
    for process in started:  # each says "ready" once its imports are done
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
    begin = time.perf_counter()
    for process in started:
        assert process.stdin is not None
        process.stdin.close()
        process.stdin = None
    outputs, errors, codes = [], [], []
    for process in started:
        out, err = process.communicate(timeout=600)
        outputs.append(out)
        errors.append(err)
        codes.append(process.returncode)
    return StormResult(codes, outputs, errors, time.perf_counter() - begin)
