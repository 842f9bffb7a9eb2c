"""The team store (SPEC section 13) through the installed CLI, on a real PostgreSQL database.

Each test makes its own database (and roles) and drops it at the end; homes are separate
directories, as separate machines would have, sharing only the database.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli_checks import assert_one_error_line
from code_mesh.adapters.crypto.key_list import format_key_list, key_id
from conftest import CliRunner
from postgres_server import ADMIN, HOST, PORT, Cluster

OPENAI_KEY = "sk-team-openai-3c1f9e"
CUSTOM_KEY = "ck-team-custom-8d2a71"
DB_PASSWORD = "db-password-team-6a2f"


def team_env(url: str, key_file: Path | None = None, passphrase: str | None = None) -> dict[str, str]:
    env = {"CODE_MESH_DATABASE_URL": url}
    if key_file is not None:
        env["CODE_MESH_KEY_FILE"] = str(key_file)
    if passphrase is not None:
        env["CODE_MESH_PASSPHRASE"] = passphrase
    return env


def every_value(postgres: Cluster, database: str) -> str:
    """Every value of every column of every table, as text: what a backup of the database holds."""
    tables = [
        row[0]
        for row in postgres.run(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    return json.dumps(
        {table: postgres.run(database, f'SELECT * FROM "{table}"') for table in tables}, default=str
    )


@pytest.fixture
def database(postgres: Cluster) -> str:
    return postgres.database()


@pytest.fixture
def cli(run: CliRunner) -> CliRunner:
    """Each command in a fresh real process forked by the shared launcher (conftest's `run`)."""
    return run


def test_scenario_on_a_team_store(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster, database: str
) -> None:
    """Migrate, log in, list, token, export, import, logout: two homes (two machines) share it all."""
    key_file = tmp_path / "team.key"
    env = team_env(postgres.url(database, password=DB_PASSWORD), key_file)
    before = cli("auth", "list", env=env)
    line = assert_one_error_line(before, 1)
    assert "has no code-mesh schema yet" in line and "code-mesh store migrate" in line

    migrated = cli("store", "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "from an empty database to schema" in migrated.stdout
    assert "Made the team key file" in migrated.stderr and "Share it" in migrated.stderr
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert cli("store", "migrate", env=env).stdout.strip().endswith("is up to date (schema 0003).")

    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=env).returncode == 0
    assert cli("auth", "login", "my-llm", "--with-key", input=CUSTOM_KEY, env=env).returncode == 0
    document = json.loads(cli("auth", "list", "--json", env=env).stdout)
    expected_location = f"postgresql://{ADMIN}@{HOST}:{PORT}/{database}"
    assert document["store"] == expected_location
    assert document["protection"] == f"AES-256-GCM, team key file {key_file}"
    assert {(r["provider"], r["account"], r["status"]) for r in document["credentials"] if r["account"]} == {
        ("openai", "default", "authenticated"),
        ("my-llm", "default", "authenticated"),
    }
    human = cli("auth", "list", env=env).stdout
    assert f"Store: {expected_location}\n" in human
    doctor = cli("auth", "doctor", env=env)
    assert doctor.returncode == 0, doctor.stdout
    assert (
        "schema revision 0003 (current)" in doctor.stdout and "every stored secret decrypts" in doctor.stdout
    )
    debug = [
        cli("--debug", *arguments, env=env) for arguments in (("auth", "list"), ("auth", "token", "openai"))
    ]
    assert all(DB_PASSWORD not in result.stdout + result.stderr for result in debug)
    assert f"BEGIN read on {expected_location}" in debug[1].stderr

    # A second machine: its own home (with a SQLite store of its own that must not answer).
    other_home = tmp_path / "other-machine"
    assert (
        cli(
            "auth", "login", "openai", "--with-key", input="sk-local-only", home_override=other_home
        ).returncode
        == 0
    )
    token = cli("auth", "token", "openai", env=env, home_override=other_home)
    assert (token.returncode, token.stdout, token.stderr) == (0, OPENAI_KEY + "\n", "")
    (other_home / "config.toml").write_text(f'[store]\nurl = "{postgres.url(database)}"\n')
    from_config = cli(
        "auth", "token", "my-llm", env={"CODE_MESH_KEY_FILE": str(key_file)}, home_override=other_home
    )
    assert (from_config.returncode, from_config.stdout) == (0, CUSTOM_KEY + "\n"), from_config.stderr
    assert (
        cli(
            "auth",
            "login",
            "openai",
            "--account",
            "work",
            "--with-key",
            input="sk-work",
            env=env,
            home_override=other_home,
        ).returncode
        == 0
    )
    assert cli("auth", "token", "openai", env=env).stdout == "sk-work\n", (
        "a login on one machine is active on all"
    )
    assert cli("auth", "switch", "openai", "default", env=env, home_override=other_home).returncode == 0
    assert cli("auth", "token", "openai", env=env).stdout == OPENAI_KEY + "\n"

    exported = cli("auth", "export", "--output", "-", env=env)
    assert exported.returncode == 0, exported.stderr
    second_database = postgres.database()
    second = team_env(postgres.url(second_database), key_file)
    assert cli("store", "migrate", env=second).returncode == 0
    assert cli("auth", "import", "-", input=exported.stdout, env=second).returncode == 0
    again = cli("auth", "export", "--output", "-", env=second)
    assert json.loads(again.stdout) == json.loads(exported.stdout)

    assert cli("auth", "logout", "my-llm", "--yes", env=env).returncode == 0
    gone = cli("auth", "token", "my-llm", env=env, home_override=other_home)
    assert gone.returncode == 1 and "code-mesh auth login my-llm" in gone.stderr

    stored = every_value(postgres, database) + every_value(postgres, second_database)
    for secret in (OPENAI_KEY, CUSTOM_KEY, "sk-work", DB_PASSWORD):
        assert secret not in stored, "a secret in the clear in the database"
    assert "cm1:" in stored


def test_a_team_store_needs_the_team_key_and_refuses_a_wrong_one(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster, database: str
) -> None:
    url = postgres.url(database)
    no_key = cli("store", "migrate", env=team_env(url))
    assert "neither CODE_MESH_PASSPHRASE nor CODE_MESH_KEY_FILE is set" in assert_one_error_line(no_key, 1)
    assert postgres.run(database, "SELECT to_regclass('alembic_version')") == [(None,)]

    env = team_env(url, passphrase="the team's passphrase")
    assert cli("store", "migrate", env=env).returncode == 0
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=env).returncode == 0
    rows_before = postgres.run(database, "SELECT * FROM credentials")
    meta_before = postgres.run(database, "SELECT * FROM store_meta ORDER BY name")
    assert {name for name, _ in meta_before} == {"key_id", "passphrase_salts", "protection"}

    wrong = team_env(url, passphrase="a mistyped passphrase")
    for arguments, stdin in (
        (("auth", "login", "openai", "--with-key"), "sk-other"),
        (("auth", "token", "openai"), ""),
    ):
        result = cli(*arguments, input=stdin, env=wrong)
        line = assert_one_error_line(result, 1)
        assert "does not match" in line and "logout --all" not in line, line
    both = cli("auth", "list", env={**env, "CODE_MESH_KEY_FILE": str(tmp_path / "k")})
    assert "Unset one of them" in assert_one_error_line(both, 1)
    key_file_instead = cli("auth", "token", "openai", env=team_env(url, tmp_path / "some.key"))
    assert "CODE_MESH_PASSPHRASE is not set" in assert_one_error_line(key_file_instead, 1)
    assert not (tmp_path / "some.key").exists(), "no key file is made for a store that has its key"
    assert postgres.run(database, "SELECT * FROM credentials") == rows_before
    assert postgres.run(database, "SELECT * FROM store_meta ORDER BY name") == meta_before


