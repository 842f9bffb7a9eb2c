"""SIGKILL during `auth refresh`: the stored credential is the old one or a whole new grant."""

from __future__ import annotations

from pathlib import Path

import pytest

from anthropic_login import configure_anthropic, log_in_to_anthropic
from kill_points import kill_during
from servers.fake_anthropic import FakeAnthropic
from store_reader import decrypted_rows


@pytest.mark.slow
def test_refresh_killed_at_random_moments(home: Path) -> None:
    fake = FakeAnthropic(revoke_family_on_reuse=False)
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert log_in_to_anthropic(home, fake).finish() == 0

        def check(attempt: int) -> str | None:
            rows = decrypted_rows(home)
            if len(rows) != 1:
                return f"{len(rows)} rows"
            pair = (rows[0]["access_token"], rows[0]["refresh_token"])
            grants = {(g["access_token"], g["refresh_token"]) for g in fake.issued}
            return None if pair in grants else "the stored tokens are not one grant"

        report = kill_during(home, ("auth", "refresh", "anthropic"), 10, check)
    assert report.problems == []
    assert report.killed >= 1, report
