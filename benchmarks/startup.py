"""Start-up cost of the installed code-mesh CLI, as whole-process wall time.

A measurement, not a test: scripts call `code-mesh auth token` in loops, so what a user
pays is the whole process, interpreter start included. Each figure is also given as a
ratio to `python -c pass` on the same interpreter, which makes figures from different
machines comparable and is what the targets are written in.

Run it after `pip install .` (a regular install: the wheel is what users get):

    python benchmarks/startup.py [--rounds 21] [--warmup 2] [--json]
    python benchmarks/startup.py --team-url postgresql+psycopg://USER@HOST/EMPTY_DATABASE

With --team-url, also `auth token` against a team store on that (empty) database, and
`psql -tAc 'select 1'` on it: one connection and one query, what a team store's token can
at best cost beside Python's start-up.

Standard library only, so it runs under any Python 3.11+, inside or outside the
environment it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_KEY = "sk-bench-key"
"""The API key stored once in the temporary home; it goes to the CLI on stdin, never in argv."""

SCRUBBED_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CODE_MESH_DEBUG")
"""An API key variable would answer `auth token` without reading the store, and debug
mode turns the fast path off: either would measure something other than the hot path."""

MIN_ROUNDS = 15

BARE_CYCLOPTS_HELP = "import cyclopts; cyclopts.App(name='bare', help_format='plaintext')(['--help'])"
"""A one-line cyclopts application's --help: the floor of any help page cyclopts prints."""


class BenchmarkError(Exception):
    """A set-up step or a measured run failed; the figures would mean nothing."""


@dataclass
class Benchmark:
    """One command to time, with its target (a ratio to the baseline) where there is one."""

    name: str
    argv: list[str]
    target: float | None = None
    prints_key: bool = False
    samples: list[float] = field(default_factory=list)
    env: dict[str, str] | None = None
    """Its own environment (a team store's), else the run's."""
    versus: str | None = None
    """Another benchmark's name: its ratio to that one is reported too (exec against `sh -c true`)."""

    @property
    def median(self) -> float:
        """The median, not the mean: one stalled run must not move the figure."""
        return statistics.median(self.samples)


def find_script(option: str | None) -> Path:
    """The installed console script: --code-mesh, else beside sys.executable, else on PATH.

    Beside sys.executable first, so `venv/bin/python benchmarks/startup.py` measures that
    venv even when another code-mesh comes earlier on PATH.
    """
    if option is not None:
        # Absolute, so that `./code-mesh` is not looked up on PATH when it is run.
        candidate = Path(os.path.abspath(option if os.sep in option else shutil.which(option) or option))
        if not candidate.is_file():
            raise BenchmarkError(f"--code-mesh {option}: no such file")
        return candidate
    beside = Path(sys.executable).parent / "code-mesh"
    if beside.is_file():
        return beside
    found = shutil.which("code-mesh")
    if found is None:
        raise BenchmarkError(
            "no installed code-mesh found beside this Python or on PATH; run `pip install .` first,"
            " or pass --code-mesh PATH"
        )
    return Path(found)


def interpreter_of(script: Path) -> str:
    """The interpreter the console script runs under, read from its shebang.

    The baseline must be that interpreter, not whichever runs this file. Handles plain
    shebangs, `/usr/bin/env python3`, and pip's `/bin/sh` trampoline for long paths.
    """
    with script.open("rb") as handle:
        lines = handle.read(4096).decode("utf-8", "replace").splitlines()
    if not lines or not lines[0].startswith("#!"):
        raise BenchmarkError(f"{script} has no shebang; pass --python")
    words = lines[0][2:].strip().split(maxsplit=1)
    if not words:
        raise BenchmarkError(f"{script} has an empty shebang; pass --python")
    program = words[0]
    if program == "/bin/sh" and len(lines) > 1 and lines[1].startswith("'''exec'"):
        # pip writes `'''exec' "/long/path/python" "$0" "$@"` when the path is too long.
        program = shlex.split(lines[1])[1]
    elif Path(program).name == "env" and len(words) > 1:
        name = next((word for word in words[1].split() if not word.startswith("-")), "")
        program = shutil.which(name) or name
    if not (os.path.isfile(program) and os.access(program, os.X_OK)):
        raise BenchmarkError(f"{script} names interpreter {program!r}, which is not there; pass --python")
    return program


def describe_failure(argv: list[str], env: dict[str, str], code: int) -> str:
    """Run a failed command again with its output captured, so the abort says why."""
    again = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    detail = (again.stderr or again.stdout).strip().splitlines()[-5:]
    lines = [f"`{shlex.join(argv)}` exited with {code}; the figures would be meaningless."]
    lines += [f"  | {line}" for line in detail]
    return "\n".join(lines)


