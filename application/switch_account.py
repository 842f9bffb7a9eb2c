"""Use case: make a stored account the active one of its provider."""

from __future__ import annotations

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.audit import Action, AuditEntry
from code_mesh.domain.errors import NotLoggedIn
from code_mesh.domain.identifiers import AccountName, ProviderId


def switch_account(store: CredentialStore, provider: ProviderId, account: AccountName) -> None:
    with store.writing() as repository:  # no secret is opened: switching works without the key
        stored = [c.account for c in repository.summaries(provider)]
        if account not in stored:
            listed = ", ".join(stored) if stored else "none"
            raise NotLoggedIn(
                f"{provider} has no stored account {account!s} (stored: {listed})",
                f"Run `code-mesh auth login {provider} --account {account}` first",
            )
        repository.activate(provider, account)
        repository.record(AuditEntry(Action.SWITCH, provider, account))
