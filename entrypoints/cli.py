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
from code_mesh.domain.errors import CodeMeshError, DiskFull, NoInput
from code_mesh.domain.rules import debug_setting
from code_mesh.domain.text_rules import secret_pieces
from code_mesh.entrypoints.help_texts import EXAMPLES, USAGE
from code_mesh.entrypoints.output import error_line, hidden_in, hide, shown, warn

_arguments: list[str] = []
"""The command line of the current run, for the one line said about a secret given in it."""

_LOGIN_OPTIONS_WITH_VALUES = ("--account", "--method")


def _login_provider(arguments: list[str]) -> str | None:
    """PROVIDER of `auth login PROVIDER …` when it is a plain id, for the hint to pipe a key in."""
    from code_mesh.domain.rules import is_valid_identifier

    if arguments[:2] != ["auth", "login"]:
        return None
    words = iter(arguments[2:])
    for word in words:
        if word in _LOGIN_OPTIONS_WITH_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            return word if is_valid_identifier(word) and not secret_pieces(word) else None
    return None


def _secret_given(line: str) -> str | None:
    """The line to say instead of a command-line error that would quote what looks like a
    secret (SPEC section 1: never echoed): that it is not shown, and how a key is passed."""
    if not hidden_in(line):
        return None
    from code_mesh.entrypoints.arguments import secret_argument_error

    return secret_argument_error(_login_provider(_arguments)).one_line()


def _usage_words(error: CycloptsError) -> str:
    """cyclopts' message, except where its words are its own jargon: `Unused Tokens: ['x']` is an
    argument the command does not take; an unknown "command" that starts with `-` is an option."""
    from cyclopts.exceptions import UnknownCommandError, UnusedCliTokensError

    unused = error.unused_tokens or []
    command = " ".join(["code-mesh", *(error.command_chain or ())])
    if isinstance(error, UnusedCliTokensError) and unused:
        return f"`{command}` takes no argument {' '.join(unused)!r} here"
    if isinstance(error, UnknownCommandError) and unused and unused[0].startswith("-"):
        return f"`{command}` has no option {unused[0]}"
    return str(error)


def _one_line_usage_error(error: CycloptsError) -> object:
    """cyclopts draws a multi-line panel; SPEC asks for one short line."""
    from rich.text import Text

    message = " ".join(_usage_words(error).split())
    line = _secret_given(message) or f"{message} (see `code-mesh --help`)"
    return Text(f"code-mesh: error: {shown(line)}")


def _error_console() -> object:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))


app = App(
    name="code-mesh",
    help="The credential layer for AI coding tools.",
    help_epilogue=EXAMPLES[()],
    version=f"code-mesh {__version__}",
    error_formatter=_one_line_usage_error,
    error_console=_error_console(),
    result_action="return_value",
    # Plain text help: the markdown renderer alone costs ~40 ms of imports on every --help.
    help_format="plaintext",
    # main() reports Ctrl-C itself (exit 130, on a fresh line); cyclopts would exit silently.
    suppress_keyboard_interrupt=False,
)

auth = App(
    name="auth",
    help="Log in to AI providers and manage stored credentials.",
    help_epilogue=EXAMPLES[("auth",)],
)
app.command(auth)

_COMMANDS = "code_mesh.entrypoints.commands"
# (name, module:function, one-line help): listed here so `--help` imports no command module.
_AUTH_COMMANDS = (
    ("login", "login:login", "Log in to a provider: store a credential and make it active."),
    ("list", "list:list_credentials_command", "List credentials and their status; never secrets."),
    ("logout", "logout:logout", "Remove the active (or named) account of a provider."),
    ("token", "token:token", "Print the usable secret for a provider, for scripts."),
    ("refresh", "refresh:refresh", "Refresh a provider's OAuth credential now."),
    ("switch", "switch:switch", "Make a stored account the active one."),
    ("export", "export:export", "Write the store as auth.json (secrets in the clear, mode 0600)."),
    ("import", "import_:import_credentials_command", "Merge an auth.json into the store, all or nothing."),
    ("doctor", "doctor:doctor", "Check the store, its key, permissions and credentials."),
    ("log", "log:log", "Show the audit log, newest first."),
    ("status", "status:status", "Show the credential each provider would use here, and its state."),
    ("which", "which:which", "Say which credential a provider would use here, and why."),
)
key = App(
    name="key", help="Manage the key that encrypts stored secrets.", help_epilogue=EXAMPLES[("auth", "key")]
)
auth.command(key)
key.command(
    f"{_COMMANDS}.key:rotate",
    name="rotate",
    help="Re-encrypt every secret under a new key.",
    help_epilogue=EXAMPLES[("auth", "key", "rotate")],
)
app.command(
    f"{_COMMANDS}.run:run",
    name="run",
    help="Send a message to a provider and stream the reply.",
    help_epilogue=EXAMPLES[("run",)],
)
app.command(
    f"{_COMMANDS}.exec_help:exec_help",
    name="exec",
    help="Run a command with providers' credentials in its environment.",
    usage=USAGE[("exec",)],
    help_epilogue=EXAMPLES[("exec",)],
)
app.command(
    f"{_COMMANDS}.completion:completion",
    name="completion",
    help="Print a shell completion script (bash, zsh or fish).",
    help_epilogue=EXAMPLES[("completion",)],
)
store = App(
    name="store",
    help="Manage the credential store itself (a team store on PostgreSQL).",
    help_epilogue=EXAMPLES[("store",)],
)
app.command(store)
store.command(
    f"{_COMMANDS}.store:migrate",
    name="migrate",
    help="Bring a team store's schema up to date.",
    help_epilogue=EXAMPLES[("store", "migrate")],
)
for name, target, summary in _AUTH_COMMANDS:
    auth.command(
        f"{_COMMANDS}.{target}",
        name=name,
        help=summary,
        alias="ls" if name == "list" else None,
        usage=USAGE.get(("auth", name)),
        help_epilogue=EXAMPLES.get(("auth", name)),
    )


