"""code-mesh beside the tools users compare it with: gh, llm and opencode, in one run.

A measurement, not a test. Each tool gets a stored credential in a throw-away home of its
own, and every command runs with HTTPS_PROXY / HTTP_PROXY / ALL_PROXY pointed at a closed
port on 127.0.0.1, so no peer reaches the network (a peer that tries gets a refused
connection at once, which is what a machine without network gives it too). The commands
of all tools run interleaved, in a shuffled order per round, and the figures are medians
and ratios to `python -c pass` measured in the same rounds, so a noisy machine moves them
all alike. A peer that is not installed is skipped, and the report says so. Peak memory
is each process's ru_maxrss from os.wait4, started by startup.py's small spawner (so this
script's own memory is not counted in it).

Tasks, each with the commands that do it:
- token: `code-mesh auth token openai`, `gh auth token`, `llm keys get openai`
- list: `code-mesh auth list`, `llm keys list`, `opencode auth list`, `gh auth status`
  (gh has no list of its own: its status lists the stored logins)
- status: `code-mesh auth status`, `gh auth status` (measured once, shown in both tasks)

    python benchmarks/peers.py [--rounds 15] [--json]

Peers: `gh` (Debian's package), `llm` (PyPI), `opencode` (npm `opencode-ai`), found on PATH
or given with --gh / --llm / --opencode.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import BENCH_KEY, NO_KEYCHAIN, BenchmarkError, Spawner, find_script, interpreter_of

GITHUB_TOKEN = "gho_benchmarkTokenNotReal0123456789abcd"
SCRUBBED_PREFIXES = ("CODE_MESH_", "GH_", "GITHUB_", "LLM_", "OPENCODE")
SCRUBBED = ("PYTHON_KEYRING_BACKEND", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
SCRUBBED_SUFFIXES = ("_API_KEY",)
"""Any provider's key variable would answer before the stored credential is read."""


