"""Failed refreshes must not queue: N processes need a due token while the token endpoint fails.

Against the fake Anthropic of the test suite, whose token endpoint either hangs (sends nothing)
or trickles (one byte every 2 s, which no per-read timeout ever trips), N processes run
`code-mesh auth token anthropic` on a due token at the same moment, with
CODE_MESH_HTTP_TIMEOUT=3. It prints when each process exited (seconds from the release of the
start gate) and how many refresh requests the endpoint saw. Before issue 9 the processes took
the refresh lock one after another and each repeated the failed request (6 callers: 4.9, 8.0 …
20.5 s); now every exchange has a total deadline and a waiter reuses the failure the lock's
holder just saw, so all of them end at about the timeout, after one request.

Run after `pip install '.[test]'` from the repository root:

    python benchmarks/refresh_failure.py            # N = 6, hang and trickle
    python benchmarks/refresh_failure.py 6 16       # other sizes
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

TIMEOUT_SECONDS = 3


def one_run(processes: int, kind: str) -> tuple[list[float], int, int]:
    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory) / "home"
        fake = FakeAnthropic(hang_timeout=120)
        with fake.serve() as base:
            configure_anthropic(home, base)
            if log_in_to_anthropic(home, fake).finish() != 0:
                raise SystemExit("could not log in to the fake Anthropic")
            make_token_due(home)
            before = fake.refresh_count
            fake.fail_next(kind, count=processes)
            storm = refresh_storm(home, processes, env={"CODE_MESH_HTTP_TIMEOUT": str(TIMEOUT_SECONDS)})
            return storm.finished, fake.refresh_count - before, storm.failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[6])
    parser.add_argument("--kinds", nargs="*", default=["hang", "trickle"])
    arguments = parser.parse_args()
    print(f"CODE_MESH_HTTP_TIMEOUT={TIMEOUT_SECONDS}")
    for kind in arguments.kinds:
        for processes in arguments.sizes:
            finished, requests, failures = one_run(processes, kind)
            times = ", ".join(f"{seconds:.1f}" for seconds in finished)
            print(
                f"{kind:>8} N={processes:<3} requests={requests:<3} failed={failures:<3} exits at: {times} s"
            )


if __name__ == "__main__":
    main()
