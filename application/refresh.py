"""Use case: refresh an OAuth credential, once across every process that wants it.

Single-flight: take the credential's own lock (never SQLite's database-wide write
lock across an HTTP call), read again, refresh only if still needed, store the
rotated tokens in a short transaction, release. Rotating refresh tokens make this a
correctness rule: two refreshes with the same token would log the user out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from code_mesh.application.ports import Clock, CredentialLocks, CredentialStore, OAuthGateway, TokenEndpoint
from code_mesh.application.token import find_credential, login_command
from code_mesh.domain.credentials import OAuthToken, StoredCredential
from code_mesh.domain.errors import CodeMeshError, OAuthErrorResponse, RefreshRefused
from code_mesh.domain.identifiers import AccountName, ProviderId

REFUSALS = frozenset({"invalid_grant", "invalid_token", "bad_credentials"})
"""Answers that mean the refresh token itself is no good: the user must log in again."""


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
        token, expires_at = self._gateway.fetch_copilot_token(self._url, credential.refresh_token)
        return replace(credential, access_token=token, expires_at=expires_at)


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
) -> StoredCredential:
    """The credential, refreshed if due (or when `force`), by at most one process at a time."""
    seen = find_credential(store, provider, account)
    credential = seen.credential
    if not isinstance(credential, OAuthToken) or not credential.can_refresh:
        if force:
            kind = "an API key" if seen.type == "api_key" else f"a {seen.type} credential"
            if isinstance(credential, OAuthToken):
                kind = "an OAuth token without a refresh token"
            raise CodeMeshError(
                f"{provider} ({seen.account}) holds {kind}, which cannot be refreshed",
                f"Run `{login_command(seen)}` to get a new one",
            )
        return seen
    if not force and not seen.refresh_due(clock.now()):
        return seen
    if seen.needs_login:
        raise _needs_login(seen)
    with locks.hold(provider, seen.account):
        current = find_credential(store, provider, seen.account)
        if not _same(current, seen):
            # Another process refreshed (or a login replaced it) while we waited.
            if current.needs_login:
                raise _needs_login(current)
            if force or not current.refresh_due(clock.now()):
                return current
        current_token = current.credential
        assert isinstance(current_token, OAuthToken)
        try:
            renewed = refresher.refresh(current_token, clock.now())
        except OAuthErrorResponse as error:
            if error.error in REFUSALS:
                _mark_needs_login(store, current)
                raise RefreshRefused(
                    f"{error.host} refused to refresh the credential for {provider} ({error.error}); "
                    "it is kept but marked needs-login",
                    f"Run `{login_command(current)}`",
                ) from None
            raise
        return _store_if_unchanged(store, current, renewed)


def _mark_needs_login(store: CredentialStore, current: StoredCredential) -> None:
    with store.writing() as repository:
        latest = repository.get(current.provider, current.account)
        if latest is not None and _same(latest, current):
            repository.mark_needs_login(current.provider, current.account)


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
    return StoredCredential(current.provider, current.account, renewed, False, current.active)
