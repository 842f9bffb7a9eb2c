"""The program's entry point: the `auth token` fast path first, then the full CLI.

Nothing heavy is imported here. A fresh token is printed by a path that touches only
the standard library's sqlite3 (see fast_token.py); everything else, and every
unusual case of the token path, goes to the cyclopts application in cli.py.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run code-mesh with `argv` (default: the process's arguments); return the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    # Files are private from the moment they exist, whatever umask the caller has.
    os.umask(0o077)
    try:
        if arguments[:2] == ["auth", "token"]:
            from code_mesh.entrypoints.fast_token import print_fresh_token

            code = print_fresh_token(arguments[2:])
            if code is not None:
                return code
        from code_mesh.entrypoints.cli import run

        return run(arguments)
    except KeyboardInterrupt:
        sys.stderr.write("\ncode-mesh: interrupted; nothing was changed.\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing more and keep Python quiet at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
