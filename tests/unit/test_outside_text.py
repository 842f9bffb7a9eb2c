"""Text and values from outside (servers, the environment): escaped, redacted, bounded (issue 9)."""

from __future__ import annotations

import math

import pytest

from code_mesh.application.token import UsableToken, header_ready, token_from_environment
from code_mesh.domain.credentials import ApiKey, StoredCredential
from code_mesh.domain.errors import InvalidInput
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import (
    LATEST_UNIX_SECONDS,
    MAX_TOKEN_LIFETIME_SECONDS,
    device_code_lifetime,
    displayable_user_code,
    error_code,
    poll_interval,
    token_lifetime,
    unix_seconds,
    web_url,
)
from code_mesh.domain.providers import ProviderEntry
from code_mesh.domain.rules import header_safe
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import for_terminal, one_line, redact

OPENAI = ProviderEntry(ProviderId("openai"), "OpenAI", env=("OPENAI_API_KEY",))
ESCAPES = "\x1b]0;title\x07\x1b[2J\x9b31m\x7f\u202e\ud800"


def test_every_character_that_steers_a_terminal_is_escaped() -> None:
    shown = for_terminal(f"a{ESCAPES}b\nc\td")
    assert shown == "a\\x1b]0;title\\x07\\x1b[2J\\x9b31m\\x7f\\u202e\\ud800b\\x0ac\\x09d"
    assert all(char.isprintable() for char in shown)
    assert for_terminal("line one\nline\ttwo\r", keep_newlines=True) == "line one\nline\ttwo\\x0d"
    assert for_terminal("plain, café, 日本") == "plain, café, 日本"
    # One line (messages): every character that is not printable; text (a reply): a ZWJ stays.
    assert for_terminal("👩\u200d💻 \ue000") == "👩\\u200d💻 \\ue000"
    assert for_terminal("👩\u200d💻\n", keep_newlines=True) == "👩\u200d💻\n"


def test_one_line_redacts_before_it_cuts_and_stays_short() -> None:
    token = "rt-" + "s" * 300
    text = f"the refresh token {token} was revoked\r\n{ESCAPES}" + "x" * 10_000
    line = one_line(text, 200, [token])
    assert len(line) == 201 and line.endswith("…")
    assert line.startswith("the refresh token [redacted] was revoked\\x0d\\x0a\\x1b")
    assert "sss" not in line
    assert one_line("  short  ") == "short"
    assert redact("ab abc", ["ab", "abc"]) == "[redacted] [redacted]", "the longer secret first"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sk-key", "sk-key"),
        ("sk-key\r\n", "sk-key"),
        ("  sk-key\t", "sk-key"),
        ("sk-key\r\nX-Injected: 1", None),
        ("sk-\x00key", None),
        ("sk-kéy", None),
        ("\r\n", None),
        ("", None),
    ],
)
def test_header_safe_trims_around_and_refuses_inside(value: str, expected: str | None) -> None:
    assert header_safe(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("invalid_grant", "invalid_grant"),
        ("invalid_grant: refresh token sk-ant-ort-1234 is revoked", "invalid_grant"),
        ("invalid_grant revoked", "invalid_grant"),
        ("invalid_grantee", "invalid_grantee"),
        ("\x1b[2Jinvalid_grant", None),
        ("x" * 65, None),
        ("", None),
    ],
)
def test_the_error_code_is_the_leading_rfc_6749_word(value: str, code: str | None) -> None:
    assert error_code(value) == code


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (3600, 3600.0),
        (0, 0.0),
        (59.5, 59.5),
        ("3600", 3600.0),
        (1e300, None),
        (math.inf, None),
        (math.nan, None),
        (10**30, None),
        ("9" * 400, None),
        (-5, None),
        (True, None),
        ("soon", None),
        (None, None),
        (MAX_TOKEN_LIFETIME_SECONDS + 1, None),
    ],
)
def test_a_token_lifetime_that_is_not_a_sane_number_of_seconds_is_unknown(
    value: object, seconds: float | None
) -> None:
    assert token_lifetime(value) == seconds


@pytest.mark.parametrize(
    ("value", "interval", "lifetime"),
    [(10**9, 60.0, 1800.0), (math.inf, 5.0, 900.0), ("x", 5.0, 900.0), (-1, 5.0, 900.0), (2, 2.0, 2.0)],
)
def test_device_timings_are_bounded(value: object, interval: float, lifetime: float) -> None:
    assert (poll_interval(value), device_code_lifetime(value)) == (interval, lifetime)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_800_000_000, 1_800_000_000),
        (1.8e9, 1_800_000_000),
        (True, None),
        (10**20, None),
        (LATEST_UNIX_SECONDS + 1, None),
        (0, None),
        ("1800000000", None),
        (math.nan, None),
    ],
)
def test_an_absolute_expiry_is_whole_seconds_up_to_the_year_9999(value: object, expected: int | None) -> None:
    assert unix_seconds(value) == expected


def test_what_a_device_flow_shows_must_be_printable() -> None:
    assert displayable_user_code("WDJB-MJHT") == "WDJB-MJHT"
    assert displayable_user_code("\x1b[2JWDJB") is None
    assert displayable_user_code("x" * 65) is None
    assert displayable_user_code(1234) is None
    assert web_url("https://github.com/login/device") == "https://github.com/login/device"
    assert web_url("javascript:alert(1)") is None
    assert web_url("https://github.com/login/device\x1b[2J") is None
    assert web_url("https://exa mple.com/") is None
    assert web_url("http:///nohost") is None


def test_secrets_are_made_ready_for_a_header_or_refused_by_name() -> None:
    """L1: what reaches an HTTP header is trimmed, or refused naming the credential, never shown."""
    stored = StoredCredential(ProviderId("openai"), AccountName("work"), ApiKey(Secret("sk-a\r\nX: 1")))
    with pytest.raises(InvalidInput) as caught:
        header_ready(UsableToken(Secret("sk-a\r\nX: 1"), "store"), stored)
    assert caught.value.one_line() == (
        "The stored credential openai (work) holds a line break or a control character inside its secret, "
        "so it was not sent. Log in again: `code-mesh auth login openai --account work`."
    )
    trimmed = header_ready(UsableToken(Secret(" sk-a\n"), "store"), stored)
    assert trimmed.secret == Secret("sk-a")
    assert token_from_environment(OPENAI, None, {"OPENAI_API_KEY": "sk-e\r\n"}) == UsableToken(
        Secret("sk-e"), "env:OPENAI_API_KEY"
    )
    with pytest.raises(InvalidInput, match="OPENAI_API_KEY holds a line break") as refused:
        token_from_environment(OPENAI, None, {"OPENAI_API_KEY": "sk-e\r\nsk-f"})
    assert "sk-e" not in refused.value.one_line()
