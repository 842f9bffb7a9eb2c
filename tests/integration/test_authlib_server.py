"""The authlib test server is a strict, standards-compliant OAuth 2.0 server, proved over real HTTP.

The generic OAuth provider's client is tested against this server, so these tests pin what it accepts
and refuses: RFC 6749 (code, refresh, client auth), RFC 7636 (PKCE S256, required), RFC 8252 (loopback
redirects), RFC 8628 (device flow), RFC 6750 (bearer-protected /userinfo).  Time is a frozen clock moved
with server.advance(), so nothing sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from servers.authlib_server import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    DEVICE_CODE_GRANT_TYPE,
    PUBLIC_CLIENT_ID,
    OAuthTestServer,
    is_loopback_callback,
    make_authorization_server,
)
from servers.harness import serve_wsgi

T0 = 1_700_000_000.0
REDIRECT_URI = "http://127.0.0.1:53682/callback"
TLS = ssl.create_default_context()  # built once: httpx would load CA certificates for every client (~0.1 s)


def client_for(base_url: str) -> httpx.Client:
    """An httpx client that, like an OAuth client library, does not follow the /authorize redirect."""
    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=10, verify=TLS)


@pytest.fixture
def server() -> OAuthTestServer:
    return make_authorization_server(clock=lambda: T0)


@pytest.fixture
def base_url(server: OAuthTestServer) -> Iterator[str]:
    with server.serve() as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with client_for(base_url) as client:
        yield client


def pkce_pair() -> tuple[str, str]:
    """A fresh RFC 7636 verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize(
    http: httpx.Client,
    *,
    client_id: str = PUBLIC_CLIENT_ID,
    redirect_uri: str | None = REDIRECT_URI,
    challenge: str | None = None,
    method: str | None = "S256",
    state: str = "state-123",
    scope: str = "openid offline_access",
) -> httpx.Response:
    params = {"response_type": "code", "client_id": client_id, "state": state, "scope": scope}
    if redirect_uri is not None:
        params["redirect_uri"] = redirect_uri
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    return http.get("/authorize", params=params)


