"""Without a PostgreSQL server the team-store tests are skipped, saying why; under
CODE_MESH_REQUIRE_PG=1 (CI on a machine that has one) that skip is a failure."""

from __future__ import annotations

import socket

import pytest

import postgres_server


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, then released
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(postgres_server, "PORT", port)


def test_no_server_is_a_skip_with_the_reason(no_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODE_MESH_REQUIRE_PG", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        postgres_server.require_server()
    assert f"no PostgreSQL at 127.0.0.1:{postgres_server.PORT}" in str(skipped.value)


def test_no_server_is_a_failure_when_one_is_required(
    no_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODE_MESH_REQUIRE_PG", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        postgres_server.require_server()
    assert "CODE_MESH_REQUIRE_PG=1 requires one" in str(failed.value)
