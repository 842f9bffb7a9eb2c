"""How code-mesh talks: results on stdout, warnings and errors on stderr, one line each."""

from __future__ import annotations

import os
import sys

from code_mesh.domain.text import for_terminal

PROGRAM = "code-mesh"


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def paint(text: str, code: str, stream: object = None) -> str:
    """`text` in an ANSI colour when `stream` (stdout by default) is a terminal and NO_COLOR is unset."""
    return f"\033[{code}m{text}\033[0m" if _colour(stream or sys.stdout) else text


def say(text: str = "") -> None:
    """A result line for the user, on stdout."""
    print(text, flush=True)


def notice(text: str) -> None:
    """Something the user should know that is not the command's output, on stderr."""
    print(text, file=sys.stderr, flush=True)


def warn(text: str) -> None:
    print(
        f"{PROGRAM}: {paint('warning', '33', sys.stderr)}: {for_terminal(text)}", file=sys.stderr, flush=True
    )


def error_line(text: str) -> None:
    """One error line; whatever a message quotes from outside cannot steer the terminal."""
    print(f"{PROGRAM}: {paint('error', '31', sys.stderr)}: {for_terminal(text)}", file=sys.stderr, flush=True)
