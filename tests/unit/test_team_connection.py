"""The team store's URL and its one connection's patience with a full server (SPEC section 13),
with an injected clock: no server and no sleeping needed."""

from __future__ import annotations

import psycopg
import pytest

from code_mesh.adapters.store.postgres_connect import (
    connect_with_backoff,
    display_url,
    is_too_many_clients,
    team_url,
)
from code_mesh.domain.errors import StoreUnavailable
from code_mesh.domain.secret import Secret

FULL = 'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  sorry, too many clients already'


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def test_the_url_is_shown_without_password_or_driver() -> None:
    url = team_url(Secret("postgresql+psycopg://alice:s3cret-pw@db.internal:5433/credentials"), "X")
    assert display_url(url) == "postgresql://alice@db.internal:5433/credentials"
    assert display_url(team_url(Secret("postgresql://db/creds"), "X")) == "postgresql://db/creds"
    assert url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    "raw",
    [
        "sqlite:///tmp/x.db",
        "mysql://root:s3cret-pw@h/db",
        "postgresql://u:s3cret-pw@h",
        "not a url s3cret-pw",
    ],
)
def test_a_url_that_is_not_a_postgresql_database_is_refused_without_quoting_it(raw: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        team_url(Secret(raw), "CODE_MESH_DATABASE_URL")
    assert caught.value.one_line().startswith("CODE_MESH_DATABASE_URL ")
    assert "s3cret-pw" not in caught.value.one_line()


@pytest.mark.parametrize(
    "message",
    [
        FULL,
        'FATAL:  too many connections for database "x"',
        "FATAL: connection limit exceeded for non-superusers",
    ],
)
def test_too_many_clients_is_recognised_with_or_without_a_sqlstate(message: str) -> None:
    assert is_too_many_clients(psycopg.OperationalError(message))
    assert not is_too_many_clients(psycopg.OperationalError("connection refused"))


def test_a_full_server_is_asked_again_with_growing_jittered_pauses_until_it_answers() -> None:
    clock = FakeClock()
    answers: list[object] = [psycopg.OperationalError(FULL)] * 5 + ["connected"]

    def connect() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result = connect_with_backoff(
        connect,
        "postgresql://db/x",
        (),
        sleep=clock.sleep,
        clock=lambda: clock.now,
        jitter=lambda low, high: high,
    )
    assert result == "connected"
    assert clock.pauses == [0.1, 0.2, 0.4, 0.8, 1.6]


def test_a_server_full_for_a_minute_is_one_line_and_other_failures_are_not_retried() -> None:
    clock = FakeClock()

    def full() -> object:
        raise psycopg.OperationalError(FULL + " s3cret-pw")

    with pytest.raises(StoreUnavailable) as caught:
        connect_with_backoff(
            full, "postgresql://db/x", ("s3cret-pw",), sleep=clock.sleep, clock=lambda: clock.now
        )
    assert "still has too many clients after 60 s" in caught.value.one_line()
    assert "s3cret-pw" not in caught.value.one_line()
    assert 55 <= clock.now <= 60
    calls = []

    def refused() -> object:
        calls.append(1)
        raise psycopg.OperationalError("connection refused s3cret-pw")

    with pytest.raises(StoreUnavailable) as refusal:
        connect_with_backoff(
            refused, "postgresql://db/x", ("s3cret-pw",), sleep=clock.sleep, clock=lambda: clock.now
        )
    assert calls == [1] and "Cannot connect to the team store postgresql://db/x" in refusal.value.one_line()
    assert "s3cret-pw" not in refusal.value.one_line()
