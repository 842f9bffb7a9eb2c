"""Real processes at the same moment: no lost write, one schema, all-or-nothing imports."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KEYFILE_NOTICE, CliRunner, clean_environment, command_line
from store_reader import decrypted_rows


def start_waiting_on_stdin(home: Path, *arguments: str) -> subprocess.Popen[str]:
    """A CLI process that starts up and then blocks reading its standard input: a start gate."""
    return subprocess.Popen(
        command_line(*arguments),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(home),
    )


def release_together(processes: list[subprocess.Popen[str]], inputs: list[str]) -> list[tuple[int, str]]:
    """Write every process's input and close it in one quick loop, then collect the results."""
    for process, text in zip(processes, inputs, strict=True):
        assert process.stdin is not None
        process.stdin.write(text)
    for process in processes:
        assert process.stdin is not None
        process.stdin.close()
    results = []
    for process in processes:
        process.wait(timeout=300)
        assert process.stderr is not None
        results.append((process.returncode, process.stderr.read()))
        for stream in (process.stdout, process.stderr):
            assert stream is not None
            stream.close()
    return results


def credentials_in(home: Path) -> list[tuple[str, str]]:
    """Each stored provider with its API key, opened with the home's key (it must be sealed with it)."""
    return [(row["provider"], row["api_key"]) for row in decrypted_rows(home)]


@pytest.mark.slow
def test_32_simultaneous_logins_to_32_providers_all_land(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "list").returncode == 0  # the store exists; this test is about writes
    providers = [f"provider-{n:02d}" for n in range(32)]
    processes = [start_waiting_on_stdin(home, "auth", "login", p, "--with-key") for p in providers]
    results = release_together(processes, [f"sk-{p}" for p in providers])
    assert [code for code, _ in results] == [0] * 32, [err for code, err in results if code]
    assert credentials_in(home) == [(p, f"sk-{p}") for p in providers]


@pytest.mark.slow
def test_10_processes_on_an_empty_home_leave_one_schema(home: Path) -> None:
    providers = [f"first-{n}" for n in range(10)]
    processes = [start_waiting_on_stdin(home, "auth", "login", p, "--with-key") for p in providers]
    results = release_together(processes, [f"sk-{p}" for p in providers])
    assert [code for code, _ in results] == [0] * 10, [err for code, err in results if code]
    # One of them made the store, and with it the key file: that is said once, not by each process.
    assert sum(KEYFILE_NOTICE in err for _, err in results) == 1, [err for _, err in results]
    connection = sqlite3.connect(home / "auth.db")
    try:
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        assert tables == [("alembic_version",), ("audit_log",), ("credentials",), ("store_meta",)]
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()
    assert credentials_in(home) == [(p, f"sk-{p}") for p in providers]
    assert sorted(p.name for p in home.iterdir() if p.is_file()) == ["auth.db"] or all(
        not p.name.startswith(".auth.db.new") for p in home.iterdir()
    )


def big_auth_json(count: int, prefix: str = "bulk") -> str:
    return json.dumps(
        {
            "credentials": {
                f"{prefix}-{n:05d}": {"type": "api_key", "key": f"sk-{prefix}-{n:05d}"} for n in range(count)
            }
        }
    )


def count_and_check(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return connection.execute("SELECT count(*) FROM credentials").fetchone()[0]
    finally:
        connection.close()


@pytest.mark.slow
def test_10000_entries_import_in_one_transaction_and_survive_sigkill(cli: CliRunner, home: Path) -> None:
    """Kill the import at moments spread over its run: the store holds all 10,000 new entries or none."""
    assert cli("auth", "login", "openai", "--with-key", input="sk-before").returncode == 0
    document = big_auth_json(10_000)

    started = time.perf_counter()
    timing_home = home.parent / "timing-home"
    timed = subprocess.run(
        command_line("auth", "import", "-"),
        input=document,
        capture_output=True,
        text=True,
        env=clean_environment(timing_home),
        timeout=300,
    )
    full_run = time.perf_counter() - started
    assert timed.returncode == 0, timed.stderr
    assert count_and_check(timing_home / "auth.db") == 10_000

    outcomes = []
    kills = 10
    for attempt in range(kills):
        process = start_waiting_on_stdin(home, "auth", "import", "-")
        assert process.stdin is not None
        process.stdin.write(document)
        process.stdin.close()
        try:
            process.wait(timeout=full_run * (attempt + 0.5) / kills)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        outcomes.append(process.returncode)
        for stream in (process.stdout, process.stderr):
            assert stream is not None
            stream.close()
        count = count_and_check(home / "auth.db")
        assert count in (1, 10_001), f"attempt {attempt}: {count} credentials"
        if count == 10_001:
            # Start the next attempt from the old state again.
            connection = sqlite3.connect(home / "auth.db")
            connection.execute("DELETE FROM credentials WHERE provider LIKE 'bulk-%'")
            connection.commit()
            connection.close()
    assert -signal.SIGKILL in outcomes, f"no attempt was killed part-way: {outcomes}"
    assert cli("auth", "token", "openai").stdout == "sk-before\n"
