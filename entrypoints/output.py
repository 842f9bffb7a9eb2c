"""How code-mesh talks: results on stdout, warnings and errors on stderr, one line each."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from code_mesh.domain.text import for_terminal, redact

PROGRAM = "code-mesh"

_hidden: list[str] = []
"""What looked like a secret on the command line: never shown, whatever message quotes it."""


def hide(pieces: Iterable[str]) -> None:
    """From now on every line this module prints shows `pieces` as [redacted]."""
    _hidden[:] = sorted(set(pieces))


def hidden_in(text: str) -> bool:
    """Whether `text` quotes something `hide` was given."""
    return any(piece in text for piece in _hidden)


def shown(text: str) -> str:
    """`text` as it may be printed: what `hide` was given replaced by [redacted]."""
    return redact(text, _hidden) if _hidden else text


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def paint(text: str, code: str, stream: object = None) -> str:
    """`text` in an ANSI colour when `stream` (stdout by default) is a terminal and NO_COLOR is unset."""
    return f"\033[{code}m{text}\033[0m" if _colour(stream or sys.stdout) else text


def say(text: str = "") -> None:
    """A result line for the user, on stdout."""
    print(shown(text), flush=True)


def notice(text: str) -> None:
    """Something the user should know that is not the command's output, on stderr."""
    print(shown(text), file=sys.stderr, flush=True)


def warn(text: str) -> None:
    label = paint("warning", "33", sys.stderr)
    print(f"{PROGRAM}: {label}: {for_terminal(shown(text))}", file=sys.stderr, flush=True)


def error_line(text: str) -> None:
    """One error line; whatever a message quotes from outside cannot steer the terminal."""
    label = paint("error", "31", sys.stderr)
    print(f"{PROGRAM}: {label}: {for_terminal(shown(text))}", file=sys.stderr, flush=True)
