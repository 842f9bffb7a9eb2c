"""`code-mesh exec` through the installed CLI (SPEC section 10; issue 12 acceptance 1).

COMMAND is a real program: `env -0` shows the environment it got, `sh` its exit codes and
umask, a small Python script its pid and signals. Most runs are children of the launcher
(which replace themselves with COMMAND exactly as a shell's child would); the signal test
starts code-mesh itself, so the pid it knows is the one exec keeps.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from anthropic_login import configure_anthropic, log_in_to_anthropic
from cli_checks import assert_one_error_line
from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.fake_anthropic import FakeAnthropic

OPENAI_KEY = "sk-exec-openai-5d2c9a7e1f"
ANTHROPIC_KEY = "sk-ant-api03-exec-8e4b1c"
SETUP_TOKEN = "sk-ant-oat01-exec-setup-3f9a"
GITHUB_TOKEN = "ghu_execGitHubToken9x7"


def child_environment(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """What `env -0` printed: COMMAND's environment."""
    assert result.returncode == 0, result.stderr
    return dict(entry.split("=", 1) for entry in result.stdout.split("\0") if entry)


def log_in(run: CliRunner, provider: str, key: str, *options: str, env: dict[str, str] | None = None) -> None:
    result = run("auth", "login", provider, *options, "--with-key", input=key, env=env)
    assert result.returncode == 0, result.stderr


def test_each_provider_and_type_goes_into_its_variables(run: CliRunner, home: Path) -> None:
    write_config(home, '[providers.acme]\nenv = ["ACME_TOKEN", "ACME_KEY"]\n')
    log_in(run, "openai", OPENAI_KEY)
    log_in(run, "anthropic", ANTHROPIC_KEY)
    log_in(run, "anthropic", SETUP_TOKEN, "--method", "claude-max", "--account", "max")
    log_in(run, "groq", "gsk-exec-groq")
    log_in(run, "google", "AIza-exec-google")
    log_in(run, "acme", "acme-exec-key")
    log_in(run, "my-llm.v2", "my-exec-key")
    imported = run("auth", "import", "-", input=json.dumps({"credentials": {"github-copilot": {
        "type": "oauth", "access_token": "tid=expired", "refresh_token": GITHUB_TOKEN, "expires_at": 1}}}))  # fmt: skip
    assert imported.returncode == 0, imported.stderr

    def handed(*providers: str, env: dict[str, str] | None = None) -> dict[str, str]:
        named = [word for provider in providers for word in ("--provider", provider)]
        return child_environment(run("exec", *named, "--", "env", "-0", env=env))

    got = handed("openai", "anthropic:default", "groq", "google", "acme", "my-llm.v2")
    assert {name: got.get(name) for name in (
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "GEMINI_API_KEY", "ACME_TOKEN", "MY_LLM_V2_API_KEY",
    )} == {
        "OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY, "GROQ_API_KEY": "gsk-exec-groq",
        "GEMINI_API_KEY": "AIza-exec-google", "ACME_TOKEN": "acme-exec-key", "MY_LLM_V2_API_KEY": "my-exec-key",
    }  # fmt: skip
    assert got["CODE_MESH_EXEC"] == "openai,anthropic,groq,google,acme,my-llm.v2"
    assert "CLAUDE_CODE_OAUTH_TOKEN" not in got and "ACME_KEY" not in got

    # A Claude Pro/Max token: CLAUDE_CODE_OAUTH_TOKEN, and the variables Claude Code would prefer removed.
    subscription = handed(
        "anthropic:max", env={"ANTHROPIC_API_KEY": "sk-ant-env", "ANTHROPIC_AUTH_TOKEN": "t"}
    )
    assert subscription["CLAUDE_CODE_OAUTH_TOKEN"] == SETUP_TOKEN
    assert "ANTHROPIC_API_KEY" not in subscription and "ANTHROPIC_AUTH_TOKEN" not in subscription
    # Least privilege: only the named provider, however many are stored.
    assert "OPENAI_API_KEY" not in subscription and "GROQ_API_KEY" not in subscription

    # Copilot: the GitHub token, in both variables; no Copilot token is fetched (the stored one has
    # long expired, and the token URL is a closed port: a fetch would fail the command).
    write_config(home, '[providers.github-copilot]\ncopilot_token_url = "http://127.0.0.1:9/token"\n')
    copilot = handed("github-copilot")
    assert (copilot["COPILOT_GITHUB_TOKEN"], copilot["GH_COPILOT_TOKEN"]) == (GITHUB_TOKEN, GITHUB_TOKEN)


