"""Use case: refresh an OAuth credential, once across every process that wants it.

Single-flight: take the credential's own lock (never SQLite's database-wide write
lock across an HTTP call), read again, refresh only if still needed, store the
rotated tokens in a short transaction, release. Rotating refresh tokens make this a
correctness rule: two refreshes with the same token would log the user out.

Failures must not queue (issue 9, R1): a process waits for the lock only as long as
one exchange may take, and a process whose wait ended because another one's refresh
failed repeats that failure instead of the request (a command run after a failure
tries again itself). Rotated tokens must not be lost (D4): the store is checked to be
writable before the provider is asked, and a write that fails after the answer is
tried again for a few seconds.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Protocol

from code_mesh.application.ports import (
    Clock,
    CredentialLocks,
    CredentialStore,
    FailureNote,
    OAuthGateway,
    TokenEndpoint,
)
from code_mesh.application.token import find_credential, login_command
from code_mesh.domain.audit import Action, AuditEntry, Outcome
from code_mesh.domain.credentials import OAuthToken, StoredCredential
from code_mesh.domain.errors import (
    CodeMeshError,
    OAuthErrorResponse,
    ProviderUnavailable,
    RefreshRefused,
    StoreUnavailable,
)
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import REFUSED_GRANT
from code_mesh.domain.rules import REFRESH_MARGIN_SECONDS

WRITE_RETRY_SECONDS = 3.0
"""How long a write of freshly rotated tokens is retried before they are given up for lost."""
DEFAULT_LOCK_WAIT_SECONDS = 35.0


class Refresher(Protocol):
    """How one provider turns a refresh token into a new credential."""

    def refresh(self, credential: OAuthToken, now: float) -> OAuthToken: ...


class TokenEndpointRefresher:
    """RFC 6749 section 6 (form) or Anthropic's JSON variant of it."""

    def __init__(self, gateway: OAuthGateway, endpoint: TokenEndpoint) -> None:
        self._gateway = gateway
        self._endpoint = endpoint

    def refresh(self, credential: OAuthToken, now: float) -> OAuthToken:
        assert credential.refresh_token is not None
        grant = self._gateway.refresh(self._endpoint, credential.refresh_token)
        return grant.as_credential(now, credential)


class CopilotRefresher:
    """Copilot tokens are short-lived; the GitHub token (kept as refresh token) fetches a new one."""

    def __init__(self, gateway: OAuthGateway, copilot_token_url: str) -> None:
        self._gateway = gateway
        self._url = copilot_token_url

    def refresh(self, credential: OAuthToken, now: float) -> OAuthToken:
        assert credential.refresh_token is not None
        try:
            exchanged = self._gateway.fetch_copilot_token(self._url, credential.refresh_token)
        except OAuthErrorResponse as error:
            if error.status in (401, 403):
                # copilot_internal answers 401/403 when the GitHub token itself (our refresh token)
                # is revoked or no longer entitled: this provider's way of saying invalid_grant.
                raise OAuthErrorResponse(
                    REFUSED_GRANT,
                    error.host,
                    description=f"GitHub refused the GitHub token (HTTP {error.status})",
                ) from None
            raise
        # The host is the one this token names (a seat can move from one plan to another).
        return replace(
            credential,
            access_token=exchanged.token,
            expires_at=exchanged.expires_at,
            api_url=exchanged.api_url,
        )


def _same(a: StoredCredential, b: StoredCredential) -> bool:
    return a.credential == b.credential and a.needs_login == b.needs_login


def _needs_login(stored: StoredCredential) -> CodeMeshError:
    return CodeMeshError(
        f"The credential for {stored.provider} needs a new login", f"Run `{login_command(stored)}`"
    )


