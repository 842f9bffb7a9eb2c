"""What text from outside (a user, a file, a server) may hold before code-mesh keeps or shows it.

A key, token or pasted code is one line: surrounding whitespace is dropped, and an empty
value, an inner line break, a control or invisible character, a lone surrogate (which
JSON's `\\ud800` smuggles in) or more than 64 KiB is refused. Other custom data may span
lines (a PEM key) but holds no other control character. Names that reach the terminal
(custom field names, a provider's display name) are one printable line. (Showing text that
was never validated is domain/text.py's job.) The problems
are described, never quoted: the value may be a secret.
"""

from __future__ import annotations

from code_mesh.domain.rules import MAX_SECRET_BYTES

LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
"""Every character str.splitlines() breaks at."""

_ALLOWED_IN_MULTILINE = frozenset("\n\r\t")
MAX_NAME_LENGTH = 128
"""A custom field name or a provider's display name, in characters."""


def _is_control(char: str) -> bool:
    """C0, DEL and C1: what a terminal may act on (ESC starts every escape sequence)."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def secret_problem(value: str, *, one_line: bool = True) -> str | None:
    """Why `value` cannot be stored as a secret, as the end of a sentence; None when it can.

    `one_line`: a key, token or code (already trimmed by the caller); otherwise custom data
    that may span lines. Emptiness is the caller's rule for multi-line data."""
    if one_line and not value:
        return "is empty"
    if len(value) > MAX_SECRET_BYTES:
        return "is longer than 64 KiB"
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid text (it holds a lone surrogate)"
    if size > MAX_SECRET_BYTES:
        return "is longer than 64 KiB"
    if one_line:
        if value.isprintable():
            return None
        if any(char in LINE_BREAKS for char in value):
            return "holds a line break (it must be one line)"
        return "holds a control or invisible character"
    if any(_is_control(char) and char not in _ALLOWED_IN_MULTILINE for char in value):
        return "holds a control character"
    return None


def name_problem(value: str) -> str | None:
    """Why `value` cannot be a name shown on the terminal; None when it can."""
    if not value.strip():
        return "is empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if not value.isprintable():
        return "holds a line break, a control or an invisible character"
    return None