def test_a_key_file_may_be_a_read_only_symlink_but_not_writable_by_others(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster, database: str
) -> None:
    key_file = tmp_path / "made-here.key"
    env = team_env(postgres.url(database), key_file)
    assert cli("store", "migrate", env=env).returncode == 0
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=env).returncode == 0
    mount = tmp_path / "secrets" / "..data"
    mount.mkdir(parents=True)
    (mount / "team.key").write_text(key_file.read_text())
    (mount / "team.key").chmod(0o444)
    (tmp_path / "secrets" / "team.key").symlink_to(mount / "team.key")
    mounted = team_env(postgres.url(database), tmp_path / "secrets" / "team.key")
    assert cli("auth", "token", "openai", env=mounted).stdout == OPENAI_KEY + "\n"
    (mount / "team.key").chmod(0o666)
    line = assert_one_error_line(cli("auth", "token", "openai", env=mounted), 1)
    assert "can be written by group or others (mode 0666)" in line and "chmod go-w" in line
    other = tmp_path / "another.key"
    other.write_text(format_key_list([(key_id(b"\x02" * 32), b"\x02" * 32)]))
    other.chmod(0o600)
    replaced = assert_one_error_line(
        cli("auth", "token", "openai", env=team_env(postgres.url(database), other)), 1
    )
    assert "does not hold key" in replaced and "ask whoever keeps the team's key" in replaced
    assert "logout --all" not in replaced


