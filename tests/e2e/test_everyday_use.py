"""Issue 11: bad input and everyday use, through the installed CLI (a pty where a terminal is needed).

One test (or one parametrized group) per place the issue saw a secret echoed or a user stuck:
each asserts the exit code, the one line said, that the key appears in no output, and what
the store holds afterwards. The multi-line key and the lost key are issue 9's and are tested
in test_files_and_secrets.py and test_lost_keys.py.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_checks import assert_one_error_line
from cli_process import write_config
from code_mesh.adapters.files.catalog_files import CatalogFiles
from code_mesh.application.settings import Settings
from conftest import CliRunner, clean_environment
from pty_session import HIDDEN_PROMPT, Spawner, listed, sessions, store_key, stored_token

KEY = "sk-proj-Q7vR2mX9kL4pW8nT3cY6bH1dZ5"
"""What a key looks like when someone pastes it where it does not belong."""
OLD_KEY = "sk-everyday-old-4c1e"
PIPE_HINT = 'printf %s "$KEY" | code-mesh auth login {provider} --with-key'


@pytest.fixture
def cli(run: CliRunner) -> CliRunner:
    """Each command in a fresh real process forked by the shared launcher (conftest's `run`)."""
    return run


@pytest.fixture
def spawn(home: Path) -> Iterator[Spawner]:
    with sessions(home) as start:
        yield start


def outputs(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# -- a key given as an argument is never echoed ---------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "provider"),
    [
        (("auth", "login", "openai", KEY), "openai"),  # was: Unused Tokens: ['sk-proj-…']
        (("auth", "login", "openai", "--with-key", KEY), "openai"),
        (("auth", "login", KEY), "PROVIDER"),  # was: 'sk-proj-…' is not a valid provider id
        (("auth", "login", "openai", "--method", KEY), "openai"),
        (("auth", "login", "--account", "work", "openai", KEY), "openai"),
        (("auth", "login", KEY.lower()), "PROVIDER"),  # a valid id, but it looks like a key
    ],
    ids=["after-provider", "after-with-key", "as-provider", "as-method", "after-options", "lowercase"],
)
def test_a_key_given_to_login_as_an_argument_is_not_echoed_and_the_pipe_is_shown(
    cli: CliRunner, home: Path, arguments: tuple[str, ...], provider: str
) -> None:
    result = cli(*arguments, input="")
    line = assert_one_error_line(result, 2)
    assert KEY not in outputs(result) and KEY.lower() not in outputs(result)
    assert "never takes a secret as an argument" in line
    assert PIPE_HINT.format(provider=provider) in line
    assert not home.exists(), "nothing is stored: not even a store was made"


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (("auth", "token", "openai", f"--account={KEY}"), 2),
        (("auth", "switch", "openai", KEY), 2),
        (("run", "hello", "--provider", KEY), 2),
        ((KEY,), 2),
        (("auth", "export", "--format", KEY), 2),
        (("auth", "import", KEY), 1),  # a path: exit 1, and the path is not shown either
    ],
    ids=["account", "switch", "run-provider", "command", "format", "import-path"],
)
def test_no_message_of_any_command_quotes_an_argument_that_looks_like_a_key(
    cli: CliRunner, home: Path, arguments: tuple[str, ...], code: int
) -> None:
    store_key(cli, "openai", OLD_KEY)
    result = cli(*arguments)
    line = assert_one_error_line(result, code)
    assert KEY not in outputs(result)
    if code == 2:
        assert PIPE_HINT.format(provider="PROVIDER") in line
    assert stored_token(cli, "openai") == OLD_KEY


# -- Ctrl-D at any prompt: "no input", exit 1, nothing changed --------------------------------


def _at_the_key_prompt(spawn: Spawner) -> object:
    session = spawn("auth", "login", "openai")
    session.expect_hidden_prompt("OpenAI")
    return session


