"""The fakes of Anthropic and GitHub behave like SPEC section 5 says the real services do.

The product's OAuth tests are only as good as these fakes, so each rule a careless client
could break is shown here to be refused, over real HTTP. Time moves through an injected
clock, never a sleep.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from servers.fake_anthropic import (
    ACCESS_TOKEN_PREFIX,
    API_KEY_PREFIX,
    REFRESH_TOKEN_PREFIX,
    FakeAnthropic,
    OAuthError,
    pkce_challenge,
)
from servers.fake_github import DEVICE_GRANT_TYPE, FakeGitHub
from servers.harness import serve_wsgi

CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
REDIRECT_URI = "https://platform.claude.com/oauth/code/callback"
SCOPE = "org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"
GITHUB_CLIENT_ID = "Iv1.b507a08c87ecfe98"
JSON = {"Accept": "application/json"}
HANG_TIMEOUT = httpx.Timeout(0.3)


# Building an SSL context costs a tenth of a second per client; these clients only speak
# plain HTTP to 127.0.0.1, so they share one.
_SSL = ssl.create_default_context()


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=5.0, verify=_SSL)


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Served:
    """A fake, its base URL, an HTTP client on it and the clock it reads."""

    fake: Any
    base: str
    http: httpx.Client
    clock: ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


class Switch:
    """One server for the whole module, handing each request to the current test's fake."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Switch, str]]:
    """Starting and stopping a server per test would cost a tenth of a second each."""
    switch = Switch()
    with serve_wsgi(switch) as base:
        yield switch, base


@pytest.fixture
def anthropic(clock: ManualClock, server: tuple[Switch, str]) -> Iterator[Served]:
    switch, base = server
    switch.app = fake = FakeAnthropic(clock=clock)
    with client(base) as http:
        yield Served(fake, base, http, clock)
    fake.close()


@pytest.fixture
def github(clock: ManualClock, server: tuple[Switch, str]) -> Iterator[Served]:
    switch, base = server
    switch.app = fake = FakeGitHub(clock=clock)
    with client(base) as http:
        yield Served(fake, base, http, clock)
    fake.close()


# ------------------------------------------------------------------ Anthropic helpers


@dataclass
class Login:
    verifier: str
    state: str
    code: str


def authorize_query(**overrides: str | None) -> dict[str, str]:
    verifier = overrides.pop("verifier", None) or secrets.token_urlsafe(48)
    query = {
        "code": "true",
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        "state": secrets.token_urlsafe(32),
    }
    for key, value in overrides.items():
        if value is None:
            query.pop(key)
        else:
            query[key] = value
    return query


def start_login(served: Served) -> Login:
    """Walk the authorize page over HTTP, as a user's browser would, and read CODE#STATE."""
    verifier = secrets.token_urlsafe(48)
    query = authorize_query(verifier=verifier)
    response = served.http.get("/oauth/authorize", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    match = re.search(r'id="code">([^<]+)<', response.text)
    assert match is not None
    code, _, state = match.group(1).partition("#")
    assert state == query["state"]
    return Login(verifier, state, code)


def exchange_body(login: Login, **overrides: str) -> dict[str, str]:
    body = {
        "grant_type": "authorization_code",
        "code": login.code,
        "state": login.state,
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": login.verifier,
    }
    body.update(overrides)
    return body


def exchange(served: Served, login: Login, **overrides: str) -> httpx.Response:
    return served.http.post("/v1/oauth/token", json=exchange_body(login, **overrides))


def logged_in(served: Served) -> dict[str, Any]:
    response = exchange(served, start_login(served))
    assert response.status_code == 200, response.text
    return response.json()


def refresh(served: Served, refresh_token: str) -> httpx.Response:
    return served.http.post(
        "/v1/oauth/token",
        json={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID},
    )


def create_api_key(served: Served, access_token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    return served.http.post("/api/oauth/claude_cli/create_api_key", headers=headers)


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert body.get("error_description")


# ------------------------------------------------------------ Anthropic: authorize


def test_the_authorize_page_shows_code_and_state_and_approve_does_the_same(anthropic: Served) -> None:
    login = start_login(anthropic)
    assert login.code and "#" not in login.code

    query = authorize_query()
    pasted = anthropic.fake.approve(f"https://claude.com/cai/oauth/authorize?{urllib.parse.urlencode(query)}")
    code, _, state = pasted.partition("#")
    assert code and state == query["state"]


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"code": None}, "invalid_request"),
        ({"code": "false"}, "invalid_request"),
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"redirect_uri": "http://127.0.0.1:9999/callback"}, "invalid_request"),
        ({"scope": "user:profile user:inference"}, "invalid_scope"),
        ({"scope": "org:create_api_key,user:profile,user:inference"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"state": None}, "invalid_request"),
        ({"state": "short"}, "invalid_request"),
        ({"state": "has#hash-in-it-0123456789"}, "invalid_request"),
    ],
)
def test_an_invalid_authorize_query_is_refused(
    anthropic: Served, override: dict[str, str | None], error: str
) -> None:
    response = anthropic.http.get("/oauth/authorize", params=authorize_query(**override))
    assert_oauth_error(response, error)
    with pytest.raises(OAuthError):
        anthropic.fake.approve(
            f"{anthropic.base}/oauth/authorize?{urllib.parse.urlencode(authorize_query(**override))}"
        )


