"""Crash safety: SIGKILL `auth import` (10,000 entries), `auth refresh`, `auth key rotate`,
and a rotation while a login runs beside it, at random moments, many times, and check
the store after every kill.

After each kill the store must pass `PRAGMA integrity_check` and hold the old state or
the new one: all 10,000 imported entries or none; the old tokens or one whole new
grant; every row under one key the vault still holds; and, rotating while logging in,
every seeded credential and every login that exited 0 opening with the key file, under
the key the store records. The test suite runs about 10 kills of the first three; this
runs 100 by default.

    python benchmarks/crash.py            # 100 kills each
    python benchmarks/crash.py --kills 20
    python benchmarks/crash.py --only "while logging in"
    python benchmarks/crash.py --only "team store"     # the import on PostgreSQL

"auth import (10,000), team store" is the same import into a team store on a fresh
database of the PostgreSQL at 127.0.0.1:5432 (made and dropped here): PostgreSQL keeps
its own pages, so the check is the count alone.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from anthropic_login import configure_anthropic, log_in_to_anthropic
from conftest import clean_environment, command_line
from kill_points import KillReport, integrity_ok, kill_during
from postgres_server import Cluster
from servers.fake_anthropic import FakeAnthropic
from store_reader import decrypted_rows, home_keys, store_key_id


def cli(home: Path, *arguments: str, stdin: str = "", env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        command_line(*arguments),
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_environment(home, env),
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


def crash_team_import(home: Path, kills: int) -> KillReport:
    cluster = Cluster()
    try:
        database = cluster.database()
        env = {
            "CODE_MESH_DATABASE_URL": cluster.url(database),
            "CODE_MESH_KEY_FILE": str(home.parent / "team.key"),
        }
        cli(home, "store", "migrate", env=env)
        cli(home, "auth", "login", "openai", "--with-key", stdin="sk-before", env=env)
        document = json.dumps(
            {
                "credentials": {
                    f"bulk-{n:05d}": {"type": "api_key", "key": f"sk-{n:05d}"} for n in range(10_000)
                }
            }
        )

        def reset() -> None:
            cluster.run(database, "DELETE FROM credentials WHERE provider LIKE 'bulk-%'")

        def check(attempt: int) -> str | None:
            ((rows,),) = cluster.run(database, "SELECT count(*) FROM credentials")
            return None if rows in (1, 10_001) else f"{rows} rows, neither all nor none"

        return kill_during(
            home, ("auth", "import", "-"), kills, check, stdin=document, before_each=reset, env=env,
            integrity=lambda: True,
        )  # fmt: skip
    finally:
        cluster.drop_all()


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


def crash_rotate_while_logging_in(home: Path, kills: int) -> KillReport:
    """Two rotations and a login start together, on the seeded store or (every fourth attempt)
    on a new home whose first key the login makes; one of the three, chosen at random, is
    killed at a random moment. Nothing stored may be lost: not a seeded row, not a login
    that said ok; every secret opens with the key file, under the key the store records."""
    seeded = {f"p-{n:04d}": f"sk-{n}" for n in range(1000)}
    document = {"credentials": {name: {"type": "api_key", "key": key} for name, key in seeded.items()}}
    cli(home, "auth", "import", "-", stdin=json.dumps(document))
    started = time.perf_counter()
    cli(home, "auth", "key", "rotate")
    duration = time.perf_counter() - started
    randomness = random.Random(2)
    expected = {home: dict(seeded)}
    report = KillReport()
    for attempt in range(kills):
        where = home if attempt % 4 else home.with_name(f"fresh-{attempt:03d}")
        expected.setdefault(where, {})
        provider = f"login-{attempt:03d}"
        rotate = ("auth", "key", "rotate")
        commands = (("auth", "login", provider, "--with-key"), rotate, rotate)
        processes = [
            subprocess.Popen(command_line(*arguments), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, text=True, env=clean_environment(where))
            for arguments in commands
        ]  # fmt: skip
        for process, text in zip(processes, (f"sk-{provider}", "", ""), strict=True):
            assert process.stdin is not None
            process.stdin.write(text)
            process.stdin.close()
        victim = randomness.choice(processes)
        try:  # three processes take turns with the locks: up to three runs' time in all
            victim.wait(timeout=randomness.uniform(0, 3 * duration))
            report.finished += 1
        except subprocess.TimeoutExpired:
            victim.send_signal(signal.SIGKILL)
            report.killed += 1
        for process in processes:
            process.wait()
        report.attempts += 1
        if processes[0].returncode == 0:
            expected[where][provider] = f"sk-{provider}"
        problem = _lost_anything(where, expected[where])
        if problem:
            report.problems.append(f"attempt {attempt}: {problem}")
    return report


def _lost_anything(home: Path, expected: dict[str, str]) -> str | None:
    if not (home / "auth.db").exists():
        return None if not expected else "the store is gone"
    if not integrity_ok(home):
        return "integrity_check failed"
    try:
        stored = {row["provider"]: row["api_key"] for row in decrypted_rows(home)}
    except Exception as error:  # a row whose key the key file no longer holds
        return f"a secret does not open ({type(error).__name__})"
    lost = [name for name, key in expected.items() if stored.get(name) != key]
    if lost:
        return f"lost {lost[:3]}"
    if stored and store_key_id(home) not in home_keys(home):
        return "the key the store records is not in the key file"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    options = parser.parse_args()
    kills = options.kills
    failed = False
    for name, run in (
        ("auth import (10,000)", crash_import),
        ("auth import (10,000), team store", crash_team_import),
        ("auth refresh", crash_refresh),
        ("auth key rotate", crash_rotate),
        ("rotate while logging in", crash_rotate_while_logging_in),
    ):
        if options.only and options.only not in name:
            continue
        with tempfile.TemporaryDirectory() as directory:
            report = run(Path(directory) / "home", kills)
        verdict = "ok" if not report.problems else f"{len(report.problems)} PROBLEMS: {report.problems[:3]}"
        print(
            f"{name:<34} attempts {report.attempts:>4}  killed mid-way {report.killed:>4}  "
            f"finished first {report.finished:>4}  {verdict}",
            flush=True,
        )
        failed = failed or bool(report.problems)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
