"""Which API each provider speaks for `run`, where, with which model and headers (SPEC section 7).

All of it comes from the provider's entry (catalog and config.toml); a provider of one's
own declares `api`, `api_base_url` and `default_model` in config.toml, so any OpenAI- or
Anthropic-compatible endpoint works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from code_mesh.application.settings import Settings
from code_mesh.domain.credentials import CredentialSummary, OAuthToken, Status, StoredCredential
from code_mesh.domain.errors import CodeMeshError, NotLoggedIn
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import ApiKind, ProviderEntry
from code_mesh.domain.secret import Secret


@dataclass(frozen=True)
class ChatTarget:
    """Where and how to send a message for one provider."""

    provider: ProviderId
    kind: ApiKind
    base_url: str
    """`api_base_url` as SPEC section 6 defines it: the OpenAI SDK's base_url (with /v1) for
    openai-chat, the host for anthropic-messages."""
    default_model: str
    reply_length_field: str = "max_tokens"
    headers: Mapping[str, Secret] = field(default_factory=dict)
    """The entry's request headers (Copilot's editor headers; config.toml's own)."""


def chat_target(entry: ProviderEntry, where: str | None) -> ChatTarget:
    source = where or "config.toml"
    if entry.api is None or not entry.api_base_url:
        raise CodeMeshError(
            f"code-mesh does not know which API {entry.id} speaks",
            f'Add api = "openai-chat" (or "anthropic-messages") and api_base_url under '
            f"[providers.{entry.id}] in {source}",
        )
    if not entry.default_model:
        raise CodeMeshError(
            f"{entry.id} has no default model", f"Pass --model, or set default_model in {source}"
        )
    return ChatTarget(
        entry.id,
        entry.api,
        entry.api_base_url.rstrip("/"),
        entry.default_model,
        entry.reply_length_field,
        dict(entry.headers),
    )


def stored_api_url(entry: ProviderEntry, stored: StoredCredential | None) -> tuple[str | None, str | None]:
    """The API base a stored credential names (Copilot's `endpoints.api`), which beats the
    entry's `api_base_url` (SPEC section 9), when the entry allows its host; else None, and the
    URL that was not allowed (for a warning)."""
    credential = stored.credential if stored is not None else None
    if not isinstance(credential, OAuthToken) or not credential.api_url:
        return None, None
    if entry.allows_url(credential.api_url):
        return credential.api_url.rstrip("/"), None
    return None, credential.api_url


def subscription_token_refused(entry: ProviderEntry, account: str | None) -> CodeMeshError:
    """SPEC section 7: a claude-max token goes only to Claude Code, never to the Messages API."""
    named = f" --account {account}" if account and account != "default" else ""
    return CodeMeshError(
        f"The {entry.id} credential{f' (account {account})' if account else ''} is a Claude Pro/Max "
        "subscription token, which Anthropic allows only in Claude Code, so `run` does not send it",
        f"Use it in Claude Code with `code-mesh exec --provider {entry.id} -- claude -p MESSAGE`, or log in "
        f"with `code-mesh auth login {entry.id} --method console{named}` (or an API key) to use `run`",
    )


def runnable_providers(settings: Settings) -> list[ProviderId]:
    """The providers `run` can use, in the order it tries them when none is named: the main
    built-ins, the other catalog providers, then config.toml's own that declare `api`."""
    catalog = [p for p in settings.catalog_ids() if settings.provider(p).api is not None]
    custom = [p for p in settings.configured_custom_providers() if settings.provider(p).api is not None]
    return [*catalog, *custom]


def default_provider(
    settings: Settings, environ: Mapping[str, str], stored: list[CredentialSummary], now: float
) -> ProviderId:
    """config.toml's choice, else the first provider with a usable credential run may send
    (a claude-max subscription token is passed over)."""
    if settings.default_provider:
        return ProviderId(settings.default_provider)
    usable = {
        c.provider: c.type
        for c in stored
        if c.active and c.status(now) in (Status.AUTHENTICATED, Status.EXPIRED)
    }
    for provider in runnable_providers(settings):
        entry = settings.provider(provider)
        if entry.variable_set(environ):
            return provider
        if provider in usable and not entry.holds_subscription_token(usable[provider]):
            return provider
    raise NotLoggedIn(
        "No provider is logged in that `run` can use, so there is nobody to send the message to",
        "Run `code-mesh auth login anthropic --method console` (or openai, github-copilot), "
        "or pass --provider",
    )
