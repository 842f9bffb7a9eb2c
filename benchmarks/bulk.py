"""Bulk import and export: 10,000 entries through the installed CLI, whole-process wall time.

Each is compared with the same CLI's `auth list` on the same store in the same run
(start-up and opening the store), so the ratio shows what the bulk work itself costs
on this machine. Target (issue: prove it under load): each under 2 s.

    python benchmarks/bulk.py              # 10,000 entries, 3 rounds, median
    python benchmarks/bulk.py --entries 50000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(arguments: list[str], home: Path, stdin: str | None = None) -> float:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CODE_MESH_") and not k.endswith("_API_KEY")
    }
    env["CODE_MESH_HOME"] = str(home)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "code_mesh", *arguments], input=stdin, capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed: {result.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    document = json.dumps(
        {
            "credentials": {
                f"bulk-{n:06d}": {"type": "api_key", "key": f"sk-bulk-{n:06d}"}
                for n in range(options.entries)
            }
        }
    )
    imports, exports, lists = [], [], []
    for _ in range(options.rounds):
        with tempfile.TemporaryDirectory() as directory:
            home = Path(directory) / "home"
            timed(["auth", "list"], home)  # create the store and its key first
            imports.append(timed(["auth", "import", "-"], home, document))
            exports.append(timed(["auth", "export", "--output", str(Path(directory) / "out.json")], home))
            lists.append(timed(["auth", "list", "--json"], home))
    baseline = statistics.median(lists)
    print(f"{options.entries} entries, median of {options.rounds} rounds ({sys.executable})")
    for name, samples in (
        ("auth import", imports),
        ("auth export", exports),
        ("auth list (baseline)", lists),
    ):
        median = statistics.median(samples)
        verdict = "" if name.endswith("(baseline)") else ("  ok (< 2 s)" if median < 2 else "  OVER 2 s")
        print(f"{name:<22} {median:6.2f} s  {median / baseline:5.2f}x list{verdict}")


if __name__ == "__main__":
    main()
