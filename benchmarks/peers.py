"""code-mesh beside the tools users compare it with: gh, llm and opencode, in one run.

A measurement, not a test. Each tool gets a stored credential in a throw-away home of its
own, and every command runs with HTTPS_PROXY / HTTP_PROXY / ALL_PROXY pointed at a closed
port on 127.0.0.1, so no peer reaches the network (a peer that tries gets a refused
connection at once, which is what a machine without network gives it too). The commands
of all tools run interleaved, in a shuffled order per round, and the figures are medians
and ratios to `python -c pass` measured in the same rounds, so a noisy machine moves them
all alike. A peer that is not installed is skipped, and the report says so.

    python benchmarks/peers.py [--rounds 15] [--json]

Peers: `gh` (Debian's package), `llm` (PyPI), `opencode` (npm `opencode-ai`), found on PATH
or given with --gh / --llm / --opencode.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import BENCH_KEY, BenchmarkError, find_script, interpreter_of

GITHUB_TOKEN = "gho_benchmarkTokenNotReal0123456789abcd"
SCRUBBED_PREFIXES = ("CODE_MESH_", "GH_", "GITHUB_", "LLM_", "OPENCODE")
SCRUBBED = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


@dataclass
class Command:
    """One command of one tool, for one task (`token` or `list`)."""

    tool: str
    task: str
    argv: list[str]
    env: dict[str, str]
    expected: str | None = None
    """What stdout must be, checked once before timing (the credential was really read)."""
    samples: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then released, so connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_environment(scratch: Path, proxy_port: int) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED and not name.startswith(SCRUBBED_PREFIXES)
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


def timed(command: Command) -> None:
    """One whole process: wall time and peak resident memory (wait4's rusage)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=command.env,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    command.samples.append(time.perf_counter() - start)
    command.peak_kib.append(usage.ru_maxrss)
    command.exit_codes.add(os.waitstatus_to_exitcode(status))


def code_mesh_commands(scratch: Path, base: dict[str, str]) -> list[Command]:
    script = find_script(None)
    python = interpreter_of(script)
    env = {**base, "CODE_MESH_HOME": str(scratch / "code-mesh")}
    login = subprocess.run(
        [str(script), "auth", "login", "openai", "--with-key"], input=BENCH_KEY, capture_output=True,
        text=True, env=env, check=False,
    )  # fmt: skip
    if login.returncode != 0:
        raise BenchmarkError(f"code-mesh login failed: {login.stderr.strip()}")
    return [
        Command("python", "baseline", [python, "-c", "pass"], env),
        Command("code-mesh", "token", [str(script), "auth", "token", "openai"], env, BENCH_KEY + "\n"),
        Command("code-mesh", "list", [str(script), "auth", "list"], env),
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
        Command("gh", "token", [gh, "auth", "token"], env, GITHUB_TOKEN + "\n"),
        # gh auth status checks the token online; here that fails at once on the closed proxy.
        Command("gh", "list", [gh, "auth", "status"], env),
    ]


def llm_commands(llm: str, scratch: Path, base: dict[str, str]) -> list[Command]:
    user_path = scratch / "llm"
    user_path.mkdir()
    (user_path / "keys.json").write_text(json.dumps({"openai": BENCH_KEY}))
    env = {**base, "LLM_USER_PATH": str(user_path)}
    return [
        Command("llm", "token", [llm, "keys", "get", "openai"], env, BENCH_KEY + "\n"),
        Command("llm", "list", [llm, "keys", "list"], env),
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
    return [Command("opencode", "list", [opencode, "auth", "list"], env)]


def check_outputs(commands: list[Command]) -> None:
    for command in commands:
        if command.expected is None:
            continue
        result = subprocess.run(command.argv, capture_output=True, text=True, env=command.env, check=False)
        if result.stdout != command.expected:
            raise BenchmarkError(
                f"{command.tool}: `{' '.join(command.argv[-3:])}` did not print the stored credential"
                f" (exit {result.returncode}: {result.stderr.strip()[:200]})"
            )


def measure(commands: list[Command], rounds: int, warmup: int, seed: int | None) -> None:
    shuffler = random.Random(seed)
    order = list(commands)
    for round_number in range(warmup + rounds):
        shuffler.shuffle(order)
        for command in order:
            timed(command)
            if round_number < warmup:
                command.samples.pop()
                command.peak_kib.pop()


def report(commands: list[Command], skipped: list[str], info: dict[str, Any]) -> dict[str, Any]:
    baseline = next(c for c in commands if c.task == "baseline").median
    by_task: dict[str, dict[str, float]] = {}
    rows = []
    for command in commands:
        by_task.setdefault(command.task, {})[command.tool] = command.median
        rows.append(
            {
                "tool": command.tool,
                "task": command.task,
                "argv": command.argv[-3:] if command.tool != "python" else command.argv,
                "median_ms": round(command.median * 1000, 1),
                "ratio_to_python": round(command.median / baseline, 2),
                "peak_mib": round(statistics.median(command.peak_kib) / 1024, 1),
                "exit_codes": sorted(command.exit_codes),
            }
        )
    for row in rows:
        mine = by_task.get(row["task"], {}).get("code-mesh")
        row["code_mesh_vs_this"] = (
            None
            if mine is None or row["tool"] in ("code-mesh", "python")
            else round(mine / (row["median_ms"] / 1000), 2)
        )
    return {**info, "skipped": skipped, "results": rows}


def print_table(data: dict[str, Any]) -> None:
    print(f"code-mesh and its peers: median of {data['rounds']} interleaved rounds ({data['machine']})")
    print("network: every command's HTTPS_PROXY/HTTP_PROXY is a closed port on 127.0.0.1")
    for name in data["skipped"]:
        print(f"skipped: {name}")
    print()
    print(f"{'task':<9}{'tool':<11}{'command':<28}{'median':>10}{'ratio':>8}{'peak':>10}  code-mesh/this")
    for row in sorted(data["results"], key=lambda r: (r["task"] != "baseline", r["task"], r["median_ms"])):
        versus = "-" if row["code_mesh_vs_this"] is None else f"{row['code_mesh_vs_this']:.2f}x"
        codes = "" if row["exit_codes"] == [0] else f"  (exit {','.join(map(str, row['exit_codes']))})"
        print(
            f"{row['task']:<9}{row['tool']:<11}{' '.join(row['argv']):<28.28}{row['median_ms']:>7.1f} ms"
            f"{row['ratio_to_python']:>7.2f}x{row['peak_mib']:>6.1f} MiB  {versus}{codes}"
        )


def main(argv: list[str] | None = None) -> int:
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
            measure(commands, arguments.rounds, arguments.warmup, arguments.seed)
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
