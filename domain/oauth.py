"""OAuth values and rules: PKCE, state, what a token response means at a given time.

Pure: randomness comes from the standard library's `secrets`; nothing here talks to
a network or reads a clock (callers pass `now`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from code_mesh.domain.credentials import OAuthToken
from code_mesh.domain.errors import AuthorizationFailed
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import secret_problem


@dataclass(frozen=True)
class Pkce:
    """RFC 7636 with S256: the verifier stays here, the challenge goes in the URL."""

    verifier: Secret
    challenge: str
    method: str = "S256"

    @classmethod
    def generate(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)[:96]
        return cls(Secret(verifier), s256_challenge(verifier))


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    """An unguessable value that ties the answer to this login attempt (CSRF protection)."""
    return secrets.token_urlsafe(32)


def check_state(received: str | None, expected: str) -> None:
    if received is None or not hmac.compare_digest(received.encode(), expected.encode()):
        raise AuthorizationFailed(
            "The answer does not belong to this login (state mismatch); nothing was stored",
            "Start the login again and use the newest link",
        )


def split_pasted_code(pasted: str, expected_state: str) -> Secret:
    """Anthropic's page shows `CODE#STATE`; both halves are needed and the state must match."""
    text = pasted.strip()
    if not text:
        raise AuthorizationFailed(
            "No authorization code was entered", "Paste the whole CODE#STATE text the page shows"
        )
    code, separator, state = text.partition("#")
    if not separator or not code:
        raise AuthorizationFailed(
            "The pasted text is not of the form CODE#STATE",
            "Copy the whole text the page shows, including the part after #",
        )
    problem = secret_problem(code)
    if problem:
        raise AuthorizationFailed(
            f"The pasted code {problem}; nothing was stored", "Paste the whole CODE#STATE text the page shows"
        )
    check_state(state, expected_state)
    return Secret(code)


@dataclass(frozen=True)
class TokenGrant:
    """What a token endpoint answered."""

    access_token: Secret
    refresh_token: Secret | None = None
    expires_in: float | None = None
    scope: str | None = None

    def as_credential(self, now: float, previous: OAuthToken | None = None) -> OAuthToken:
        """The credential to store: a new refresh token replaces the old (rotation);
        no new one keeps the old (RFC 6749 section 6); metadata carries over."""
        refresh = self.refresh_token or (previous.refresh_token if previous else None)
        return OAuthToken(
            access_token=self.access_token,
            refresh_token=refresh,
            expires_at=None if self.expires_in is None else int(now + self.expires_in),
            account_id=previous.account_id if previous else None,
            enterprise_url=previous.enterprise_url if previous else None,
            scopes=self.scope or (previous.scopes if previous else None),
        )


@dataclass(frozen=True)
class DeviceAuthorization:
    """RFC 8628 section 3.2: what the user must do, and how often to ask."""

    device_code: Secret
    user_code: str
    verification_uri: str
    expires_in: float
    interval: float = 5.0
    verification_uri_complete: str | None = None


class DevicePoll(StrEnum):
    """A device token poll that has no token yet."""

    PENDING = "authorization_pending"
    SLOW_DOWN = "slow_down"


SLOW_DOWN_STEP_SECONDS = 5.0
"""RFC 8628 section 3.5: on slow_down, poll 5 seconds less often from then on."""
