"""Project files, `auth which` and `auth status` through the installed CLI (SPEC sections 2, 11, 12;
issue 12 acceptance 2 and 3). Each command is a fresh process forked by the launcher, run from
the directory a test chooses, with HOME set to a home of the test's own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_checks import assert_one_error_line
from cli_process import write_config
from conftest import CliRunner
from servers.fake_llm_apis import (
    GOOGLE_MODELS_PATH,
    MODELS_PATH,
    XAI_MODELS_PATH,
    FakeLLMApis,
)

GOOD_KEY = "sk-status-good-4b1d9f"
DAY = 86400


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    """The user's home directory (HOME), with a project below it: ~/src/acme/sub."""
    (tmp_path / "me" / "src" / "acme" / "sub").mkdir(parents=True)
    return tmp_path / "me"


@pytest.fixture
def here(user_home: Path) -> Path:
    return user_home / "src" / "acme" / "sub"


def project_file(directory: Path, text: str) -> Path:
    path = directory / ".code-mesh.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def log_in(run: CliRunner, provider: str, account: str, key: str) -> None:
    result = run("auth", "login", provider, "--account", account, "--with-key", input=key)
    assert result.returncode == 0, result.stderr


def import_oauth(run: CliRunner, entries: dict[str, dict[str, object]]) -> None:
    result = run("auth", "import", "-", input=json.dumps({"credentials": entries}))
    assert result.returncode == 0, result.stderr


def test_the_nearest_project_file_chooses_and_env_and_account_beat_it(
    run: CliRunner, user_home: Path, here: Path
) -> None:
    for account in ("default", "outer", "inner", "other"):
        log_in(run, "openai", account, f"sk-key-of-{account}")
    project_file(user_home, '[accounts]\nopenai = "other"\n')  # the home itself: never read
    project_file(user_home.parent, '[accounts]\nopenai = "other"\n')  # above the home: never reached
    project_file(user_home / "src", '[accounts]\nopenai = "outer"\n')
    inner = project_file(user_home / "src" / "acme", '[accounts]\nopenai = "inner"\n')
    env = {"HOME": str(user_home)}

    def token(cwd: Path, *extra: str, variables: dict[str, str] | None = None) -> str:
        result = run("auth", "token", "openai", *extra, env={**env, **(variables or {})}, cwd=cwd)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert token(here) == "sk-key-of-inner"
    assert token(user_home / "src") == "sk-key-of-outer"
    assert token(user_home) == "sk-key-of-other"  # the active account: the home's file is not read
    assert token(here, variables={"OPENAI_API_KEY": "sk-from-env"}) == "sk-from-env"
    assert (
        token(here, "--account", "default", variables={"OPENAI_API_KEY": "sk-from-env"})
        == "sk-key-of-default"
    )
    which = run("auth", "which", "openai", env=env, cwd=here)
    assert (which.returncode, which.stdout) == (0, f"openai: account inner (from {inner})\n")
    refreshed = run("auth", "refresh", "openai", env=env, cwd=here)  # acts on the project's account
    assert "openai (inner) holds an API key, which cannot be refreshed" in refreshed.stderr
    assert run("auth", "logout", "openai", "--yes", env=env, cwd=here).stdout.startswith(
        "✓ Logged out of openai (account inner)."
    )
    gone = run("auth", "token", "openai", env=env, cwd=here)
    line = assert_one_error_line(gone, 1)
    assert f"{inner}, line 2 names account inner for openai, which is not stored" in line


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            '[accounts]\nopenai = "work"\napi_base_url = "http://127.0.0.1:9/v1"\n',
            3,
            "api_base_url = … is not",
        ),
        (
            '[accounts]\nopenai = "work"\n[providers.openai]\napi_base_url = "http://127.0.0.1:9/v1"\n',
            3,
            "'providers'",
        ),
        (
            '[accounts]\nopenai = "work"\n[headers]\nAuthorization = "Bearer x"\n',
            3,
            "'headers' is not allowed",
        ),
        ('[accounts]\nopenai = "nobody"\n', 2, "names account nobody for openai, which is not stored"),
    ],
)
def test_a_project_file_cannot_redirect_a_token_and_no_request_is_made(
    run: CliRunner, home: Path, user_home: Path, here: Path, text: str, line: int, words: str
) -> None:
    fake = FakeLLMApis()
    fake.api_keys.add(GOOD_KEY)
    with fake.serve() as base:
        write_config(home, f'[providers.openai]\napi_base_url = "{base}/v1"\n')
        log_in(run, "openai", "work", GOOD_KEY)
        path = project_file(user_home / "src", text)
        env = {"HOME": str(user_home)}
        for command in (("run", "hello", "--provider", "openai"), ("auth", "token", "openai")):
            error = assert_one_error_line(run(*command, env=env, cwd=here), 1)
            assert f"{path}, line {line}" in error and words in error, error
        exec_result = run("exec", "--provider", "openai", "--", "true", env=env, cwd=here)
        assert f"{path}, line {line}" in assert_one_error_line(exec_result, 1)
        assert fake.requests == []
        listed = run("auth", "list", env=env, cwd=here)  # commands that resolve nothing ignore it
        assert listed.returncode == 0 and listed.stderr == ""


def test_auth_which_json_says_what_and_why(run: CliRunner, user_home: Path, here: Path) -> None:
    log_in(run, "openai", "work", "sk-which-1")
    log_in(run, "openai", "default", "sk-which-2")
    path = project_file(here, '[accounts]\nopenai = "work"\nanthropic = "nobody"\n')
    env = {"HOME": str(user_home)}

    def which(provider: str, variables: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
        result = run("auth", "which", provider, "--json", env={**env, **(variables or {})}, cwd=here)
        assert result.stderr == ""
        return result.returncode, json.loads(result.stdout)

    reason = f"from {path}"
    assert which("openai") == (
        0, {"provider": "openai", "account": "work", "source": "project", "reason": reason, "path": str(path)}
    )  # fmt: skip
    assert which("openai", {"OPENAI_API_KEY": "sk-env"}) == (
        0,
        {
            "provider": "openai",
            "account": None,
            "source": "env:OPENAI_API_KEY",
            "reason": "the environment beats the project file and the store",
            "path": None,
        },
    )
    missing = f"{path}, line 3 names account nobody for anthropic, which is not stored"
    assert which("anthropic") == (
        1, {"provider": "anthropic", "account": None, "source": None, "reason": missing, "path": str(path)}
    )  # fmt: skip
    assert which("xai") == (
        1, {"provider": "xai", "account": None, "source": None, "reason": "not logged in to xai", "path": None}
    )  # fmt: skip
    path.unlink()
    assert which("openai")[1] == {
        "provider": "openai", "account": "default", "source": "store", "reason": "the active stored account",
        "path": None,
    }  # fmt: skip
    env_line = run("auth", "which", "anthropic", env={**env, "ANTHROPIC_API_KEY": "k"}, cwd=here)
    assert env_line.stdout == "anthropic: env:ANTHROPIC_API_KEY (the environment beats the store)\n"


def test_auth_status_exit_codes_and_json(run: CliRunner, user_home: Path, here: Path) -> None:
    env = {"HOME": str(user_home)}
    nothing = run("auth", "status", "--json", env=env, cwd=here)
    assert (nothing.returncode, json.loads(nothing.stdout)) == (1, {"providers": [], "ok": False})
    assert "Not logged in to any provider" in assert_one_error_line(run("auth", "status", env=env), 1)

    now = int(time.time())
    import_oauth(
        run,
        {
            "anthropic": {"type": "oauth", "access_token": "sk-ant-oat-x", "expires_at": now + 3 * 3600 + 600},
            "github-copilot": {"type": "oauth", "access_token": "tid-x", "refresh_token": "ghu_x", "expires_at": now - 3600},
        },
    )  # fmt: skip
    log_in(run, "openai", "default", "sk-status-openai")
    ok = run("auth", "status", env=env, cwd=here)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.splitlines() == [
        "✓ Anthropic (Claude) [anthropic]",
        "  Account: default (source: store)",
        "  Type: oauth",
        "  Status: authenticated, expires in 3h 9m",
        "  Warning: it expires in 3h 9m and cannot be refreshed; run `code-mesh auth login anthropic` before then",
        "✓ OpenAI [openai]",
        "  Account: default (source: store)",
        "  Type: api_key",
        "  Status: authenticated",
        "✓ GitHub Copilot [github-copilot]",
        "  Account: default (source: store)",
        "  Type: oauth",
        "  Status: expired 1h ago; refreshes on next use",
    ]
    document = json.loads(run("auth", "status", "--json", env=env, cwd=here).stdout)
    assert document["ok"] is True
    assert document["providers"][2] == {
        "provider": "github-copilot", "name": "GitHub Copilot", "account": "default", "source": "store",
        "type": "oauth", "status": "expired", "expires_at": now - 3600, "usable": True, "online": None,
    }  # fmt: skip

    import_oauth(run, {"openai:old": {"type": "api_key", "key": "sk-old", "needs_login": True}})
    switched = run("auth", "switch", "openai", "old", env=env)
    assert switched.returncode == 0, switched.stderr
    broken = run("auth", "status", "openai", env=env, cwd=here)
    assert broken.returncode == 1
    assert broken.stdout.splitlines()[0] == "✗ OpenAI [openai]"
    assert "  Status: needs-login: run `code-mesh auth login openai --account old`" in broken.stdout
    assert json.loads(run("auth", "status", "--json", env=env, cwd=here).stdout)["ok"] is False
    assert (
        run("auth", "status", "xai", env=env).stdout
        == "✗ xAI [xai]\n  Not logged in to xai: run `code-mesh auth login xai`\n"
    )


@pytest.fixture
def online(home: Path) -> Iterator[FakeLLMApis]:
    """The model lists of the fake, every checked provider pointed at it (xAI and Google at their
    own paths, which answer an unknown key with 400)."""
    fake = FakeLLMApis()
    fake.api_keys.add(GOOD_KEY)
    with fake.serve() as base:
        write_config(
            home,
            f'[providers.anthropic]\napi_base_url = "{base}"\n'
            f'[providers.openai]\napi_base_url = "{base}/v1"\n'
            f'[providers.xai]\nmodels_url = "{base}{XAI_MODELS_PATH}"\n'
            f'[providers.google]\nmodels_url = "{base}{GOOGLE_MODELS_PATH}"\n'
            '[providers.groq]\nmodels_url = "http://127.0.0.1:9/openai/v1/models"\n',
        )
        yield fake


def test_auth_status_online_one_request_per_credential(run: CliRunner, online: FakeLLMApis) -> None:
    log_in(run, "anthropic", "default", GOOD_KEY)
    log_in(run, "openai", "default", GOOD_KEY)
    log_in(run, "xai", "default", "xai-refused-key")
    import_oauth(run, {"anthropic:max": {"type": "oauth", "access_token": "sk-ant-oat-max", "expires_at": int(time.time()) + DAY * 300}})  # fmt: skip
    assert run("auth", "switch", "anthropic", "max").returncode == 0

    good = run("auth", "status", "openai", "--online", "--json")
    assert json.loads(good.stdout)["providers"][0]["online"] == "ok" and good.returncode == 0
    both = json.loads(run("auth", "status", "anthropic", "--online", "--json").stdout)
    assert both["providers"][0]["online"] == "skipped"  # the claude-max login is active: never sent
    sent = online.models_requests()
    assert [(r.path, r.headers.get("authorization")) for r in sent] == [(MODELS_PATH, f"Bearer {GOOD_KEY}")]
    assert run("auth", "switch", "anthropic", "default").returncode == 0
    anthropic = run("auth", "status", "anthropic", "--online")
    assert (anthropic.returncode, anthropic.stdout.splitlines()[-1]) == (0, "  Online: ok")
    assert online.models_requests()[-1].headers["x-api-key"] == GOOD_KEY

    refused = run("auth", "status", "xai", "--online")
    assert refused.returncode == 1
    assert refused.stdout.splitlines()[0] == "✗ xAI [xai]"
    assert (
        "  Online: refused (HTTP 400: Incorrect API key provided: [redacted]. You can obtain"
        in refused.stdout
    )
    assert "xai-refused-key" not in refused.stdout + refused.stderr

    google = run("auth", "status", "google", "--online", "--json", env={"GEMINI_API_KEY": "AIza-unknown"})
    row = json.loads(google.stdout)["providers"][0]
    assert (google.returncode, row["usable"], row["source"]) == (1, False, "env:GEMINI_API_KEY")
    assert row["online"].startswith("refused (HTTP 400: API key not valid.")

    log_in(run, "groq", "default", "gsk-unreachable")
    unreachable = run("auth", "status", "groq", "--online", "--json")
    row = json.loads(unreachable.stdout)["providers"][0]
    assert (unreachable.returncode, row["usable"]) == (1, True)  # not verified, not refused
    assert row["online"] == "failed: Cannot connect to 127.0.0.1:9"
    everything = json.loads(run("auth", "status", "--online", "--json").stdout)
    outcomes = {p["provider"]: p["online"].partition(" (")[0] for p in everything["providers"]}
    assert outcomes == {
        "anthropic": "ok",
        "openai": "ok",
        "groq": "failed: Cannot connect to 127.0.0.1:9",
        "xai": "refused",
    }
    assert everything["ok"] is False
