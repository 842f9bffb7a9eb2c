"""The one gate for what a user or a file gives: one-line secrets, names, durations, debug words."""

from __future__ import annotations

import pytest

from code_mesh.domain.credentials import (
    ApiKey,
    Custom,
    InvalidCredential,
    OAuthToken,
    checked,
    one_line_secret,
)
from code_mesh.domain.durations import describe_duration, describe_expiry
from code_mesh.domain.rules import debug_setting, is_printable_line
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import one_line

SECRET = "sk-gate-7f3a9c"


def test_surrounding_whitespace_is_trimmed() -> None:
    assert one_line_secret(f"  {SECRET}\r\n", "API key").reveal() == SECRET
    assert checked(ApiKey(Secret(f"{SECRET}\n"))) == ApiKey(Secret(SECRET))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("  \n", "the API key is empty"),
        (f"{SECRET}\nsk-second", "the API key holds a line break (it must be one line)"),
        (f"{SECRET}\u2028x", "the API key holds a line break (it must be one line)"),
        (f"{SECRET}\x00x", "the API key holds a control or invisible character"),
        (f"{SECRET}\x1b[31m", "the API key holds a control or invisible character"),
        (f"{SECRET}\tx", "the API key holds a control or invisible character"),
        (f"{SECRET}\ud800", "the API key is not valid text (it holds a lone surrogate)"),
        ("k" * (64 * 1024 + 1), "the API key is longer than 64 KiB"),
        ("é" * (32 * 1024 + 1), "the API key is longer than 64 KiB"),
    ],
)
def test_a_key_that_is_not_one_line_is_refused_without_being_quoted(value: str, problem: str) -> None:
    with pytest.raises(InvalidCredential) as caught:
        checked(ApiKey(Secret(value)))
    assert str(caught.value) == problem
    assert SECRET not in str(caught.value)


def test_a_key_of_exactly_64_kib_is_accepted() -> None:
    assert checked(ApiKey(Secret("k" * 64 * 1024)))


def test_oauth_tokens_and_metadata_are_checked_and_trimmed() -> None:
    token = OAuthToken(Secret(" a "), Secret("r\n"), 10, account_id=" acct ", scopes="")
    assert checked(token) == OAuthToken(Secret("a"), Secret("r"), 10, account_id="acct")
    with pytest.raises(InvalidCredential, match=r"^the refresh token holds a line break"):
        checked(OAuthToken(Secret("a"), Secret("r\nx")))
    with pytest.raises(InvalidCredential, match=r"^the enterprise_url holds a control"):
        checked(OAuthToken(Secret("a"), enterprise_url="https://x\x1b]8;;"))


def test_expiry_beyond_int64_is_refused() -> None:
    assert OAuthToken(Secret("a"), expires_at=2**63 - 1).expires_at == 2**63 - 1
    with pytest.raises(InvalidCredential, match="out of range"):
        OAuthToken(Secret("a"), expires_at=2**63)


def test_custom_data_may_span_lines_but_its_token_field_may_not() -> None:
    pem = "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n"
    data = {"token": Secret(" t \n"), "pem": Secret(pem)}
    assert checked(Custom(data)) == Custom({"token": Secret("t"), "pem": Secret(pem)})
    with pytest.raises(InvalidCredential, match=r"^the custom field 'token' holds a line break"):
        checked(Custom({"token": Secret("t\nu"), "pem": Secret(pem)}))
    with pytest.raises(InvalidCredential, match=r"^the custom field 'only' holds a line break"):
        checked(Custom({"only": Secret("a\nb")}))
    with pytest.raises(InvalidCredential, match=r"^the custom field 'pem' holds a control character"):
        checked(Custom({"token": Secret("t"), "pem": Secret("a\x1b[2J")}))


def test_custom_field_names_are_one_printable_line_and_never_quoted() -> None:
    with pytest.raises(InvalidCredential) as caught:
        checked(Custom({"\x1b]0;owned\x07": Secret("t")}))
    assert str(caught.value) == (
        "a field name of the custom data holds a line break, a control or an invisible character"
    )


def test_printable_line_rule_of_the_token_path() -> None:
    assert is_printable_line(SECRET)
    for bad in ("", " x", "x ", "a\nb", "a\x00b", "a\rb", "\ud800"):
        assert not is_printable_line(bad)


def test_names_from_files_are_shown_escaped_and_cut() -> None:
    assert one_line("name\x1b[31m\tx") == "name\\x1b[31m\\x09x"
    assert one_line("é ok") == "é ok"
    assert one_line("x" * 100, limit=10) == "x" * 10 + "…"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (42.9, "42s"),
        (59 * 60 + 59, "59m 59s"),
        (3 * 3600 + 12 * 60 + 59, "3h 12m"),
        (3600, "1h"),
        (86_400 + 3599, "1d"),
        (2 * 86_400 + 4 * 3600 + 59 * 60, "2d 4h"),
    ],
)
def test_durations_show_the_two_largest_units_rounded_down(seconds: float, text: str) -> None:
    assert describe_duration(seconds) == text


def test_a_past_expiry_reads_expired_ago() -> None:
    assert describe_expiry(1_000 + 2 * 3600 + 13 * 60, 1_000) == "expires in 2h 13m"
    assert describe_expiry(1_000, 1_000 + 5 * 60 + 1) == "expired 5m 1s ago"
    assert describe_expiry(1_000, 1_000 + 86_400 + 3600) == "expired 1d 1h ago"


@pytest.mark.parametrize(
    ("value", "setting"),
    [
        (None, False),
        ("", False),
        ("0", False),
        ("false", False),
        (" No ", False),
        ("off", False),
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("2", None),
        ("debug", None),
    ],
)
def test_debug_words(value: str | None, setting: bool | None) -> None:
    assert debug_setting(value) is setting
