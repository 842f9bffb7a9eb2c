"""A fake of Anthropic's OAuth endpoints (SPEC section 5) as a WSGI application.

It is deliberately strict: whatever the real service is documented to require, this fake
refuses when it is missing (PKCE S256, the bound state and redirect URI, a JSON body,
single-use codes, rotating refresh tokens), so that a careless client fails its tests.
Paths served, all on one base URL:

- ``GET  /oauth/authorize`` (claude.ai and console share it here): the page showing ``CODE#STATE``
- ``POST /v1/oauth/token``: authorization-code exchange and refresh, JSON bodies only
- ``POST /api/oauth/claude_cli/create_api_key``: an API key for a valid access token
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .harness import serve_wsgi
from .misbehaviour import MISBEHAVIOUR_KINDS, Trickle, misbehaving_answer

# What Claude Code sends today (anthropics/claude-code#93216, Claude Code 2.1.267): the catalog's
# values, which this fake insists on so that a regression to the old ones fails a test.
DEFAULT_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
DEFAULT_REDIRECT_URI = "https://platform.claude.com/oauth/code/callback"
SCOPES = (
    "org:create_api_key",
    "user:profile",
    "user:inference",
    "user:sessions:claude_code",
    "user:mcp_servers",
    "user:file_upload",
)
SCOPE = " ".join(SCOPES)

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/v1/oauth/token"
CREATE_API_KEY_PATH = "/api/oauth/claude_cli/create_api_key"

ACCESS_TOKEN_PREFIX = "sk-ant-oat-fake-"
REFRESH_TOKEN_PREFIX = "sk-ant-ort-fake-"
API_KEY_PREFIX = "sk-ant-api03-fake-"

FAILURE_KINDS = ("500", "not-json", "hang", "invalid_grant", "invalid_grant-echo", *MISBEHAVIOUR_KINDS)
ENDPOINTS = {"token": TOKEN_PATH, "create_api_key": CREATE_API_KEY_PATH}

# RFC 7636: the S256 challenge is 43 base64url characters; the verifier 43-128 unreserved ones.
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
# A state must survive being pasted back as CODE#STATE and be hard to guess: no '#', no spaces.
_STATE = re.compile(r"[A-Za-z0-9._~-]{16,512}")

Response = tuple[str, list[tuple[str, str]], bytes | Trickle]
_UNSET = object()

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of `verifier`: base64url without padding of its SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthError(ValueError):
    """A refusal the fake answers with an OAuth error body; `approve()` raises it as is."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it, for assertions on what a client sent."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    base_url: str

    def json(self) -> Any:
        """The body parsed as JSON (raises if it is not JSON)."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as application/x-www-form-urlencoded."""
        return dict(urllib.parse.parse_qsl(self.body, keep_blank_values=True))


@dataclass
class _Grant:
    """An authorization code and what it is bound to."""

    challenge: str
    state: str
    redirect_uri: str
    expires_at: float
    used: bool = False
    family: str | None = None


@dataclass
class _Family:
    """The chain of tokens descending from one code exchange; only `current` may refresh."""

    current: str
    revoked: bool = False


@dataclass
class _AccessToken:
    family: str
    expires_at: float
    revoked: bool = False


@dataclass
class _Failure:
    kind: str
    remaining: int
    endpoint: str | None


def record_request(environ: dict[str, Any]) -> RecordedRequest:
    """Read the whole request out of a WSGI environ (headers lower-cased, body as text)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    host = (
        headers.get("host") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    )
    return RecordedRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=str(environ.get("PATH_INFO", "")) or "/",
        query=str(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=raw.decode("utf-8", errors="replace"),
        base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
    )


def media_type(headers: dict[str, str]) -> str:
    """The media type of the body, without parameters such as charset."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def json_response(status: int, body: Any, extra: Iterable[tuple[str, str]] = ()) -> Response:
    return (
        status_line(status),
        [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *extra],
        json.dumps(body).encode(),
    )


def html_response(status: int, page: str) -> Response:
    return status_line(status), [("Content-Type", "text/html; charset=utf-8")], page.encode()


