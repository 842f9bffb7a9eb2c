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

PROVIDER_ALIASES = {"github": "github-copilot"}
"""Another tool's id → code-mesh's (SPEC section 2): the Code Mesh CLI calls Copilot `github`.
Every command that maps one says so once; the token fast path hands these to the full path."""

CUSTOM_TOKEN_FIELDS = ("token", "api_key", "key")
"""The fields of a custom credential that `auth token` prints, in order of preference."""

MAX_SECRET_BYTES = 64 * 1024
"""One secret (a key, a token, one value of custom data) is at most this long, in UTF-8."""

_DEBUG_ON = frozenset({"1", "true", "yes", "on"})
_DEBUG_OFF = frozenset({"", "0", "false", "no", "off"})


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


def is_printable_line(value: str) -> bool:
    """Whether `value` can be printed as one line for a script: not empty, no line break, no
    control or invisible character, no lone surrogate, no space at either end.

    str.isprintable() is one C loop, so the token path can afford it on every call."""
    return bool(value) and value.isprintable() and value[0] != " " and value[-1] != " "


def debug_setting(value: str | None) -> bool | None:
    """What CODE_MESH_DEBUG asks for: True (1, true, yes, on), False (unset, empty, 0, false,
    no, off; any case, spaces ignored), None for anything else (off, and said so)."""
    if value is None:
        return False
    word = value.strip().lower()
    if word in _DEBUG_ON:
        return True
    if word in _DEBUG_OFF:
        return False
    return None


def is_past(expires_at: int | None, now: float) -> bool:
    """Whether a token with this expiry can no longer be used at all."""
    return expires_at is not None and now >= expires_at


def is_refresh_due(expires_at: int | None, now: float, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
    """Whether a token with this expiry should be refreshed before it is used: fewer than `margin`
    seconds left (`code-mesh exec` asks for more, since the program it starts cannot refresh)."""
    return expires_at is not None and now >= expires_at - margin


def custom_token_field(names: list[str]) -> str | None:
    """The field of a custom credential `auth token` prints, or None when it is ambiguous."""
    for field in CUSTOM_TOKEN_FIELDS:
        if field in names:
            return field
    if len(names) == 1:
        return names[0]
    return None


def pick_custom_token(data: dict[str, str]) -> str | None:
    """The value `auth token` prints for a custom credential, or None when it is ambiguous."""
    field = custom_token_field(list(data))
    return None if field is None else data[field]
