"""Use case: log in with the OAuth device flow (RFC 8628), and a token exchange after it for Copilot."""

from __future__ import annotations

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import Clock, CredentialStore, LoginView, OAuthGateway, TokenEndpoint
from code_mesh.application.provider_endpoints import DeviceEndpoints
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
    endpoints: DeviceEndpoints,
    provider: ProviderId,
    account: AccountName,
) -> LoginResult:
    """The device flow's token is stored; with an exchange URL (GitHub Copilot), it is kept as the
    refresh token instead and buys the token that is used, which names its own API host."""
    grant = run_device_flow(
        gateway, view, clock, endpoints.device_authorization_url, endpoints.token, endpoints.scope
    )
    if endpoints.exchange_url is None:
        return save_login(store, provider, account, grant.as_credential(clock.now()))
    with view.waiting("Fetching a Copilot token"):
        exchanged = gateway.fetch_copilot_token(endpoints.exchange_url, grant.access_token)
    credential = OAuthToken(
        exchanged.token,
        grant.access_token,
        exchanged.expires_at,
        scopes=grant.scope,
        api_url=exchanged.api_url,
    )
    return save_login(store, provider, account, credential)
