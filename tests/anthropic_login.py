"""Logging the CLI in to the fake Anthropic: shared by the flow tests, the storm test and its benchmark."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from cli_process import CliProcess, write_config
from servers.fake_anthropic import FakeAnthropic


def configure_anthropic(home: Path, base: str) -> None:
    """Point every Anthropic endpoint of the CLI at the fake served on `base`."""
    write_config(
        home,
        f"""
[providers.anthropic]
max_authorize_url = "{base}/oauth/authorize"
console_authorize_url = "{base}/oauth/authorize"
token_url = "{base}/v1/oauth/token"
create_api_key_url = "{base}/api/oauth/claude_cli/create_api_key"
""",
    )


def log_in_to_anthropic(
    home: Path,
    fake: FakeAnthropic,
    method: str = "claude-max",
    transform: Callable[[str], str] = lambda a: a,
    env: Mapping[str, str] | None = None,
) -> CliProcess:
    """Start `auth login anthropic`, play the browser, paste the (transformed) answer."""
    login = CliProcess(home, "auth", "login", "anthropic", "--method", method, "--no-browser", env=env)
    url = login.wait_for_line(lambda line: line.startswith("http"))
    login.answer(transform(fake.approve(url)))
    return login


def make_token_due(home: Path, seconds_left: int = 60) -> None:
    """Move the stored expiry into the refresh margin (SPEC: refresh when < 5 minutes remain)."""
    connection = sqlite3.connect(home / "auth.db")
    try:
        connection.execute("UPDATE credentials SET expires_at = strftime('%s', 'now') + ?", (seconds_left,))
        connection.commit()
    finally:
        connection.close()