def test_a_parameter_given_twice_is_refused(anthropic: Served) -> None:
    query = [*authorize_query().items(), ("state", secrets.token_urlsafe(32))]
    assert_oauth_error(anthropic.http.get("/oauth/authorize", params=query), "invalid_request")


def test_the_scope_may_come_in_any_order(anthropic: Served) -> None:
    response = anthropic.http.get(
        "/oauth/authorize", params=authorize_query(scope=" ".join(reversed(SCOPE.split(" "))))
    )
    assert response.status_code == 200


# ---------------------------------------------------------------- Anthropic: token


def test_a_correct_exchange_returns_fresh_tokens(anthropic: Served) -> None:
    login = start_login(anthropic)
    response = exchange(anthropic, login)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"].startswith(ACCESS_TOKEN_PREFIX)
    assert body["refresh_token"].startswith(REFRESH_TOKEN_PREFIX)
    assert body["expires_in"] == 3600
    assert body["token_type"] == "bearer"
    assert anthropic.fake.exchange_count == 1
    assert anthropic.fake.issued[-1]["access_token"] == body["access_token"]
    assert anthropic.fake.access_token_valid(body["access_token"])


def test_a_pkce_verifier_that_does_not_match_is_refused(anthropic: Served) -> None:
    login = start_login(anthropic)
    response = exchange(anthropic, login, code_verifier=secrets.token_urlsafe(48))
    assert_oauth_error(response, "invalid_grant")
    assert "code_verifier" in response.json()["error_description"]


def test_the_code_challenge_itself_is_not_a_verifier(anthropic: Served) -> None:
    login = start_login(anthropic)
    response = exchange(anthropic, login, code_verifier=pkce_challenge(login.verifier))
    assert_oauth_error(response, "invalid_grant")


def test_a_code_is_single_use_and_its_reuse_revokes_what_it_gave(anthropic: Served) -> None:
    login = start_login(anthropic)
    first = exchange(anthropic, login)
    assert first.status_code == 200

    assert_oauth_error(exchange(anthropic, login), "invalid_grant")
    assert not anthropic.fake.access_token_valid(first.json()["access_token"])
    assert_oauth_error(refresh(anthropic, first.json()["refresh_token"]), "invalid_grant")


