"""A fake of GitHub's OAuth device flow and Copilot token endpoint (SPEC section 5) as WSGI.

Strict where the real service is: a client that forgets `Accept: application/json` gets
form-encoded answers (as from github.com), a client that polls too fast is told to slow
down (when enabled), a device code is good for one token, and the Copilot token needs a
GitHub token this fake issued. Paths served, all on one base URL:

- ``POST /login/device/code``: start the device flow
- ``POST /login/oauth/access_token``: poll for the GitHub token
- ``GET  /login/device``: the verification page the user opens
- ``GET  /copilot_internal/v2/token``: the short-lived Copilot token
"""

from __future__ import annotations

import json
import secrets
import string
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .fake_anthropic import (
    HttpFake,
    RecordedRequest,
    Response,
    html_response,
    json_response,
    media_type,
    status_line,
)
from .misbehaviour import MISBEHAVIOUR_KINDS

DEFAULT_CLIENT_ID = "Iv1.b507a08c87ecfe98"
SCOPE = "read:user"
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5
# Polls are compared with float times; forgive rounding, not a client that polls early.
_POLL_TOLERANCE = 0.001

DEVICE_CODE_PATH = "/login/device/code"
ACCESS_TOKEN_PATH = "/login/oauth/access_token"
VERIFICATION_PATH = "/login/device"
COPILOT_TOKEN_PATH = "/copilot_internal/v2/token"

GITHUB_TOKEN_PREFIX = "gho_fake"
ENDPOINTS = {
    "device_code": DEVICE_CODE_PATH,
    "access_token": ACCESS_TOKEN_PATH,
    "copilot_token": COPILOT_TOKEN_PATH,
}
COMMON_KINDS = ("500", "not-json", "hang", *MISBEHAVIOUR_KINDS)
POLL_KINDS = ("access_denied", "expired_token", "slow_down")
FAILURE_KINDS = COMMON_KINDS + POLL_KINDS
ERROR_URI = "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"


@dataclass
class _Device:
    """One device authorization: its user code, deadline, required interval and fate."""

    user_code: str
    expires_at: float
    interval: float
    last_poll: float
    status: str = "pending"  # pending | approved | denied | used


@dataclass
class _CopilotToken:
    github_token: str
    expires_at: int


class _DeviceError(Exception):
    """A device-flow error answer: {"error": ..., "error_description": ...} plus extras."""

    def __init__(self, error: str, description: str, **extra: Any) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.extra = extra


def _number(value: float) -> int | float:
    """A number as GitHub would write it: an integer when it is one."""
    return int(value) if float(value).is_integer() else value


def _wants_json(request: RecordedRequest) -> bool:
    """GitHub answers JSON only when `application/json` is among the accepted media types."""
    accepted = request.headers.get("accept", "")
    return any(part.split(";", 1)[0].strip().lower() == "application/json" for part in accepted.split(","))


