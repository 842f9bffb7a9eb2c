"""`code-mesh run`: stored credentials reach the providers' APIs for real (SPEC section 7).

Loopback fakes speak real server-sent events, record the headers they get and refuse what
the real services refuse (tests/servers/fake_llm_apis.py says where each quirk is seen);
the fake Anthropic and GitHub issue and refresh the OAuth credentials used.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anthropic_login import log_in_to_anthropic, make_token_due
from cli_process import CliProcess, write_config
from conftest import CliRunner, clean_environment, command_line, lines_besides_the_keyfile_notice
from copilot_login import log_in_to_copilot
from servers.fake_anthropic import FakeAnthropic
from servers.fake_github import FakeGitHub
from servers.fake_llm_apis import ANTHROPIC_PATH, COPILOT_PATH, OPENAI_PATH, FakeLLMApis
from servers.harness import serve_wsgi

ANTHROPIC_KEY = "sk-ant-run-key-4f2a"
OPENAI_KEY = "sk-openai-run-key-9c1d"
CUSTOM_KEY = "sk-local-run-key-77e0"


@dataclass
class Fakes:
    llm: FakeLLMApis
    anthropic: FakeAnthropic
    github: FakeGitHub


class LiveTokens:
    """What the LLM fake accepts: the tokens an issuing fake considers valid at request time.

    The LLM fake copies its token sets per request (set(...)), so iteration is what counts.
    """

    def __init__(self, issued: Callable[[], Iterable[str]], valid: Callable[[str], bool]) -> None:
        self._issued = issued
        self._valid = valid

    def __iter__(self) -> Iterator[str]:
        return iter([token for token in self._issued() if self._valid(token)])

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token in list(self)


@pytest.fixture
def fakes(home: Path) -> Iterator[Fakes]:
    llm, anthropic, github = FakeLLMApis(), FakeAnthropic(), FakeGitHub()
    llm.api_keys.update({ANTHROPIC_KEY, OPENAI_KEY, CUSTOM_KEY})
    llm.oauth_tokens = LiveTokens(  # type: ignore[assignment]
        lambda: [grant["access_token"] for grant in anthropic.issued], anthropic.access_token_valid
    )
    llm.copilot_tokens = LiveTokens(lambda: list(github.copilot_tokens), github.copilot_token_valid)  # type: ignore[assignment]
    with llm.serve() as api, anthropic.serve() as auth, github.serve() as gh:
        github.api_endpoint = api  # the Copilot token names this host, as the real one does
        write_config(
            home,
            f"""
[providers.anthropic]
api_base_url = "{api}"
max_authorize_url = "{auth}/oauth/authorize"
token_url = "{auth}/v1/oauth/token"

[providers.openai]
api_base_url = "{api}/v1"

[providers.github-copilot]
api_base_url = "{api}"
device_code_url = "{gh}/login/device/code"
token_url = "{gh}/login/oauth/access_token"
copilot_token_url = "{gh}/copilot_internal/v2/token"