def test_the_environment_beats_the_store_unless_an_account_is_named(run: CliRunner) -> None:
    log_in(run, "openai", OPENAI_KEY, "--account", "work")
    variables = {"OPENAI_API_KEY": "sk-from-the-environment"}
    plain = child_environment(run("exec", "--provider", "openai", "--", "env", "-0", env=variables))
    assert plain["OPENAI_API_KEY"] == "sk-from-the-environment"
    named = child_environment(run("exec", "--provider", "openai:work", "--", "env", "-0", env=variables))
    assert named["OPENAI_API_KEY"] == OPENAI_KEY


def test_code_mesh_keeps_its_own_secrets(run: CliRunner) -> None:
    passphrase = {"CODE_MESH_PASSPHRASE": "correct horse battery staple"}
    log_in(run, "openai", OPENAI_KEY, env=passphrase)
    got = child_environment(run("exec", "--provider", "openai", "--", "env", "-0", env=passphrase))
    assert got["OPENAI_API_KEY"] == OPENAI_KEY and "CODE_MESH_PASSPHRASE" not in got
    nested = run(
        "exec", "--provider", "openai", "--", "env", "-0", env={**passphrase, "CODE_MESH_EXEC": "openai"}
    )
    assert nested.stderr == (
        "code-mesh: note: running inside another `code-mesh exec` (it handed over: openai); "
        "this one hands over only what it is given\n"
    )


def test_exit_codes_umask_and_signal_dispositions_are_commands_own(run: CliRunner, tmp_path: Path) -> None:
    log_in(run, "openai", OPENAI_KEY)
    exec_ = ("exec", "--provider", "openai", "--")
    seven = run(*exec_, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (seven.returncode, seven.stdout, seven.stderr) == (7, "out\n", "err\n")
    missing = run(*exec_, "no-such-command-here", "--flag")
    assert "no-such-command-here: command not found" in assert_one_error_line(missing, 127)
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    refused = run(*exec_, str(script))
    assert f"{script} cannot be run (Permission denied)" in assert_one_error_line(refused, 126)
    # code-mesh works under umask 077 and Python ignores SIGPIPE: COMMAND gets neither.
    expected_umask = subprocess.run(["sh", "-c", "umask"], capture_output=True, text=True).stdout
    assert run(*exec_, "sh", "-c", "umask").stdout == expected_umask
    expected = subprocess.run(["grep", "SigIgn", "/proc/self/status"], capture_output=True, text=True).stdout
    assert run(*exec_, "grep", "SigIgn", "/proc/self/status").stdout == expected


def test_option_parsing_stops_at_command(run: CliRunner) -> None:
    log_in(run, "openai", OPENAI_KEY)
    words = run("exec", "--provider", "openai", "echo", "--provider", "x", "--dry-run", "--debug", "--help")
    assert (words.returncode, words.stdout, words.stderr) == (
        0,
        "--provider x --dry-run --debug --help\n",
        "",
    )
    assert run("exec", "--provider", "openai", "--", "--debug").returncode == 127  # a COMMAND named --debug
    debug = run("--debug", "exec", "--debug", "--provider", "openai", "echo", "--debug")
    assert debug.stdout == "--debug\n" and "code-mesh" in debug.stderr  # exec's --debug, COMMAND's --debug
    assert "exec has no option --verbose" in assert_one_error_line(run("exec", "--verbose", "true"), 2)
    assert "--provider needs a value" in assert_one_error_line(run("exec", "--provider"), 2)
    assert "openai is named twice" in assert_one_error_line(run("exec", "--provider", "openai", "--provider", "openai:default", "true"), 2)  # fmt: skip
    help_text = run("exec", "--help")
    assert help_text.returncode == 0 and "Usage: code-mesh exec [--provider P[:ACCOUNT]]…" in help_text.stdout


def test_without_a_named_provider_nothing_is_handed_over(run: CliRunner, home: Path, tmp_path: Path) -> None:
    log_in(run, "openai", OPENAI_KEY)
    log_in(run, "anthropic", ANTHROPIC_KEY)
    none = run("exec", "--", "env", "-0")
    assert "none was named" in assert_one_error_line(none, 2) and none.stdout == ""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".code-mesh.toml").write_text('[accounts]\nanthropic = "default"\n')
    from_project = child_environment(
        run("exec", "env", "-0", cwd=project, env={"HOME": str(tmp_path / "me")})
    )
    assert from_project["CODE_MESH_EXEC"] == "anthropic" and "OPENAI_API_KEY" not in from_project
    write_config(home, '[exec]\nproviders = ["openai"]\nmin_lifetime = "30m"\n')
    from_config = child_environment(run("exec", "--", "env", "-0"))
    assert from_config["OPENAI_API_KEY"] == OPENAI_KEY and "ANTHROPIC_API_KEY" not in from_config


