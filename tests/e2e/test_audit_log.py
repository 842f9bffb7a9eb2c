"""The audit log (SPEC section 13): one row per action, in the action's transaction, never a secret.

On a team store reads are recorded by default and the server fills `at` and `db_user`; on
SQLite only changes are recorded, and reads too with `[audit] reads = true`.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from pathlib import Path

import pytest
from e2e.test_team_store import team_env

from anthropic_login import configure_anthropic, log_in_to_anthropic
from cli_process import write_config
from conftest import CliRunner
from postgres_server import ADMIN, Cluster
from servers.fake_anthropic import FakeAnthropic
from unprivileged import NOBODY, run_unprivileged, unprivileged_home

PASSPHRASE = "audit passphrase 7f3e"
DB_PASSWORD = "db-password-audit-41c2"
OPENAI_KEY = "sk-audit-openai-9a0b1c"
IMPORTED_KEY = "sk-audit-imported-2d3e4f"


@pytest.fixture
def cli(run: CliRunner) -> CliRunner:
    """Each command in a fresh real process forked by the shared launcher (conftest's `run`)."""
    return run


def test_every_action_is_one_row_newest_first_and_no_row_holds_a_secret(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    database = postgres.database()
    env = team_env(postgres.url(database, password=DB_PASSWORD), passphrase=PASSPHRASE)
    fake = FakeAnthropic(revoke_family_on_reuse=False)
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert cli("store", "migrate", env=env).returncode == 0
        assert log_in_to_anthropic(home, fake, env=env).finish() == 0
        assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=env).returncode == 0
        document = {
            "credentials": {
                "openai:work": {"type": "api_key", "key": IMPORTED_KEY},
                "xai": {"type": "api_key", "key": "xai-audit-5e6f"},
            }
        }
        assert cli("auth", "import", "-", input=json.dumps(document), env=env).returncode == 0
        assert cli("auth", "switch", "openai", "default", env=env).returncode == 0
        assert cli("auth", "token", "openai", env=env).stdout == OPENAI_KEY + "\n"
        assert cli("auth", "export", "--output", "-", env=env).returncode == 0
        assert cli("auth", "refresh", "anthropic", env=env).returncode == 0
        fake.fail_next("500")
        assert cli("auth", "refresh", "anthropic", env=env).returncode == 1
        fake.fail_next("invalid_grant")
        assert cli("auth", "refresh", "anthropic", env=env).returncode == 1
        assert cli("auth", "logout", "xai", "--yes", env=env).returncode == 0
        rotated = cli(
            "auth", "key", "rotate", "--new-passphrase-stdin", input="next audit passphrase\n", env=env
        )
        assert rotated.returncode == 0, rotated.stderr
    env = team_env(postgres.url(database, password=DB_PASSWORD), passphrase="next audit passphrase")
    listed = cli("auth", "log", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["action"], r["provider"], r["account"], r["outcome"]) for r in rows] == [
        ("key-rotate", None, None, "ok"),
        ("logout", "xai", "default", "ok"),
        ("refresh", "anthropic", "default", "refused"),
        ("refresh", "anthropic", "default", "failed"),
        ("refresh", "anthropic", "default", "ok"),
        ("export", None, None, "ok"),
        ("read", "openai", "default", "ok"),
        ("switch", "openai", "default", "ok"),
        ("import", "xai", "default", "ok"),
        ("import", "openai", "work", "ok"),
        ("login", "openai", "default", "ok"),
        ("login", "anthropic", "default", "ok"),
    ]
    assert set(rows[0]) == {"at", "os_user", "host", "db_user", "action", "provider", "account", "outcome"}
    assert {(r["os_user"], r["db_user"]) for r in rows} == {(getpass.getuser(), ADMIN)}
    assert [r["at"] for r in rows] == sorted((r["at"] for r in rows), reverse=True)

    human = cli("auth", "log", "--limit", "3", env=env).stdout.splitlines()
    assert human[0].split() == [
        "TIME",
        "(UTC)",
        "ACTION",
        "CREDENTIAL",
        "OUTCOME",
        "OS",
        "USER*",
        "HOST*",
        "DB",
        "USER",
    ]
    assert [line.split()[2:5] for line in human[1:4]] == [
        ["key-rotate", "-", "ok"],
        ["logout", "xai:default", "ok"],
        ["refresh", "anthropic:default", "refused"],
    ]
    assert getpass.getuser() in human[1] and human[-1].startswith(
        "* OS user and host are what each client reported"
    )
    anthropic_only = json.loads(
        cli("auth", "log", "--json", "--provider", "anthropic", "--since", "30m", env=env).stdout
    )
    assert [r["action"] for r in anthropic_only] == ["refresh", "refresh", "refresh", "login"]
    assert (
        json.loads(cli("auth", "log", "--json", "--since", "7d", "--limit", "2", env=env).stdout) == rows[:2]
    )
    bad = cli("auth", "log", "--since", "a week", env=env)
    assert bad.returncode == 2 and "30m, 12h or 7d" in bad.stderr

    secrets = [PASSPHRASE, "next audit passphrase", DB_PASSWORD, OPENAI_KEY, IMPORTED_KEY, "xai-audit-5e6f"]
    secrets += [grant[field] for grant in fake.issued for field in ("access_token", "refresh_token")]
    everything = json.dumps(postgres.run(database, "SELECT * FROM audit_log"), default=str)
    assert [secret for secret in secrets if secret in everything] == []
    assert "--with-key" not in everything and "auth " not in everything, "never a command line"


def test_sqlite_records_changes_and_reads_only_when_asked(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
    assert cli("auth", "token", "openai").stdout == OPENAI_KEY + "\n"
    rows = json.loads(cli("auth", "log", "--json").stdout)
    assert [(r["action"], r["provider"], r["db_user"]) for r in rows] == [("login", "openai", None)]
    write_config(home, "[audit]\nreads = true\n")
    assert cli("auth", "token", "openai").stdout == OPENAI_KEY + "\n"
    assert [r["action"] for r in json.loads(cli("auth", "log", "--json").stdout)] == ["read", "login"]
    connection = sqlite3.connect(home / "auth.db")
    try:
        everything = json.dumps(connection.execute("SELECT * FROM audit_log").fetchall())
    finally:
        connection.close()
    assert OPENAI_KEY not in everything


def test_a_read_only_home_still_hands_out_the_token_with_one_warning() -> None:
    with unprivileged_home() as home:
        assert (
            run_unprivileged(home, "auth", "login", "openai", "--with-key", input=OPENAI_KEY).returncode == 0
        )
        write_config(home, "[audit]\nreads = true\n")
        if os.getuid() == 0:
            os.chown(home / "config.toml", NOBODY, NOBODY)
        for path in home.rglob("*"):
            path.chmod(0o500 if path.is_dir() else 0o400)
        home.chmod(0o500)
        token = run_unprivileged(home, "auth", "token", "openai")
        assert (token.returncode, token.stdout) == (0, OPENAI_KEY + "\n"), token.stderr
        lines = token.stderr.splitlines()
        assert (
            len(lines) == 1 and "was not recorded in the audit log" in lines[0] and OPENAI_KEY not in lines[0]
        )
