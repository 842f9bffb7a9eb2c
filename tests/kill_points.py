"""SIGKILL a CLI command at moments spread over its run, and check the store after each kill.

Shared by the crash tests (about 10 kills each) and benchmarks/crash.py (100 each).
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conftest import clean_environment, command_line


@dataclass
class KillReport:
    attempts: int = 0
    killed: int = 0
    finished: int = 0
    problems: list[str] = field(default_factory=list)


def integrity_ok(home: Path) -> bool:
    connection = sqlite3.connect(home / "auth.db")
    try:
        return connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()


def kill_during(
    home: Path,
    arguments: tuple[str, ...],
    attempts: int,
    check: Callable[[int], str | None],
    *,
    stdin: str | None = None,
    before_each: Callable[[], None] = lambda: None,
    seed: int = 1,
    env: Mapping[str, str] | None = None,
    integrity: Callable[[], bool] | None = None,
) -> KillReport:
    """Run `arguments` `attempts` times, killing each at a random moment within one full run's
    duration; `check(attempt)` returns a problem or None. Every attempt checks integrity first
    (SQLite's integrity_check of the home's store, unless `integrity` says otherwise: a team
    store's server keeps its own pages)."""
    intact = integrity or (lambda: integrity_ok(home))
    randomness = random.Random(seed)
    report = KillReport()
    before_each()
    started = time.perf_counter()
    subprocess.run(
        command_line(*arguments),
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_environment(home, env),
    )
    duration = time.perf_counter() - started
    for attempt in range(attempts):
        before_each()
        process = subprocess.Popen(
            command_line(*arguments),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            env=clean_environment(home, env),
        )
        if stdin is not None:
            assert process.stdin is not None
            try:
                process.stdin.write(stdin)
                process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            process.wait(timeout=randomness.uniform(0, duration))
            report.finished += 1
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            report.killed += 1
        report.attempts += 1
        if not intact():
            report.problems.append(f"attempt {attempt}: integrity_check failed")
            continue
        problem = check(attempt)
        if problem:
            report.problems.append(f"attempt {attempt}: {problem}")
    return report
