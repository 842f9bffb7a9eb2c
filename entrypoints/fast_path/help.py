"""`code-mesh [COMMAND…] --help` and `code-mesh --version` without cyclopts or rich.

Importing those two is most of what a help page costs (more than ten times `python -c pass`),
so the pages are rendered ahead of time (help_pages.py, by write_help_pages.py) and printed
from here when the output would be the same byte for byte: the plain shapes of the command
line only, and only where rich would print without styles at 80 columns. Anything else (a
terminal, another width, an odd encoding, debug output, another shape) returns None and the
full CLI answers as before. Standard library only, and no `from __future__` import (the
hints here need none; it is one more module to load).
"""

import os
import sys

_HELP_FLAGS = ("--help", "-h")
_PAGE_WIDTH = 80
"""The width help_pages.py was rendered at (write_help_pages.WIDTH; a test keeps them equal)."""


def print_help_or_version(arguments: list[str]) -> int | None:
    """Print the page or the version and return 0, or return None to let the full CLI answer."""
    if arguments == ["--version"]:
        from code_mesh import __version__

        text = f"code-mesh {__version__}\n"
        if not _plain_output_fits(len(text) - 1):
            return None
    elif not arguments or arguments[-1] in _HELP_FLAGS:
        text = _stored_page(tuple(arguments[:-1]))
        if text is None or not _plain_output_at_page_width():
            return None
    else:
        return None
    sys.stdout.write(text)  # a closed pipe raises here: main() says nothing more, as for the full path
    sys.stdout.flush()
    return 0


def _stored_page(tokens: tuple[str, ...]) -> str | None:
    from code_mesh.entrypoints.help_pages import PAGES

    return PAGES.get(tokens)


def _quiet_environment() -> bool:
    """No debug output or warning about CODE_MESH_DEBUG (the full path prints those), and a POSIX
    system (rich narrows legacy Windows consoles by a column)."""
    from code_mesh.domain.rules import debug_setting

    return debug_setting(os.environ.get("CODE_MESH_DEBUG")) is False and os.name == "posix"


def _plain_output_fits(length: int) -> bool:
    """A line of `length` characters, unstyled, would print unwrapped (the version: no styles
    at a terminal either)."""
    return _quiet_environment() and sys.stdout is not None and _rich_width() >= length


def _plain_output_at_page_width() -> bool:
    """rich would write the page as help_pages.py holds it: no terminal (where it adds bold and
    colour), so no styles; a UTF-8 stream (else it draws the boxes in ASCII); 80 columns."""
    if not _quiet_environment() or sys.stdout is None:
        return False
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False  # rich may treat the pipe as a terminal
    try:
        if sys.stdout.isatty():
            return False
    except ValueError:  # a closed stream: the full path decides what to say
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    return encoding.startswith("utf") and _rich_width() == _PAGE_WIDTH


def _rich_width() -> int:
    """The width rich.console.Console.size gives when it is not writing to a terminal: COLUMNS if
    it is a number, else the first of standard input, output and error that is a terminal, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):
            continue
        return width or 80
    return 80
