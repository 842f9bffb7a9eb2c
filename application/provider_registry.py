"""The provider registry: which API each provider speaks, where, and with which model by default.

Built-ins come from SPEC section 7; a provider of one's own declares `api` and
`api_base_url` in config.toml, so any OpenAI- or Anthropic-compatible endpoint works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from code_mesh.application.settings import Settings
from code_mesh.domain.credentials import CredentialSummary, Status
from code_mesh.domain.errors import CodeMeshError, NotLoggedIn
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import profile_for


class ChatApiKind(StrEnum):
    ANTHROPIC_MESSAGES = "anthropic-messages"
    OPENAI_CHAT = "openai-chat"
    COPILOT_CHAT = "copilot-chat"


@dataclass(frozen=True)
class ChatTarget:
    """Where and how to send a message for one provider."""

    provider: ProviderId
    kind: ChatApiKind
    base_url: str
    default_model: str


_BUILTIN_TARGETS = {
    "anthropic": (ChatApiKind.ANTHROPIC_MESSAGES, "https://api.anthropic.com", "claude-sonnet-4-5"),
    "openai": (ChatApiKind.OPENAI_CHAT, "https://api.openai.com", "gpt-4o-mini"),
    "github-copilot": (ChatApiKind.COPILOT_CHAT, "https://api.githubcopilot.com", "gpt-4o"),
}

RUN_ORDER = ("anthropic", "openai", "github-copilot")
"""Which provider `run` uses when none is named: the first authenticated, then custom ones."""


def chat_target(provider: ProviderId, settings: Settings) -> ChatTarget:
    configured = settings.provider(provider)
    builtin = _BUILTIN_TARGETS.get(provider)
    if builtin is not None:
        kind, base, model = builtin
        return ChatTarget(
            provider, kind, (configured.api_base_url or base).rstrip("/"), configured.default_model or model
        )
    where = settings.source or "config.toml"
    if not configured.api or not configured.api_base_url:
        raise CodeMeshError(
            f"code-mesh does not know which API {provider} speaks",
            f'Add api = "openai-chat" (or "anthropic-messages") and api_base_url under '
            f"[providers.{provider}] in {where}",
        )
    if not configured.default_model:
        raise CodeMeshError(
            f"{provider} has no default model", f"Pass --model, or set default_model in {where}"
        )
    return ChatTarget(
        provider, ChatApiKind(configured.api), configured.api_base_url.rstrip("/"), configured.default_model
    )


def runnable_providers(settings: Settings) -> list[ProviderId]:
    """The providers `run` can use, in the order it tries them when none is named."""
    custom = [p for p in settings.configured_custom_providers() if settings.provider(p).api]
    return [ProviderId(p) for p in RUN_ORDER] + custom


def default_provider(
    settings: Settings, environ: Mapping[str, str], stored: list[CredentialSummary], now: float
) -> ProviderId:
    """config.toml's choice, else the first provider with a usable credential, in RUN_ORDER."""
    if settings.default_provider:
        return ProviderId(settings.default_provider)
    usable = {
        c.provider for c in stored if c.active and c.status(now) in (Status.AUTHENTICATED, Status.EXPIRED)
    }
    for provider in runnable_providers(settings):
        variable = profile_for(provider).env_var
        if provider in usable or (variable and environ.get(variable)):
            return provider
    raise NotLoggedIn(
        "No provider is logged in, so there is nobody to send the message to",
        "Run `code-mesh auth login anthropic` (or openai, github-copilot), or pass --provider",
    )
