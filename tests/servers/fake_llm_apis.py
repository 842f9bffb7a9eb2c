"""Fakes of the three chat APIs `code-mesh run` talks to (SPEC section 7), as one WSGI application.

Replies are real server-sent events, written to the socket one event at a time, so a test can
prove that a client prints text as it arrives. The fake is strict where the real services are
(headers, credentials, body shape, `stream: true`), so a careless client fails its tests.
Paths served, all on one base URL:

- ``POST /v1/messages``: Anthropic Messages (API keys; an OAuth bearer is refused as the real API
  refuses a Claude Pro/Max token that does not pose as Claude Code)
- ``POST /v1/chat/completions``: OpenAI chat completions (so `api_base_url` is `BASE/v1`, as the
  OpenAI SDK's base_url); every openai-chat provider of the catalog is pointed here
- ``POST /chat/completions``: GitHub Copilot chat (OpenAI's format, Copilot tokens, editor headers;
  `api_base_url` is `BASE`, as Copilot's own host has no /v1)
- ``GET /v1/models``, ``GET /models``, ``GET /xai/v1/models``, ``GET /google/v1beta/openai/models``:
  the model lists `auth status --online` asks for (Anthropic with `x-api-key`, OpenAI with a bearer
  key, Copilot, and xAI and Google, which answer a key they do not know with 400, not 401)

Where the real services refuse something a careless client does, so does this fake, and each
such quirk says beside it which public source shows it (issue 10).

Streams declare the Content-Length of the whole planned body (wsgiref speaks HTTP/1.0 and
cannot send chunked encoding), so a stream cut short is a transport error for the client, as a
broken chunked stream from the real services is.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .fake_anthropic import RecordedRequest, media_type, record_request
from .harness import serve_wsgi
from .misbehaviour import ESCAPES, Trickle, bad_gzip, gzip_bomb

ANTHROPIC_PATH = "/v1/messages"
OPENAI_PATH = "/v1/chat/completions"
COPILOT_PATH = "/chat/completions"
PATHS = (ANTHROPIC_PATH, OPENAI_PATH, COPILOT_PATH)
MODELS_PATH = "/v1/models"
"""Anthropic (an `x-api-key`) and OpenAI (a bearer key) list their models at the same path."""
COPILOT_MODELS_PATH = "/models"
XAI_MODELS_PATH = "/xai/v1/models"
GOOGLE_MODELS_PATH = "/google/v1beta/openai/models"
MODEL_LIST_PATHS = (MODELS_PATH, COPILOT_MODELS_PATH, XAI_MODELS_PATH, GOOGLE_MODELS_PATH)

ANTHROPIC_VERSION = "2023-06-01"
OAUTH_BETA = "oauth-2025-04-20"
DEFAULT_REPLY = ("Hello", ", ", "world", "!")

# An OAuth bearer (a Claude Pro/Max token) on the Messages API: without the OAuth beta, 401
# "OAuth authentication is currently not supported." (anthropics/claude-code#6131,
# anthropic-sdk-python#988); with it, but not posing as Claude Code, 400 (anthropics/claude-code#8046,
# #24690). code-mesh never poses as Claude Code, so it must never send such a token here.
CLAUDE_CODE_ONLY = (
    "This credential is only authorized for use with Claude Code and cannot be used for other API requests."
)
# api.githubcopilot.com without editor headers: HTTP 400 with a plain-text body (openclaw/openclaw#60641,
# #71538; vastsa/PI-Desktop#126; stacklok/codegate#335); an editor it does not know (leona/helix-gpt#73).
COPILOT_MISSING_EDITOR = "bad request: missing Editor-Version header for IDE auth"
COPILOT_UNKNOWN_EDITOR = "bad request: unknown Editor-Version header for IDE auth"
_KNOWN_EDITOR = re.compile(r"(vscode|Neovim|vim|JetBrains-[A-Za-z]+)/[0-9][0-9A-Za-z.+-]*")
# An expired or unknown Copilot token: 401 with a text body (ericc-ch/copilot-api#104,
# anomalyco/opencode#4992).
COPILOT_TOKEN_EXPIRED = "unauthorized: token expired"
# Business and Enterprise seats have their own host (the Copilot token's endpoints.api); their
# tokens used elsewhere are refused. Issue 10 reports 403/421; no public source shows the exact
# status and body, so this one is a guess: what matters is that the default host does not serve them.
COPILOT_WRONG_HOST = "misdirected request: this token is for another Copilot endpoint"
# OpenAI's reasoning models refuse max_tokens (griptape-ai/ComfyUI-Griptape#312, fish2018/YPrompt#26,
# koosoli/ESPHomeDesigner#379; the SDK: "not compatible with o-series models"); Copilot's gpt-5.x too,
# in its own shape (1jehuang/jcode#190, caozhiyuan/copilot-api#164).
MAX_TOKENS_REFUSED = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
_REASONING_MODEL = re.compile(r"(gpt-5|o[1-9])([.-].*)?")

# Answered instead of the reply, before any streaming.
ERROR_KINDS = ("401", "429", "500", "connection-close")
# Shape the stream of an otherwise valid request.
STREAM_KINDS = ("cut", "truncate", "hold")
# Answer a valid request the way a misbehaving server or proxy does (issue 9), see `_raw_answer`,
# or as a provider of the catalog answers an error in its own shape (issue 10).
RAW_KINDS = (
    "json-200",
    "echo-key-400",
    "bad-gzip",
    "gzip-bomb",
    "huge-line",
    "trickle",
    "frames",
    "xai-bad-key",
    "google-bad-key",
    "mistral-401",
    "stream-error",
)
FAILURE_KINDS = ERROR_KINDS + STREAM_KINDS + RAW_KINDS
HUGE_LINE_BYTES = 2 << 20

_ANTHROPIC_KEYS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "metadata",
        "tools",
        "tool_choice",
        "thinking",
    }
)
_OPENAI_KEYS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "n",
        "stop",
        "user",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
        "metadata",
        "store",
    }
)
_OPENAI_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    421: "Misdirected Request",
    429: "Too Many Requests",
    500: "Internal Server Error",
}

Response = tuple[int, list[tuple[str, str]], bytes]


class _DropConnection(ConnectionAbortedError):
    """Raised by the app after it shut the socket: wsgiref ends such a request silently."""


class _BadRequest(ValueError):
    """A body or header the real API would refuse with 400."""


class _MaxTokensRefused(ValueError):
    """max_tokens sent to a reasoning model (gpt-5.x, o-series)."""


@dataclass
class _Failure:
    kind: str
    remaining: int
    path: str | None
    retry_after: str | None
    frames: list[bytes] | None = None


@dataclass
class _Plan:
    """The frames of one stream and where a hold or a cut happens in it."""

    frames: list[bytes] = field(default_factory=list)
    after_first_piece: int = 0
    after_half: int = 0


class FakeLLMApis:
    """Anthropic Messages, OpenAI chat completions and Copilot chat, streaming a scripted reply.

    Fill `api_keys` (Anthropic `x-api-key` and OpenAI bearer), `oauth_tokens` (Claude Pro/Max
    tokens: refused with 400 "only authorized for use with Claude Code", never served) and
    `copilot_tokens` (Copilot bearer, with editor headers). All shared state is behind one lock
    because the harness serves each request on its own thread.
    """

    def __init__(
        self,
        *,
        reply_pieces: Iterable[str] = DEFAULT_REPLY,
        input_tokens: int = 12,
        hold_timeout: float = 60.0,
    ) -> None:
        self.api_keys: set[str] = set()
        self.oauth_tokens: set[str] = set()
        self.copilot_tokens: set[str] = set()
        self.reply_pieces: list[str] = list(reply_pieces)
        self.input_tokens = input_tokens
        # None: one output token per reply piece.
        self.output_tokens: int | None = None
        self.hold_timeout = hold_timeout
        # When set ("127.0.0.2:PORT"), Copilot chat is served only to requests for that host, as a
        # Business seat's token is served only on its endpoints.api host.
        self.copilot_api_host: str | None = None
        # SSE comment lines sent before an OpenAI-style stream: OpenRouter sends
        # ": OPENROUTER PROCESSING" (openrouter.ai/docs/api-reference/streaming), DeepSeek
        # ": keep-alive" (api-docs.deepseek.com/quick_start/rate_limit) while a request is queued.
        self.comment_lines: list[str] = []
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._failures: list[_Failure] = []
        self._held: set[threading.Event] = set()
        self._closed = False
        self._stopped = threading.Event()
        self.trickle_interval = 1.5

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = record_request(environ)
        with self._lock:
            self.requests.append(request)
            pieces = list(self.reply_pieces)
            input_tokens = self.input_tokens
            output_tokens = len(pieces) if self.output_tokens is None else self.output_tokens
        if request.path in MODEL_LIST_PATHS:
            failure = self._take_failure(request.path, ERROR_KINDS)
            if failure is not None and failure.kind == "connection-close":
                _drop_connection(environ)
            if failure is not None:
                return _respond(start_response, _injected(request.path, failure))
            return _respond(start_response, self._model_list(request))
        if request.path not in PATHS:
            return _respond(start_response, _json(404, {"error": {"message": f"no route {request.path}"}}))
        if request.method != "POST":
            return _respond(
                start_response, _json(405, {"error": {"message": "use POST"}}, [("Allow", "POST")])
            )
        refusal = self._check(request)
        # An invalid request does not use up a failure meant to shape a stream.
        failure = self._take_failure(request.path, ERROR_KINDS if refusal else FAILURE_KINDS)
        if failure is not None and failure.kind == "connection-close":
            _drop_connection(environ)
        if failure is not None and failure.kind in ERROR_KINDS:
            return _respond(start_response, _injected(request.path, failure))
        if refusal is not None:
            return _respond(start_response, refusal)
        if failure is not None and failure.kind in RAW_KINDS:
            status, headers, chunks = self._raw_answer(failure, request)
            start_response(_status(status), headers)
            return chunks
        body = request.json()
        if request.path == ANTHROPIC_PATH:
            plan = _anthropic_plan(body, pieces, input_tokens, output_tokens)
            id_header = ("request-id", "req_fake_" + secrets.token_hex(12))
        else:
            plan = _openai_plan(
                body, pieces, input_tokens, output_tokens, copilot=request.path == COPILOT_PATH
            )
            with self._lock:
                comments = [f"{line}\n\n".encode() for line in self.comment_lines]
            plan.frames[:0] = comments
            plan.after_first_piece += len(comments)
            plan.after_half += len(comments)
            id_header = ("x-request-id", secrets.token_hex(16))
        kind = failure.kind if failure is not None else None
        headers = [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            id_header,
        ]
        if kind != "truncate":
            headers.append(("Content-Length", str(sum(len(frame) for frame in plan.frames))))
        start_response(_status(200), headers)
        return self._stream(plan, kind)

    def _raw_answer(
        self, failure: _Failure, request: RecordedRequest
    ) -> tuple[int, list[tuple[str, str]], Iterable[bytes]]:
        """What misbehaving servers and proxies answer, each kind after a real-world quirk:

        "json-200": a JSON error object with HTTP 200, no stream (proxies that ignore `stream`);
        "echo-key-400": a 400 whose message quotes the API key sent (some gateways echo it whole);
        "bad-gzip": `Content-Encoding: gzip` over bytes that are not gzip (a broken CDN);
        "gzip-bomb": a gzipped event stream whose one line inflates to 256 MiB;
        "huge-line": one 2 MiB `data:` line, uncompressed;
        "trickle": a first piece of text, then one byte of a never-finished event every
        `trickle_interval` s (a stalled proxy that keeps the connection alive);
        "frames": the raw SSE frames given to fail_next, as they are (malformed events);
        "xai-bad-key", "google-bad-key", "mistral-401": those providers' own error shapes
        (`_provider_error`); "stream-error": a first piece, then an error event and the end.
        """
        sse = [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache")]
        if failure.kind == "json-200":
            body = json.dumps(
                {"error": {"message": f"{ESCAPES}stream is not supported here", "type": "proxy"}}
            )
            return (
                200,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
                [body.encode()],
            )
        if failure.kind == "echo-key-400":
            sent = request.headers.get("x-api-key") or _bearer(request.headers) or ""
            error = {
                "error": {"message": f"Incorrect API key provided: {sent}.", "type": "invalid_request_error"}
            }
            body = json.dumps(error).encode()
            return 400, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], [body]
        if failure.kind == "bad-gzip":
            body = bad_gzip()
            return 200, [*sse, ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))], [body]
        if failure.kind == "gzip-bomb":
            body = gzip_bomb(b"data: ", b"\n\n")
            return 200, [*sse, ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))], [body]
        if failure.kind == "huge-line":
            body = b"data: " + b"a" * HUGE_LINE_BYTES + b"\n\n"
            return 200, [*sse, ("Content-Length", str(len(body)))], [body]
        if failure.kind == "trickle":
            if request.path == ANTHROPIC_PATH:
                delta = {"type": "text_delta", "text": "Hello"}
                first = _sse(
                    {"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta"
                )
            else:
                first = _sse({"choices": [{"index": 0, "delta": {"content": "Hello"}}]})
            rest = Trickle(b"data: " + b"a" * 200, self.trickle_interval, self._stopped)
            return (
                200,
                [*sse, ("Content-Length", str(len(first) + len(rest)))],
                itertools.chain([first], rest),
            )
        if failure.kind in ("xai-bad-key", "google-bad-key", "mistral-401"):
            status, document = _provider_error(failure.kind, _bearer(request.headers) or "")
            body = json.dumps(document).encode()
            return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], [body]
        if failure.kind == "stream-error":
            frames = _stream_error_frames(request.path == ANTHROPIC_PATH)
        else:
            frames = failure.frames or []
        return 200, [*sse, ("Content-Length", str(sum(len(frame) for frame in frames)))], list(frames)

    def _stream(self, plan: _Plan, kind: str | None) -> Iterator[bytes]:
        """Yield one event per chunk; wsgiref writes and flushes each before asking for the next.

        A hold is registered before the first byte is written, so once a client has read the
        first piece, `held_count` already counts this stream: no race for a test to lose.
        """
        hold: threading.Event | None = None
        if kind == "hold":
            hold = threading.Event()
            with self._changed:
                if self._closed:
                    hold.set()
                self._held.add(hold)
                self._changed.notify_all()
        try:
            for index, frame in enumerate(plan.frames):
                if kind in ("cut", "truncate") and index == plan.after_half:
                    return
                yield frame
                if hold is not None and index + 1 == plan.after_first_piece:
                    hold.wait(self.hold_timeout)
                    self._unhold(hold)
                    hold = None
        finally:
            if hold is not None:
                self._unhold(hold)

    def _unhold(self, hold: threading.Event) -> None:
        with self._changed:
            self._held.discard(hold)
            self._changed.notify_all()

    # ------------------------------------------------------------ model lists

    def _model_list(self, request: RecordedRequest) -> Response:
        """What each provider's model list answers: the list for a key it knows, its own refusal
        for one it does not (REPORT quirk 21: xAI and Google say 400, not 401)."""
        if request.method != "GET":
            return _json(405, {"error": {"message": "use GET"}}, [("Allow", "GET")])
        with self._lock:
            api_keys, copilot_tokens = set(self.api_keys), set(self.copilot_tokens)
        token = _bearer(request.headers)
        if request.path == COPILOT_MODELS_PATH:
            refusal = self._copilot_gate(request)
            if refusal is not None:
                return refusal
            if token not in copilot_tokens:
                return _text(401, COPILOT_TOKEN_EXPIRED)
            return _json(200, _openai_models("gpt-5.4-mini", "claude-sonnet-4.6"))
        if request.path == MODELS_PATH and "x-api-key" in request.headers:
            # anthropic-sdk-python resources/models.py: GET /v1/models with x-api-key and the version.
            if request.headers.get("anthropic-version") != ANTHROPIC_VERSION:
                return _anthropic_error(400, "invalid_request_error", "anthropic-version: header is required")
            if request.headers["x-api-key"] not in api_keys:
                return _anthropic_error(401, "authentication_error", "invalid x-api-key")
            model = {"type": "model", "id": "claude-sonnet-5", "display_name": "Claude Sonnet 5"}
            return _json(
                200, {"data": [model], "has_more": False, "first_id": model["id"], "last_id": model["id"]}
            )
        if token in api_keys:
            return _json(200, _openai_models("gpt-5.5"))
        if request.path == XAI_MODELS_PATH:
            return _json(*_provider_error("xai-bad-key", token or ""))
        if request.path == GOOGLE_MODELS_PATH:
            return _json(*_provider_error("google-bad-key", token or ""))
        return _unauthorized_openai(copilot=False)

    def models_requests(self) -> list[RecordedRequest]:
        """Every request to a model list, in order."""
        with self._lock:
            return [request for request in self.requests if request.path in MODEL_LIST_PATHS]

    # ------------------------------------------------------------ validation

    def _check(self, request: RecordedRequest) -> Response | None:
        """The refusal the real API would give this request (auth first, then the body), or None."""
        if request.path == COPILOT_PATH:
            refusal = self._copilot_gate(request)
            if refusal is not None:
                return refusal
        if request.path == ANTHROPIC_PATH:
            refusal = self._anthropic_auth(request.headers)
            validate: Callable[[dict[str, Any]], None] = _validate_anthropic
            error = _anthropic_error
        else:
            with self._lock:
                tokens = set(self.api_keys if request.path == OPENAI_PATH else self.copilot_tokens)
            refusal = _openai_auth(request.headers, tokens, copilot=request.path == COPILOT_PATH)
            validate = _validate_copilot if request.path == COPILOT_PATH else _validate_openai
            error = _openai_bad_request
        if refusal is not None:
            return refusal
        try:
            if (
                request.path == ANTHROPIC_PATH
                and request.headers.get("anthropic-version") != ANTHROPIC_VERSION
            ):
                raise _BadRequest(f"anthropic-version: header is required and must be {ANTHROPIC_VERSION}")
            if media_type(request.headers) != "application/json":
                raise _BadRequest("the body must be JSON (Content-Type: application/json)")
            try:
                body = request.json()
            except ValueError:
                raise _BadRequest("the body is not valid JSON") from None
            if not isinstance(body, dict):
                raise _BadRequest("the body must be a JSON object")
            validate(body)
        except _BadRequest as bad:
            return error(400, "invalid_request_error", str(bad))
        except _MaxTokensRefused:
            return _max_tokens_refused(copilot=request.path == COPILOT_PATH)
        return None

    def _copilot_gate(self, request: RecordedRequest) -> Response | None:
        """What api.githubcopilot.com checks before the token: the editor headers, then the host."""
        editor = request.headers.get("editor-version")
        if not editor:
            return _text(400, COPILOT_MISSING_EDITOR)
        if not _KNOWN_EDITOR.fullmatch(editor):
            return _text(400, COPILOT_UNKNOWN_EDITOR)
        with self._lock:
            served_on = self.copilot_api_host
        if served_on is not None and request.headers.get("host") != served_on:
            return _text(421, COPILOT_WRONG_HOST)
        return None

    def _anthropic_auth(self, headers: dict[str, str]) -> Response | None:
        """An API key in x-api-key. An OAuth bearer is refused: 401 without the OAuth beta, and with
        it 400 for a valid subscription token (only Claude Code may use one), 401 for another."""
        with self._lock:
            api_keys = set(self.api_keys)
            oauth_tokens = set(self.oauth_tokens)
        key = headers.get("x-api-key")
        if key is not None and key in api_keys:
            return None
        token = _bearer(headers)
        if token is not None and key is None:
            betas = {beta.strip() for beta in headers.get("anthropic-beta", "").split(",")}
            if OAUTH_BETA not in betas:
                return _anthropic_error(
                    401, "authentication_error", "OAuth authentication is currently not supported."
                )
            if token in oauth_tokens:
                return _anthropic_error(400, "invalid_request_error", CLAUDE_CODE_ONLY)
            return _anthropic_error(401, "authentication_error", "Invalid bearer token")
        return _anthropic_error(401, "authentication_error", "invalid x-api-key")

    # ----------------------------------------------------- failure injection

    def fail_next(
        self,
        kind: str,
        count: int = 1,
        path: str | None = None,
        *,
        retry_after: float | str | None = 1,
        frames: Iterable[bytes] = (),
    ) -> None:
        """Give the next `count` requests to `path` (None: any of the three) the failure `kind`.

        "401", "429" (with `retry-after: <retry_after>`; None sends no header) and "500" answer the
        API's own JSON error at once. "connection-close" shuts the socket without any response.
        "cut" streams the first half of the pieces (rounded up) then closes short of the declared
        Content-Length; "truncate" does the same without a Content-Length, so the body just ends;
        neither sends the final events. "hold" streams up to the first piece and waits for
        `release()`. The RAW_KINDS answer as `_raw_answer` says ("frames" sends `frames`). Failures are used in the order queued; an invalid request uses up only the
        answering kinds, never cut/truncate/hold.
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {FAILURE_KINDS}")
        if path is not None and path not in (*PATHS, *MODEL_LIST_PATHS):
            raise ValueError(f"unknown path {path!r}; expected one of {PATHS + MODEL_LIST_PATHS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        header = None
        if kind == "429" and retry_after is not None:
            header = (
                str(int(retry_after))
                if isinstance(retry_after, float) and retry_after.is_integer()
                else str(retry_after)
            )
        with self._lock:
            self._failures.append(_Failure(kind, count, path, header, list(frames)))

    def _take_failure(self, path: str, kinds: Iterable[str]) -> _Failure | None:
        allowed = set(kinds)
        with self._lock:
            for failure in self._failures:
                if failure.path not in (None, path) or failure.kind not in allowed:
                    continue
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
                return failure
        return None

    @property
    def pending_failures(self) -> int:
        """How many injected failures are still to be used (sum of their counts)."""
        with self._lock:
            return sum(failure.remaining for failure in self._failures)

    @property
    def held_count(self) -> int:
        """Streams that are held, or will hold right after their first piece, until `release()`."""
        with self._lock:
            return len(self._held)

    def wait_for_hold(self, timeout: float = 5.0) -> bool:
        """Wait until at least one stream is held; True if one is."""
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._held), timeout)

    def release(self) -> None:
        """Let every held stream go on to its end."""
        with self._lock:
            for event in self._held:
                event.set()

    def close(self) -> None:
        """The server is stopping: drop queued failures, release held streams, hold no more."""
        with self._lock:
            self._closed = True
            self._stopped.set()
            self._failures.clear()
            for event in self._held:
                event.set()

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve with the test harness; yields the base URL and releases held streams on exit."""
        with self._lock:
            self._closed = False
            self._stopped.clear()
        with serve_wsgi(self) as base_url:
            try:
                yield base_url
            finally:
                self.close()

    # -------------------------------------------------------------- records

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Every request to `path`, in order (injected failures and refusals included)."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def anthropic_requests(self) -> list[RecordedRequest]:
        return self.requests_to(ANTHROPIC_PATH)

    def openai_requests(self) -> list[RecordedRequest]:
        return self.requests_to(OPENAI_PATH)

    def copilot_requests(self) -> list[RecordedRequest]:
        return self.requests_to(COPILOT_PATH)

    def bodies(self, path: str | None = None) -> list[Any]:
        """The JSON bodies of the requests (to `path` when given), in order."""
        with self._lock:
            chosen = [request for request in self.requests if path is None or request.path == path]
        return [request.json() for request in chosen]


# ---------------------------------------------------------------- streams


def _sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


def _half(count: int) -> int:
    return (count + 1) // 2


def _anthropic_plan(body: dict[str, Any], pieces: list[str], input_tokens: int, output_tokens: int) -> _Plan:
    """message_start, content_block_start, ping, deltas (a ping after every second but the last),
    content_block_stop, message_delta, message_stop: the order the real API uses."""
    plan = _Plan()

    def add(event: str, data: dict[str, Any]) -> None:
        plan.frames.append(_sse(data, event))

    message = {
        "id": "msg_fake_" + secrets.token_hex(12),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        },
    }
    add("message_start", {"type": "message_start", "message": message})
    add(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    add("ping", {"type": "ping"})
    plan.after_first_piece = plan.after_half = len(plan.frames)
    for number, piece in enumerate(pieces, start=1):
        delta = {"type": "text_delta", "text": piece}
        add("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        if number == 1:
            plan.after_first_piece = len(plan.frames)
        if number == _half(len(pieces)):
            plan.after_half = len(plan.frames)
        if number % 2 == 0 and number < len(pieces):
            add("ping", {"type": "ping"})
    add("content_block_stop", {"type": "content_block_stop", "index": 0})
    add(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
    )
    add("message_stop", {"type": "message_stop"})
    return plan


def _openai_plan(
    body: dict[str, Any], pieces: list[str], input_tokens: int, output_tokens: int, *, copilot: bool
) -> _Plan:
    """Role chunk, one chunk per piece, the finish_reason chunk, the usage chunk if asked, [DONE].

    Copilot first sends a chunk with no choices (its prompt filter results), as the real one does.
    """
    plan = _Plan()
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": "chatcmpl-fake" + secrets.token_hex(12),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        data = {**base, "choices": [choice]}
        if include_usage:
            data["usage"] = None
        plan.frames.append(_sse(data))

    if copilot:
        filters = {
            name: {"filtered": False, "severity": "safe"}
            for name in ("hate", "self_harm", "sexual", "violence")
        }
        plan.frames.append(
            _sse(
                {
                    "choices": [],
                    "created": 0,
                    "id": "",
                    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": filters}],
                }
            )
        )
    chunk({"role": "assistant", "content": ""})
    plan.after_first_piece = plan.after_half = len(plan.frames)
    for number, piece in enumerate(pieces, start=1):
        chunk({"content": piece})
        if number == 1:
            plan.after_first_piece = len(plan.frames)
        if number == _half(len(pieces)):
            plan.after_half = len(plan.frames)
    chunk({}, "stop")
    if include_usage:
        usage = {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        }
        plan.frames.append(_sse({**base, "choices": [], "usage": usage}))
    plan.frames.append(_sse("[DONE]"))
    return plan


def _openai_models(*ids: str) -> dict[str, Any]:
    """OpenAI's list shape (openai-python types/model.py), which Copilot and the others share."""
    data = [{"id": model, "object": "model", "created": 1767225600, "owned_by": "fake"} for model in ids]
    return {"object": "list", "data": data}