def _at_the_code_prompt(spawn: Spawner) -> object:
    session = spawn("auth", "login", "anthropic", "--method", "claude-max", "--no-browser")
    # The pasted code is a secret: hidden, and the prompt says so.
    session.expect("Paste the code shown after you authorize (CODE#STATE, input hidden): ")
    assert not session.child.getecho()
    return session


def _at_the_provider_id_prompt(spawn: Spawner) -> object:
    session = spawn("auth", "login")
    session.expect("4. Another provider (enter its id)")
    session.wait_for_raw_mode()
    session.child.send("4")
    session.expect("? Provider id (")
    return session


def _at_the_confirmation(spawn: Spawner) -> object:
    session = spawn("auth", "logout", "openai")
    session.expect("? Remove openai:default? [y/N] ")
    return session


def _at_the_list(spawn: Spawner) -> object:
    session = spawn("auth", "login")
    session.expect("4. Another provider (enter its id)")
    session.wait_for_raw_mode()
    return session


@pytest.mark.parametrize(
    "reach",
    [_at_the_key_prompt, _at_the_code_prompt, _at_the_provider_id_prompt, _at_the_confirmation, _at_the_list],
    ids=["api-key", "code-state", "provider-id", "confirmation", "selection-list"],
)
def test_ctrl_d_at_any_prompt_is_no_input_and_changes_nothing(
    spawn: Spawner, cli: CliRunner, reach: object
) -> None:
    store_key(cli, "openai", OLD_KEY)
    before = listed(cli)
    session = reach(spawn)  # type: ignore[operator]
    session.child.sendcontrol("d")
    assert session.finish() == 1, session.output()
    assert "Traceback" not in session.output() and "internal error" not in session.output()
    errors = [line for line in session.output().splitlines() if "code-mesh: error:" in line]
    assert len(errors) == 1 and "code-mesh: error: No input" in errors[0], session.output()
    assert listed(cli) == before
    assert stored_token(cli, "openai") == OLD_KEY


# -- doctor ------------------------------------------------------------------------------------


