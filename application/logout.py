"""Use case: remove credentials, in two steps so the caller can confirm in between.

Deleting never needs the key (SPEC section 2): both steps work from the summaries,
which open no secret, so a lost key file or a damaged row never blocks a logout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.audit import Action, AuditEntry
from code_mesh.domain.errors import NotLoggedIn
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.wording import with_suggestion

CredentialKey = tuple[ProviderId, AccountName]


@dataclass(frozen=True)
class LogoutResult:
    removed: tuple[CredentialKey, ...]
    now_active: dict[ProviderId, AccountName] = field(default_factory=dict)
    """For each provider whose active account was removed: the account active now."""


def plan_logout(
    store: CredentialStore,
    provider: ProviderId | None,
    account: AccountName | None,
    every_account: bool,
) -> tuple[CredentialKey, ...]:
    """What a logout would remove; NotLoggedIn when that is nothing."""
    with store.reading() as repository:
        everything = repository.summaries()
    stored = [c for c in everything if provider is None or c.provider == provider]
    if provider is None:
        targets = [(c.provider, c.account) for c in stored]
        if not targets:
            raise NotLoggedIn("Nothing is stored, so there is nothing to log out of")
        return tuple(targets)
    of_provider = [c for c in stored if c.provider == provider]
    if not of_provider:
        raise NotLoggedIn(
            f"Nothing is stored for {provider}",
            with_suggestion(
                provider, [c.provider for c in everything], "Run `code-mesh auth list` to see what is stored"
            ),
        )
    if every_account:
        return tuple((c.provider, c.account) for c in of_provider)
    if account is None:
        active = next(c for c in of_provider if c.active)
        return ((active.provider, active.account),)
    if not any(c.account == account for c in of_provider):
        listed = ", ".join(c.account for c in of_provider)
        raise NotLoggedIn(
            f"{provider} has no stored account {account!s} (stored: {listed})",
            with_suggestion(
                account, [c.account for c in of_provider], "Run `code-mesh auth list` to see what is stored"
            ),
        )
    return ((provider, account),)


def log_out(store: CredentialStore, targets: tuple[CredentialKey, ...]) -> LogoutResult:
    """Remove the targets that are still stored, in one transaction."""
    removed: list[CredentialKey] = []
    now_active: dict[ProviderId, AccountName] = {}
    with store.writing() as repository:
        was_active = {(c.provider, c.account) for c in repository.summaries() if c.active}
        for provider, account in targets:
            if repository.delete(provider, account):
                removed.append((provider, account))
                repository.record(AuditEntry(Action.LOGOUT, provider, account))
        lost_active = {provider for provider, account in removed if (provider, account) in was_active}
        if lost_active:
            for remaining in repository.summaries():
                if remaining.active and remaining.provider in lost_active:
                    now_active[remaining.provider] = remaining.account
    return LogoutResult(tuple(removed), now_active)
