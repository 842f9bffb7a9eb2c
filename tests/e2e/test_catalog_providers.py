"""The provider catalog through the installed CLI (SPEC sections 2, 7, 9): every catalog provider
listed and its variables honoured, a provider added in config.toml with the catalog's keys, the
providers' own errors shown (redacted), `github` meaning github-copilot, URLs in imported
metadata screened, and the one-line notices before subscription logins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from anthropic_login import configure_anthropic, log_in_to_anthropic
from cli_checks import assert_one_error_line
from cli_process import write_config
from conftest import CliRunner
from servers.fake_anthropic import FakeAnthropic
from servers.fake_llm_apis import ANTHROPIC_PATH, OPENAI_PATH, FakeLLMApis

VARIABLES = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "google": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "xai": "XAI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
}
OTHERS = ("deepseek", "google", "groq", "mistral", "openrouter", "xai")
KEY = "sk-catalog-e2e-4b1d9f"


@pytest.fixture
def llm(home: Path) -> Iterator[tuple[FakeLLMApis, str]]:
    """The chat fake, and every openai-chat catalog provider (and Anthropic) pointed at it."""
    fake = FakeLLMApis()
    fake.api_keys.add(KEY)
    with fake.serve() as base:
        sections = [f'[providers.{p}]\napi_base_url = "{base}/v1"\n' for p in OTHERS]
        write_config(home, f'[providers.anthropic]\napi_base_url = "{base}"\n' + "".join(sections))
        yield fake, base


def test_every_catalog_provider_is_listed_and_its_variables_honoured(cli: CliRunner) -> None:
    """Acceptance 3: --json has a row per catalog provider; a set variable is a row `env:VAR`;
    the human list shows the main built-ins and names the others on one line."""
    environment = {"GROQ_API_KEY": "gsk-listed", "GOOGLE_API_KEY": "g-listed"}
    document = json.loads(cli("auth", "list", "--json", env=environment).stdout)
    rows = {row["provider"]: row for row in document["credentials"]}
    assert set(rows) == {*VARIABLES, "github-copilot"}
    assert (rows["groq"]["source"], rows["groq"]["status"], rows["groq"]["type"]) == (
        "env:GROQ_API_KEY",
        "authenticated",
        "api_key",
    )
    assert rows["google"]["source"] == "env:GOOGLE_API_KEY"
    assert (rows["xai"]["status"], rows["xai"]["name"]) == ("not-authenticated", "xAI")

    listed = cli("auth", "list", env=environment)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    body = lines[1 : lines.index("")]
    also = next(index for index, line in enumerate(body) if line.startswith("Also"))
    table = [line.split()[0] for line in body[:also]]
    assert table == ["google", "groq", "anthropic", "openai", "github-copilot"]
    assert " ".join(body[also:]) == (
        "Also in the catalog: deepseek, mistral, openrouter, xai (`code-mesh auth login ID`)."
    ), "one sentence, wrapped at 80 columns"
    assert max(len(line) for line in body) <= 80
    assert "env:GROQ_API_KEY" in listed.stdout and "gsk-listed" not in listed.stdout


@pytest.mark.parametrize("full_path", [False, True], ids=["fast-path", "full-path"])
def test_auth_token_honours_every_catalog_variable(cli: CliRunner, full_path: bool) -> None:
    """The fast path reads the generated index; --debug takes the full path, which reads the catalog."""
    debug = ("--debug",) if full_path else ()
    for provider, variable in VARIABLES.items():
        result = cli(*debug, "auth", "token", provider, env={variable: f"key-of-{provider}"})
        assert (result.returncode, result.stdout) == (0, f"key-of-{provider}\n"), (provider, result.stderr)


def test_a_provider_in_config_toml_with_the_catalogs_keys(cli: CliRunner, home: Path) -> None:
    """Acceptance 4, the config.toml way: a key login, `run`, its variable, no code."""
    fake = FakeLLMApis()
    fake.api_keys.add(KEY)
    with fake.serve() as base:
        write_config(
            home,
            f"""
