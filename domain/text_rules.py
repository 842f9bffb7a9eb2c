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

import itertools

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


SECRET_PREFIXES = (
    "sk-",  # OpenAI (sk-proj-), Anthropic (sk-ant-), OpenRouter (sk-or-), DeepSeek …
    "gho_",  # GitHub OAuth token
    "ghp_",  # GitHub personal access token (classic)
    "ghu_",  # GitHub user-to-server token (what Copilot's device flow returns)
    "ghs_",  # GitHub server-to-server token
    "ghr_",  # GitHub refresh token
    "github_pat_",  # GitHub fine-grained personal access token
    "xai-",  # xAI
    "AIza",  # Google API key (Gemini)
    "gsk_",  # Groq
    "hf_",  # Hugging Face
    "glpat-",  # GitLab personal access token
    "pplx-",  # Perplexity
    "r8_",  # Replicate
    "xoxb-",  # Slack bot token
    "xoxp-",  # Slack user token
    "AKIA",  # AWS access key id
    "ya29.",  # Google OAuth access token
    "eyJ",  # a JWT (base64 of '{"')
    "npm_",  # npm
    "pypi-",  # PyPI
)
"""How the keys and tokens of well-known services start (their published formats)."""

_PIECE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+~/")
_SEPARATORS = frozenset("_-.+~/")
_MIN_AFTER_PREFIX = 12
"""A prefix alone is not enough: `xai-proxy` is a fine provider id, `xai-9fK2…` is a key."""
_SHORT_TAIL_PREFIXES = ("sk-", "gho_", "ghp_", "ghu_", "ghs_", "ghr_", "github_pat_", "gsk_")
"""Prefixes no provider id or account name starts with, where a short tail with a digit or a
capital is already a key: LiteLLM's documented master key is `sk-1234`, and test keys such
as `sk-test-123` are what people paste first. `sk-doctor` (no digit) stays a word."""
_MIN_AFTER_SHORT_PREFIX = 4
_MIN_RANDOM_SEGMENT = 16
_MIN_RANDOM_WORD = 24


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character: about 4.5 for random base62, 2 to 3 for words."""
    import math

    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _segments(piece: str) -> list[str]:
    segment: list[str] = []
    found: list[str] = []
    for char in piece:
        if char in _SEPARATORS:
            found.append("".join(segment))
            segment = []
        else:
            segment.append(char)
    found.append("".join(segment))
    return [s for s in found if s]


def _is_secret_piece(piece: str) -> bool:
    for prefix in SECRET_PREFIXES:
        rest = piece[len(prefix) :]
        if not piece.startswith(prefix):
            continue
        short_tail = prefix in _SHORT_TAIL_PREFIXES
        if short_tail and len(rest) >= _MIN_AFTER_PREFIX:
            return True  # `sk-proj-abcdefghijklmnop`: a made-up key is still a key
        shortest = _MIN_AFTER_SHORT_PREFIX if short_tail else _MIN_AFTER_PREFIX
        if len(rest) >= shortest and any(c.isdigit() or c.isupper() for c in rest):
            return True
    # Random text mixes letters and digits, or upper and lower case, in long stretches; names,
    # paths and model ids do not (`claude-3-5-sonnet-20241022` is short words and a date).
    for segment in _segments(piece):
        if len(segment) < _MIN_RANDOM_SEGMENT:
            continue
        mixes_digits = any(c.isdigit() for c in segment) and any(c.isalpha() for c in segment)
        if mixes_digits and _entropy(segment) >= 3.0:
            return True
        case_changes = sum(a.isupper() != b.isupper() for a, b in itertools.pairwise(segment))
        if case_changes * 3 >= len(segment) and _entropy(segment) >= 3.5:
            return True
    # base64url cut short by its own `-` and `_`: long, and every kind of character.
    classes = all(any(test(c) for c in piece) for test in (str.isupper, str.islower, str.isdigit))
    return len(piece) >= _MIN_RANDOM_WORD and "/" not in piece and classes and _entropy(piece) >= 4.0


def secret_pieces(text: str) -> list[str]:
    """The parts of `text` (a command-line argument, say) that look like a key or a token:
    a known prefix followed by more, or a long random-looking word. Messages hide these."""
    pieces: list[str] = []
    current: list[str] = []
    for char in [*text, " "]:
        if char in _PIECE_CHARS:
            current.append(char)
            continue
        if current:
            piece = "".join(current)
            if _is_secret_piece(piece):
                pieces.append(piece)
            current = []
    return pieces


def looks_like_secret(text: str) -> bool:
    """Whether `text` holds something that looks like a key or a token (see secret_pieces)."""
    return bool(secret_pieces(text))
