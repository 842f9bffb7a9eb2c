"""Where each provider's OAuth lives: the public defaults of SPEC section 5, overridable in config.toml."""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.application.ports import TokenEndpoint
from code_mesh.application.settings import ProviderSettings
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.identifiers import ProviderId

ANTHROPIC_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
GITHUB_COPILOT_CLIENT_ID = "Iv1.b507a08c87ecfe98"


@dataclass(frozen=True)
class AnthropicEndpoints:
    max_authorize_url: str
    console_authorize_url: str
    token: TokenEndpoint
    create_api_key_url: str
    redirect_uri: str = "https://console.anthropic.com/oauth/code/callback"
    scope: str = "org:create_api_key user:profile user:inference"


def anthropic_endpoints(settings: ProviderSettings) -> AnthropicEndpoints:
    client_id = settings.client_id or ANTHROPIC_CLIENT_ID
    return AnthropicEndpoints(
        max_authorize_url=settings.max_authorize_url or "https://claude.ai/oauth/authorize",
        console_authorize_url=settings.console_authorize_url
        or "https://console.anthropic.com/oauth/authorize",
        token=TokenEndpoint(
            settings.token_url or "https://console.anthropic.com/v1/oauth/token", client_id, json_body=True
        ),
        create_api_key_url=settings.create_api_key_url
        or "https://api.anthropic.com/api/oauth/claude_cli/create_api_key",
    )


@dataclass(frozen=True)
class CopilotEndpoints:
    device_code_url: str
    token: TokenEndpoint
    copilot_token_url: str
    scope: str = "read:user"


def copilot_endpoints(settings: ProviderSettings) -> CopilotEndpoints:
    return CopilotEndpoints(
        device_code_url=settings.device_code_url or "https://github.com/login/device/code",
        token=TokenEndpoint(
            settings.token_url or "https://github.com/login/oauth/access_token",
            settings.client_id or GITHUB_COPILOT_CLIENT_ID,
        ),
        copilot_token_url=settings.copilot_token_url or "https://api.github.com/copilot_internal/v2/token",
    )


@dataclass(frozen=True)
class StandardEndpoints:
    """Any OAuth 2.0 provider described in config.toml (RFC 6749, 7636, 8252, 8628)."""

    token: TokenEndpoint
    authorize_url: str | None
    device_authorization_url: str | None
    scope: str | None


def standard_endpoints(
    provider: ProviderId, settings: ProviderSettings, source: str | None
) -> StandardEndpoints:
    where = source or "config.toml"
    if not settings.token_url or not settings.client_id:
        raise CodeMeshError(
            f"{provider} has no token_url and client_id in {where}, so it cannot use OAuth",
            f"Add them under [providers.{provider}] in {where}",
        )
    return StandardEndpoints(
        token=TokenEndpoint(settings.token_url, settings.client_id, settings.client_secret),
        authorize_url=settings.authorize_url,
        device_authorization_url=settings.device_authorization_url,
        scope=" ".join(settings.scopes) if settings.scopes else None,
    )