class FakeGitHub(HttpFake):
    """GitHub's device flow and Copilot token endpoint in miniature.

    Time comes from `clock` (expiry of device codes and Copilot tokens, poll spacing) so
    tests move it instead of sleeping. Intervals may be fractions of a second in tests.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        interval: float = 0.05,
        device_expires_in: float = 5.0,
        copilot_ttl: int = 3600,
        error_status: int = 200,
        slow_down_enabled: bool = False,
        clock: Callable[[], float] = time.time,
        hang_timeout: float = 60.0,
    ) -> None:
        super().__init__(clock=clock, hang_timeout=hang_timeout)
        self.client_id = client_id
        self.interval = interval
        self.device_expires_in = device_expires_in
        self.copilot_ttl = copilot_ttl
        self.error_status = error_status
        self.slow_down_enabled = slow_down_enabled
        self.device_code_count = 0
        self.poll_count = 0
        self.early_poll_count = 0
        self.copilot_token_count = 0
        self.user_codes: list[str] = []
        self.github_tokens: list[str] = []
        self.copilot_tokens: list[str] = []
        self._devices: dict[str, _Device] = {}
        self._by_user_code: dict[str, str] = {}
        self._revoked: set[str] = set()
        self._copilot: dict[str, _CopilotToken] = {}
        # Fields the answers say instead of the real ones (the fake's own state is unchanged):
        # device starts with an `interval` of Infinity or a `user_code` with escapes, Copilot
        # tokens with an `expires_at` of true or 10**20. Imitates broken or hostile servers.
        self.device_answer_overrides: dict[str, Any] = {}
        self.copilot_answer_overrides: dict[str, Any] = {}
        # The real token names the host this user's chat goes to (endpoints.api: individual,
        # business and enterprise seats each have their own; microsoft/vscode-copilot-chat
        # copilotToken.ts). None leaves it out (code-mesh then uses api_base_url).
        self.api_endpoint: str | None = None

    # ----------------------------------------------------------------- WSGI

    def _dispatch(self, request: RecordedRequest) -> Response:
        routes: dict[str, tuple[str, Callable[[RecordedRequest], Response], str | None]] = {
            DEVICE_CODE_PATH: ("POST", self._handle_device_code, "device_code"),
            ACCESS_TOKEN_PATH: ("POST", self._handle_poll, "access_token"),
            VERIFICATION_PATH: ("GET", self._handle_verification_page, None),
            COPILOT_TOKEN_PATH: ("GET", self._handle_copilot_token, "copilot_token"),
        }
        route = routes.get(request.path)
        if route is None:
            return json_response(404, {"message": "Not Found"})
        method, handler, endpoint = route
        if request.method != method:
            return json_response(405, {"message": "Method Not Allowed"}, [("Allow", method)])
        if endpoint is None:
            return handler(request)
        with self._lock:
            if endpoint == "device_code":
                self.device_code_count += 1
            elif endpoint == "access_token":
                self.poll_count += 1
            else:
                self.copilot_token_count += 1
        kinds = FAILURE_KINDS if endpoint == "access_token" else COMMON_KINDS
        kind = self._take_failure(endpoint, kinds)
        if kind is not None:
            return self._injected(kind, request)
        try:
            return handler(request)
        except _DeviceError as error:
            return self._device_error(request, error)

    def _answer(self, request: RecordedRequest, status: int, fields: dict[str, Any]) -> Response:
        """JSON with `Accept: application/json`, else form-encoded, as github.com does."""
        if _wants_json(request):
            return json_response(status, fields)
        body = urllib.parse.urlencode({key: str(value) for key, value in fields.items()})
        return (
            status_line(status),
            [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body.encode(),
        )

    def _device_error(self, request: RecordedRequest, error: _DeviceError) -> Response:
        fields = {
            "error": error.error,
            "error_description": error.description,
            "error_uri": ERROR_URI,
            **error.extra,
        }
        return self._answer(request, self.error_status, fields)

    def _params(self, request: RecordedRequest) -> dict[str, str]:
        """The request's parameters from a JSON or a form-encoded body (never the query string)."""
        if media_type(request.headers) == "application/json":
            try:
                body = json.loads(request.body)
            except ValueError:
                raise _DeviceError("invalid_request", "the body is not valid JSON") from None
            if not isinstance(body, dict):
                raise _DeviceError("invalid_request", "the body must be a JSON object")
            return {key: value for key, value in body.items() if isinstance(value, str)}
        return dict(urllib.parse.parse_qsl(request.body, keep_blank_values=True))

    # ---------------------------------------------------------- device flow

    def _handle_device_code(self, request: RecordedRequest) -> Response:
        params = self._params(request)
        if params.get("client_id") != self.client_id:
            raise _DeviceError("incorrect_client_credentials", "the client_id is missing or unknown")
        scopes = set(params.get("scope", "").replace(",", " ").split())
        if scopes != {SCOPE}:
            raise _DeviceError("invalid_scope", f"scope must be {SCOPE!r}")
        device_code = secrets.token_hex(20)
        with self._lock:
            user_code = self._new_user_code()
            now = self.clock()
            self._devices[device_code] = _Device(user_code, now + self.device_expires_in, self.interval, now)
            self._by_user_code[user_code] = device_code
            self.user_codes.append(user_code)
        return self._answer(
            request,
            200,
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": f"{request.base_url}{VERIFICATION_PATH}",
                "expires_in": _number(self.device_expires_in),
                "interval": _number(self.interval),
                **self.device_answer_overrides,
            },
        )

    def _new_user_code(self) -> str:
        """A fresh user code like ABCD-1234; the caller holds the lock."""
        while True:
            letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(4))
            digits = "".join(secrets.choice(string.digits) for _ in range(4))
            code = f"{letters}-{digits}"
            if code not in self._by_user_code:
                return code

    def _handle_poll(self, request: RecordedRequest) -> Response:
        """RFC 8628 section 3.5, with GitHub's error names; the device code yields one token."""
        params = self._params(request)
        if params.get("client_id") != self.client_id:
            raise _DeviceError("incorrect_client_credentials", "the client_id is missing or unknown")
        if params.get("grant_type") != DEVICE_GRANT_TYPE:
            raise _DeviceError("unsupported_grant_type", f"grant_type must be {DEVICE_GRANT_TYPE}")
        with self._lock:
            device = self._devices.get(params.get("device_code", ""))
            if device is None:
                raise _DeviceError("incorrect_device_code", "the device_code is not valid")
            if device.status == "used":
                raise _DeviceError("expired_token", "the device code has already been used")
            now = self.clock()
            if now >= device.expires_at:
                raise _DeviceError("expired_token", "the device code has expired")
            early = now - device.last_poll < device.interval - _POLL_TOLERANCE
            device.last_poll = now
            if early:
                self.early_poll_count += 1
                if self.slow_down_enabled:
                    device.interval += SLOW_DOWN_STEP
                    raise _DeviceError("slow_down", "too many requests", interval=_number(device.interval))
            if device.status == "denied":
                raise _DeviceError("access_denied", "the user has denied your application access")
            if device.status == "pending":
                raise _DeviceError("authorization_pending", "the user has not yet entered the code")
            device.status = "used"
            token = GITHUB_TOKEN_PREFIX + secrets.token_hex(16)
            self.github_tokens.append(token)
        return self._answer(request, 200, {"access_token": token, "token_type": "bearer", "scope": SCOPE})

    def _handle_verification_page(self, request: RecordedRequest) -> Response:
        return html_response(
            200,
            "<!doctype html><html><head><title>Device activation</title></head><body>"
            "<h1>Device activation</h1><p>Enter the code displayed on your device.</p>"
            '<form method="post"><input name="user_code" placeholder="XXXX-XXXX"></form></body></html>',
        )

    # -------------------------------------------------------- copilot token

    def _handle_copilot_token(self, request: RecordedRequest) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            known = token in self.github_tokens and token not in self._revoked
            if scheme.lower() != "bearer" or not known:
                return json_response(
                    401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
                )
            expires_at = int(self.clock() + self.copilot_ttl)
            copilot = f"tid=fake;exp={expires_at};sku=fake;copilot-{secrets.token_hex(16)}"
            self._copilot[copilot] = _CopilotToken(token, expires_at)
            self.copilot_tokens.append(copilot)
        ttl = int(self.copilot_ttl)
        answer: dict[str, Any] = {
            "token": copilot,
            "expires_at": expires_at,
            "refresh_in": max(ttl - 300, ttl // 2),
        }
        if self.api_endpoint is not None:
            answer["endpoints"] = {"api": self.api_endpoint, "telemetry": "https://telemetry.example"}
        return json_response(200, {**answer, **self.copilot_answer_overrides})

    # --------------------------------------------------------- test helpers

    def approve(self, user_code: str) -> None:
        """The user enters `user_code` and authorizes (KeyError for a code never issued)."""
        self._decide(user_code, "approved")

    def deny(self, user_code: str) -> None:
        """The user enters `user_code` and refuses (KeyError for a code never issued)."""
        self._decide(user_code, "denied")

    def _decide(self, user_code: str, status: str) -> None:
        with self._lock:
            device = self._devices[self._by_user_code[user_code]]
            if device.status in ("pending", "approved", "denied"):
                device.status = status

    def revoke(self, github_token: str) -> None:
        """Revoke a GitHub token: the Copilot endpoint answers 401 for it from now on."""
        with self._lock:
            self._revoked.add(github_token)

    def copilot_token_valid(self, token: str) -> bool:
        """Whether `token` was issued here, is unexpired by `clock` and its GitHub token not revoked."""
        with self._lock:
            record = self._copilot.get(token)
            return (
                record is not None
                and record.github_token not in self._revoked
                and self.clock() < record.expires_at
            )

    def poll_requests(self) -> list[RecordedRequest]:
        """Every request to the polling endpoint, in order."""
        with self._lock:
            return [request for request in self.requests if request.path == ACCESS_TOKEN_PATH]

    # ---------------------------------------------------- failure injection

    def fail_next(self, kind: str, count: int = 1, *, endpoint: str | None = None) -> None:
        """Answer the next `count` requests to `endpoint` with `kind` (None: any API endpoint).

        Endpoints: "device_code", "access_token" (the poll), "copilot_token". Kinds for all:
        "500" (HTML body), "not-json" (HTTP 200, text/html "<html>oops</html>"), "hang" (until
        release_hung() or close()), the kinds of misbehaviour.py; for the poll only: "access_denied", "expired_token",
        "slow_down" (sent with `error_status`; slow_down also adds 5 s to that device code's
        interval). A poll-only kind with endpoint None waits for the next poll.
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {FAILURE_KINDS}")
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {tuple(ENDPOINTS)}")
        if kind in POLL_KINDS:
            if endpoint not in (None, "access_token"):
                raise ValueError(f"{kind} is an answer of the access_token (poll) endpoint only")
            endpoint = "access_token"
        self._queue_failure(kind, count, endpoint)

    def _injected(self, kind: str, request: RecordedRequest) -> Response:
        if kind == "access_denied":
            error = _DeviceError("access_denied", "the user has denied your application access (injected)")
        elif kind == "expired_token":
            error = _DeviceError("expired_token", "the device code has expired (injected)")
        elif kind == "slow_down":
            error = self._injected_slow_down(request)
        else:
            return super()._injected(kind, request)
        return self._device_error(request, error)

    def _injected_slow_down(self, request: RecordedRequest) -> _DeviceError:
        """slow_down with the interval grown by 5 s, for the device code when it is known."""
        try:
            device_code = self._params(request).get("device_code", "")
        except _DeviceError:
            device_code = ""
        with self._lock:
            device = self._devices.get(device_code)
            if device is None:
                interval = self.interval + SLOW_DOWN_STEP
            else:
                device.interval += SLOW_DOWN_STEP
                device.last_poll = self.clock()
                interval = device.interval
        return _DeviceError("slow_down", "too many requests (injected)", interval=_number(interval))
