"""Single-flight refresh: the rules, with an in-memory store, a fake clock and a scripted gateway."""

from __future__ import annotations

import threading

import pytest

from code_mesh.adapters.store.memory_store import InMemoryCredentialStore
from code_mesh.application.ports import TokenEndpoint
from code_mesh.application.refresh import CopilotRefresher, TokenEndpointRefresher, refresh_credential
from code_mesh.application.token import stored_token
from code_mesh.domain.credentials import ApiKey, OAuthToken
from code_mesh.domain.errors import CodeMeshError, OAuthErrorResponse, ProviderUnavailable, RefreshRefused
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import TokenGrant
from code_mesh.domain.secret import Secret
from fakes import FakeClock, ScriptedGateway, ThreadLocks

ANTHROPIC = ProviderId("anthropic")
DEFAULT = AccountName("default")
ENDPOINT = TokenEndpoint("https://auth.example/token", "client")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def store_with(token: OAuthToken) -> InMemoryCredentialStore:
    store = InMemoryCredentialStore()
    with store.writing() as repository:
        repository.save(ANTHROPIC, DEFAULT, token)
    return store


def due_token(clock: FakeClock, **fields: object) -> OAuthToken:
    return OAuthToken(
        Secret("at-old"),
        Secret("rt-old"),
        int(clock.now() + 60),
        account_id="acc-1",
        **fields,  # type: ignore[arg-type]
    )


def grant(n: int, refresh: bool = True) -> TokenGrant:
    return TokenGrant(Secret(f"at-{n}"), Secret(f"rt-{n}") if refresh else None, 3600.0)


def stored(store: InMemoryCredentialStore):  # type: ignore[no-untyped-def]
    with store.reading() as repository:
        return repository.get(ANTHROPIC, DEFAULT)


def test_a_due_token_is_refreshed_and_the_rotated_refresh_token_stored(clock: FakeClock) -> None:
    store = store_with(due_token(clock))
    gateway = ScriptedGateway()
    gateway.refresh_answers = [grant(1)]
    result = refresh_credential(
        store, ThreadLocks(), TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None
    )
    assert gateway.refresh_calls == ["rt-old"]
    expected = OAuthToken(Secret("at-1"), Secret("rt-1"), int(clock.now() + 3600), account_id="acc-1")
    assert result.credential == expected
    assert stored(store).credential == expected
    assert stored(store).active


def test_a_grant_without_a_new_refresh_token_keeps_the_old_one(clock: FakeClock) -> None:
    store = store_with(due_token(clock))
    gateway = ScriptedGateway()
    gateway.refresh_answers = [grant(1, refresh=False)]
    refresh_credential(
        store, ThreadLocks(), TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None
    )
    assert stored(store).credential.refresh_token == Secret("rt-old")


def test_a_fresh_token_is_not_refreshed_unless_forced(clock: FakeClock) -> None:
    fresh = OAuthToken(Secret("at"), Secret("rt"), int(clock.now() + 301))
    store = store_with(fresh)
    gateway = ScriptedGateway()
    refresher = TokenEndpointRefresher(gateway, ENDPOINT)
    assert refresh_credential(store, ThreadLocks(), refresher, clock, ANTHROPIC, None).credential == fresh
    assert gateway.refresh_calls == []
    gateway.refresh_answers = [grant(2)]
    forced = refresh_credential(store, ThreadLocks(), refresher, clock, ANTHROPIC, None, force=True)
    assert forced.credential.access_token == Secret("at-2")


def test_invalid_grant_keeps_every_field_and_marks_needs_login(clock: FakeClock) -> None:
    token = due_token(clock)
    store = store_with(token)
    gateway = ScriptedGateway()
    gateway.refresh_answers = [OAuthErrorResponse("invalid_grant", "auth.example")]
    with pytest.raises(RefreshRefused) as caught:
        refresh_credential(
            store, ThreadLocks(), TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None
        )
    assert "code-mesh auth login anthropic" in caught.value.one_line()
    after = stored(store)
    assert after.credential == token and after.needs_login
    # The next attempt does not ask the server again: it says to log in.
    with pytest.raises(CodeMeshError, match="needs a new login"):
        refresh_credential(
            store, ThreadLocks(), TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None
        )
    assert gateway.refresh_calls == ["rt-old"]


def test_a_network_failure_changes_nothing(clock: FakeClock) -> None:
    token = due_token(clock)
    store = store_with(token)
    gateway = ScriptedGateway()
    gateway.refresh_answers = [ProviderUnavailable("down")]
    with pytest.raises(ProviderUnavailable):
        refresh_credential(
            store, ThreadLocks(), TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None
        )
    assert stored(store).credential == token and not stored(store).needs_login


def test_threads_racing_for_a_due_token_refresh_once(clock: FakeClock) -> None:
    store = store_with(due_token(clock))
    gateway = ScriptedGateway()
    gateway.refresh_answers = [grant(1)]
    locks = ThreadLocks()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        result = refresh_credential(
            store, locks, TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None
        )
        results.append(result.credential.access_token.reveal())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gateway.refresh_calls == ["rt-old"]
    assert results == ["at-1"] * 8


def test_api_keys_cannot_be_refreshed_on_demand(clock: FakeClock) -> None:
    store = InMemoryCredentialStore()
    with store.writing() as repository:
        repository.save(ANTHROPIC, DEFAULT, ApiKey(Secret("k")))
    with pytest.raises(CodeMeshError, match="cannot be refreshed"):
        refresh_credential(
            store,
            ThreadLocks(),
            TokenEndpointRefresher(ScriptedGateway(), ENDPOINT),
            clock,
            ANTHROPIC,
            None,
            force=True,
        )


def test_copilot_refresh_fetches_a_new_token_with_the_github_token(clock: FakeClock) -> None:
    store = store_with(OAuthToken(Secret("copilot-old"), Secret("gho-github"), int(clock.now() - 1)))
    gateway = ScriptedGateway()
    gateway.copilot_answers = [(Secret("copilot-new"), int(clock.now() + 1500))]
    result = refresh_credential(
        store, ThreadLocks(), CopilotRefresher(gateway, "https://c/t"), clock, ANTHROPIC, None
    )
    assert result.credential == OAuthToken(
        Secret("copilot-new"), Secret("gho-github"), int(clock.now() + 1500)
    )


def test_token_use_case_refreshes_when_fewer_than_five_minutes_remain(clock: FakeClock) -> None:
    store = store_with(due_token(clock))
    gateway = ScriptedGateway()
    gateway.refresh_answers = [grant(7)]

    def refresh(credential):  # type: ignore[no-untyped-def]
        return refresh_credential(
            store,
            ThreadLocks(),
            TokenEndpointRefresher(gateway, ENDPOINT),
            clock,
            credential.provider,
            credential.account,
        )

    assert stored_token(store, ANTHROPIC, None, clock.now(), refresh).secret == Secret("at-7")
    clock.advance(3600 - 299)
    gateway.refresh_answers = [grant(8)]
    assert stored_token(store, ANTHROPIC, None, clock.now(), refresh).secret == Secret("at-8")
