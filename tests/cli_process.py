"""A running `code-mesh` whose output the test reads line by line while it waits for answers."""

from __future__ import annotations

import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from conftest import clean_environment, command_line


class CliProcess:
    """Started with pipes; stdout and stderr are collected by threads so reads never block."""

    def __init__(self, home: Path, *arguments: str, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            command_line(*arguments),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(home, env),
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stdout_lines: list[str] = []
        self.stderr_text = ""
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr_text = self.process.stderr.read()

    def wait_for_line(self, matches: Callable[[str], bool], timeout: float = 30) -> str:
        """The first stdout line (stripped) for which `matches` holds."""
        while True:
            line = self._lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(
                    f"the CLI ended first; stdout={self.stdout_lines!r} stderr={self.stderr_text!r}"
                )
            if matches(line.strip()):
                return line.strip()

    def answer(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 60) -> int:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    @property
    def stdout(self) -> str:
        return "".join(self.stdout_lines)


def write_config(home: Path, text: str) -> None:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)
    (home / "config.toml").chmod(0o600)


_REPORTING_PEAK = (
    "import atexit, sys\n"
    "def _report():\n"
    "    with open('/proc/self/status') as status:\n"
    "        peak = next(line for line in status if line.startswith('VmHWM:'))\n"
    "    with open(sys.argv[1], 'w') as out:\n"
    "        out.write(peak.split()[1])\n"
    "atexit.register(_report)\n"
    "from code_mesh.entrypoints.main import main\n"
    "raise SystemExit(main(sys.argv[2:]))\n"
)
"""The CLI with its peak resident memory written to a file at exit: VmHWM of its own address
space. (wait4's ru_maxrss would also count the test process's pages at fork time, before exec,
so it grows with the test run around it.)"""


def run_measuring_memory(
    home: Path, *arguments: str, env: Mapping[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the CLI to its end; also return its peak resident memory in MiB."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "peak"
        result = subprocess.run(
            [sys.executable, "-c", _REPORTING_PEAK, str(report), *arguments],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=clean_environment(home, env),
            timeout=120,
        )
        peak_kib = int(report.read_text())
    return result, peak_kib / 1024
