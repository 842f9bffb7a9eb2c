"""The fake chat APIs behave like SPEC section 7 says the real ones do, over real HTTP.

`code-mesh run` is tested against these fakes, so each rule is shown here: who may call which
API, the exact server-sent event sequences, usage, the injected failures as a client sees them,
and that events really arrive one by one (a held stream has sent its first piece and not yet its
last). No sleeps: holds are released by hand.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from servers.fake_llm_apis import (
    ANTHROPIC_PATH,
    CLAUDE_CODE_ONLY,
    COPILOT_MISSING_EDITOR,
    COPILOT_PATH,
    COPILOT_TOKEN_EXPIRED,
    COPILOT_UNKNOWN_EDITOR,
    DEFAULT_REPLY,
    FAILURE_KINDS,
    MAX_TOKENS_REFUSED,
    OAUTH_BETA,
    OPENAI_PATH,
    FakeLLMApis,
)
from servers.harness import serve_wsgi

API_KEY = "sk-test-api-key"
OAUTH_TOKEN = "sk-ant-oat01-test-token"
COPILOT_TOKEN = "tid=test;exp=9999999999;copilot"
PATHS = (ANTHROPIC_PATH, OPENAI_PATH, COPILOT_PATH)
REPLY = "".join(DEFAULT_REPLY)
EDITOR_HEADERS = {
    "Editor-Version": "vscode/1.107.0",
    "Editor-Plugin-Version": "copilot-chat/0.35.0",
    "Copilot-Integration-Id": "vscode-chat",
}

# Building an SSL context costs a tenth of a second per client; these only speak plain HTTP.
_SSL = ssl.create_default_context()


@dataclass
class Event:
    """One server-sent event: its `event:` name (None when absent) and its `data:` text."""

    name: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def sse_events(lines: Iterable[str]) -> Iterator[Event]:
    """Parse server-sent events lazily, so a test can stop after any one of them."""
    name: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield Event(name, "\n".join(data))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].lstrip())
    if data:
        yield Event(name, "\n".join(data))


def text_of(path: str, events: Iterable[Event]) -> str:
    """The reply text carried by `events` of the API at `path`."""
    if path == ANTHROPIC_PATH:
        return "".join(
            event.json()["delta"]["text"]
            for event in events
            if event.name == "content_block_delta" and event.json()["delta"]["type"] == "text_delta"
        )
    text = ""
    for event in events:
        if event.data == "[DONE]":
            continue
        for choice in event.json()["choices"]:
            text += choice["delta"].get("content") or ""
    return text


def finished(path: str, events: list[Event]) -> bool:
    """Whether the stream ended the way a complete reply ends."""
    if path == ANTHROPIC_PATH:
        return bool(events) and events[-1].name == "message_stop"
    return bool(events) and events[-1].data == "[DONE]"


def headers_for(path: str, credential: str | None = None) -> dict[str, str]:
    if path == ANTHROPIC_PATH:
        return {"x-api-key": credential or API_KEY, "anthropic-version": "2023-06-01"}
    if path == COPILOT_PATH:
        return {"Authorization": f"Bearer {credential or COPILOT_TOKEN}", **EDITOR_HEADERS}
    return {"Authorization": f"Bearer {credential or API_KEY}"}


def body_for(path: str, **changes: Any) -> dict[str, Any]:
    if path == ANTHROPIC_PATH:
        body: dict[str, Any] = {
            "model": "claude-test",
            "max_tokens": 64,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}],
            "stream": True,
        }
    else:
        body = {
            "model": "gpt-test",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@dataclass
class Served:
    fake: FakeLLMApis
    http: httpx.Client

    def stream(
        self, path: str, *, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> Any:
        return self.http.stream(
            "POST",
            path,
            headers=headers_for(path) if headers is None else headers,
            json=body_for(path) if body is None else body,
        )

    def events(self, path: str, **kwargs: Any) -> tuple[httpx.Response, list[Event]]:
        with self.stream(path, **kwargs) as response:
            return response, list(sse_events(response.iter_lines()))

    def post(self, path: str, *, headers: dict[str, str] | None = None, body: Any = None) -> httpx.Response:
        return self.http.post(
            path,
            headers=headers_for(path) if headers is None else headers,
            json=body_for(path) if body is None else body,
        )


def new_fake() -> FakeLLMApis:
    fake = FakeLLMApis()
    fake.api_keys.add(API_KEY)
    fake.oauth_tokens.add(OAUTH_TOKEN)
    fake.copilot_tokens.add(COPILOT_TOKEN)
    return fake


class _Current:
    """The app of this module's one server: the fake of the running test.

    Stopping a server costs a poll interval (0.05 s), so tests share one; `fake.serve()` itself
    is covered by test_leaving_serve_releases_held_streams.
    """

    fake: FakeLLMApis | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.fake is not None
        return self.fake(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[_Current, str]]:
    current = _Current()
    with serve_wsgi(current) as base:
        yield current, base


@pytest.fixture
def served(server: tuple[_Current, str]) -> Iterator[Served]:
    current, base = server
    fake = current.fake = new_fake()
    try:
        with httpx.Client(base_url=base, timeout=5.0, verify=_SSL) as http:
            yield Served(fake, http)
    finally:
        fake.close()
        current.fake = None


# ------------------------------------------------------------ Anthropic


def test_anthropic_streams_the_documented_event_sequence(served: Served) -> None:
    response, events = served.events(ANTHROPIC_PATH)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [event.name for event in events] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(event.json()["type"] == event.name for event in events)
    start = events[0].json()["message"]
    assert start["model"] == "claude-test"
    assert start["role"] == "assistant"
    assert start["usage"]["input_tokens"] == 12
    assert [event.json()["delta"]["text"] for event in events if event.name == "content_block_delta"] == list(
        DEFAULT_REPLY
    )
    assert text_of(ANTHROPIC_PATH, events) == REPLY
    delta = events[-2].json()
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] == len(DEFAULT_REPLY)


def test_anthropic_request_is_recorded_with_lower_case_headers_and_json(served: Served) -> None:
    served.events(ANTHROPIC_PATH)

    [request] = served.fake.anthropic_requests()
    assert request.method == "POST"
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.json()["messages"] == [{"role": "user", "content": "Hi"}]
    assert served.fake.bodies(ANTHROPIC_PATH)[0]["system"] == "Be brief."
    assert served.fake.openai_requests() == served.fake.copilot_requests() == []


@pytest.mark.parametrize(
    "beta",
    [
        OAUTH_BETA,
        f"prompt-caching-2024-07-31,{OAUTH_BETA}",
        f"{OAUTH_BETA}, fine-grained-tool-streaming-2025-05-14",
    ],
)
def test_anthropic_refuses_a_subscription_token_that_does_not_pose_as_claude_code(
    served: Served, beta: str
) -> None:
    """With the OAuth beta a Claude Pro/Max token is known, and still refused: 400, only Claude Code."""
    headers = {
        "Authorization": f"Bearer {OAUTH_TOKEN}",
        "anthropic-beta": beta,
        "anthropic-version": "2023-06-01",
    }

    response = served.post(ANTHROPIC_PATH, headers=headers)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == {"type": "invalid_request_error", "message": CLAUDE_CODE_ONLY}
    assert body["type"] == "error" and body["request_id"] == response.headers["request-id"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "invalid x-api-key"),
        ({"x-api-key": "sk-unknown"}, "invalid x-api-key"),
        ({"x-api-key": OAUTH_TOKEN}, "invalid x-api-key"),
        ({"Authorization": f"Bearer {OAUTH_TOKEN}"}, "OAuth authentication is currently not supported."),
        (
            {"Authorization": f"Bearer {OAUTH_TOKEN}", "anthropic-beta": "prompt-caching-2024-07-31"},
            "OAuth authentication is currently not supported.",
        ),
        ({"Authorization": f"Bearer {API_KEY}", "anthropic-beta": OAUTH_BETA}, "Invalid bearer token"),
        (
            {"Authorization": "Bearer sk-ant-oat01-unknown", "anthropic-beta": OAUTH_BETA},
            "Invalid bearer token",
        ),
    ],
)
def test_anthropic_refuses_a_wrong_credential_with_401(
    served: Served, headers: dict[str, str], message: str
) -> None:
    response = served.post(ANTHROPIC_PATH, headers={"anthropic-version": "2023-06-01", **headers})

    assert response.status_code == 401
    body = response.json()
    assert (body["type"], body["error"]) == ("error", {"type": "authentication_error", "message": message})


@pytest.mark.parametrize(
    ("headers", "changes"),
    [
        ({"anthropic-version": None}, {}),
        ({"anthropic-version": "2024-01-01"}, {}),
        ({}, {"max_tokens": None}),
        ({}, {"max_tokens": "64"}),
        ({}, {"model": None}),
        ({}, {"messages": []}),
        ({}, {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}),
        ({}, {"stream": None}),
        ({}, {"stream": False}),
        ({}, {"stream_options": {"include_usage": True}}),
    ],
)
def test_anthropic_refuses_a_malformed_request_with_400(
    served: Served, headers: dict[str, str | None], changes: dict[str, Any]
) -> None:
    merged = {**headers_for(ANTHROPIC_PATH), **headers}
    response = served.post(
        ANTHROPIC_PATH,
        headers={key: value for key, value in merged.items() if value is not None},
        body=body_for(ANTHROPIC_PATH, **changes),
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_anthropic_accepts_content_blocks_and_a_system_block_list(served: Served) -> None:
    body = body_for(
        ANTHROPIC_PATH,
        system=[{"type": "text", "text": "Be brief."}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    )

    response, events = served.events(ANTHROPIC_PATH, body=body)

    assert response.status_code == 200
    assert finished(ANTHROPIC_PATH, events)


# ------------------------------------------------------- OpenAI and Copilot


@pytest.mark.parametrize("path", [OPENAI_PATH, COPILOT_PATH])
def test_chat_completions_stream_chunks_usage_and_done(served: Served, path: str) -> None:
    response, events = served.events(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert all(event.name is None for event in events)
    assert events[-1].data == "[DONE]"
    chunks = [event.json() for event in events[:-1]]
    if path == COPILOT_PATH:
        filter_chunk = chunks.pop(0)
        assert filter_chunk["choices"] == []
        assert "prompt_filter_results" in filter_chunk
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [chunk["choices"][0]["delta"]["content"] for chunk in chunks[1:-2]] == list(DEFAULT_REPLY)
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert all(
        chunk["object"] == "chat.completion.chunk" and chunk["model"] == "gpt-test" for chunk in chunks
    )
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}
    assert text_of(path, events) == REPLY


@pytest.mark.parametrize("path", [OPENAI_PATH, COPILOT_PATH])
def test_chat_completions_without_include_usage_send_no_usage(served: Served, path: str) -> None:
    _, events = served.events(path, body=body_for(path, stream_options=None))

    chunks = [event.json() for event in events[:-1]]
    assert all("usage" not in chunk for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert events[-1].data == "[DONE]"
    assert text_of(path, events) == REPLY


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (OPENAI_PATH, {}),
        (OPENAI_PATH, {"Authorization": "Bearer sk-unknown"}),
        (OPENAI_PATH, {"Authorization": f"Bearer {COPILOT_TOKEN}"}),
        (OPENAI_PATH, {"x-api-key": API_KEY}),
        (OPENAI_PATH, {"Authorization": API_KEY}),
        (COPILOT_PATH, {}),
        (COPILOT_PATH, {"Authorization": f"Bearer {API_KEY}"}),
        (COPILOT_PATH, {"Authorization": f"Bearer {OAUTH_TOKEN}"}),
    ],
)
def test_chat_completions_refuse_a_wrong_credential_with_401(
    served: Served, path: str, headers: dict[str, str]
) -> None:
    response = served.post(path, headers={**headers, **(EDITOR_HEADERS if path == COPILOT_PATH else {})})

    assert response.status_code == 401
    if path == COPILOT_PATH:
        assert (response.headers["content-type"], response.text) == (
            "text/plain; charset=utf-8",
            COPILOT_TOKEN_EXPIRED + "\n",
        )
    else:
        assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    "changes",
    [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Be brief."}]},
        {"messages": [{"role": "robot", "content": "Hi"}]},
        {"messages": []},
        {"model": None},
        {"stream": None},
        {"stream": False},
        {"stream_options": {"include_usage": "yes"}},
        {"max_tokens": "64"},
    ],
)
@pytest.mark.parametrize("path", [OPENAI_PATH, COPILOT_PATH])
def test_chat_completions_refuse_a_malformed_request_with_400(
    served: Served, path: str, changes: dict[str, Any]
) -> None:
    response = served.post(path, body=body_for(path, **changes))

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_openai_refuses_unknown_arguments_and_copilot_tolerates_them(served: Served) -> None:
    refused = served.post(OPENAI_PATH, body=body_for(OPENAI_PATH, intent=True))
    response, events = served.events(COPILOT_PATH, body=body_for(COPILOT_PATH, intent=True, max_tokens=64))

    assert refused.status_code == 400
    assert "intent" in refused.json()["error"]["message"]
    assert response.status_code == 200
    assert finished(COPILOT_PATH, events)


@pytest.mark.parametrize(
    ("headers", "status", "text"),
    [
        ({"Editor-Version": None}, 400, COPILOT_MISSING_EDITOR),
        ({"Editor-Version": "code-mesh/0.1.0"}, 400, COPILOT_UNKNOWN_EDITOR),
        ({"Editor-Version": "Neovim/0.11.2"}, 200, None),
    ],
)
def test_copilot_needs_editor_headers_and_refuses_in_plain_text(
    served: Served, headers: dict[str, str | None], status: int, text: str | None
) -> None:
    merged = {**headers_for(COPILOT_PATH), **headers}
    response = served.post(COPILOT_PATH, headers={k: v for k, v in merged.items() if v is not None})

    assert response.status_code == status
    if text is not None:
        assert response.headers["content-type"].startswith("text/plain") and response.text == text + "\n"


def test_copilot_serves_a_seat_only_on_its_own_host(served: Served) -> None:
    host = served.http.base_url.netloc.decode()
    served.fake.copilot_api_host = "127.0.0.2:1"

    refused = served.post(COPILOT_PATH)
    served.fake.copilot_api_host = host
    accepted, events = served.events(COPILOT_PATH)

    assert refused.status_code == 421 and "another Copilot endpoint" in refused.text
    assert accepted.status_code == 200 and finished(COPILOT_PATH, events)


@pytest.mark.parametrize("path", [OPENAI_PATH, COPILOT_PATH])
@pytest.mark.parametrize("model", ["gpt-5.5", "gpt-5.4-mini", "o3"])
def test_reasoning_models_refuse_max_tokens(served: Served, path: str, model: str) -> None:
    refused = served.post(path, body=body_for(path, model=model, max_tokens=64))
    response, events = served.events(path, body=body_for(path, model=model, max_completion_tokens=64))
    older = served.post(path, body=body_for(path, model="gpt-4.1", max_tokens=64))

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["message"] == MAX_TOKENS_REFUSED
    assert error["code"] == ("invalid_request_body" if path == COPILOT_PATH else "unsupported_parameter")
    assert response.status_code == 200 and finished(path, events)
    assert older.status_code == 200


def test_comment_lines_come_before_the_stream_and_say_nothing(served: Served) -> None:
    served.fake.comment_lines = [": OPENROUTER PROCESSING", ": keep-alive"]

    with served.stream(OPENAI_PATH) as response:
        lines = list(response.iter_lines())

    assert lines[:4] == [": OPENROUTER PROCESSING", "", ": keep-alive", ""]
    assert text_of(OPENAI_PATH, sse_events(lines)) == REPLY


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("xai-bad-key", 400, lambda body: body["error"].startswith(f"Incorrect API key provided: {API_KEY}")),
        ("google-bad-key", 400, lambda body: body[0]["error"]["status"] == "INVALID_ARGUMENT"),
        ("mistral-401", 401, lambda body: body == {"detail": "Unauthorized"}),
    ],
)
def test_providers_errors_in_their_own_shapes(
    served: Served, kind: str, status: int, words: Callable[[Any], bool]
) -> None:
    served.fake.fail_next(kind, path=OPENAI_PATH)

    response = served.post(OPENAI_PATH)

    assert response.status_code == status and words(response.json())


@pytest.mark.parametrize("path", [ANTHROPIC_PATH, OPENAI_PATH])
def test_an_error_inside_a_stream_after_a_first_piece(served: Served, path: str) -> None:
    served.fake.fail_next("stream-error", path=path)

    response, events = served.events(path)

    assert response.status_code == 200
    assert text_of(path, events[:1]) == "Hello"
    assert events[-1].json()["error"]["message"] in (
        "Overloaded",
        "The server had an error processing your request.",
    )
    assert events[-1].name == ("error" if path == ANTHROPIC_PATH else None)


def test_openai_request_is_recorded(served: Served) -> None:
    served.events(OPENAI_PATH)

    [request] = served.fake.openai_requests()
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.json()["messages"][0] == {"role": "system", "content": "Be brief."}
    assert request.json()["stream_options"] == {"include_usage": True}


# ------------------------------------------------------- scripted replies


@pytest.mark.parametrize("path", PATHS)
def test_reply_pieces_and_token_counts_can_be_scripted(served: Served, path: str) -> None:
    served.fake.reply_pieces = ["Bonjour", " ", "le", " ", "monde"]
    served.fake.input_tokens = 40
    served.fake.output_tokens = 9

    _, events = served.events(path)

    assert text_of(path, events) == "Bonjour le monde"
    if path == ANTHROPIC_PATH:
        assert events[0].json()["message"]["usage"]["input_tokens"] == 40
        assert events[-2].json()["usage"]["output_tokens"] == 9
    else:
        assert events[-2].json()["usage"] == {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49}


def test_unknown_path_and_wrong_method(served: Served) -> None:
    assert served.http.post("/v1/complete", json={}).status_code == 404
    wrong = served.http.get(ANTHROPIC_PATH)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"


# ---------------------------------------------------- injected failures


@pytest.mark.parametrize("path", PATHS)
def test_injected_401_is_the_apis_own_auth_error(served: Served, path: str) -> None:
    served.fake.fail_next("401")

    refused = served.post(path)
    accepted, events = served.events(path)

    assert refused.status_code == 401
    if path == ANTHROPIC_PATH:
        assert refused.json()["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    elif path == COPILOT_PATH:
        assert refused.text == COPILOT_TOKEN_EXPIRED + "\n"
    else:
        assert refused.json()["error"]["code"] == "invalid_api_key"
    assert accepted.status_code == 200
    assert finished(path, events)


@pytest.mark.parametrize("path", PATHS)
def test_injected_429_carries_retry_after(served: Served, path: str) -> None:
    served.fake.fail_next("429", retry_after=7)

    response = served.post(path)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    if path == ANTHROPIC_PATH:
        assert response.json()["error"]["type"] == "rate_limit_error"
    else:
        assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_injected_429_retry_after_defaults_to_one_and_can_be_left_out(served: Served) -> None:
    served.fake.fail_next("429")
    served.fake.fail_next("429", retry_after=None)
    served.fake.fail_next("429", retry_after=30.0)

    assert served.post(ANTHROPIC_PATH).headers["retry-after"] == "1"
    assert "retry-after" not in served.post(ANTHROPIC_PATH).headers
    assert served.post(ANTHROPIC_PATH).headers["retry-after"] == "30"


@pytest.mark.parametrize("path", PATHS)
def test_injected_500(served: Served, path: str) -> None:
    served.fake.fail_next("500")

    response = served.post(path)

    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == ("api_error" if path == ANTHROPIC_PATH else "server_error")


def test_failures_count_down_and_can_target_one_path(served: Served) -> None:
    served.fake.fail_next("500", count=2, path=OPENAI_PATH)

    assert served.post(ANTHROPIC_PATH).status_code == 200
    assert [served.post(OPENAI_PATH).status_code for _ in range(3)] == [500, 500, 200]
    assert served.fake.pending_failures == 0
    assert len(served.fake.requests) == 4


def test_fail_next_refuses_what_it_cannot_do() -> None:
    fake = FakeLLMApis()
    with pytest.raises(ValueError, match="unknown failure kind"):
        fake.fail_next("503")
    with pytest.raises(ValueError, match="unknown path"):
        fake.fail_next("500", path="/v1/complete")
    with pytest.raises(ValueError, match="count"):
        fake.fail_next("500", count=0)
    assert set(FAILURE_KINDS) == {"401", "429", "500", "connection-close", "cut", "truncate", "hold"} | {
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
    }


@pytest.mark.parametrize("path", PATHS)
def test_cut_stream_is_a_transport_error_after_the_first_half(served: Served, path: str) -> None:
    """The body stops short of its declared length, as a broken chunked stream does for real:
    httpx hands over every event that arrived, then raises RemoteProtocolError."""
    served.fake.fail_next("cut")
    events: list[Event] = []

    with (
        pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"),
        served.stream(path) as response,
    ):
        assert response.status_code == 200
        events.extend(sse_events(response.iter_lines()))

    assert text_of(path, events) == "Hello, "
    assert not finished(path, events)
    assert not any(event.name in ("content_block_stop", "message_delta") for event in events)
    assert all(event.data != "[DONE]" for event in events)


@pytest.mark.parametrize("path", PATHS)
def test_truncated_stream_just_ends_without_the_final_events(served: Served, path: str) -> None:
    """No Content-Length, so the end of the body looks normal; only the events tell."""
    served.fake.fail_next("truncate")

    response, events = served.events(path)

    assert response.status_code == 200
    assert "content-length" not in response.headers
    assert text_of(path, events) == "Hello, "
    assert not finished(path, events)


@pytest.mark.parametrize("path", PATHS)
def test_connection_close_drops_the_connection_before_any_response(served: Served, path: str) -> None:
    served.fake.fail_next("connection-close")

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        served.post(path)

    assert served.post(path).status_code == 200
    assert len(served.fake.requests_to(path)) == 2


# --------------------------------------------------- incremental delivery


@pytest.mark.parametrize("path", PATHS)
def test_a_held_stream_delivers_its_first_piece_before_the_server_goes_on(served: Served, path: str) -> None:
    """The incremental-printing proof: the first piece is readable while the server still holds
    the rest, so a client that buffered the whole body would block here (and time out)."""
    served.fake.fail_next("hold")

    with served.stream(path) as response:
        events = sse_events(response.iter_lines())
        before: list[Event] = []
        while text_of(path, before) == "":
            before.append(next(events))

        assert text_of(path, before) == DEFAULT_REPLY[0]
        assert served.fake.held_count == 1
        served.fake.release()
        after = list(events)

    assert served.fake.held_count == 0
    assert text_of(path, after) == "".join(DEFAULT_REPLY[1:])
    assert finished(path, before + after)


def test_other_requests_are_served_while_a_stream_is_held(served: Served) -> None:
    served.fake.fail_next("hold", path=ANTHROPIC_PATH)

    with served.stream(ANTHROPIC_PATH) as held:
        events = sse_events(held.iter_lines())
        first = [next(events) for _ in range(4)]
        assert served.fake.wait_for_hold(timeout=1.0)

        response, other = served.events(OPENAI_PATH)
        assert response.status_code == 200
        assert text_of(OPENAI_PATH, other) == REPLY
        assert served.fake.held_count == 1

        served.fake.release()
        rest = list(events)

    assert text_of(ANTHROPIC_PATH, first + rest) == REPLY


def test_an_invalid_request_does_not_use_up_a_hold(served: Served) -> None:
    served.fake.fail_next("hold")

    assert served.post(ANTHROPIC_PATH, headers={"anthropic-version": "2023-06-01"}).status_code == 401
    assert served.fake.pending_failures == 1
    with served.stream(ANTHROPIC_PATH) as response:
        events = sse_events(response.iter_lines())
        assert [next(events).name for _ in range(4)][-1] == "content_block_delta"
        assert served.fake.held_count == 1
        served.fake.release()
        assert finished(ANTHROPIC_PATH, list(events))


def test_leaving_serve_releases_held_streams() -> None:
    fake = new_fake()
    fake.fail_next("hold")

    with httpx.Client(timeout=5.0, verify=_SSL) as http, ExitStack() as stack:
        serving = fake.serve()
        base = serving.__enter__()
        try:
            response = stack.enter_context(
                http.stream(
                    "POST",
                    base + ANTHROPIC_PATH,
                    headers=headers_for(ANTHROPIC_PATH),
                    json=body_for(ANTHROPIC_PATH),
                )
            )
            events = sse_events(response.iter_lines())
            first = [next(events) for _ in range(4)]
            assert fake.held_count == 1
        finally:
            serving.__exit__(None, None, None)
        rest = list(events)

    assert text_of(ANTHROPIC_PATH, first + rest) == REPLY
    assert finished(ANTHROPIC_PATH, rest)
    assert fake.held_count == 0
