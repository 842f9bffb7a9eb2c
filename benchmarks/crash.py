"""Crash safety: SIGKILL `auth import` (10,000 entries), `auth refresh` and `auth key rotate`
at random moments, many times, and check the store after every kill.

After each kill the store must pass `PRAGMA integrity_check` and hold the old state or
the new one: all 10,000 imported entries or none; the old tokens or one whole new
grant; every row under one key the vault still holds. The test suite runs about 10
kills of each; this runs 100 by default.

    python benchmarks/crash.py            # 100 kills each
    python benchmarks/crash.py --kills 20
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from anthropic_login import configure_anthropic, log_in_to_anthropic
from conftest import clean_environment, command_line
from kill_points import KillReport, kill_during
from servers.fake_anthropic import FakeAnthropic
from store_reader import decrypted_rows


def cli(home: Path, *arguments: str, stdin: str = "") -> None:
    import subprocess

    result = subprocess.run(
        command_line(*arguments), input=stdin, capture_output=True, text=True, env=clean_environment(home)
    )
    if result.returncode:
        raise SystemExit(f"{arguments}: {result.stderr}")


def count(home: Path) -> int:
    connection = sqlite3.connect(home / "auth.db")
    try:
        return connection.execute("SELECT count(*) FROM credentials").fetchone()[0]
    finally:
        connection.close()


def crash_import(home: Path, kills: int) -> KillReport:
    cli(home, "auth", "login", "openai", "--with-key", stdin="sk-before")
    document = json.dumps(
        {"credentials": {f"bulk-{n:05d}": {"type": "api_key", "key": f"sk-{n:05d}"} for n in range(10_000)}}
    )

    def reset() -> None:
        connection = sqlite3.connect(home / "auth.db")
        connection.execute("DELETE FROM credentials WHERE provider LIKE 'bulk-%'")
        connection.commit()
        connection.close()

    def check(attempt: int) -> str | None:
        rows = count(home)
        return None if rows in (1, 10_001) else f"{rows} rows, neither all nor none"

    return kill_during(home, ("auth", "import", "-"), kills, check, stdin=document, before_each=reset)


def crash_refresh(home: Path, kills: int) -> KillReport:
    fake = FakeAnthropic(revoke_family_on_reuse=False)
    with fake.serve() as base:
        configure_anthropic(home, base)
        if log_in_to_anthropic(home, fake).finish() != 0:
            raise SystemExit("login to the fake Anthropic failed")

        def check(attempt: int) -> str | None:
            rows = decrypted_rows(home)
            pair = (rows[0]["access_token"], rows[0]["refresh_token"])
            return (
                None
                if pair in {(g["access_token"], g["refresh_token"]) for g in fake.issued}
                else "torn grant"
            )

        return kill_during(home, ("auth", "refresh", "anthropic"), kills, check)


def crash_rotate(home: Path, kills: int) -> KillReport:
    document = json.dumps(
        {"credentials": {f"p-{n:04d}": {"type": "api_key", "key": f"sk-{n}"} for n in range(2000)}}
    )
    cli(home, "auth", "import", "-", stdin=document)

    def check(attempt: int) -> str | None:
        connection = sqlite3.connect(home / "auth.db")
        keys = {row[0].split(":")[1] for row in connection.execute("SELECT api_key FROM credentials")}
        connection.close()
        if len(keys) != 1:
            return f"rows under {len(keys)} keys"
        rows = decrypted_rows(home)  # raises if a row's key is gone
        return None if len(rows) == 2000 else f"{len(rows)} rows"

    return kill_during(home, ("auth", "key", "rotate"), kills, check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    kills = parser.parse_args().kills
    failed = False
    for name, run in (
        ("auth import (10,000)", crash_import),
        ("auth refresh", crash_refresh),
        ("auth key rotate", crash_rotate),
    ):
        with tempfile.TemporaryDirectory() as directory:
            report = run(Path(directory) / "home", kills)
        verdict = "ok" if not report.problems else f"{len(report.problems)} PROBLEMS: {report.problems[:3]}"
        print(
            f"{name:<22} attempts {report.attempts:>4}  killed mid-way {report.killed:>4}  "
            f"finished first {report.finished:>4}  {verdict}",
            flush=True,
        )
        failed = failed or bool(report.problems)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
