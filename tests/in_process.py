"""The CLI run inside the test process: its own standard streams and environment, and a
fresh start each time (entrypoints/cli.py forgets what a run cached).

A subprocess costs about 150 ms of start-up; in-process a run of the real command line
(cyclopts, the store, the crypto, everything but the interpreter start) costs a few
milliseconds, which is what lets hypothesis try hundreds of command lines.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from code_mesh.entrypoints.main import main


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _text_stream(data: bytes = b"") -> io.TextIOWrapper:
    """A text stream over bytes, with the `.buffer` that stdin and stdout readers use."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape", newline="")


def _read_back(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", errors="replace")


@contextmanager
def environment(home: Path, extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """os.environ as clean_environment (conftest) makes it for a subprocess, for the block."""
    from conftest import clean_environment

    with mock.patch.dict(os.environ, clean_environment(home, extra), clear=True):
        yield


def run_in_process(arguments: list[str], stdin: str | bytes = "") -> Outcome:
    """`code-mesh ARGUMENTS` with `stdin` as standard input (not a terminal), in this process,
    under the current os.environ (see `environment`)."""
    data = stdin.encode("utf-8", errors="surrogateescape") if isinstance(stdin, str) else stdin
    streams = _text_stream(data), _text_stream(), _text_stream()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        code = main(arguments)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return Outcome(code, _read_back(streams[1]), _read_back(streams[2]))
