"""GitHub Copilot's device login and Copilot-token renewal, through the CLI, against FakeGitHub.

The CLI runs as a real process with pipes (`--no-browser`); the test plays the user who types
the code at github.com by calling FakeGitHub.approve/deny with the code the CLI printed.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.fake_github import (
    ACCESS_TOKEN_PATH,
    COPILOT_TOKEN_PATH,
    DEVICE_CODE_PATH,
    GITHUB_TOKEN_PREFIX,
    VERIFICATION_PATH,
    FakeGitHub,
)
from store_reader import sealed_rows, store_rows

PROVIDER = "github-copilot"
ERROR_PREFIX = "code-mesh: error:"


class WatchedGitHub(FakeGitHub):
    """FakeGitHub that lets a test wait for the CLI's polls, so no test has to sleep."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._answered = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return super().__call__(environ, start_response)
        finally:
            with self._answered:
                self._answered.notify_all()

    def wait_for_polls(self, count: int, timeout: float = 15) -> None:
        """Block until the poll endpoint has answered `count` times (pending answers included)."""
        with self._answered:
            assert self._answered.wait_for(lambda: self.poll_count >= count, timeout), self.poll_count


GitHubStarter = Callable[..., WatchedGitHub]


@pytest.fixture
def start_github(home: Path) -> Iterator[GitHubStarter]:
    """Serve a fake GitHub built with the given options and point config.toml at it."""
    with ExitStack() as stack:

        def start(**options: Any) -> WatchedGitHub:
            fake = WatchedGitHub(**options)
            base = stack.enter_context(fake.serve())
            write_config(
                home,
                f"""
[providers.github-copilot]
device_code_url = "{base}{DEVICE_CODE_PATH}"
token_url = "{base}{ACCESS_TOKEN_PATH}"
copilot_token_url = "{base}{COPILOT_TOKEN_PATH}"
""",
            )
            return fake

        yield start


@pytest.fixture
def github(start_github: GitHubStarter) -> WatchedGitHub:
    return start_github()


@contextmanager
def sigint_deliverable() -> Iterator[None]:
    """A child inherits an ignored SIGINT (tests started in the background); Python then keeps ignoring it."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_for_user_code(login: CliProcess, fake: FakeGitHub) -> str:
    """The code and the page the CLI shows, each on a line of its own; returns the code."""
    login.wait_for_line(lambda line: line == "Enter this one-time code:")
    user_code = login.wait_for_line(lambda line: bool(line))
    assert login.wait_for_line(lambda line: bool(line)) == "at:"
    assert login.wait_for_line(lambda line: bool(line)).endswith(VERIFICATION_PATH)
    assert user_code == fake.user_codes[-1]
    return user_code


def start_login(spawn: Callable[..., CliProcess], fake: FakeGitHub) -> tuple[CliProcess, str]:
    login = spawn("auth", "login", PROVIDER, "--no-browser")
    return login, wait_for_user_code(login, fake)


def log_in(spawn: Callable[..., CliProcess], fake: FakeGitHub) -> CliProcess:
    """A completed device login; the finished process is returned for its output."""
    login, user_code = start_login(spawn, fake)
    fake.approve(user_code)
    assert login.finish() == 0, login.stderr_text
    return login


def set_expiry(home: Path, sql_expression: str) -> None:
    connection = sqlite3.connect(home / "auth.db")
    try:
        connection.execute(f"UPDATE credentials SET expires_at = {sql_expression}")
        connection.commit()
    finally:
        connection.close()


def listed_row(cli: CliRunner) -> dict[str, Any]:
    listing = cli("auth", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    return next(row for row in json.loads(listing.stdout)["credentials"] if row["provider"] == PROVIDER)


def assert_one_error(stderr: str, *words: str) -> str:
    """An expected failure is one short line: no traceback (it could carry a secret), no second error."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1, stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def test_device_login_stores_the_copilot_token_and_keeps_the_github_token(
    cli: CliRunner, home: Path, github: WatchedGitHub, spawn: Callable[..., CliProcess]
) -> None:
    login = log_in(spawn, github)
    assert "Logged in to GitHub Copilot with OAuth: github-copilot:default, expires in" in login.stdout
    assert len(github.github_tokens) == 1 and github.copilot_token_count == 1
    github_token, copilot_token = github.github_tokens[-1], github.copilot_tokens[-1]
    assert github_token.startswith(GITHUB_TOKEN_PREFIX)
    # Every request sent Accept: application/json, or github.com would have answered form-encoded.
    assert all("application/json" in request.headers.get("accept", "") for request in github.requests)

    token = cli("auth", "token", PROVIDER)
    assert (token.returncode, token.stdout, token.stderr) == (0, copilot_token + "\n", "")
    assert github.copilot_token_valid(copilot_token)
    (row,) = store_rows(home)
    assert (row["type"], row["access_token"], row["refresh_token"]) == ("oauth", copilot_token, github_token)
    assert row["scopes"] == "read:user"
    listed = listed_row(cli)
    assert (listed["type"], listed["status"], listed["active"]) == ("oauth", "authenticated", True)
    assert listed["expires_at"] == row["expires_at"]
    assert github.copilot_token_count == 1, "a fresh Copilot token must not be fetched again"


