"""The cyclopts application: command names, help texts, and how failures are shown.

Each command lives in its own module under commands/ and is imported only when it
runs (cyclopts' lazy "module:function" commands), so `--help` stays light.
"""

from __future__ import annotations

import os
import sys

from cyclopts import App
from cyclopts.exceptions import CycloptsError

from code_mesh import __version__
from code_mesh.domain.errors import CodeMeshError
from code_mesh.entrypoints.output import error_line


def _one_line_usage_error(error: CycloptsError) -> object:
    """cyclopts draws a multi-line panel; SPEC asks for one short line."""
    from rich.text import Text

    message = " ".join(str(error).split())
    return Text(f"code-mesh: error: {message} (see `code-mesh --help`)")


def _error_console() -> object:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))


app = App(
    name="code-mesh",
    help="The credential layer for AI coding tools.",
    version=__version__,
    error_formatter=_one_line_usage_error,
    error_console=_error_console(),
    result_action="return_value",
    # main() reports Ctrl-C itself (exit 130, on a fresh line); cyclopts would exit silently.
    suppress_keyboard_interrupt=False,
)

auth = App(
    name="auth",
    help="Log in to AI providers and manage stored credentials.",
)
app.command(auth)

_COMMANDS = "code_mesh.entrypoints.commands"
auth.command(f"{_COMMANDS}.login:login", name="login")
auth.command(f"{_COMMANDS}.list:list_credentials_command", name="list", alias="ls")
auth.command(f"{_COMMANDS}.logout:logout", name="logout")
auth.command(f"{_COMMANDS}.token:token", name="token")
auth.command(f"{_COMMANDS}.switch:switch", name="switch")
auth.command(f"{_COMMANDS}.export:export", name="export")
auth.command(f"{_COMMANDS}.import_:import_credentials_command", name="import")


def run(arguments: list[str]) -> int:
    """Run the CLI; CodeMeshError becomes one line on stderr and its exit code."""
    if "--debug" in arguments:
        arguments = [word for word in arguments if word != "--debug"]
        os.environ["CODE_MESH_DEBUG"] = "1"
    try:
        result = app(arguments)
    except CodeMeshError as error:
        error_line(error.one_line())
        return error.exit_code
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except KeyboardInterrupt:
        raise
    except Exception as error:  # a bug: say so without a traceback that could carry a secret
        if os.environ.get("CODE_MESH_DEBUG"):
            raise
        error_line(
            f"unexpected internal error ({type(error).__name__}). "
            "Run again with --debug for details and report it"
        )
        return 1
    sys.stdout.flush()
    return result if isinstance(result, int) else 0
