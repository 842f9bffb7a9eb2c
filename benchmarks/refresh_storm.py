"""Refresh storm: N processes run `code-mesh auth token anthropic` on a due token at the same moment.

Against the fake Anthropic of the test suite (strict: a refresh token used twice
revokes the whole family), it prints for each N how many refresh requests the
provider saw (the target is exactly 1), how many processes failed (target 0), and
the wall time from the release of the start gate to the last exit. Baseline in the
same run: the same N processes on a fresh token (no refresh at all), so the ratio
shows what single-flight refresh costs on top of N start-ups.

With `--store postgres` the processes share a team store on a fresh database of the
PostgreSQL at 127.0.0.1:5432 (made and dropped here), spread over 4 homes as over 4
machines: single-flight is then an advisory lock, and N above the server's
max_connections (100) queues through the connection backoff.

Run after `pip install '.[test]'` from the repository root:

    python benchmarks/refresh_storm.py                    # N = 64, 128, 256 on SQLite
    python benchmarks/refresh_storm.py --store postgres   # the same on a team store
    python benchmarks/refresh_storm.py 32 64              # other sizes
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from anthropic_login import configure_anthropic, log_in_to_anthropic, make_token_due
from postgres_server import Cluster
from servers.fake_anthropic import FakeAnthropic
from storm import Command, StormResult, refresh_storm, storm

MACHINES = 4


def team_storm(homes: list[Path], processes: int, env: Mapping[str, str]) -> StormResult:
    commands = [
        Command(("auth", "token", "anthropic"), env={**env, "CODE_MESH_HOME": str(homes[n % len(homes)])})
        for n in range(processes)
    ]
    return storm(homes[0], commands)


def one_size(processes: int, store: str) -> dict[str, float | int]:
    cluster = Cluster()
    with tempfile.TemporaryDirectory() as directory:
        homes = [Path(directory) / f"home-{n}" for n in range(MACHINES if store == "postgres" else 1)]
        env: dict[str, str] = {}
        if store == "postgres":
            database = cluster.database()
            env = {
                "CODE_MESH_DATABASE_URL": cluster.url(database),
                "CODE_MESH_PASSPHRASE": "storm passphrase",
            }
        fake = FakeAnthropic()
        try:
            with fake.serve() as base:
                for home in homes:
                    configure_anthropic(home, base)
                if store == "postgres":
                    migrate = storm(homes[0], [Command(("store", "migrate"), env=env)])
                    if migrate.failures:
                        raise SystemExit(f"store migrate failed: {migrate.errors[0]}")
                if log_in_to_anthropic(homes[0], fake, env=env or None).finish() != 0:
                    raise SystemExit("could not log in to the fake Anthropic")

                def run() -> StormResult:
                    if store == "postgres":
                        return team_storm(homes, processes, env)
                    return refresh_storm(homes[0], processes)

                baseline = run()  # fresh token: start-up and one read each
                if store == "postgres":
                    cluster.run(
                        database, "UPDATE credentials SET expires_at = extract(epoch FROM now())::bigint + 60"
                    )
                else:
                    make_token_due(homes[0])
                result = run()
                token = fake.issued[-1]["access_token"] + "\n"
                return {
                    "processes": processes,
                    "refreshes": fake.refresh_count,
                    "failures": result.failures + baseline.failures,
                    "same_token": sum(1 for out in result.outputs if out == token),
                    "storm_s": result.seconds,
                    "baseline_s": baseline.seconds,
                    "errors": len({e for e in result.errors + baseline.errors if e and "error" in e}),
                }
        finally:
            cluster.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[64, 128, 256])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    options = parser.parse_args()
    print(f"store: {options.store}")
    print(
        f"{'N':>5} {'refreshes':>9} {'failures':>8} {'same token':>10} {'storm':>9} {'fresh':>9} {'ratio':>6}"
    )
    worst = 0
    for processes in options.sizes:
        row = one_size(processes, options.store)
        ratio = row["storm_s"] / row["baseline_s"]
        print(
            f"{row['processes']:>5} {row['refreshes']:>9} {row['failures']:>8} {row['same_token']:>10}"
            f" {row['storm_s']:>8.2f}s {row['baseline_s']:>8.2f}s {ratio:>5.2f}x",
            flush=True,
        )
        if row["refreshes"] != 1 or row["failures"] or row["same_token"] != processes:
            worst = 1
    raise SystemExit(worst)


if __name__ == "__main__":
    main()
