"""Anthropic's OAuth logins (claude-max, console) and refresh, through the CLI, against a strict fake."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from anthropic_login import configure_anthropic, log_in_to_anthropic, make_token_due
from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.fake_anthropic import ACCESS_TOKEN_PREFIX, API_KEY_PREFIX, FakeAnthropic
from store_reader import decrypted_rows


@pytest.fixture
def anthropic(home: Path) -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic()
    with fake.serve() as base:
        configure_anthropic(home, base)
        yield fake


log_in = log_in_to_anthropic


def stored_row(home: Path) -> tuple[object, ...]:
    """The row as stored, secrets sealed: equal before and after means nothing was written."""
    connection = sqlite3.connect(home / "auth.db")
    try:
        return connection.execute(
            "SELECT type, api_key, access_token, refresh_token, expires_at, needs_login FROM credentials"
        ).fetchone()
    finally:
        connection.close()


def test_claude_max_login_stores_oauth_tokens(cli: CliRunner, home: Path, anthropic: FakeAnthropic) -> None:
    login = log_in(home, anthropic, "claude-max")
    assert login.finish() == 0, login.stderr_text
    assert "Logged in to Anthropic (Claude) with OAuth: anthropic:default, expires in" in login.stdout
    issued = anthropic.issued[-1]
    token = cli("auth", "token", "anthropic")
    assert token.stdout == issued["access_token"] + "\n"
    row = json.loads(cli("auth", "list", "--json").stdout)["credentials"][0]
    assert (row["provider"], row["type"], row["status"]) == ("anthropic", "oauth", "authenticated")
    assert isinstance(row["expires_at"], int)
    request = anthropic.exchange_requests()[-1]
    assert request.headers["user-agent"].startswith("code-mesh/")
    assert "code_verifier" in request.json()


def test_console_login_stores_the_created_api_key(
    cli: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    login = log_in(home, anthropic, "console")
    assert login.finish() == 0, login.stderr_text
    assert "with an API key" in login.stdout
    key = cli("auth", "token", "anthropic").stdout.strip()
    assert key.startswith(API_KEY_PREFIX) and key in anthropic.api_keys
    assert stored_row(home)[0] == "api_key"


def test_a_due_token_is_refreshed_and_the_rotation_stored(
    cli: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    assert log_in(home, anthropic, "claude-max").finish() == 0
    first = anthropic.issued[-1]
    make_token_due(home)
    token = cli("auth", "token", "anthropic")
    assert token.returncode == 0, token.stderr
    second = anthropic.issued[-1]
    assert second["access_token"] != first["access_token"]
    assert token.stdout == second["access_token"] + "\n"
    assert anthropic.refresh_count == 1
    (row,) = decrypted_rows(home)
    assert (row["access_token"], row["refresh_token"]) == (second["access_token"], second["refresh_token"])
    # Fresh again: no second refresh, and the fast path answers.
    assert cli("auth", "token", "anthropic").stdout == token.stdout
    refreshed = cli("auth", "refresh", "anthropic")
    assert refreshed.returncode == 0 and "Refreshed anthropic" in refreshed.stdout
    assert anthropic.refresh_count == 2
    assert cli("auth", "token", "anthropic").stdout.startswith(ACCESS_TOKEN_PREFIX)


def test_refused_refresh_keeps_the_credential_and_marks_needs_login(
    cli: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    assert log_in(home, anthropic, "claude-max").finish() == 0
    anthropic.revoke_all_refresh_tokens()
    before = stored_row(home)
    result = cli("auth", "refresh", "anthropic")
    assert result.returncode == 1
    assert "invalid_grant" in result.stderr and "code-mesh auth login anthropic" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    after = stored_row(home)
    assert after[:5] == before[:5] and after[5] == 1
    row = json.loads(cli("auth", "list", "--json").stdout)["credentials"][0]
    assert (row["provider"], row["status"]) == ("anthropic", "needs-login")
    assert "needs login" in cli("auth", "list").stdout
    token = cli("auth", "token", "anthropic")
    assert token.returncode == 1 and "code-mesh auth login anthropic" in token.stderr


@pytest.mark.parametrize(
    ("transform", "words"),
    [
        (lambda answer: answer.split("#")[0], "CODE#STATE"),
        (lambda answer: answer.split("#")[0] + "#someone-elses-state", "state mismatch"),
        (lambda answer: "", "No authorization code"),
    ],
)
def test_bad_pasted_answers(home: Path, anthropic: FakeAnthropic, transform, words: str) -> None:  # type: ignore[no-untyped-def]
    login = log_in(home, anthropic, "claude-max", transform)
    assert login.finish() == 1
    assert words in login.stderr_text and "Traceback" not in login.stderr_text
    assert anthropic.exchange_count == 0
    assert not (home / "auth.db").exists() or stored_row(home) is None


@pytest.mark.parametrize(("kind", "words"), [("500", "HTTP 500"), ("not-json", "not a JSON object")])
def test_server_failures_during_the_exchange(
    home: Path, anthropic: FakeAnthropic, kind: str, words: str
) -> None:
    anthropic.fail_next(kind)
    login = log_in(home, anthropic, "claude-max")
    assert login.finish() == 1
    assert words in login.stderr_text and "Traceback" not in login.stderr_text
    assert stored_row(home) is None


def test_connection_refused(home: Path) -> None:
    write_config(home, '[providers.anthropic]\ntoken_url = "http://127.0.0.1:9/v1/oauth/token"\n')
    login = CliProcess(home, "auth", "login", "anthropic", "--method", "claude-max", "--no-browser")
    url = login.wait_for_line(lambda line: line.startswith("http"))
    state = dict(pair.split("=", 1) for pair in url.split("?", 1)[1].split("&"))["state"]
    login.answer(f"code123#{state}")
    assert login.finish() == 1
    assert "Cannot connect to 127.0.0.1:9" in login.stderr_text


def test_timeout_then_store_unchanged(cli: CliRunner, home: Path, anthropic: FakeAnthropic) -> None:
    assert log_in(home, anthropic, "claude-max").finish() == 0
    before = stored_row(home)
    anthropic.fail_next("hang")
    result = cli("auth", "refresh", "anthropic", env={"CODE_MESH_HTTP_TIMEOUT": "0.5"})
    anthropic.release_hung()
    assert result.returncode == 1 and "did not answer within 0.5 s" in result.stderr
    assert stored_row(home) == before