def test_a_provider_without_a_credential_stops_before_command(run: CliRunner, tmp_path: Path) -> None:
    log_in(run, "openai", OPENAI_KEY)
    marker = tmp_path / "ran"
    missing = run("exec", "--provider", "openai", "--provider", "xai", "--", "touch", str(marker))
    line = assert_one_error_line(missing, 1)
    assert line == (
        "code-mesh: error: Not logged in to xai; `touch` was not started. Run `code-mesh auth login xai`."
    )
    unknown = run("exec", "--provider", "openai:nope", "--", "touch", str(marker))
    assert "openai has no stored account nope (stored: default)" in assert_one_error_line(unknown, 1)
    assert not marker.exists()


def test_dry_run_shows_every_change_and_no_value(run: CliRunner) -> None:
    log_in(run, "anthropic", SETUP_TOKEN, "--method", "claude-max", "--account", "max")
    log_in(run, "openai", OPENAI_KEY)
    env = {
        "ANTHROPIC_AUTH_TOKEN": "sk-ant-auth-env",
        "CODE_MESH_PASSPHRASE": "",
        "OPENAI_API_KEY": "sk-env-x",
    }
    env.pop("CODE_MESH_PASSPHRASE")
    arguments = ("exec", "--provider", "anthropic:max", "--provider", "openai", "--dry-run")
    lines = run(*arguments, "--", "claude", env=env)
    assert (lines.returncode, lines.stderr) == (0, "")
    assert lines.stdout.splitlines() == [
        "set CLAUDE_CODE_OAUTH_TOKEN from anthropic (account max, source option)",
        "set OPENAI_API_KEY from openai (source env:OPENAI_API_KEY)",
        "unset ANTHROPIC_AUTH_TOKEN for anthropic (account max, source option): it would be used instead",
        "set CODE_MESH_EXEC: the providers handed over (anthropic, openai)",
    ]
    document = json.loads(run(*arguments, "--json", env=env).stdout)
    assert document == [
        {"variable": "CLAUDE_CODE_OAUTH_TOKEN", "action": "set", "provider": "anthropic", "account": "max", "source": "option"},
        {"variable": "OPENAI_API_KEY", "action": "set", "provider": "openai", "account": None, "source": "env:OPENAI_API_KEY"},
        {"variable": "ANTHROPIC_AUTH_TOKEN", "action": "unset", "provider": "anthropic", "account": "max", "source": "option"},
        {"variable": "CODE_MESH_EXEC", "action": "set", "provider": None, "account": None, "source": None},
    ]  # fmt: skip
    for secret in (SETUP_TOKEN, OPENAI_KEY, "sk-env-x", "sk-ant-auth-env"):
        assert secret not in lines.stdout + json.dumps(document)


def test_a_setup_token_is_stored_for_a_year_unless_it_says_otherwise(run: CliRunner) -> None:
    log_in(run, "anthropic", SETUP_TOKEN + "\n", "--method", "claude-max")
    row = json.loads(run("auth", "list", "--json").stdout)["credentials"][0]
    assert (row["type"], row["status"]) == ("oauth", "authenticated")
    assert abs(row["expires_at"] - (time.time() + 365 * 86400)) < 120
    claims = base64.urlsafe_b64encode(json.dumps({"exp": 2_000_000_000}).encode()).decode().rstrip("=")
    log_in(
        run, "anthropic", f"eyJhbGciOiJub25lIn0.{claims}.sig", "--method", "claude-max", "--account", "jwt"
    )
    rows = json.loads(run("auth", "list", "--json").stdout)["credentials"]
    assert [r["expires_at"] for r in rows if r["account"] == "jwt"] == [2_000_000_000]
    refresh = run("auth", "refresh", "anthropic")
    assert "an OAuth token without a refresh token, which cannot be refreshed" in refresh.stderr


