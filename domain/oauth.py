"""OAuth values and rules: PKCE, state, what a token response means at a given time.

Pure: randomness comes from the standard library's `secrets`; nothing here talks to
a network or reads a clock (callers pass `now`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from code_mesh.domain.credentials import OAuthToken
from code_mesh.domain.errors import AuthorizationFailed
from code_mesh.domain.secret import Secret
from code_mesh.domain.text_rules import secret_problem


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


def state_matches(received: str | None, expected: str) -> bool:
    """Whether an answer carries this login's state (compared in constant time)."""
    return received is not None and hmac.compare_digest(received.encode(), expected.encode())


def check_state(received: str | None, expected: str) -> None:
    if not state_matches(received, expected):
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
            api_url=previous.api_url if previous else None,
        )


@dataclass(frozen=True)
class ExchangedToken:
    """A token bought with another one (the Copilot token, with the GitHub token): it expires at
    `expires_at` (Unix seconds), and `api_url` is where its API requests go, when the answer said."""

    token: Secret
    expires_at: int
    api_url: str | None = None


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


# -- what servers send, read defensively ---------------------------------------------------

REFUSED_GRANT = "invalid_grant"
"""The one answer that means the refresh token itself is no good (RFC 6749 section 5.2)."""

_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}(?![A-Za-z0-9_.-])")
_DECIMAL = re.compile(r"\d{1,15}(\.\d{1,9})?")

MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 3600
DEFAULT_POLL_INTERVAL_SECONDS = 5.0
MAX_POLL_INTERVAL_SECONDS = 60.0
DEFAULT_DEVICE_CODE_LIFETIME_SECONDS = 900.0
MAX_DEVICE_CODE_LIFETIME_SECONDS = 1800.0
LATEST_UNIX_SECONDS = 253_402_300_799
"""9999-12-31 23:59:59 UTC: an expiry beyond it is not a time (and would not fit the store)."""
MAX_USER_CODE_LENGTH = 64
MAX_URL_LENGTH = 2048


def error_code(value: str) -> str | None:
    """The leading RFC 6749 error word of an `error` field, or None when it does not start with one.

    "invalid_grant: refresh token sk-… is revoked" is invalid_grant; the rest is never shown,
    because servers put the offending token there."""
    match = _ERROR_CODE.match(value)
    return match.group() if match else None


def finite_seconds(value: object) -> float | None:
    """A duration as a server sent it (a JSON number, or a decimal string as some send), in
    seconds; None for anything else: a bool, NaN, Infinity, a negative number, 10**400."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if 0 <= value <= 10**15 else None
    if isinstance(value, float):
        return value if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return float(value)
    return None


def token_lifetime(value: object) -> float | None:
    """`expires_in` of a token response as seconds, or None: expiry unknown.

    Anything but a finite number of seconds from 0 to 10 years is taken as unknown, never
    refused: when the server answers, it has already rotated the refresh token, so refusing
    the answer would throw the only working one away (issue 9, D4). A token of unknown expiry
    is used until the API refuses it; `run` then refreshes it once."""
    seconds = finite_seconds(value)
    return seconds if seconds is not None and seconds <= MAX_TOKEN_LIFETIME_SECONDS else None


def poll_interval(value: object) -> float:
    """A device flow's `interval` (RFC 8628 section 3.2): 5 s when missing or not a number,
    at most 60 s, so an interval of 10**9 or Infinity cannot stall the login."""
    seconds = finite_seconds(value)
    return DEFAULT_POLL_INTERVAL_SECONDS if seconds is None else min(seconds, MAX_POLL_INTERVAL_SECONDS)


def device_code_lifetime(value: object) -> float:
    """A device code's `expires_in`: 900 s when missing, zero or not a number, at most 30 min."""
    seconds = finite_seconds(value)
    return (
        DEFAULT_DEVICE_CODE_LIFETIME_SECONDS
        if not seconds
        else min(seconds, MAX_DEVICE_CODE_LIFETIME_SECONDS)
    )


def unix_seconds(value: object) -> int | None:
    """An absolute expiry (Copilot's `expires_at`): whole Unix seconds up to the year 9999, else None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LATEST_UNIX_SECONDS:
        return value
    return None


def displayable_user_code(value: object) -> str | None:
    """A device flow's `user_code` when it is printable ASCII a person can type, else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_USER_CODE_LENGTH:
        return None
    return value if all(" " <= char <= "~" for char in value) else None


def web_url(value: object) -> str | None:
    """An http(s) URL with a host, printable ASCII and no spaces, else None (a verification URI)."""
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        return None
    if not all("!" <= char <= "~" for char in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def claimed_expiry(token: str) -> int | None:
    """The `exp` a token states about itself, when it is a JWT (three base64url parts, the middle
    one a JSON object with an integer `exp`); None for an opaque token (Claude Code's setup tokens
    are opaque today) or anything that does not parse."""
    import json

    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, RecursionError):
        return None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    return unix_seconds(expires) if isinstance(expires, int) and not isinstance(expires, bool) else None
