"""`code-mesh run` against chat APIs that misbehave, and keys from the environment (issue 9: L1, R1,
R2, T2, injection), through the installed CLI and the loopback fake of tests/servers/fake_llm_apis.py."""

from __future__ import annotations

import email.utils
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from cli_process import run_measuring_memory, write_config
from conftest import CliRunner, clean_environment
from servers.fake_llm_apis import ANTHROPIC_PATH, OPENAI_PATH, FakeLLMApis

ANTHROPIC_KEY = "sk-ant-misbehaving-5e1b"
OPENAI_KEY = "sk-openai-misbehaving-72c4"
ERROR_PREFIX = "code-mesh: error: "


KEYS = {"ANTHROPIC_API_KEY": ANTHROPIC_KEY, "OPENAI_API_KEY": OPENAI_KEY}
"""The keys come from the environment (no login to pay for in every test)."""


@pytest.fixture
def llm(home: Path) -> Iterator[FakeLLMApis]:
    """The chat fake, and config.toml pointing both providers at it."""
    fake = FakeLLMApis()
    fake.api_keys.update({ANTHROPIC_KEY, OPENAI_KEY})
    with fake.serve() as base:
        write_config(
            home,
            f'[providers.anthropic]\napi_base_url = "{base}"\n[providers.openai]\napi_base_url = "{base}/v1"\n',
        )
        yield fake


def one_error(stderr: str, *words: str) -> str:
    """The one error line (debug lines aside): no traceback, no raw escape sequence."""
    assert "Traceback" not in stderr and "\x1b" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if not line.startswith("code-mesh debug: ")]
    assert len(errors) == 1 and errors[0].startswith(ERROR_PREFIX), stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return ((f"event: {event}\n" if event else "") + f"data: {text}\n\n").encode()


def test_a_key_with_a_line_break_from_the_environment(cli: CliRunner, llm: FakeLLMApis) -> None:
    """L1: `OPENAI_API_KEY=$(cat key-with-crlf)`: trimmed around, refused inside, never shown, and
    never an httpx error whose message (and --debug traceback) quotes the header."""
    trimmed = cli("run", "hello", "--provider", "openai", env={"OPENAI_API_KEY": f"{OPENAI_KEY}\r\n"})
    assert (trimmed.returncode, trimmed.stdout) == (0, "Hello, world!\n"), trimmed.stderr
    assert llm.openai_requests()[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    token = cli("auth", "token", "openai", env={"OPENAI_API_KEY": f"{OPENAI_KEY}\r"})
    assert (token.returncode, token.stdout) == (0, OPENAI_KEY + "\n")

    sent = len(llm.requests)
    for debug in ([], ["--debug"]):
        injected = cli(
            *debug,
            "run",
            "hello",
            "--provider",
            "openai",
            env={"OPENAI_API_KEY": f"{OPENAI_KEY}\r\nX-Injected: 1"},
        )
        assert injected.returncode == 1 and injected.stdout == ""
        one_error(injected.stderr, "OPENAI_API_KEY holds a line break", "was not used")
        assert OPENAI_KEY not in injected.stderr
    assert len(llm.requests) == sent, "nothing was sent"


def test_run_bounds_the_wait_for_each_piece(cli: CliRunner, llm: FakeLLMApis) -> None:
    """R1: `run` honours CODE_MESH_HTTP_TIMEOUT: a stream that trickles one byte every 0.5 s after
    the first piece (no read ever times out) ends 3 s after it, with what arrived printed."""
    llm.trickle_interval = 0.5
    llm.fail_next("trickle", path=OPENAI_PATH)
    started = time.monotonic()
    result = cli("run", "hello", "--provider", "openai", env={**KEYS, "CODE_MESH_HTTP_TIMEOUT": "3"})
    assert time.monotonic() - started < 30, "the trickle takes 100 s"
    assert (result.returncode, result.stdout) == (1, "Hello\n")
    one_error(result.stderr, "sent nothing for 3 s part-way through the reply; what arrived is above")
    bad = cli("run", "hello", "--provider", "openai", env={**KEYS, "CODE_MESH_HTTP_TIMEOUT": "nan"})
    one_error(bad.stderr, "CODE_MESH_HTTP_TIMEOUT must be a number of seconds from 0 to 3600, not 'nan'")


def test_a_gzip_bomb_or_a_huge_line_in_a_stream_is_refused(home: Path, llm: FakeLLMApis) -> None:
    """R2: one line of a stream is at most 1 MiB, also after decompression (256 MiB here)."""
    for kind in ("gzip-bomb", "huge-line"):
        llm.fail_next(kind, path=ANTHROPIC_PATH)
        result, peak_mib = run_measuring_memory(home, "run", "hello", "--provider", "anthropic", env=KEYS)
        assert result.returncode == 1 and result.stdout == ""
        one_error(result.stderr, "sent a line longer than 1024 KiB")
        assert peak_mib < 100, f"{kind}: peak memory {peak_mib:.0f} MiB"


def test_answers_that_are_not_a_stream_show_the_providers_words_safely(
    cli: CliRunner, llm: FakeLLMApis
) -> None:
    """T2: a JSON body at 200 instead of events; SPEC section 7: the provider's message, escaped,
    with the request's key redacted (a gateway that quotes it); bad gzip."""
    cases = [
        (
            "json-200",
            "answered with application/json instead of a stream: \\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mstream is",
        ),
        ("echo-key-400", "answered HTTP 400: Incorrect API key provided: [redacted]."),
        ("bad-gzip", "sent a compressed answer that cannot be decompressed"),
    ]
    for kind, words in cases:
        llm.fail_next(kind, path=OPENAI_PATH)
        result = cli("run", "hello", "--provider", "openai", env=KEYS)
        assert result.returncode == 1 and result.stdout == ""
        one_error(result.stderr, words)
        assert OPENAI_KEY not in result.stderr


def test_misshapen_events_add_nothing_and_errors_inside_a_stream_end_the_run(
    cli: CliRunner, llm: FakeLLMApis
) -> None:
    """T2: lists where objects belong, missing fields and wrong types are skipped, the good events
    still count; an error event ends the run with its words, escaped (injection)."""
    good = sse(
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "ok"}}, "content_block_delta"
    )
    anthropic_frames = [
        sse({"type": "message_start", "message": []}, "message_start"),
        sse({"delta": "a string"}, "content_block_delta"),
        sse({"delta": {"type": "text_delta", "text": 42}}, "content_block_delta"),
        sse([1, 2], "content_block_delta"),
        sse({"usage": [1, 2]}, "message_delta"),
        sse({"usage": {"output_tokens": "many", "input_tokens": True}}, "message_delta"),
        good,
        sse({"type": "message_stop"}, "message_stop"),
    ]
    openai_frames = [
        sse({"choices": {}}),
        sse({"choices": [1, "x", None, {"delta": []}, {"delta": {"content": 5}}]}),
        sse({"usage": [1]}),
        sse([]),
        sse({"choices": [{"delta": {"content": "ok"}}]}),
        sse("[DONE]"),
    ]
    for path, provider, frames in (
        (ANTHROPIC_PATH, "anthropic", anthropic_frames),
        (OPENAI_PATH, "openai", openai_frames),
    ):
        llm.fail_next("frames", path=path, frames=frames)
        result = cli("run", "hello", "--provider", provider, "--json", env=KEYS)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["text"] == "ok"
        assert json.loads(result.stdout)["usage"] == {}

    error = {
        "type": "error",
        "error": {"type": "\x1b[2Joverloaded_error", "message": "\x1b]0;pwned\x07Overloaded"},
    }
    for path, provider, frames, words in (
        (
            ANTHROPIC_PATH,
            "anthropic",
            [good, sse(error, "error")],
            "(\\x1b[2Joverloaded_error: \\x1b]0;pwned\\x07Overloaded)",
        ),
        (
            OPENAI_PATH,
            "openai",
            [sse({"error": {"message": "quota", "type": "insufficient_quota"}})],
            "(insufficient_quota: quota)",
        ),
        (OPENAI_PATH, "openai", [sse("{not json")], "sent an event that is not JSON"),
    ):
        llm.fail_next("frames", path=path, frames=frames)
        result = cli("run", "hello", "--provider", provider, env=KEYS)
        assert result.returncode == 1
        one_error(result.stderr, words)


