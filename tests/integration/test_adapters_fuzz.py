"""Acceptance 3 of issue 9: the OAuth and chat adapters fed arbitrary answers by a real loopback server.

Hypothesis draws a status, headers (content type and encoding, retry-after …) and a body: any
JSON, JSON shaped like the answers the adapters expect but with arbitrary values, server-sent
events with arbitrary names and data, or raw bytes, sometimes gzipped, sometimes falsely
claimed to be. Every call ends in a well-formed result or in an error the program handles
(the domain's CodeMeshError family, or the chat errors the `run` use case turns into one),
never another exception; every message is one printable line that quotes no secret of the
request, even when the server echoes them. One server serves all 300 examples.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_mesh.adapters.providers.chat_http import HttpChatClient
from code_mesh.adapters.providers.oauth_http import HttpOAuthGateway
from code_mesh.application.ports import TokenEndpoint
from code_mesh.application.provider_registry import ChatTarget
from code_mesh.application.run_message import (
    ChatRequest,
    RateLimited,
    StreamCut,
    TextDelta,
    Unauthorized,
    Usage,
)
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.oauth import (
    LATEST_UNIX_SECONDS,
    MAX_DEVICE_CODE_LIFETIME_SECONDS,
    MAX_POLL_INTERVAL_SECONDS,
    DevicePoll,
    TokenGrant,
)
from code_mesh.domain.providers import ApiKind
from code_mesh.domain.rules import header_safe
from code_mesh.domain.secret import Secret
from servers.scripted import ScriptedAnswer, ScriptedServer

REFRESH_TOKEN = "rt-fuzz-refresh-7f3a9c"
CLIENT_SECRET = "cs-fuzz-client-2b8e41"
CODE = "code-fuzz-5d1c07"
VERIFIER = "verifier-fuzz-" + "v" * 40
BEARER = "at-fuzz-bearer-9e6f22"
API_KEY = "sk-fuzz-api-key-4c0d88"
SECRETS = (REFRESH_TOKEN, CLIENT_SECRET, CODE, VERIFIER, BEARER, API_KEY)
NOW = 1_800_000_000.0

OAUTH_FIELDS = (
    "access_token",
    "refresh_token",
    "expires_in",
    "scope",
    "error",
    "error_description",
    "device_code",
    "user_code",
    "verification_uri",
    "verification_url",
    "verification_uri_complete",
    "interval",
    "raw_key",
    "token",
    "expires_at",
)
EVENT_NAMES = (
    "message_start",
    "content_block_start",
    "content_block_delta",
    "message_delta",
    "message_stop",
    "ping",
    "error",
    "",
)
CHAT_FIELDS = ("type", "message", "usage", "delta", "text", "error", "choices", "content", "index")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ScriptedServer, str]]:
    scripted = ScriptedServer()
    with scripted.serve() as base_url:
        yield scripted, base_url


# -- what a server may answer -------------------------------------------------------------

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SECRETS),
    st.builds(
        lambda a, s, b: f"{a}{s}{b}", st.text(max_size=10), st.sampled_from(SECRETS), st.text(max_size=10)
    ),
    st.sampled_from(
        ["invalid_grant", "authorization_pending", "slow_down", "https://x.example/d", "WDJB-MJHT"]
    ),
    st.just("\x1b]0;pwned\x07\x1b[2J"),
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 5, 3600, 10**20, 2**63, True, False]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(texts, st.sampled_from(OAUTH_FIELDS + CHAT_FIELDS)), inner, max_size=5),
    ),
    max_leaves=12,
)
oauth_answers = st.dictionaries(st.sampled_from(OAUTH_FIELDS), json_values, max_size=8)
chat_objects = st.dictionaries(st.sampled_from(CHAT_FIELDS), json_values, max_size=5)


def _sse(events: list[tuple[str, str]]) -> bytes:
    frames = [(f"event: {name}\n" if name else "") + f"data: {data}\n\n" for name, data in events]
    return "".join(frames).encode("utf-8", errors="surrogatepass")


event_data = st.one_of(
    chat_objects.map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from(["[DONE]", "", "not json", '{"choices": [{"delta": {"content": "hi"}}]}']),
)
sse_bodies = st.lists(
    st.tuples(st.one_of(st.sampled_from(EVENT_NAMES), st.text(max_size=8)), event_data), max_size=8
)

bodies = st.one_of(
    oauth_answers.map(json.dumps).map(str.encode),
    json_values.map(json.dumps).map(str.encode),
    sse_bodies.map(_sse),
    st.binary(max_size=200),
    st.just(b"[" * 50_000 + b"]" * 50_000),
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
content_types = st.one_of(
    st.sampled_from(
        ["application/json", "text/event-stream", "text/event-stream; charset=utf-8", "text/html"]
    ),
    header_text,
)
encodings = st.sampled_from([None, "gzip", "gzip-lie", "deflate", "identity", "br", "gzip, br"])
statuses = st.one_of(
    st.sampled_from([200, 201, 204, 301, 307, 400, 401, 403, 404, 429, 500, 503]), st.integers(200, 599)
)


@st.composite
def answers(draw: st.DrawFn) -> ScriptedAnswer:
    body = draw(bodies)
    headers = [("Content-Type", draw(content_types))]
    encoding = draw(encodings)
    if encoding == "gzip":
        body = gzip.compress(body)
    elif encoding == "deflate":
        body = zlib.compress(body)
    if encoding is not None:
        headers.append(("Content-Encoding", "gzip" if encoding == "gzip-lie" else encoding))
    for name in draw(
        st.lists(st.sampled_from(["retry-after", "retry-after-ms", "location", "x-other"]), max_size=2)
    ):
        headers.append(
            (
                name,
                draw(
                    st.one_of(
                        header_text, st.sampled_from(["-5", "NaN", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT"])
                    )
                ),
            )
        )
    return ScriptedAnswer(draw(statuses), headers, body)


# -- what the adapters must do with it ------------------------------------------------------

SENT = {
    "exchange_code": (CODE, VERIFIER, CLIENT_SECRET),
    "refresh": (REFRESH_TOKEN, CLIENT_SECRET),
    "start_device": (CLIENT_SECRET,),
    "poll_device": (CODE, CLIENT_SECRET),
    "create_api_key": (BEARER,),
    "copilot_token": (BEARER,),
    "chat_anthropic": (API_KEY,),
    "chat_openai": (API_KEY,),
}
"""The secrets each operation's request carries: a message must never quote them."""
OPERATIONS = tuple(SENT)


