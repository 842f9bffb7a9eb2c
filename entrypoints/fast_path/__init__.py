"""Read-only commands answered with the standard library alone, before the full CLI is imported.

Each module here answers one command's plain forms when nothing must be written (no
migration, no refresh, no narrowing of permissions) and returns None otherwise, so the full
CLI (entrypoints/cli.py) answers with its usual messages. The rules they apply are the same
functions the full commands call (application/credential_choice.py and friends); only the
reading of the store and the catalog is done differently (without SQLAlchemy or tomllib).
"""

from __future__ import annotations


def answer(arguments: list[str]) -> int | None:
    """The exit code when a fast path answered `arguments`; None when the full CLI must."""
    if arguments[:2] == ["auth", "token"]:
        from code_mesh.entrypoints.fast_path.token import print_fresh_token

        return print_fresh_token(arguments[2:])
    return None
