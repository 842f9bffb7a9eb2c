"""The OAuthGateway port over httpx: JSON (Anthropic) or RFC 6749 form requests.

Every failure becomes one of two domain errors with a message fit for the user:
ProviderUnavailable (could not connect, timed out, HTTP 5xx, an answer that is not
JSON) or OAuthErrorResponse (the server's `error` code). Request bodies, tokens and
codes never reach a message: httpx's own exception text is not used.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from code_mesh import __version__
from code_mesh.adapters.debug_log import describe_fields, http_hooks, logger
from code_mesh.application.ports import TokenEndpoint
from code_mesh.domain.errors import OAuthErrorResponse, ProviderUnavailable
from code_mesh.domain.oauth import DeviceAuthorization, DevicePoll, TokenGrant
from code_mesh.domain.secret import Secret

USER_AGENT = f"code-mesh/{__version__} (+https://pypi.org/project/code-mesh/)"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_TIMEOUT_SECONDS = 30.0


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


class HttpOAuthGateway:
    def __init__(
        self, timeout: float = DEFAULT_TIMEOUT_SECONDS, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            event_hooks=http_hooks("oauth"),
        )

    def close(self) -> None:
        self._client.close()

    # -- HTTP with errors made readable -------------------------------------------------

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        host = _host(url)
        try:
            return self._client.request(method, url, **options)
        except httpx.ConnectError:
            raise ProviderUnavailable(
                f"Cannot connect to {host}; nothing was changed",
                "Check your network connection (and any URL in config.toml), then try again",
            ) from None
        except httpx.TimeoutException:
            raise ProviderUnavailable(
                f"{host} did not answer within {self._timeout:g} s; nothing was changed", "Try again later"
            ) from None
        except httpx.HTTPError as error:
            raise ProviderUnavailable(
                f"The request to {host} failed ({type(error).__name__}); nothing was changed",
                "Try again later",
            ) from None

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        host = _host(str(response.request.url))
        status = response.status_code
        if status >= 500:
            raise ProviderUnavailable(
                f"{host} answered with a server error (HTTP {status}); nothing was changed",
                "The provider has a problem; try again later",
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderUnavailable(
                f"{host} answered with something that is not JSON (HTTP {status}); nothing was changed",
                "Check the provider's URL in config.toml, or try again later",
            )
        error = body.get("error")
        if isinstance(error, str) and error:
            raise OAuthErrorResponse(error, host)
        if status >= 400:
            raise OAuthErrorResponse(f"HTTP {status}", host)
        return body

    def _post(
        self, url: str, *, as_json: bool, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"json": fields} if as_json else {"data": fields}
        logger("oauth").debug(
            "POST %s %s body: %s", url, "JSON" if as_json else "form", describe_fields(fields)
        )
        return self._json(self._send("POST", url, headers=headers, **options))

    # -- token responses -------------------------------------------------------------------

    @staticmethod
    def _grant(body: dict[str, Any], host: str) -> TokenGrant:
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ProviderUnavailable(
                f"{host} answered without an access token; nothing was changed", "Try again later"
            )
        refresh = body.get("refresh_token")
        expires_in = body.get("expires_in")
        if isinstance(expires_in, str) and expires_in.replace(".", "", 1).isdigit():
            expires_in = float(expires_in)
        scope = body.get("scope")
        return TokenGrant(
            Secret(access),
            Secret(refresh) if isinstance(refresh, str) and refresh else None,
            float(expires_in)
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else None,
            scope if isinstance(scope, str) else None,
        )

    @staticmethod
    def _client_fields(endpoint: TokenEndpoint) -> dict[str, str]:
        fields = {"client_id": endpoint.client_id}
        if endpoint.client_secret is not None:
            fields["client_secret"] = endpoint.client_secret.reveal()  # client_secret_post (RFC 6749 2.3.1)
        return fields

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
        device_code = body.get("device_code")
        user_code = body.get("user_code")
        uri = body.get("verification_uri") or body.get("verification_url")
        if not (isinstance(device_code, str) and isinstance(user_code, str) and isinstance(uri, str)):
            raise ProviderUnavailable(
                f"{_host(url)} answered the device request without a device code; nothing was changed",
                "Check device_authorization_url in config.toml",
            )
        expires_in = body.get("expires_in")
        interval = body.get("interval")
        complete = body.get("verification_uri_complete")
        return DeviceAuthorization(
            Secret(device_code),
            user_code,
            uri,
            float(expires_in) if isinstance(expires_in, int | float) else 900.0,
            float(interval) if isinstance(interval, int | float) and interval >= 0 else 5.0,
            complete if isinstance(complete, str) else None,
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
        response = self._send("POST", url, headers={"Authorization": f"Bearer {access_token.reveal()}"})
        if response.status_code in (401, 403):
            raise OAuthErrorResponse("invalid_token", _host(url))
        key = self._json(response).get("raw_key")
        if not isinstance(key, str) or not key:
            raise ProviderUnavailable(
                f"{_host(url)} answered without an API key; nothing was stored", "Try again later"
            )
        return Secret(key)

    def fetch_copilot_token(self, url: str, github_token: Secret) -> tuple[Secret, int]:
        response = self._send("GET", url, headers={"Authorization": f"Bearer {github_token.reveal()}"})
        if response.status_code in (401, 403):
            raise OAuthErrorResponse("bad_credentials", _host(url))
        body = self._json(response)
        token = body.get("token")
        expires_at = body.get("expires_at")
        if not isinstance(token, str) or not token or not isinstance(expires_at, int):
            raise ProviderUnavailable(
                f"{_host(url)} answered without a Copilot token; nothing was changed", "Try again later"
            )
        return Secret(token), expires_at
