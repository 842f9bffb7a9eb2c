"""The httpx gateway's error handling, one adapter in isolation (the flows run against real servers
in tests/e2e): every failure is one readable domain error and no secret reaches a message."""

from __future__ import annotations

import json

import httpx
import pytest

from code_mesh.adapters.providers.oauth_http import USER_AGENT, HttpOAuthGateway
from code_mesh.application.ports import TokenEndpoint
from code_mesh.domain.errors import OAuthErrorResponse, ProviderUnavailable
from code_mesh.domain.oauth import DevicePoll
from code_mesh.domain.secret import Secret

FORM = TokenEndpoint("https://idp.example/token", "cli", Secret("client-secret-xyz"))
JSON = TokenEndpoint("https://console.example/v1/oauth/token", "cli", json_body=True)
REFRESH = Secret("rt-secret-123")


def gateway(handler) -> HttpOAuthGateway:  # type: ignore[no-untyped-def]
    return HttpOAuthGateway(timeout=1, transport=httpx.MockTransport(handler))


def raising(error: Exception):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (raising(httpx.ConnectError("refused")), "Cannot connect to idp.example"),
        (raising(httpx.ReadTimeout("slow")), "did not answer within 1 s"),
        (lambda request: httpx.Response(500, text="<html>boom</html>"), "server error (HTTP 500)"),
        (lambda request: httpx.Response(200, text="<html>not json</html>"), "not a JSON object"),
        (lambda request: httpx.Response(200, json=["a list"]), "not a JSON object"),
        (lambda request: httpx.Response(200, json={"token_type": "bearer"}), "without a usable access token"),
    ],
)
def test_failures_become_provider_unavailable(handler, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProviderUnavailable) as caught:
        gateway(handler).refresh(FORM, REFRESH)
    line = caught.value.one_line()
    assert words in line
    assert "rt-secret-123" not in line and "client-secret-xyz" not in line
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        # A network block at Anthropic's token endpoint (decolua/9router#1027): not invalid_grant.
        (
            httpx.Response(403, json={"error": {"type": "forbidden", "message": "Request not allowed"}}),
            "(HTTP 403: Request not allowed)",
        ),
        (
            httpx.Response(429, json={"message": "rt-secret-123 rate limited"}),
            "(HTTP 429: [redacted] rate limited)",
        ),
        # Cloudflare's page for server addresses (router-for-me/CLIProxyAPI#1659).
        (httpx.Response(403, text="error code: 1010"), "not a JSON object (HTTP 403)"),
    ],
)
def test_refusals_in_other_shapes_keep_the_providers_words_and_are_not_invalid_grant(
    answer: httpx.Response, words: str
) -> None:
    with pytest.raises((OAuthErrorResponse, ProviderUnavailable)) as caught:
        gateway(lambda request: answer).refresh(JSON, REFRESH)
    assert words in caught.value.one_line()
    assert getattr(caught.value, "error", None) != "invalid_grant"


def test_oauth_error_codes_are_passed_on() -> None:
    answer = httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "rt-secret-123 is revoked"}
    )
    with pytest.raises(OAuthErrorResponse) as caught:
        gateway(lambda request: answer).refresh(FORM, REFRESH)
    assert caught.value.error == "invalid_grant"
    assert "rt-secret-123" not in caught.value.one_line()


def test_form_refresh_sends_client_credentials_and_identifies_itself() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "at", "refresh_token": "rt2", "expires_in": "3600"})

    grant = gateway(handler).refresh(FORM, REFRESH)
    assert (grant.access_token, grant.refresh_token, grant.expires_in) == (
        Secret("at"),
        Secret("rt2"),
        3600.0,
    )
    request = seen[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["user-agent"] == USER_AGENT and request.headers["accept"] == "application/json"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-secret-123",
        "client_id": "cli",
        "client_secret": "client-secret-xyz",
    }


def test_json_refresh_for_anthropic() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"access_token": "at", "expires_in": 60})

    gateway(handler).refresh(JSON, REFRESH)
    assert seen == [{"grant_type": "refresh_token", "refresh_token": "rt-secret-123", "client_id": "cli"}]