def _doctor_levels(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {check["check"]: check["level"] for check in json.loads(result.stdout)["checks"]}


def test_doctor_reports_a_config_that_the_other_commands_refuse(cli: CliRunner, home: Path) -> None:
    store_key(cli, "openai", OLD_KEY)
    write_config(home, "[providers.my-idp]\nauthorize_url = 42\n")
    listing = cli("auth", "list")
    refused = assert_one_error_line(listing, 1)
    doctor = cli("auth", "doctor")
    assert doctor.returncode == 1
    (line,) = [line for line in doctor.stdout.splitlines() if line.split()[1:2] == ["config"]]
    assert line.startswith("problem config")
    assert str(home / "config.toml") in line and "line 2" in line and "line 2" in refused


def _files(home: Path) -> dict[str, tuple[int, bytes]]:
    """Each file of the home (its lock files aside) with its mode and content."""
    return {
        path.name: (stat.S_IMODE(path.stat().st_mode), path.read_bytes())
        for path in home.iterdir()
        if path.is_file()
    }


def test_doctor_only_looks_so_its_advice_is_never_already_carried_out(cli: CliRunner, home: Path) -> None:
    store_key(cli, "openai", OLD_KEY)
    (home / "auth.db").chmod(0o644)
    before = _files(home)
    for _ in range(2):  # the second run finds what the first did: nothing fixed behind its back
        doctor = cli("auth", "doctor")
        assert doctor.returncode == 1 and doctor.stderr == ""
        (line,) = [line for line in doctor.stdout.splitlines() if " permissions " in line]
        assert line.startswith(f"problem permissions  open to other users: {home / 'auth.db'} is 0644 → ")
        assert "chmod 600" in line
    assert _files(home) == before


def test_doctor_without_a_store_says_so_and_creates_nothing(cli: CliRunner, home: Path) -> None:
    doctor = cli("auth", "doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout
    levels = _doctor_levels(doctor)
    assert levels["store"] == "warning" and "key" not in levels and "integrity" not in levels
    text = cli("auth", "doctor").stdout
    assert f"warning store        no store at {home / 'auth.db'} yet" in text
    assert not home.exists()
    write_config(home, '[providers.my-idp]\nname = "My IdP"\n')
    assert cli("auth", "doctor").returncode == 0
    assert sorted(path.name for path in home.iterdir()) == ["config.toml"]


def test_doctor_neither_migrates_an_older_store_nor_claims_a_key_before_there_is_one(
    cli: CliRunner, home: Path
) -> None:
    store_key(cli, "openai", OLD_KEY)
    assert cli("auth", "logout", "--all", "--yes").returncode == 0
    empty = cli("auth", "doctor")
    assert empty.returncode == 0
    assert "ok      key          no key yet: the first credential stored makes one" in empty.stdout
    connection = sqlite3.connect(home / "auth.db")
    connection.execute("UPDATE alembic_version SET version_num = '0002'")
    connection.commit()
    connection.close()
    older = cli("auth", "doctor")
    assert older.returncode == 0, older.stdout
    assert "warning schema       schema revision 0002, older than" in older.stdout
    connection = sqlite3.connect(home / "auth.db")
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002",)
    connection.close()


# -- first use never takes over code-mesh's own export ---------------------------------------


def test_deleting_auth_db_does_not_bring_back_the_last_export(cli: CliRunner, home: Path) -> None:
    store_key(cli, "openai", OLD_KEY)
    assert cli("auth", "export").returncode == 0
    exported = (home / "auth.json").read_text()
    assert json.loads(exported)["written_by"].startswith("code-mesh ")
    for name in ("auth.db", "auth.db-wal", "auth.db-shm"):
        (home / name).unlink(missing_ok=True)
    listing = cli("auth", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    assert [row for row in json.loads(listing.stdout)["credentials"] if row["source"] == "store"] == []
    (line,) = listing.stderr.splitlines()
    assert line.startswith(f"Left {home / 'auth.json'} alone: code-mesh's own `auth export` wrote it")
    assert (home / "auth.json").read_text() == exported
    assert cli("auth", "import").returncode == 0  # the way back is one command
    assert stored_token(cli, "openai") == OLD_KEY


@pytest.mark.parametrize("layout", ["code-mesh", "opencode"])
def test_every_importer_ignores_the_mark(cli: CliRunner, home: Path, layout: str) -> None:
    store_key(cli, "openai", OLD_KEY)
    exported = cli("auth", "export", "--format", layout, "--output", "-")
    assert json.loads(exported.stdout)["written_by"].startswith("code-mesh ")
    assert cli("auth", "logout", "--all", "--yes").returncode == 0
    for chosen in ("auto", layout):
        imported = cli("auth", "import", "-", "--format", chosen, input=exported.stdout)
        assert imported.returncode == 0, imported.stderr
        assert f"Imported 1 credential from standard input ({layout} format" in imported.stdout
    assert stored_token(cli, "openai") == OLD_KEY


# -- pickers, and "did you mean" --------------------------------------------------------------


def test_logout_without_arguments_at_a_terminal_offers_the_stored_credentials(
    spawn: Spawner, cli: CliRunner
) -> None:
    store_key(cli, "anthropic", "sk-ant-everyday")
    store_key(cli, "openai", OLD_KEY)
    session = spawn("auth", "logout")
    session.expect("? Which credential should be removed? (arrows or a number, Enter to confirm)")
    session.expect("1. anthropic:default  active")
    session.expect("2. openai:default     active")
    session.wait_for_raw_mode()
    session.child.send("2")
    session.expect("? Which credential should be removed? openai:default")
    session.expect("? Remove openai:default? [y/N] ")
    session.child.sendline("y")
    assert session.finish() == 0, session.output()
    assert "Logged out of openai (account default)." in session.output()
    assert stored_token(cli, "openai") is None and stored_token(cli, "anthropic") == "sk-ant-everyday"


def test_switch_without_arguments_at_a_terminal_offers_the_stored_accounts(
    spawn: Spawner, cli: CliRunner
) -> None:
    store_key(cli, "openai", OLD_KEY)
    assert cli("auth", "login", "openai", "--account", "work", "--with-key", input="sk-work").returncode == 0
    session = spawn("auth", "switch")
    session.expect("1. openai:work     active")
    session.expect("2. openai:default")
    session.wait_for_raw_mode()
    session.child.send("2")
    assert session.finish() == 0, session.output()
    assert "openai: account default is active now." in session.output()
    assert stored_token(cli, "openai") == OLD_KEY


@pytest.mark.parametrize(
    "arguments",
    [("auth", "logout"), ("auth", "switch"), ("auth", "switch", "openai")],
    ids=["logout", "switch", "switch-provider-only"],
)
def test_without_a_terminal_missing_arguments_stay_usage_errors(
    cli: CliRunner, arguments: tuple[str, ...]
) -> None:
    store_key(cli, "openai", OLD_KEY)
    assert_one_error_line(cli(*arguments), 2)
    assert stored_token(cli, "openai") == OLD_KEY


@pytest.mark.parametrize(
    ("arguments", "code", "meant"),
    [
        (("auth", "token", "OpenAI"), 2, "openai"),  # case: not a valid id
        (("auth", "token", "opnai"), 1, "openai"),  # a valid id, nothing stored
        (("auth", "token", "openai", "--account", "Work"), 2, "work"),
        (("auth", "token", "openai", "--account", "wrok"), 1, "work"),
        (("auth", "switch", "openai", "wrok"), 1, "work"),
        (("auth", "logout", "opanai", "--yes"), 1, "openai"),
        (("run", "hi", "--provider", "Anthropic"), 2, "anthropic"),
    ],
    ids=["case", "typo", "account-case", "account-typo", "switch", "logout", "run"],
)
def test_a_near_miss_gets_did_you_mean_in_its_one_line(
    cli: CliRunner, arguments: tuple[str, ...], code: int, meant: str
) -> None:
    assert cli("auth", "login", "openai", "--account", "work", "--with-key", input=OLD_KEY).returncode == 0
    line = assert_one_error_line(cli(*arguments), code)
    assert f"Did you mean {meant}?" in line


# -- help ----------------------------------------------------------------------------------------


def _flat(text: str) -> str:
    """Help text without its panel frames and line wraps."""
    return " ".join(text.replace("│", " ").split())


def test_login_help_lists_each_providers_methods(cli: CliRunner) -> None:
    text = _flat(cli("auth", "login", "--help").stdout)
    catalog = Settings(catalog=CatalogFiles())
    for profile in (catalog.provider(p) for p in catalog.catalog_ids()):
        assert f"{profile.id}: {', '.join(profile.methods)}" in text or (
            f"{profile.id}," in text and f": {', '.join(profile.methods)}" in text
        ), profile.id
    assert "a provider of your own (config.toml): oauth, device, api-key" in text


COMMAND_PATHS = [
    ("auth", "login"), ("auth", "list"), ("auth", "logout"), ("auth", "token"), ("auth", "refresh"),
    ("auth", "switch"), ("auth", "export"), ("auth", "import"), ("auth", "doctor"), ("auth", "key", "rotate"),
    ("run",), ("completion",),
]  # fmt: skip
SCRIPTED = {("auth", "login"), ("auth", "token"), ("run",), ("auth", "export"), ("auth", "import")}


def test_help_names_arguments_shows_examples_and_debug(cli: CliRunner) -> None:
    top = cli("--help")
    assert top.returncode == 0 and "--debug" in top.stdout and "has examples" in top.stdout
    for path in COMMAND_PATHS:
        result = cli(*path, "--help")
        assert result.returncode == 0, path
        usage = result.stdout.splitlines()[0]
        assert usage.startswith(f"Usage: code-mesh {' '.join(path)}") and "[ARGS]" not in usage, usage
        if path in SCRIPTED:
            examples = result.stdout.split("Examples:", 1)[1]
            assert f"code-mesh {' '.join(path)} " in examples, path
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, path
    login = cli("auth", "login", "--help").stdout.splitlines()[0]
    assert login == "Usage: code-mesh auth login [OPTIONS] [PROVIDER]"


# -- shell completion ---------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_the_commands(cli: CliRunner, shell: str) -> None:
    result = cli("completion", shell)
    assert result.returncode == 0 and result.stderr == ""
    for command in ("auth", "login", "logout", "list", "token", "switch", "export", "import", "run"):
        assert re.search(rf"\b{command}\b", result.stdout), (shell, command)


def test_completion_of_an_unknown_shell_is_a_usage_error(cli: CliRunner) -> None:
    assert_one_error_line(cli("completion", "powershell"), 2)


def _bash_completes(home: Path, script: str, *words: str) -> list[str]:
    """What bash offers after `words` (the last being completed), with the script sourced."""
    command = (
        'source <(cat "$SCRIPT"); COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); '
        'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _code_mesh; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    environment = clean_environment(home, {"SCRIPT": script})
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "-c", command, "bash", *words],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_bash_completes_commands_provider_ids_and_methods(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    script = tmp_path / "code-mesh.bash"
    script.write_text(cli("completion", "bash").stdout)
    offered = _bash_completes(home, str(script), "code-mesh", "auth", "l")
    assert {"list", "login", "logout"} <= set(offered), offered
    assert "token" not in offered
    write_config(home, '[providers.my-idp]\nname = "My IdP"\n')
    providers = _bash_completes(home, str(script), "code-mesh", "auth", "token", "")
    assert {"openai", "anthropic", "github-copilot", "my-idp"} <= set(providers), providers
    methods = _bash_completes(home, str(script), "code-mesh", "auth", "login", "--method", "")
    assert {"claude-max", "console", "api-key", "device", "oauth"} <= set(methods), methods


# -- the small things ---------------------------------------------------------------------------


def test_login_warns_when_an_environment_variable_will_be_used_instead(cli: CliRunner) -> None:
    shadowed = cli("auth", "login", "openai", "--with-key", input=OLD_KEY, env={"OPENAI_API_KEY": "sk-env-1"})
    assert shadowed.returncode == 0
    warnings = [line for line in shadowed.stderr.splitlines() if line.startswith("code-mesh: warning:")]
    assert warnings == [
        "code-mesh: warning: OPENAI_API_KEY is set, so it is used instead of what was just stored "
        "(except with --account); unset OPENAI_API_KEY to use the stored credential"
    ]
    assert OLD_KEY not in outputs(shadowed) and "sk-env-1" not in outputs(shadowed)
    assert stored_token(cli, "openai") == OLD_KEY
    quiet = cli("auth", "login", "openai", "--with-key", input=OLD_KEY)
    assert "warning" not in quiet.stderr


def test_counts_are_said_in_words(cli: CliRunner) -> None:
    one = json.dumps({"credentials": {"openai": {"type": "api_key", "key": OLD_KEY}}})
    assert "(1 entry in standard input" in cli("auth", "import", "-", "--dry-run", input=one).stdout
    assert "Imported 1 credential from standard input" in cli("auth", "import", "-", input=one).stdout
    assert "Exported 1 credential to" in cli("auth", "export").stderr
    two = json.dumps(
        {"credentials": {"a": {"type": "api_key", "key": "k1"}, "b": {"type": "api_key", "key": "k2"}}}
    )
    assert "(2 entries in standard input" in cli("auth", "import", "-", "--dry-run", input=two).stdout
    assert "Imported 2 credentials from" in cli("auth", "import", "-", input=two).stdout
    assert "(s)" not in cli("auth", "key", "rotate").stdout


@pytest.mark.parametrize(
    "document", ["", "  \n", "{}", '{"credentials": {}}'], ids=["empty", "blank", "{}", "none"]
)
def test_importing_nothing_says_so_without_a_check_mark(cli: CliRunner, document: str) -> None:
    store_key(cli, "openai", OLD_KEY)
    before = listed(cli)
    result = cli("auth", "import", "-", input=document)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Nothing to import: standard input ") and "✓" not in result.stdout
    assert listed(cli) == before


def test_an_empty_export_comes_back_as_nothing(cli: CliRunner, home: Path) -> None:
    store_key(cli, "openai", OLD_KEY)
    assert cli("auth", "logout", "--all", "--yes").returncode == 0
    exported = cli("auth", "export", "--output", "-")
    assert exported.returncode == 0 and json.loads(exported.stdout)["credentials"] == {}
    back = cli("auth", "import", "-", input=exported.stdout)
    assert back.returncode == 0 and back.stdout.startswith("Nothing to import: ")


def test_the_choice_replaces_the_list_on_screen(spawn: Spawner, cli: CliRunner) -> None:
    session = spawn("auth", "login")
    session.expect("4. Another provider (enter its id)")
    session.wait_for_raw_mode()
    session.child.send("2")
    session.expect_hidden_prompt("OpenAI")
    session.child.sendline(OLD_KEY)
    assert session.finish() == 0, session.output()
    screen = session.output()
    erased = screen.rindex("\x1b[5A\r\x1b[J")  # the title and four options, gone
    after = screen[erased:]
    assert after.count("? Select a provider: OpenAI") == 1 and "2. OpenAI" not in after
    assert screen.count("? Select a provider: OpenAI") == 1
    assert "(Claude) (anthropic)" not in screen and ") (" not in screen
    assert OLD_KEY not in screen and HIDDEN_PROMPT in screen
    assert stored_token(cli, "openai") == OLD_KEY


def test_auth_list_fits_80_columns(cli: CliRunner, home: Path) -> None:
    write_config(home, '[providers.my-idp]\nname = "My Identity Provider"\n')
    soon = int(time.time()) + 3599
    document = {
        "credentials": {
            "github-copilot": {
                "type": "oauth",
                "access_token": "at",
                "refresh_token": "rt",
                "expires_at": soon,
            },
            "openai": {"type": "api_key", "key": OLD_KEY},
            "openai:work": {"type": "api_key", "key": "sk-2"},
        }
    }
    assert cli("auth", "import", "-", input=json.dumps(document)).returncode == 0
    for env in ({}, {"ANTHROPIC_API_KEY": "sk-env-a", "OPENAI_API_KEY": "sk-env-o"}):
        listing = cli("auth", "list", env=env)
        assert listing.returncode == 0
        table = listing.stdout.split("\n\n", 1)[0].splitlines()
        assert len(table) >= 6 and table[0].startswith("PROVIDER")
        assert max(len(line) for line in table) <= 80, "\n".join(table)
        assert "github-copilot" in listing.stdout and "59m" in listing.stdout


def test_an_extra_argument_or_unknown_option_is_said_in_plain_words(cli: CliRunner) -> None:
    """cyclopts' own jargon (`Unused Tokens: ['extra']`, an unknown "command" `--bogus`) is said as
    what it is: an argument the command does not take, an option it does not have."""
    extra = cli("auth", "list", "extra")
    assert extra.returncode == 2
    assert extra.stderr.strip() == (
        "code-mesh: error: `code-mesh auth list` takes no argument 'extra' here (see `code-mesh --help`)"
    )
    bogus = cli("--bogus")
    assert bogus.returncode == 2
    assert "`code-mesh` has no option --bogus" in bogus.stderr and "command" not in bogus.stderr
    key = cli("auth", "list", "sk-test-123")
    assert key.returncode == 2 and "sk-test-123" not in key.stderr + key.stdout
