"""Use case: log in to a configured OAuth 2.0 provider in the browser (authorization code,
PKCE S256, loopback redirect on 127.0.0.1 as RFC 8252 describes)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import urlencode

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import (
    Browser,
    Clock,
    CredentialStore,
    LoginView,
    LoopbackReceiver,
    OAuthGateway,
)
from code_mesh.application.provider_endpoints import BrowserEndpoints
from code_mesh.domain.errors import AuthorizationFailed
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import Pkce, check_state, error_code, new_state, state_matches

BROWSER_TIMEOUT_SECONDS = 300.0


def log_in_with_browser(
    store: CredentialStore,
    gateway: OAuthGateway,
    view: LoginView,
    browser: Browser | None,
    clock: Clock,
    receiver: Callable[[Callable[[str | None], bool]], AbstractContextManager[LoopbackReceiver]],
    endpoints: BrowserEndpoints,
    provider: ProviderId,
    account: AccountName,
    timeout: float = BROWSER_TIMEOUT_SECONDS,
) -> LoginResult:
    pkce = Pkce.generate()
    state = new_state()
    with receiver(lambda received: state_matches(received, state)) as listener:
        query = {
            "response_type": "code",
            "client_id": endpoints.token.client_id,
            "redirect_uri": listener.redirect_uri,
            "state": state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": pkce.method,
            **({"scope": endpoints.scope} if endpoints.scope else {}),
        }
        url = f"{endpoints.authorize_url}?{urlencode(query)}"
        view.show_link(f"Open this link to log in to {provider}:", url)
        if browser is not None and browser.open(url):
            view.info("Opened the link in your browser.")
        with view.waiting("Waiting for the browser to come back"):
            answer = listener.wait(timeout)
        redirect_uri = listener.redirect_uri
    if answer is None:
        raise AuthorizationFailed(
            f"No answer came back from the browser within {timeout:.0f} s; nothing was stored",
            "Run the login again",
        )
    check_state(answer.state, state)  # the listener checked it too: before believing anything
    if answer.error is not None:
        code = error_code(answer.error) or "with an error code that cannot be shown"
        raise AuthorizationFailed(
            f"The provider did not authorize the login ({code}); nothing was stored",
            "Run the login again and approve it",
        )
    if answer.code is None:
        raise AuthorizationFailed(
            "The browser came back without an authorization code", "Run the login again"
        )
    with view.waiting("Exchanging the code for tokens"):
        grant = gateway.exchange_code(endpoints.token, answer.code, pkce.verifier, redirect_uri, None)
    return save_login(store, provider, account, grant.as_credential(clock.now()))
