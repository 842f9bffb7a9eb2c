"""Hypothesis over the whole command line and standard input, in-process (issue 11, acceptance 2).

Command lines are built from the real commands and options, values that are right, nearly
right and wrong, random words, and a planted secret (a key with a well-known prefix) placed
where a hurried user would put one: as an argument, after `=`, on standard input. Whatever
the command, the run ends with exit 0, 1 or 2, never "unexpected internal error" nor a
traceback, a failure says so in a `code-mesh: error:` line, and the planted secret appears
in no output. The providers' URLs point at a closed port on 127.0.0.1, so any network step
fails at once and locally.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli_process import write_config
from code_mesh.domain.text_rules import SECRET_PREFIXES
from in_process import environment, run_in_process

PLANTED = "\x00planted\x00"
"""Stands for the secret in a drawn command line; each run puts a new one in its place, so a
secret stored by one example can never be printed, rightly, by another (`auth token`)."""
CLOSED = "http://127.0.0.1:9"

COMMANDS = [
    [],
    ["auth"],
    ["auth", "login"],
    ["auth", "list"],
    ["auth", "ls"],
    ["auth", "logout"],
    ["auth", "token"],
    ["auth", "refresh"],
    ["auth", "switch"],
    ["auth", "export"],
    ["auth", "import"],
    ["auth", "doctor"],
    ["auth", "key"],
    ["auth", "key", "rotate"],
    ["auth", "status"],
    ["auth", "which"],
    ["run"],
    ["completion"],
]
OPTIONS = [
    "--account", "--method", "--with-key", "--no-browser", "--all", "--yes", "--json", "--format",
    "--output", "--dry-run", "--provider", "--model", "--system", "--max-tokens", "--help", "-h",
    "--version", "--debug", "--", "-",
]  # fmt: skip
VALUES = [
    "openai", "anthropic", "github-copilot", "github", "my-llm", "OpenAI", "opnai", "", " ",
    "default", "work", "Work", "api-key", "claude-max", "device", "oauth", "console",
    "code-mesh", "opencode", "auto", "bash", "zsh", "fish", "0", "-1", "99999999999999999999",
    "out.json", "missing.json",
]  # fmt: skip
# Random words stay inside the scratch directory: no path separator, no `~`, no `..`.
WORD_ALPHABET = st.characters(blacklist_characters="/~\x00", blacklist_categories=("Cs",))
random_words = st.text(WORD_ALPHABET, max_size=12).filter(lambda word: word not in (".", ".."))
planted_words = st.sampled_from([PLANTED, f"--account={PLANTED}", f"--with-key={PLANTED}", f"x{PLANTED}"])
words = st.one_of(
    st.sampled_from(OPTIONS), st.sampled_from(VALUES), random_words, planted_words, st.just(PLANTED)
)


TEMPLATES = [
    ["auth", "login", "openai", "--with-key"],
    ["auth", "login", "openai"],
    ["auth", "login", "openai", "--account", "work", "--with-key"],
    ["auth", "login", "my-llm", "--with-key"],
    ["auth", "login", "anthropic", "--method", "claude-max", "--no-browser"],
    ["auth", "login", "anthropic", "--method", "console", "--no-browser"],
    ["auth", "login", "anthropic", "--with-key"],
    ["auth", "login", "github-copilot", "--no-browser"],
    ["auth", "login", "github", "--no-browser"],
    ["auth", "list"],
    ["auth", "list", "--json"],
    ["auth", "token", "openai"],
    ["auth", "token", "openai", "--account", "work"],
    ["auth", "token", "anthropic"],
    ["auth", "refresh", "openai"],
    ["auth", "refresh", "anthropic"],
    ["auth", "switch", "openai", "work"],
    ["auth", "switch", "openai", "default"],
    ["auth", "logout", "openai", "--yes"],
    ["auth", "logout", "openai", "--account", "work", "--yes"],
    ["auth", "logout", "openai"],
    ["auth", "logout", "--all", "--yes"],
    ["auth", "export", "--output", "-"],
    ["auth", "export", "--format", "opencode", "--output", "-"],
    ["auth", "export", "--output", "out.json"],
    ["auth", "import", "-"],
    ["auth", "import", "-", "--dry-run"],
    ["auth", "import", "-", "--format", "opencode"],
    ["auth", "import", "out.json"],
    ["auth", "doctor"],
    ["auth", "doctor", "--json"],
    ["auth", "key", "rotate"],
    ["run", "hello", "--provider", "openai"],
    ["run", "-", "--provider", "anthropic"],
    ["run", "hello"],
    ["completion", "bash"],
    ["--version"],
    ["auth", "login", "--help"],
]
"""Command lines that get past the parser, so that the commands themselves are exercised."""


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Mostly a real command line with a word or two added or replaced; sometimes words at random."""
    if draw(st.integers(0, 3)) == 0:
        return [*draw(st.sampled_from(COMMANDS)), *draw(st.lists(words, max_size=5))]
    line = list(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.sampled_from((0, 0, 1, 2)))):
        position = draw(st.integers(0, len(line)))
        if draw(st.booleans()) and position < len(line):
            line[position] = draw(words)
        else:
            line.insert(position, draw(words))
    return line


