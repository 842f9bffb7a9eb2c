"""Write storm: N processes of mixed, write-heavy commands released at the same moment.

Logins, logouts, switches, imports, listings and token reads (no refresh, no network)
run together on a fresh home (every process also races to create the store) and on a
seeded one. The figure to watch is how many failed because the store was busy
("database is locked"): SQLite's busy timeout is 60 s, so a correct store never
reports that on a machine this size. Failures a user asked for (logging out of an
account a concurrent logout already removed) are counted apart, and so are internal
errors (target 0).

    python benchmarks/write_storm.py                 # N = 64, 3 rounds each
    python benchmarks/write_storm.py --processes 32 --rounds 5
    python benchmarks/write_storm.py --passphrase pw --extra-salts 100   # the R5 case

What made commands fail with "database is locked" (issue 9 R5): a write transaction
held SQLite's write lock while it derived every passphrase key with scrypt (about 50 ms
and 16 MiB each). Rotations that died before retiring their old salt (D1) left the list
growing, so each write held the lock for seconds and the queue behind it outlasted the
60 s busy timeout. Now a write derives only the store's own key, before it takes the
lock, and rotations retire old salts.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import clean_environment, command_line
from storm import Command, StormResult, storm

SEEDED = 16


def mixed_commands(processes: int, import_size: int = 3, env: dict[str, str] | None = None) -> list[Command]:
    """One of eight kinds per process, in turn; every write names its own account or provider."""
    commands = []
    for n in range(processes):
        kind = n % 8
        if kind == 0:
            commands.append(Command(("auth", "login", f"p-{n:03d}", "--with-key"), f"sk-p-{n:03d}"))
        elif kind == 1:
            commands.append(
                Command(("auth", "login", "shared", "--account", f"a{n:03d}", "--with-key"), "sk-a")
            )
        elif kind == 2:
            commands.append(Command(("auth", "logout", f"seed-{n % SEEDED:02d}", "--yes")))
        elif kind == 3:
            commands.append(Command(("auth", "switch", "seed-shared", f"s{n % SEEDED:02d}")))
        elif kind == 4:
            document = {
                "credentials": {f"imp-{n:03d}-{m}": {"type": "api_key", "key": f"k{m}"} for m in range(3)}
            }
            commands.append(Command(("auth", "import", "-"), json.dumps(document)))
        elif kind == 5:
            commands.append(Command(("auth", "list", "--json")))
        elif kind == 6:
            commands.append(
                Command(("auth", "logout", "seed-shared", "--account", f"s{n % SEEDED:02d}", "--yes"))
            )
        else:
            commands.append(Command(("auth", "token", f"seed-{(n + 1) % SEEDED:02d}")))
    return [Command(c.arguments, c.stdin, env) for c in commands]


def seed(home: Path, extra_rows: int = 0, env: dict[str, str] | None = None) -> None:
    document = {
        "credentials": {
            **{f"seed-{m:02d}": {"type": "api_key", "key": f"sk-seed-{m}"} for m in range(SEEDED)},
            **{f"seed-shared:s{m:02d}": {"type": "api_key", "key": f"sk-s-{m}"} for m in range(SEEDED)},
            **{f"bulk-{m:05d}": {"type": "api_key", "key": f"sk-bulk-{m}"} for m in range(extra_rows)},
        }
    }
    result = subprocess.run(
        command_line("auth", "import", "-"), input=json.dumps(document), capture_output=True, text=True,
        env=clean_environment(home, env),
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(f"seeding failed: {result.stderr}")


def add_salts(home: Path, count: int) -> None:
    """Salts no secret is sealed with any more: each costs a scrypt wherever all keys are derived."""
    if not count:
        return
    connection = sqlite3.connect(home / "auth.db")
    (salts,) = connection.execute("SELECT value FROM store_meta WHERE name = 'passphrase_salts'").fetchone()
    extra = " ".join(os.urandom(16).hex() for _ in range(count))
    connection.execute(
        "UPDATE store_meta SET value = ? WHERE name = 'passphrase_salts'", (f"{salts} {extra}",)
    )
    connection.commit()
    connection.close()


def classify(result: StormResult) -> dict[str, int]:
    busy = internal = other = 0
    for code, error in zip(result.exit_codes, result.errors, strict=True):
        if code == 0:
            continue
        if "locked" in error or "busy" in error:
            busy += 1
        elif "unexpected internal error" in error or "Traceback" in error:
            internal += 1
        else:
            other += 1
    return {"busy": busy, "internal": internal, "other": other}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed-rows", type=int, default=0, help="more rows in the seeded store")
    parser.add_argument("--import-size", type=int, default=3, help="entries in each import")
    parser.add_argument("--passphrase", help="CODE_MESH_PASSPHRASE for every command (a passphrase store)")
    parser.add_argument(
        "--extra-salts",
        type=int,
        default=0,
        help="old passphrase salts left in the seeded store (as rotations that died before retiring)",
    )
    options = parser.parse_args()
    print(f"{'home':<8} {'round':>5} {'busy':>5} {'internal':>8} {'other':>5} {'seconds':>8}", flush=True)
    totals = {"fresh": [0, 0], "seeded": [0, 0]}
    env = {"CODE_MESH_PASSPHRASE": options.passphrase} if options.passphrase else None
    for kind in ("fresh", "seeded"):
        for round_number in range(options.rounds):
            with tempfile.TemporaryDirectory() as directory:
                home = Path(directory) / "home"
                if kind == "seeded":
                    seed(home, options.seed_rows, env)
                    add_salts(home, options.extra_salts)
                result = storm(home, mixed_commands(options.processes, options.import_size, env))
            counts = classify(result)
            totals[kind][0] += counts["busy"]
            totals[kind][1] += len(result.exit_codes)
            print(
                f"{kind:<8} {round_number:>5} {counts['busy']:>5} {counts['internal']:>8} "
                f"{counts['other']:>5} {result.seconds:>8.2f}",
                flush=True,
            )
            for code, error in zip(result.exit_codes, result.errors, strict=True):
                if code and ("internal" in error or "Traceback" in error):
                    print("   ", error.strip().splitlines()[-1][:200], flush=True)
    for kind, (busy, runs) in totals.items():
        print(f"{kind}: {busy} of {runs} commands failed with a busy store", flush=True)


if __name__ == "__main__":
    main()
