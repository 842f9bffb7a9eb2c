"""`code-mesh exec`'s rules (SPEC section 10) as plain functions: its own command line, which
variables each credential goes into, the plan, and the environment COMMAND gets."""

from __future__ import annotations

import pytest

from code_mesh.application.exec_plan import (
    HandOver,
    VariableClash,
    Variables,
    child_environment,
    exec_variables,
    needs_refresh_first,
    plan,
)
from code_mesh.domain.durations import parse_duration
from code_mesh.domain.errors import CommandLineError
from code_mesh.domain.providers import ExecVariables
from code_mesh.entrypoints.exec_arguments import ExecArguments, parse_exec_arguments

ANTHROPIC = ExecVariables(
    ("ANTHROPIC_API_KEY",), ("CLAUDE_CODE_OAUTH_TOKEN",), ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
)
COPILOT = ExecVariables((), ("COPILOT_GITHUB_TOKEN", "GH_COPILOT_TOKEN"), (), "refresh_token")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["--provider", "openai", "--", "codex"], ExecArguments(("openai",), command=("codex",))),
        (["--provider", "openai", "codex", "--provider", "x"], ExecArguments(("openai",), command=("codex", "--provider", "x"))),
        (["--provider=anthropic:work", "claude", "-p", "--help"], ExecArguments(("anthropic:work",), command=("claude", "-p", "--help"))),
        (["--", "--weird-name", "--json"], ExecArguments(command=("--weird-name", "--json"))),
        (["--dry-run", "--json", "--provider", "openai"], ExecArguments(("openai",), True, True)),
        (["--provider", "a", "--provider", "b", "--dry-run", "--", "x"], ExecArguments(("a", "b"), True, command=("x",))),
        (["claude", "--dry-run"], ExecArguments(command=("claude", "--dry-run"))),
        (["--help", "claude"], ExecArguments(help=True)),
        (["claude", "--help"], ExecArguments(command=("claude", "--help"))),
    ],
)  # fmt: skip
def test_option_parsing_stops_at_command(words: list[str], expected: ExecArguments) -> None:
    assert parse_exec_arguments(words) == expected


@pytest.mark.parametrize(
    ("words", "words_in_message"),
    [
        ([], "exec needs a COMMAND to run"),
        (["--provider", "openai"], "exec needs a COMMAND to run"),
        (["--provider"], "--provider needs a value"),
        (["--provider", "--", "x"], "--provider needs a value"),
        (["--json", "--", "x"], "--json goes with --dry-run"),
        (["--providers", "openai", "x"], "exec has no option --providers"),
    ],
)
def test_mistakes_in_execs_own_part_are_command_line_errors(words: list[str], words_in_message: str) -> None:
    with pytest.raises(CommandLineError, match=words_in_message):
        parse_exec_arguments(words)


