"""Any OAuth 2.0 provider described in config.toml, through the CLI, against a real authlib server.

The server is strict (PKCE S256 required, loopback redirects only, refresh rotation, RFC 8628), so a
request the standards forbid fails here as it would at a real identity provider. The test plays the
browser: it follows the authorization URL the CLI printed and delivers the redirect to the CLI's
loopback listener itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.authlib_server import (
    AUTHORIZE_PATH,
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    DEVICE_AUTHORIZATION_PATH,
    PUBLIC_CLIENT_ID,
    TOKEN_PATH,
    USERINFO_PATH,
    OAuthTestServer,
    is_loopback_callback,
    make_authorization_server,
)
from store_reader import sealed_rows, store_rows

PROVIDER = "my-idp"
PROVIDER_NAME = "My IdP"
ERROR_PREFIX = "code-mesh: error:"
Spawn = Callable[..., CliProcess]


def provider_config(base: str, client_id: str = PUBLIC_CLIENT_ID, client_secret: str | None = None) -> str:
    secret = f'client_secret = "{client_secret}"\n' if client_secret is not None else ""
    return f"""
[providers.{PROVIDER}]
name = "{PROVIDER_NAME}"
authorize_url = "{base}{AUTHORIZE_PATH}"
device_authorization_url = "{base}{DEVICE_AUTHORIZATION_PATH}"
token_url = "{base}{TOKEN_PATH}"
client_id = "{client_id}"
{secret}scopes = ["openid", "offline_access"]
"""


@pytest.fixture
def idp(home: Path) -> Iterator[OAuthTestServer]:
    """The authorization server, with config.toml naming the public (PKCE-only) client."""
    server = make_authorization_server()
    with server.serve() as base:
        write_config(home, provider_config(base))
        yield server


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """The user's browser, minus the following of redirects: the test delivers the callback itself."""
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=15) as client:
        yield client


def start_browser_login(spawn: Spawn) -> tuple[CliProcess, str]:
    """The login waiting on its loopback listener, and the authorization URL it printed."""
    login = spawn("auth", "login", PROVIDER, "--method", "oauth", "--no-browser")
    login.wait_for_line(lambda line: line == f"Open this link to log in to {PROVIDER}:")
    url = login.wait_for_line(lambda line: bool(line))
    query = parse_qs(urlsplit(url).query)
    assert is_loopback_callback(query["redirect_uri"][0]), url
    assert (query["code_challenge_method"], query["scope"]) == (["S256"], ["openid offline_access"])
    return login, url


def authorize(browser: httpx.Client, url: str) -> str:
    """The user approves at the provider: the redirect (code and state) meant for the CLI's listener."""
    answer = browser.get(url)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def deliver(browser: httpx.Client, callback: str) -> httpx.Response:
    """The browser lands on the CLI's loopback listener, which says the tab can be closed."""
    page = browser.get(callback)
    assert page.status_code == 200 and "You can close this tab" in page.text, page.text
    return page


def use_confidential_client(home: Path, server: OAuthTestServer) -> None:
    """The server refuses this client any token request that does not prove the secret (basic or post)."""
    write_config(
        home, provider_config(server.base_url or "", CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET)
    )


def log_in_with_browser(spawn: Spawn, browser: httpx.Client) -> CliProcess:
    login, url = start_browser_login(spawn)
    deliver(browser, authorize(browser, url))
    assert login.finish() == 0, login.stderr_text
    return login


def with_state(callback: str, state: str) -> str:
    parts = urlsplit(callback)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, "state": state})))


def make_due(home: Path) -> None:
    """One minute left: inside the 5-minute margin, so the next use refreshes first."""
    connection = sqlite3.connect(home / "auth.db")
    try:
        connection.execute("UPDATE credentials SET expires_at = strftime('%s', 'now') + 60")
        connection.commit()
    finally:
        connection.close()


def printed_token(cli: CliRunner) -> str:
    result = cli("auth", "token", PROVIDER)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.count("\n") == 1
    return result.stdout.strip()


def userinfo_status(browser: httpx.Client, server: OAuthTestServer, access_token: str) -> int:
    """Whether the provider itself accepts the token, as an API protected by it would (RFC 6750)."""
    answer = browser.get(
        f"{server.base_url}{USERINFO_PATH}", headers={"Authorization": f"Bearer {access_token}"}
    )
    return answer.status_code


