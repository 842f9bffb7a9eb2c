"""`auth refresh --all` (SPEC section 3) on a personal store: every credential due within the hour,
one line each; a failure is its own line and exit 1, the others still refreshed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from anthropic_login import configure_anthropic, log_in_to_anthropic
from conftest import CliRunner
from servers.fake_anthropic import FakeAnthropic


def test_refresh_all_refreshes_what_is_due_within_the_hour(cli: CliRunner, home: Path) -> None:
    fake = FakeAnthropic(expires_in=7200)
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert log_in_to_anthropic(home, fake).finish() == 0
        assert cli("auth", "login", "openai", "--with-key", input="sk-no-expiry").returncode == 0
        assert (
            cli("auth", "refresh", "--all").stdout == "Nothing is due for a refresh within the next hour.\n"
        )
        connection = sqlite3.connect(home / "auth.db")
        connection.execute(
            "UPDATE credentials SET expires_at = strftime('%s', 'now') + 1800 WHERE provider = 'anthropic'"
        )
        connection.commit()
        connection.close()
        fake.fail_next("500")
        failed = cli("auth", "refresh", "--all")
        assert failed.returncode == 1
        assert (
            failed.stdout.startswith("✗ anthropic (account default): ")
            and len(failed.stdout.splitlines()) == 1
        )
        assert "1 of 1 due credential(s) could not be refreshed" in failed.stderr
        refreshed = cli("auth", "refresh", "--all")
        assert refreshed.returncode == 0, refreshed.stderr
        assert refreshed.stdout.startswith("✓ Refreshed anthropic (account default); expires in 1h 59m")
        assert fake.refresh_count == 2, "the request that failed, then the one that worked"
        both = cli("auth", "refresh", "anthropic", "--all")
        assert both.returncode == 2 and "--all refreshes every due credential" in both.stderr
