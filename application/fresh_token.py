"""The `auth token` hot path: print a stored secret that needs no refresh.

Only what a fresh credential needs is here, with no import beyond `domain.rules`: a
script calling `code-mesh auth token` in a loop pays for every module this touches.
Anything unusual (nothing stored, a refresh due, an ambiguous custom credential)
returns None, and the full use case in `token.py` takes over with its messages.
"""

from __future__ import annotations

from code_mesh.domain.rules import (
    PROVIDER_ALIASES,
    header_safe,
    is_printable_line,
    is_refresh_due,
    is_valid_identifier,
    pick_custom_token,
)

TYPE_CHECKING = False  # not `from typing import`: typing costs the token path ~6 ms
if TYPE_CHECKING:  # not at run time: collections.abc costs the token path about a millisecond
    from collections.abc import Mapping


class TokenRecord:
    """What the narrow read port returns: just enough to decide, no secret in repr."""

    __slots__ = ("custom_data", "expires_at", "has_refresh_token", "needs_login", "secret", "type")

    def __init__(
        self,
        type: str,
        secret: str | None,
        expires_at: int | None,
        needs_login: bool,
        has_refresh_token: bool,
        custom_data: dict[str, str] | None = None,
    ) -> None:
        self.type = type
        self.secret = secret
        self.expires_at = expires_at
        self.needs_login = needs_login
        self.has_refresh_token = has_refresh_token
        self.custom_data = custom_data

    def __repr__(self) -> str:
        return f"TokenRecord(type={self.type!r}, expires_at={self.expires_at!r})"


RecordReader = "Callable[[str, str | None], TokenRecord | None]"
"""The narrow read port: (provider, account or None for the active one) → record."""
VariablesOf = "Callable[[str], tuple[str, ...]]"
"""A provider's environment variables, first wins (from the catalog's index: the fast paths' gate
sends a config.toml, which may change them, to the full path)."""


def fresh_token(
    provider: str,
    account: str | None,
    environ: Mapping[str, str],
    read_record: RecordReader,
    now: float,
    variables_of: VariablesOf,
    project_account: str | None = None,
) -> str | None:
    """The secret to print, or None when the full path must decide.

    `read_record(provider, account)` is the narrow read port; it is only called when
    no environment variable answers first. SPEC section 2's order: `account` (--account), the
    provider's variable, `project_account` (what the nearest project file names), the active
    one. Only one printable line is printed here: an empty, multi-line or padded value goes to
    the full path, which trims or refuses it.
    """
    token = _usable(provider, account, environ, read_record, now, variables_of, project_account)
    return token if token is not None and is_printable_line(token) else None


def _usable(
    provider: str,
    account: str | None,
    environ: Mapping[str, str],
    read_record: RecordReader,
    now: float,
    variables_of: VariablesOf,
    project_account: str | None,
) -> str | None:
    if not is_valid_identifier(provider) or provider in PROVIDER_ALIASES:
        return None  # an alias: the full path maps it and says so
    if account is not None and not is_valid_identifier(account):
        return None
    variables = variables_of(provider)
    if account is None:
        for variable in variables:
            value = environ.get(variable)
            if value:
                # A key with a CR or a newline around or inside it: the full path trims or refuses it.
                return value if header_safe(value) == value else None
    record = read_record(provider, account if account is not None else project_account)
    if record is None or record.needs_login:
        return None
    if record.type == "api_key":
        return record.secret
    if record.type == "oauth":
        return None if is_refresh_due(record.expires_at, now) else record.secret
    if record.type == "custom" and record.custom_data is not None:
        return pick_custom_token(record.custom_data)
    return None