def _provider_error(kind: str, sent_key: str) -> tuple[int, Any]:
    """Errors of catalog providers that are not OpenAI's shape (REPORT quirk 19)."""
    if kind == "xai-bad-key":
        # xAI: a bad key is HTTP 400, and `error` is a string (i-am-bee/beeai-framework#447,
        # continuedev/continue#10778). The real message masks the key ("ba***na"); this one quotes
        # it whole, so that a client's redaction is tested (REPORT quirk 18).
        message = (
            f"Incorrect API key provided: {sent_key}. You can obtain an API key from https://console.x.ai."
        )
        return 400, {"code": "Client specified an invalid argument", "error": message}
    if kind == "google-bad-key":
        # Google's OpenAI compatibility layer answers with a JSON array (SuzumiyaAkizuki/
        # ComfyUI-NewBie-LLM-Formatter#3, Simpleyyt/ai-manus#101); a bad key is 400
        # INVALID_ARGUMENT with reason API_KEY_INVALID (google/timesketch#3703).
        error = {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
        }
        return 400, [{"error": error}]
    # Mistral's 401 since 2025-06 (nextcloud/integration_openai#332).
    return 401, {"detail": "Unauthorized"}


def _stream_error_frames(anthropic: bool) -> list[bytes]:
    """A first piece of text, then an error inside the stream after HTTP 200, then the end:
    Anthropic's `event: error` (anthropic-sdk-python _streaming.py: overloaded_error), OpenAI's
    `data: {"error": …}` with no event name (openai-python _streaming.py; OpenRouter does the same
    once a stream has started: openrouter.ai/docs/errors)."""
    if anthropic:
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}
        error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        return [_sse(delta, "content_block_delta"), _sse(error, "error")]
    error = {"error": {"message": "The server had an error processing your request.", "type": "server_error"}}
    return [_sse({"choices": [{"index": 0, "delta": {"content": "Hello"}}]}), _sse(error)]


