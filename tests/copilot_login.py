"""Logging the CLI in to the fake GitHub (device flow): shared by the run tests and the misbehaviour tests."""

from __future__ import annotations

import re
from pathlib import Path

from cli_process import CliProcess, write_config
from servers.fake_github import ACCESS_TOKEN_PATH, COPILOT_TOKEN_PATH, DEVICE_CODE_PATH, FakeGitHub

USER_CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}")


def configure_copilot(home: Path, base: str) -> None:
    """Point every GitHub endpoint of the CLI at the fake served on `base`."""
    write_config(
        home,
        f'[providers.github-copilot]\ndevice_code_url = "{base}{DEVICE_CODE_PATH}"\n'
        f'token_url = "{base}{ACCESS_TOKEN_PATH}"\ncopilot_token_url = "{base}{COPILOT_TOKEN_PATH}"\n',
    )


def log_in_to_copilot(home: Path, github: FakeGitHub) -> None:
    """Run the device login, playing the user who enters the printed code at github.com."""
    login = CliProcess(home, "auth", "login", "github-copilot", "--no-browser")
    code = login.wait_for_line(lambda line: USER_CODE.fullmatch(line) is not None)
    github.approve(code)
    assert login.finish() == 0, login.stderr_text
