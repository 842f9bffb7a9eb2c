"""Use case: log in to Anthropic with OAuth (PKCE S256, a pasted CODE#STATE).

`claude-max` stores the OAuth tokens; `console` uses them once to create an API key
and stores that instead (SPEC section 5).
"""

from __future__ import annotations

from urllib.parse import urlencode

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import Browser, Clock, CredentialStore, LoginView, OAuthGateway
from code_mesh.application.provider_endpoints import AnthropicEndpoints
from code_mesh.domain.credentials import ApiKey, Credential
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import Pkce, new_state, split_pasted_code


def anthropic_authorize_url(base: str, endpoints: AnthropicEndpoints, pkce: Pkce, state: str) -> str:
    query = {
        "code": "true",
        "client_id": endpoints.token.client_id,
        "response_type": "code",
        "redirect_uri": endpoints.redirect_uri,
        "scope": endpoints.scope,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
        "state": state,
    }
    return f"{base}?{urlencode(query)}"


def log_in_to_anthropic(
    store: CredentialStore,
    gateway: OAuthGateway,
    view: LoginView,
    browser: Browser | None,
    clock: Clock,
    endpoints: AnthropicEndpoints,
    provider: ProviderId,
    account: AccountName,
    *,
    create_api_key: bool,
) -> LoginResult:
    pkce = Pkce.generate()
    state = new_state()
    base = endpoints.console_authorize_url if create_api_key else endpoints.max_authorize_url
    url = anthropic_authorize_url(base, endpoints, pkce, state)
    view.show_link("Open this link to authorize code-mesh:", url)
    if browser is not None and browser.open(url):
        view.info("Opened the link in your browser.")
    code = split_pasted_code(
        view.read_answer("Paste the code shown after you authorize (CODE#STATE): "), state
    )
    with view.waiting("Exchanging the code for tokens"):
        grant = gateway.exchange_code(endpoints.token, code, pkce.verifier, endpoints.redirect_uri, state)
        credential: Credential
        if create_api_key:
            credential = ApiKey(gateway.create_api_key(endpoints.create_api_key_url, grant.access_token))
        else:
            credential = grant.as_credential(clock.now())
    return save_login(store, provider, account, credential)
