"""A real, strict OAuth 2.0 authorization server (authlib + Flask) for testing the generic OAuth provider.

The product's client for "any OAuth 2.0 provider described in config.toml" (SPEC §5) is tested against
this server rather than a hand-written fake, so that a request the standards forbid fails here the way it
would against a real identity provider.  What it implements, all in memory:

- RFC 6749 authorization code grant with RFC 7636 PKCE, required for every client and S256 only;
  RFC 8252 loopback redirect URIs (``http://127.0.0.1:<any port>/callback``, ``localhost``, ``[::1]``).
- RFC 6749 §6 refresh with rotation: each refresh issues a new refresh token and revokes the old one.
- RFC 8628 device authorization grant (``/device_authorization`` and the device_code grant at ``/token``).
- RFC 6750 bearer-protected ``/userinfo`` so a client can prove its access token works.
- RFC 8414 metadata at ``/.well-known/oauth-authorization-server``.

Time comes from ``OAuthTestServer.now()`` (an injectable clock plus an offset moved by ``advance()``);
authlib itself reads no clock for anything used here, so every expiry can be tested without sleeping.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import extract_basic_authorization, list_to_scope, scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialMixin
from flask import Flask, Response, jsonify, request

from servers.harness import serve_wsgi

PUBLIC_CLIENT_ID = "public-cli"
CONFIDENTIAL_CLIENT_ID = "confidential-cli"
CONFIDENTIAL_CLIENT_SECRET = "s3cr3t"
SCOPES = ("openid", "offline_access", "profile")
TEST_USER_ID = "test-user"
DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = frozenset({"authorization_code", "refresh_token", DEVICE_CODE_GRANT_TYPE})
AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"
DEVICE_AUTHORIZATION_PATH = "/device_authorization"
DEVICE_VERIFICATION_PATH = "/device"
USERINFO_PATH = "/userinfo"
METADATA_PATH = "/.well-known/oauth-authorization-server"
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
POLL_TOLERANCE = 0.001  # seconds: float rounding of "waited exactly the interval" is not polling too fast


def is_loopback_callback(uri: str) -> bool:
    """RFC 8252 §7.3: http, a loopback host, an explicit port (any), path /callback, nothing else."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and port is not None
        and port > 0
        and parts.path == "/callback"
        and not parts.query
        and not parts.fragment
        and parts.username is None
        and parts.password is None
    )


def _json_number(value: float) -> int | float:
    """Send whole seconds as JSON integers (what RFC 8628 clients expect), fractions only when asked for."""
    return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class User:
    """The one resource owner: every authorization and device approval is granted as this user."""

    user_id: str = TEST_USER_ID

    def get_user_id(self) -> str:
        return self.user_id


@dataclass(frozen=True)
class Client(ClientMixin):
    """A registered client: public (no secret, auth method "none") or confidential (basic or post)."""

    client_id: str
    client_secret: str | None = None

    @property
    def is_public(self) -> bool:
        return self.client_secret is None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        """None: loopback ports are chosen at run time, so every request must name its redirect_uri."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """An omitted scope means every registered scope (RFC 6749 §3.3 lets the server pick a default)."""
        if not scope:
            return list_to_scope(list(SCOPES))
        return list_to_scope([item for item in scope_to_list(scope) if item in SCOPES])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return is_loopback_callback(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return secrets.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """A public client may only use "none"; a confidential one must prove its secret."""
        if self.is_public:
            return method == "none"
        return method in SECRET_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An issued code, kept after use so that a replay can be detected (RFC 6749 §4.1.2)."""

    code: str
    client_id: str
    redirect_uri: str | None
    scope: str
    user: User
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    used: bool = False

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token(TokenMixin):
    """An issued access token and its refresh token; `family` ties rotated tokens to their first grant."""

    access_token: str
    refresh_token: str | None
    client_id: str
    user: User
    scope: str
    grant_type: str
    issued_at: float
    expires_in: int
    family: str
    access_token_revoked: bool = False
    refresh_token_revoked: bool = False
    rotated: bool = False
    _now: Callable[[], float] = field(repr=False, compare=False, default=time.time)

    def check_client(self, client: ClientMixin) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self._now() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.access_token_revoked


