"""Use case: log in with the OAuth device flow (RFC 8628), for any provider and for GitHub Copilot."""

from __future__ import annotations

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import Clock, CredentialStore, LoginView, OAuthGateway, TokenEndpoint
from code_mesh.application.provider_endpoints import CopilotEndpoints
from code_mesh.domain.credentials import OAuthToken
from code_mesh.domain.errors import AuthorizationFailed, OAuthErrorResponse
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import SLOW_DOWN_STEP_SECONDS, DevicePoll, TokenGrant


def _expired() -> AuthorizationFailed:
    return AuthorizationFailed(
        "The device code expired before the login was authorized; nothing was stored",
        "Run the login again and enter the code sooner",
    )


def run_device_flow(
    gateway: OAuthGateway,
    view: LoginView,
    clock: Clock,
    device_authorization_url: str,
    endpoint: TokenEndpoint,
    scope: str | None,
) -> TokenGrant:
    """Show the user code, then poll at the server's pace until a token, a refusal or expiry.

    Never sleeps past the code's expiry: the wait before a poll is cut to what is left."""
    authorization = gateway.start_device_authorization(device_authorization_url, endpoint, scope)
    view.show_device_code(authorization.user_code, authorization.verification_uri)
    interval = authorization.interval
    deadline = clock.now() + authorization.expires_in
    with view.waiting("Waiting for you to authorize this device"):
        while True:
            left = deadline - clock.now()
            if left <= 0:
                raise _expired()
            clock.sleep(min(interval, left))
            if clock.now() >= deadline:
                raise _expired()
            try:
                answer = gateway.poll_device_token(endpoint, authorization.device_code)
            except OAuthErrorResponse as error:
                if error.error == "expired_token":
                    raise _expired() from None
                if error.error == "access_denied":
                    raise AuthorizationFailed(
                        "The login was denied in the browser; nothing was stored",
                        "Run the login again and approve it",
                    ) from None
                raise
            if answer is DevicePoll.SLOW_DOWN:
                interval += SLOW_DOWN_STEP_SECONDS
            elif answer is not DevicePoll.PENDING:
                return answer


def log_in_with_device_flow(
    store: CredentialStore,
    gateway: OAuthGateway,
    view: LoginView,
    clock: Clock,
    device_authorization_url: str,
    endpoint: TokenEndpoint,
    scope: str | None,
    provider: ProviderId,
    account: AccountName,
) -> LoginResult:
    grant = run_device_flow(gateway, view, clock, device_authorization_url, endpoint, scope)
    return save_login(store, provider, account, grant.as_credential(clock.now()))


def log_in_to_copilot(
    store: CredentialStore,
    gateway: OAuthGateway,
    view: LoginView,
    clock: Clock,
    endpoints: CopilotEndpoints,
    provider: ProviderId,
    account: AccountName,
) -> LoginResult:
    """GitHub's device flow gives a GitHub token (kept as the refresh token), which buys Copilot tokens."""
    github = run_device_flow(
        gateway, view, clock, endpoints.device_code_url, endpoints.token, endpoints.scope
    )
    with view.waiting("Fetching a Copilot token"):
        copilot_token, expires_at = gateway.fetch_copilot_token(
            endpoints.copilot_token_url, github.access_token
        )
    credential = OAuthToken(copilot_token, github.access_token, expires_at, scopes=github.scope)
    return save_login(store, provider, account, credential)