@app.command(name="--debug")
def _debug_flag() -> None:
    """Log HTTP requests and store operations to stderr, secrets redacted (CODE_MESH_DEBUG=1).

    run() takes the flag out of the command line wherever it stands; this entry only shows it
    in the help (and in shell completion)."""


def _print_frames(error: BaseException) -> None:
    """--debug: where a bug happened (every frame, chained exceptions too), but no exception
    message and no local value, because those can carry a secret (httpx puts a refused header,
    key and all, in its message)."""
    import traceback

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    lines = ["code-mesh debug: where the error happened (messages left out: they can hold secrets)"]
    for exception in reversed(chain):
        for frame in traceback.extract_tb(exception.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        lines.append(f"{type(exception).__module__}.{type(exception).__qualname__}")
    print("\n".join(lines), file=sys.stderr, flush=True)


def run(arguments: list[str]) -> int:
    """Run the CLI; CodeMeshError becomes one line on stderr and its exit code.

    Each run starts afresh (nothing cached by an earlier run in the same process is used), so
    the CLI can be run in-process with other standard streams and another environment."""
    debug_before = os.environ.get("CODE_MESH_DEBUG")
    try:
        return _run(arguments)
    finally:
        if debug_before is None:
            os.environ.pop("CODE_MESH_DEBUG", None)  # --debug set it for this run only
        else:
            os.environ["CODE_MESH_DEBUG"] = debug_before
        hide(())
        if "code_mesh.entrypoints.bootstrap" in sys.modules:
            sys.modules["code_mesh.entrypoints.bootstrap"].reset()
        if "code_mesh.adapters.debug_log" in sys.modules:
            sys.modules["code_mesh.adapters.debug_log"].disable_debug_logging()


def _without_debug_flag(arguments: list[str]) -> tuple[list[str], bool]:
    """The command line without `--debug`, wherever it stands, and whether it was there; but what
    follows exec's COMMAND is COMMAND's own, `--debug` included."""
    from code_mesh.entrypoints.exec_arguments import command_start

    own = len(arguments)
    first = next((index for index, word in enumerate(arguments) if word != "--debug"), None)
    if first is not None and arguments[first] == "exec":
        own = first + 1 + command_start(arguments[first + 1 :])
    kept = [word for word in arguments[:own] if word != "--debug"]
    return kept + arguments[own:], len(kept) != own


def _dispatch(arguments: list[str]) -> object:
    """exec reads its own command line (option parsing stops at COMMAND); cyclopts the rest."""
    if arguments[:1] == ["exec"]:
        from code_mesh.entrypoints.exec_arguments import parse_exec_arguments

        parsed = parse_exec_arguments(arguments[1:])
        if not parsed.help:
            from code_mesh.entrypoints.commands.exec_ import exec_command

            return exec_command(parsed)
        arguments = ["exec", "--help"]
    return app(arguments)


def _run(arguments: list[str]) -> int:
    _arguments[:] = arguments
    hide(piece for word in arguments for piece in secret_pieces(word))
    arguments, debug_flag = _without_debug_flag(arguments)
    if debug_flag:
        os.environ["CODE_MESH_DEBUG"] = "1"
    debug = debug_setting(os.environ.get("CODE_MESH_DEBUG"))
    if debug is None:
        warn(
            "CODE_MESH_DEBUG is set to a value code-mesh does not understand, so debug output "
            "is off; set it to 1 (on) or 0 (off)"
        )
    if debug:
        from code_mesh.adapters.debug_log import enable_debug_logging

        enable_debug_logging()
    try:
        result = _dispatch(arguments)
    except CodeMeshError as error:
        line = error.one_line()
        error_line((_secret_given(line) if error.exit_code == 2 else None) or line)
        return error.exit_code
    except EOFError:  # Ctrl-D at a prompt that did not say so itself
        no_input = NoInput()
        error_line(no_input.one_line())
        return no_input.exit_code
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as error:  # a bug: say so without a traceback that could carry a secret
        from code_mesh.adapters.files.disk_space import is_disk_full
        from code_mesh.entrypoints.bootstrap import home

        if is_disk_full(error, home().root):  # wherever it came from, it is not a bug
            full = DiskFull(f"code-mesh could not write under {home().root}; nothing was changed")
            error_line(full.one_line())
            return full.exit_code
        if debug:
            _print_frames(error)
        error_line(
            f"unexpected internal error ({type(error).__name__}). "
            "Run again with --debug for details and report it"
        )
        return 1
    sys.stdout.flush()
    return result if isinstance(result, int) else 0
