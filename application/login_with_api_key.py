"""Use case: store an API key for a provider account and make it the active one."""

from __future__ import annotations

from collections.abc import Callable

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import CredentialStore
from code_mesh.domain.credentials import ApiKey, InvalidCredential, checked
from code_mesh.domain.errors import InvalidInput
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret


def key_pipe_command(provider: str) -> str:
    """How a script hands over a key: on standard input, never as an argument (SPEC section 3).
    `provider` is an id, or the placeholder PROVIDER."""
    return f'`printf %s "$KEY" | code-mesh auth login {provider} --with-key`'


def api_key_credential(provider: ProviderId, key: Secret) -> ApiKey:
    """The key as it will be stored: surrounding whitespace (a pasted newline) dropped, and a
    key that is not one line of printable text refused (InvalidInput, never quoting it)."""
    pipe_it = key_pipe_command(provider)
    if not key.reveal().strip():
        raise InvalidInput(
            "No API key was given: the key read was empty",
            f"Paste the key at the prompt, or pipe it in: {pipe_it}",
        )
    try:
        credential = checked(ApiKey(key))
    except InvalidCredential as error:
        problem = str(error)
        raise InvalidInput(
            f"{problem[0].upper()}{problem[1:]}; nothing was stored", f"Give the key alone: {pipe_it}"
        ) from None
    assert isinstance(credential, ApiKey)
    return credential


def log_in_with_api_key(
    store: Callable[[], CredentialStore], provider: ProviderId, account: AccountName, key: Secret
) -> LoginResult:
    """Add or replace the credential and make it active. The key is checked before the store
    is even opened, so a refused key leaves no trace (not even a new, empty store)."""
    credential = api_key_credential(provider, key)
    return save_login(store(), provider, account, credential)
