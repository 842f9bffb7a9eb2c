"""Refresh storm: N processes run `code-mesh auth token anthropic` on a due token at the same moment.

Against the fake Anthropic of the test suite (strict: a refresh token used twice
revokes the whole family), it prints for each N how many refresh requests the
provider saw (the target is exactly 1), how many processes failed (target 0), and
the wall time from the release of the start gate to the last exit. Baseline in the
same run: the same N processes on a fresh token (no refresh at all), so the ratio
shows what single-flight refresh costs on top of N start-ups.

Run after `pip install '.[test]'` from the repository root:

    python benchmarks/refresh_storm.py            # N = 64, 128, 256
    python benchmarks/refresh_storm.py 32 64      # other sizes
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from anthropic_login import configure_anthropic, log_in_to_anthropic, make_token_due
from servers.fake_anthropic import FakeAnthropic
from storm import refresh_storm


def one_size(processes: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory) / "home"
        fake = FakeAnthropic()
        with fake.serve() as base:
            configure_anthropic(home, base)
            if log_in_to_anthropic(home, fake).finish() != 0:
                raise SystemExit("could not log in to the fake Anthropic")
            baseline = refresh_storm(home, processes)  # fresh token: start-up and one read each
            make_token_due(home)
            storm = refresh_storm(home, processes)
            token = fake.issued[-1]["access_token"] + "\n"
            return {
                "processes": processes,
                "refreshes": fake.refresh_count,
                "failures": storm.failures + baseline.failures,
                "same_token": sum(1 for out in storm.outputs if out == token),
                "storm_s": storm.seconds,
                "baseline_s": baseline.seconds,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[64, 128, 256])
    sizes = parser.parse_args().sizes
    print(
        f"{'N':>5} {'refreshes':>9} {'failures':>8} {'same token':>10} {'storm':>9} {'fresh':>9} {'ratio':>6}"
    )
    worst = 0
    for processes in sizes:
        row = one_size(processes)
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