def test_removing_another_members_credential_needs_the_team_key(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    alice, bob = postgres.role(), postgres.role()
    database = postgres.database(owner=alice)
    key_file = tmp_path / "team.key"
    as_alice = team_env(postgres.url(database, alice), key_file)
    assert cli("store", "migrate", env=as_alice).returncode == 0
    postgres.run(
        database, f'GRANT SELECT, INSERT, UPDATE, DELETE ON credentials, store_meta TO "{bob}"', user=alice
    )
    postgres.run(database, f'GRANT SELECT ON alembic_version, audit_log TO "{bob}"', user=alice)
    postgres.run(
        database,
        f'GRANT INSERT (os_user, host, action, provider, account, outcome) ON audit_log TO "{bob}"',
        user=alice,
    )
    postgres.run(database, f'GRANT USAGE ON SEQUENCE audit_log_id_seq TO "{bob}"', user=alice)
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=as_alice).returncode == 0
    wrong_key = tmp_path / "not-the-team.key"
    wrong_key.write_text(format_key_list([(key_id(b"\x01" * 32), b"\x01" * 32)]))
    wrong_key.chmod(0o600)
    as_bob_without_key = team_env(postgres.url(database, bob), wrong_key)
    assert (
        cli(
            "auth",
            "login",
            "my-llm",
            "--with-key",
            input="sk-bob",
            env=team_env(postgres.url(database, bob), key_file),
        ).returncode
        == 0
    )
    refused = cli("auth", "logout", "openai", "--yes", env=as_bob_without_key)
    line = assert_one_error_line(refused, 1)
    assert "needs the team key, since another member logged it in" in line and "logout --all" not in line
    assert postgres.run(database, "SELECT provider FROM credentials ORDER BY provider") == [
        ("my-llm",),
        ("openai",),
    ]
    own = cli("auth", "logout", "my-llm", "--yes", env=as_bob_without_key)
    assert own.returncode == 0, own.stderr
    assert (
        cli(
            "auth", "logout", "openai", "--yes", env=team_env(postgres.url(database, bob), key_file)
        ).returncode
        == 0
    )
    assert postgres.run(database, "SELECT count(*) FROM credentials") == [(0,)]
    assert postgres.run(database, "SELECT count(*) FROM store_meta WHERE name = 'key_id'") == [(1,)], (
        "an emptied team store keeps the team's key"
    )


