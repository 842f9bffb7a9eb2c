"""Use case: store a long-lived token made by Claude Code's own `claude setup-token` (SPEC section 10).

`auth login anthropic --method claude-max --with-key` reads it from standard input. It is a
Claude Pro/Max subscription token like the one the claude-max OAuth flow gets, so it is
stored as an `oauth` credential, but without a refresh token: it lasts the year Claude Code
states (the catalog's `setup_token_lifetime_days`) unless the token says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import CredentialStore
from code_mesh.domain.credentials import InvalidCredential, OAuthToken, one_line_secret
from code_mesh.domain.errors import InvalidInput
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import claimed_expiry
from code_mesh.domain.secret import Secret

DAY_SECONDS = 86400


def setup_token_pipe_command(provider: str) -> str:
    login = f"code-mesh auth login {provider} --method claude-max --with-key"
    return f'`claude setup-token`, then `printf %s "$TOKEN" | {login}`'


def setup_token_credential(provider: str, token: Secret, lifetime_days: int, now: float) -> OAuthToken:
    """The token as stored: one line, trimmed; its own expiry when it states one, else the lifetime."""
    pipe_it = setup_token_pipe_command(provider)
    try:
        access = one_line_secret(token.reveal(), "setup token")
    except InvalidCredential as error:
        problem = str(error)
        raise InvalidInput(
            f"{problem[0].upper()}{problem[1:]}; nothing was stored", f"Give the token alone: {pipe_it}"
        ) from None
    expires_at = claimed_expiry(access.reveal()) or int(now) + lifetime_days * DAY_SECONDS
    return OAuthToken(access, None, expires_at)


def log_in_with_setup_token(
    store: Callable[[], CredentialStore],
    provider: ProviderId,
    account: AccountName,
    token: Secret,
    lifetime_days: int,
    now: float,
) -> LoginResult:
    """Checked before the store is opened, so a refused token leaves no trace."""
    credential = setup_token_credential(provider, token, lifetime_days, now)
    return save_login(store(), provider, account, credential)