[providers.acme]
name = "Acme AI"
env = ["ACME_API_KEY"]
methods = ["api-key"]
api = "openai-chat"
api_base_url = "{base}/v1"
default_model = "acme-1"
reply_length_field = "max_completion_tokens"
""",
        )
        assert cli("auth", "login", "acme", "--with-key", input=KEY).returncode == 0
        result = cli("run", "hello", "--provider", "acme")
        assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
        body = fake.openai_requests()[-1].json()
        assert body["model"] == "acme-1" and body["max_completion_tokens"] == 1024
        token = cli("auth", "token", "acme", env={"ACME_API_KEY": "from-env"})
        assert token.stdout == "from-env\n"
        rows = json.loads(cli("auth", "list", "--json", env={"ACME_API_KEY": "x"}).stdout)["credentials"]
        assert [row["source"] for row in rows if row["provider"] == "acme"] == ["env:ACME_API_KEY", "store"]


@pytest.mark.parametrize(
    ("provider", "kind", "words"),
    [
        ("xai", "xai-bad-key", "HTTP 400: Incorrect API key provided: [redacted]. You can obtain"),
        ("google", "google-bad-key", "HTTP 400: API key not valid. Please pass a valid API key."),
        ("mistral", "mistral-401", "rejected the credential (HTTP 401: Unauthorized)"),
        ("openai", "echo-key-400", "HTTP 400: Incorrect API key provided: [redacted]."),
    ],
)
def test_a_providers_error_is_shown_in_its_own_words_redacted(
    cli: CliRunner, home: Path, llm: tuple[FakeLLMApis, str], provider: str, kind: str, words: str
) -> None:
    fake, base = llm
    if provider == "openai":
        write_config(home, f'[providers.openai]\napi_base_url = "{base}/v1"\n')
    fake.fail_next(kind, path=OPENAI_PATH)
    result = cli("run", "hello", "--provider", provider, env={VARIABLES[provider]: KEY})
    assert result.stdout == ""
    assert words in assert_one_error_line(result, 1)
    assert KEY not in result.stderr


@pytest.mark.parametrize(("provider", "path"), [("anthropic", ANTHROPIC_PATH), ("openrouter", OPENAI_PATH)])
def test_an_error_inside_a_stream_ends_the_run_with_its_message(
    cli: CliRunner, llm: tuple[FakeLLMApis, str], provider: str, path: str
) -> None:
    fake, _ = llm
    fake.fail_next("stream-error", path=path)
    result = cli("run", "hello", "--provider", provider, env={VARIABLES[provider]: KEY})
    assert result.stdout == "Hello\n"
    said = "overloaded_error: Overloaded" if provider == "anthropic" else "The server had an error processing"
    line = assert_one_error_line(result, 1)
    assert "reported an error mid-reply" in line and said in line and "cut off" not in line


def test_openrouter_streams_through_its_comment_lines(cli: CliRunner, llm: tuple[FakeLLMApis, str]) -> None:
    fake, _ = llm
    fake.comment_lines = [": OPENROUTER PROCESSING", ": OPENROUTER PROCESSING"]
    result = cli("run", "hello", "--provider", "openrouter", env={"OPENROUTER_API_KEY": KEY})
    assert (result.returncode, result.stdout) == (0, "Hello, world!\n"), result.stderr
    body = fake.openai_requests()[-1].json()
    assert body["model"] == "anthropic/claude-sonnet-5" and body["max_tokens"] == 1024


COPILOT_ENTRY = {"type": "oauth", "access_token": "tid=copilot-imported", "refresh_token": "gho_imported"}


def test_github_means_github_copilot_and_says_so_once(cli: CliRunner) -> None:
    document = {"credentials": {"github": {**COPILOT_ENTRY, "expires_at": 4102444800}}}
    imported = cli("auth", "import", "-", input=json.dumps(document))
    assert imported.returncode == 0, imported.stderr
    note = "code-mesh: note: github means github-copilot here (the id the Code Mesh CLI uses for it)"
    assert imported.stderr.count(note) == 1
    rows = json.loads(cli("auth", "list", "--json").stdout)["credentials"]
    assert [row["account"] for row in rows if row["provider"] == "github-copilot"] == ["default"]
    assert not any(row["provider"] == "github" for row in rows)
    token = cli("auth", "token", "github")
    assert (token.returncode, token.stdout) == (0, "tid=copilot-imported\n")
    assert token.stderr.splitlines() == [note]


def test_imported_url_metadata_needs_a_host_the_catalog_allows(cli: CliRunner) -> None:
    """SPEC section 9: an auth.json someone hands you cannot send your tokens elsewhere."""
    document = {
        "credentials": {
            "github-copilot": {**COPILOT_ENTRY, "api_url": "https://copilot.evil.example"},
            "github-copilot:work": {**COPILOT_ENTRY, "api_url": "https://api.business.githubcopilot.com"},
        }
    }
    warning = (
        "code-mesh: warning: github-copilot:default: dropped api_url (copilot.evil.example is not a host "
        "github-copilot allows over https; allowed_hosts under [providers.github-copilot] in config.toml can add it)"
    )
    dry = cli("auth", "import", "-", "--dry-run", input=json.dumps(document))
    assert dry.returncode == 0 and dry.stderr.splitlines() == [warning], dry.stderr
    assert "add       github-copilot:default" in dry.stdout
    real = cli("auth", "import", "-", input=json.dumps(document))
    assert real.returncode == 0 and warning in real.stderr.splitlines()
    exported = json.loads(cli("auth", "export", "--output", "-").stdout)["credentials"]
    assert "api_url" not in exported["github-copilot"]
    assert exported["github-copilot:work"]["api_url"] == "https://api.business.githubcopilot.com"


def test_claude_max_says_before_it_starts_that_only_claude_code_may_use_it(home: Path) -> None:
    fake = FakeAnthropic()
    with fake.serve() as base:
        configure_anthropic(home, base)
        login = log_in_to_anthropic(home, fake, "claude-max")
        assert login.finish() == 0
        first = login.stderr_text.splitlines()[0]
        assert first.startswith("Anthropic allows Claude Pro/Max tokens only in Claude Code")
        console = log_in_to_anthropic(home, fake, "console")
        assert console.finish() == 0
        assert "only in Claude Code" not in console.stderr_text
