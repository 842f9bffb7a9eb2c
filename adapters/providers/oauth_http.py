"""The OAuthGateway port over httpx: JSON (Anthropic) or RFC 6749 form requests.

Every failure becomes one of two domain errors with a message fit for the user:
ProviderUnavailable (could not connect, timed out, HTTP 5xx or 404, a redirect, an answer
that is not JSON or too big) or OAuthErrorResponse (the server's `error` code). Request
bodies, tokens and codes never reach a message: httpx's own exception text is not used,
only the leading word of a server's `error` is kept, and its `error_description` is shown
escaped, cut to 200 characters and with every secret of the request redacted.

Each exchange is bounded by CODE_MESH_HTTP_TIMEOUT in total, and its answer by 1 MiB
after decompression (http_exchange.py). Only a 2xx answer is a success.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from code_mesh import __version__
from code_mesh.adapters.debug_log import SECRET_NAMES, describe_fields, http_hooks, logger
from code_mesh.adapters.providers.http_exchange import (
    ACCEPT_ENCODING,
    AnswerRefused,
    ExchangeTimedOut,
    read_capped,
    within_deadline,
)
from code_mesh.application.ports import TokenEndpoint
from code_mesh.domain.errors import OAuthErrorResponse, ProviderUnavailable
from code_mesh.domain.oauth import (
    DeviceAuthorization,
    DevicePoll,
    ExchangedToken,
    TokenGrant,
    device_code_lifetime,
    displayable_user_code,
    error_code,
    poll_interval,
    token_lifetime,
    unix_seconds,
    web_url,
)
from code_mesh.domain.rules import header_safe
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import one_line, redact

USER_AGENT = f"code-mesh/{__version__} (+https://pypi.org/project/code-mesh/)"
PROXY_ADVICE = "Check HTTPS_PROXY (and NO_PROXY), or ask whoever runs the proxy"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DESCRIPTION_LIMIT = 200

_UNCHANGED = "nothing was changed"
_RETRY_LATER = "Try again later"


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc or url
    except ValueError:
        return url


def _token(value: object) -> str | None:
    """A token as RFC 6749 allows it (printable ASCII), exactly as sent; None otherwise."""
    return value if isinstance(value, str) and header_safe(value) == value else None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    host: str
    path: str
    secrets: Sequence[str]
    """What the request carried that must never be shown, for redacting the answer."""


class HttpOAuthGateway:
    def __init__(self, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            event_hooks=http_hooks("oauth"),
            trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE: users behind corporate proxies
        )

    def close(self) -> None:
        self._client.close()

    # -- HTTP with errors made readable -------------------------------------------------

    def _send(self, method: str, url: str, secrets: Sequence[str], **options: Any) -> _Answer:
        host = _host(url)

        def exchange() -> _Answer:
            with self._client.stream(method, url, **options) as response:
                body = read_capped(response)
                return _Answer(
                    response.status_code, response.headers, body, host, urlsplit(url).path, secrets
                )

        try:
            return within_deadline(self._timeout, exchange)
        except (ExchangeTimedOut, httpx.TimeoutException):
            raise ProviderUnavailable(
                f"{host} did not answer within {self._timeout:g} s; {_UNCHANGED}", _RETRY_LATER
            ) from None
        except httpx.ProxyError:
            raise ProviderUnavailable(
                f"The proxy refused the connection to {host}; {_UNCHANGED}", PROXY_ADVICE
            ) from None
        except httpx.ConnectError:
            raise ProviderUnavailable(
                f"Cannot connect to {host}; {_UNCHANGED}",
                "Check your network connection (and any URL in config.toml), then try again",
            ) from None
        except AnswerRefused as refused:
            raise ProviderUnavailable(
                f"{host} {refused.reason}; {_UNCHANGED}",
                "Check the provider's URL in config.toml, or try again later",
            ) from None
        except httpx.InvalidURL:
            raise ProviderUnavailable(
                f"The URL of {host} cannot be used; {_UNCHANGED}", "Check the URL in config.toml"
            ) from None
        except httpx.HTTPError as error:
            raise ProviderUnavailable(
                f"The request to {host} failed ({type(error).__name__}); {_UNCHANGED}", _RETRY_LATER
            ) from None

    def _json(self, answer: _Answer) -> dict[str, Any]:
        """The JSON object of a 2xx answer; the server's error, or a readable failure, otherwise."""
        host, status = answer.host, answer.status
        if status >= 500:
            raise ProviderUnavailable(
                f"{host} answered with a server error (HTTP {status}); {_UNCHANGED}",
                "The provider has a problem; try again later",
            )
        if status == 404:
            raise ProviderUnavailable(
                f"{host} has no endpoint at {one_line(answer.path, 80)} (HTTP 404, not found); {_UNCHANGED}",
                "Check the URL in config.toml, or upgrade code-mesh: the provider may have moved it",
            )
        if 300 <= status < 400:
            raise ProviderUnavailable(
                f"{host} answered with a redirect (HTTP {status}) instead of an answer; {_UNCHANGED}",
                "Check the URL in config.toml, or upgrade code-mesh: the provider may have moved it",
            )
        try:
            body = json.loads(answer.body)
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to parse
            body = None
        if not isinstance(body, dict):
            raise ProviderUnavailable(
                f"{host} answered with something that is not a JSON object (HTTP {status}); {_UNCHANGED}",
                "Check the provider's URL in config.toml, or try again later",
            )
        error = body.get("error")
        if isinstance(error, str) and error.strip():
            description = body.get("error_description")
            code = error_code(error) or ""
            raise OAuthErrorResponse(
                redact(code, answer.secrets) if code else "",  # a token fits the pattern of a code
                host,
                description=one_line(description, DESCRIPTION_LIMIT, answer.secrets)
                if isinstance(description, str) and description.strip()
                else None,
                status=status,
            )
        if not 200 <= status < 300:
            # Not RFC 6749's shape; Anthropic's {"error": {"type", "message"}}, GitHub's {"message"}.
            said = error.get("message") if isinstance(error, dict) else body.get("message")
            raise OAuthErrorResponse(
                f"HTTP {status}",
                host,
                description=one_line(said, DESCRIPTION_LIMIT, answer.secrets)
                if isinstance(said, str) and said.strip()
                else None,
                status=status,
            )
        return body

    def _post(
        self, url: str, *, as_json: bool, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"json": fields} if as_json else {"data": fields}
        logger("oauth").debug(
            "POST %s %s body: %s", url, "JSON" if as_json else "form", describe_fields(fields)
        )
        secrets = [value for name, value in fields.items() if name.lower() in SECRET_NAMES]
        return self._json(self._send("POST", url, secrets, headers=headers, **options))

    # -- token responses -------------------------------------------------------------------

    @staticmethod
    def _grant(body: dict[str, Any], host: str) -> TokenGrant:
        access = _token(body.get("access_token"))
        if access is None:
            raise ProviderUnavailable(
                f"{host} answered without a usable access token; {_UNCHANGED}", _RETRY_LATER
            )
        refresh = body.get("refresh_token")
        if refresh is not None and refresh != "" and _token(refresh) is None:
            raise ProviderUnavailable(
                f"{host} answered with a refresh token that is not printable text; {_UNCHANGED}",
                _RETRY_LATER,
            )
        scope = body.get("scope")
        return TokenGrant(
            Secret(access),
            Secret(refresh) if refresh else None,
            token_lifetime(body.get("expires_in")),
            scope if isinstance(scope, str) and header_safe(scope) == scope else None,
        )

    @staticmethod
    def _client_fields(endpoint: TokenEndpoint) -> dict[str, str]:
        fields = {"client_id": endpoint.client_id}
        if endpoint.client_secret is not None:
            fields["client_secret"] = endpoint.client_secret.reveal()  # client_secret_post (RFC 6749 2.3.1)
        return fields

    def _bearer(self, method: str, url: str, token: Secret) -> _Answer:
        value = header_safe(token.reveal())
        if value is None:
            raise ProviderUnavailable(
                f"The token for {_host(url)} holds a line break or a control character; {_UNCHANGED}",
                "Log in to this provider again",
            )
        return self._send(method, url, [token.reveal()], headers={"Authorization": f"Bearer {value}"})

    # -- the port --------------------------------------------------------------------------

    def exchange_code(
        self, endpoint: TokenEndpoint, code: Secret, verifier: Secret, redirect_uri: str, state: str | None
    ) -> TokenGrant:
        fields = {
            "grant_type": "authorization_code",
            "code": code.reveal(),
            **({"state": state} if state is not None else {}),
            **self._client_fields(endpoint),
            "redirect_uri": redirect_uri,
            "code_verifier": verifier.reveal(),
        }
        body = self._post(endpoint.url, as_json=endpoint.json_body, fields=fields)
        return self._grant(body, _host(endpoint.url))

    def refresh(self, endpoint: TokenEndpoint, refresh_token: Secret) -> TokenGrant:
        fields = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.reveal(),
            **self._client_fields(endpoint),
        }
        body = self._post(endpoint.url, as_json=endpoint.json_body, fields=fields)
        return self._grant(body, _host(endpoint.url))

    def start_device_authorization(
        self, url: str, endpoint: TokenEndpoint, scope: str | None
    ) -> DeviceAuthorization:
        fields = {**self._client_fields(endpoint), **({"scope": scope} if scope else {})}
        body = self._post(url, as_json=False, fields=fields)
        host = _host(url)
        device_code = _token(body.get("device_code"))
        if device_code is None:
            raise ProviderUnavailable(
                f"{host} answered the device request without a device code; {_UNCHANGED}",
                "Check device_authorization_url in config.toml",
            )
        # Shown to the user as they are: only what cannot steer a terminal is accepted.
        user_code = displayable_user_code(body.get("user_code"))
        uri = web_url(body.get("verification_uri") or body.get("verification_url"))
        if user_code is None or uri is None:
            what = "user code" if user_code is None else "verification URI (an http or https URL)"
            raise ProviderUnavailable(
                f"{host} answered the device request without a {what} that can be shown; {_UNCHANGED}",
                "Check device_authorization_url in config.toml",
            )
        return DeviceAuthorization(
            Secret(device_code),
            user_code,
            uri,
            device_code_lifetime(body.get("expires_in")),
            poll_interval(body.get("interval")),
            web_url(body.get("verification_uri_complete")),
        )

    def poll_device_token(self, endpoint: TokenEndpoint, device_code: Secret) -> TokenGrant | DevicePoll:
        fields = {
            "grant_type": DEVICE_GRANT,
            "device_code": device_code.reveal(),
            **self._client_fields(endpoint),
        }
        try:
            body = self._post(endpoint.url, as_json=False, fields=fields)
        except OAuthErrorResponse as error:
            # GitHub says these with HTTP 200, RFC 8628 servers with 400: both arrive here.
            if error.error in (DevicePoll.PENDING.value, DevicePoll.SLOW_DOWN.value):
                return DevicePoll(error.error)
            raise
        return self._grant(body, _host(endpoint.url))

    def create_api_key(self, url: str, access_token: Secret) -> Secret:
        answer = self._bearer("POST", url, access_token)
        if answer.status in (401, 403):
            raise OAuthErrorResponse("invalid_token", answer.host, status=answer.status)
        key = _token(self._json(answer).get("raw_key"))
        if key is None:
            raise ProviderUnavailable(
                f"{answer.host} answered without a usable API key; nothing was stored", _RETRY_LATER
            )
        return Secret(key)

    def fetch_copilot_token(self, url: str, github_token: Secret) -> ExchangedToken:
        answer = self._bearer("GET", url, github_token)
        if answer.status in (401, 403):
            raise OAuthErrorResponse("bad_credentials", answer.host, status=answer.status)
        body = self._json(answer)
        token = _token(body.get("token"))
        if token is None:
            raise ProviderUnavailable(
                f"{answer.host} answered without a usable Copilot token; {_UNCHANGED}", _RETRY_LATER
            )
        expires_at = unix_seconds(body.get("expires_at"))
        if expires_at is None:
            raise ProviderUnavailable(
                f"{answer.host} answered with a Copilot token whose expires_at is not a time; {_UNCHANGED}",
                _RETRY_LATER,
            )
        endpoints = body.get("endpoints")
        api_url = web_url(endpoints.get("api")) if isinstance(endpoints, dict) else None
        return ExchangedToken(Secret(token), expires_at, api_url)