def status_line(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Error')}"


def _oauth_error(error: OAuthError) -> Response:
    return json_response(error.status, {"error": error.error, "error_description": error.description})


def _bearer(headers: dict[str, str]) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive), else None."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class HttpFake:
    """What both fakes share: request recording, failure injection and hangs that can be released.

    All state sits behind one lock because the test harness serves each request on its own
    thread. A subclass routes requests in `_dispatch` and decides which failures it accepts.
    """

    def __init__(
        self, *, clock: Callable[[], float], hang_timeout: float, trickle_interval: float = 2.0
    ) -> None:
        self.clock = clock
        self.hang_timeout = hang_timeout
        self.trickle_interval = trickle_interval
        self._stop_trickles = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._failures: list[_Failure] = []
        self._hung: set[threading.Event] = set()
        self._closed = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = record_request(environ)
        with self._lock:
            self.requests.append(request)
        status, headers, body = self._dispatch(request)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return body if isinstance(body, Trickle) else [body]

    def _dispatch(self, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def _queue_failure(self, kind: str, count: int, endpoint: str | None) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.append(_Failure(kind, count, endpoint))

    def _take_failure(self, endpoint: str, kinds: Iterable[str] | None = None) -> str | None:
        """The first queued failure meant for `endpoint` (None matches any), used up one at a time."""
        allowed = None if kinds is None else set(kinds)
        with self._lock:
            for failure in self._failures:
                if failure.endpoint not in (None, endpoint):
                    continue
                if allowed is not None and failure.kind not in allowed:
                    continue
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
                return failure.kind
        return None

    def _injected(self, kind: str, request: RecordedRequest) -> Response:
        """The injected answers every endpoint can give; subclasses add their own kinds."""
        if kind == "500":
            return html_response(500, "<html><body><h1>500 Internal Server Error</h1></body></html>")
        if kind == "not-json":
            return "200 OK", [("Content-Type", "text/html")], b"<html>oops</html>"
        if kind == "hang":
            return self._hang()
        if kind in MISBEHAVIOUR_KINDS:
            status, headers, body = misbehaving_answer(
                kind,
                stop=self._stop_trickles,
                trickle_interval=self.trickle_interval,
                echoed=_secret_sent(request),
            )
            return status_line(status), headers, body
        raise AssertionError(f"no answer for injected failure {kind!r}")

    def _hang(self) -> Response:
        """Block on an Event (never a sleep) until released; then answer 503 and change nothing."""
        event = threading.Event()
        with self._changed:
            if self._closed:
                event.set()
            self._hung.add(event)
            self._changed.notify_all()
        try:
            event.wait(self.hang_timeout)
        finally:
            with self._changed:
                self._hung.discard(event)
                self._changed.notify_all()
        return html_response(503, "<html><body>released</body></html>")

    @property
    def hung_count(self) -> int:
        """How many requests are blocked by a "hang" failure right now."""
        with self._lock:
            return len(self._hung)

    def wait_for_hang(self, timeout: float = 5.0) -> bool:
        """Wait until at least one request is hanging; True if one is."""
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._hung), timeout)

    def wait_for_release(self, timeout: float = 5.0) -> bool:
        """Wait until no request is hanging any more; True if none is."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._hung, timeout)

    def release_hung(self) -> None:
        """Let every hanging request finish (with 503)."""
        with self._lock:
            for event in self._hung:
                event.set()

    def close(self) -> None:
        """The server is stopping: drop queued failures, release hanging requests, never hang again."""
        with self._lock:
            self._closed = True
            self._failures.clear()
            self._stop_trickles.set()
            for event in self._hung:
                event.set()

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve this fake with the test harness; yields the base URL and releases hangs on exit."""
        with self._lock:
            self._closed = False
            self._stop_trickles.clear()
        with serve_wsgi(self) as base_url:
            try:
                yield base_url
            finally:
                self.close()


