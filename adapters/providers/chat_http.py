"""The ChatClient port over httpx and server-sent events (httpx-sse).

Knows the wire formats of SPEC section 7: Anthropic Messages (`event:` lines,
message_start … message_stop) and OpenAI-style chat completions (`data:` chunks
ending with `[DONE]`), which GitHub Copilot speaks too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource

from code_mesh.adapters.debug_log import http_hooks
from code_mesh.adapters.providers.oauth_http import USER_AGENT
from code_mesh.application.provider_registry import ChatApiKind, ChatTarget
from code_mesh.application.run_message import (
    ChatEvent,
    ChatRequest,
    RateLimited,
    StreamCut,
    TextDelta,
    Unauthorized,
    Usage,
)
from code_mesh.domain.errors import ProviderUnavailable

ANTHROPIC_VERSION = "2023-06-01"


def _endpoint(target: ChatTarget) -> str:
    if target.kind is ChatApiKind.ANTHROPIC_MESSAGES:
        return f"{target.base_url}/v1/messages"
    if target.kind is ChatApiKind.OPENAI_CHAT:
        return f"{target.base_url}/v1/chat/completions"
    return f"{target.base_url}/chat/completions"


def _body(target: ChatTarget, request: ChatRequest) -> dict[str, Any]:
    if target.kind is ChatApiKind.ANTHROPIC_MESSAGES:
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.message}],
            "stream": True,
        }
        if request.system:
            body["system"] = request.system
        return body
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages.append({"role": "user", "content": request.message})
    return {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class HttpChatClient:
    def __init__(self, timeout: float = 60.0, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, read=timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            event_hooks=http_hooks("chat"),
        )

    def stream(
        self, target: ChatTarget, headers: Mapping[str, str], request: ChatRequest
    ) -> Iterator[ChatEvent]:
        url = _endpoint(target)
        host = urlsplit(url).netloc
        sent_headers = {"Accept": "text/event-stream", **headers}
        if target.kind is ChatApiKind.ANTHROPIC_MESSAGES:
            sent_headers["anthropic-version"] = ANTHROPIC_VERSION
        try:
            with self._client.stream(
                "POST", url, json=_body(target, request), headers=sent_headers
            ) as response:
                self._check(response, host)
                events = EventSource(response).iter_sse()
                if target.kind is ChatApiKind.ANTHROPIC_MESSAGES:
                    yield from self._anthropic(events, host)
                else:
                    yield from self._openai(events, host)
        except httpx.ConnectError:
            raise ProviderUnavailable(
                f"Cannot connect to {host}", "Check your network connection and try again"
            ) from None
        except httpx.TimeoutException:
            raise ProviderUnavailable(
                f"{host} did not answer within {self._timeout:g} s", "Try again later"
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            raise StreamCut from None

    @staticmethod
    def _check(response: httpx.Response, host: str) -> None:
        status = response.status_code
        if status == 200:
            return
        response.read()
        if status == 401:
            raise Unauthorized
        if status == 429:
            raise RateLimited(_retry_after(response))
        raise ProviderUnavailable(
            f"{host} answered HTTP {status}" + ("; the provider has a problem" if status >= 500 else ""),
            "Try again later" if status >= 500 else "Check the model name and options",
        )

    @staticmethod
    def _json(data: str, host: str) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except ValueError:
            raise ProviderUnavailable(f"{host} sent an event that is not JSON", "Try again later") from None
        return value if isinstance(value, dict) else {}

    def _anthropic(self, events: Iterator[Any], host: str) -> Iterator[ChatEvent]:
        for event in events:
            if event.event == "ping":
                continue
            data = self._json(event.data, host) if event.data else {}
            if event.event == "message_start":
                usage = data.get("message", {}).get("usage", {})
                yield Usage({k: v for k, v in usage.items() if isinstance(v, int)})
            elif event.event == "content_block_delta":
                delta = data.get("delta", {})
                if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
                    yield TextDelta(delta["text"])
            elif event.event == "message_delta":
                usage = data.get("usage", {})
                yield Usage({k: v for k, v in usage.items() if isinstance(v, int)})
            elif event.event == "error":
                message = data.get("error", {}).get("type", "error")
                raise ProviderUnavailable(
                    f"{host} reported an error mid-reply ({message})", "Try again later"
                )
            elif event.event == "message_stop":
                return
        raise StreamCut

    def _openai(self, events: Iterator[Any], host: str) -> Iterator[ChatEvent]:
        for event in events:
            if event.data.strip() == "[DONE]":
                return
            data = self._json(event.data, host)
            for choice in data.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if isinstance(content, str) and content:
                    yield TextDelta(content)
            usage = data.get("usage")
            if isinstance(usage, dict):
                yield Usage({k: v for k, v in usage.items() if isinstance(v, int)})
        raise StreamCut
