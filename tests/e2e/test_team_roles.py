"""The read-only member of SPEC section 13, granted exactly what the README's GRANTs say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
from e2e.test_team_store import team_env

from anthropic_login import configure_anthropic, log_in_to_anthropic
from cli_checks import assert_one_error_line
from conftest import CliRunner
from postgres_server import HOST, PORT, Cluster
from servers.fake_anthropic import FakeAnthropic

REPO = Path(__file__).resolve().parents[2]


def readme_grants(role: str) -> list[str]:
    """The README's statements for a read-only member, for `role` (the role itself is made here)."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("-- code-mesh: read-only member\n", 1)[1].split("-- code-mesh: end", 1)[0]
    statements = [" ".join(part.split()) for part in block.split(";") if part.strip()]
    return [re.sub(r"\bci_reader\b", f'"{role}"', s) for s in statements if not s.startswith("CREATE ROLE")]


@pytest.fixture
def cli(run: CliRunner) -> CliRunner:
    """Each command in a fresh real process forked by the shared launcher (conftest's `run`)."""
    return run


def test_a_read_only_member_uses_fresh_tokens_and_never_refreshes(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    owner, reader = postgres.role(), postgres.role()
    database = postgres.database(owner=owner)
    key_file = tmp_path / "team.key"
    writer = team_env(postgres.url(database, owner), key_file)
    ci = team_env(postgres.url(database, reader), key_file)
    fake = FakeAnthropic(expires_in=7200)  # longer than `refresh --all`'s hour
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert cli("store", "migrate", env=writer).returncode == 0
        for statement in readme_grants(reader):
            postgres.run(database, statement, user=owner)
        assert log_in_to_anthropic(home, fake, env=writer).finish() == 0
        assert cli("auth", "login", "openai", "--with-key", input="sk-for-ci", env=writer).returncode == 0
        first = fake.issued[-1]

        assert cli("auth", "token", "anthropic", env=ci).stdout == first["access_token"] + "\n"
        assert cli("auth", "token", "openai", env=ci).stdout == "sk-for-ci\n"
        listed = json.loads(cli("auth", "list", "--json", env=ci).stdout)
        assert {r["provider"]: r["status"] for r in listed["credentials"] if r["account"]} == {
            "anthropic": "authenticated",
            "openai": "authenticated",
        }
        with psycopg.connect(host=HOST, port=PORT, user=reader, dbname=database) as connection:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("SELECT refresh_token FROM credentials")
            connection.rollback()
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("DELETE FROM audit_log")

        postgres.run(database, "UPDATE credentials SET expires_at = extract(epoch FROM now())::bigint + 60")
        before = postgres.run(database, "SELECT * FROM credentials ORDER BY provider")
        due = cli("auth", "token", "anthropic", env=ci)
        line = assert_one_error_line(due, 1)
        assert "may only read the team store; nothing was sent to the provider" in line
        assert "A member with write access must refresh it: `code-mesh auth refresh anthropic`" in line
        assert fake.refresh_count == 0
        assert postgres.run(database, "SELECT * FROM credentials ORDER BY provider") == before
        for arguments, stdin in (
            (("auth", "export", "--output", "-"), ""),
            (("auth", "login", "xai", "--with-key"), "k"),
        ):
            refused = assert_one_error_line(cli(*arguments, input=stdin, env=ci), 1)
            assert "nothing was" in refused, refused

        refreshed = cli("auth", "refresh", "--all", env=writer)
        assert refreshed.returncode == 0, refreshed.stderr
        assert refreshed.stdout.startswith("✓ Refreshed anthropic (account default); expires in")
        assert len(refreshed.stdout.splitlines()) == 1, "openai has no expiry: nothing to refresh"
        assert fake.refresh_count == 1
        assert cli("auth", "token", "anthropic", env=ci).stdout == fake.issued[-1]["access_token"] + "\n"
        assert (
            cli("auth", "refresh", "--all", env=writer).stdout
            == "Nothing is due for a refresh within the next hour.\n"
        )

    rows = postgres.run(database, "SELECT db_user, action, provider, outcome FROM audit_log ORDER BY id")
    assert [r for r in rows if r[0] == reader] == [
        (reader, "read", "anthropic", "ok"),
        (reader, "read", "openai", "ok"),
        (reader, "refresh", "anthropic", "refused"),
        (reader, "read", "anthropic", "ok"),
    ]
    assert (owner, "refresh", "anthropic", "ok") in rows
