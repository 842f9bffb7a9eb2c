"""Many real CLI processes at little cost: fork a fresh child per command from one launcher.

A test storm of dozens of commands a round, for several rounds, would spend most of
its time starting interpreters and importing. The launcher is one subprocess that
imports code-mesh once; for each batch it forks one child per command (a real
process with its own descriptors, locks and SQLite connections, and nothing cached:
the launcher never runs a command itself), holds them at a gate until all exist,
releases them together, and reports each child's exit code and output.

    with Launcher() as launcher:
        results = launcher.run([Command(("auth", "key", "rotate"))] * 6, home)
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from conftest import clean_environment
from storm import Command, StormResult

_LAUNCHER = r"""
import json, os, sys, tempfile, time, traceback
import code_mesh.entrypoints.cli, code_mesh.entrypoints.bootstrap
for name in (
    "key", "login", "logout", "list", "token", "export", "import_", "switch", "doctor", "log", "refresh", "store",
    "status", "which", "exec_",
):
    __import__("code_mesh.entrypoints.commands." + name)
import code_mesh.adapters.store.sql_store, code_mesh.adapters.store.schema_migrator, code_mesh.adapters.store.team_schema
import code_mesh.adapters.store.postgres_connect, code_mesh.adapters.store.advisory_locks, psycopg
import code_mesh.adapters.crypto.aes_gcm, code_mesh.adapters.crypto.field_cipher, code_mesh.adapters.crypto.key_vaults
import alembic.command, alembic.config, keyring
from code_mesh.entrypoints.main import main


def child(command, directory, index, gate):
    os.environ.clear()
    os.environ.update(command["env"])
    path = os.path.join(directory, str(index))
    with open(path + ".in", "w") as handle:
        handle.write(command["stdin"])
    for fd, suffix, flags in ((0, ".in", os.O_RDONLY), (1, ".out", os.O_WRONLY | os.O_CREAT), (2, ".err", os.O_WRONLY | os.O_CREAT)):
        opened = os.open(path + suffix, flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    if command["cwd"]:
        os.chdir(command["cwd"])
    os.read(gate, 1)  # released when the launcher closes the gate's other end
    try:
        code = main(command["arguments"])
    except BaseException:
        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


print("ready", flush=True)
for line in sys.stdin:
    commands = json.loads(line)
    directory = tempfile.mkdtemp(prefix="launcher-")
    gate, release = os.pipe()
    children = []
    for index, command in enumerate(commands):
        pid = os.fork()
        if pid == 0:
            os.close(release)
            child(command, directory, index, gate)
        children.append(pid)
    os.close(gate)
    begin = time.perf_counter()
    os.close(release)
    results = []
    for index, pid in enumerate(children):
        _, status = os.waitpid(pid, 0)
        path = os.path.join(directory, str(index))
        outputs = []
        for suffix in (".out", ".err"):
            with open(path + suffix, encoding="utf-8", errors="replace") as handle:
                outputs.append(handle.read())
        results.append({"code": os.waitstatus_to_exitcode(status), "stdout": outputs[0], "stderr": outputs[1]})
    seconds = time.perf_counter() - begin
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))
    os.rmdir(directory)
    print(json.dumps({"results": results, "seconds": seconds}), flush=True)
"""


class Launcher:
    """The launcher subprocess; `run` forks one child per command and waits for all of them."""

    def __init__(self, timeout: float = 300) -> None:
        self._timeout = timeout
        self._process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={key: value for key, value in os.environ.items() if not key.startswith("CODE_MESH_")},
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._next_line() == "ready\n"

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put("")

    def _next_line(self) -> str:
        try:
            line = self._lines.get(timeout=self._timeout)
        except queue.Empty:
            self.close()
            raise AssertionError(f"the launched commands did not finish within {self._timeout} s") from None
        if not line:
            raise AssertionError("the launcher ended unexpectedly")
        return line

    def run(self, commands: Sequence[Command], home: Path) -> StormResult:
        batch = [
            {
                "arguments": list(command.arguments),
                "stdin": command.stdin,
                "env": clean_environment(home, command.env),
                "cwd": command.cwd,
            }
            for command in commands
        ]
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(batch) + "\n")
        self._process.stdin.flush()
        answer = json.loads(self._next_line())
        results = answer["results"]
        return StormResult(
            [r["code"] for r in results], [r["stdout"] for r in results], [r["stderr"] for r in results],
            answer["seconds"],
        )  # fmt: skip

    def cli(
        self,
        home: Path,
        *arguments: str,
        input: str = "",
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """One command, as the `cli` fixture runs it (a fresh process; its exit code and output)."""
        result = self.run([Command(arguments, input, env, None if cwd is None else str(cwd))], home)
        return subprocess.CompletedProcess(
            list(arguments), result.exit_codes[0], result.outputs[0], result.errors[0]
        )

    def close(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=30)

    def __enter__(self) -> Launcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
