"""Text from outside (servers, the environment) made safe to show: escaped, redacted, bounded.

A server can put escape sequences in an error message, a user code or a reply; printed as
they are, they move the cursor, rewrite what the terminal shows, set its title or hide a
line. So every text that comes from outside is passed through `for_terminal` (or
`one_line`) before it is printed: C0 controls (newline and tab only where a caller keeps
them), ESC, DEL, C1 controls, the bidirectional overrides ("Trojan Source") and lone
surrogates (which cannot even be encoded) are written as visible escapes such as `\\x1b`.
"""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "[redacted]"
ELLIPSIS = "…"

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)
_KEPT_IN_TEXT = frozenset("\n\t")


def _is_unsafe(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or char in _BIDI_CONTROLS


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every character that could steer a terminal written as an escape.

    By default the result is one printable line: every character Python does not call
    printable is escaped (format characters and private-use ones too). `keep_newlines` is
    for text meant to be read as text (a reply): newline and tab stay, and so do the
    harmless format characters that emoji and scripts need (a zero-width joiner), while
    controls, bidi overrides and surrogates are still escaped."""
    if text.isprintable():
        return text
    if keep_newlines:
        return "".join(_escape(c) if _is_unsafe(c) and c not in _KEPT_IN_TEXT else c for c in text)
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by [redacted] (longest first, so a
    secret that contains another is hidden whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def one_line(text: str, limit: int = 200, secrets: Iterable[str] = ()) -> str:
    """`text` as one safe line of at most `limit` characters (then "…"): secrets redacted first,
    so a cut never leaves part of one behind; surrounding whitespace dropped."""
    raw = redact(text, secrets).strip()
    cleaned = for_terminal(raw[: limit + 1])  # escaping only lengthens: the prefix is enough
    if len(raw) <= limit and len(cleaned) <= limit:
        return cleaned
    return cleaned[:limit].rstrip() + ELLIPSIS
