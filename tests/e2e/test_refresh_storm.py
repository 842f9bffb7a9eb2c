"""64 processes ask for a due token at once: the provider sees exactly one refresh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anthropic_login import configure_anthropic, log_in_to_anthropic, make_token_due
from servers.fake_anthropic import FakeAnthropic
from storm import refresh_storm


@pytest.fixture
def anthropic(home: Path) -> Iterator[FakeAnthropic]:
    # revoke_family_on_reuse (the default): a second refresh with the same token would log everyone out.
    fake = FakeAnthropic()
    with fake.serve() as base:
        configure_anthropic(home, base)
        yield fake


@pytest.mark.slow
def test_64_processes_one_refresh_one_new_token(home: Path, anthropic: FakeAnthropic) -> None:
    assert log_in_to_anthropic(home, anthropic).finish() == 0
    make_token_due(home)
    result = refresh_storm(home, 64)
    assert result.failures == 0, {e for e in result.errors if e}
    assert anthropic.refresh_count == 1
    new_token = anthropic.issued[-1]["access_token"]
    assert set(result.outputs) == {new_token + "\n"}