def test_a_failed_exchange_spends_the_code(anthropic: Served) -> None:
    login = start_login(anthropic)
    assert_oauth_error(exchange(anthropic, login, code_verifier=secrets.token_urlsafe(48)), "invalid_grant")
    assert_oauth_error(exchange(anthropic, login), "invalid_grant")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("state", "another-state-0123456789", "invalid_grant"),
        ("redirect_uri", "http://127.0.0.1:8080/callback", "invalid_grant"),
        ("client_id", "someone-else", "invalid_client"),
        ("code", "a-code-never-issued", "invalid_grant"),
        ("grant_type", "password", "unsupported_grant_type"),
    ],
)
def test_an_exchange_with_a_wrong_field_is_refused(
    anthropic: Served, field: str, value: str, error: str
) -> None:
    login = start_login(anthropic)
    assert_oauth_error(exchange(anthropic, login, **{field: value}), error)


@pytest.mark.parametrize("missing", ["code", "state", "client_id", "redirect_uri", "code_verifier"])
def test_an_exchange_without_a_field_is_refused(anthropic: Served, missing: str) -> None:
    body = exchange_body(start_login(anthropic))
    del body[missing]
    assert_oauth_error(anthropic.http.post("/v1/oauth/token", json=body), "invalid_request")


def test_a_form_encoded_body_is_refused(anthropic: Served) -> None:
    login = start_login(anthropic)
    response = anthropic.http.post("/v1/oauth/token", data=exchange_body(login))
    assert_oauth_error(response, "invalid_request")
    # The refusal did not spend the code: the same exchange as JSON still works.
    assert exchange(anthropic, login).status_code == 200


def test_json_text_sent_without_a_json_content_type_is_refused(anthropic: Served) -> None:
    login = start_login(anthropic)
    response = anthropic.http.post(
        "/v1/oauth/token", content=json.dumps(exchange_body(login)), headers={"Content-Type": "text/plain"}
    )
    assert_oauth_error(response, "invalid_request")


def test_the_pasted_text_is_not_the_code(anthropic: Served) -> None:
    login = start_login(anthropic)
    assert_oauth_error(exchange(anthropic, login, code=f"{login.code}#{login.state}"), "invalid_grant")


def test_a_code_expires(anthropic: Served) -> None:
    login = start_login(anthropic)
    anthropic.clock.advance(601)
    assert_oauth_error(exchange(anthropic, login), "invalid_grant")


def test_refresh_tokens_rotate_and_an_old_one_is_refused(anthropic: Served) -> None:
    tokens = logged_in(anthropic)

    first = refresh(anthropic, tokens["refresh_token"])
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]

    reused = refresh(anthropic, tokens["refresh_token"])
    assert_oauth_error(reused, "invalid_grant")
    # Reuse of a rotated token revokes the whole family, as OAuth 2.1 recommends.
    assert_oauth_error(refresh(anthropic, rotated["refresh_token"]), "invalid_grant")
    assert anthropic.fake.refresh_count == 3
    assert len(anthropic.fake.refresh_requests()) == 3
    assert len(anthropic.fake.exchange_requests()) == 1


def test_without_reuse_detection_the_newest_refresh_token_survives_a_reuse(clock: ManualClock) -> None:
    fake = FakeAnthropic(clock=clock, revoke_family_on_reuse=False)
    with fake.serve() as base, client(base) as http:
        served = Served(fake, base, http, clock)
        tokens = logged_in(served)
        rotated = refresh(served, tokens["refresh_token"]).json()
        assert_oauth_error(refresh(served, tokens["refresh_token"]), "invalid_grant")
        assert refresh(served, rotated["refresh_token"]).status_code == 200


