"""Use case: log in with an authorization code the provider's page shows to paste (PKCE S256,
`CODE#STATE`), as Anthropic's claude-max and console methods do (SPEC section 5).

The tokens are stored, or, when the endpoints name `create_api_key_url`, used once to
create an API key that is stored instead.
"""

from __future__ import annotations

from urllib.parse import urlencode

from code_mesh.application.login_result import LoginResult, save_login
from code_mesh.application.ports import Browser, Clock, CredentialStore, LoginView, OAuthGateway
from code_mesh.application.provider_endpoints import PastedCodeEndpoints
from code_mesh.domain.credentials import ApiKey, Credential
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import Pkce, new_state, split_pasted_code


def pasted_code_authorize_url(endpoints: PastedCodeEndpoints, pkce: Pkce, state: str) -> str:
    """The entry's own parameters first (Anthropic's `code=true`), then RFC 6749's and PKCE's."""
    query = {
        **endpoints.authorize_params,
        "client_id": endpoints.token.client_id,
        "response_type": "code",
        "redirect_uri": endpoints.redirect_uri,
        **({"scope": endpoints.scope} if endpoints.scope else {}),
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
        "state": state,
    }
    return f"{endpoints.authorize_url}?{urlencode(query)}"


def log_in_with_pasted_code(
    store: CredentialStore,
    gateway: OAuthGateway,
    view: LoginView,
    browser: Browser | None,
    clock: Clock,
    endpoints: PastedCodeEndpoints,
    provider: ProviderId,
    account: AccountName,
) -> LoginResult:
    pkce = Pkce.generate()
    state = new_state()
    url = pasted_code_authorize_url(endpoints, pkce, state)
    view.show_link("Open this link to authorize code-mesh:", url)
    if browser is not None and browser.open(url):
        view.info("Opened the link in your browser.")
    code = split_pasted_code(
        view.read_answer("Paste the code shown after you authorize (CODE#STATE): "), state
    )
    with view.waiting("Exchanging the code for tokens"):
        grant = gateway.exchange_code(endpoints.token, code, pkce.verifier, endpoints.redirect_uri, state)
        credential: Credential
        if endpoints.create_api_key_url is not None:
            credential = ApiKey(gateway.create_api_key(endpoints.create_api_key_url, grant.access_token))
        else:
            credential = grant.as_credential(clock.now())
    return save_login(store, provider, account, credential)
