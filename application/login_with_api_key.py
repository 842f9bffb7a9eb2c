"""Use case: store an API key for a provider account and make it the active one."""

from __future__ import annotations

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import CredentialStore
from code_mesh.domain.credentials import ApiKey, InvalidCredential
from code_mesh.domain.errors import InvalidInput
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret


def log_in_with_api_key(
    store: CredentialStore, provider: ProviderId, account: AccountName, key: Secret
) -> LoginResult:
    """Add or replace the credential; surrounding whitespace (a pasted newline) is dropped."""
    try:
        credential = ApiKey(Secret(key.reveal().strip()))
    except InvalidCredential as error:
        raise InvalidInput(
            "No API key was given: the key read was empty",
            "Paste the key at the prompt, or pipe it in: `printenv MY_KEY | code-mesh auth login "
            f"{provider} --with-key`",
        ) from error
    return save_login(store, provider, account, credential)
