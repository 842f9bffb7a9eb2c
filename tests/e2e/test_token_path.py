"""`auth token` is cheap when the token is fresh: the standard library and nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CliRunner, clean_environment

HEAVY = ("cyclopts", "sqlalchemy", "alembic", "httpx", "rich", "keyring")
NOT_NEEDED = ("pathlib", "re", "hashlib", "json", "tomllib", "typing", "datetime")
"""Standard modules a fresh key-file token does not need (each costs a few hundred µs; tomllib,
which reading the catalog's files would need, about 10 ms)."""


def modules_loaded_by(
    home: Path, *arguments: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[set[str], str]:
    """Run the CLI under -X importtime and return the top-level modules it imported, and stdout."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "code_mesh", *arguments],
        capture_output=True,
        text=True,
        env=clean_environment(home, env),
        timeout=60,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    modules = {
        line.split("|")[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, result.stdout


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        (("auth", "login", "openai", "--with-key"), "sk-fast"),
        (("auth", "login", "my-llm", "--with-key", "--account", "work"), "sk-fast"),
    ],
)
def test_fresh_token_imports_nothing_heavy(
    cli: CliRunner, home: Path, login: tuple[str, ...], expected: str
) -> None:
    assert cli(*login, input="sk-fast").returncode == 0
    provider = login[2]
    modules, stdout = modules_loaded_by(home, "auth", "token", provider)
    assert stdout == expected + "\n"
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))
    assert modules.isdisjoint(NOT_NEEDED), sorted(modules & set(NOT_NEEDED))
    assert "_sqlite3" in modules and "datetime" not in modules  # the C module alone (sqlite_connect.py)


def test_custom_and_oauth_tokens_take_the_fast_path(cli: CliRunner, home: Path) -> None:
    document = (
        '{"credentials": {"azure": {"type": "custom", "data": {"endpoint": "e", "api_key": "az-key"}},'
        ' "anthropic": {"type": "oauth", "access_token": "at-fresh", "refresh_token": "rt", "expires_at": 4102444800}}}'
    )
    assert cli("auth", "import", "-", input=document).returncode == 0
    for provider, expected in (("azure", "az-key"), ("anthropic", "at-fresh")):
        modules, stdout = modules_loaded_by(home, "auth", "token", provider)
        assert stdout == expected + "\n"
        assert modules.isdisjoint(HEAVY)


def test_environment_variable_needs_no_store_at_all(home: Path) -> None:
    modules, stdout = modules_loaded_by(home, "auth", "token", "openai", env={"OPENAI_API_KEY": "sk-env"})
    assert stdout == "sk-env\n"
    assert "_sqlite3" not in modules and modules.isdisjoint(HEAVY)
    assert not home.exists()


@pytest.mark.parametrize(
    ("provider", "environment", "expected"),
    [
        ("groq", {"GROQ_API_KEY": "gsk-env"}, "gsk-env"),
        ("google", {"GOOGLE_API_KEY": "g-second"}, "g-second"),
        ("google", {"GOOGLE_API_KEY": "g-second", "GEMINI_API_KEY": "g-first"}, "g-first"),
    ],
)
def test_every_catalog_providers_variables_without_reading_the_catalog(
    home: Path, provider: str, environment: dict[str, str], expected: str
) -> None:
    """The generated index answers: the first set variable wins, and tomllib is never imported."""
    modules, stdout = modules_loaded_by(home, "auth", "token", provider, env=environment)
    assert stdout == expected + "\n"
    assert modules.isdisjoint(HEAVY) and modules.isdisjoint(NOT_NEEDED)


def test_a_config_toml_hands_over_to_the_full_path(cli: CliRunner, home: Path) -> None:
    """config.toml may give a provider other variables (or a provider of its own): the full path
    reads it (and tomllib, and so costs more) and answers with what it says."""
    assert cli("auth", "login", "groq", "--with-key", input="gsk-stored").returncode == 0
    (home / "config.toml").write_text('[providers.groq]\nenv = ["MY_GROQ_KEY"]\n')
    modules, stdout = modules_loaded_by(home, "auth", "token", "groq", env={"GROQ_API_KEY": "not-this"})
    assert stdout == "gsk-stored\n" and "tomllib" in modules
    _, stdout = modules_loaded_by(home, "auth", "token", "groq", env={"MY_GROQ_KEY": "gsk-mine"})
    assert stdout == "gsk-mine\n"


def test_a_plain_project_file_is_read_by_the_fast_path(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    """A .code-mesh.toml between the working directory and the home may choose the account (SPEC
    section 11): written the plain way, the fast path reads it (no tomllib); any other way, and
    when it names an account that is not stored, the full path answers."""
    for account, key in (("default", "sk-active"), ("work", "sk-work")):
        login = cli("auth", "login", "openai", "--account", account, "--with-key", input=key)
        assert login.returncode == 0
    project = tmp_path / "project" / "sub"
    project.mkdir(parents=True)
    project_file = project.parent / ".code-mesh.toml"
    project_file.write_text('[accounts]\nopenai = "default"\n')
    modules, stdout = modules_loaded_by(home, "auth", "token", "openai", cwd=project)
    assert stdout == "sk-active\n"
    assert modules.isdisjoint(HEAVY) and modules.isdisjoint(NOT_NEEDED), sorted(
        modules & {*HEAVY, *NOT_NEEDED}
    )
    _, stdout = modules_loaded_by(
        home, "auth", "token", "openai", env={"OPENAI_API_KEY": "sk-env"}, cwd=project
    )
    assert stdout == "sk-env\n", "the environment beats the project file"
    _, stdout = modules_loaded_by(home, "auth", "token", "openai", "--account", "work", cwd=project)
    assert stdout == "sk-work\n", "--account beats the project file"
    project_file.write_text("[accounts]\nopenai = 'default'  # a literal string: TOML, not plain\n")
    modules, stdout = modules_loaded_by(home, "auth", "token", "openai", cwd=project)
    assert stdout == "sk-active\n" and "tomllib" in modules
    project_file.write_text('[accounts]\nopenai = "gone"\n')
    missing = cli("auth", "token", "openai", cwd=project)
    assert (
        missing.returncode == 1
        and "names account gone" in missing.stderr
        and str(project_file) in missing.stderr
    )
    modules, stdout = modules_loaded_by(home, "auth", "token", "openai", cwd=tmp_path)
    assert stdout == "sk-work\n" and modules.isdisjoint(NOT_NEEDED)


def test_unusual_cases_fall_through_to_the_full_messages(cli: CliRunner, home: Path) -> None:
    document = (
        '{"credentials": {"anthropic": {"type": "oauth", "access_token": "at-old", "expires_at": 1000},'
        ' "multi": {"type": "custom", "data": {"a": "1", "b": "2"}}}}'
    )
    assert cli("auth", "import", "-", input=document).returncode == 0
    expired = cli("auth", "token", "anthropic")
    assert expired.returncode == 1 and "code-mesh auth login anthropic" in expired.stderr
    assert "at-old" not in expired.stdout + expired.stderr
    ambiguous = cli("auth", "token", "multi")
    assert ambiguous.returncode == 1 and "auth export" in ambiguous.stderr
    missing = cli("auth", "token", "openai")
    assert missing.returncode == 1 and "Not logged in to openai" in missing.stderr


def test_the_installed_command_imports_no_re(cli: CliRunner, home: Path) -> None:
    """The `code-mesh` command is a launcher of our own (bin/code-mesh): pip's console-script
    wrapper would `import re` (about 4 ms) before code-mesh starts."""
    launcher = Path(sys.executable).parent / "code-mesh"
    assert launcher.is_file(), "installed with the package (script-files)"
    assert cli("auth", "login", "openai", "--with-key", input="sk-launched").returncode == 0
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(launcher), "auth", "token", "openai"],
        capture_output=True,
        text=True,
        env=clean_environment(home),
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "sk-launched\n"), result.stderr
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert modules.isdisjoint({"re", "typing", "datetime", "sqlite3"}), sorted(modules & {"re", "typing"})