def refresh_credential(
    store: CredentialStore,
    locks: CredentialLocks,
    refresher: Refresher,
    clock: Clock,
    provider: ProviderId,
    account: AccountName | None,
    *,
    force: bool = False,
    lock_wait: float = DEFAULT_LOCK_WAIT_SECONDS,
    margin: float = REFRESH_MARGIN_SECONDS,
) -> StoredCredential:
    """The credential, refreshed if due (fewer than `margin` seconds left) or when `force`, by at
    most one process at a time.

    `lock_wait` is how long to wait for another process's refresh: a little more than one
    exchange may take (CODE_MESH_HTTP_TIMEOUT), so a waiter gives up when the holder would."""
    seen = find_credential(store, provider, account)
    credential = seen.credential
    if not seen.can_refresh:
        if force:
            kind = "an API key" if seen.type == "api_key" else f"a {seen.type} credential"
            if isinstance(credential, OAuthToken):
                kind = "an OAuth token without a refresh token"
            raise CodeMeshError(
                f"{provider} ({seen.account}) holds {kind}, which cannot be refreshed",
                f"Run `{login_command(seen)}` to get a new one",
            )
        return seen
    if not force and not seen.refresh_due(clock.now(), margin):
        return seen
    if seen.needs_login:
        raise _needs_login(seen)
    if seen.refresh_withheld:
        # A refresh it could not store would burn a rotating refresh token (SPEC section 13).
        _audit_quietly(store, seen, Outcome.REFUSED)
        raise CodeMeshError(
            f"The OAuth token for {provider} (account {seen.account}) is due for a refresh, and this "
            "database role may only read the team store; nothing was sent to the provider",
            f"A member with write access must refresh it: `code-mesh auth refresh {provider}"
            + (f" --account {seen.account}" if seen.account != "default" else "")
            + "` (or `auth refresh --all` from a cron job)",
        )
    asked_at = clock.now()
    with locks.hold(provider, seen.account, lock_wait) as held:
        if not held:
            raise ProviderUnavailable(
                f"Another code-mesh process has been refreshing the credential for {provider} for over "
                f"{lock_wait:g} s; nothing was changed",
                "Try again in a moment",
            )
        current = find_credential(store, provider, seen.account)
        if not _same(current, seen):
            # Another process refreshed (or a login replaced it) while we waited.
            if current.needs_login:
                raise _needs_login(current)
            if force or not current.refresh_due(clock.now(), margin):
                return current
        _repeat_failure_seen_while_waiting(locks, clock, current, asked_at)
        current_token = current.credential
        assert isinstance(current_token, OAuthToken)
        store.check_writable(provider, current.account)  # before the provider rotates anything
        try:
            renewed = refresher.refresh(current_token, clock.now())
        except OAuthErrorResponse as error:
            if error.error == REFUSED_GRANT:
                _mark_needs_login(store, current)
                raise RefreshRefused(
                    f"{error.host} refused to refresh the credential for {provider} "
                    f"({': '.join(p for p in (error.error, error.description) if p)}); "
                    "it is kept but marked needs-login",
                    f"Run `{login_command(current)}`",
                ) from None
            _note(locks, clock, current, error)
            _audit_quietly(store, current, Outcome.FAILED)
            raise
        except ProviderUnavailable as error:
            _note(locks, clock, current, error)
            _audit_quietly(store, current, Outcome.FAILED)
            raise
        return _store_rotated(store, clock, current, renewed)


def _audit_quietly(store: CredentialStore, stored: StoredCredential, outcome: Outcome) -> None:
    """The audit row of a refresh that changed nothing; one that cannot be written is no reason
    to hide the failure being reported."""
    with contextlib.suppress(StoreUnavailable):
        store.append_audit([AuditEntry(Action.REFRESH, stored.provider, stored.account, outcome)])


def _repeat_failure_seen_while_waiting(
    locks: CredentialLocks, clock: Clock, current: StoredCredential, asked_at: float
) -> None:
    """The failure of the refresh this process queued behind, rather than the same request again."""
    note = locks.last_failure(current.provider, current.account)
    if note is not None and asked_at <= note.at <= clock.now():
        raise ProviderUnavailable(
            f"{note.message.rstrip('.')} (seen by the code-mesh process that was refreshing it meanwhile)",
            note.next_step,
        )


def _note(locks: CredentialLocks, clock: Clock, current: StoredCredential, error: CodeMeshError) -> None:
    locks.note_failure(
        current.provider, current.account, FailureNote(clock.now(), error.message, error.next_step)
    )


def _mark_needs_login(store: CredentialStore, current: StoredCredential) -> None:
    with store.writing() as repository:
        latest = repository.get(current.provider, current.account)
        if latest is not None and _same(latest, current):
            repository.mark_needs_login(current.provider, current.account)
            repository.record(AuditEntry(Action.REFRESH, current.provider, current.account, Outcome.REFUSED))


def _store_rotated(
    store: CredentialStore, clock: Clock, current: StoredCredential, renewed: OAuthToken
) -> StoredCredential:
    """Write the rotated tokens; a store that fails now (it could be written a moment ago) is
    tried again for a few seconds, because the provider no longer accepts the stored ones."""
    give_up_at = clock.now() + WRITE_RETRY_SECONDS
    pause = 0.1
    while True:
        try:
            return _store_if_unchanged(store, current, renewed)
        except StoreUnavailable:
            if clock.now() + pause > give_up_at:
                raise CodeMeshError(
                    f"{current.provider} has rotated the refresh token, but the store {store.location} could "
                    "not be written to keep the new one; the stored refresh token no longer works, so a new "
                    "login is needed",
                    f"Make the store writable again (free disk space), then run `{login_command(current)}`",
                ) from None
            clock.sleep(pause)
            pause = min(pause * 2, 1.0)


def _store_if_unchanged(
    store: CredentialStore, current: StoredCredential, renewed: OAuthToken
) -> StoredCredential:
    """Write the rotated tokens, unless a login replaced the credential during the HTTP call."""
    with store.writing() as repository:
        latest = repository.get(current.provider, current.account)
        if latest is None or not _same(latest, current):
            raise CodeMeshError(
                f"The credential for {current.provider} changed while it was being refreshed",
                "Run the command again",
            )
        repository.save(current.provider, current.account, renewed, needs_login=False, activate=False)
        repository.record(AuditEntry(Action.REFRESH, current.provider, current.account))
    return StoredCredential(current.provider, current.account, renewed, False, current.active)