def test_an_expired_copilot_token_is_fetched_again_from_the_github_token(
    cli: CliRunner, home: Path, github: WatchedGitHub, spawn: Callable[..., CliProcess]
) -> None:
    log_in(spawn, github)
    github_token, first = github.github_tokens[-1], github.copilot_tokens[-1]
    set_expiry(home, "strftime('%s', 'now') - 10")
    assert listed_row(cli)["status"] == "expired"

    token = cli("auth", "token", PROVIDER)
    assert token.returncode == 0, token.stderr
    assert github.copilot_token_count == 2
    second = github.copilot_tokens[-1]
    assert second != first and token.stdout == second + "\n"
    assert github.copilot_token_valid(second)
    (row,) = store_rows(home)
    assert (row["access_token"], row["refresh_token"], row["needs_login"]) == (second, github_token, 0)
    # The new expiry is stored: the next call is answered from the store, with no request.
    assert cli("auth", "token", PROVIDER).stdout == token.stdout
    assert github.copilot_token_count == 2
    assert listed_row(cli)["status"] == "authenticated"


def test_a_revoked_github_token_keeps_the_credential_and_marks_it_needs_login(
    cli: CliRunner, home: Path, github: WatchedGitHub, spawn: Callable[..., CliProcess]
) -> None:
    log_in(spawn, github)
    github.revoke(github.github_tokens[-1])
    (before,) = sealed_rows(home)

    result = cli("auth", "refresh", PROVIDER)
    assert result.returncode == 1
    assert_one_error(result.stderr, "GitHub refused the GitHub token", f"code-mesh auth login {PROVIDER}")
    (after,) = sealed_rows(home)
    kept = ("type", "access_token", "refresh_token", "expires_at", "scopes", "activation")
    assert {key: after[key] for key in kept} == {key: before[key] for key in kept}
    assert (before["needs_login"], after["needs_login"]) == (0, 1)
    assert listed_row(cli)["status"] == "needs-login"
    token = cli("auth", "token", PROVIDER)
    assert token.returncode == 1 and token.stdout == ""
    assert_one_error(token.stderr, f"code-mesh auth login {PROVIDER}")
    assert github.copilot_token_count == 2, "a credential that needs login is not tried again"


def test_a_denied_login_stores_nothing(
    home: Path, github: WatchedGitHub, spawn: Callable[..., CliProcess]
) -> None:
    login, user_code = start_login(spawn, github)
    github.wait_for_polls(1)
    github.deny(user_code)
    assert login.finish() == 1
    assert_one_error(login.stderr_text, "denied", "nothing was stored")
    assert store_rows(home) == []
    assert github.github_tokens == [] and github.copilot_token_count == 0


def test_an_expired_device_code_stores_nothing(
    home: Path, start_github: GitHubStarter, spawn: Callable[..., CliProcess]
) -> None:
    github = start_github(device_expires_in=0.5)
    login, _ = start_login(spawn, github)
    assert login.finish() == 1
    assert_one_error(login.stderr_text, "expired", "nothing was stored")
    assert store_rows(home) == []
    assert github.github_tokens == [] and github.copilot_token_count == 0


def test_with_key_is_a_command_line_error_for_copilot(
    cli: CliRunner, home: Path, github: WatchedGitHub
) -> None:
    """Copilot has no API key to give; the mistake is in the command line itself (exit 2)."""
    result = cli("auth", "login", PROVIDER, "--with-key", input="sk-not-a-copilot-key\n")
    assert result.returncode == 2
    assert_one_error(result.stderr, PROVIDER, "--with-key")
    assert "sk-not-a-copilot-key" not in result.stderr + result.stdout
    assert store_rows(home) == []
    assert github.requests == []


def test_rfc_8628_servers_that_answer_pending_with_http_400_are_polled_to_the_end(
    cli: CliRunner, home: Path, start_github: GitHubStarter, spawn: Callable[..., CliProcess]
) -> None:
    """GitHub says authorization_pending with HTTP 200, RFC 8628 with 400: both mean keep polling."""
    github = start_github(error_status=400)
    login, user_code = start_login(spawn, github)
    github.wait_for_polls(2)  # two answers of 400 authorization_pending before the approval
    github.approve(user_code)
    assert login.finish() == 0, login.stderr_text
    assert github.poll_count >= 3 and github.early_poll_count == 0
    assert cli("auth", "token", PROVIDER).stdout == github.copilot_tokens[-1] + "\n"
    assert store_rows(home)[0]["refresh_token"] == github.github_tokens[-1]


@pytest.mark.parametrize("moment", ["between-polls", "inside-a-poll"])
def test_ctrl_c_while_polling_exits_130_and_stores_nothing(
    home: Path, start_github: GitHubStarter, spawn: Callable[..., CliProcess], moment: str
) -> None:
    """Ctrl-C leaves the store as it was, whether the CLI is asleep or waiting for GitHub's answer."""
    github = start_github()
    if moment == "inside-a-poll":
        github.fail_next("hang", endpoint="access_token")
    with sigint_deliverable():
        login, _ = start_login(spawn, github)
    if moment == "inside-a-poll":
        assert github.wait_for_hang(timeout=15)
    else:
        github.wait_for_polls(2)
    login.process.send_signal(signal.SIGINT)
    assert login.finish() == 130
    assert "Traceback" not in login.stderr_text
    assert ERROR_PREFIX not in login.stderr_text
    assert login.stderr_text.splitlines()[-1] == "code-mesh: interrupted; nothing was changed."
    assert store_rows(home) == []
    assert github.github_tokens == [] and github.copilot_token_count == 0