def _check_grant(grant: TokenGrant) -> None:
    assert header_safe(grant.access_token.reveal()) == grant.access_token.reveal()
    assert grant.expires_in is None or (math.isfinite(grant.expires_in) and grant.expires_in >= 0)
    credential = grant.as_credential(NOW)
    assert credential.expires_at is None or 0 <= credential.expires_at < 2**63


def _call(operation: str, base: str) -> None:
    endpoint = TokenEndpoint(f"{base}/token", "fuzz-client", Secret(CLIENT_SECRET))
    if operation.startswith("chat"):
        kind = ApiKind.ANTHROPIC_MESSAGES if operation == "chat_anthropic" else ApiKind.OPENAI_CHAT
        target = ChatTarget(ProviderId("fuzz"), kind, base, "model")
        client = HttpChatClient(timeout=15)
        headers = (
            {"x-api-key": API_KEY}
            if kind is ApiKind.ANTHROPIC_MESSAGES
            else {"Authorization": f"Bearer {API_KEY}"}
        )
        for event in client.stream(target, headers, ChatRequest("model", "hello")):
            assert isinstance(event, TextDelta | Usage)
            if isinstance(event, TextDelta):
                assert isinstance(event.text, str)
            else:
                assert all(isinstance(v, int) and not isinstance(v, bool) for v in event.counts.values())
        return
    gateway = HttpOAuthGateway(timeout=15)
    try:
        if operation == "exchange_code":
            _check_grant(gateway.exchange_code(endpoint, Secret(CODE), Secret(VERIFIER), f"{base}/cb", "st"))
        elif operation == "refresh":
            _check_grant(gateway.refresh(endpoint, Secret(REFRESH_TOKEN)))
        elif operation == "start_device":
            device = gateway.start_device_authorization(f"{base}/device", endpoint, "openid")
            assert device.user_code.isprintable() and device.verification_uri.isprintable()
            assert 0 <= device.interval <= MAX_POLL_INTERVAL_SECONDS
            assert 0 < device.expires_in <= MAX_DEVICE_CODE_LIFETIME_SECONDS
        elif operation == "poll_device":
            answer = gateway.poll_device_token(endpoint, Secret(CODE))
            if not isinstance(answer, DevicePoll):
                _check_grant(answer)
        elif operation == "create_api_key":
            key = gateway.create_api_key(f"{base}/key", Secret(BEARER))
            assert header_safe(key.reveal()) == key.reveal()
        else:
            exchanged = gateway.fetch_copilot_token(f"{base}/copilot", Secret(BEARER))
            token = exchanged.token.reveal()
            assert header_safe(token) == token and 0 < exchanged.expires_at <= LATEST_UNIX_SECONDS
            assert exchanged.api_url is None or exchanged.api_url.isprintable()
    finally:
        gateway.close()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(answer=answers(), operation=st.sampled_from(OPERATIONS))
def test_no_answer_makes_an_adapter_fail_other_than_the_program_expects(
    server: tuple[ScriptedServer, str], answer: ScriptedAnswer, operation: str
) -> None:
    scripted, base = server
    scripted.answer = answer
    try:
        _call(operation, base)
    except CodeMeshError as error:
        line = error.one_line()
        assert line.isprintable(), line
        assert not any(secret in line for secret in SENT[operation]), line
    except (Unauthorized, StreamCut):
        pass
    except RateLimited as limited:
        assert limited.retry_after is None or (
            math.isfinite(limited.retry_after) and limited.retry_after >= 0
        )


def test_the_fuzzing_reaches_the_server(server: tuple[ScriptedServer, str]) -> None:
    """Guard for the test above: it talks to the real socket, not to nothing."""
    scripted, base = server
    scripted.answer = ScriptedAnswer(200, [("Content-Type", "application/json")], b'{"access_token": "at-1"}')
    before = scripted.served
    gateway = HttpOAuthGateway(timeout=15)
    assert gateway.refresh(TokenEndpoint(f"{base}/token", "c"), Secret(REFRESH_TOKEN)).access_token == Secret(
        "at-1"
    )
    assert scripted.served == before + 1
