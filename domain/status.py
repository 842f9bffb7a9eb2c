"""What a credential is good for at a given time (SPEC section 2), told without its secrets."""

from __future__ import annotations

from enum import StrEnum

from code_mesh.domain.rules import is_past


class Status(StrEnum):
    AUTHENTICATED = "authenticated"
    EXPIRED = "expired"
    NEEDS_LOGIN = "needs-login"
    NOT_AUTHENTICATED = "not-authenticated"
    LOCKED = "locked"
    """Stored, but its secret cannot be opened here: the key is missing or does not match."""


def credential_status(expires_at: int | None, can_refresh: bool, needs_login: bool, now: float) -> Status:
    """SPEC section 2: what a credential is good for at `now` (secrets not needed)."""
    if needs_login:
        return Status.NEEDS_LOGIN
    if is_past(expires_at, now):
        return Status.EXPIRED if can_refresh else Status.NEEDS_LOGIN
    return Status.AUTHENTICATED