def redirect_params(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The query of a 302 back to the client's redirect_uri."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.split("?", 1)[0] == redirect_uri
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def get_code(http: httpx.Client, challenge: str, **kwargs: Any) -> str:
    params = redirect_params(
        authorize(http, challenge=challenge, **kwargs), kwargs.get("redirect_uri", REDIRECT_URI)
    )
    return params["code"]


def exchange(
    http: httpx.Client,
    code: str,
    verifier: str | None,
    *,
    client_id: str = PUBLIC_CLIENT_ID,
    redirect_uri: str = REDIRECT_URI,
    extra: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if auth is None:
        form["client_id"] = client_id
    if verifier is not None:
        form["code_verifier"] = verifier
    form.update(extra or {})
    return http.post("/token", data=form, auth=auth)


def login(http: httpx.Client, **kwargs: Any) -> dict[str, Any]:
    """The whole authorization code + PKCE flow as the public client; returns the token response."""
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    response = exchange(http, code, verifier, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(http: httpx.Client, refresh_token: str, client_id: str = PUBLIC_CLIENT_ID) -> httpx.Response:
    return http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    )


def userinfo(http: httpx.Client, access_token: str) -> httpx.Response:
    return http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def oauth_error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]


# ---- authorization code + PKCE ---------------------------------------------------------------------


def test_full_authorization_code_flow_with_pkce(server: OAuthTestServer, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    params = redirect_params(authorize(http, challenge=challenge, state="xyz"))
    assert params["state"] == "xyz"

    response = exchange(http, params["code"], verifier)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["access_token"] and token["refresh_token"]
    assert token["scope"] == "openid offline_access"
    assert server.code_exchange_count == 1
    assert userinfo(http, token["access_token"]).json() == {"sub": "test-user"}


def test_requests_are_recorded_with_what_the_client_sent(server: OAuthTestServer, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    exchange(http, code, verifier)

    (get,) = server.requests_to("/authorize")
    assert get.method == "GET" and get.form["code_challenge"] == challenge
    method, path, form = server.requests[-1]
    assert (method, path) == ("POST", "/token")
    assert form["code_verifier"] == verifier and form["code"] == code
    assert server.request_log[-1].content_type == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("challenge", "method"),
    [(None, None), (None, "S256"), ("GENERATED", None), ("GENERATED", "plain")],
    ids=["no-pkce", "method-only", "challenge-without-method", "plain"],
)
def test_authorization_without_an_s256_challenge_is_refused(
    http: httpx.Client, challenge: str | None, method: str | None
) -> None:
    if challenge == "GENERATED":
        challenge = pkce_pair()[1]
    params = redirect_params(authorize(http, challenge=challenge, method=method, state="s1"))
    assert params["error"] == "invalid_request"
    assert params["state"] == "s1"
    assert "code" not in params


def test_a_confidential_client_needs_pkce_too(http: httpx.Client) -> None:
    params = redirect_params(authorize(http, client_id=CONFIDENTIAL_CLIENT_ID))
    assert params["error"] == "invalid_request"


def test_token_request_without_verifier_is_refused(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    code = get_code(http, challenge)
    assert oauth_error(exchange(http, code, None)) == "invalid_request"


def test_wrong_verifier_is_invalid_grant(server: OAuthTestServer, http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    code = get_code(http, challenge)
    other_verifier, _ = pkce_pair()
    assert oauth_error(exchange(http, code, other_verifier)) == "invalid_grant"
    assert server.code_exchange_count == 0


def test_a_code_is_single_use_and_a_replay_revokes_its_tokens(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    first = exchange(http, code, verifier)
    assert first.status_code == 200

    assert oauth_error(exchange(http, code, verifier)) == "invalid_grant"
    assert oauth_error(userinfo(http, first.json()["access_token"]), 401) == "invalid_token"
    assert oauth_error(refresh(http, first.json()["refresh_token"])) == "invalid_grant"
    assert server.code_exchange_count == 1


def test_concurrent_exchanges_of_one_code_yield_one_token(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: exchange(http, code, verifier).status_code, range(8)))
    assert sorted(statuses) == [200] + [400] * 7
    assert server.code_exchange_count == 1


def test_an_expired_code_is_invalid_grant(server: OAuthTestServer, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    server.advance(server.code_ttl)
    assert oauth_error(exchange(http, code, verifier)) == "invalid_grant"


def test_the_token_request_must_repeat_the_same_redirect_uri(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    response = exchange(http, code, verifier, redirect_uri="http://127.0.0.1:1234/callback")
    assert oauth_error(response) == "invalid_grant"


def test_a_code_is_bound_to_its_client(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    response = exchange(http, code, verifier, auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET))
    assert oauth_error(response) == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://example.com:8080/callback",
        "https://127.0.0.1:8080/callback",
        "http://127.0.0.1:8080/other",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:8080/callback?next=x",
        "http://127.0.0.2:8080/callback",
        None,
    ],
)
def test_a_non_loopback_redirect_uri_is_refused_without_redirecting(
    http: httpx.Client, redirect_uri: str | None
) -> None:
    response = authorize(http, redirect_uri=redirect_uri, challenge=pkce_pair()[1])
    assert oauth_error(response) == "invalid_request"
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:1/callback",
        "http://127.0.0.1:8080/callback",
        "http://127.0.0.1:65535/callback",
        "http://localhost:49152/callback",
        "http://[::1]:50000/callback",
    ],
)
@pytest.mark.parametrize("client_id", [PUBLIC_CLIENT_ID, CONFIDENTIAL_CLIENT_ID])
def test_any_loopback_port_is_accepted(http: httpx.Client, redirect_uri: str, client_id: str) -> None:
    verifier, challenge = pkce_pair()
    response = authorize(http, client_id=client_id, redirect_uri=redirect_uri, challenge=challenge)
    code = redirect_params(response, redirect_uri)["code"]
    secret = {"client_secret": CONFIDENTIAL_CLIENT_SECRET} if client_id == CONFIDENTIAL_CLIENT_ID else {}
    token = exchange(http, code, verifier, client_id=client_id, redirect_uri=redirect_uri, extra=secret)
    assert token.status_code == 200, token.text


def test_is_loopback_callback_rejects_malformed_ports() -> None:
    assert not is_loopback_callback("http://127.0.0.1:notaport/callback")
    assert not is_loopback_callback("http://127.0.0.1:0/callback")
    assert not is_loopback_callback("http://user@127.0.0.1:80/callback")


def test_unknown_client_and_unknown_scope_are_refused(http: httpx.Client) -> None:
    challenge = pkce_pair()[1]
    assert oauth_error(authorize(http, client_id="nobody", challenge=challenge)) == "invalid_client"
    params = redirect_params(authorize(http, challenge=challenge, scope="openid admin"))
    assert params["error"] == "invalid_scope"


def test_deny_next_authorization_redirects_access_denied_once(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    server.deny_next_authorization()
    challenge = pkce_pair()[1]
    denied = redirect_params(authorize(http, challenge=challenge, state="s-denied"))
    assert (denied["error"], denied["state"]) == ("access_denied", "s-denied")
    assert "code" not in denied
    assert "code" in redirect_params(authorize(http, challenge=challenge))


# ---- refresh with rotation ---------------------------------------------------------------------------


def test_refresh_rotates_and_refuses_the_old_refresh_token(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    first = login(http)

    second = refresh(http, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert rotated["expires_in"] == 3600 and rotated["token_type"] == "Bearer"

    assert oauth_error(refresh(http, first["refresh_token"])) == "invalid_grant"
    third = refresh(http, rotated["refresh_token"])
    assert third.status_code == 200
    assert server.refresh_count == 2
    assert userinfo(http, third.json()["access_token"]).json() == {"sub": "test-user"}


def test_concurrent_refreshes_with_one_token_yield_one_success(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    token = login(http)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: refresh(http, token["refresh_token"]).status_code, range(8)))
    assert sorted(statuses) == [200] + [400] * 7
    assert server.refresh_count == 1


def test_reuse_can_revoke_the_whole_family_when_asked() -> None:
    server = make_authorization_server(clock=lambda: T0, revoke_refresh_family_on_reuse=True)
    with server.serve() as url, client_for(url) as http:
        first = login(http)
        newer = refresh(http, first["refresh_token"]).json()
        assert oauth_error(refresh(http, first["refresh_token"])) == "invalid_grant"
        assert oauth_error(refresh(http, newer["refresh_token"])) == "invalid_grant"


def test_revoke_all_refresh_tokens(server: OAuthTestServer, http: httpx.Client) -> None:
    token = login(http)
    server.revoke_all_refresh_tokens()
    assert oauth_error(refresh(http, token["refresh_token"])) == "invalid_grant"
    assert server.refresh_count == 0


def test_a_refresh_token_is_bound_to_its_client(http: httpx.Client) -> None:
    token = login(http)
    response = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET),
    )
    assert oauth_error(response) == "invalid_grant"


def test_refresh_may_narrow_but_not_widen_the_scope(http: httpx.Client) -> None:
    token = login(http)
    widened = http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": PUBLIC_CLIENT_ID,
            "scope": "openid profile",
        },
    )
    assert oauth_error(widened) == "invalid_scope"
    narrowed = http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": PUBLIC_CLIENT_ID,
            "scope": "openid",
        },
    )
    assert narrowed.json()["scope"] == "openid"