class FakeAnthropic(HttpFake):
    """Anthropic's OAuth service in miniature: authorize page, token endpoint, API-key creation.

    Time comes from `clock` so tests can move it instead of sleeping.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        expires_in: int = 3600,
        clock: Callable[[], float] = time.time,
        code_ttl: float = 600.0,
        revoke_family_on_reuse: bool = True,
        hang_timeout: float = 60.0,
    ) -> None:
        super().__init__(clock=clock, hang_timeout=hang_timeout)
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.expires_in = expires_in
        self.code_ttl = code_ttl
        self.revoke_family_on_reuse = revoke_family_on_reuse
        # What the token answers say as expires_in, when set (1e300, "9"*400 …); the tokens still
        # expire after `expires_in` here. Imitates servers that send nonsense lifetimes.
        self.expires_in_answer: object = _UNSET
        # Called after a refresh has rotated the tokens, before the answer is sent (a test fills
        # the disk there: the client's write of the new tokens then fails).
        self.after_refresh: Callable[[], None] | None = None
        self.refresh_count = 0
        self.exchange_count = 0
        self.issued: list[dict[str, Any]] = []
        self.api_keys: list[str] = []
        self._codes: dict[str, _Grant] = {}
        self._families: dict[str, _Family] = {}
        self._refresh_tokens: dict[str, str] = {}
        self._access_tokens: dict[str, _AccessToken] = {}

    def _dispatch(self, request: RecordedRequest) -> Response:
        routes: dict[str, tuple[str, Callable[[RecordedRequest], Response], str | None]] = {
            AUTHORIZE_PATH: ("GET", self._handle_authorize, None),
            TOKEN_PATH: ("POST", self._handle_token, "token"),
            CREATE_API_KEY_PATH: ("POST", self._handle_create_api_key, "create_api_key"),
        }
        route = routes.get(request.path)
        if route is None:
            return json_response(404, {"error": "not_found", "error_description": request.path})
        method, handler, endpoint = route
        if request.method != method:
            return json_response(405, {"error": "method_not_allowed"}, [("Allow", method)])
        if endpoint == "token":
            self._count_grant(request)
        kind = self._take_failure(endpoint) if endpoint else None
        if kind is not None:
            return self._injected(kind, request)
        try:
            return handler(request)
        except OAuthError as error:
            return _oauth_error(error)

    # ------------------------------------------------------------ authorize

    def _handle_authorize(self, request: RecordedRequest) -> Response:
        """The page a browser shows after the user agrees: the code to paste, as CODE#STATE."""
        code_and_state = self._authorize(urllib.parse.parse_qs(request.query, keep_blank_values=True))
        page = (
            "<!doctype html><html><head><title>Authorization code</title></head><body>"
            "<p>Paste this code into your terminal:</p>"
            f'<code id="code">{html.escape(code_and_state)}</code></body></html>'
        )
        return html_response(200, page)

    def approve(self, authorize_url: str) -> str:
        """What the user's browser would get for `authorize_url`: "CODE#STATE" (raises OAuthError)."""
        query = urllib.parse.urlsplit(authorize_url).query
        return self._authorize(urllib.parse.parse_qs(query, keep_blank_values=True))

    def _authorize(self, query: dict[str, list[str]]) -> str:
        """Validate an authorize query as SPEC section 5 lists it and bind a fresh code to it."""

        def one(name: str) -> str:
            values = query.get(name)
            if not values or not values[0]:
                raise OAuthError(400, "invalid_request", f"missing parameter {name}")
            if len(values) > 1:
                raise OAuthError(400, "invalid_request", f"parameter {name} given more than once")
            return values[0]

        if one("code") != "true":
            raise OAuthError(400, "invalid_request", "code=true is required (the code is shown to paste)")
        if one("client_id") != self.client_id:
            raise OAuthError(400, "invalid_client", "unknown client_id")
        if one("response_type") != "code":
            raise OAuthError(400, "unsupported_response_type", "response_type must be code")
        redirect_uri = one("redirect_uri")
        if redirect_uri != self.redirect_uri:
            # The page's words for /auth/code/callback, which Claude Code 2.1.240 sent for a while
            # (anthropics/claude-code#88877).
            raise OAuthError(
                400, "invalid_request", f"Redirect URI {redirect_uri} is not supported by client."
            )
        scopes = one("scope").split(" ")
        if sorted(scopes) != sorted(SCOPES):
            raise OAuthError(400, "invalid_scope", f"scope must be exactly {SCOPE!r} (space-separated)")
        challenge = one("code_challenge")
        if one("code_challenge_method") != "S256":
            raise OAuthError(400, "invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.fullmatch(challenge):
            raise OAuthError(400, "invalid_request", "code_challenge is not a base64url SHA-256 (43 chars)")
        state = one("state")
        if not _STATE.fullmatch(state):
            raise OAuthError(400, "invalid_request", "state must be 16-512 unreserved characters")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Grant(challenge, state, redirect_uri, self.clock() + self.code_ttl)
        return f"{code}#{state}"

    # ---------------------------------------------------------------- token

    def _count_grant(self, request: RecordedRequest) -> None:
        """Count every attempt by grant type, whatever its outcome (injected failures included)."""
        grant_type = _grant_type(request)
        with self._lock:
            if grant_type == "refresh_token":
                self.refresh_count += 1
            elif grant_type == "authorization_code":
                self.exchange_count += 1

    def _handle_token(self, request: RecordedRequest) -> Response:
        # JSON bodies only: a client reusing RFC 6749's form encoding fails (badlogic/pi-mono and
        # ex-machina-co/opencode-anthropic-auth send JSON to platform.claude.com/v1/oauth/token).
        if media_type(request.headers) != "application/json":
            raise OAuthError(
                400, "invalid_request", "the token endpoint takes a JSON body (application/json)"
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            raise OAuthError(400, "invalid_request", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "the body must be a JSON object")
        grant_type = body.get("grant_type")
        if grant_type == "authorization_code":
            return json_response(200, self._exchange(body))
        if grant_type == "refresh_token":
            answer = self._refresh(body)
            if self.after_refresh is not None:
                self.after_refresh()
            return json_response(200, answer)
        raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def _exchange(self, body: dict[str, Any]) -> dict[str, Any]:
        """Authorization code + PKCE: every binding checked; the code is spent by any attempt."""
        code = _field(body, "code")
        state = _field(body, "state")
        client_id = _field(body, "client_id")
        redirect_uri = _field(body, "redirect_uri")
        verifier = _field(body, "code_verifier")
        with self._lock:
            if client_id != self.client_id:
                raise OAuthError(400, "invalid_client", "unknown client_id")
            grant = self._codes.get(code)
            if grant is None:
                raise OAuthError(400, "invalid_grant", "unknown authorization code")
            if grant.used:
                # RFC 6749 section 4.1.2: a code used twice revokes what it was exchanged for.
                if grant.family is not None:
                    self._revoke_family(grant.family, access_tokens=True)
                raise OAuthError(400, "invalid_grant", "authorization code already used")
            grant.used = True
            if self.clock() >= grant.expires_at:
                raise OAuthError(400, "invalid_grant", "authorization code expired")
            if state != grant.state:
                raise OAuthError(400, "invalid_grant", "state does not match the authorization request")
            if redirect_uri != grant.redirect_uri:
                raise OAuthError(
                    400, "invalid_grant", "redirect_uri does not match the authorization request"
                )
            if not _VERIFIER.fullmatch(verifier):
                raise OAuthError(400, "invalid_grant", "code_verifier must be 43-128 unreserved characters")
            if pkce_challenge(verifier) != grant.challenge:
                raise OAuthError(400, "invalid_grant", "code_verifier does not match the code_challenge")
            family = secrets.token_hex(8)
            grant.family = family
            return self._issue(family)

    def _refresh(self, body: dict[str, Any]) -> dict[str, Any]:
        """Refresh with rotation: only the newest refresh token of a family is accepted, once; an
        old one gets invalid_grant (Wei-Shaw/sub2api#2856: the old one is void at once)."""
        token = _field(body, "refresh_token")
        client_id = _field(body, "client_id")
        with self._lock:
            if client_id != self.client_id:
                raise OAuthError(400, "invalid_client", "unknown client_id")
            family_id = self._refresh_tokens.get(token)
            if family_id is None:
                raise OAuthError(400, "invalid_grant", "unknown refresh token")
            family = self._families[family_id]
            if family.revoked:
                raise OAuthError(400, "invalid_grant", "refresh token revoked")
            if family.current != token:
                if self.revoke_family_on_reuse:
                    self._revoke_family(family_id, access_tokens=True)
                raise OAuthError(400, "invalid_grant", "refresh token already used (it was rotated)")
            return self._issue(family_id)

    def _issue(self, family_id: str) -> dict[str, Any]:
        """New access and refresh tokens for a family; the caller holds the lock."""
        access = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
        refresh = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._access_tokens[access] = _AccessToken(family_id, self.clock() + self.expires_in)
        self._refresh_tokens[refresh] = family_id
        self._families.setdefault(family_id, _Family(refresh)).current = refresh
        answer = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.expires_in if self.expires_in_answer is _UNSET else self.expires_in_answer,
            "token_type": "bearer",
            "scope": SCOPE,
        }
        self.issued.append(dict(answer))
        return answer

    def _revoke_family(self, family_id: str, *, access_tokens: bool) -> None:
        self._families[family_id].revoked = True
        if access_tokens:
            for token in self._access_tokens.values():
                if token.family == family_id:
                    token.revoked = True

    # ------------------------------------------------------- create API key

    def _handle_create_api_key(self, request: RecordedRequest) -> Response:
        token = _bearer(request.headers)
        if token is None or not self.access_token_valid(token):
            return json_response(
                401,
                {
                    "type": "error",
                    "error": {"type": "authentication_error", "message": "Invalid bearer token"},
                },
            )
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            self.api_keys.append(key)
        return json_response(200, {"raw_key": key})

    # --------------------------------------------------------- test helpers

    def access_token_valid(self, token: str) -> bool:
        """Whether `token` was issued here, is not revoked and has not expired by `clock`."""
        with self._lock:
            record = self._access_tokens.get(token)
            return record is not None and not record.revoked and self.clock() < record.expires_at

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far invalid (for 401 tests); later ones are fine."""
        with self._lock:
            for token in self._access_tokens.values():
                token.revoked = True

    def revoke_all_refresh_tokens(self) -> None:
        """Refuse every refresh token issued so far (access tokens stay valid until they expire)."""
        with self._lock:
            for family_id in self._families:
                self._revoke_family(family_id, access_tokens=False)

    def token_requests(self) -> list[RecordedRequest]:
        """Every request to the token endpoint, in order."""
        with self._lock:
            return [request for request in self.requests if request.path == TOKEN_PATH]

    def refresh_requests(self) -> list[RecordedRequest]:
        """Token-endpoint requests whose body asks for grant_type=refresh_token."""
        return [request for request in self.token_requests() if _grant_type(request) == "refresh_token"]

    def exchange_requests(self) -> list[RecordedRequest]:
        """Token-endpoint requests whose body asks for grant_type=authorization_code."""
        return [request for request in self.token_requests() if _grant_type(request) == "authorization_code"]

    # ---------------------------------------------------- failure injection

    def fail_next(self, kind: str, count: int = 1, *, endpoint: str = "token") -> None:
        """Answer the next `count` requests to `endpoint` ("token" or "create_api_key") with `kind`.

        "500": HTTP 500 with an HTML body; "not-json": HTTP 200, text/html "<html>oops</html>";
        "hang": block until release_hung() or close(); "invalid_grant": 400 invalid_grant
        (token endpoint only); "invalid_grant-echo": the same with the refresh token quoted in
        `error` and `error_description`; the kinds of misbehaviour.py (trickle every
        `trickle_interval` s, gzip bomb, bad gzip, 307 with a JSON body, 404, nested JSON, a 5 MB
        or a 500 KB error, escape sequences). Injected failures change no state.
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {FAILURE_KINDS}")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {tuple(ENDPOINTS)}")
        if kind in ("invalid_grant", "invalid_grant-echo") and endpoint != "token":
            raise ValueError("invalid_grant is an answer of the token endpoint only")
        self._queue_failure(kind, count, endpoint)

    def _injected(self, kind: str, request: RecordedRequest) -> Response:
        if kind == "invalid_grant":
            return _oauth_error(OAuthError(400, "invalid_grant", "refresh token revoked (injected)"))
        if kind == "invalid_grant-echo":
            # Servers have been seen to quote the token they refuse, in `error` itself.
            token = _secret_sent(request)
            return _oauth_error(
                OAuthError(400, f"invalid_grant: refresh token {token} is revoked", f"{token} was revoked")
            )
        return super()._injected(kind, request)


def _secret_sent(request: RecordedRequest) -> str:
    """The refresh token (or code, or bearer token) a request carried: what a careless server echoes."""
    try:
        body = json.loads(request.body)
    except ValueError:
        body = request.form()
    if isinstance(body, dict):
        for name in ("refresh_token", "code", "device_code"):
            if isinstance(body.get(name), str):
                return body[name]
    return _bearer(request.headers) or ""


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise OAuthError(400, "invalid_request", f"missing or non-string field {name}")
    return value


def _grant_type(request: RecordedRequest) -> str | None:
    """The grant_type a token request asks for, from a JSON or a form body."""
    try:
        body = json.loads(request.body)
    except ValueError:
        body = request.form()
    value = body.get("grant_type") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
