"""What code-mesh knows of one provider, as one frozen value, and the rules that read it.

The facts themselves (hosts, client ids, variables, models, headers) are data: the
provider catalog shipped in the package and the user's config.toml (SPEC sections 6 and
9), read by one reader in adapters/files/provider_table.py. This module holds only what
those facts mean: the login methods and which keys each needs, how a catalog table and a
config.toml table make one entry (config.toml wins key by key), which hosts a URL stored
with a credential may name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from code_mesh.domain.errors import CommandLineError
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.provider_facts import (
    CLAUDE_MAX_METHOD,
    ExecVariables,
    first_variable_set,
    holds_subscription_token,
)
from code_mesh.domain.provider_facts import (
    MAIN_PROVIDERS as MAIN_PROVIDERS,  # re-exported: most callers know it from here
)
from code_mesh.domain.secret import Secret

API_KEY_METHOD = "api-key"
OAUTH_METHOD = "oauth"
"""Authorization code with PKCE and a loopback redirect (RFC 8252)."""
DEVICE_METHOD = "device"
"""The device flow (RFC 8628), then a token exchange when the entry names `copilot_token_url`."""
CONSOLE_METHOD = "console"
"""The same flow, then the OAuth token buys an API key, which is stored instead."""
METHODS = (CONSOLE_METHOD, CLAUDE_MAX_METHOD, API_KEY_METHOD, DEVICE_METHOD, OAUTH_METHOD)


REPLY_LENGTH_FIELDS = ("max_tokens", "max_completion_tokens")
TOKEN_BODIES = ("form", "json")
"""RFC 6749's form-encoded token requests, or a JSON body (Anthropic)."""

URL_KEYS = (
    "api_base_url",
    "models_url",
    "authorize_url",
    "max_authorize_url",
    "console_authorize_url",
    "redirect_uri",
    "token_url",
    "create_api_key_url",
    "device_authorization_url",
    "copilot_token_url",
)
MERGED_TABLES = ("headers", "authorize_params", "exec", "sources")
"""Keys whose value is a table: config.toml overrides them entry by entry, not as a whole."""


class ApiKind(StrEnum):
    """The chat wire formats `run` speaks (SPEC section 7)."""

    ANTHROPIC_MESSAGES = "anthropic-messages"
    OPENAI_CHAT = "openai-chat"


@dataclass(frozen=True)
class Source:
    """Where an outside-world fact was read, and when."""

    url: str
    checked: str
    """An ISO date."""
    note: str | None = None


