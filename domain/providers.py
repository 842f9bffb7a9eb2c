"""The providers code-mesh knows by name, and what any other provider id means."""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.rules import ENVIRONMENT_VARIABLES

API_KEY_METHOD = "api-key"


@dataclass(frozen=True)
class ProviderProfile:
    """What the user sees of a provider and how they can log in to it."""

    id: ProviderId
    name: str
    env_var: str | None
    methods: tuple[str, ...]
    builtin: bool = True

    @property
    def default_method(self) -> str:
        return self.methods[0]

    def accepts_api_key(self) -> bool:
        return API_KEY_METHOD in self.methods


BUILTIN_PROVIDERS: dict[str, ProviderProfile] = {
    profile.id: profile
    for profile in (
        ProviderProfile(
            ProviderId("anthropic"),
            "Anthropic (Claude)",
            ENVIRONMENT_VARIABLES["anthropic"],
            ("claude-max", "console", API_KEY_METHOD),
        ),
        ProviderProfile(ProviderId("openai"), "OpenAI", ENVIRONMENT_VARIABLES["openai"], (API_KEY_METHOD,)),
        ProviderProfile(ProviderId("github-copilot"), "GitHub Copilot", None, ("device",)),
    )
}


def profile_for(provider: ProviderId) -> ProviderProfile:
    """The built-in profile, or a custom provider that takes an API key."""
    builtin = BUILTIN_PROVIDERS.get(provider)
    if builtin is not None:
        return builtin
    return ProviderProfile(provider, str(provider), None, (API_KEY_METHOD,), builtin=False)
