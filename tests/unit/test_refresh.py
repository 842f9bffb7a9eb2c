"""Single-flight refresh: the rules, with an in-memory store, a fake clock and a scripted gateway."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from code_mesh.adapters.store.memory_store import InMemoryCredentialStore
from code_mesh.application.ports import FailureNote, TokenEndpoint
from code_mesh.application.refresh import (
    WRITE_RETRY_SECONDS,
    CopilotRefresher,
    TokenEndpointRefresher,
    refresh_credential,
)
from code_mesh.application.token import stored_token
from code_mesh.domain.credentials import ApiKey, OAuthToken
from code_mesh.domain.errors import (
    CodeMeshError,
    OAuthErrorResponse,
    ProviderUnavailable,
    RefreshRefused,
    StoreUnavailable,
)
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import ExchangedToken, TokenGrant
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
    """The new token's API host replaces the old one's (a seat moved from one plan to another)."""
    old = OAuthToken(
        Secret("copilot-old"), Secret("gho-github"), int(clock.now() - 1), api_url="https://api.individual.x"
    )
    store = store_with(old)
    gateway = ScriptedGateway()
    business = "https://api.business.githubcopilot.com"
    gateway.copilot_answers = [ExchangedToken(Secret("copilot-new"), int(clock.now() + 1500), business)]
    result = refresh_credential(
        store, ThreadLocks(), CopilotRefresher(gateway, "https://c/t"), clock, ANTHROPIC, None
    )
    assert result.credential == OAuthToken(
        Secret("copilot-new"), Secret("gho-github"), int(clock.now() + 1500), api_url=business
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


# -- issue 9: refused only on invalid_grant, rotated tokens kept, failures not queued ----------


class FullDiskStore(InMemoryCredentialStore):
    """A store that cannot be written: before the refresh (`unwritable`), or for the next
    `failing_writes` write transactions (the disk fills while the provider answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.unwritable = False
        self.failing_writes = 0

    def check_writable(self, provider: ProviderId, account: AccountName) -> None:
        if self.unwritable:
            raise StoreUnavailable("The store cannot be written (database or disk is full)")

    @contextmanager
    def writing(self) -> Iterator[Any]:
        if self.failing_writes:
            self.failing_writes -= 1
            raise StoreUnavailable("The store cannot be written (database or disk is full)")
        with super().writing() as repository:
            yield repository


def full_disk_store(token: OAuthToken) -> FullDiskStore:
    store = FullDiskStore()
    with store.writing() as repository:
        repository.save(ANTHROPIC, DEFAULT, token)
    return store


def refresh(store: InMemoryCredentialStore, gateway: ScriptedGateway, clock: FakeClock, **options: Any):  # type: ignore[no-untyped-def]
    locks = options.pop("locks", ThreadLocks())
    return refresh_credential(
        store, locks, TokenEndpointRefresher(gateway, ENDPOINT), clock, ANTHROPIC, None, **options
    )


@pytest.mark.parametrize("code", ["invalid_token", "bad_credentials", "invalid_client", "HTTP 401", ""])
def test_only_invalid_grant_refuses_a_refresh(clock: FakeClock, code: str) -> None:
    """SPEC section 2: any other answer is a failure that changes nothing, not a needs-login."""
    token = due_token(clock)
    store = store_with(token)
    gateway = ScriptedGateway()
    gateway.refresh_answers = [OAuthErrorResponse(code, "auth.example", status=400)]
    with pytest.raises(OAuthErrorResponse):
        refresh(store, gateway, clock)
    assert stored(store).credential == token and not stored(store).needs_login


def test_a_revoked_github_token_is_copilots_invalid_grant(clock: FakeClock) -> None:
    store = store_with(OAuthToken(Secret("copilot-old"), Secret("gho-revoked"), int(clock.now() - 1)))
    gateway = ScriptedGateway()
    gateway.copilot_answers = [OAuthErrorResponse("bad_credentials", "api.github.com", status=401)]
    with pytest.raises(RefreshRefused, match="GitHub refused the GitHub token"):
        refresh_credential(
            store, ThreadLocks(), CopilotRefresher(gateway, "https://c/t"), clock, ANTHROPIC, None
        )
    assert stored(store).needs_login


def test_a_store_that_cannot_be_written_is_found_before_the_provider_rotates_anything(
    clock: FakeClock,
) -> None:
    token = due_token(clock)
    store = full_disk_store(token)
    store.unwritable = True
    gateway = ScriptedGateway()
    with pytest.raises(StoreUnavailable, match="disk is full"):
        refresh(store, gateway, clock)
    assert gateway.refresh_calls == [], "no request: the stored refresh token still works"
    assert stored(store).credential == token


def test_a_write_that_fails_after_the_rotation_is_tried_again(clock: FakeClock) -> None:
    store = full_disk_store(due_token(clock))
    store.failing_writes = 2
    gateway = ScriptedGateway()
    gateway.refresh_answers = [grant(1)]
    assert refresh(store, gateway, clock).credential.refresh_token == Secret("rt-1")
    assert stored(store).credential.refresh_token == Secret("rt-1")
    assert clock.sleeps == [0.1, 0.2]


def test_a_write_that_keeps_failing_says_a_new_login_is_needed(clock: FakeClock) -> None:
    store = full_disk_store(due_token(clock))
    store.failing_writes = 100
    gateway = ScriptedGateway()
    gateway.refresh_answers = [grant(1)]
    with pytest.raises(CodeMeshError) as caught:
        refresh(store, gateway, clock)
    line = caught.value.one_line()
    assert "anthropic has rotated the refresh token" in line and "a new login is needed" in line
    assert "code-mesh auth login anthropic" in line and "rt-1" not in line
    assert 2.0 <= sum(clock.sleeps) <= WRITE_RETRY_SECONDS
    assert gateway.refresh_calls == ["rt-old"]


def test_a_failure_seen_by_the_holder_is_repeated_to_its_waiters_not_retried(clock: FakeClock) -> None:
    locks = ThreadLocks()
    store = store_with(due_token(clock))
    gateway = ScriptedGateway()
    outcome: list[str] = []
    with locks.hold(ANTHROPIC, DEFAULT, 5):  # another process is refreshing

        def waiter() -> None:
            try:
                refresh(store, gateway, clock, locks=locks)
            except ProviderUnavailable as error:
                outcome.append(error.one_line())

        thread = threading.Thread(target=waiter)
        thread.start()
        threading.Event().wait(0.1)  # the waiter now waits for the lock
        clock.advance(30)
        note = FailureNote(clock.now(), "auth.example did not answer within 30 s", "Try again later")
        locks.note_failure(ANTHROPIC, DEFAULT, note)
    thread.join()
    assert outcome == [
        "auth.example did not answer within 30 s (seen by the code-mesh process that was refreshing it "
        "meanwhile). Try again later."
    ]
    assert gateway.refresh_calls == [], "the waiter sent no request of its own"
    gateway.refresh_answers = [grant(1)]
    clock.advance(1)  # a command run after the failure tries again itself
    assert refresh(store, gateway, clock, locks=locks).credential.access_token == Secret("at-1")


def test_a_waiter_gives_up_at_its_own_deadline(clock: FakeClock) -> None:
    locks = ThreadLocks()
    store = store_with(due_token(clock))
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with locks.hold(ANTHROPIC, DEFAULT, 5):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(
            ProviderUnavailable, match=re.escape("refreshing the credential for anthropic for over 0.2 s")
        ):
            refresh(store, ScriptedGateway(), clock, locks=locks, lock_wait=0.2)
    finally:
        release.set()
        thread.join()
