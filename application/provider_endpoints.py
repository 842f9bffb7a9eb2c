"""What each OAuth mechanism needs of a provider entry (SPEC section 5), or why it cannot run.

No provider's URL is written here: they come from the catalog and config.toml. A key
a mechanism needs and the entry lacks is an error that says where to add it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from code_mesh.application.ports import TokenEndpoint
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.providers import CLAUDE_MAX_METHOD, ProviderEntry


def _required(entry: ProviderEntry, where: str | None, what: str, *keys: str) -> list[str]:
    values = [getattr(entry, key) for key in keys]
    missing = [key for key, value in zip(keys, values, strict=True) if not value]
    if missing:
        source = where or "config.toml"
        raise CodeMeshError(
            f"{entry.id} has no {' and '.join(missing)} in {source}, so it cannot use {what}",
            f"Add {'them' if len(missing) > 1 else 'it'} under [providers.{entry.id}] in {source}",
        )
    return values


def token_endpoint(entry: ProviderEntry, where: str | None) -> TokenEndpoint:
    """The token endpoint for exchanges and refreshes: RFC 6749 form, or JSON when the entry says."""
    url, client_id = _required(entry, where, "OAuth", "token_url", "client_id")
    return TokenEndpoint(url, client_id, entry.client_secret, json_body=entry.token_body == "json")


def _scope(entry: ProviderEntry) -> str | None:
    return " ".join(entry.scopes) if entry.scopes else None


@dataclass(frozen=True)
class PastedCodeEndpoints:
    """Authorization code + PKCE where the provider's page shows CODE#STATE to paste."""

    authorize_url: str
    redirect_uri: str
    token: TokenEndpoint
    scope: str | None
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    create_api_key_url: str | None = None
    """When set, the OAuth token buys an API key here, and the key is stored instead."""


def pasted_code_endpoints(entry: ProviderEntry, method: str, where: str | None) -> PastedCodeEndpoints:
    """claude-max authorizes at `max_authorize_url`; console at `console_authorize_url`, then
    creates an API key at `create_api_key_url`."""
    if method == CLAUDE_MAX_METHOD:
        (authorize_url, redirect_uri) = _required(entry, where, method, "max_authorize_url", "redirect_uri")
        create_api_key_url = None
    else:
        authorize_url, redirect_uri, create_api_key_url = _required(
            entry, where, method, "console_authorize_url", "redirect_uri", "create_api_key_url"
        )
    return PastedCodeEndpoints(
        authorize_url,
        redirect_uri,
        token_endpoint(entry, where),
        _scope(entry),
        dict(entry.authorize_params),
        create_api_key_url,
    )


@dataclass(frozen=True)
class DeviceEndpoints:
    """The device flow (RFC 8628); with `exchange_url`, its token buys the token used (Copilot)."""

    device_authorization_url: str
    token: TokenEndpoint
    scope: str | None
    exchange_url: str | None = None


def device_endpoints(entry: ProviderEntry, where: str | None) -> DeviceEndpoints:
    (url,) = _required(entry, where, "the device flow", "device_authorization_url")
    return DeviceEndpoints(url, token_endpoint(entry, where), _scope(entry), entry.copilot_token_url)


@dataclass(frozen=True)
class BrowserEndpoints:
    """Authorization code + PKCE with a loopback redirect (RFC 8252)."""

    authorize_url: str
    token: TokenEndpoint
    scope: str | None


def browser_endpoints(entry: ProviderEntry, where: str | None) -> BrowserEndpoints:
    (url,) = _required(entry, where, "a browser login", "authorize_url")
    return BrowserEndpoints(url, token_endpoint(entry, where), _scope(entry))