def assert_one_error(stderr: str, *words: str) -> str:
    """An expected failure is one short line: no traceback (it could carry a secret), no second error."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1, stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def test_browser_login_with_the_public_client_gives_a_working_token(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    login = log_in_with_browser(spawn, browser)
    assert f"Logged in to {PROVIDER_NAME} with OAuth: {PROVIDER}:default, expires in" in login.stdout
    assert idp.code_exchange_count == 1
    issued = idp.issued_tokens[-1]
    exchange = idp.requests_to(TOKEN_PATH)[-1].form
    assert exchange["client_id"] == PUBLIC_CLIENT_ID and "client_secret" not in exchange
    assert "code_verifier" in exchange

    token = printed_token(cli)
    assert token == issued.access_token
    assert userinfo_status(browser, idp, token) == 200
    (row,) = store_rows(home)
    assert (row["type"], row["refresh_token"]) == ("oauth", issued.refresh_token)


def test_browser_login_with_a_confidential_client_sends_its_secret(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    """client_secret from config.toml authenticates the code exchange and every refresh after it."""
    use_confidential_client(home, idp)
    log_in_with_browser(spawn, browser)
    assert (idp.code_exchange_count, idp.issued_tokens[-1].client_id) == (1, CONFIDENTIAL_CLIENT_ID)
    assert userinfo_status(browser, idp, printed_token(cli)) == 200

    make_due(home)
    token = printed_token(cli)
    assert (idp.refresh_count, idp.issued_tokens[-1].client_id) == (1, CONFIDENTIAL_CLIENT_ID)
    assert token == idp.issued_tokens[-1].access_token
    assert userinfo_status(browser, idp, token) == 200


def test_device_login_for_a_configured_provider(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    login = spawn("auth", "login", PROVIDER, "--method", "device", "--no-browser")
    login.wait_for_line(lambda line: line == "Enter this one-time code:")
    user_code = login.wait_for_line(lambda line: bool(line))
    assert login.wait_for_line(lambda line: bool(line)) == "at:"
    assert login.wait_for_line(lambda line: bool(line)) == f"{idp.base_url}/device"
    assert user_code == idp.last_user_code
    idp.approve_device(user_code)
    assert login.finish() == 0, login.stderr_text
    assert idp.device_exchange_count == 1
    token = printed_token(cli)
    assert token == idp.issued_tokens[-1].access_token
    assert userinfo_status(browser, idp, token) == 200
    assert store_rows(home)[0]["refresh_token"] == idp.issued_tokens[-1].refresh_token


def test_device_login_with_a_confidential_client_sends_its_secret(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    """RFC 8628 section 3.1: a confidential client authenticates at the device authorization endpoint too."""
    use_confidential_client(home, idp)
    idp.auto_approve_devices = True
    login = spawn("auth", "login", PROVIDER, "--method", "device", "--no-browser")
    assert login.finish() == 0, login.stderr_text
    assert (idp.device_exchange_count, idp.issued_tokens[-1].client_id) == (1, CONFIDENTIAL_CLIENT_ID)
    assert userinfo_status(browser, idp, printed_token(cli)) == 200


def test_a_due_token_is_refreshed_once_and_the_rotated_refresh_token_stored(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    log_in_with_browser(spawn, browser)
    first = idp.issued_tokens[-1]
    make_due(home)

    token = printed_token(cli)
    assert idp.refresh_count == 1
    second = idp.issued_tokens[-1]
    assert token == second.access_token != first.access_token
    assert second.refresh_token is not None and second.refresh_token != first.refresh_token
    (row,) = store_rows(home)
    assert (row["access_token"], row["refresh_token"]) == (second.access_token, second.refresh_token)
    assert userinfo_status(browser, idp, token) == 200
    # Fresh again: answered from the store, without a second refresh.
    assert printed_token(cli) == token
    assert idp.refresh_count == 1


def test_a_refused_refresh_keeps_the_credential_and_marks_it_needs_login(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    """invalid_grant (HTTP 400, RFC 6749 section 5.2) means log in again; nothing stored is thrown away."""
    log_in_with_browser(spawn, browser)
    idp.revoke_all_refresh_tokens()
    (before,) = sealed_rows(home)

    result = cli("auth", "refresh", PROVIDER)
    assert result.returncode == 1
    assert_one_error(result.stderr, "invalid_grant", f"code-mesh auth login {PROVIDER}")
    (after,) = sealed_rows(home)
    kept = ("type", "access_token", "refresh_token", "expires_at", "scopes", "activation")
    assert {key: after[key] for key in kept} == {key: before[key] for key in kept}
    assert (before["needs_login"], after["needs_login"]) == (0, 1)
    assert idp.refresh_count == 0
    listing = json.loads(cli("auth", "list", "--json").stdout)["credentials"]
    assert next(row for row in listing if row["provider"] == PROVIDER)["status"] == "needs-login"


def test_auth_list_shows_the_name_from_config(
    cli: CliRunner, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    def my_idp_row() -> dict[str, Any]:
        listing = cli("auth", "list", "--json")
        assert listing.returncode == 0, listing.stderr
        return next(row for row in json.loads(listing.stdout)["credentials"] if row["provider"] == PROVIDER)

    before = my_idp_row()
    assert (before["name"], before["status"]) == (PROVIDER_NAME, "not-authenticated")
    log_in_with_browser(spawn, browser)
    row = my_idp_row()
    assert (row["name"], row["account"], row["type"], row["status"]) == (
        PROVIDER_NAME,
        "default",
        "oauth",
        "authenticated",
    )
    human = cli("auth", "list").stdout
    line = next(line for line in human.splitlines() if line.startswith(PROVIDER))
    assert PROVIDER_NAME in line and "authenticated" in line


def test_redirects_without_this_logins_state_are_ignored_and_the_login_goes_on(
    cli: CliRunner, home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    """Any local process can call the loopback listener: a redirect that does not carry this login's
    state (a forged code, an `?error=` with no state or another one, escape sequences in it) gets an
    error page and changes nothing; the login waits on for its own answer (issue 9)."""
    login, url = start_browser_login(spawn)
    genuine = authorize(browser, url)
    redirect_uri = genuine.split("?", 1)[0]
    forged = [
        with_state(genuine, "someone-elses-state"),  # the real code, another state: CSRF
        f"{redirect_uri}?error=access_denied",  # no state at all: would abort the login
        f"{redirect_uri}?error=%1b%5d0%3bpwned%07%1b%5b2J&state=wrong",  # a title and a clear screen
        f"{redirect_uri}?code=injected-code",
    ]
    for callback in forged:
        page = browser.get(callback)
        assert page.status_code == 400 and "does not belong to the login in progress" in page.text
    assert login.process.poll() is None, "the login still waits for its own answer"
    assert idp.requests_to(TOKEN_PATH) == []
    deliver(browser, genuine)
    assert login.finish() == 0, login.stderr_text
    assert "\x1b" not in login.stdout + login.stderr_text and "pwned" not in login.stderr_text
    (exchange,) = idp.requests_to(TOKEN_PATH)
    assert exchange.form["code"] == parse_qs(urlsplit(genuine).query)["code"][0]
    assert printed_token(cli) == idp.issued_tokens[-1].access_token


def test_an_authorization_denied_at_the_provider_stores_nothing(
    home: Path, idp: OAuthTestServer, spawn: Spawn, browser: httpx.Client
) -> None:
    idp.deny_next_authorization()
    login, url = start_browser_login(spawn)
    callback = authorize(browser, url)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    deliver(browser, callback)
    assert login.finish() == 1
    assert_one_error(login.stderr_text, "access_denied", "nothing was stored")
    assert store_rows(home) == []
    assert idp.requests_to(TOKEN_PATH) == []


def test_an_unknown_key_in_config_names_the_file_and_line(
    cli: CliRunner, home: Path, idp: OAuthTestServer
) -> None:
    stored = cli("auth", "login", "openai", "--with-key", input="sk-kept-openai-key\n")
    assert stored.returncode == 0, stored.stderr
    before = store_rows(home)
    config = home / "config.toml"
    config.write_text(provider_config(idp.base_url or "") + 'client_idd = "typo"\n')
    line = config.read_text().splitlines().index('client_idd = "typo"') + 1

    result = cli("auth", "login", PROVIDER, "--method", "oauth", "--no-browser")
    assert result.returncode == 1 and result.stdout == ""
    assert_one_error(result.stderr, f"{config}, line {line}", "client_idd")
    assert store_rows(home) == before
    assert idp.requests == []
