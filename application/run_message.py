"""Use case: send one message to a provider with the resolved credential and stream the reply.

A 401 on an OAuth credential triggers one refresh and one retry; a 429 is retried
once when the provider asks for at most 10 seconds. Text is handed to `show` as it
arrives, so the user sees the reply grow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from code_mesh.application.provider_registry import ChatTarget
from code_mesh.application.token import UsableToken
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.providers import ApiKind

RETRY_AFTER_LIMIT_SECONDS = 10.0


@dataclass(frozen=True)
class ChatRequest:
    model: str
    message: str
    system: str | None = None
    max_tokens: int = 1024


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    counts: Mapping[str, int]


ChatEvent = TextDelta | Usage


class Unauthorized(Exception):
    """The API refused the credential (HTTP 401) before any text arrived; `said` is the
    provider's own message, already made safe to show (escaped, short, secrets redacted)."""

    def __init__(self, said: str | None = None) -> None:
        super().__init__("unauthorized")
        self.said = said


class RateLimited(Exception):
    """HTTP 429; `retry_after` is what the provider asked for, in seconds (finite, not negative),
    if it said so in a usable way; `said` as for Unauthorized."""

    def __init__(self, retry_after: float | None, said: str | None = None) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after
        self.said = said


class StreamCut(Exception):
    """The stream ended before the API's final event."""


class ChatClient(Protocol):
    """One streamed request; raises Unauthorized, RateLimited, StreamCut or ProviderUnavailable."""

    def stream(
        self, target: ChatTarget, headers: Mapping[str, str], request: ChatRequest
    ) -> Iterator[ChatEvent]: ...


@dataclass
class ChatReply:
    provider: str
    model: str
    text: str = ""
    usage: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"provider": self.provider, "model": self.model, "text": self.text, "usage": self.usage}


def auth_headers(kind: ApiKind, token: UsableToken) -> dict[str, str]:
    """SPEC section 7: how a credential goes on the wire, per API: an API key of the Messages API
    in x-api-key, any other secret (an OAuth token of a custom provider too) as a bearer token."""
    secret = token.secret.reveal()
    if kind is ApiKind.ANTHROPIC_MESSAGES and token.type != "oauth":
        return {"x-api-key": secret}
    return {"Authorization": f"Bearer {secret}"}


def _said(text: str | None) -> str:
    return f": {text}" if text else ""


def run_message(
    client: ChatClient,
    target: ChatTarget,
    request: ChatRequest,
    token: UsableToken,
    *,
    refresh: Callable[[], UsableToken] | None,
    show: Callable[[str], None],
    sleep: Callable[[float], None],
    login_hint: str,
) -> ChatReply:
    """Stream the reply to `show`; `refresh` (None for credentials that cannot be refreshed)
    gets a new token after a 401."""
    reply = ChatReply(target.provider, request.model)
    refreshed = rate_limited = False
    while True:
        try:
            # The host the credential names (Copilot's endpoints.api) beats api_base_url.
            aimed = replace(target, base_url=token.api_url) if token.api_url else target
            for event in client.stream(aimed, auth_headers(target.kind, token), request):
                if isinstance(event, TextDelta):
                    reply.text += event.text
                    show(event.text)
                else:
                    reply.usage.update(event.counts)
            return reply
        except Unauthorized as refusal:
            if refresh is not None and not refreshed and token.type == "oauth":
                refreshed = True
                token = refresh()
                continue
            raise CodeMeshError(
                f"{target.provider} rejected the credential (HTTP 401{_said(refusal.said)})",
                f"Log in again: `{login_hint}`",
            ) from None
        except RateLimited as limit:
            wait = limit.retry_after
            if not rate_limited and wait is not None and wait <= RETRY_AFTER_LIMIT_SECONDS:
                rate_limited = True
                sleep(wait)
                continue
            advice = (
                f"Wait {math.ceil(wait)} s and try again"
                if wait is not None
                else "Wait a little and try again"
            )
            raise CodeMeshError(
                f"{target.provider} is rate limiting requests (HTTP 429{_said(limit.said)})", advice
            ) from None
        except StreamCut:
            raise CodeMeshError(
                f"The reply from {target.provider} was cut off part-way; what arrived is above",
                "Run the command again",
            ) from None
