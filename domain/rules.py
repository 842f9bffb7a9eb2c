"""Rules shared by the full domain model and the `auth token` fast path.

This module imports nothing at all: the token path uses it to decide whether a
stored secret can be printed as it is, and every import here would be paid by each
script that calls `code-mesh auth token`.
"""

from __future__ import annotations

REFRESH_MARGIN_SECONDS = 300
"""An OAuth token with fewer seconds than this left is refreshed before use."""

DEFAULT_ACCOUNT = "default"

_FIRST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_OTHER_CHARS = _FIRST_CHARS | frozenset("._-")
MAX_IDENTIFIER_LENGTH = 64

ENVIRONMENT_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
"""Provider id → the environment variable that beats its stored credential (SPEC section 2)."""

CUSTOM_TOKEN_FIELDS = ("token", "api_key", "key")
"""The fields of a custom credential that `auth token` prints, in order of preference."""


def header_safe(value: str) -> str | None:
    """`value` without surrounding whitespace when what remains can travel in an HTTP header
    (printable ASCII); None when a control character (a CR or LF inside, say) or a non-ASCII
    one is left, or nothing is. Keys pasted or read from a file often end in a newline or CR."""
    trimmed = value.strip()
    if trimmed and all(" " <= char <= "~" for char in trimmed):
        return trimmed
    return None


def is_valid_identifier(value: str) -> bool:
    """Whether `value` matches ^[a-z0-9][a-z0-9._-]{0,63}$ (provider ids, account names)."""
    return (
        0 < len(value) <= MAX_IDENTIFIER_LENGTH
        and value[0] in _FIRST_CHARS
        and all(char in _OTHER_CHARS for char in value)
    )


def is_past(expires_at: int | None, now: float) -> bool:
    """Whether a token with this expiry can no longer be used at all."""
    return expires_at is not None and now >= expires_at


def is_refresh_due(expires_at: int | None, now: float) -> bool:
    """Whether a token with this expiry should be refreshed before it is used."""
    return expires_at is not None and now >= expires_at - REFRESH_MARGIN_SECONDS


def pick_custom_token(data: dict[str, str]) -> str | None:
    """The value `auth token` prints for a custom credential, or None when it is ambiguous."""
    for field in CUSTOM_TOKEN_FIELDS:
        if field in data:
            return data[field]
    if len(data) == 1:
        return next(iter(data.values()))
    return None