def test_a_chain_of_refreshes_works_with_the_newest_token_each_time(anthropic: Served) -> None:
    token = logged_in(anthropic)["refresh_token"]
    for _ in range(3):
        response = refresh(anthropic, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    assert anthropic.fake.refresh_count == 3


def test_an_unknown_or_empty_refresh_token_is_refused(anthropic: Served) -> None:
    assert_oauth_error(refresh(anthropic, "sk-ant-ort-fake-never-issued"), "invalid_grant")
    assert_oauth_error(refresh(anthropic, ""), "invalid_request")


def test_concurrent_refreshes_with_one_token_let_exactly_one_through(clock: ManualClock) -> None:
    fake = FakeAnthropic(clock=clock, revoke_family_on_reuse=False)
    with fake.serve() as base, client(base) as http:
        token = logged_in(Served(fake, base, http, clock))["refresh_token"]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(
                pool.map(lambda _: refresh(Served(fake, base, http, clock), token).status_code, range(8))
            )
    assert sorted(statuses) == [200] + [400] * 7
    assert fake.refresh_count == 8


def test_a_refresh_needs_the_client_id(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    response = anthropic.http.post(
        "/v1/oauth/token", json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert_oauth_error(response, "invalid_request")
    assert refresh(anthropic, tokens["refresh_token"]).status_code == 200


def test_revoke_all_refresh_tokens(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.fake.revoke_all_refresh_tokens()
    assert_oauth_error(refresh(anthropic, tokens["refresh_token"]), "invalid_grant")
    assert create_api_key(anthropic, tokens["access_token"]).status_code == 200


# -------------------------------------------------------- Anthropic: create API key


def test_create_api_key_needs_a_valid_bearer(anthropic: Served) -> None:
    tokens = logged_in(anthropic)

    assert create_api_key(anthropic, None).status_code == 401
    assert create_api_key(anthropic, "sk-ant-oat-fake-never-issued").status_code == 401
    assert create_api_key(anthropic, tokens["refresh_token"]).status_code == 401
    wrong_scheme = anthropic.http.post(
        "/api/oauth/claude_cli/create_api_key", headers={"Authorization": f"token {tokens['access_token']}"}
    )
    assert wrong_scheme.status_code == 401

    response = create_api_key(anthropic, tokens["access_token"])
    assert response.status_code == 200
    assert response.json()["raw_key"].startswith(API_KEY_PREFIX)
    assert anthropic.fake.api_keys == [response.json()["raw_key"]]


def test_an_access_token_expires_with_the_clock(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.clock.advance(3599)
    assert create_api_key(anthropic, tokens["access_token"]).status_code == 200
    anthropic.clock.advance(1)
    assert create_api_key(anthropic, tokens["access_token"]).status_code == 401


def test_expire_access_tokens_invalidates_those_already_issued(anthropic: Served) -> None:
    old = logged_in(anthropic)
    anthropic.fake.expire_access_tokens()
    assert create_api_key(anthropic, old["access_token"]).status_code == 401
    renewed = refresh(anthropic, old["refresh_token"]).json()
    assert create_api_key(anthropic, renewed["access_token"]).status_code == 200


def test_expires_in_is_configurable(clock: ManualClock) -> None:
    fake = FakeAnthropic(clock=clock, expires_in=60)
    with fake.serve() as base, client(base) as http:
        assert logged_in(Served(fake, base, http, clock))["expires_in"] == 60


# -------------------------------------------------------- Anthropic: bookkeeping


def test_requests_are_recorded_with_lower_case_headers_and_body(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.http.post(
        "/v1/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
        },
        headers={"User-Agent": "code-mesh/0.1.0"},
    )
    last = anthropic.fake.refresh_requests()[-1]
    assert last.method == "POST"
    assert last.path == "/v1/oauth/token"
    assert last.headers["user-agent"] == "code-mesh/0.1.0"
    assert last.headers["content-type"] == "application/json"
    assert last.json()["refresh_token"] == tokens["refresh_token"]
    assert [request.path for request in anthropic.fake.requests][:2] == [
        "/oauth/authorize",
        "/v1/oauth/token",
    ]
    assert len(anthropic.fake.token_requests()) == 2


def test_unknown_paths_and_methods(anthropic: Served) -> None:
    assert anthropic.http.get("/nowhere").status_code == 404
    assert anthropic.http.get("/v1/oauth/token").status_code == 405
    assert anthropic.http.post("/oauth/authorize").status_code == 405


# ------------------------------------------------------ Anthropic: failure injection


def test_injected_500_has_an_html_body_and_changes_nothing(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.fake.fail_next("500")
    response = refresh(anthropic, tokens["refresh_token"])
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert refresh(anthropic, tokens["refresh_token"]).status_code == 200
    assert anthropic.fake.refresh_count == 2


def test_injected_not_json_is_a_200_html_page(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.fake.fail_next("not-json")
    response = refresh(anthropic, tokens["refresh_token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"
    assert response.text == "<html>oops</html>"


def test_injected_invalid_grant(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.fake.fail_next("invalid_grant", count=2)
    assert_oauth_error(refresh(anthropic, tokens["refresh_token"]), "invalid_grant")
    assert_oauth_error(refresh(anthropic, tokens["refresh_token"]), "invalid_grant")
    assert refresh(anthropic, tokens["refresh_token"]).status_code == 200


def test_injected_hang_blocks_until_released(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.fake.fail_next("hang")
    try:
        with pytest.raises(httpx.ReadTimeout):
            anthropic.http.post(
                "/v1/oauth/token",
                json={
                    "grant_type": "refresh_token",
                    "refresh_token": tokens["refresh_token"],
                    "client_id": CLIENT_ID,
                },
                timeout=HANG_TIMEOUT,
            )
        assert anthropic.fake.wait_for_hang(timeout=1.0)
        assert anthropic.fake.hung_count == 1
    finally:
        anthropic.fake.release_hung()
    # A hung request changed nothing: the same refresh token still works.
    assert refresh(anthropic, tokens["refresh_token"]).status_code == 200


def test_create_api_key_failures_can_be_injected(anthropic: Served) -> None:
    tokens = logged_in(anthropic)
    anthropic.fake.fail_next("500", endpoint="create_api_key")
    assert refresh(anthropic, tokens["refresh_token"]).status_code == 200
    assert create_api_key(anthropic, tokens["access_token"]).status_code == 500


def test_fail_next_refuses_what_it_cannot_do() -> None:
    fake = FakeAnthropic()
    for kind, endpoint in [("teapot", "token"), ("500", "nowhere"), ("invalid_grant", "create_api_key")]:
        with pytest.raises(ValueError):
            fake.fail_next(kind, endpoint=endpoint)
    with pytest.raises(ValueError):
        fake.fail_next("500", count=0)


def test_serve_with_the_plain_harness(clock: ManualClock) -> None:
    fake = FakeAnthropic(clock=clock)
    with serve_wsgi(fake) as base, client(base) as http:
        assert logged_in(Served(fake, base, http, clock))["token_type"] == "bearer"


# ------------------------------------------------------------------- GitHub helpers


def device_code(served: Served, headers: dict[str, str] | None = None, **body: str) -> httpx.Response:
    fields = {"client_id": GITHUB_CLIENT_ID, "scope": "read:user", **body}
    return served.http.post("/login/device/code", data=fields, headers=JSON if headers is None else headers)


def start_device_flow(served: Served) -> dict[str, Any]:
    response = device_code(served)
    assert response.status_code == 200, response.text
    return response.json()


def poll(served: Served, code: str, headers: dict[str, str] | None = None, **body: str) -> httpx.Response:
    fields = {"client_id": GITHUB_CLIENT_ID, "device_code": code, "grant_type": DEVICE_GRANT_TYPE, **body}
    return served.http.post(
        "/login/oauth/access_token", data=fields, headers=JSON if headers is None else headers
    )


def poll_error(served: Served, code: str) -> str:
    response = poll(served, code)
    assert response.status_code == 200, response.text
    return response.json()["error"]


def github_token(served: Served) -> str:
    flow = start_device_flow(served)
    served.fake.approve(flow["user_code"])
    served.clock.advance(flow["interval"])
    return poll(served, flow["device_code"]).json()["access_token"]


def copilot(served: Served, token: str | None) -> httpx.Response:
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    return served.http.get("/copilot_internal/v2/token", headers=headers)


# ------------------------------------------------------------------ GitHub: device flow


def test_device_code_answer(github: Served) -> None:
    flow = start_device_flow(github)
    assert set(flow) == {"device_code", "user_code", "verification_uri", "expires_in", "interval"}
    assert re.fullmatch(r"[A-Z]{4}-[0-9]{4}", flow["user_code"])
    assert flow["verification_uri"] == f"{github.base}/login/device"
    assert flow["expires_in"] == 5
    assert flow["interval"] == 0.05
    assert github.fake.user_codes == [flow["user_code"]]


def test_device_code_accepts_a_json_body(github: Served) -> None:
    response = github.http.post(
        "/login/device/code", json={"client_id": GITHUB_CLIENT_ID, "scope": "read:user"}, headers=JSON
    )
    assert response.status_code == 200
    assert "device_code" in response.json()


def test_without_accept_json_the_answers_are_form_encoded(github: Served) -> None:
    response = device_code(github, headers={})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    with pytest.raises(ValueError):
        response.json()
    flow = dict(urllib.parse.parse_qsl(response.text))
    assert flow["verification_uri"] == f"{github.base}/login/device"

    github.clock.advance(1)
    pending = poll(github, flow["device_code"], headers={"Accept": "*/*"})
    assert pending.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert dict(urllib.parse.parse_qsl(pending.text))["error"] == "authorization_pending"

    github.fake.approve(flow["user_code"])
    github.clock.advance(1)
    granted = dict(urllib.parse.parse_qsl(poll(github, flow["device_code"], headers={}).text))
    assert granted["access_token"].startswith("gho_fake")
    assert granted["token_type"] == "bearer"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"client_id": "Iv1.someone-else"}, "incorrect_client_credentials"),
        ({"scope": "repo"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
    ],
)
def test_device_code_refuses_a_wrong_client_or_scope(
    github: Served, body: dict[str, str], error: str
) -> None:
    response = device_code(github, **body)
    assert response.status_code == 200  # GitHub's way: errors come with HTTP 200
    assert response.json()["error"] == error


def test_pending_then_approved_then_used_up(github: Served) -> None:
    flow = start_device_flow(github)
    github.clock.advance(0.05)
    assert poll_error(github, flow["device_code"]) == "authorization_pending"

    github.fake.approve(flow["user_code"])
    github.clock.advance(0.05)
    response = poll(github, flow["device_code"])
    assert response.status_code == 200
    token = response.json()
    assert token["access_token"].startswith("gho_fake")
    assert token["token_type"] == "bearer"
    assert token["scope"] == "read:user"
    assert github.fake.github_tokens == [token["access_token"]]

    github.clock.advance(0.05)
    assert poll_error(github, flow["device_code"]) == "expired_token"
    assert github.fake.poll_count == 3
    assert github.fake.early_poll_count == 0


def test_slow_down_adds_five_seconds_when_enabled(clock: ManualClock) -> None:
    fake = FakeGitHub(clock=clock, slow_down_enabled=True, device_expires_in=900)
    with fake.serve() as base, client(base) as http:
        served = Served(fake, base, http, clock)
        flow = start_device_flow(served)
        clock.advance(0.05)
        assert poll_error(served, flow["device_code"]) == "authorization_pending"

        too_soon = poll(served, flow["device_code"]).json()
        assert too_soon["error"] == "slow_down"
        assert too_soon["interval"] == pytest.approx(5.05)

        clock.advance(5.0)  # less than the new 5.05 s interval
        assert poll_error(served, flow["device_code"]) == "slow_down"
        clock.advance(10.05)
        assert poll_error(served, flow["device_code"]) == "authorization_pending"
        assert fake.early_poll_count == 2


def test_early_polls_are_counted_even_without_slow_down(github: Served) -> None:
    flow = start_device_flow(github)
    assert poll_error(github, flow["device_code"]) == "authorization_pending"
    assert github.fake.early_poll_count == 1


def test_the_device_code_expires_with_the_clock(github: Served) -> None:
    flow = start_device_flow(github)
    github.fake.approve(flow["user_code"])
    github.clock.advance(5.0)
    assert poll_error(github, flow["device_code"]) == "expired_token"


def test_a_denied_authorization_is_access_denied(github: Served) -> None:
    flow = start_device_flow(github)
    github.fake.deny(flow["user_code"])
    github.clock.advance(0.05)
    assert poll_error(github, flow["device_code"]) == "access_denied"


def test_errors_can_be_sent_with_http_400_as_rfc_8628_servers_do(clock: ManualClock) -> None:
    fake = FakeGitHub(clock=clock, error_status=400)
    with fake.serve() as base, client(base) as http:
        served = Served(fake, base, http, clock)
        flow = start_device_flow(served)
        clock.advance(0.05)
        response = poll(served, flow["device_code"])
        assert response.status_code == 400
        assert response.json()["error"] == "authorization_pending"
        fake.approve(flow["user_code"])
        clock.advance(0.05)
        assert poll(served, flow["device_code"]).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"device_code": "not-a-device-code"}, "incorrect_device_code"),
        ({"client_id": "Iv1.someone-else"}, "incorrect_client_credentials"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ],
)
def test_a_poll_with_wrong_fields_is_refused(github: Served, body: dict[str, str], error: str) -> None:
    flow = start_device_flow(github)
    fields = {
        "client_id": GITHUB_CLIENT_ID,
        "device_code": flow["device_code"],
        "grant_type": DEVICE_GRANT_TYPE,
    }
    response = github.http.post("/login/oauth/access_token", data={**fields, **body}, headers=JSON)
    assert response.json()["error"] == error


def test_approve_and_deny_need_an_issued_user_code(github: Served) -> None:
    with pytest.raises(KeyError):
        github.fake.approve("NOPE-0000")
    with pytest.raises(KeyError):
        github.fake.deny("NOPE-0000")


def test_the_verification_page_is_html(github: Served) -> None:
    response = github.http.get("/login/device")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# --------------------------------------------------------------- GitHub: Copilot token


def test_copilot_token_for_a_valid_github_token(github: Served) -> None:
    token = github_token(github)
    response = copilot(github, token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"].startswith("tid=fake;exp=")
    assert ";copilot-" in body["token"]
    assert body["expires_at"] == int(github.clock.now + 3600)
    assert 0 < body["refresh_in"] < 3600
    assert github.fake.copilot_token_count == 1
    assert github.fake.copilot_token_valid(body["token"])
    github.clock.advance(3600)
    assert not github.fake.copilot_token_valid(body["token"])


def test_copilot_token_refused_without_a_valid_github_token(github: Served) -> None:
    token = github_token(github)
    for presented in (None, "gho_fakenever-issued"):
        response = copilot(github, presented)
        assert response.status_code == 401
        assert response.json()["message"] == "Bad credentials"
    wrong_scheme = github.http.get("/copilot_internal/v2/token", headers={"Authorization": f"Basic {token}"})
    assert wrong_scheme.status_code == 401

    github.fake.revoke(token)
    assert copilot(github, token).status_code == 401
    assert github.fake.copilot_token_count == 4


def test_copilot_ttl_is_configurable(clock: ManualClock) -> None:
    fake = FakeGitHub(clock=clock, copilot_ttl=60)
    with fake.serve() as base, client(base) as http:
        served = Served(fake, base, http, clock)
        assert copilot(served, github_token(served)).json()["expires_at"] == int(clock.now + 60)


def test_github_requests_are_recorded(github: Served) -> None:
    flow = start_device_flow(github)
    github.clock.advance(0.05)
    poll(github, flow["device_code"], headers={**JSON, "User-Agent": "code-mesh/0.1.0"})
    last = github.fake.poll_requests()[-1]
    assert last.headers["user-agent"] == "code-mesh/0.1.0"
    assert last.headers["accept"] == "application/json"
    assert last.form()["device_code"] == flow["device_code"]
    assert [request.path for request in github.fake.requests] == [
        "/login/device/code",
        "/login/oauth/access_token",
    ]


# --------------------------------------------------------- GitHub: failure injection


def call_endpoint(served: Served, endpoint: str, **kwargs: Any) -> httpx.Response:
    if endpoint == "device_code":
        return served.http.post(
            "/login/device/code",
            data={"client_id": GITHUB_CLIENT_ID, "scope": "read:user"},
            headers=JSON,
            **kwargs,
        )
    if endpoint == "access_token":
        fields = {"client_id": GITHUB_CLIENT_ID, "device_code": "x", "grant_type": DEVICE_GRANT_TYPE}
        return served.http.post("/login/oauth/access_token", data=fields, headers=JSON, **kwargs)
    return served.http.get("/copilot_internal/v2/token", headers=JSON, **kwargs)


ENDPOINT_NAMES = ["device_code", "access_token", "copilot_token"]


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_injected_500_on_every_endpoint(github: Served, endpoint: str) -> None:
    github.fake.fail_next("500", endpoint=endpoint)
    response = call_endpoint(github, endpoint)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert call_endpoint(github, endpoint).status_code != 500


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_injected_not_json_on_every_endpoint(github: Served, endpoint: str) -> None:
    github.fake.fail_next("not-json", endpoint=endpoint)
    response = call_endpoint(github, endpoint)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"
    assert response.text == "<html>oops</html>"


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_injected_hang_on_every_endpoint(github: Served, endpoint: str) -> None:
    github.fake.fail_next("hang", endpoint=endpoint)
    try:
        with pytest.raises(httpx.ReadTimeout):
            call_endpoint(github, endpoint, timeout=HANG_TIMEOUT)
        assert github.fake.wait_for_hang(timeout=1.0)
    finally:
        github.fake.release_hung()
    assert call_endpoint(github, endpoint).status_code in (200, 401)


def test_a_failure_without_an_endpoint_hits_the_next_request_anywhere(github: Served) -> None:
    github.fake.fail_next("500", count=2)
    assert call_endpoint(github, "copilot_token").status_code == 500
    assert call_endpoint(github, "device_code").status_code == 500
    assert call_endpoint(github, "device_code").status_code == 200


@pytest.mark.parametrize("kind", ["access_denied", "expired_token"])
def test_injected_poll_errors(github: Served, kind: str) -> None:
    flow = start_device_flow(github)
    github.fake.fail_next(kind)
    assert call_endpoint(github, "device_code").status_code == 200  # not consumed by another endpoint
    github.clock.advance(0.05)
    assert poll_error(github, flow["device_code"]) == kind
    github.clock.advance(0.05)
    assert poll_error(github, flow["device_code"]) == "authorization_pending"


def test_injected_poll_errors_use_the_error_status(clock: ManualClock) -> None:
    fake = FakeGitHub(clock=clock, error_status=400)
    with fake.serve() as base, client(base) as http:
        served = Served(fake, base, http, clock)
        flow = start_device_flow(served)
        fake.fail_next("access_denied")
        response = poll(served, flow["device_code"])
        assert response.status_code == 400
        assert response.json()["error"] == "access_denied"


def test_injected_slow_down_grows_the_interval(github: Served) -> None:
    flow = start_device_flow(github)
    github.fake.fail_next("slow_down")
    github.clock.advance(0.05)
    answer = poll(github, flow["device_code"]).json()
    assert answer["error"] == "slow_down"
    assert answer["interval"] == pytest.approx(5.05)


def test_github_fail_next_refuses_what_it_cannot_do() -> None:
    fake = FakeGitHub()
    for kind, endpoint in [("teapot", None), ("500", "nowhere"), ("access_denied", "copilot_token")]:
        with pytest.raises(ValueError):
            fake.fail_next(kind, endpoint=endpoint)


def test_closing_the_fake_releases_a_hung_request(clock: ManualClock) -> None:
    fake = FakeGitHub(clock=clock)
    with fake.serve() as base, client(base) as http:
        fake.fail_next("hang")
        with pytest.raises(httpx.ReadTimeout):
            http.get("/copilot_internal/v2/token", timeout=HANG_TIMEOUT)
        assert fake.wait_for_hang(timeout=1.0)
    # Leaving serve() released it.
    assert fake.wait_for_release(timeout=2.0)