@pytest.fixture
def anthropic(home: Path) -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(expires_in=1800)  # less than exec's default min_lifetime (1h)
    with fake.serve() as base:
        configure_anthropic(home, base)
        yield fake


def test_a_due_token_is_refreshed_once_before_command_starts(
    run: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    login = log_in_to_anthropic(home, anthropic)
    assert login.finish() == 0, login.stderr_text
    first = anthropic.issued[-1]["access_token"]
    dry = run("exec", "--provider", "anthropic", "--dry-run")
    assert dry.returncode == 0 and anthropic.refresh_count == 0  # a dry run sends nothing
    handed = run("exec", "--provider", "anthropic", "--", "printenv", "CLAUDE_CODE_OAUTH_TOKEN")
    assert anthropic.refresh_count == 1, handed.stderr
    renewed = anthropic.issued[-1]["access_token"]
    assert renewed != first and handed.stdout == renewed + "\n"
    assert handed.stderr.startswith(
        "code-mesh: the Claude Pro/Max token of anthropic (account default) handed over expires in 29m"
    )
    assert renewed not in handed.stderr
    config = (home / "config.toml").read_text()
    write_config(home, config + '\n[exec]\nmin_lifetime = "20m"\n')
    again = run("exec", "--provider", "anthropic", "--", "printenv", "CLAUDE_CODE_OAUTH_TOKEN")
    assert (again.stdout, anthropic.refresh_count) == (renewed + "\n", 1)  # 30 minutes left: enough


_REPORTER = """
import os, signal, sys
def stop(number, frame):
    print("COMMAND got SIGTERM", flush=True)
    sys.exit(42)
signal.signal(signal.SIGTERM, stop)
print(f"ready {os.getpid()}", flush=True)
signal.pause()
"""


def test_sigterm_to_the_execd_pid_reaches_command_and_no_secret_is_in_argv(
    run: CliRunner, home: Path
) -> None:
    log_in(run, "openai", OPENAI_KEY)
    process = CliProcess(home, "exec", "--provider", "openai", "--", sys.executable, "-c", _REPORTER)
    try:
        ready = process.wait_for_line(lambda line: line.startswith("ready "))
        pid = process.process.pid
        assert ready == f"ready {pid}"  # the same process: code-mesh replaced itself
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert OPENAI_KEY.encode() not in cmdline and b"-c" in cmdline
        assert f"OPENAI_API_KEY={OPENAI_KEY}".encode() in Path(f"/proc/{pid}/environ").read_bytes()
        os.kill(pid, signal.SIGTERM)
        assert process.finish(timeout=30) == 42
    finally:
        if process.process.poll() is None:
            process.process.kill()
            process.finish(timeout=10)
    assert process.stdout.splitlines()[-1] == "COMMAND got SIGTERM"
    assert OPENAI_KEY not in process.stdout + process.stderr_text


def test_what_is_handed_over_is_an_audited_read(run: CliRunner, home: Path) -> None:
    """SPEC section 13: with reads audited, one `read` row per stored credential handed over (an
    environment key is no read of the store, and a dry run hands nothing over); never a secret,
    never COMMAND's command line."""
    write_config(home, "[audit]\nreads = true\n")
    log_in(run, "openai", OPENAI_KEY)
    log_in(run, "anthropic", ANTHROPIC_KEY)
    named = ("exec", "--provider", "openai", "--provider", "anthropic")
    assert run(*named, "--dry-run").returncode == 0
    environment = {"ANTHROPIC_API_KEY": "sk-ant-from-env"}
    handed = run(*named, "--", "sh", "-c", "echo marker-argument", env=environment)
    assert handed.stdout == "marker-argument\n", handed.stderr
    rows = json.loads(run("auth", "log", "--json").stdout)
    assert [(r["action"], r["provider"], r["account"], r["outcome"]) for r in rows] == [
        ("read", "openai", "default", "ok"),
        ("login", "anthropic", "default", "ok"),
        ("login", "openai", "default", "ok"),
    ]
    assert OPENAI_KEY not in json.dumps(rows) and "marker-argument" not in json.dumps(rows)