@dataclass
class DeviceCredential(DeviceCredentialMixin):
    """A device authorization (RFC 8628 §3.2) and its polling state."""

    device_code: str
    user_code: str
    client_id: str
    scope: str | None
    expires_at: float
    interval: float
    last_poll_at: float | None = None
    consumed: bool = False
    _now: Callable[[], float] = field(repr=False, compare=False, default=time.time)

    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str | None:
        return self.scope

    def get_user_code(self) -> str:
        return self.user_code

    def is_expired(self) -> bool:
        return self._now() >= self.expires_at


class RecordedRequest(NamedTuple):
    """What a client sent: the form body of a POST, the query of a GET, secrets included."""

    method: str
    path: str
    form: dict[str, str]


@dataclass(frozen=True)
class RequestDetail:
    """The full picture of one request, for tests that check headers (e.g. HTTP Basic) or timing."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    content_type: str | None
    at: float


class _Server(AuthorizationServer):
    """authlib's Flask authorization server, with a handle on the test state for the grant classes."""

    def __init__(self, app: Flask, state: OAuthTestServer) -> None:
        self.state = state
        super().__init__(app, query_client=state.clients.get, save_token=state._save_token)


def _state_of(grant: Any) -> OAuthTestServer:
    return grant.server.state


class _StrictS256CodeChallenge(CodeChallenge):
    """PKCE as RFC 9700 and OAuth 2.1 want it: on every authorization request, for every client, S256 only.

    authlib's CodeChallenge(required=True) only insists on a verifier from public clients at the token
    endpoint; this also refuses an authorization request without an S256 challenge (RFC 7636 §4.4.1).
    """

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE: 'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """Single-use codes bound to client, redirect_uri and PKCE challenge; a replay revokes its tokens."""

    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        state = _state_of(self)
        data = request.payload.data
        state._codes[code] = AuthorizationCode(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            user=request.user,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            expires_at=state.now() + state.code_ttl,
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        state = _state_of(self)
        record = state._codes.get(code)
        if record is None:
            return None
        if record.used:
            state._revoke_family(record.code)
            return None
        if record.client_id != client.get_client_id() or state.now() >= record.expires_at:
            return None
        return record

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        authorization_code.used = True

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User:
        return authorization_code.user

    def create_token_response(self) -> Any:
        result = super().create_token_response()
        _state_of(self).code_exchange_count += 1
        return result


class _RefreshTokenGrant(grants.RefreshTokenGrant):
    """Refresh with rotation: a new refresh token every time, the old one refused from then on."""

    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        state = _state_of(self)
        token = state._tokens_by_refresh.get(refresh_token)
        if token is None:
            return None
        if token.refresh_token_revoked:
            if token.rotated and state.revoke_refresh_family_on_reuse:
                state._revoke_family(token.family)
            return None
        return token

    def authenticate_user(self, refresh_token: Token) -> User:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.refresh_token_revoked = True
        refresh_token.rotated = True

    def create_token_response(self) -> Any:
        result = super().create_token_response()
        _state_of(self).refresh_count += 1
        return result


class _DeviceCodeGrant(DeviceCodeGrant):
    """RFC 8628 §3.4-3.5 polling: pending, slow_down (interval +increment), denied, expired; single use.

    authlib answers an unknown device_code with invalid_request and a code of another client with
    unauthorized_client, and lets an approved device_code be exchanged again and again; RFC 6749 §5.2
    calls all of these invalid_grant, so validate_token_request is restated here.
    """

    def validate_token_request(self) -> None:
        device_code = self.request.form.get("device_code")
        if not device_code:
            raise InvalidRequestError("Missing 'device_code' in request.")
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(f"The client may not use grant_type={self.GRANT_TYPE}.")
        credential = self.query_device_credential(device_code)
        if credential is None or credential.consumed or credential.client_id != client.get_client_id():
            raise InvalidGrantError("Invalid 'device_code' in request.")
        _state_of(self).device_poll_count += 1
        user = self.validate_device_credential(credential)
        self.request.user = user
        self.request.client = client
        self.request.credential = credential

    def query_device_credential(self, device_code: str) -> DeviceCredential | None:
        return _state_of(self)._device_credentials.get(device_code)

    def query_user_grant(self, user_code: str) -> tuple[User, bool] | None:
        decision = _state_of(self)._device_decisions.get(user_code)
        if decision is None:
            return None
        return _state_of(self).user, decision

    def should_slow_down(self, credential: DeviceCredential) -> bool:
        """Too fast when polled again within the interval (less 1 ms); RFC 8628 §3.5 then adds 5 s for good."""
        state = _state_of(self)
        now = state.now()
        last = credential.last_poll_at
        too_fast = last is not None and now - last < credential.interval - POLL_TOLERANCE
        credential.last_poll_at = now
        if too_fast:
            credential.interval += state.slow_down_increment
        return too_fast

    def create_token_response(self) -> Any:
        result = super().create_token_response()
        self.request.credential.consumed = True
        _state_of(self).device_exchange_count += 1
        return result


class _DeviceAuthorizationEndpoint(DeviceAuthorizationEndpoint):
    """RFC 8628 §3.1-3.2, with the test's lifetime and interval (floats allowed) instead of 1800 s / 5 s."""

    def __init__(self, server: _Server, expires_in: float, interval: float) -> None:
        super().__init__(server)
        self.EXPIRES_IN = _json_number(expires_in)
        self.INTERVAL = _json_number(interval)

    def get_verification_uri(self) -> str:
        return request.host_url.rstrip("/") + DEVICE_VERIFICATION_PATH

    def save_device_credential(self, client_id: str, scope: str | None, data: dict[str, Any]) -> None:
        self.server.state._save_device_credential(client_id, scope, data)


class _AccessTokenValidator(BearerTokenValidator):
    """Looks bearer tokens up in memory; expiry and revocation are checked by authlib via the Token."""

    def __init__(self, state: OAuthTestServer) -> None:
        super().__init__()
        self.state = state

    def authenticate_token(self, token_string: str) -> Token | None:
        return self.state._tokens_by_access.get(token_string)


class OAuthTestServer:
    """The WSGI app (call it, or pass `.app` to serve_wsgi) plus its in-memory state and test helpers.

    Every request and every helper takes one lock, so concurrent clients see a consistent server.
    """

    def __init__(
        self,
        *,
        access_token_ttl: int,
        device_expires_in: float,
        device_interval: float,
        code_ttl: float,
        slow_down_increment: float,
        revoke_refresh_family_on_reuse: bool,
        clock: Callable[[], float] | None,
    ) -> None:
        if not isinstance(access_token_ttl, int) or access_token_ttl < 1:
            raise ValueError("access_token_ttl must be a whole number of seconds, at least 1")
        self.access_token_ttl = access_token_ttl
        self.device_expires_in = device_expires_in
        self.device_interval = device_interval
        self.code_ttl = code_ttl
        self.slow_down_increment = slow_down_increment
        self.revoke_refresh_family_on_reuse = revoke_refresh_family_on_reuse
        self._clock = clock or time.time
        self._offset = 0.0
        self._lock = threading.RLock()
        self.user = User()
        self.clients: dict[str, Client] = {
            PUBLIC_CLIENT_ID: Client(PUBLIC_CLIENT_ID),
            CONFIDENTIAL_CLIENT_ID: Client(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET),
        }
        self.requests: list[RecordedRequest] = []
        self.request_log: list[RequestDetail] = []
        self.issued_tokens: list[Token] = []
        self.refresh_count = 0
        self.code_exchange_count = 0
        self.device_exchange_count = 0
        self.device_poll_count = 0
        self.authorization_count = 0
        self.auto_approve_devices = False
        self.base_url: str | None = None
        self._deny_next = False
        self._codes: dict[str, AuthorizationCode] = {}
        self._tokens_by_access: dict[str, Token] = {}
        self._tokens_by_refresh: dict[str, Token] = {}
        self._device_credentials: dict[str, DeviceCredential] = {}
        self._device_by_user_code: dict[str, DeviceCredential] = {}
        self._device_decisions: dict[str, bool] = {}
        self.app = self._build_app()

    # ---- WSGI ---------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 (see servers.harness) and yield the base URL."""
        with serve_wsgi(self.app) as base_url:
            self.base_url = base_url
            yield base_url

    # ---- clock --------------------------------------------------------------------------------------

    def now(self) -> float:
        """Server time in seconds: the injected clock (default time.time) plus everything advanced."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move server time forward, to expire device codes, codes and access tokens without sleeping."""
        with self._lock:
            self._offset += seconds

    # ---- helpers for tests --------------------------------------------------------------------------

    def deny_next_authorization(self) -> None:
        """The next valid /authorize redirects with error=access_denied instead of a code."""
        with self._lock:
            self._deny_next = True

    def approve_device(self, user_code: str) -> None:
        """The user typed `user_code` at the verification page and approved (KeyError if unknown)."""
        self._decide_device(user_code, approved=True)

    def deny_device(self, user_code: str) -> None:
        """The user typed `user_code` at the verification page and denied (KeyError if unknown)."""
        self._decide_device(user_code, approved=False)

    @property
    def last_user_code(self) -> str | None:
        """The user_code of the latest device authorization, for tests that drive the CLI as a process."""
        with self._lock:
            return next(reversed(self._device_by_user_code), None)

    def revoke_all_refresh_tokens(self) -> None:
        """As if the user revoked the grant: every refresh token is refused from now on."""
        with self._lock:
            for token in self._tokens_by_refresh.values():
                token.refresh_token_revoked = True

    def revoke_all_access_tokens(self) -> None:
        """Every access token is refused at /userinfo from now on (401 invalid_token)."""
        with self._lock:
            for token in self._tokens_by_access.values():
                token.access_token_revoked = True

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to one path, in order."""
        with self._lock:
            return [entry for entry in self.requests if entry.path == path]

    # ---- state used by the grants -------------------------------------------------------------------

    def _decide_device(self, user_code: str, *, approved: bool) -> None:
        with self._lock:
            if user_code not in self._device_by_user_code:
                raise KeyError(user_code)
            self._device_decisions[user_code] = approved

    def _save_device_credential(self, client_id: str, scope: str | None, data: dict[str, Any]) -> None:
        credential = DeviceCredential(
            device_code=data["device_code"],
            user_code=data["user_code"],
            client_id=client_id,
            scope=scope,
            expires_at=self.now() + self.device_expires_in,
            interval=self.device_interval,
            _now=self.now,
        )
        self._device_credentials[credential.device_code] = credential
        self._device_by_user_code[credential.user_code] = credential
        if self.auto_approve_devices:
            self._device_decisions[credential.user_code] = True

    def _save_token(self, token: dict[str, Any], oauth_request: Any) -> None:
        if oauth_request.refresh_token is not None:
            family = oauth_request.refresh_token.family
        elif oauth_request.authorization_code is not None:
            family = oauth_request.authorization_code.code
        else:
            family = oauth_request.credential.device_code
        record = Token(
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            client_id=oauth_request.client.get_client_id(),
            user=oauth_request.user,
            scope=token.get("scope", ""),
            grant_type=oauth_request.payload.grant_type,
            issued_at=self.now(),
            expires_in=token["expires_in"],
            family=family,
            _now=self.now,
        )
        self.issued_tokens.append(record)
        self._tokens_by_access[record.access_token] = record
        if record.refresh_token:
            self._tokens_by_refresh[record.refresh_token] = record

    def _revoke_family(self, family: str) -> None:
        """RFC 6749 §4.1.2 / RFC 9700 §4.14.2: a replayed credential takes its descendants down with it."""
        for token in self.issued_tokens:
            if token.family == family:
                token.access_token_revoked = True
                token.refresh_token_revoked = True

    # ---- the Flask application ----------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask(__name__, static_folder=None)
        server = _Server(app, self)
        server.scopes_supported = list(SCOPES)
        server.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: generate_token(42),
                refresh_token_generator=lambda **_: generate_token(48),
                expires_generator=lambda client, grant_type: self.access_token_ttl,
            ),
        )
        server.register_grant(_AuthorizationCodeGrant, [_StrictS256CodeChallenge(required=True)])
        server.register_grant(_RefreshTokenGrant)
        server.register_grant(_DeviceCodeGrant)
        server.register_endpoint(
            _DeviceAuthorizationEndpoint(server, self.device_expires_in, self.device_interval)
        )
        protector = ResourceProtector()
        protector.register_token_validator(_AccessTokenValidator(self))

        @app.before_request
        def record() -> None:
            """Keep what each client sent, before anything can fail."""
            form = request.form.to_dict() if request.method == "POST" else {}
            query = request.args.to_dict()
            with self._lock:
                self.requests.append(
                    RecordedRequest(request.method, request.path, form if request.method == "POST" else query)
                )
                self.request_log.append(
                    RequestDetail(
                        method=request.method,
                        path=request.path,
                        query=query,
                        form=form,
                        headers=dict(request.headers.items()),
                        content_type=request.content_type,
                        at=self.now(),
                    )
                )

        @app.get(AUTHORIZE_PATH)
        def authorize() -> Response:
            """Auto-approve for the test user (or deny, once, after deny_next_authorization)."""
            with self._lock:
                try:
                    grant = server.get_consent_grant(end_user=self.user)
                except OAuth2Error as error:
                    return server.handle_error_response(None, error)
                self.authorization_count += 1
                denied, self._deny_next = self._deny_next, False
                return server.create_authorization_response(
                    grant_user=None if denied else self.user, grant=grant
                )

        @app.post(TOKEN_PATH)
        def token() -> Response:
            with self._lock:
                problem = _form_request_problem()
                if problem:
                    return server.handle_error_response(None, InvalidRequestError(problem))
                return server.create_token_response()

        @app.post(DEVICE_AUTHORIZATION_PATH)
        def device_authorization() -> Response:
            with self._lock:
                problem = _form_request_problem()
                if problem:
                    return server.handle_error_response(None, InvalidRequestError(problem))
                return server.create_endpoint_response(DeviceAuthorizationEndpoint.ENDPOINT_NAME)

        @app.get(DEVICE_VERIFICATION_PATH)
        def device_page() -> Response:
            """Where a person would type the user code; tests approve with approve_device() instead."""
            user_code = request.args.get("user_code", "")
            body = f"Enter the code shown on your device. {user_code}".strip()
            return Response(body, mimetype="text/plain")

        @app.get(USERINFO_PATH)
        def userinfo() -> Response:
            with self._lock, protector.acquire() as access:
                return jsonify(sub=access.user.get_user_id())

        @app.get(METADATA_PATH)
        def metadata() -> Response:
            base = request.host_url.rstrip("/")
            return jsonify(
                issuer=base,
                authorization_endpoint=base + AUTHORIZE_PATH,
                token_endpoint=base + TOKEN_PATH,
                device_authorization_endpoint=base + DEVICE_AUTHORIZATION_PATH,
                userinfo_endpoint=base + USERINFO_PATH,
                scopes_supported=list(SCOPES),
                response_types_supported=["code"],
                grant_types_supported=sorted(GRANT_TYPES),
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=ALL_AUTH_METHODS,
            )

        return app


def _form_request_problem() -> str | None:
    """RFC 6749 §3.2, §2.3: a form body, parameters once each, not in the query, one client auth method."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return "The request body must be application/x-www-form-urlencoded."
    if request.args:
        return "Parameters must be sent in the request body, not the query."
    for name in request.form:
        if len(request.form.getlist(name)) > 1:
            return f"Parameter '{name}' is repeated."
    if not request.headers.get("Authorization", "").lower().startswith("basic "):
        return None
    if "client_secret" in request.form:
        return "The client used more than one authentication method."
    basic_client_id, _ = extract_basic_authorization(request.headers)
    form_client_id = request.form.get("client_id")
    if form_client_id and form_client_id != basic_client_id:
        return "The client_id in the body differs from the one in the Authorization header."
    return None


def make_authorization_server(
    *,
    access_token_ttl: int = 3600,
    device_expires_in: float = 5,
    device_interval: float = 0.05,
    code_ttl: float = 600,
    slow_down_increment: float = 5,
    revoke_refresh_family_on_reuse: bool = False,
    clock: Callable[[], float] | None = None,
) -> OAuthTestServer:
    """A fresh server with both clients registered; nothing is shared between servers."""
    return OAuthTestServer(
        access_token_ttl=access_token_ttl,
        device_expires_in=device_expires_in,
        device_interval=device_interval,
        code_ttl=code_ttl,
        slow_down_increment=slow_down_increment,
        revoke_refresh_family_on_reuse=revoke_refresh_family_on_reuse,
        clock=clock,
    )