def auth_json(entries: dict[str, object]) -> str:
    return json.dumps({"credentials": entries})


standard_input = st.one_of(
    st.just(""),
    st.just(PLANTED),
    st.just(PLANTED + "\n"),
    st.just(f"{PLANTED}\nsk-second-line\n"),
    st.just("{}"),
    st.just('{"credentials": {}}'),
    st.just(auth_json({"openai": {"type": "api_key", "key": PLANTED}})),
    st.just(auth_json({"anthropic": {"type": "oauth", "access_token": PLANTED, "refresh_token": "r"}})),
    st.just(json.dumps({"openrouter": {"type": "api", "key": PLANTED}})),
    st.just(auth_json({"openai": {"type": "api_key", "key": f"{PLANTED}\n{PLANTED}"}})),
    st.text(max_size=40),
)
# A key's tail is random; drawn from a seed, so that shrinking cannot make it "0000…".
secret_tails = st.integers(0, 2**32).map(
    lambda seed: "".join(random.Random(seed).choices(string.ascii_letters + string.digits, k=24))
)
_serial = itertools.count()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One home for every example (a store per example would cost most of the budget), with
    a credential in it and the providers sent to a closed local port; run from a scratch
    directory, so that `--output out.json` lands there."""
    root = tmp_path_factory.mktemp("fuzz")
    home = root / "home"
    write_config(
        home,
        f"""
[providers.anthropic]
token_url = "{CLOSED}/token"
create_api_key_url = "{CLOSED}/key"
api_base_url = "{CLOSED}"
[providers.github-copilot]
device_code_url = "{CLOSED}/device"
token_url = "{CLOSED}/token"
copilot_token_url = "{CLOSED}/copilot"
api_base_url = "{CLOSED}"
[providers.openai]
api_base_url = "{CLOSED}"
""",
    )
    before = Path.cwd()
    os.chdir(root)
    try:
        with environment(home, {"CODE_MESH_HTTP_TIMEOUT": "2"}):
            os.environ.pop("DISPLAY", None)
            os.environ.pop("WAYLAND_DISPLAY", None)
            seeded = run_in_process(["auth", "login", "openai", "--account", "work", "--with-key"], "sk-seed")
            assert seeded.code == 0, seeded.stderr
            yield home
    finally:
        os.chdir(before)


@settings(
    max_examples=800,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    arguments=command_lines(),
    stdin=standard_input,
    tail=secret_tails,
    prefix=st.sampled_from(SECRET_PREFIXES),
)
def test_no_command_line_ends_in_an_internal_error_or_shows_a_planted_secret(
    home: Path, arguments: list[str], stdin: str, tail: str, prefix: str
) -> None:
    secret = f"{prefix}{tail}{next(_serial):05d}"
    arguments = [word.replace(PLANTED, secret) for word in arguments]
    outcome = run_in_process(arguments, stdin.replace(PLANTED, secret))
    event(f"exit {outcome.code}")
    assert outcome.code in (0, 1, 2), (arguments, outcome)
    assert "unexpected internal error" not in outcome.stderr, (arguments, outcome)
    assert "Traceback" not in outcome.output, (arguments, outcome)
    assert secret not in outcome.output, (arguments, outcome)
    if outcome.code == 2:
        assert outcome.stderr.splitlines()[-1].startswith("code-mesh: error: "), (arguments, outcome)
