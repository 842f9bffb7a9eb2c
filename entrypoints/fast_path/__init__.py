"""Read-only commands answered with the standard library alone, before the full CLI is imported.

Each module here answers one command's plain forms when nothing must be written (no
migration, no refresh, no narrowing of permissions) and returns None otherwise, so the full
CLI (entrypoints/cli.py) answers with its usual messages. The rules they apply are the same
functions the full commands call (application/credential_choice.py and friends); only the
reading of the store and the catalog is done differently (without SQLAlchemy or tomllib).
"""

from __future__ import annotations

_READERS = {
    ("auth", "list"): "listing:list_credentials",
    ("auth", "ls"): "listing:list_credentials",
    ("auth", "status"): "status:status",
    ("auth", "which"): "status:which",
}
"""(command words) → module:function taking (ReadContext, the remaining arguments)."""


def answer(arguments: list[str]) -> int | None:
    """The exit code when a fast path answered `arguments`; None when the full CLI must."""
    if not arguments or arguments[-1] in ("--help", "-h", "--version"):
        from code_mesh.entrypoints.fast_path.help import print_help_or_version

        code = print_help_or_version(arguments)
        if code is not None:
            return code  # else not a help page: `exec -- claude --help` is COMMAND's own
    if arguments[:2] == ["auth", "token"]:
        from code_mesh.entrypoints.fast_path.token import print_fresh_token

        return print_fresh_token(arguments[2:])
    if arguments[:1] == ["exec"]:
        target = "exec_:exec_command"
        rest = arguments[1:]
    else:
        target = _READERS.get(tuple(arguments[:2]))
        rest = arguments[2:]
    if target is None:
        return None
    return _answer(target, rest)


def _answer(target: str, arguments: list[str]) -> int | None:
    """Run one fast reader; None (the full path answers, as if nothing happened) on HandOver.
    Nothing is printed before a reader has decided to answer, so a hand-over says nothing."""
    import importlib

    from code_mesh.entrypoints.fast_path.gate import HandOver, read_context

    context = read_context()
    if context is None:
        return None
    module, _, function = target.partition(":")
    reader = getattr(importlib.import_module(f"code_mesh.entrypoints.fast_path.{module}"), function)
    try:
        return reader(context, arguments)
    except BrokenPipeError:
        raise  # the reader went away while we printed: main() ends quietly
    except HandOver:
        return None
    except Exception:
        return None  # never a traceback from here: the full path explains whatever it was
    finally:
        context.close()
