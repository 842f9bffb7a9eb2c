"""The ChatClient port over httpx and server-sent events.

Knows the wire formats of SPEC section 7: Anthropic Messages (`event:` lines,
message_start … message_stop, at `{api_base_url}/v1/messages`) and OpenAI-style chat
completions (`data:` chunks ending with `[DONE]`, at `{api_base_url}/chat/completions`,
the base being what the OpenAI SDK calls base_url, version included), which GitHub
Copilot and every catalog API-key provider speak too. Which provider wants which reply
length field or extra headers is the target's business (the catalog's), not this module's.

Bounds (issue 9): the request runs on a worker thread and hands each event over a
`Pipe`; the timeout (CODE_MESH_HTTP_TIMEOUT, else 60 s) bounds the wait for the answer
and then for each event (a ping counts: the server is still there), not the whole reply,
which may take minutes. A line or an event of the stream is at most 1 MiB, an error body
is read up to 64 KiB. Whatever the server sends in whatever shape, the outcome is text,
usage, or one of the errors the use case handles; messages from the provider are shown
escaped, at most 200 characters, with the request's credentials redacted.
"""

from __future__ import annotations

import email.utils
import json
import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from code_mesh.adapters.debug_log import http_hooks
from code_mesh.adapters.providers.http_exchange import (
    ACCEPT_ENCODING,
    AnswerRefused,
    ExchangeTimedOut,
    Pipe,
    decoded_chunks,
    read_capped,
    split_lines,
)
from code_mesh.adapters.providers.oauth_http import PROXY_ADVICE, USER_AGENT
from code_mesh.adapters.providers.server_sent_events import ServerSentEvent, parse_events
from code_mesh.application.provider_registry import ChatTarget
from code_mesh.application.run_message import (
    ChatEvent,
    ChatRequest,
    RateLimited,
    StreamCut,
    TextDelta,
    Unauthorized,
    Usage,
)
from code_mesh.domain.errors import CodeMeshError, ProviderUnavailable
from code_mesh.domain.providers import ApiKind
from code_mesh.domain.rules import header_safe
from code_mesh.domain.text import one_line

ANTHROPIC_VERSION = "2023-06-01"
"""The version of the Messages API this reader speaks (the anthropic-version header; the Anthropic
SDK sends the same: github:anthropics/anthropic-sdk-python/src/anthropic/_client.py)."""
DEFAULT_PIECE_TIMEOUT_SECONDS = 60.0
ERROR_BODY_LIMIT = 64 * 1024
MESSAGE_LIMIT = 200
MIN_REDACTED_LENGTH = 8
MAX_RETRY_AFTER_SECONDS = 10**7
"""A retry-after beyond about four months is not advice to wait; it is treated as absent."""
_CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def _endpoint(target: ChatTarget) -> str:
    """SPEC section 6: the Anthropic SDK's base is the host, the OpenAI SDK's includes /v1."""
    if target.kind is ApiKind.ANTHROPIC_MESSAGES:
        return f"{target.base_url}/v1/messages"
    return f"{target.base_url}/chat/completions"


def _body(target: ChatTarget, request: ChatRequest) -> dict[str, Any]:
    if target.kind is ApiKind.ANTHROPIC_MESSAGES:
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
        target.reply_length_field: request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def _seconds(text: str, scale: float = 1.0) -> float | None:
    try:
        value = float(text) / scale
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= MAX_RETRY_AFTER_SECONDS else None


def retry_after(headers: httpx.Headers, now: float) -> float | None:
    """How long a 429 asks to wait, in seconds, or None when it does not say so in a usable way:
    `retry-after-ms` (OpenAI, Anthropic), `retry-after` as seconds or as an HTTP date (RFC 9110).
    A negative, NaN or absurdly large value counts as not said."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None and (wait := _seconds(milliseconds.strip(), 1000.0)) is not None:
        return wait
    value = headers.get("retry-after")
    if value is None:
        return None
    if (wait := _seconds(value.strip())) is not None:
        return wait
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return _seconds(str(max(0.0, when.timestamp() - now)))


def _object(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: a misshapen event adds nothing."""
    return value if isinstance(value, dict) else {}


def _counts(usage: object) -> dict[str, int]:
    return {
        name: count
        for name, count in _object(usage).items()
        if isinstance(count, int) and not isinstance(count, bool) and 0 <= count < 2**63
    }


