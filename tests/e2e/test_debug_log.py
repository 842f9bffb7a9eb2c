"""`--debug` logs every HTTP request and store operation, and not one secret (SPEC section 1)."""

from __future__ import annotations

import re
from pathlib import Path

from anthropic_login import configure_anthropic, make_token_due
from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.fake_anthropic import FakeAnthropic
from servers.fake_github import FakeGitHub


def test_oauth_flows_in_debug_mode_log_requests_and_no_secret(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    debug = {"CODE_MESH_DEBUG": "1"}
    logs: list[str] = []
    secrets: list[str] = ["sk-debug-api-key-1234"]
    anthropic = FakeAnthropic()
    with anthropic.serve() as base:
        configure_anthropic(home, base)
        login = CliProcess(
            home, "auth", "login", "anthropic", "--method", "claude-max", "--no-browser", env=debug
        )
        answer = anthropic.approve(login.wait_for_line(lambda line: line.startswith("http")))
        login.answer(answer)
        assert login.finish() == 0, login.stderr_text
        logs.append(login.stderr_text)
        secrets += [answer.split("#")[0], answer.split("#")[1]]
        make_token_due(home)
        token = cli("auth", "token", "anthropic", env=debug)
        assert token.returncode == 0
        logs.append(token.stderr)
        refreshed = cli("--debug", "auth", "refresh", "anthropic")
        assert refreshed.returncode == 0
        logs.append(refreshed.stderr)
        for issued in anthropic.issued:
            secrets += [issued["access_token"], issued["refresh_token"]]
        for request in anthropic.exchange_requests():
            secrets.append(request.json()["code_verifier"])
    login_key = cli("auth", "login", "openai", "--with-key", input=secrets[0], env=debug)
    logs.append(login_key.stderr)

    github = FakeGitHub()
    copilot_home = tmp_path / "copilot-home"
    with github.serve() as base:
        write_config(
            copilot_home,
            f'[providers.github-copilot]\ndevice_code_url = "{base}/login/device/code"\n'
            f'token_url = "{base}/login/oauth/access_token"\ncopilot_token_url = "{base}/copilot_internal/v2/token"\n',
        )
        device = CliProcess(copilot_home, "auth", "login", "github-copilot", "--no-browser", env=debug)
        code = device.wait_for_line(lambda line: re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", line) is not None)
        github.approve(code)
        assert device.finish() == 0, device.stderr_text
        logs.append(device.stderr_text)
        secrets += github.github_tokens + github.copilot_tokens
        secrets += [r.form()["device_code"] for r in github.poll_requests() if "device_code" in r.form()]

    log = "\n".join(logs)
    assert "code-mesh debug: code_mesh.oauth: POST" in log
    assert "-> HTTP 200" in log
    assert "code-mesh debug: code_mesh.store: save 1 credential(s): anthropic:default (oauth)" in log
    assert "refresh_token=[redacted]" in log and "code_verifier=[redacted]" in log
    assert len(secrets) >= 10
    for secret in secrets:
        assert secret and secret not in log, "a secret reached the debug log"