# ------------------------------------------------------------- validation


def _validate_anthropic(body: dict[str, Any]) -> None:
    extra = sorted(set(body) - _ANTHROPIC_KEYS)
    if extra:
        raise _BadRequest(f"{extra[0]}: Extra inputs are not permitted")
    _model(body)
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise _BadRequest("max_tokens: Field required (a positive integer)")
    messages = _messages(body)
    for index, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            raise _BadRequest(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise _BadRequest("system: Input should be a string or a list of text blocks")
    _stream_true(body)


def _validate_openai(body: dict[str, Any]) -> None:
    extra = sorted(set(body) - _OPENAI_KEYS)
    if extra:
        raise _BadRequest(f"Unrecognized request argument supplied: {extra[0]}")
    _validate_copilot(body)


def _validate_copilot(body: dict[str, Any]) -> None:
    """OpenAI's shape; Copilot tolerates extra fields (editors send their own)."""
    _model(body)
    messages = _messages(body)
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in _OPENAI_ROLES:
            raise _BadRequest(f"messages[{index}].role: invalid role {role!r}")
        if role == "system" and index != 0:
            raise _BadRequest(f"messages[{index}]: a system message must come first")
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise _BadRequest(f"{name}: must be a positive integer")
    if "max_tokens" in body and _REASONING_MODEL.fullmatch(body["model"]):
        raise _MaxTokensRefused
    _stream_true(body)
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict) or set(options) - {"include_usage"}:
            raise _BadRequest("stream_options: only include_usage is supported")
        if not isinstance(options.get("include_usage", False), bool):
            raise _BadRequest("stream_options.include_usage: must be a boolean")


