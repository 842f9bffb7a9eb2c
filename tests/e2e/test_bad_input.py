"""Bad input gets the exit code SPEC gives, one readable line with a next step, and loses nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli_checks import assert_one_error_line
from conftest import CliRunner
from store_reader import store_dump

STORED_KEY = "sk-kept-9a7b3c"


@pytest.fixture
def populated(cli: CliRunner, home: Path) -> list[str]:
    result = cli("auth", "login", "openai", "--with-key", input=STORED_KEY)
    assert result.returncode == 0, result.stderr
    return store_dump(home)


def test_store_full_of_random_bytes(cli: CliRunner, home: Path) -> None:
    home.mkdir(mode=0o700)
    garbage = os.urandom(8192)
    (home / "auth.db").write_bytes(garbage)
    (home / "auth.db").chmod(0o600)
    for command in (("auth", "list"), ("auth", "token", "openai")):
        line = assert_one_error_line(cli(*command), 1)
        assert "auth.db" in line
    assert (home / "auth.db").read_bytes() == garbage


def test_store_that_is_a_directory(cli: CliRunner, home: Path) -> None:
    home.mkdir(mode=0o700)
    (home / "auth.db").mkdir(mode=0o700)
    (home / "auth.db" / "keep").write_text("x")
    line = assert_one_error_line(cli("auth", "list"), 1)
    assert "directory" in line
    assert (home / "auth.db" / "keep").read_text() == "x"


def test_home_that_cannot_be_created(cli: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = cli("auth", "list", home_override=blocker / "home")
    line = assert_one_error_line(result, 1)
    assert "CODE_MESH_HOME" in line
    assert blocker.read_text() == "not a directory"


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ('{"credentials": {"openai": ', "not valid JSON"),
        ('{"credentials": {"x": {"type": "password", "key": "k"}}}', "unknown type"),
        ('{"credentials": {"x": {"type": "api_key"}}}', "'key' is missing"),
        ('{"credentials": {"x": {"type": "api_key", "key": ["k"]}}}', "must be a string"),
        ('{"credentials": {"Not Valid": {"type": "api_key", "key": "k"}}}', "'Not Valid'"),
        ('{"anthropic": {"type": "oauth", "access": "a", "expires": "tomorrow"}}', "whole number"),
    ],
)
def test_bad_auth_json_imports_nothing(
    cli: CliRunner, home: Path, populated: list[str], tmp_path: Path, document: str, named: str
) -> None:
    # A valid entry first: the bad one must take it down with it (all or nothing).
    if document.startswith('{"credentials": {"') and "openai" not in document:
        document = document.replace(
            '{"credentials": {', '{"credentials": {"good": {"type": "api_key", "key": "g"}, ', 1
        )
    source = tmp_path / "bad.json"
    source.write_text(document)
    line = assert_one_error_line(cli("auth", "import", str(source)), 1)
    assert named in line
    line = assert_one_error_line(cli("auth", "import", "-", input=document), 1)
    assert store_dump(home) == populated


def test_invalid_provider_id_as_an_argument_is_a_usage_error(
    cli: CliRunner, home: Path, populated: list[str]
) -> None:
    for command in (
        ("auth", "login", "Open AI", "--with-key"),
        ("auth", "token", "UPPER"),
        ("auth", "logout", "a/b", "--yes"),
    ):
        line = assert_one_error_line(cli(*command, input="sk-x"), 2)
        assert "provider id" in line
    assert store_dump(home) == populated


def test_invalid_account_name_is_a_usage_error(cli: CliRunner, home: Path, populated: list[str]) -> None:
    line = assert_one_error_line(
        cli("auth", "login", "openai", "--with-key", "--account", "Work Laptop", input="k"), 2
    )
    assert "account name" in line
    assert store_dump(home) == populated


def test_empty_key_on_standard_input(cli: CliRunner, home: Path, populated: list[str]) -> None:
    for empty in ("", "\n", "   \n"):
        line = assert_one_error_line(cli("auth", "login", "openai", "--with-key", input=empty), 1)
        assert "empty" in line
    assert store_dump(home) == populated


def test_unknown_format_is_a_usage_error(cli: CliRunner, home: Path, populated: list[str]) -> None:
    assert_one_error_line(cli("auth", "export", "--format", "netrc"), 2)
    assert_one_error_line(cli("auth", "import", "-", "--format", "yaml", input="{}"), 2)
    assert store_dump(home) == populated
    assert not (home / "auth.json").exists()


def test_logout_of_a_provider_that_is_not_stored(cli: CliRunner, home: Path, populated: list[str]) -> None:
    line = assert_one_error_line(cli("auth", "logout", "anthropic", "--yes"), 1)
    assert "Nothing is stored for anthropic" in line
    line = assert_one_error_line(cli("auth", "logout", "openai", "--account", "work", "--yes"), 1)
    assert "no stored account work" in line
    assert store_dump(home) == populated


def test_logout_without_yes_off_a_terminal_removes_nothing(
    cli: CliRunner, home: Path, populated: list[str]
) -> None:
    line = assert_one_error_line(cli("auth", "logout", "openai", input="y\n"), 1)
    assert "--yes" in line
    assert store_dump(home) == populated
    assert cli("auth", "token", "openai").stdout == STORED_KEY + "\n"


def test_usage_errors_are_one_line(cli: CliRunner) -> None:
    assert_one_error_line(cli("auth", "frobnicate"), 2)
    assert_one_error_line(cli("auth", "login", "openai", "--bogus"), 2)
    assert_one_error_line(cli("auth", "token"), 2)
    assert_one_error_line(cli("auth", "login", "--with-key", input="k"), 2)  # no PROVIDER off a terminal


def test_with_key_for_a_provider_without_api_keys(cli: CliRunner, home: Path) -> None:
    line = assert_one_error_line(cli("auth", "login", "github-copilot", "--with-key", input="k"), 2)
    assert "github-copilot" in line
    assert not (home / "auth.db").exists()


def test_unknown_account_for_switch_and_token(cli: CliRunner, home: Path, populated: list[str]) -> None:
    assert_one_error_line(cli("auth", "switch", "openai", "work"), 1)
    assert_one_error_line(cli("auth", "token", "openai", "--account", "work"), 1)
    assert store_dump(home) == populated


def test_malformed_first_use_auth_json_creates_no_store(cli: CliRunner, home: Path) -> None:
    home.mkdir(mode=0o700)
    (home / "auth.json").write_text('{"credentials": {"openai": {"type": "apikey"}}}')
    (home / "auth.json").chmod(0o600)
    line = assert_one_error_line(cli("auth", "list"), 1)
    assert "auth.json" in line
    assert not (home / "auth.db").exists()
    assert json.loads((home / "auth.json").read_text())["credentials"]["openai"] == {"type": "apikey"}