@pytest.mark.parametrize(
    ("provider", "kind", "facts", "env", "expected"),
    [
        ("anthropic", "api_key", ANTHROPIC, ("ANTHROPIC_API_KEY",), Variables(("ANTHROPIC_API_KEY",))),
        ("anthropic", "oauth", ANTHROPIC, ("ANTHROPIC_API_KEY",),
         Variables(("CLAUDE_CODE_OAUTH_TOKEN",), ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"), "access_token")),
        ("github-copilot", "oauth", COPILOT, (), Variables(("COPILOT_GITHUB_TOKEN", "GH_COPILOT_TOKEN"), (), "refresh_token")),
        ("google", "api_key", ExecVariables(("GEMINI_API_KEY",)), ("GEMINI_API_KEY", "GOOGLE_API_KEY"), Variables(("GEMINI_API_KEY",))),
        ("groq", "api_key", ExecVariables(), ("GROQ_API_KEY",), Variables(("GROQ_API_KEY",))),
        ("acme", "api_key", ExecVariables(), ("ACME_TOKEN", "ACME_KEY"), Variables(("ACME_TOKEN",))),
        ("my-llm.v2", "api_key", ExecVariables(), (), Variables(("MY_LLM_V2_API_KEY",))),
        ("my-idp", "oauth", ExecVariables(), (), Variables(("MY_IDP_API_KEY",), (), "access_token")),
        ("azure", "custom", ExecVariables(), (), Variables(("AZURE_API_KEY",), (), "custom")),
    ],
)  # fmt: skip
def test_the_variables_of_each_credential_type(
    provider: str, kind: str, facts: ExecVariables, env: tuple[str, ...], expected: Variables
) -> None:
    assert exec_variables(provider, kind, facts, env) == expected


NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("field", "expires_at", "can_refresh", "min_lifetime", "due"),
    [
        ("access_token", NOW + 3000, True, 3600, True),
        ("access_token", NOW + 4000, True, 3600, False),
        ("access_token", NOW + 200, True, 60, True),  # never less than the usual 5 minutes
        ("access_token", NOW + 100, False, 3600, False),  # a setup token: nothing to refresh it with
        ("refresh_token", NOW - 10, True, 3600, False),  # Copilot's GitHub token: no Copilot token fetched
        ("access_token", None, True, 3600, False),
    ],
)
def test_only_what_is_handed_over_is_refreshed_and_only_when_short(
    field: str, expires_at: int | None, can_refresh: bool, min_lifetime: int, due: bool
) -> None:
    assert needs_refresh_first("oauth", field, expires_at, can_refresh, min_lifetime, NOW) is due


def test_the_plan_names_every_change_and_the_environment_follows_it() -> None:
    handovers = [
        HandOver("anthropic", "max", "option", exec_variables("anthropic", "oauth", ANTHROPIC, ())),
        HandOver("openai", None, "env:OPENAI_API_KEY", Variables(("OPENAI_API_KEY",))),
    ]
    environ = {
        "PATH": "/bin",
        "ANTHROPIC_API_KEY": "sk-ant-env",
        "OPENAI_API_KEY": "sk-env",
        "CODE_MESH_PASSPHRASE": "pass",
        "CODE_MESH_DATABASE_URL": "postgresql://u:pw@h/db",
        "CODE_MESH_KEY_FILE": "/k",
        "CODE_MESH_HOME": "/h",
    }
    actions = plan(handovers, environ)
    assert [(a.variable, a.action, a.provider, a.account, a.source) for a in actions] == [
        ("CLAUDE_CODE_OAUTH_TOKEN", "set", "anthropic", "max", "option"),
        ("OPENAI_API_KEY", "set", "openai", None, "env:OPENAI_API_KEY"),
        ("ANTHROPIC_API_KEY", "unset", "anthropic", "max", "option"),  # ANTHROPIC_AUTH_TOKEN is not set
        ("CODE_MESH_PASSPHRASE", "unset", None, None, None),
        ("CODE_MESH_DATABASE_URL", "unset", None, None, None),
        ("CODE_MESH_KEY_FILE", "unset", None, None, None),
        ("CODE_MESH_EXEC", "set", None, None, None),
    ]
    child = child_environment(
        environ, actions, {"anthropic": "sk-ant-oat", "openai": "sk-env"}, "anthropic,openai"
    )
    assert child == {
        "PATH": "/bin",
        "CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat",
        "OPENAI_API_KEY": "sk-env",
        "CODE_MESH_HOME": "/h",
        "CODE_MESH_EXEC": "anthropic,openai",
    }


def test_two_providers_may_not_set_one_variable() -> None:
    same = Variables(("OPENAI_API_KEY",))
    with pytest.raises(VariableClash, match="openai and my-proxy would both set OPENAI_API_KEY"):
        plan([HandOver("openai", "a", "store", same), HandOver("my-proxy", "b", "store", same)], {})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("90s", 90), ("1h30m", 5400), (" 2H ", 7200),
     ("", None), ("1", None), ("0h", None), ("-1h", None), ("1.5h", None), ("h", None), ("1w", None), ("١h", None)],
)  # fmt: skip
def test_durations(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds
