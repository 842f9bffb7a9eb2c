"""Private files whatever the umask, environment variables before the store, first-use take-over."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from code_mesh import __version__
from conftest import CliRunner, clean_environment, command_line, lines_besides_the_keyfile_notice
from store_reader import decrypted_rows


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_with_umask(
    home: Path, umask: int, *arguments: str, input: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command_line(*arguments),
        input=input,
        capture_output=True,
        text=True,
        env=clean_environment(home),
        preexec_fn=lambda: os.umask(umask),
        timeout=120,
    )


def test_files_are_private_under_umask_000(home: Path) -> None:
    assert run_with_umask(home, 0o000, "auth", "login", "openai", "--with-key", input="sk-u").returncode == 0
    assert run_with_umask(home, 0o000, "auth", "export").returncode == 0
    assert mode(home) == 0o700
    for path in home.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert {p.name for p in home.iterdir()} >= {"auth.db", "auth.json", "locks"}


def test_wider_permissions_are_narrowed_with_a_warning(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-n").returncode == 0
    (home / "auth.db").chmod(0o644)
    home.chmod(0o755)
    result = cli("auth", "list")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("code-mesh: warning:")]
    assert any("auth.db" in line and "0644" in line and "0600" in line for line in warnings), result.stderr
    assert any("0755" in line and "0700" in line for line in warnings), result.stderr
    assert (mode(home / "auth.db"), mode(home)) == (0o600, 0o700)
    # The token path narrows too (it hands a store open to others to the full path).
    (home / "auth.db").chmod(0o640)
    token = cli("auth", "token", "openai")
    assert token.stdout == "sk-n\n"
    assert "narrowed" in token.stderr
    assert mode(home / "auth.db") == 0o600


def test_environment_variable_beats_the_store(cli: CliRunner, home: Path) -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-from-env"}
    listed = cli("auth", "list", "--json", env=env)
    rows = [row for row in json.loads(listed.stdout)["credentials"] if row["provider"] == "anthropic"]
    assert rows == [
        {
            "provider": "anthropic",
            "name": "Anthropic (Claude)",
            "account": None,
            "active": True,
            "type": "api_key",
            "status": "authenticated",
            "source": "env:ANTHROPIC_API_KEY",
            "expires_at": None,
        }
    ]
    human = cli("auth", "list", env=env)
    assert "env:ANTHROPIC_API_KEY" in human.stdout
    assert "sk-ant-from-env" not in human.stdout + human.stderr
    assert cli("auth", "token", "anthropic", env=env).stdout == "sk-ant-from-env\n"

    assert cli("auth", "login", "anthropic", "--with-key", input="sk-ant-stored").returncode == 0
    assert cli("auth", "token", "anthropic", env=env).stdout == "sk-ant-from-env\n"
    assert cli("auth", "token", "anthropic", "--account", "default", env=env).stdout == "sk-ant-stored\n"
    rows = [
        row
        for row in json.loads(cli("auth", "list", "--json", env=env).stdout)["credentials"]
        if row["provider"] == "anthropic"
    ]
    assert [(row["source"], row["active"]) for row in rows] == [
        ("env:ANTHROPIC_API_KEY", True),
        ("store", False),
    ]
    assert "not used: ANTHROPIC_API_KEY is set" in cli("auth", "list", env=env).stdout


def test_first_use_takes_over_a_code_mesh_auth_json(cli: CliRunner, home: Path) -> None:
    home.mkdir(mode=0o700)
    legacy = {
        "credentials": {
            "anthropic": {
                "type": "oauth",
                "access_token": "at-legacy",
                "refresh_token": "rt-legacy",
                "expires_at": 4102444800,
            },
            "openai": {"type": "apikey", "key": "sk-legacy"},
        }
    }
    (home / "auth.json").write_text(json.dumps(legacy))
    (home / "auth.json").chmod(0o600)
    result = cli("auth", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 2, result.stderr
    others = lines_besides_the_keyfile_notice(result.stderr, creates_the_store=True)
    assert len(others) == 1 and "Took over 2 credentials" in others[0], result.stderr
    rows = {row["provider"]: row for row in json.loads(result.stdout)["credentials"]}
    assert rows["anthropic"]["type"] == "oauth" and rows["anthropic"]["expires_at"] == 4102444800
    assert cli("auth", "token", "openai").stdout == "sk-legacy\n"
    assert cli("auth", "token", "anthropic").stdout == "at-legacy\n"
    # Taken over sealed, like any other write (SPEC section 8).
    assert [
        (row["provider"], row["api_key"], row["access_token"], row["refresh_token"])
        for row in decrypted_rows(home)
    ] == [("anthropic", None, "at-legacy", "rt-legacy"), ("openai", "sk-legacy", None, None)]
    # Only on first use: the next command says nothing more.
    assert cli("auth", "list").stderr == ""


def test_accounts_switch_and_logout_successor(cli: CliRunner) -> None:
    for account, key in (("default", "sk-d"), ("work", "sk-w"), ("home", "sk-h")):
        assert cli("auth", "login", "openai", "--with-key", "--account", account, input=key).returncode == 0
    assert cli("auth", "token", "openai").stdout == "sk-h\n"
    switched = cli("auth", "switch", "openai", "work")
    assert switched.returncode == 0 and "work is active now" in switched.stdout
    assert cli("auth", "token", "openai").stdout == "sk-w\n"
    logout = cli("auth", "logout", "openai", "--yes")
    assert logout.returncode == 0
    assert "account work" in logout.stdout and "openai: account home is active now." in logout.stdout
    assert cli("auth", "token", "openai").stdout == "sk-h\n"
    everything = cli("auth", "logout", "--all", "--yes")
    assert everything.returncode == 0 and everything.stdout.count("Logged out of openai") == 2


def test_import_merges_and_dry_run_changes_nothing(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-old").returncode == 0
    assert cli("auth", "login", "my-llm", "--with-key", input="sk-same").returncode == 0
    document = json.dumps(
        {
            "credentials": {
                "openai": {"type": "api_key", "key": "sk-new"},
                "my-llm": {"type": "api_key", "key": "sk-same"},
                "azure": {"type": "custom", "data": {"endpoint": "https://a", "api_key": "az"}},
            }
        }
    )
    dry = cli("auth", "import", "-", "--dry-run", input=document)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[:3] == [
        "replace   openai:default",
        "unchanged my-llm:default",
        "add       azure:default",
    ]
    assert cli("auth", "token", "openai").stdout == "sk-old\n"
    real = cli("auth", "import", "-", input=document)
    assert real.returncode == 0, real.stderr
    assert cli("auth", "token", "openai").stdout == "sk-new\n"
    assert cli("auth", "token", "azure").stdout == "az\n"
    assert cli("auth", "token", "my-llm").stdout == "sk-same\n"


def test_opencode_export_and_import(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    opencode = {
        "anthropic": {"type": "oauth", "refresh": "rt-oc", "access": "at-oc", "expires": 4102444800000},
        "openrouter": {"type": "api", "key": "sk-or"},
    }
    assert cli("auth", "import", "-", input=json.dumps(opencode)).returncode == 0
    exported = cli("auth", "export", "--format", "opencode", "--output", str(tmp_path / "oc.json"))
    assert exported.returncode == 0, exported.stderr
    assert json.loads((tmp_path / "oc.json").read_text()) == {
        "written_by": f"code-mesh {__version__}",
        **opencode,
    }
    assert mode(tmp_path / "oc.json") == 0o600


def test_a_store_owned_by_another_user_is_refused(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-mine").returncode == 0
    if os.getuid() != 0:
        import pytest

        pytest.skip("only root can hand a file to another user")
    os.chown(home / "auth.db", 65534, 65534)
    for arguments in (("auth", "list"), ("auth", "token", "openai")):
        result = cli(*arguments)
        assert result.returncode == 1, arguments
        assert "belongs to another user (uid 65534)" in result.stderr and "Traceback" not in result.stderr
        assert "sk-mine" not in result.stdout
    assert (home / "auth.db").stat().st_uid == 65534
