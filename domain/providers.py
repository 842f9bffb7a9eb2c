"""The providers code-mesh knows by name, and what any other provider id means."""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.domain.errors import CommandLineError
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.rules import ENVIRONMENT_VARIABLES

API_KEY_METHOD = "api-key"
OAUTH_METHOD = "oauth"
DEVICE_METHOD = "device"
CLAUDE_MAX_METHOD = "claude-max"
CONSOLE_METHOD = "console"


@dataclass(frozen=True)
class CustomProvider:
    """What config.toml says of a provider code-mesh does not know by name."""

    name: str | None = None
    has_authorization_code: bool = False
    has_device_flow: bool = False


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

    def requested_method(self, method: str | None, with_key: bool) -> str | None:
        """The method the command line asks for (`--with-key` means api-key), or None when it
        asks for none; CommandLineError when it does not apply to this provider."""
        if with_key:
            if not self.accepts_api_key():
                raise CommandLineError(
                    f"{self.id} does not take an API key (--with-key)",
                    f"Run `code-mesh auth login {self.id}` to use {self.default_method}",
                )
            if method not in (None, API_KEY_METHOD):
                raise CommandLineError("--with-key goes with --method api-key only")
            return API_KEY_METHOD
        if method is not None and method not in self.methods:
            raise CommandLineError(
                f"{self.id} has no login method {method!r}", f"Use one of: {', '.join(self.methods)}"
            )
        return method


BUILTIN_PROVIDERS: dict[str, ProviderProfile] = {
    profile.id: profile
    for profile in (
        ProviderProfile(
            ProviderId("anthropic"),
            "Anthropic (Claude)",
            ENVIRONMENT_VARIABLES["anthropic"],
            (CLAUDE_MAX_METHOD, CONSOLE_METHOD, API_KEY_METHOD),
        ),
        ProviderProfile(ProviderId("openai"), "OpenAI", ENVIRONMENT_VARIABLES["openai"], (API_KEY_METHOD,)),
        ProviderProfile(ProviderId("github-copilot"), "GitHub Copilot", None, (DEVICE_METHOD,)),
    )
}


def profile_for(provider: ProviderId, custom: CustomProvider | None = None) -> ProviderProfile:
    """The built-in profile, or a custom one: OAuth methods when configured, always an API key."""
    builtin = BUILTIN_PROVIDERS.get(provider)
    if builtin is not None:
        return builtin
    custom = custom or CustomProvider()
    methods = (
        *((OAUTH_METHOD,) if custom.has_authorization_code else ()),
        *((DEVICE_METHOD,) if custom.has_device_flow else ()),
        API_KEY_METHOD,
    )
    return ProviderProfile(provider, custom.name or str(provider), None, methods, builtin=False)
