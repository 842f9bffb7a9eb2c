"""A `code-mesh` on a real pseudo-terminal (pexpect), and what terminal tests share.

Pipes never reach the selection list, the hidden prompts or the confirmations: those only
exist when standard input is a terminal. A pty gives the program one, so echo, raw mode,
Ctrl-C and Ctrl-D behave as they do for a person.
"""

from __future__ import annotations

import io
import json
import sys
import termios
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pexpect

from conftest import CliRunner, clean_environment

DOWN = "\x1b[B"
ENTER = "\r"
HIDDEN_PROMPT = "(input hidden): "
WAIT_SECONDS = 10


class Session:
    """A spawned `code-mesh` on a pty, with everything it wrote kept for assertions."""

    def __init__(self, home: Path, *arguments: str, env: Mapping[str, str] | None = None) -> None:
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "code_mesh", *arguments],
            env=clean_environment(home, env),
            encoding="utf-8",
            timeout=15,
            dimensions=(24, 100),
        )
        # Everything read from the pty, including what the terminal itself echoed.
        self.child.logfile_read = self.transcript
        # pexpect's default 50 ms pause before each send papers over races; the tests wait
        # for the real condition (raw mode, the prompt) instead.
        self.child.delaybeforesend = None

    def expect(self, text: str, timeout: float | None = -1) -> None:
        self.child.expect_exact(text, timeout=timeout)

    def wait_for_raw_mode(self) -> None:
        """Keys sent before the list enters raw mode would be echoed and flushed: wait for it.

        On Linux the termios of the master side is the slave's, so the test sees the
        mode the program set; this is a condition wait, not a fixed delay.
        """
        deadline = time.monotonic() + WAIT_SECONDS
        while termios.tcgetattr(self.child.child_fd)[3] & termios.ICANON:
            assert time.monotonic() < deadline, "the selection list never put the terminal in raw mode"
            time.sleep(0.002)

    def expect_hidden_prompt(self, provider_name: str) -> None:
        """The key prompt is shown, and the terminal really has echo off while it waits."""
        self.expect(f"? {provider_name} API key {HIDDEN_PROMPT}")
        assert not self.child.getecho(), "terminal echo is on at the API-key prompt"

    def finish(self) -> int:
        """Read to the end, close the pty, and return the exit status."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert self.child.signalstatus is None, f"killed by signal {self.child.signalstatus}"
        assert self.child.exitstatus is not None
        return self.child.exitstatus

    def output(self) -> str:
        return self.transcript.getvalue()

    def output_after(self, marker: str) -> str:
        """What the program wrote after the last `marker` (e.g. after the hidden prompt)."""
        text = self.output()
        assert marker in text, f"{marker!r} never appeared in:\n{text}"
        return text.rsplit(marker, 1)[1]


Spawner = Callable[..., Session]


@contextmanager
def sessions(home: Path) -> Iterator[Spawner]:
    """Spawn sessions in `home`; any child still running at the end is closed so no pty leaks."""
    started: list[Session] = []

    def start(*arguments: str, env: Mapping[str, str] | None = None) -> Session:
        started.append(Session(home, *arguments, env=env))
        return started[-1]

    try:
        yield start
    finally:
        for session in started:
            if session.child.isalive():
                session.child.close(force=True)


def store_key(cli: CliRunner, provider: str, key: str) -> None:
    """Pre-populate the store the way a script would (off a terminal)."""
    result = cli("auth", "login", provider, "--with-key", input=key)
    assert result.returncode == 0, result.stderr


def stored_token(cli: CliRunner, provider: str) -> str | None:
    """The stored key as `auth token` prints it, or None when it says nothing is stored (exit 1)."""
    result = cli("auth", "token", provider)
    if result.returncode == 1:
        assert result.stdout == ""
        return None
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    return result.stdout[:-1]


def listed(cli: CliRunner) -> list[dict[str, object]]:
    result = cli("auth", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["credentials"]