def test_schema_behind_or_newer_and_sqlite_store_migrate(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster, database: str
) -> None:
    env = team_env(postgres.url(database), tmp_path / "team.key")
    assert cli("store", "migrate", env=env).returncode == 0
    home.mkdir(mode=0o700, exist_ok=True)
    left_by_code_mesh_cli = '{"openai": {"type": "api", "key": "sk-left-behind"}}'
    (home / "auth.json").write_text(left_by_code_mesh_cli)
    listed = cli("auth", "list", "--json", env=env)
    assert [r for r in json.loads(listed.stdout)["credentials"] if r["account"]] == [], "no first-use import"
    assert (home / "auth.json").read_text() == left_by_code_mesh_cli and not (home / "auth.db").exists()
    assert "Took over 1 credential from" in cli("auth", "list").stderr, "as a personal store would"
    postgres.run(database, "UPDATE alembic_version SET version_num = '0002'")
    behind = assert_one_error_line(cli("auth", "list", env=env), 1)
    assert "is at schema 0002, and this code-mesh needs 0003" in behind and "store migrate" in behind
    postgres.run(database, "UPDATE alembic_version SET version_num = '0099'")
    for arguments in (("auth", "list"), ("store", "migrate")):
        newer = assert_one_error_line(cli(*arguments, env=env), 1)
        assert "newer code-mesh (schema 0099" in newer and "knows schema 0099" in newer
    assert postgres.run(database, "SELECT version_num FROM alembic_version") == [("0099",)]
    sqlite = cli("store", "migrate")
    assert sqlite.returncode == 0
    assert (
        sqlite.stdout
        == f"The store {home / 'auth.db'} is up to date (schema 0003); SQLite stores migrate by themselves.\n"
    )


def test_team_key_rotation_to_a_new_passphrase_and_a_new_key_file(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster, database: str
) -> None:
    url = postgres.url(database)
    old = team_env(url, passphrase="old team passphrase")
    assert cli("store", "migrate", env=old).returncode == 0
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=old).returncode == 0
    assert cli("auth", "login", "my-llm", "--with-key", input=CUSTOM_KEY, env=old).returncode == 0
    plain = cli("auth", "key", "rotate", env=old)
    assert "--new-passphrase-stdin or --new-key-file" in assert_one_error_line(plain, 2)
    rotated = cli("auth", "key", "rotate", "--new-passphrase-stdin", input="new team passphrase\n", env=old)
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 2 credential(s) of the team store" in rotated.stdout
    new = team_env(url, passphrase="new team passphrase")
    assert cli("auth", "token", "openai", env=new).stdout == OPENAI_KEY + "\n"
    assert cli("auth", "token", "openai", env=old).returncode == 1, (
        "the old passphrase opens nothing any more"
    )
    assert postgres.run(
        database, "SELECT count(*) FROM store_meta WHERE name = 'passphrase_salts' AND value LIKE '% %'"
    ) == [(0,)]

    key_file = tmp_path / "next-team.key"
    to_file = cli("auth", "key", "rotate", "--new-key-file", str(key_file), env=new)
    assert to_file.returncode == 0, to_file.stderr
    assert f"CODE_MESH_KEY_FILE to {key_file}" in to_file.stdout
    assert cli("auth", "token", "my-llm", env=team_env(url, key_file)).stdout == CUSTOM_KEY + "\n"
    locked = cli("auth", "list", env=new)
    assert "locked" in locked.stdout and "logout --all" not in locked.stdout
    assert dict(postgres.run(database, "SELECT name, value FROM store_meta"))["protection"] == "keyfile"
    on_sqlite = cli("auth", "key", "rotate", "--new-passphrase-stdin", input="x\n")
    assert "are for a team store" in assert_one_error_line(on_sqlite, 2)


def test_the_token_fast_path_hands_over_to_a_team_store(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster, database: str
) -> None:
    """A fresh SQLite token in the home must not answer when a team store is named."""
    from e2e.test_token_path import modules_loaded_by

    assert cli("auth", "login", "openai", "--with-key", input="sk-local").returncode == 0
    env = team_env(postgres.url(database), tmp_path / "team.key")
    assert cli("store", "migrate", env=env).returncode == 0
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY, env=env).returncode == 0
    modules, stdout = modules_loaded_by(home, "auth", "token", "openai", env=env)
    assert stdout == OPENAI_KEY + "\n" and "sqlalchemy" in modules
    modules, stdout = modules_loaded_by(home, "auth", "token", "openai")
    assert stdout == "sk-local\n" and "sqlalchemy" not in modules, (
        "without a URL or config.toml: the fast path"
    )
    assert os.environ.get("CODE_MESH_DATABASE_URL") is None