@dataclass(frozen=True)
class ProviderEntry:
    """One provider: its catalog entry with config.toml's keys laid over it, or a custom provider."""

    id: ProviderId
    name: str
    methods: tuple[str, ...] = (API_KEY_METHOD,)
    env: tuple[str, ...] = ()
    """Variables that hold this provider's key; the first one set wins (SPEC section 2)."""
    in_catalog: bool = False
    api: ApiKind | None = None
    api_base_url: str | None = None
    default_model: str | None = None
    reply_length_field: str = "max_tokens"
    models_url: str | None = None
    """What `auth status --online` asks to verify a credential: a request that changes nothing."""
    key_refused_statuses: tuple[int, ...] = (401, 403)
    """The HTTP statuses of that request that mean "this key is refused" (xAI and Google say 400)."""
    client_id: str | None = None
    client_secret: Secret | None = None
    scopes: tuple[str, ...] | None = None
    authorize_url: str | None = None
    max_authorize_url: str | None = None
    console_authorize_url: str | None = None
    redirect_uri: str | None = None
    token_url: str | None = None
    create_api_key_url: str | None = None
    device_authorization_url: str | None = None
    copilot_token_url: str | None = None
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    token_body: str = "form"
    setup_token_lifetime_days: int | None = None
    allowed_hosts: tuple[str, ...] = ()
    """Host patterns (`*.githubcopilot.com`) a URL in a credential's metadata may name."""
    login_notice: str | None = None
    """Said in one line before an OAuth login starts."""
    headers: Mapping[str, Secret] = field(default_factory=dict)
    """Sent with every `run` request; values are secrets when config.toml gives them (SPEC section 1)."""
    exec: ExecVariables = field(default_factory=ExecVariables)
    sources: Mapping[str, Source] = field(default_factory=dict)
    configured_hosts: frozenset[str] = frozenset()
    """Hosts of the URLs config.toml gives for this provider: a user's own choice, so allowed too."""

    @property
    def default_method(self) -> str:
        return self.methods[0]

    def accepts_api_key(self) -> bool:
        return API_KEY_METHOD in self.methods

    def requested_method(self, method: str | None, with_key: bool) -> str | None:
        """The method the command line asks for (`--with-key` means api-key), or None when it
        asks for none; CommandLineError when it does not apply to this provider."""
        if with_key and method == CLAUDE_MAX_METHOD and self.takes_setup_token():
            return CLAUDE_MAX_METHOD  # a `claude setup-token` token on standard input (SPEC section 10)
        if with_key:
            if not self.accepts_api_key():
                raise CommandLineError(
                    f"{self.id} does not take an API key (--with-key)",
                    f"Run `code-mesh auth login {self.id}` to use {self.default_method}",
                )
            if method not in (None, API_KEY_METHOD):
                with_claude_max = " or claude-max" if self.takes_setup_token() else ""
                raise CommandLineError(f"--with-key goes with --method api-key{with_claude_max} only")
            return API_KEY_METHOD
        if method is not None and method not in self.methods:
            raise CommandLineError(
                f"{self.id} has no login method {method!r}", f"Use one of: {', '.join(self.methods)}"
            )
        return method

    def takes_setup_token(self) -> bool:
        """Whether `--method claude-max --with-key` stores a long-lived `claude setup-token` token."""
        return CLAUDE_MAX_METHOD in self.methods and self.setup_token_lifetime_days is not None

    def variable_set(self, environ: Mapping[str, str]) -> str | None:
        """The first of this provider's variables that is set (not empty), or None."""
        return first_variable_set(self.env, environ)

    def holds_subscription_token(self, credential_type: str) -> bool:
        """An OAuth credential of a provider with the claude-max method is a subscription token,
        which Anthropic allows only in Claude Code (SPEC section 5): `run` never sends one."""
        return holds_subscription_token(self.methods, credential_type)

    def allows_url(self, url: str) -> bool:
        """Whether a URL someone else gave (a credential's `api_url` or `enterprise_url`) may be
        used: its host matches `allowed_hosts` or is one config.toml names, over https (http only
        to a loopback host). A bare host name (opencode's `enterpriseUrl`) is judged by its host."""
        text = url if "://" in url else f"https://{url}"
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        if not host or parts.scheme.lower() not in ("https", "http"):
            return False
        if parts.scheme.lower() == "http" and not _is_loopback(host):
            return False
        return host in self.configured_hosts or any(_host_matches(host, p) for p in self.allowed_hosts)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only when a URL is judged: a few ms that start-up need not pay

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_matches(host: str, pattern: str) -> bool:
    """`*.example.com` matches any host below example.com (not example.com itself); other
    patterns match exactly. Case does not matter."""
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def merged_values(catalog: Mapping[str, Any] | None, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The catalog's keys with config.toml's laid over them, key by key; a table (headers,
    exec, …) entry by entry. A header config.toml sets replaces the catalog's of the same name
    in any case, and one it sets to "" is not sent at all."""
    values = dict(catalog or {})
    for key, value in (config or {}).items():
        if key in MERGED_TABLES and isinstance(value, Mapping):
            base = dict(values.get(key) or {})
            if key == "headers":
                names = {name.lower() for name in value}
                base = {name: v for name, v in base.items() if name.lower() not in names}
            base.update(value)
            values[key] = base
        else:
            values[key] = value
    if "headers" in values:
        values["headers"] = {n: v for n, v in values["headers"].items() if _reveal(v)}
    return values


def _reveal(value: object) -> str:
    return value.reveal() if isinstance(value, Secret) else str(value)


def derived_methods(values: Mapping[str, Any]) -> tuple[str, ...]:
    """A custom provider's methods (SPEC section 2): `oauth` with an authorize URL, `device`
    with a device authorization URL (each with a token URL), and always `api-key`."""
    has_token_url = bool(values.get("token_url"))
    return (
        *((OAUTH_METHOD,) if values.get("authorize_url") and has_token_url else ()),
        *((DEVICE_METHOD,) if values.get("device_authorization_url") and has_token_url else ()),
        API_KEY_METHOD,
    )


def _models_url_at(api_base_url: str, api: str | None) -> str:
    """The model list below an API base (SPEC section 6): `{base}/v1/models` for the Anthropic
    SDK's base (the host), `{base}/models` for the OpenAI SDK's (version included)."""
    base = api_base_url.rstrip("/")
    return f"{base}/v1/models" if api == ApiKind.ANTHROPIC_MESSAGES else f"{base}/models"


def provider_entry(
    provider: ProviderId, catalog: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None
) -> ProviderEntry:
    """The entry for `provider` from its catalog table and its config.toml table (either may be
    missing; with neither it is a custom provider that takes an API key). The tables hold
    values already checked by the reader: strings, tuples, Secrets and tables of them."""
    values = merged_values(catalog, config)
    values.pop("id", None)
    name = values.pop("name", None) or str(provider)
    methods = values.pop("methods", None) or derived_methods(values)
    api = values.pop("api", None)
    exec_values = values.pop("exec", None) or {}
    sources = values.pop("sources", None) or {}
    moved_to = (config or {}).get("api_base_url")
    if moved_to and values.get("models_url") and not (config or {}).get("models_url"):
        # The user moved the API (a proxy, a gateway): the check follows it, not the catalog's host.
        values["models_url"] = _models_url_at(str(moved_to), api)
    configured_hosts = frozenset(
        host.lower()
        for key in URL_KEYS
        if (config or {}).get(key) and (host := host_of(config[key])) is not None
    )
    return ProviderEntry(
        id=provider,
        name=name,
        methods=tuple(methods),
        in_catalog=catalog is not None,
        api=ApiKind(api) if api else None,
        exec=ExecVariables(**exec_values),
        sources={key: Source(**source) for key, source in sources.items()},
        configured_hosts=configured_hosts,
        **values,
    )
