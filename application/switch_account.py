"""Use case: make a stored account the active one of its provider."""

from __future__ import annotations

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.audit import Action, AuditEntry
from code_mesh.domain.errors import NotLoggedIn
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.wording import with_suggestion


def switch_account(store: CredentialStore, provider: ProviderId, account: AccountName) -> None:
    with store.writing() as repository:  # no secret is opened: switching works without the key
        everything = repository.summaries()
        stored = [c.account for c in everything if c.provider == provider]
        if account not in stored:
            listed = ", ".join(stored) if stored else "none"
            login = f"Run `code-mesh auth login {provider} --account {account}` first"
            raise NotLoggedIn(
                f"{provider} has no stored account {account!s} (stored: {listed})",
                with_suggestion(account, stored, login)
                if stored
                else with_suggestion(provider, [c.provider for c in everything], login),
            )
        repository.activate(provider, account)
        repository.record(AuditEntry(Action.SWITCH, provider, account))
