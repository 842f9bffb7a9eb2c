"""Many processes on one team store: one refresh across machines, a full server, migrations at
once, a killed import (SPEC sections 8 and 13). Real processes, forked from one launcher."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest
from e2e.test_team_store import team_env

from anthropic_login import configure_anthropic, log_in_to_anthropic
from cli_checks import assert_one_error_line
from code_mesh.adapters.store.advisory_locks import lock_key
from kill_points import kill_during
from launcher import Launcher
from postgres_server import ADMIN, HOST, PORT, Cluster
from servers.fake_anthropic import FakeAnthropic
from storm import Command


def make_due(postgres: Cluster, database: str, seconds_left: int = 60) -> None:
    postgres.run(
        database, "UPDATE credentials SET expires_at = extract(epoch FROM now())::bigint + %s", seconds_left
    )


@pytest.mark.slow
def test_64_processes_over_4_machines_one_refresh(
    launcher: Launcher, tmp_path: Path, postgres: Cluster
) -> None:
    database = postgres.database()
    env = team_env(postgres.url(database), passphrase="storm passphrase")
    homes = [tmp_path / f"machine-{n}" for n in range(4)]
    fake = FakeAnthropic()  # a refresh token used twice revokes the family: everyone would be logged out
    with fake.serve() as base:
        for home in homes:
            configure_anthropic(home, base)
        assert launcher.cli(homes[0], "store", "migrate", env=env).returncode == 0
        assert log_in_to_anthropic(homes[0], fake, env=env).finish() == 0
        make_due(postgres, database)
        commands = [
            Command(("auth", "token", "anthropic"), env={**env, "CODE_MESH_HOME": str(homes[n % 4])})
            for n in range(64)
        ]
        result = launcher.run(commands, homes[0])
    assert result.failures == 0, {e for e in result.errors if e}
    assert fake.refresh_count == 1
    assert set(result.outputs) == {fake.issued[-1]["access_token"] + "\n"}
    rows = postgres.run(database, "SELECT action, outcome, count(*) FROM audit_log GROUP BY 1, 2 ORDER BY 1")
    assert rows == [("login", "ok", 1), ("read", "ok", 64), ("refresh", "ok", 1)]


@pytest.mark.slow
def test_24_processes_queue_through_a_connection_limit_of_8(
    launcher: Launcher, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    member = postgres.role()  # superusers are exempt from a database's CONNECTION LIMIT
    database = postgres.database(owner=member, connection_limit=8)
    env = team_env(postgres.url(database, member), tmp_path / "team.key")
    assert launcher.cli(home, "store", "migrate", env=env).returncode == 0
    assert (
        launcher.cli(home, "auth", "login", "openai", "--with-key", input="sk-queued", env=env).returncode
        == 0
    )
    held = [psycopg.connect(host=HOST, port=PORT, user=member, dbname=database) for _ in range(8)]
    release = threading.Timer(1.5, lambda: [connection.close() for connection in held])
    release.start()
    try:
        result = launcher.run([Command(("--debug", "auth", "token", "openai"), env=env)] * 24, home)
    finally:
        release.cancel()
        for connection in held:
            connection.close()
    assert result.exit_codes == [0] * 24, {e.splitlines()[-1] for e in result.errors if e}
    assert set(result.outputs) == {"sk-queued\n"}
    retried = [e for e in result.errors if "the database server has too many clients" in e]
    assert len(retried) >= 8, "the processes started while the database was full waited for it"
    assert all("connecting again in" in e and "sk-queued" not in e for e in retried)


@pytest.mark.slow
def test_16_members_migrate_an_empty_database_at_once(
    launcher: Launcher, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    database = postgres.database()
    env = team_env(postgres.url(database), tmp_path / "team.key")
    commands = [Command(("store", "migrate"), env=env)] * 16 + [Command(("auth", "list"), env=env)] * 8
    result = launcher.run(commands, home)
    assert result.exit_codes[:16] == [0] * 16, [e for e in result.errors[:16] if e]
    migrated = [out for out in result.outputs[:16] if "from an empty database" in out]
    assert len(migrated) == 1
    assert sum("Recorded the team key" in out for out in result.outputs[:16]) == 1
    assert sum("Made the team key file" in err for err in result.errors[:16]) == 1
    for code, out, err in zip(result.exit_codes[16:], result.outputs[16:], result.errors[16:], strict=True):
        if code:  # before the migration committed: refused in one line, nothing changed
            assert code == 1 and err.count("\n") == 1 and "Run `code-mesh store migrate`" in err, err
        else:
            assert "Store: postgresql://" in out
    assert postgres.run(database, "SELECT version_num FROM alembic_version") == [("0003",)]
    tables = postgres.run(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    assert tables == [("alembic_version",), ("audit_log",), ("credentials",), ("store_meta",)]
    assert postgres.run(database, "SELECT count(*) FROM store_meta WHERE name = 'key_id'") == [(1,)]


@pytest.mark.slow
def test_an_import_killed_at_random_moments_is_all_or_nothing(
    launcher: Launcher, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    database = postgres.database()
    env = team_env(postgres.url(database), tmp_path / "team.key")
    assert launcher.cli(home, "store", "migrate", env=env).returncode == 0
    assert (
        launcher.cli(home, "auth", "login", "openai", "--with-key", input="sk-before", env=env).returncode
        == 0
    )
    document = json.dumps(
        {"credentials": {f"bulk-{n:05d}": {"type": "api_key", "key": f"sk-{n:05d}"} for n in range(10_000)}}
    )

    def reset() -> None:
        postgres.run(database, "DELETE FROM credentials WHERE provider LIKE 'bulk-%'")

    def check(attempt: int) -> str | None:
        ((rows,),) = postgres.run(database, "SELECT count(*) FROM credentials")
        return None if rows in (1, 10_001) else f"{rows} rows, neither all nor none"

    started = time.perf_counter()
    report = kill_during(
        home,
        ("auth", "import", "-"),
        10,
        check,
        stdin=document,
        before_each=reset,
        env=env,
        integrity=lambda: True,
    )
    assert report.problems == [], report
    assert report.killed >= 3, report
    assert time.perf_counter() - started < 120


def test_a_refresh_holds_one_connection_an_advisory_lock_and_no_transaction_meanwhile(
    launcher: Launcher, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    """Seen from the server while the provider is answering the refresh (SPEC section 13)."""
    database = postgres.database()
    env = team_env(postgres.url(database), tmp_path / "team.key")
    seen: list[list[tuple[object, ...]]] = []
    fake = FakeAnthropic()
    fake.after_refresh = lambda: seen.append(
        postgres.run(
            database,
            "SELECT a.state, (SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory')"
            " FROM pg_stat_activity a WHERE a.datname = %s AND a.application_name = 'code-mesh'",
            database,
        )
    )
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert launcher.cli(home, "store", "migrate", env=env).returncode == 0
        assert log_in_to_anthropic(home, fake, env=env).finish() == 0
        make_due(postgres, database)
        token = launcher.cli(home, "auth", "token", "anthropic", env=env)
    assert token.returncode == 0, token.stderr
    assert seen == [[("idle", 1)]], "one connection, holding the credential's lock, in no transaction"


def test_a_refresh_lock_held_elsewhere_is_waited_for_only_as_long_as_one_exchange(
    launcher: Launcher, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    """Another machine holds the credential's advisory lock (a refresh that hangs there)."""
    database = postgres.database()
    env = {**team_env(postgres.url(database), tmp_path / "team.key"), "CODE_MESH_HTTP_TIMEOUT": "1"}
    fake = FakeAnthropic()
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert launcher.cli(home, "store", "migrate", env=env).returncode == 0
        assert log_in_to_anthropic(home, fake, env=env).finish() == 0
        make_due(postgres, database)
        with psycopg.connect(host=HOST, port=PORT, user=ADMIN, dbname=database, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", (lock_key("credential anthropic@default"),))
            started = time.monotonic()
            waited = launcher.cli(home, "auth", "token", "anthropic", env=env)
            seconds = time.monotonic() - started
    line = assert_one_error_line(waited, 1)
    assert "Another code-mesh process has been refreshing the credential for anthropic for over 6 s" in line
    assert 5 <= seconds < 30 and fake.refresh_count == 0
