"""The program's entry point: the read-only fast paths first, then the full CLI.

Nothing heavy is imported here. `auth token`, `auth list`, `auth status`, `auth which` and
`exec` are answered, when nothing must be written, by paths that touch only the standard
library, and `--help` and `--version` from pages rendered ahead of time (see fast_path/);
everything else, and every unusual case of those, goes to the cyclopts application in cli.py.

Ctrl-C is exit 130 and one line from the first statement of this module on. Inside
main() it is the usual KeyboardInterrupt, so `finally` blocks run and transactions roll
back; before (while this module and main() start) and after (at exit) nothing is under
way that needs unwinding, and SIGINT ends the process at once. No `from __future__`
import here: it would have to come before the handler.
"""

# _signal, not signal: `import signal` builds its enums first (about a millisecond), and a
# Ctrl-C meanwhile would still end in a traceback. The C module is there before any import.
import _signal

_INTERRUPTED = "\ncode-mesh: interrupted; nothing was changed.\n"
_raise_interrupts = False


def _on_interrupt(_signal_number: int, _frame: object) -> None:
    if _raise_interrupts:
        raise KeyboardInterrupt
    import os

    os.write(2, _INTERRUPTED.encode())
    os._exit(130)


# A SIGINT ignored when the program started (`nohup`, a background job) stays ignored.
_HANDLER_BEFORE = _signal.getsignal(_signal.SIGINT)
if _HANDLER_BEFORE is _signal.default_int_handler:
    _signal.signal(_signal.SIGINT, _on_interrupt)

import os  # noqa: E402  (the guarantee starts at the first statement, before these)
import sys  # noqa: E402


def _exit_on_unraisable_interrupt(hook: object) -> object:
    """A Ctrl-C that lands in a finaliser (__del__, a weakref callback) cannot propagate, and
    Python would print it with a traceback: exit 130 instead, as for any other Ctrl-C."""

    def report(unraisable: "sys.UnraisableHookArgs") -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            os.write(2, _INTERRUPTED.encode())
            os._exit(130)
        hook(unraisable)  # type: ignore[operator]

    return report


umask_at_start: int | None = None
"""The umask the program was started with, before main() narrowed it: `exec` gives it back to COMMAND."""


def _interrupted() -> int:
    sys.stderr.write(_INTERRUPTED)
    sys.stderr.flush()
    return 130


def _end_at_once(code: int) -> None:
    """A fast path answered: end the process here, without the interpreter's teardown.

    Freeing every module and running OpenSSL's and the interpreter's exit handlers cost about
    1.8 ms, as much as everything `auth token` itself does (benchmarks/startup.py). Nothing on the
    fast paths needs them: each closes its store before it returns, and none registers atexit
    work. The output is flushed first; if that fails, the ordinary exit reports it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        return
    os._exit(code)


def main(argv: list[str] | None = None, *, fast: bool = True) -> int:
    """Run code-mesh with `argv` (default: the process's arguments); return the exit code.

    `fast=False` skips the read-only fast paths (entrypoints/fast_path/), so the tests can hold
    both paths' answers side by side."""
    global _raise_interrupts, umask_at_start
    arguments = sys.argv[1:] if argv is None else list(argv)
    # Files are private from the moment they exist, whatever umask the caller has.
    umask_before = umask_at_start = os.umask(0o077)
    if argv is None:
        sys.unraisablehook = _exit_on_unraisable_interrupt(sys.unraisablehook)  # type: ignore[assignment]
    try:
        _raise_interrupts = True
        if fast:
            from code_mesh.entrypoints.fast_path import answer

            code = answer(arguments)
            if code is not None:
                if argv is None:
                    _end_at_once(code)
                return code
        from code_mesh.entrypoints.cli import run

        return run(arguments)
    except KeyboardInterrupt:
        _raise_interrupts = False  # another Ctrl-C meanwhile ends the process at once
        return _interrupted()
    except RuntimeError as error:
        # A Ctrl-C while a module defines a class arrives wrapped: Python turns what a
        # descriptor's __set_name__ raises (a cached_property's) into a RuntimeError.
        if not isinstance(error.__cause__, KeyboardInterrupt):
            raise
        _raise_interrupts = False
        return _interrupted()
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing more and keep Python quiet at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        _raise_interrupts = False
        if argv is not None:
            os.umask(umask_before)  # called in-process (tests): the caller's umask again
        if argv is not None and _signal.getsignal(_signal.SIGINT) is _on_interrupt:
            # Called in-process (tests): leave the caller's Ctrl-C as it was (only the main
            # thread may set it).
            import contextlib

            with contextlib.suppress(ValueError):
                _signal.signal(_signal.SIGINT, _HANDLER_BEFORE)