def _loads(data: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _message_in(value: Any) -> str | None:
    """The provider's own words in a JSON error body, in the shapes the catalog's providers use
    (REPORT quirk 19): `{"error": {"message"}}` (OpenAI, Anthropic, Groq, OpenRouter), `{"error":
    "…"}` (xAI: a string), `[{"error": {…}}]` (Google's compatibility layer: an array),
    `{"detail": "…"}` or `{"message": "…"}` (Mistral), `{"object": "error", "message"}` (vLLM)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return None
    error, detail = value.get("error"), value.get("detail")
    details = detail if isinstance(detail, list) else []
    candidates = [
        _object(error).get("message"),
        value.get("message"),
        error,
        detail,
        *(_object(item).get("msg") for item in details[:1]),
    ]
    return next((c for c in candidates if isinstance(c, str) and c.strip()), None)


def provider_message(body: bytes, secrets: Iterable[str]) -> str | None:
    """The provider's own words in an error body (SPEC section 7): the message of a JSON body
    (`_message_in`), else the first line of a text body (Copilot answers in plain text); made
    safe to show: escaped, at most 200 characters, the request's secrets redacted."""
    text = body.decode("utf-8", errors="replace")
    value = _loads(text)
    if value is None:
        message = next((line for line in text.splitlines() if line.strip()), None)
    else:
        message = _message_in(value)
    return one_line(message, MESSAGE_LIMIT, secrets) if message else None


def _event_error(data: dict[str, Any], secrets: Iterable[str]) -> str:
    """What an `error` inside a stream says: Anthropic's `event: error`, OpenAI's and
    OpenRouter's `{"error": {…}}`, xAI's `{"error": "…"}`, vLLM's `{"object": "error", "message"}`."""
    error = data.get("error")
    fields = _object(error) if error is not None else data
    kind, message = fields.get("type"), fields.get("message")
    if isinstance(error, str):
        kind, message = None, error
    parts = [
        one_line(part, MESSAGE_LIMIT, secrets) for part in (kind, message) if isinstance(part, str) and part
    ]
    return ": ".join(parts) or "no details"


class HttpChatClient:
    def __init__(
        self, timeout: float = DEFAULT_PIECE_TIMEOUT_SECONDS, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
            event_hooks=http_hooks("chat"),
            trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE: users behind corporate proxies
        )

    def stream(
        self, target: ChatTarget, headers: Mapping[str, str], request: ChatRequest
    ) -> Iterator[ChatEvent]:
        url = _endpoint(target)
        host = urlsplit(url).netloc
        sent_headers = {"Accept": "text/event-stream"}
        if target.kind is ApiKind.ANTHROPIC_MESSAGES:
            sent_headers["anthropic-version"] = ANTHROPIC_VERSION
        credential_names = {name.lower() for name in headers}
        extra = {n: v.reveal() for n, v in target.headers.items() if n.lower() not in credential_names}
        sent_headers = {n: v for n, v in sent_headers.items() if n.lower() not in {e.lower() for e in extra}}
        sent_headers.update(extra)  # the entry's headers (config.toml's replace the catalog's)
        sent_headers.update(headers)
        for name, value in sent_headers.items():
            if header_safe(value) != value:  # the use case checks credentials; this is the last guard
                raise CodeMeshError(
                    f"The {name} header for {host} would hold a line break or a control character",
                    "Log in to the provider again",
                )
        secrets = [value for name, value in sent_headers.items() if name.lower() in _CREDENTIAL_HEADERS]
        secrets += [value.partition(" ")[2] for value in secrets if " " in value]
        # Configured header values are secrets too (SPEC section 1); one too short to be a
        # credential ("core") would only mangle the words of a message around it.
        secrets += [value for value in extra.values() if len(value) >= MIN_REDACTED_LENGTH]
        pipe: Pipe[ChatEvent | None] = Pipe(self._timeout)
        worker = threading.Thread(
            target=self._produce,
            args=(pipe, target.kind, url, host, sent_headers, _body(target, request), secrets),
            name="code-mesh-chat",
            daemon=True,
        )
        worker.start()
        answered = text_arrived = False
        try:
            for event in pipe:
                answered = True
                if event is None:
                    continue  # the server is alive (a ping, a start event)
                text_arrived = text_arrived or isinstance(event, TextDelta)
                yield event
        except ExchangeTimedOut:
            wait = f"{self._timeout:g} s"
            if text_arrived:
                what = f"{host} sent nothing for {wait} part-way through the reply; what arrived is above"
            elif answered:
                what = f"{host} sent nothing for {wait} before the reply began"
            else:
                what = f"{host} did not answer within {wait}"
            raise ProviderUnavailable(
                what, "Try again later (CODE_MESH_HTTP_TIMEOUT sets how long to wait)"
            ) from None

    # -- the worker thread -------------------------------------------------------------------

    def _produce(
        self,
        pipe: Pipe[ChatEvent | None],
        kind: ApiKind,
        url: str,
        host: str,
        headers: dict[str, str],
        body: dict[str, Any],
        secrets: list[str],
    ) -> None:
        try:
            with self._client.stream("POST", url, json=body, headers=headers) as response:
                self._check(response, host, secrets)
                events = parse_events(split_lines(decoded_chunks(response)))
                reader = self._anthropic if kind is ApiKind.ANTHROPIC_MESSAGES else self._openai
                for item in reader(events, host, secrets):
                    if not pipe.put(item):
                        return  # the reader has gone (an error, Ctrl-C): stop reading
            pipe.close()
        except httpx.ProxyError:
            pipe.fail(ProviderUnavailable(f"The proxy refused the connection to {host}", PROXY_ADVICE))
        except httpx.ConnectError:
            pipe.fail(
                ProviderUnavailable(
                    f"Cannot connect to {host}", "Check your network connection and try again"
                )
            )
        except httpx.TimeoutException:
            pipe.fail(
                ProviderUnavailable(f"{host} did not answer within {self._timeout:g} s", "Try again later")
            )
        except (httpx.RemoteProtocolError, httpx.ReadError):
            pipe.fail(StreamCut())
        except AnswerRefused as refused:
            pipe.fail(ProviderUnavailable(f"{host} {refused.reason}", "Check api_base_url in config.toml"))
        except httpx.InvalidURL:
            pipe.fail(
                ProviderUnavailable(f"The URL of {host} cannot be used", "Check api_base_url in config.toml")
            )
        except httpx.HTTPError as error:
            pipe.fail(
                ProviderUnavailable(
                    f"The request to {host} failed ({type(error).__name__})", "Try again later"
                )
            )
        except Exception as error:  # CodeMeshError, Unauthorized, RateLimited, StreamCut, or a bug
            pipe.fail(error)

    @staticmethod
    def _check(response: httpx.Response, host: str, secrets: list[str]) -> None:
        status = response.status_code
        content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if 200 <= status < 300 and content_type == "text/event-stream":
            return
        try:
            body = read_capped(response, ERROR_BODY_LIMIT, truncate=True)
        except AnswerRefused:
            body = b""
        message = provider_message(body, secrets)
        said = f": {message}" if message else ""
        if status == 401:
            raise Unauthorized(message)
        if status == 429:
            raise RateLimited(retry_after(response.headers, time.time()), message)
        if 200 <= status < 300:
            kind = one_line(content_type or "no content type", 60)
            raise ProviderUnavailable(
                f"{host} answered with {kind} instead of a stream{said}",
                "Check api_base_url in config.toml",
            )
        if status >= 500:
            advice = "Try again later"
        elif status == 404:
            advice = "Check api_base_url in config.toml and the model name"
        else:  # xAI and Google answer a bad key with 400 too
            advice = "Check the key, the model name and the options"
        raise ProviderUnavailable(f"{host} answered HTTP {status}{said}", advice)

    @staticmethod
    def _data(event: ServerSentEvent, host: str) -> dict[str, Any]:
        value = _loads(event.data) if event.data else {}
        if value is None:
            raise ProviderUnavailable(f"{host} sent an event that is not JSON", "Try again later")
        return _object(value)

    def _anthropic(
        self, events: Iterator[ServerSentEvent], host: str, secrets: list[str]
    ) -> Iterator[ChatEvent | None]:
        for event in events:
            if event.event == "ping":
                yield None
                continue
            data = self._data(event, host)
            if event.event == "message_start":
                yield Usage(_counts(_object(data.get("message")).get("usage")))
            elif event.event == "content_block_delta":
                delta = _object(data.get("delta"))
                text = delta.get("text")
                yield TextDelta(text) if delta.get("type") == "text_delta" and isinstance(text, str) else None
            elif event.event == "message_delta":
                yield Usage(_counts(data.get("usage")))
            elif event.event == "error":
                raise ProviderUnavailable(
                    f"{host} reported an error mid-reply ({_event_error(data, secrets)})", "Try again later"
                )
            elif event.event == "message_stop":
                return
            else:
                yield None
        raise StreamCut

    def _openai(
        self, events: Iterator[ServerSentEvent], host: str, secrets: list[str]
    ) -> Iterator[ChatEvent | None]:
        for event in events:
            if event.data.strip() == "[DONE]":
                return
            data = self._data(event, host)
            if data.get("error") is not None or data.get("object") == "error":
                raise ProviderUnavailable(
                    f"{host} reported an error mid-reply ({_event_error(data, secrets)})", "Try again later"
                )
            choices = data.get("choices")
            for choice in choices if isinstance(choices, list) else []:
                content = _object(_object(choice).get("delta")).get("content")
                if isinstance(content, str) and content:
                    yield TextDelta(content)
            usage = data.get("usage")
            yield Usage(_counts(usage)) if isinstance(usage, dict) else None
        raise StreamCut