# ---- client authentication and the token endpoint's form ---------------------------------------------


def confidential_code(http: httpx.Client) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    return get_code(http, challenge, client_id=CONFIDENTIAL_CLIENT_ID), verifier


def test_confidential_client_with_client_secret_post(server: OAuthTestServer, http: httpx.Client) -> None:
    code, verifier = confidential_code(http)
    response = exchange(
        http,
        code,
        verifier,
        client_id=CONFIDENTIAL_CLIENT_ID,
        extra={"client_secret": CONFIDENTIAL_CLIENT_SECRET},
    )
    assert response.status_code == 200, response.text
    assert server.requests[-1].form["client_secret"] == CONFIDENTIAL_CLIENT_SECRET

    token = response.json()
    refreshed = http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": CONFIDENTIAL_CLIENT_ID,
            "client_secret": CONFIDENTIAL_CLIENT_SECRET,
        },
    )
    assert refreshed.status_code == 200


def test_confidential_client_with_client_secret_basic(server: OAuthTestServer, http: httpx.Client) -> None:
    code, verifier = confidential_code(http)
    response = exchange(http, code, verifier, auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET))
    assert response.status_code == 200, response.text
    assert server.request_log[-1].headers["Authorization"].startswith("Basic ")

    refreshed = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]},
        auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET),
    )
    assert refreshed.status_code == 200


