"""The ModelList port over httpx: one GET of a provider's model list, bounded like every exchange.

Only the status and the provider's own words matter (application/online_check.py decides what
they mean); the body is read up to 64 KiB and never kept. Bounded by CODE_MESH_HTTP_TIMEOUT in
total (http_exchange.within_deadline), like an OAuth exchange.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from code_mesh.adapters.debug_log import http_hooks
from code_mesh.adapters.providers.chat_http import ANTHROPIC_VERSION, ERROR_BODY_LIMIT, provider_message
from code_mesh.adapters.providers.http_exchange import (
    ACCEPT_ENCODING,
    AnswerRefused,
    ExchangeTimedOut,
    read_capped,
    within_deadline,
)
from code_mesh.adapters.providers.oauth_http import PROXY_ADVICE, USER_AGENT
from code_mesh.application.online_check import ModelListAnswer
from code_mesh.domain.errors import ProviderUnavailable
from code_mesh.domain.providers import ApiKind

_CREDENTIAL_HEADERS = ("authorization", "x-api-key")


class HttpModelList:
    def __init__(self, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
            event_hooks=http_hooks("status"),
            trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, as every request to a provider
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def fetch(self, kind: ApiKind, url: str, headers: Mapping[str, str]) -> ModelListAnswer:
        host = urlsplit(url).netloc or url
        sent = {"Accept": "application/json"}
        if kind is ApiKind.ANTHROPIC_MESSAGES:
            sent["anthropic-version"] = ANTHROPIC_VERSION
        sent.update(headers)
        secrets = [value for name, value in sent.items() if name.lower() in _CREDENTIAL_HEADERS]
        secrets += [value.partition(" ")[2] for value in secrets if " " in value]

        def exchange() -> ModelListAnswer:
            with self._client.stream("GET", url, headers=sent) as response:
                if 200 <= response.status_code < 300:
                    return ModelListAnswer(response.status_code)
                try:
                    body = read_capped(response, ERROR_BODY_LIMIT, truncate=True)
                except AnswerRefused:
                    body = b""
                return ModelListAnswer(response.status_code, provider_message(body, secrets))

        try:
            return within_deadline(self._timeout, exchange)
        except ExchangeTimedOut:
            raise ProviderUnavailable(
                f"{host} did not answer within {self._timeout:g} s", "Try again later"
            ) from None
        except httpx.ProxyError:
            raise ProviderUnavailable(f"The proxy refused the connection to {host}", PROXY_ADVICE) from None
        except httpx.ConnectError:
            raise ProviderUnavailable(
                f"Cannot connect to {host}", "Check your network connection and try again"
            ) from None
        except httpx.TimeoutException:
            raise ProviderUnavailable(
                f"{host} did not answer within {self._timeout:g} s", "Try again later"
            ) from None
        except AnswerRefused as refused:
            raise ProviderUnavailable(f"{host} {refused.reason}", "Check models_url in config.toml") from None
        except httpx.InvalidURL:
            raise ProviderUnavailable(
                f"The URL of {host} cannot be used", "Check models_url in config.toml"
            ) from None
        except httpx.HTTPError as error:
            raise ProviderUnavailable(
                f"The request to {host} failed ({type(error).__name__})", "Try again later"
            ) from None
