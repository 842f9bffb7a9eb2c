"""Leak scan over every kind of login, refresh, run, list, logout and errors on purpose:
no secret in any output but `auth token`'s and `auth export`'s, and none in the store's bytes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from anthropic_login import log_in_to_anthropic, make_token_due
from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.fake_anthropic import FakeAnthropic
from servers.fake_github import FakeGitHub
from servers.fake_llm_apis import FakeLLMApis

API_KEY = "sk-leakscan-openai-5e6f"


class Live:
    """Tokens an issuing fake considers valid, for the LLM fake (it iterates a copy per request)."""

    def __init__(self, tokens, valid) -> None:  # type: ignore[no-untyped-def]
        self._tokens, self._valid = tokens, valid

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([t for t in self._tokens() if self._valid(t)])


def test_every_flow_keeps_its_secrets(cli: CliRunner, home: Path) -> None:
    outputs: list[tuple[str, str]] = []
    allowed: list[str] = []

    def record(name: str, result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
        if name.startswith(("auth token", "auth export")):
            allowed.append(result.stdout)
            outputs.append((name, result.stderr))
        else:
            outputs.append((name, result.stdout + result.stderr))
        return result

    def run(*arguments: str, input: str = "") -> subprocess.CompletedProcess[str]:
        return record(" ".join(arguments), cli(*arguments, input=input))

    anthropic, github, llm = FakeAnthropic(), FakeGitHub(), FakeLLMApis()
    llm.api_keys.add(API_KEY)
    llm.oauth_tokens = Live(
        lambda: [g["access_token"] for g in anthropic.issued], anthropic.access_token_valid
    )  # type: ignore[assignment]
    llm.copilot_tokens = Live(lambda: list(github.copilot_tokens), github.copilot_token_valid)  # type: ignore[assignment]
    pasted: list[str] = []
    with anthropic.serve() as auth, github.serve() as gh, llm.serve() as api:
        write_config(
            home,
            f"""
[providers.anthropic]
max_authorize_url = "{auth}/oauth/authorize"
console_authorize_url = "{auth}/oauth/authorize"
token_url = "{auth}/v1/oauth/token"
create_api_key_url = "{auth}/api/oauth/claude_cli/create_api_key"
api_base_url = "{api}"

[providers.openai]
api_base_url = "{api}/v1"

[providers.github-copilot]
device_code_url = "{gh}/login/device/code"
token_url = "{gh}/login/oauth/access_token"
copilot_token_url = "{gh}/copilot_internal/v2/token"
api_base_url = "{api}"
""",
        )
        for method in ("claude-max", "console"):
            login = log_in_to_anthropic(home, anthropic, method, lambda a: pasted.append(a) or a)  # type: ignore[func-returns-value]
            assert login.finish() == 0
            outputs.append((f"login {method}", login.stdout + login.stderr_text))
        # claude-max again, so the active anthropic credential is OAuth for the run below
        login = log_in_to_anthropic(home, anthropic, "claude-max", lambda a: pasted.append(a) or a)  # type: ignore[func-returns-value]
        assert login.finish() == 0
        outputs.append(("login claude-max again", login.stdout + login.stderr_text))
        device = CliProcess(home, "auth", "login", "github-copilot", "--no-browser")
        github.approve(
            device.wait_for_line(lambda line: re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", line) is not None)
        )
        assert device.finish() == 0
        outputs.append(("login copilot", device.stdout + device.stderr_text))
        run("auth", "login", "openai", "--with-key", input=API_KEY)
        run("auth", "list")
        run("auth", "list", "--json")
        make_token_due(home)
        run("auth", "token", "anthropic")
        run("auth", "refresh", "github-copilot")
        run("auth", "doctor")
        assert run("run", "hello", "--provider", "anthropic").returncode == 1  # claude-max: refused
        assert run("run", "hello", "--provider", "openai").returncode == 0
        assert run("run", "hello", "--provider", "github-copilot", "--json").returncode == 0
        run("auth", "export", "--output", "-")
        llm.fail_next("401", count=2)
        run("run", "hello", "--provider", "github-copilot")
        llm.fail_next("echo-key-400")
        run("run", "hello", "--provider", "openai")
        anthropic.revoke_all_refresh_tokens()
        run("auth", "refresh", "anthropic")
        run("auth", "logout", "openai")
        run("auth", "logout", "--all", "--yes")

    secrets = [API_KEY, *pasted, *(p.split("#")[0] for p in pasted)]
    for grant in anthropic.issued:
        secrets += [grant["access_token"], grant["refresh_token"]]
    secrets += list(anthropic.api_keys) + github.github_tokens + github.copilot_tokens
    secrets += [r.json()["code_verifier"] for r in anthropic.exchange_requests()]
    assert len(secrets) > 15 and len(outputs) > 15
    for name, text in outputs:
        for secret in secrets:
            assert secret not in text, f"a secret appeared in the output of {name!r}"
    assert any(grant["access_token"] in "".join(allowed) for grant in anthropic.issued)
    store_bytes = b"".join(p.read_bytes() for p in home.glob("auth.db*"))
    assert not any(secret.encode() in store_bytes for secret in secrets)
