"""Start-up cost of the installed code-mesh CLI, as whole-process wall time and peak memory.

A measurement, not a test: scripts call `code-mesh auth token` in loops, and status bars
call `auth status --json` every few seconds, so what a user pays is the whole process,
interpreter start included. Each figure is also given as a ratio to `python -c pass` on the
same interpreter, which makes figures from different machines comparable and is what the
targets (issue 14, acceptance 1) are written in. Peak memory is each child's ru_maxrss, as
os.wait4 reports it for that pid.

Run it after `pip install .` (a regular install: the wheel is what users get):

    python benchmarks/startup.py [--rounds 21] [--warmup 2] [--json]
    python benchmarks/startup.py --protection all      # key file, passphrase and keychain
    python benchmarks/startup.py --team-url postgresql+psycopg://USER@HOST/EMPTY_DATABASE

Key-file protection is the default and the only mode with targets; `--protection
passphrase` (scrypt) and `--protection keychain` (keyring's import, through the tests'
file-backed backend) are measured in the same interleaved rounds and reported apart.

With --team-url, also `auth token` against a team store on that (empty) database, and
`psql -tAc 'select 1'` on it: one connection and one query, what a team store's token can
at best cost beside Python's start-up.

Standard library only, so it runs under any Python 3.11+, inside or outside the
environment it measures.
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_KEY = "sk-bench-key"
"""The API key stored once in the temporary home; it goes to the CLI on stdin, never in argv."""

SCRUBBED_PREFIXES = ("CODE_MESH_",)
SCRUBBED_SUFFIXES = ("_API_KEY",)
SCRUBBED_VARIABLES = ("PYTHON_KEYRING_BACKEND",)
"""An API key variable would answer `auth token` without reading the store (and show up in
`auth status`), CODE_MESH_DEBUG turns the fast path off, a passphrase, key file or database
URL would choose another store or protection, and a keyring backend another keychain: each
would measure something other than the path we mean to time."""

BENCH_PASSPHRASE = "benchmark passphrase, not a secret"
"""CODE_MESH_PASSPHRASE in passphrase mode, at the login and in every measured run."""

NO_KEYCHAIN = "keyring.backends.fail.Keyring"
"""keyring's backend that refuses everything: code-mesh then keeps its key in a key file,
whatever keychain the machine has (as over SSH or in a container)."""

TEST_KEYRING = Path(__file__).resolve().parent.parent / "tests" / "keyring_backend.py"
"""The tests' file-backed keyring backend, for keychain mode in a throw-away directory."""

BARE_CYCLOPTS_HELP = "import cyclopts; cyclopts.App(name='bare', help_format='plaintext')(['--help'])"
"""A one-line cyclopts application's --help: the floor of any help page cyclopts prints."""
FLOOR_IMPORTS = "import _sqlite3, cryptography.hazmat.bindings._rust"
"""What the token path cannot do without: the C sqlite3 module (adapters/store/sqlite_connect.py
imports _sqlite3, not sqlite3) and cryptography's Rust binding, whose AES-GCM
adapters/crypto/aes_gcm.py takes directly."""

PROTECTIONS = ("keyfile", "passphrase", "keychain")
TARGET_MODE = "keyfile"
"""Issue 14's targets are for key-file protection; the other modes are reported without."""

MIN_ROUNDS = 15


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
    """Its own environment (a team store's), else its mode's."""
    versus: str | None = None
    """Another benchmark's name: its ratio to that one is reported too (exec against `sh -c true`)."""
    peak_target_mib: float | None = None
    """A target for its peak resident memory (ru_maxrss), in MiB."""
    mode: str = TARGET_MODE
    peaks_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median, not the mean: one stalled run must not move the figure."""
        return statistics.median(self.samples)

    @property
    def peak_mib(self) -> float:
        """The largest peak RSS over the measured runs: a memory target is about the worst run."""
        return max(self.peaks_kib) / 1024


@dataclass
class Mode:
    """One key protection: the environment of its login and of its measured runs."""

    name: str
    env: dict[str, str]
    note: str
    """How the mode is set up, printed above its rows (it says what was measured)."""
    protection: str
    """What `auth list --json` must report as protection, checked before timing."""


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


SPAWNER = """
import marshal, os, sys, time

