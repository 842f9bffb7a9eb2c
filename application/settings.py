"""Settings from config.toml (SPEC section 6), as the use cases see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import BUILTIN_PROVIDERS, CustomProvider
from code_mesh.domain.secret import Secret


@dataclass(frozen=True)
class ProviderSettings:
    """One `[providers.ID]` section; None means "use the built-in default"."""

    name: str | None = None
    authorize_url: str | None = None
    max_authorize_url: str | None = None
    console_authorize_url: str | None = None
    device_authorization_url: str | None = None
    device_code_url: str | None = None
    token_url: str | None = None
    create_api_key_url: str | None = None
    copilot_token_url: str | None = None
    api_base_url: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    scopes: tuple[str, ...] | None = None
    api: str | None = None
    default_model: str | None = None

    def as_custom_provider(self) -> CustomProvider:
        return CustomProvider(
            name=self.name,
            has_authorization_code=bool(self.authorize_url and self.token_url),
            has_device_flow=bool(self.device_authorization_url and self.token_url),
        )


@dataclass(frozen=True)
class Settings:
    default_provider: str | None = None
    providers: Mapping[str, ProviderSettings] = field(default_factory=dict)
    source: str | None = None
    """The file these came from, for messages."""
    store_url: Secret | None = None
    """`[store] url`: a team store (SPEC section 13); a secret, since it may hold a password."""
    audit_reads: bool | None = None
    """`[audit] reads`; None: the store's default."""

    def provider(self, provider: ProviderId) -> ProviderSettings:
        return self.providers.get(provider, ProviderSettings())

    def custom_provider(self, provider: ProviderId) -> CustomProvider | None:
        if provider in BUILTIN_PROVIDERS or provider not in self.providers:
            return None
        return self.providers[provider].as_custom_provider()

    def configured_custom_providers(self) -> list[ProviderId]:
        return [ProviderId(p) for p in self.providers if p not in BUILTIN_PROVIDERS]