@dataclass
class Command:
    """One command of one tool, for one task or more (`token`, `list`, `status`)."""

    tool: str
    tasks: tuple[str, ...]
    argv: list[str]
    env: dict[str, str]
    expected: str | None = None
    """What stdout must be, checked once before timing (the credential was really read)."""
    samples: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        """The median, so one stalled run does not move the figure."""
        return statistics.median(self.samples)


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then released, so connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_environment(scratch: Path, proxy_port: int) -> dict[str, str]:
    """This environment without credentials or config dirs, a scratch HOME, a dead proxy."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED
        and not name.startswith(SCRUBBED_PREFIXES)
        and not name.endswith(SCRUBBED_SUFFIXES)
    }
    proxy = f"http://127.0.0.1:{proxy_port}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        env[name] = proxy
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    env["HOME"] = str(scratch / "home")
    env["NO_COLOR"] = "1"
    (scratch / "home").mkdir(parents=True, exist_ok=True)
    return env


def timed(command: Command, spawner: Spawner, cwd: str) -> None:
    """One whole process: wall time, peak resident memory (wait4's rusage) and exit code."""
    elapsed, peak_kib, code = spawner.run(command.argv, command.env, cwd)
    command.samples.append(elapsed)
    command.peak_kib.append(peak_kib)
    command.exit_codes.add(code)


def code_mesh_commands(scratch: Path, base: dict[str, str]) -> list[Command]:
    """Key-file protection (keyring's fail backend), as startup.py's targets are measured."""
    script = find_script(None)
    python = interpreter_of(script)
    env = {**base, "CODE_MESH_HOME": str(scratch / "code-mesh"), "PYTHON_KEYRING_BACKEND": NO_KEYCHAIN}
    login = subprocess.run(
        [str(script), "auth", "login", "openai", "--with-key"], input=BENCH_KEY, capture_output=True,
        text=True, env=env, check=False,
    )  # fmt: skip
    if login.returncode != 0:
        raise BenchmarkError(f"code-mesh login failed: {login.stderr.strip()}")
    return [
        Command("python", ("baseline",), [python, "-c", "pass"], env),
        Command("code-mesh", ("token",), [str(script), "auth", "token", "openai"], env, BENCH_KEY + "\n"),
        Command("code-mesh", ("list",), [str(script), "auth", "list"], env),
        Command("code-mesh", ("status",), [str(script), "auth", "status"], env),
    ]


def gh_commands(gh: str, scratch: Path, base: dict[str, str]) -> list[Command]:
    """gh reads hosts.yml under GH_CONFIG_DIR; a token stored there (insecure storage) is what
    `gh auth token` prints without any keyring."""
    config = scratch / "gh"
    config.mkdir()
    (config / "hosts.yml").write_text(
        f"github.com:\n    oauth_token: {GITHUB_TOKEN}\n    user: bench\n    git_protocol: https\n"
    )
    env = {**base, "GH_CONFIG_DIR": str(config), "GH_NO_UPDATE_NOTIFIER": "1", "GH_PROMPT_DISABLED": "1"}
    return [
        Command("gh", ("token",), [gh, "auth", "token"], env, GITHUB_TOKEN + "\n"),
        # gh auth status checks the token online; here that fails at once on the closed proxy.
        # gh has no list: its status is what lists the stored logins.
        Command("gh", ("list", "status"), [gh, "auth", "status"], env),
    ]


def llm_commands(llm: str, scratch: Path, base: dict[str, str]) -> list[Command]:
    user_path = scratch / "llm"
    user_path.mkdir()
    (user_path / "keys.json").write_text(json.dumps({"openai": BENCH_KEY}))
    env = {**base, "LLM_USER_PATH": str(user_path)}
    return [
        Command("llm", ("token",), [llm, "keys", "get", "openai"], env, BENCH_KEY + "\n"),
        Command("llm", ("list",), [llm, "keys", "list"], env),
    ]


def opencode_commands(opencode: str, scratch: Path, base: dict[str, str]) -> list[Command]:
    """opencode keeps auth.json under $XDG_DATA_HOME/opencode; it has no command that prints a
    key, so it takes part in `list` only."""
    xdg = scratch / "opencode"
    data = xdg / "data" / "opencode"
    data.mkdir(parents=True)
    (data / "auth.json").write_text(json.dumps({"openai": {"type": "api", "key": BENCH_KEY}}))
    env = {
        **base,
        "XDG_DATA_HOME": str(xdg / "data"),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "XDG_STATE_HOME": str(xdg / "state"),
        "XDG_CACHE_HOME": str(xdg / "cache"),
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
    }
    return [Command("opencode", ("list",), [opencode, "auth", "list"], env)]


def check_outputs(commands: list[Command]) -> None:
    """Each token command must print the stored credential, or we would time an error path."""
    for command in commands:
        if command.expected is None:
            continue
        result = subprocess.run(command.argv, capture_output=True, text=True, env=command.env, check=False)
        if result.stdout != command.expected:
            raise BenchmarkError(
                f"{command.tool}: `{shown_command(command)}` did not print the stored credential"
                f" (exit {result.returncode}: {result.stderr.strip()[:200]})"
            )


def measure(commands: list[Command], cwd: str, rounds: int, warmup: int, seed: int | None) -> None:
    """Every command once per round, in a shuffled order, so noise lands on all alike."""
    shuffler = random.Random(seed)
    order = list(commands)
    with Spawner() as spawner:
        for round_number in range(warmup + rounds):
            shuffler.shuffle(order)
            for command in order:
                timed(command, spawner, cwd)
                if round_number < warmup:
                    command.samples.pop()
                    command.peak_kib.pop()


def shown_command(command: Command) -> str:
    """The command without its install path (the tool column names it): `auth token openai`."""
    if command.tool == "python":
        return shlex.join([Path(command.argv[0]).name, *command.argv[1:]])
    return shlex.join(command.argv[1:])


def report(commands: list[Command], skipped: list[str], info: dict[str, Any]) -> dict[str, Any]:
    """One row per task and command (gh auth status is in two), with code-mesh's ratio to it."""
    baseline = next(c for c in commands if "baseline" in c.tasks).median
    code_mesh = {task: c.median for c in commands if c.tool == "code-mesh" for task in c.tasks}
    rows = []
    for command in commands:
        for task in command.tasks:
            mine = code_mesh.get(task)
            versus = None
            if mine is not None and command.tool not in ("code-mesh", "python"):
                versus = round(mine / command.median, 2)
            rows.append(
                {
                    "tool": command.tool,
                    "task": task,
                    "command": shown_command(command),
                    "argv": command.argv,
                    "median_ms": round(command.median * 1000, 1),
                    "ratio_to_python": round(command.median / baseline, 2),
                    "peak_mib": round(max(command.peak_kib) / 1024, 1),
                    "median_peak_mib": round(statistics.median(command.peak_kib) / 1024, 1),
                    "exit_codes": sorted(command.exit_codes),
                    "code_mesh_vs_this": versus,
                }
            )
    return {**info, "skipped": skipped, "results": rows}


def print_table(data: dict[str, Any]) -> None:
    """One table, grouped by task, fastest first within each."""
    print(f"code-mesh and its peers: median of {data['rounds']} interleaved rounds ({data['machine']})")
    print("network: every command's HTTPS_PROXY/HTTP_PROXY is a closed port on 127.0.0.1")
    print("peak:    the largest ru_maxrss of the measured runs (os.wait4; floor ~8.5 MiB, the spawner's)")
    print("code-mesh/this: code-mesh's median for the task over this command's (below 1: code-mesh faster)")
    for name in data["skipped"]:
        print(f"skipped: {name}")
    print()
    print(f"{'task':<9}{'tool':<11}{'command':<28}{'median':>10}{'ratio':>8}{'peak':>10}  code-mesh/this")
    order = {"baseline": 0, "token": 1, "list": 2, "status": 3}
    for row in sorted(data["results"], key=lambda r: (order.get(r["task"], 9), r["median_ms"])):
        versus = "-" if row["code_mesh_vs_this"] is None else f"{row['code_mesh_vs_this']:.2f}x"
        codes = "" if row["exit_codes"] == [0] else f"  (exit {','.join(map(str, row['exit_codes']))})"
        print(
            f"{row['task']:<9}{row['tool']:<11}{row['command']:<28.28}{row['median_ms']:>7.1f} ms"
            f"{row['ratio_to_python']:>7.2f}x{row['peak_mib']:>6.1f} MiB  {versus}{codes}"
        )


def main(argv: list[str] | None = None) -> int:
    """Set up every installed tool's scratch home, measure, print; 1 when set-up failed."""
    parser = argparse.ArgumentParser(description="code-mesh beside gh, llm and opencode.")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--gh", default=shutil.which("gh"))
    parser.add_argument("--llm", default=shutil.which("llm"))
    parser.add_argument("--opencode", default=shutil.which("opencode"))
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    skipped: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="code-mesh-peers-") as temporary:
            scratch = Path(temporary)
            base = base_environment(scratch, closed_port())
            commands = code_mesh_commands(scratch, base)
            for name, found, build in (
                ("gh", arguments.gh, gh_commands),
                ("llm", arguments.llm, llm_commands),
                ("opencode", arguments.opencode, opencode_commands),
            ):
                if found:
                    commands += build(found, scratch, base)
                else:
                    skipped.append(f"{name} (not installed: not on PATH, and no --{name} given)")
            check_outputs(commands)
            work = scratch / "work"  # no project file of the caller's
            work.mkdir()
            measure(commands, str(work), arguments.rounds, arguments.warmup, arguments.seed)
    except BenchmarkError as error:
        print(f"peers.py: error: {error}", file=sys.stderr)
        return 1
    info = {
        "rounds": arguments.rounds,
        "machine": f"{os.uname().sysname} {os.uname().machine}, {os.cpu_count()} CPUs",
    }
    data = report(commands, skipped, info)
    if arguments.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