def timed_run(benchmark: Benchmark, env: dict[str, str]) -> float:
    """Wall time of one whole process, in seconds; aborts on a non-zero exit."""
    start = time.perf_counter()
    env = benchmark.env or env
    completed = subprocess.run(
        benchmark.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise BenchmarkError(describe_failure(benchmark.argv, env, completed.returncode))
    return elapsed


def team_benchmarks(script: Path, env: dict[str, str], url: str, directory: str) -> list[Benchmark]:
    """`store migrate` and a login on the team database, then what to time there."""
    team = {**env, "CODE_MESH_DATABASE_URL": url, "CODE_MESH_KEY_FILE": os.path.join(directory, "team.key")}
    migrate = [str(script), "store", "migrate"]
    completed = subprocess.run(migrate, capture_output=True, text=True, env=team, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(
            f"`{shlex.join(migrate)}` exited with {completed.returncode}:\n{completed.stderr}"
        )
    prepare_home(script, team)
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return [
        Benchmark("psql -tAc 'select 1'", ["psql", libpq_url, "-tAc", "select 1"]),
        Benchmark(
            "auth token openai (team store)",
            [str(script), "auth", "token", "openai"],
            prints_key=True,
            env=team,
        ),
    ]


def prepare_home(script: Path, env: dict[str, str]) -> None:
    """Log in once with a fresh API key, so `auth token` has something to print."""
    login = [str(script), "auth", "login", "openai", "--with-key"]
    completed = subprocess.run(login, input=BENCH_KEY, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(
            f"`{shlex.join(login)}` exited with {completed.returncode}:\n{completed.stderr.strip()}"
        )


def check_token_output(benchmarks: list[Benchmark], env: dict[str, str]) -> None:
    """The token commands must print the stored key, or we would time some other path."""
    for benchmark in benchmarks:
        if not benchmark.prints_key:
            continue
        own = benchmark.env or env
        completed = subprocess.run(benchmark.argv, capture_output=True, text=True, env=own, check=False)
        if completed.returncode != 0:
            raise BenchmarkError(describe_failure(benchmark.argv, own, completed.returncode))
        if completed.stdout != BENCH_KEY + "\n":
            raise BenchmarkError(f"`{shlex.join(benchmark.argv)}` did not print the key stored by the login")


def python_version(python: str, env: dict[str, str]) -> str:
    """The measured interpreter's version, which need not be the one running this file."""
    code = "import platform; print(platform.python_implementation(), platform.python_version())"
    completed = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(f"{python} does not run: {completed.stderr.strip()}")
    return completed.stdout.strip()


def measure(
    benchmarks: list[Benchmark], env: dict[str, str], rounds: int, warmup: int, seed: int | None
) -> None:
    """Warm up, then run every command once per round in a shuffled order.

    Interleaving spreads machine noise (another job, a frequency change) over every
    command alike instead of letting it land on one command's block of runs.
    """
    shuffler = random.Random(seed)
    order = list(benchmarks)
    for _ in range(warmup):
        shuffler.shuffle(order)
        for benchmark in order:
            timed_run(benchmark, env)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for benchmark in order:
            benchmark.samples.append(timed_run(benchmark, env))


def build_benchmarks(python: str, script: Path) -> list[Benchmark]:
    """The commands to time; the first is the baseline the ratios divide by."""
    cli = str(script)
    return [
        Benchmark("python -c pass", [python, "-c", "pass"]),
        Benchmark("code-mesh --help", [cli, "--help"], 10.0),
        # What --help cost through cyclopts: importing it (and rich) and printing a page.
        Benchmark("a bare cyclopts app's --help", [python, "-c", BARE_CYCLOPTS_HELP]),
        Benchmark("code-mesh auth list", [cli, "auth", "list"], 35.0),
        Benchmark("code-mesh auth token openai", [cli, "auth", "token", "openai"], 3.0, prints_key=True),
        Benchmark(
            "python -m code_mesh auth token openai",
            [python, "-m", "code_mesh", "auth", "token", "openai"],
            prints_key=True,
        ),
        Benchmark("sh -c true", ["sh", "-c", "true"]),
        Benchmark(
            "code-mesh exec --provider openai -- true",
            [cli, "exec", "--provider", "openai", "--", "true"],
            versus="sh -c true",
        ),
        Benchmark("code-mesh auth status", [cli, "auth", "status"]),
        Benchmark("code-mesh auth which openai", [cli, "auth", "which", "openai"]),
    ]


def report(benchmarks: list[Benchmark], info: dict[str, Any]) -> dict[str, Any]:
    """The figures as plain data, for --json and for the table alike."""
    baseline = benchmarks[0].median
    medians = {benchmark.name: benchmark.median for benchmark in benchmarks}
    results = []
    for benchmark in benchmarks:
        ratio = benchmark.median / baseline
        versus = None
        if benchmark.versus in medians:
            versus = {
                "command": benchmark.versus,
                "ratio": round(benchmark.median / medians[benchmark.versus], 2),
            }
        results.append(
            {
                "command": benchmark.name,
                "argv": benchmark.argv,
                "median_ms": round(benchmark.median * 1000, 2),
                "min_ms": round(min(benchmark.samples) * 1000, 2),
                "max_ms": round(max(benchmark.samples) * 1000, 2),
                "ratio": round(ratio, 2),
                "target_ratio": benchmark.target,
                "within_target": None if benchmark.target is None else ratio <= benchmark.target,
                "versus": versus,
                "samples_ms": [round(sample * 1000, 2) for sample in benchmark.samples],
            }
        )
    return {**info, "results": results}


def print_table(data: dict[str, Any]) -> None:
    """A small human-readable table; --json has every sample."""
    rounds, warmup = data["rounds"], data["warmup"]
    print(f"code-mesh start-up: median of {rounds} interleaved rounds, after {warmup} warm-up rounds")
    print(f"interpreter: {data['interpreter']} ({data['python_version']})")
    print(f"code-mesh:   {data['code_mesh']}")
    print(f"machine:     {data['machine']}")
    print()
    width = max(len(row["command"]) for row in data["results"])
    print(f"{'command':<{width}}  {'median':>9}  {'ratio':>6}  {'target':>11}  {'min':>9}  {'max':>9}")
    for row in data["results"]:
        target = "-"
        if row["target_ratio"] is not None:
            target = f"{row['target_ratio']:.1f}x {'ok' if row['within_target'] else 'OVER'}"
        versus = ""
        if row.get("versus"):
            versus = f"  ({row['versus']['ratio']:.2f}x {row['versus']['command']})"
        print(
            f"{row['command']:<{width}}  {row['median_ms']:>6.1f} ms  {row['ratio']:>5.2f}x  {target:>11}"
            f"  {row['min_ms']:>6.1f} ms  {row['max_ms']:>6.1f} ms{versus}"
        )


def rounds_argument(text: str) -> int:
    """Fewer rounds than this make a median too easy for one noisy run to move."""
    value = int(text)
    if value < MIN_ROUNDS:
        raise argparse.ArgumentTypeError(f"at least {MIN_ROUNDS} rounds")
    return value


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The options; the defaults measure what `pip install .` put beside this Python."""
    parser = argparse.ArgumentParser(description="Start-up cost of the installed code-mesh CLI.")
    parser.add_argument("--rounds", type=rounds_argument, default=21, help="measured rounds (default 21)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first (default 2)")
    parser.add_argument("--code-mesh", dest="code_mesh", help="the console script to measure")
    parser.add_argument("--python", help="the interpreter (default: the console script's shebang)")
    parser.add_argument("--seed", type=int, help="seed for the shuffled order, to repeat a run exactly")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--team-url", help="an empty PostgreSQL database to time a team store's token on")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Set up a throw-away home, measure, print; 1 when a run failed (the figures would lie)."""
    arguments = parse_arguments(argv)
    try:
        script = find_script(arguments.code_mesh)
        python = arguments.python or interpreter_of(script)
        with tempfile.TemporaryDirectory(prefix="code-mesh-bench-") as temporary:
            env = {name: value for name, value in os.environ.items() if name not in SCRUBBED_VARIABLES}
            env["CODE_MESH_HOME"] = os.path.join(temporary, "home")
            prepare_home(script, env)
            benchmarks = build_benchmarks(python, script)
            if arguments.team_url:
                benchmarks += team_benchmarks(script, env, arguments.team_url, temporary)
            check_token_output(benchmarks, env)
            info = {
                "interpreter": python,
                "python_version": python_version(python, env),
                "code_mesh": str(script),
                "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
                "rounds": arguments.rounds,
                "warmup": arguments.warmup,
            }
            measure(benchmarks, env, arguments.rounds, arguments.warmup, arguments.seed)
    except BenchmarkError as error:
        print(f"startup.py: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a command that cannot be started at all
        print(
            f"startup.py: error: cannot run {error.filename or 'a command'}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    data = report(benchmarks, info)
    if arguments.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