@pytest.mark.parametrize("status", [200, 400])
def test_device_poll_understands_github_200_and_rfc_400(status: int) -> None:
    answers = iter(["authorization_pending", "slow_down"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": next(answers)})

    device = gateway(handler)
    assert device.poll_device_token(FORM, Secret("dc")) is DevicePoll.PENDING
    assert device.poll_device_token(FORM, Secret("dc")) is DevicePoll.SLOW_DOWN


def test_copilot_token_401_means_the_github_token_is_bad() -> None:
    with pytest.raises(OAuthErrorResponse) as caught:
        gateway(lambda request: httpx.Response(401, json={"message": "Bad credentials"})).fetch_copilot_token(
            "https://api.example/copilot", Secret("gho")
        )
    assert caught.value.error == "bad_credentials"


# -- issue 9: what a misbehaving server sends ---------------------------------------------------


def answering(status: int, body: object = None, **options: object):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, **options)  # type: ignore[arg-type]
        return httpx.Response(status, json=body, **options)  # type: ignore[arg-type]

    return handler


def test_only_the_leading_error_word_is_kept_and_the_description_is_made_safe() -> None:
    answer = {
        "error": "invalid_grant: refresh token rt-secret-123 is revoked",
        "error_description": "\x1b]0;pwned\x07rt-secret-123 was revoked\r\n" + "x" * 5000,
    }
    with pytest.raises(OAuthErrorResponse) as caught:
        gateway(answering(400, answer)).refresh(FORM, REFRESH)
    assert caught.value.error == "invalid_grant"
    assert caught.value.description is not None and len(caught.value.description) == 201
    line = caught.value.one_line()
    assert line.startswith("idp.example refused the request (invalid_grant: \\x1b]0;pwned\\x07[redacted] was")
    assert "rt-secret-123" not in line and "\x1b" not in line and "\r" not in line


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (
            answering(307, {"access_token": "at", "refresh_token": "rt"}, headers={"Location": "/x"}),
            "redirect (HTTP 307)",
        ),
        (answering(404, {"error": "not_found"}), "has no endpoint at /token (HTTP 404, not found)"),
        (answering(200, b"[" * 100_000 + b"]" * 100_000), "not a JSON object"),
        (answering(200, {"access_token": "at\r\nX-Injected: 1"}), "without a usable access token"),
        (
            answering(200, {"access_token": "at", "refresh_token": "rt\x1b[2J"}),
            "refresh token that is not printable",
        ),
        (answering(401, b"<html>no</html>"), "not a JSON object (HTTP 401)"),
    ],
)
def test_answers_that_are_not_a_token_response(handler, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProviderUnavailable) as caught:
        gateway(handler).refresh(FORM, REFRESH)
    assert words in caught.value.one_line()


@pytest.mark.parametrize("expires_in", [1e300, "Infinity", "NaN", 10**30, "9" * 400, -5, True])
def test_a_nonsense_lifetime_keeps_the_rotated_refresh_token(expires_in: object) -> None:
    """D4: the server has rotated the refresh token by the time it answers: never lose it."""
    text = json.dumps({"access_token": "at-new", "refresh_token": "rt-new", "expires_in": "__X__"})
    raw = json.dumps(expires_in) if expires_in not in ("Infinity", "NaN") else expires_in
    body = text.replace('"__X__"', str(raw)).encode()
    grant = gateway(answering(200, body)).refresh(FORM, REFRESH)
    assert (grant.refresh_token, grant.expires_in) == (Secret("rt-new"), None)
    assert grant.as_credential(1_800_000_000).expires_at is None


@pytest.mark.parametrize("expires_at", [True, 10**20, "soon", None])
def test_a_copilot_expiry_that_is_not_a_time_is_one_clear_failure(expires_at: object) -> None:
    body = {"token": "tid=1;copilot", "expires_at": expires_at}
    with pytest.raises(ProviderUnavailable, match="expires_at is not a time"):
        gateway(answering(200, body)).fetch_copilot_token("https://api.example/copilot", Secret("gho"))


def test_device_timings_are_bounded_and_what_is_shown_is_checked() -> None:
    start = {"device_code": "dc", "user_code": "WDJB-MJHT", "verification_uri": "https://idp.example/device"}
    text = json.dumps({**start, "interval": "__I__", "expires_in": 10**9}).replace('"__I__"', "Infinity")
    device = gateway(answering(200, text.encode())).start_device_authorization(
        "https://idp.example/d", FORM, None
    )
    assert (device.interval, device.expires_in) == (5.0, 1800.0)
    for field, value, words in [
        ("user_code", "\x1b[2JWDJB", "without a user code"),
        ("verification_uri", "javascript:alert(1)", "without a verification URI"),
    ]:
        with pytest.raises(ProviderUnavailable, match=words):
            gateway(answering(200, {**start, field: value})).start_device_authorization(
                "https://i/d", FORM, None
            )
