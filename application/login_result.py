"""What every login ends with: the new credential stored and made active."""

from __future__ import annotations

from dataclasses import dataclass

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.audit import Action, AuditEntry
from code_mesh.domain.credentials import Credential, InvalidCredential, checked
from code_mesh.domain.errors import AuthorizationFailed
from code_mesh.domain.identifiers import AccountName, ProviderId


@dataclass(frozen=True)
class LoginResult:
    provider: ProviderId
    account: AccountName
    type: str
    replaced: bool
    expires_at: int | None = None


def save_login(
    store: CredentialStore, provider: ProviderId, account: AccountName, credential: Credential
) -> LoginResult:
    """Add or replace the account's credential in one transaction; it becomes active.

    Every login passes the domain's gate here, so a token a provider answered with a line
    break (which no HTTP header can carry) is refused before anything is stored."""
    try:
        credential = checked(credential)
    except InvalidCredential as error:
        raise AuthorizationFailed(
            f"The login's answer cannot be stored: {error}; nothing was stored",
            "Try again; if it fails the same way, the provider's answer is malformed",
        ) from None
    with store.writing() as repository:
        # Whether it replaces one, told without opening the old secrets (they may not open).
        replaced = any(c.account == account for c in repository.summaries(provider))
        repository.save(provider, account, credential, activate=True)
        repository.record(AuditEntry(Action.LOGIN, provider, account))
    expires_at = getattr(credential, "expires_at", None)
    return LoginResult(provider, account, credential.type, replaced, expires_at)