[providers.my-llm]
name = "My local LLM"
api = "openai-chat"
api_base_url = "{api}/v1"
default_model = "local-model"
""",
        )
        yield Fakes(llm, anthropic, github)


def assert_one_error(result_stderr: str, *words: str, creates_the_store: bool = False) -> None:
    """One error line and nothing else; the command that creates the store also says, once, where its key is."""
    assert "Traceback" not in result_stderr
    lines = lines_besides_the_keyfile_notice(result_stderr.strip(), creates_the_store=creates_the_store)
    assert len(lines) == 1 and lines[0].startswith("code-mesh: error: "), result_stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_anthropic_with_an_api_key(cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "anthropic", "--with-key", input=ANTHROPIC_KEY).returncode == 0
    result = cli("run", "hello", "--provider", "anthropic", "--system", "Be brief", "--max-tokens", "64")
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    request = fakes.llm.anthropic_requests()[-1]
    assert request.headers["x-api-key"] == ANTHROPIC_KEY
    assert "authorization" not in request.headers and "anthropic-beta" not in request.headers
    assert request.headers["anthropic-version"] == "2023-06-01"
    body = request.json()
    assert (body["stream"], body["max_tokens"], body["system"]) == (True, 64, "Be brief")
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert ANTHROPIC_KEY not in result.stdout + result.stderr


def test_a_claude_max_token_is_never_sent_to_the_messages_api(
    cli: CliRunner, home: Path, fakes: Fakes
) -> None:
    """SPEC section 7: exit 1 before any request (a due refresh included), naming both ways on;
    without --provider such a credential is passed over; `auth token` still hands it to Claude Code."""
    assert log_in_to_anthropic(home, fakes.anthropic).finish() == 0
    make_token_due(home)
    result = cli("run", "hello", "--provider", "anthropic")
    assert (result.returncode, result.stdout) == (1, "")
    assert_one_error(
        result.stderr,
        "allows only in Claude Code",
        "`code-mesh exec --provider anthropic -- claude -p MESSAGE`",
        "`code-mesh auth login anthropic --method console`",
    )
    assert fakes.llm.anthropic_requests() == [] and fakes.anthropic.refresh_count == 0
    nobody = cli("run", "hello")
    assert nobody.returncode == 1
    assert_one_error(nobody.stderr, "No provider is logged in that `run` can use")
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    assert cli("run", "hello").returncode == 0
    assert len(fakes.llm.openai_requests()) == 1 and fakes.llm.anthropic_requests() == []
    token = cli("auth", "token", "anthropic")
    assert token.returncode == 0 and token.stdout.startswith("sk-ant-oat-fake-")


def test_a_401_on_oauth_refreshes_once_and_retries(cli: CliRunner, home: Path, fakes: Fakes) -> None:
    """A Copilot token the API no longer takes (401 "token expired"): one new token, one retry."""
    log_in_to_copilot(home, fakes.github)
    fakes.llm.fail_next("401", path=COPILOT_PATH)
    before = fakes.github.copilot_token_count
    result = cli("run", "hello", "--provider", "github-copilot")
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    assert fakes.github.copilot_token_count == before + 1
    sent = [r.headers["authorization"] for r in fakes.llm.copilot_requests()]
    assert len(sent) == 2 and sent[0] != sent[1]
    assert sent[1] == f"Bearer {fakes.github.copilot_tokens[-1]}"


def test_a_second_401_says_to_log_in_again(cli: CliRunner, home: Path, fakes: Fakes) -> None:
    log_in_to_copilot(home, fakes.github)
    fakes.llm.fail_next("401", count=2, path=COPILOT_PATH)
    result = cli("run", "hello", "--provider", "github-copilot")
    assert result.returncode == 1
    assert_one_error(
        result.stderr, "(HTTP 401: unauthorized: token expired)", "code-mesh auth login github-copilot"
    )
    assert len(fakes.llm.copilot_requests()) == 2 and result.stdout == ""


def test_a_401_on_an_api_key_is_not_retried(cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-wrong-key-000").returncode == 0
    result = cli("run", "hello", "--provider", "openai")
    assert result.returncode == 1
    assert_one_error(result.stderr, "rejected the credential", "code-mesh auth login openai")
    assert len(fakes.llm.openai_requests()) == 1
    assert "sk-wrong-key-000" not in result.stderr


def test_openai_with_system_prompt_and_stdin_message(cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    result = cli(
        "run", "-", "--provider", "openai", "--system", "sys", "--model", "gpt-test", input="from stdin\n"
    )
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    request = fakes.llm.openai_requests()[-1]
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    body = request.json()
    assert body["model"] == "gpt-test" and body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "from stdin\n"},
    ]


def test_environment_variable_is_used_before_the_store(cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-stored-not-used").returncode == 0
    result = cli("run", "hi", "--provider", "openai", env={"OPENAI_API_KEY": OPENAI_KEY})
    assert result.returncode == 0, result.stderr
    assert fakes.llm.openai_requests()[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_copilot_fetches_an_expired_token_anew_then_uses_it(cli: CliRunner, home: Path, fakes: Fakes) -> None:
    """With the catalog's editor headers and code-mesh's own User-Agent, at the host the token names."""
    log_in_to_copilot(home, fakes.github)
    connection = sqlite3.connect(home / "auth.db")
    connection.execute("UPDATE credentials SET expires_at = strftime('%s', 'now') - 10")
    connection.commit()
    connection.close()
    before = fakes.github.copilot_token_count
    result = cli("run", "hello", "--provider", "github-copilot")
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    assert fakes.github.copilot_token_count == before + 1
    request = fakes.llm.copilot_requests()[-1]
    assert request.headers["authorization"] == f"Bearer {fakes.github.copilot_tokens[-1]}"
    assert request.path == COPILOT_PATH
    assert (
        request.headers["editor-version"],
        request.headers["editor-plugin-version"],
        request.headers["copilot-integration-id"],
    ) == ("vscode/1.107.0", "copilot-chat/0.35.0", "vscode-chat")
    assert request.headers["user-agent"].startswith("code-mesh/")
    body = request.json()
    assert body["model"] == "gpt-5.4-mini" and body["max_completion_tokens"] == 1024
    assert "max_tokens" not in body


def test_copilot_chat_goes_to_the_host_its_token_names(cli: CliRunner, home: Path, fakes: Fakes) -> None:
    """A Business seat's token names another host (endpoints.api): chat goes there, not to
    api_base_url, where the fake refuses it as the real default host does."""
    with serve_wsgi(fakes.llm, host="127.0.0.2") as seat_host:
        fakes.github.api_endpoint = seat_host
        fakes.llm.copilot_api_host = seat_host.removeprefix("http://")
        text = (home / "config.toml").read_text()
        (home / "config.toml").write_text(
            text.replace(
                "[providers.github-copilot]\n", '[providers.github-copilot]\nallowed_hosts = ["127.0.0.2"]\n'
            )
        )
        log_in_to_copilot(home, fakes.github)
        result = cli("run", "hello", "--provider", "github-copilot")
        assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
        [request] = fakes.llm.copilot_requests()
        assert request.base_url == seat_host
        exported = json.loads(cli("auth", "export", "--output", "-").stdout)
        assert exported["credentials"]["github-copilot"]["api_url"] == seat_host


def test_a_stored_api_url_the_entry_does_not_allow_is_not_used(
    cli: CliRunner, home: Path, fakes: Fakes
) -> None:
    """SPEC section 9: a URL in a credential's metadata is used only for an allowed host."""
    fakes.github.api_endpoint = "https://copilot.evil.example"
    log_in_to_copilot(home, fakes.github)
    result = cli("run", "hello", "--provider", "github-copilot")
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    assert result.stderr.splitlines() == [
        "code-mesh: warning: ignoring the api_url stored with github-copilot (default): its host is not one "
        "github-copilot allows over https (allowed_hosts in config.toml can add it)"
    ]
    assert len(fakes.llm.copilot_requests()) == 1