def test_retry_after_values_that_say_nothing_are_not_advice(cli: CliRunner, llm: FakeLLMApis) -> None:
    """T2: -5, NaN and 1e400 are not a wait ("Wait nan s" before); an HTTP date is understood."""
    for value in ("-5", "NaN", "1e400"):
        llm.fail_next("429", path=OPENAI_PATH, retry_after=value)
        result = cli("run", "hello", "--provider", "openai", env=KEYS)
        assert result.returncode == 1
        one_error(
            result.stderr,
            "rate limiting requests (HTTP 429: Rate limit reached (injected)). Wait a little and try again",
        )
    llm.fail_next("429", path=OPENAI_PATH, retry_after=email.utils.formatdate(time.time() + 120, usegmt=True))
    line = one_error(cli("run", "hello", "--provider", "openai", env=KEYS).stderr, "(injected)). Wait ")
    assert re.search(r"Wait 1[012]\d s and try again", line), line


REPLY = ("Hi ", "\x1b]0;pwned\x07", "\x1b[2J", "there", " \u202eevil")


def test_reply_text_is_escaped_at_a_terminal_and_passed_on_to_a_pipe(
    cli: CliRunner, home: Path, llm: FakeLLMApis
) -> None:
    """Injection: a reply is text from outside. At a terminal its control characters are shown
    escaped; to a pipe or a file it goes as it came (README, `run`)."""
    llm.reply_pieces = list(REPLY)
    piped = cli("run", "hello", "--provider", "openai", env=KEYS)
    assert (piped.returncode, piped.stdout) == (0, "".join(REPLY) + "\n")

    child = pexpect.spawn(
        sys.executable,
        ["-m", "code_mesh", "run", "hello", "--provider", "openai"],
        env=clean_environment(home, KEYS),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    shown = child.before
    assert child.exitstatus == 0, shown
    assert "Hi \\x1b]0;pwned\\x07\\x1b[2Jthere \\u202eevil" in shown
    assert "\x1b" not in shown and "\u202e" not in shown