def _model(body: dict[str, Any]) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _BadRequest("model: Field required (a non-empty string)")


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest("messages: Field required (a non-empty list)")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _BadRequest(f"messages.{index}: must be an object")
        content = message.get("content")
        if isinstance(content, str):
            if not content:
                raise _BadRequest(f"messages.{index}.content: must not be empty")
        elif not isinstance(content, list) or not all(
            isinstance(block, dict) and "type" in block for block in content
        ):
            raise _BadRequest(f"messages.{index}.content: a string or a list of content blocks")
    return messages


def _stream_true(body: dict[str, Any]) -> None:
    if body.get("stream") is not True:
        raise _BadRequest("stream: this fake answers only streaming requests (stream: true)")


# -------------------------------------------------------------- responses


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Error')}"


def _json(code: int, body: Any, extra: Iterable[tuple[str, str]] = ()) -> Response:
    return code, [("Content-Type", "application/json"), *extra], json.dumps(body).encode()


def _respond(start_response: Callable[..., Any], response: Response) -> list[bytes]:
    code, headers, body = response
    start_response(_status(code), [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _text(code: int, message: str) -> Response:
    """A plain-text error, as Copilot answers (a client must fall back to the first line)."""
    return code, [("Content-Type", "text/plain; charset=utf-8")], (message + "\n").encode()


def _anthropic_error(code: int, kind: str, message: str, extra: Iterable[tuple[str, str]] = ()) -> Response:
    """Anthropic's error shape (anthropic-sdk-python types/shared/error_response.py)."""
    request_id = "req_fake_" + secrets.token_hex(12)
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}
    return _json(code, body, [("request-id", request_id), *extra])


def _max_tokens_refused(*, copilot: bool) -> Response:
    if copilot:
        return _json(400, {"error": {"message": MAX_TOKENS_REFUSED, "code": "invalid_request_body"}})
    error = {
        "message": MAX_TOKENS_REFUSED,
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }
    return _json(400, {"error": error}, [("x-request-id", secrets.token_hex(16))])


def _openai_error(
    code: int, message: str, kind: str, error_code: str | None, extra: Iterable[tuple[str, str]] = ()
) -> Response:
    error = {"message": message, "type": kind, "param": None, "code": error_code}
    return _json(code, {"error": error}, [("x-request-id", secrets.token_hex(16)), *extra])


def _openai_bad_request(code: int, kind: str, message: str) -> Response:
    return _openai_error(code, message, kind, None)


def _openai_auth(headers: dict[str, str], tokens: set[str], *, copilot: bool) -> Response | None:
    token = _bearer(headers)
    if token is not None and token in tokens:
        return None
    return _unauthorized_openai(copilot)


def _unauthorized_openai(copilot: bool) -> Response:
    if copilot:
        return _text(401, COPILOT_TOKEN_EXPIRED)
    return _openai_error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")


def _injected(path: str, failure: _Failure) -> Response:
    """The API's own answer for an injected 401, 429 or 500."""
    retry = [("retry-after", failure.retry_after)] if failure.retry_after is not None else []
    if path == ANTHROPIC_PATH:
        if failure.kind == "401":
            return _anthropic_error(401, "authentication_error", "invalid x-api-key")
        if failure.kind == "429":
            return _anthropic_error(429, "rate_limit_error", "Rate limited (injected)", retry)
        return _anthropic_error(500, "api_error", "Internal server error")
    if failure.kind == "401":
        return _unauthorized_openai(path == COPILOT_PATH)
    if failure.kind == "429":
        return _openai_error(429, "Rate limit reached (injected)", "requests", "rate_limit_exceeded", retry)
    return _openai_error(500, "The server had an error while processing your request.", "server_error", None)


def _bearer(headers: dict[str, str]) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, else None."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _drop_connection(environ: dict[str, Any]) -> None:
    """Shut the client's socket before any byte of a response, then end the request silently.

    wsgi.input is the connection's reader under wsgiref; shutting down a duplicate of its file
    descriptor shuts the connection itself. The request body was read already, so the client gets
    a clean FIN (not a reset) and httpx reports "Server disconnected without sending a response."
    """
    with socket.fromfd(environ["wsgi.input"].fileno(), socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.shutdown(socket.SHUT_RDWR)
    raise _DropConnection("connection-close injected")
