"""Use case: `auth status --online` (SPEC section 12), one request per credential that changes nothing.

The request is the provider's model list (the catalog's `models_url`, or below the API host a
credential names: Copilot's `endpoints.api`), sent with the credential as `run` sends it. What
the answer means is data too: the statuses the entry lists in `key_refused_statuses` mean the
key is refused (401 and 403 by default; xAI and Google answer a bad key with 400), a 2xx
means it works, anything else means the check could not be made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from code_mesh.application.run_message import auth_headers
from code_mesh.application.token import UsableToken
from code_mesh.domain.providers import ApiKind, ProviderEntry

SUBSCRIPTION_SKIPPED = "a Claude Pro/Max token, which only Claude Code may use"
NO_CHECK = "the provider's entry names no check (models_url)"


@dataclass(frozen=True)
class ModelListAnswer:
    status: int
    said: str | None = None
    """The provider's own words (safe to show: escaped, short, the credential redacted)."""


class ModelList(Protocol):
    def fetch(self, kind: ApiKind, url: str, headers: Mapping[str, str]) -> ModelListAnswer:
        """GET `url` with `headers`; ProviderUnavailable when no answer could be had."""
        ...


@dataclass(frozen=True)
class OnlineOutcome:
    outcome: str
    """`ok`, `skipped`, or what went wrong, in one line."""
    detail: str | None = None
    refused: bool = False
    failed: bool = False


def models_url(entry: ProviderEntry, token: UsableToken) -> str | None:
    """Where to ask: below the API host the credential names (already allowed by the entry), else
    the entry's `models_url`."""
    if token.api_url and entry.models_url:
        return f"{token.api_url.rstrip('/')}/models"
    return entry.models_url


def check_online(entry: ProviderEntry, token: UsableToken, model_list: ModelList) -> OnlineOutcome:
    url = models_url(entry, token)
    if url is None:
        return OnlineOutcome("skipped", NO_CHECK)
    kind = entry.api or ApiKind.OPENAI_CHAT
    headers = {name: value.reveal() for name, value in entry.headers.items()}
    headers.update(auth_headers(kind, token))
    answer = model_list.fetch(kind, url, headers)
    said = f": {answer.said}" if answer.said else ""
    if 200 <= answer.status < 300:
        return OnlineOutcome("ok")
    if answer.status in entry.key_refused_statuses:
        return OnlineOutcome(f"refused (HTTP {answer.status}{said})", refused=True)
    return OnlineOutcome(f"failed (HTTP {answer.status}{said})", failed=True)
