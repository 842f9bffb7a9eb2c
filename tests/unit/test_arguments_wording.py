"""The domain's rules for what the command line shows: what looks like a secret, counts, near misses."""

from __future__ import annotations

import random
import string

import pytest

from code_mesh.domain.text_rules import SECRET_PREFIXES, looks_like_secret, secret_pieces
from code_mesh.domain.wording import closest, counted, did_you_mean, with_suggestion


def _random(length: int, alphabet: str = string.ascii_letters + string.digits, seed: int = 7) -> str:
    return "".join(random.Random(seed).choices(alphabet, k=length))


@pytest.mark.parametrize(
    "word",
    [
        "sk-proj-AbC123xyz9876543210",
        "sk-ant-api03-abcdefGHIJ1234",
        "sk-1234",  # LiteLLM's documented master key
        "sk-test-123",  # what a new user pastes first (found trying the README as one)
        "sk-12345678",
        "sk-proj-abcdefghijklmnopqrstuv",  # made up, all lower case: still a key
        "ghp_Ab12",
        "ghp_" + _random(36),
        "gho_" + _random(36),
        "ghu_" + _random(36),
        "github_pat_11ABCDEFG0123456789_" + _random(20),
        "xai-" + _random(40),
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        _random(32, "0123456789abcdef"),  # hex, as old GitHub tokens and many keys are
        _random(24, string.ascii_lowercase + string.digits),
        "Q2PtxVQHIos_ZrbshhWzYGoE-ozqN5wn",  # base64url, cut short by its own - and _
        _random(24, string.ascii_letters),  # no digit at all, but random case
    ],
)
def test_keys_and_random_words_look_like_secrets(word: str) -> None:
    assert looks_like_secret(word)
    assert secret_pieces(word) == [word]


@pytest.mark.parametrize(
    "word",
    [
        "openai", "anthropic", "github-copilot", "my-idp", "work", "default", "xai", "xai-proxy",
        "xai-proxy-europe", "sk-doctor", "--with-key", "--account", "claude-3-5-sonnet-20241022",
        "gpt-4o-mini-2024-07-18", "meta-llama-3.1-405b-instruct", "mixtral-8x7b-32768",
        "anthropic.claude-3-5-sonnet-20241022-v2:0", "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
        "internationalization", "InternationalBusinessMachines", "code-mesh-home-for-tests-1",
        "/tmp/pytest-of-root/pytest-12/test_x0/code-mesh-home/auth.json",
        "/home/User/Documents/MyProjects/Backup2024/auth.json", "Please write a haiku about code",
        "",
    ],
)  # fmt: skip
def test_ids_names_paths_models_and_prose_do_not(word: str) -> None:
    assert not looks_like_secret(word)


def test_only_the_secret_part_of_an_argument_is_hidden() -> None:
    key = "sk-proj-AbC123xyz9876543210"
    assert secret_pieces(f"--account={key}") == [key]
    assert secret_pieces(f"summarise {key} for me") == [key]
    assert secret_pieces(f"{key},{key[::-1]}") == [key, key[::-1]]


def test_every_known_prefix_needs_a_random_tail() -> None:
    for prefix in SECRET_PREFIXES:
        assert looks_like_secret(prefix + "A1b2C3d4E5f6G7")
        assert not looks_like_secret(prefix + "proxy")


def test_counts_are_said_with_the_right_noun() -> None:
    assert [counted(n, "credential") for n in (0, 1, 2)] == ["0 credentials", "1 credential", "2 credentials"]
    assert [counted(n, "entry") for n in (1, 2)] == ["1 entry", "2 entries"]


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("OpenAI", "openai"),
        ("opnai", "openai"),
        ("anthropc", "anthropic"),
        ("Work", "work"),
        ("wrok", "work"),
    ],
)
def test_near_misses_find_what_was_meant(word: str, meant: str) -> None:
    candidates = ["openai", "anthropic", "github-copilot", "work", "default"]
    assert closest(word, candidates) == meant
    assert did_you_mean(word, candidates) == f"Did you mean {meant}?"
    assert with_suggestion(word, candidates, "Run it again.") == f"Did you mean {meant}? Run it again."


def test_no_suggestion_for_an_exact_or_distant_word() -> None:
    assert closest("openai", ["openai", "anthropic"]) is None
    assert closest("zzzzzz", ["openai", "anthropic"]) is None
    assert with_suggestion("zzzzzz", ["openai"], "Run it again.") == "Run it again."
