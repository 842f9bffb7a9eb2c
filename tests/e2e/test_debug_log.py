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
        console = CliProcess(
            home,
            "auth",
            "login",
            "anthropic",
            "--method",
            "console",
            "--no-browser",
            "--account",
            "console",
            env=debug,
        )
        console_answer = anthropic.approve(console.wait_for_line(lambda line: line.startswith("http")))
        console.answer(console_answer)
        assert console.finish() == 0, console.stderr_text
        logs.append(console.stderr_text)
        secrets += [console_answer.split("#")[0], *anthropic.api_keys]
        assert cli("auth", "switch", "anthropic", "default").returncode == 0
        make_token_due(home)
        token = cli("auth", "token", "anthropic", env=debug)
        assert token.returncode == 0
        assert "credential for anthropic from store" in token.stderr, (
            "debug says where the credential came from"
        )
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


def test_generic_provider_flows_in_debug_mode_and_the_browser_argv(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    """The browser login opens a real (stand-in) browser: its argv and the debug log hold no secret."""
    import json
    import sys

    from servers.authlib_server import PUBLIC_CLIENT_ID, make_authorization_server

    server = make_authorization_server()
    server.auto_approve_devices = True
    browser_log = tmp_path / "browser.log"
    stand_in = tmp_path / "browser"
    stand_in.write_text(
        f'#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve().parents[1] / "browser_stand_in.py"} "$@"\n'
    )
    stand_in.chmod(0o755)
    env = {
        "CODE_MESH_DEBUG": "1",
        "DISPLAY": ":0",
        "BROWSER": str(stand_in),
        "CODE_MESH_TEST_BROWSER_LOG": str(browser_log),
    }
    with server.serve() as base:
        write_config(
            home,
            f'[providers.my-idp]\nauthorize_url = "{base}/authorize"\ntoken_url = "{base}/token"\n'
            f'device_authorization_url = "{base}/device_authorization"\nclient_id = "{PUBLIC_CLIENT_ID}"\n'
            'scopes = ["openid", "offline_access"]\n',
        )
        browser_login = cli("auth", "login", "my-idp", "--method", "oauth", env=env)
        assert browser_login.returncode == 0, browser_login.stderr
        device_login = cli("auth", "login", "my-idp", "--method", "device", "--account", "second", env=env)
        assert device_login.returncode == 0, device_login.stderr
        refreshed = cli("auth", "refresh", "my-idp", env=env)
        assert refreshed.returncode == 0, refreshed.stderr
        secrets = [t.access_token for t in server.issued_tokens] + [
            t.refresh_token for t in server.issued_tokens
        ]
        secrets += [r.form.get("code") for r in server.requests_to("/token") if r.form.get("code")]
        secrets += [
            r.form.get("code_verifier") for r in server.requests_to("/token") if r.form.get("code_verifier")
        ]
        secrets += [
            r.form.get("device_code") for r in server.requests_to("/token") if r.form.get("device_code")
        ]
    argv_lines = [json.loads(line) for line in browser_log.read_text().splitlines()]
    assert len(argv_lines) == 1 and argv_lines[0][1].startswith(f"{base}/authorize?")
    log = browser_login.stderr + device_login.stderr + refreshed.stderr
    assert "POST" in log and "code_mesh.store: save" in log
    secrets = [s for s in secrets if s]
    assert len(secrets) >= 6
    for secret in secrets:
        assert secret not in log and secret not in browser_log.read_text()
