"""How `code-mesh exec` becomes COMMAND (SPEC section 10): execvpe, or exit 127 / 126 with one line.

Shared by the full command (entrypoints/commands/exec_.py) and the fast path
(entrypoints/fast_path/exec_.py); standard library and domain errors only.
"""

from __future__ import annotations

import os
import sys

from code_mesh.domain.errors import CommandNotFound, CommandNotRunnable

TYPE_CHECKING = False  # exec's fast path imports this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import NoReturn


def replace_this_process(command: Sequence[str], environment: dict[str, str]) -> NoReturn:
    """execvpe, with what code-mesh changed for itself undone first: its umask, the signals Python
    ignores (SIGPIPE, SIGXFSZ), its buffered output (the caller closes what it opened). Returns
    only by raising CommandNotFound (127) or CommandNotRunnable (126)."""
    import _signal  # not `signal`: its enums cost the fast path about a millisecond

    sys.stdout.flush()
    sys.stderr.flush()
    for name in ("SIGPIPE", "SIGXFSZ"):
        number = getattr(_signal, name, None)
        if number is not None:
            _signal.signal(number, _signal.SIG_DFL)
    from code_mesh.entrypoints import main as program

    if program.umask_at_start is not None:
        os.umask(program.umask_at_start)
    try:
        os.execvpe(command[0], list(command), environment)
    except (FileNotFoundError, NotADirectoryError):
        if not _exists(command[0], environment):
            raise CommandNotFound(
                f"{command[0]}: command not found (not on PATH); nothing was run",
                "Check its name, or give its path",
            ) from None
        raise _not_runnable(command[0], "its interpreter or a library it needs is missing") from None
    except OSError as error:
        raise _not_runnable(command[0], error.strerror or type(error).__name__) from None
    finally:
        os.umask(0o077)


def _exists(name: str, environment: Mapping[str, str]) -> bool:
    import shutil

    if os.sep in name:
        return os.path.exists(name)
    return shutil.which(name, mode=os.F_OK, path=environment.get("PATH", os.defpath)) is not None


def _not_runnable(name: str, why: str) -> CommandNotRunnable:
    return CommandNotRunnable(
        f"{name} cannot be run ({why}); nothing was run",
        "Check that it is a program and that you may execute it",
    )
