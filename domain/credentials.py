"""Credential variants and the rules that read them against the clock.

Every rule that depends on time takes `now` (Unix seconds) as an argument, so tests
and callers decide what time it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from code_mesh.domain.credential_summary import CredentialSummary
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.rules import (
    REFRESH_MARGIN_SECONDS,
    custom_token_field,
    is_refresh_due,
    pick_custom_token,
)
from code_mesh.domain.secret import Secret
from code_mesh.domain.status import Status, credential_status
from code_mesh.domain.text_rules import name_problem, secret_problem

UNIX_TIME_RANGE = range(-(2**63), 2**63)
"""What an expiry can be: a signed 64-bit integer, as SQLite (and every consumer) holds it."""


class InvalidCredential(ValueError):
    """A credential whose fields cannot make a usable credential (an empty key, say).

    `problem` is what is wrong without naming the field ("holds a line break"), for a caller
    that names the value its own way (an environment variable, say)."""

    def __init__(self, message: str, problem: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem or message


def _require(secret: Secret, what: str) -> None:
    if not isinstance(secret, Secret):
        raise TypeError(f"{what} must be a Secret")
    if not secret.reveal().strip():
        raise InvalidCredential(f"the {what} is empty")


@dataclass(frozen=True)
class ApiKey:
    """A long-lived key sent with each request."""

    key: Secret
    type: ClassVar[str] = "api_key"

    def __post_init__(self) -> None:
        _require(self.key, "API key")

    def usable_secret(self) -> Secret:
        return self.key


@dataclass(frozen=True)
class OAuthToken:
    """An OAuth access token, perhaps with a refresh token and an expiry (Unix seconds)."""

    access_token: Secret
    refresh_token: Secret | None = None
    expires_at: int | None = None
    account_id: str | None = None
    enterprise_url: str | None = None
    scopes: str | None = None
    api_url: str | None = None
    """Where this credential's API requests go, when the provider said so (Copilot's `endpoints.api`)."""
    type: ClassVar[str] = "oauth"

    def __post_init__(self) -> None:
        _require(self.access_token, "access token")
        if self.refresh_token is not None and not isinstance(self.refresh_token, Secret):
            raise TypeError("refresh token must be a Secret")
        if self.expires_at is not None and (
            isinstance(self.expires_at, bool) or not isinstance(self.expires_at, int)
        ):
            raise InvalidCredential("expires_at must be whole Unix seconds")
        if self.expires_at is not None and self.expires_at not in UNIX_TIME_RANGE:
            raise InvalidCredential("expires_at is out of range (it must be Unix seconds)")

    def usable_secret(self) -> Secret:
        return self.access_token

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token)

    def metadata(self) -> dict[str, str]:
        """The non-secret descriptive fields that are set."""
        fields = {
            "account_id": self.account_id,
            "enterprise_url": self.enterprise_url,
            "scopes": self.scopes,
            "api_url": self.api_url,
        }
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Custom:
    """Provider-specific string fields (endpoint, token, …); every value is a secret."""

    data: Mapping[str, Secret] = field(default_factory=dict)
    type: ClassVar[str] = "custom"

    def __post_init__(self) -> None:
        if not self.data:
            raise InvalidCredential("a custom credential needs at least one field")
        for name, value in self.data.items():
            if not isinstance(name, str) or not isinstance(value, Secret):
                raise TypeError("custom data maps field names to Secrets")

    def usable_secret(self) -> Secret | None:
        """The field `auth token` prints, or None when no single field stands out."""
        chosen = pick_custom_token({name: value.reveal() for name, value in self.data.items()})
        return None if chosen is None else Secret(chosen)


Credential = ApiKey | OAuthToken | Custom


def one_line_secret(value: str, what: str) -> Secret:
    """A key, token or pasted code as given: surrounding whitespace dropped, then one line of
    printable text or InvalidCredential naming `what` (never the value)."""
    text = value.strip()
    problem = secret_problem(text)
    if problem:
        raise InvalidCredential(f"the {what} {problem}", problem)
    return Secret(text)


def _checked_text(value: str | None, what: str) -> str | None:
    """Metadata (not secret, but sent in headers and URLs): one line, trimmed; empty is unset."""
    if value is None or not value.strip():
        return None
    return one_line_secret(value, what).reveal()


def _checked_custom(credential: Custom) -> Custom:
    token_field = custom_token_field(list(credential.data))
    data: dict[str, Secret] = {}
    for name, value in credential.data.items():
        problem = name_problem(name)
        if problem:
            raise InvalidCredential(f"a field name of the custom data {problem}")
        if name == token_field:
            data[name] = one_line_secret(value.reveal(), f"custom field {name!r}")
            continue
        problem = secret_problem(value.reveal(), one_line=False)
        if problem:
            raise InvalidCredential(f"the custom field {name!r} {problem}")
        data[name] = value
    return Custom(data)


def checked(credential: Credential) -> Credential:
    """The credential as it may be stored, or InvalidCredential naming the field at fault.

    The one gate for what a user or a file gives (login, import, first use): keys and tokens
    one line and trimmed (SPEC section 2), at most 64 KiB; custom data other than the field
    `auth token` prints may span lines. The constructors stay lenient, so a row an older
    version stored can still be read, listed and logged out."""
    if isinstance(credential, ApiKey):
        return ApiKey(one_line_secret(credential.key.reveal(), "API key"))
    if isinstance(credential, OAuthToken):
        refresh = credential.refresh_token
        return replace(
            credential,
            access_token=one_line_secret(credential.access_token.reveal(), "access token"),
            refresh_token=None if not refresh else one_line_secret(refresh.reveal(), "refresh token"),
            account_id=_checked_text(credential.account_id, "account_id"),
            enterprise_url=_checked_text(credential.enterprise_url, "enterprise_url"),
            scopes=_checked_text(credential.scopes, "scopes"),
            api_url=_checked_text(credential.api_url, "api_url"),
        )
    return _checked_custom(credential)


@dataclass(frozen=True)
class StoredCredential:
    """A credential as the store holds it: whose it is, and whether it is active."""

    provider: ProviderId
    account: AccountName
    credential: Credential
    needs_login: bool = False
    active: bool = False
    refresh_withheld: bool = False
    """A refresh token is stored, but this reader may not see it (a read-only member of a team
    store, SPEC section 13): the credential can be refreshed, only not from here."""

    @property
    def type(self) -> str:
        return self.credential.type

    @property
    def expires_at(self) -> int | None:
        return self.credential.expires_at if isinstance(self.credential, OAuthToken) else None

    @property
    def can_refresh(self) -> bool:
        """It holds a refresh token (seen here or withheld from this reader)."""
        credential = self.credential
        return isinstance(credential, OAuthToken) and (credential.can_refresh or self.refresh_withheld)

    def status(self, now: float) -> Status:
        """SPEC section 2: what this credential is good for at `now`."""
        return credential_status(self.expires_at, self.can_refresh, self.needs_login, now)

    def summary(self) -> CredentialSummary:
        return CredentialSummary(
            self.provider,
            self.account,
            self.type,
            self.expires_at,
            self.can_refresh,
            self.needs_login,
            self.active,
        )

    def refresh_due(self, now: float, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
        """Whether the credential must be refreshed before it is used (fewer than `margin` s left)."""
        credential = self.credential
        return isinstance(credential, OAuthToken) and is_refresh_due(credential.expires_at, now, margin)