def test_confidential_client_without_its_secret_is_refused(http: httpx.Client) -> None:
    code, verifier = confidential_code(http)
    response = exchange(http, code, verifier, client_id=CONFIDENTIAL_CLIENT_ID)
    assert oauth_error(response, 401) == "invalid_client"


@pytest.mark.parametrize("how", ["post", "basic"])
def test_confidential_client_with_a_wrong_secret_is_refused(http: httpx.Client, how: str) -> None:
    code, verifier = confidential_code(http)
    if how == "post":
        response = exchange(
            http, code, verifier, client_id=CONFIDENTIAL_CLIENT_ID, extra={"client_secret": "wrong"}
        )
    else:
        response = exchange(http, code, verifier, auth=(CONFIDENTIAL_CLIENT_ID, "wrong"))
    assert oauth_error(response, 401) == "invalid_client"
    assert "www-authenticate" in response.headers


def test_two_client_authentication_methods_at_once_are_refused(http: httpx.Client) -> None:
    code, verifier = confidential_code(http)
    response = exchange(
        http,
        code,
        verifier,
        auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET),
        extra={"client_secret": CONFIDENTIAL_CLIENT_SECRET},
    )
    assert oauth_error(response) == "invalid_request"


def test_a_public_client_sending_a_secret_is_refused(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    response = exchange(http, code, verifier, extra={"client_secret": "made-up"})
    assert oauth_error(response, 401) == "invalid_client"


def test_the_token_endpoint_wants_a_form_body(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = get_code(http, challenge)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": PUBLIC_CLIENT_ID,
        "code_verifier": verifier,
    }
    assert oauth_error(http.post("/token", json=form)) == "invalid_request"
    assert (
        oauth_error(http.post("/token", params=form, data={"grant_type": "authorization_code"}))
        == "invalid_request"
    )
    assert http.get("/token", params=form).status_code == 405
    assert (
        oauth_error(http.post("/token", data={**form, "grant_type": "password"})) == "unsupported_grant_type"
    )
    assert exchange(http, code, verifier).status_code == 200


# ---- device flow (RFC 8628) ---------------------------------------------------------------------------


def start_device(http: httpx.Client, client_id: str = PUBLIC_CLIENT_ID, **form: str) -> dict[str, Any]:
    response = http.post(
        "/device_authorization", data={"client_id": client_id, "scope": "openid offline_access", **form}
    )
    assert response.status_code == 200, response.text
    return response.json()


def poll(
    http: httpx.Client, device_code: str, client_id: str = PUBLIC_CLIENT_ID, **form: str
) -> httpx.Response:
    return http.post(
        "/token",
        data={
            "grant_type": DEVICE_CODE_GRANT_TYPE,
            "device_code": device_code,
            "client_id": client_id,
            **form,
        },
    )


def test_device_authorization_response(server: OAuthTestServer, http: httpx.Client, base_url: str) -> None:
    device = start_device(http)
    assert device["verification_uri"] == f"{base_url}/device"
    assert device["verification_uri_complete"] == f"{base_url}/device?user_code={device['user_code']}"
    assert device["expires_in"] == 5 and device["interval"] == 0.05
    assert device["device_code"] and server.last_user_code == device["user_code"]
    assert http.get("/device").status_code == 200


def test_device_flow_pending_then_approved(server: OAuthTestServer, http: httpx.Client) -> None:
    device = start_device(http)
    assert oauth_error(poll(http, device["device_code"])) == "authorization_pending"

    server.approve_device(device["user_code"])
    server.advance(server.device_interval)
    response = poll(http, device["device_code"])

    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["access_token"] and token["refresh_token"]
    assert server.device_exchange_count == 1 and server.device_poll_count == 2
    assert userinfo(http, token["access_token"]).json() == {"sub": "test-user"}
    assert oauth_error(poll(http, device["device_code"])) == "invalid_grant"
    assert refresh(http, token["refresh_token"]).status_code == 200


def test_device_flow_denied(server: OAuthTestServer, http: httpx.Client) -> None:
    device = start_device(http)
    server.deny_device(device["user_code"])
    assert oauth_error(poll(http, device["device_code"])) == "access_denied"


def test_device_code_expires(server: OAuthTestServer, http: httpx.Client) -> None:
    device = start_device(http)
    server.advance(device["expires_in"])
    assert oauth_error(poll(http, device["device_code"])) == "expired_token"
    server.approve_device(device["user_code"])
    assert oauth_error(poll(http, device["device_code"])) == "expired_token"


def test_tiny_device_lifetime_and_interval_are_configurable() -> None:
    server = make_authorization_server(clock=lambda: T0, device_expires_in=0.5, device_interval=2)
    with server.serve() as url, client_for(url) as http:
        device = start_device(http)
        assert (device["expires_in"], device["interval"]) == (0.5, 2)
        server.advance(0.5)
        assert oauth_error(poll(http, device["device_code"])) == "expired_token"


def test_polling_too_fast_is_slow_down_and_adds_five_seconds() -> None:
    server = make_authorization_server(clock=lambda: T0, device_expires_in=60)
    with server.serve() as url, client_for(url) as http:
        device = start_device(http)
        assert oauth_error(poll(http, device["device_code"])) == "authorization_pending"
        assert oauth_error(poll(http, device["device_code"])) == "slow_down"

        server.advance(device["interval"])  # the old interval is no longer enough: it grew by 5 s
        assert oauth_error(poll(http, device["device_code"])) == "slow_down"

        server.advance(device["interval"] + 10)  # two slow_downs: interval is now 10.05 s
        assert oauth_error(poll(http, device["device_code"])) == "authorization_pending"
        server.advance(device["interval"] + 10)
        server.approve_device(device["user_code"])
        assert poll(http, device["device_code"]).status_code == 200


def test_by_default_a_slow_down_outlasts_the_device_code(server: OAuthTestServer, http: httpx.Client) -> None:
    """device_expires_in=5 and the RFC's +5 s: a compliant client that polled too fast sees expired_token."""
    device = start_device(http)
    poll(http, device["device_code"])
    assert oauth_error(poll(http, device["device_code"])) == "slow_down"
    server.advance(device["interval"] + 5)
    assert oauth_error(poll(http, device["device_code"])) == "expired_token"


def test_device_flow_for_the_confidential_client(http: httpx.Client, server: OAuthTestServer) -> None:
    no_secret = http.post("/device_authorization", data={"client_id": CONFIDENTIAL_CLIENT_ID})
    assert oauth_error(no_secret, 401) == "invalid_client"

    device = start_device(http, CONFIDENTIAL_CLIENT_ID, client_secret=CONFIDENTIAL_CLIENT_SECRET)
    server.approve_device(device["user_code"])
    assert oauth_error(poll(http, device["device_code"], CONFIDENTIAL_CLIENT_ID), 401) == "invalid_client"
    response = poll(
        http, device["device_code"], CONFIDENTIAL_CLIENT_ID, client_secret=CONFIDENTIAL_CLIENT_SECRET
    )
    assert response.status_code == 200, response.text


def test_device_codes_are_bound_to_their_client_and_must_exist(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    device = start_device(http)
    server.approve_device(device["user_code"])
    stolen = poll(
        http, device["device_code"], CONFIDENTIAL_CLIENT_ID, client_secret=CONFIDENTIAL_CLIENT_SECRET
    )
    assert oauth_error(stolen) == "invalid_grant"
    assert oauth_error(poll(http, "no-such-device-code")) == "invalid_grant"
    assert oauth_error(poll(http, "")) == "invalid_request"


def test_device_authorization_refuses_unknown_scopes_and_clients(http: httpx.Client) -> None:
    assert (
        oauth_error(
            http.post("/device_authorization", data={"client_id": PUBLIC_CLIENT_ID, "scope": "admin"})
        )
        == "invalid_scope"
    )
    assert oauth_error(http.post("/device_authorization", data={"client_id": "nobody"})) == "invalid_client"
    assert (
        oauth_error(http.post("/device_authorization", json={"client_id": PUBLIC_CLIENT_ID}))
        == "invalid_request"
    )


def test_device_helpers_reject_unknown_user_codes_and_can_auto_approve(
    server: OAuthTestServer, http: httpx.Client
) -> None:
    with pytest.raises(KeyError):
        server.approve_device("NOPE-NOPE")
    server.auto_approve_devices = True
    device = start_device(http)
    assert poll(http, device["device_code"]).status_code == 200


# ---- /userinfo and metadata ---------------------------------------------------------------------------


def test_userinfo_needs_a_valid_unexpired_bearer_token(server: OAuthTestServer, http: httpx.Client) -> None:
    token = login(http)
    assert userinfo(http, token["access_token"]).json() == {"sub": "test-user"}
    assert http.get("/userinfo").status_code == 401
    assert oauth_error(userinfo(http, "not-a-token"), 401) == "invalid_token"

    server.advance(token["expires_in"])
    assert oauth_error(userinfo(http, token["access_token"]), 401) == "invalid_token"


def test_revoke_all_access_tokens(server: OAuthTestServer, http: httpx.Client) -> None:
    token = login(http)
    server.revoke_all_access_tokens()
    assert oauth_error(userinfo(http, token["access_token"]), 401) == "invalid_token"


def test_short_access_token_ttl() -> None:
    server = make_authorization_server(clock=lambda: T0, access_token_ttl=60)
    with server.serve() as url, client_for(url) as http:
        token = login(http)
        assert token["expires_in"] == 60
        server.advance(59)
        assert userinfo(http, token["access_token"]).status_code == 200
        server.advance(1)
        assert userinfo(http, token["access_token"]).status_code == 401


def test_metadata_names_the_endpoints(http: httpx.Client, base_url: str) -> None:
    metadata = http.get("/.well-known/oauth-authorization-server").json()
    assert metadata["token_endpoint"] == f"{base_url}/token"
    assert metadata["device_authorization_endpoint"] == f"{base_url}/device_authorization"
    assert metadata["code_challenge_methods_supported"] == ["S256"]


def test_the_server_object_is_itself_a_wsgi_app() -> None:
    server = make_authorization_server()
    with serve_wsgi(server) as url:
        assert httpx.get(f"{url}/.well-known/oauth-authorization-server", verify=TLS).status_code == 200


def test_advance_works_on_the_default_wall_clock() -> None:
    server = make_authorization_server()
    with server.serve() as url, client_for(url) as http:
        device = start_device(http)
        assert oauth_error(poll(http, device["device_code"])) == "authorization_pending"
        server.advance(server.device_expires_in)
        assert oauth_error(poll(http, device["device_code"])) == "expired_token"