def test_openai_sends_max_completion_tokens(cli: CliRunner, fakes: Fakes) -> None:
    """OpenAI's reasoning models refuse max_tokens (the fake too): the catalog's field is sent."""
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    result = cli("run", "hello", "--provider", "openai", "--max-tokens", "77", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"] == "gpt-5.5"
    body = fakes.llm.openai_requests()[-1].json()
    assert body["max_completion_tokens"] == 77 and "max_tokens" not in body


def test_a_custom_openai_compatible_provider(cli: CliRunner, fakes: Fakes) -> None:
    """api_base_url ends in /v1 (as http://localhost:11434/v1 does): requests go to {base}/chat/completions."""
    assert cli("auth", "login", "my-llm", "--with-key", input=CUSTOM_KEY).returncode == 0
    result = cli("run", "hello", "--provider", "my-llm")
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    request = fakes.llm.openai_requests()[-1]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {CUSTOM_KEY}"
    assert request.json()["model"] == "local-model" and request.json()["max_tokens"] == 1024


def test_default_provider_is_the_first_logged_in(cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "my-llm", "--with-key", input=CUSTOM_KEY).returncode == 0
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    assert cli("run", "hello").returncode == 0
    assert fakes.llm.openai_requests()[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_text_is_printed_as_it_arrives(home: Path, cli: CliRunner, fakes: Fakes) -> None:
    """The first piece reaches stdout while the server still holds back the rest."""
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    fakes.llm.fail_next("hold", path=OPENAI_PATH)
    process = subprocess.Popen(
        command_line("run", "hello", "--provider", "openai"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_environment(home),
    )
    assert process.stdout is not None
    try:
        first = os.read(process.stdout.fileno(), 64)  # returns as soon as anything is written
        assert first == b"Hello"
        assert fakes.llm.held_count == 1, "the server has not sent the rest yet"
    finally:
        fakes.llm.release()
    rest, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert first + rest == b"Hello, world!\n"


@pytest.mark.parametrize(
    ("kind", "options", "words"),
    [
        ("429", {"retry_after": 30}, "Wait 30 s"),
        ("500", {}, "HTTP 500"),
    ],
)
def test_provider_errors(
    cli: CliRunner, fakes: Fakes, kind: str, options: dict[str, int], words: str
) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    fakes.llm.fail_next(kind, **options)  # type: ignore[arg-type]
    result = cli("run", "hello", "--provider", "openai")
    assert result.returncode == 1 and result.stdout == ""
    assert_one_error(result.stderr, words)


def test_a_short_429_is_retried_once(cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    fakes.llm.fail_next("429", retry_after=1)
    result = cli("run", "hello", "--provider", "openai")
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    assert len(fakes.llm.openai_requests()) == 2


@pytest.mark.parametrize("kind", ["cut", "truncate"])
def test_a_stream_cut_part_way_keeps_what_arrived(cli: CliRunner, fakes: Fakes, kind: str) -> None:
    assert cli("auth", "login", "anthropic", "--with-key", input=ANTHROPIC_KEY).returncode == 0
    fakes.llm.fail_next(kind, path=ANTHROPIC_PATH)
    result = cli("run", "hello", "--provider", "anthropic")
    assert result.returncode == 1
    assert result.stdout == "Hello, \n"
    assert_one_error(result.stderr, "cut off part-way")


def test_connection_refused(cli: CliRunner, home: Path) -> None:
    write_config(home, '[providers.openai]\napi_base_url = "http://127.0.0.1:9"\n')
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    result = cli("run", "hello", "--provider", "openai")
    assert result.returncode == 1
    assert_one_error(result.stderr, "Cannot connect to 127.0.0.1:9")


def test_no_credential_names_the_login_command(cli: CliRunner, fakes: Fakes) -> None:
    result = cli("run", "hello", "--provider", "openai")
    assert result.returncode == 1
    # No key is made for a store that holds nothing, so no key-file notice either.
    assert_one_error(result.stderr, "code-mesh auth login openai", creates_the_store=False)
    nothing = cli("run", "hello")
    assert nothing.returncode == 1
    assert_one_error(nothing.stderr, "code-mesh auth login")


def test_ctrl_c_while_streaming_exits_130(home: Path, cli: CliRunner, fakes: Fakes) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    fakes.llm.fail_next("hold", path=OPENAI_PATH)
    run = CliProcess(home, "run", "hello", "--provider", "openai")
    assert fakes.llm.wait_for_hold(timeout=30)
    run.process.send_signal(signal.SIGINT)
    code = run.finish()
    fakes.llm.release()
    assert code == 130
    assert "Traceback" not in run.stderr_text and "interrupted" in run.stderr_text