def read_exactly(count):
    data = b""
    while len(data) < count:
        chunk = os.read(0, count - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data

null = os.open(os.devnull, os.O_RDWR)
to_null = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
while True:
    program, argv, env, cwd = marshal.loads(read_exactly(int.from_bytes(read_exactly(4), "big")))
    if cwd is not None:
        os.chdir(cwd)
    start = time.perf_counter()
    try:
        pid = os.posix_spawn(program, argv, env, file_actions=to_null)
    except OSError:
        reply = (0.0, 0, 127)
    else:
        _, status, usage = os.wait4(pid, 0)
        reply = (time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
    answer = marshal.dumps(reply)
    os.write(1, len(answer).to_bytes(4, "big") + answer)
"""
"""The small process that starts every measured command (`python -I -S -c SPAWNER`).

A child's ru_maxrss counts the memory it had before its exec, and subprocess's vfork (as
posix_spawn's) shares the parent's: started from this script (about 16 MiB resident),
`sh -c true` read 16 MiB. This spawner imports nothing beyond the interpreter's built-in
modules, so the floor is its own 8.5 MiB or so, about what `python -c pass` itself takes
(`sh -c true` reads that floor; /usr/bin/time gives it 1.5 MiB): every Python command's
peak is its own. A fork instead of posix_spawn would lower the floor to about 6.5 MiB but
adds about 1.5 ms to every run, which would bend the ratios. The spawner times the
spawn-to-wait4 itself, and answers with marshal (json would import re).
"""


class Spawner:
    """Runs one command at a time in SPAWNER: wall time, peak RSS and exit code."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        if self._process.stdin is None or self._process.stdout is None:  # never, with PIPE
            raise BenchmarkError("the spawner process has no pipes")
        self._stdin, self._stdout = self._process.stdin, self._process.stdout

    def run(self, argv: list[str], env: dict[str, str], cwd: str | None) -> tuple[float, int, int]:
        """Wall time in seconds, peak RSS in KiB (os.wait4 on the child's pid), exit code."""
        stdin, stdout = self._stdin, self._stdout
        program = argv[0]
        if os.sep not in program:  # posix_spawn searches no PATH; look it up in the command's own
            program = shutil.which(program, path=env.get("PATH", os.defpath)) or program
        request = marshal.dumps((program, list(argv), dict(env), cwd))
        stdin.write(len(request).to_bytes(4, "big") + request)
        stdin.flush()
        header = stdout.read(4)
        if len(header) < 4:
            raise BenchmarkError("the spawner process exited; see its error above")
        elapsed, peak_kib, code = marshal.loads(stdout.read(int.from_bytes(header, "big")))
        return float(elapsed), int(peak_kib), int(code)

    def close(self) -> None:
        """End the spawner (it exits when its stdin closes)."""
        self._stdin.close()
        self._process.wait()

    def __enter__(self) -> Spawner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def timed_run(benchmark: Benchmark, spawner: Spawner, cwd: str) -> tuple[float, int]:
    """Wall time (seconds) and peak RSS (KiB) of one whole process; aborts on a non-zero exit."""
    env = benchmark.env if benchmark.env is not None else scrubbed_environment()
    elapsed, peak_kib, code = spawner.run(benchmark.argv, env, cwd)
    if code != 0:
        raise BenchmarkError(describe_failure(benchmark.argv, env, code))
    return elapsed, peak_kib


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


def check_token_output(benchmarks: list[Benchmark], env: dict[str, str], cwd: str) -> None:
    """The token commands must print the stored key, or we would time some other path."""
    for benchmark in benchmarks:
        if not benchmark.prints_key:
            continue
        own = benchmark.env or env
        completed = subprocess.run(
            benchmark.argv, capture_output=True, text=True, env=own, cwd=cwd, check=False
        )
        if completed.returncode != 0:
            raise BenchmarkError(describe_failure(benchmark.argv, own, completed.returncode))
        if completed.stdout != BENCH_KEY + "\n":
            raise BenchmarkError(f"`{shlex.join(benchmark.argv)}` did not print the key stored by the login")


def check_protection(script: Path, mode: Mode, cwd: str) -> None:
    """The store must report the protection the mode is named after (else a keychain on this
    machine, say, would be measured as "key file")."""
    argv = [str(script), "auth", "list", "--json"]
    completed = subprocess.run(argv, capture_output=True, text=True, env=mode.env, cwd=cwd, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(describe_failure(argv, mode.env, completed.returncode))
    try:
        protection = str(json.loads(completed.stdout)["protection"])
    except (ValueError, KeyError, TypeError):
        raise BenchmarkError(f"`{shlex.join(argv)}` printed no protection in its JSON") from None
    if protection != mode.protection:
        raise BenchmarkError(
            f"{mode.name} mode: the store reports protection {protection!r}, not {mode.protection!r}"
        )


def python_version(python: str, env: dict[str, str]) -> str:
    """The measured interpreter's version, which need not be the one running this file."""
    code = "import platform; print(platform.python_implementation(), platform.python_version())"
    completed = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(f"{python} does not run: {completed.stderr.strip()}")
    return completed.stdout.strip()


def scrubbed_environment() -> dict[str, str]:
    """This process's environment without what would choose another path (SCRUBBED_VARIABLES)."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED_VARIABLES
        and not name.startswith(SCRUBBED_PREFIXES)
        and not name.endswith(SCRUBBED_SUFFIXES)
    }


def make_mode(name: str, base: dict[str, str], directory: Path) -> Mode:
    """A home of its own for one protection, and the environment that selects it."""
    root = directory / name
    root.mkdir()
    home = root / "home"
    env = {**base, "CODE_MESH_HOME": str(home), "PYTHON_KEYRING_BACKEND": NO_KEYCHAIN}
    if name == "keyfile":
        note = f"key in {home / 'key'}; PYTHON_KEYRING_BACKEND={NO_KEYCHAIN}, so no OS keychain"
        return Mode(name, env, note, f"AES-256-GCM, key in {home / 'key'} (no OS keychain)")
    if name == "passphrase":
        env["CODE_MESH_PASSPHRASE"] = BENCH_PASSPHRASE
        note = "CODE_MESH_PASSPHRASE set at the login and in every measured run (scrypt)"
        return Mode(name, env, note, "AES-256-GCM, key derived from CODE_MESH_PASSPHRASE (scrypt)")
    if not TEST_KEYRING.is_file():
        raise BenchmarkError(f"keychain mode needs the tests' keyring backend, {TEST_KEYRING}: not there")
    # A copy in a directory of its own, so that PYTHONPATH adds this one module, not all of tests/.
    module_directory = root / "pythonpath"
    module_directory.mkdir()
    shutil.copyfile(TEST_KEYRING, module_directory / TEST_KEYRING.name)
    paths = [str(module_directory)] + ([base["PYTHONPATH"]] if base.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHON_KEYRING_BACKEND"] = "keyring_backend.FileKeyring"
    env["CODE_MESH_TEST_KEYRING"] = str(root / "keychain.json")
    note = (
        f"keyring backend: tests/keyring_backend.py's FileKeyring (a JSON file), copied to {module_directory}"
        " and put on PYTHONPATH (every row of this mode runs with it, the baseline too);"
        " PYTHON_KEYRING_BACKEND=keyring_backend.FileKeyring. A real OS keychain (Secret Service over"
        " D-Bus, the macOS Keychain) costs more per read than this file"
    )
    return Mode(name, env, note, "AES-256-GCM, key in the OS keychain")


def measure(
    benchmarks: list[Benchmark], spawner: Spawner, cwd: str, rounds: int, warmup: int, seed: int | None
) -> None:
    """Warm up, then run every command once per round in a shuffled order.

    Interleaving spreads machine noise (another job, a frequency change) over every
    command alike instead of letting it land on one command's block of runs, and every mode's
    commands share the rounds, so the modes are compared under the same noise too.
    """
    shuffler = random.Random(seed)
    order = list(benchmarks)
    for round_number in range(warmup + rounds):
        shuffler.shuffle(order)
        for benchmark in order:
            elapsed, peak_kib = timed_run(benchmark, spawner, cwd)
            if round_number >= warmup:
                benchmark.samples.append(elapsed)
                benchmark.peaks_kib.append(peak_kib)


def build_benchmarks(python: str, script: Path, mode: Mode) -> list[Benchmark]:
    """The commands to time in one mode; the first is the baseline its ratios divide by.

    Key-file mode has issue 14's targets and the reference rows (the floor, `python -m`,
    `sh -c true`); the other modes time only what reads the store.
    """
    cli = str(script)
    targets = mode.name == TARGET_MODE

    def row(name: str, argv: list[str], target: float | None = None, **extra: Any) -> Benchmark:
        return Benchmark(name, argv, target if targets else None, env=mode.env, mode=mode.name, **extra)

    rows = [row("python -c pass", [python, "-c", "pass"])]
    if targets:
        rows += [
            row(f'python -c "{FLOOR_IMPORTS}"', [python, "-c", FLOOR_IMPORTS]),
            row(
                "python -m code_mesh auth token openai",
                [python, "-m", "code_mesh", "auth", "token", "openai"],
                prints_key=True,
            ),
            row("sh -c true", ["sh", "-c", "true"]),
        ]
    rows += [
        row("code-mesh auth token openai", [cli, "auth", "token", "openai"], 2.2, prints_key=True),
        row(
            "code-mesh auth list",
            [cli, "auth", "list"],
            5.0,
            peak_target_mib=25.0 if targets else None,
        ),
        row("code-mesh auth list --json", [cli, "auth", "list", "--json"], 5.0),
        row("code-mesh auth status", [cli, "auth", "status"], 5.0),
        row("code-mesh auth which openai", [cli, "auth", "which", "openai"], 4.0),
        row(
            "code-mesh exec --provider openai -- true",
            [cli, "exec", "--provider", "openai", "--", "true"],
            2.5,
            versus="sh -c true" if targets else None,
        ),
    ]
    if targets:
        rows.append(row("code-mesh --help", [cli, "--help"], 10.0))
        # What --help cost through cyclopts: importing it (and rich) and printing a page.
        rows.append(row("a bare cyclopts app's --help", [python, "-c", BARE_CYCLOPTS_HELP]))
    return rows


def report(benchmarks: list[Benchmark], modes: list[Mode], info: dict[str, Any]) -> dict[str, Any]:
    """The figures as plain data, for --json and for the table alike."""
    baselines = {mode.name: next(b for b in benchmarks if b.mode == mode.name).median for mode in modes}
    medians = {(benchmark.mode, benchmark.name): benchmark.median for benchmark in benchmarks}
    results = []
    met = total = 0
    for benchmark in benchmarks:
        ratio = benchmark.median / baselines[benchmark.mode]
        versus = None
        if (benchmark.mode, benchmark.versus) in medians:
            versus = {
                "command": benchmark.versus,
                "ratio": round(benchmark.median / medians[benchmark.mode, benchmark.versus], 2),
            }
        within = None if benchmark.target is None else ratio <= benchmark.target
        peak_target = benchmark.peak_target_mib
        peak_within = None if peak_target is None else benchmark.peak_mib <= peak_target
        for outcome in (within, peak_within):
            if outcome is not None:
                total += 1
                met += 1 if outcome else 0
        results.append(
            {
                "mode": benchmark.mode,
                "command": benchmark.name,
                "argv": benchmark.argv,
                "median_ms": round(benchmark.median * 1000, 2),
                "min_ms": round(min(benchmark.samples) * 1000, 2),
                "max_ms": round(max(benchmark.samples) * 1000, 2),
                "ratio": round(ratio, 2),
                "target_ratio": benchmark.target,
                "within_target": within,
                "peak_rss_mib": round(benchmark.peak_mib, 1),
                "median_peak_rss_mib": round(statistics.median(benchmark.peaks_kib) / 1024, 1),
                "peak_rss_target_mib": benchmark.peak_target_mib,
                "peak_rss_within_target": peak_within,
                "versus": versus,
                "samples_ms": [round(sample * 1000, 2) for sample in benchmark.samples],
                "peak_rss_samples_kib": benchmark.peaks_kib,
            }
        )
    modes_data = [{"mode": mode.name, "setup": mode.note, "protection": mode.protection} for mode in modes]
    return {**info, "modes": modes_data, "targets_met": met, "targets": total, "results": results}


MODE_TITLES = {
    "keyfile": "key file (the default; issue 14's targets)",
    "passphrase": "passphrase (no targets)",
    "keychain": "keychain (no targets)",
}


def verdict(target: str, within: bool | None) -> str:
    """A target and whether it was met, or "-" for a row without one."""
    return "-" if within is None else f"{target} {'ok' if within else 'OVER'}"


def print_table(data: dict[str, Any]) -> None:
    """A small human-readable table per mode; --json has every sample."""
    rounds, warmup = data["rounds"], data["warmup"]
    print(f"code-mesh start-up: median of {rounds} interleaved rounds, after {warmup} warm-up rounds")
    print(f"interpreter: {data['interpreter']} ({data['python_version']})")
    print(f"code-mesh:   {data['code_mesh']}")
    print(f"machine:     {data['machine']}")
    print("ratio:       to `python -c pass` of the same mode (same interpreter, same environment)")
    print("peak RSS:    the largest ru_maxrss of the measured runs (os.wait4 on each child's pid); each")
    print("             started by a bare `python -I -S`, whose ~8.5 MiB is the floor (see SPAWNER)")
    width = max(len(row["command"]) for row in data["results"])
    header = (
        f"{'command':<{width}}  {'median':>9}  {'ratio':>6}  {'target':>11}  {'peak RSS':>9}"
        f"  {'RSS target':>13}  {'min':>9}  {'max':>9}"
    )
    for mode in data["modes"]:
        print()
        print(f"== {MODE_TITLES.get(mode['mode'], mode['mode'])}")
        print(textwrap.fill(mode["setup"], 100, initial_indent="   ", subsequent_indent="   "))
        print(header)
        for row in data["results"]:
            if row["mode"] != mode["mode"]:
                continue
            ratio_target, peak_target = row["target_ratio"], row["peak_rss_target_mib"]
            target = verdict(f"{ratio_target:.1f}x" if ratio_target else "", row["within_target"])
            peak = verdict(f"{peak_target:.0f} MiB" if peak_target else "", row["peak_rss_within_target"])
            versus = ""
            if row.get("versus"):
                versus = f"  ({row['versus']['ratio']:.2f}x {row['versus']['command']})"
            print(
                f"{row['command']:<{width}}  {row['median_ms']:>6.1f} ms  {row['ratio']:>5.2f}x  {target:>11}"
                f"  {row['peak_rss_mib']:>5.1f} MiB  {peak:>13}"
                f"  {row['min_ms']:>6.1f} ms  {row['max_ms']:>6.1f} ms{versus}"
            )
    print()
    if data["targets"]:
        print(f"{data['targets_met']} of {data['targets']} targets met")
    else:
        print("no targets in these modes (issue 14's are for --protection keyfile)")


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
    parser.add_argument(
        "--protection",
        action="append",
        choices=(*PROTECTIONS, "all"),
        help="key protection to measure, repeatable, or 'all' (default: keyfile, which has targets)",
    )
    parser.add_argument("--team-url", help="an empty PostgreSQL database to time a team store's token on")
    return parser.parse_args(argv)


def selected_modes(chosen: list[str] | None) -> list[str]:
    """The modes in a fixed order, key file first, each once."""
    wanted = set(chosen or [TARGET_MODE])
    return [name for name in PROTECTIONS if name in wanted or "all" in wanted]


def main(argv: list[str] | None = None) -> int:
    """Set up throw-away homes, measure, print; 1 when a run failed (the figures would lie).

    Over a target is still exit 0: this is a measurement, and the summary line says it.
    """
    arguments = parse_arguments(argv)
    try:
        script = find_script(arguments.code_mesh)
        python = arguments.python or interpreter_of(script)
        with tempfile.TemporaryDirectory(prefix="code-mesh-bench-") as temporary:
            directory = Path(temporary)
            # A working directory of its own: no project file of the caller's is found.
            cwd = directory / "work"
            cwd.mkdir()
            base = scrubbed_environment()
            modes = [make_mode(name, base, directory) for name in selected_modes(arguments.protection)]
            benchmarks: list[Benchmark] = []
            for mode in modes:
                prepare_home(script, mode.env)
                check_protection(script, mode, str(cwd))
                benchmarks += build_benchmarks(python, script, mode)
            if arguments.team_url:
                team_env = modes[0].env
                for benchmark in team_benchmarks(script, team_env, arguments.team_url, temporary):
                    benchmark.env = benchmark.env or team_env
                    benchmark.mode = modes[0].name
                    benchmarks.append(benchmark)
            check_token_output(benchmarks, base, str(cwd))
            info = {
                "interpreter": python,
                "python_version": python_version(python, base),
                "code_mesh": str(script),
                "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
                "rounds": arguments.rounds,
                "warmup": arguments.warmup,
            }
            with Spawner() as spawner:
                measure(benchmarks, spawner, str(cwd), arguments.rounds, arguments.warmup, arguments.seed)
    except BenchmarkError as error:
        print(f"startup.py: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a command that cannot be started at all
        print(
            f"startup.py: error: cannot run {error.filename or 'a command'}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    data = report(benchmarks, modes, info)
    if arguments.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
