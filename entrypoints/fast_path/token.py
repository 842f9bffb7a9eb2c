"""`code-mesh auth token PROVIDER [--account A]` for a fresh credential, at start-up cost.

Parses only the plain forms of the command; anything else (help, a typo, an unknown
option) returns None so the full CLI answers it with its usual messages.
"""

from __future__ import annotations

import sys
import time


def _parse(arguments: list[str]) -> tuple[str, str | None] | None:
    if len(arguments) == 1 and not arguments[0].startswith("-"):
        return arguments[0], None
    if len(arguments) == 3 and arguments[1] == "--account" and not arguments[0].startswith("-"):
        return arguments[0], arguments[2]
    if len(arguments) == 2 and arguments[1].startswith("--account="):
        return arguments[0], arguments[1].partition("=")[2]
    return None


def print_fresh_token(arguments: list[str]) -> int | None:
    """Print the token and return 0, or return None to let the full CLI decide.

    Never a traceback from here: whatever goes wrong on this path (a damaged store, an odd
    environment) hands over to the full path, which explains it in one line."""
    try:
        token = _fresh_token(arguments)
        if token is None:
            return None
        line = token + "\n"
        line.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict")
    except Exception:
        return None
    sys.stdout.write(line)
    sys.stdout.flush()
    return 0


def _fresh_token(arguments: list[str]) -> str | None:
    """The token, when the gate every fast read passes lets this path answer (fast_path/gate.py:
    no debug, no team store, no config.toml, the index current, the store ordinary)."""
    parsed = _parse(arguments)
    if parsed is None:
        return None
    from code_mesh.entrypoints.fast_path.gate import read_context

    context = read_context()
    if context is None:
        return None
    try:
        provider, account = parsed
        project = context.project()  # HandOver for a malformed one: the full path names file and line
        if context.warnings:
            return None  # a project file it ignores: the full path says so, variable set or not
        project_account = None if project is None else project.accounts.get(provider)
        from code_mesh.application.fresh_token import TokenRecord, fresh_token

        def read_record(provider: str, account: str | None) -> TokenRecord | None:
            # Called only when no environment variable answered: sqlite3 is the biggest cost here.
            from code_mesh.adapters.store.sqlite_reader import SqliteTokenReader

            return SqliteTokenReader(context.home, context.environ).read(provider, account, context.store())

        return fresh_token(
            provider, account, context.environ, read_record, time.time(), _catalog_variables, project_account
        )
    finally:
        context.close()


def _catalog_variables(provider: str) -> tuple[str, ...]:
    """The provider's variables from the catalog's generated index (no TOML read here; the gate
    made sure the index is current); none for a provider the catalog does not hold."""
    from code_mesh.catalog import index

    return index.ENVIRONMENT_VARIABLES.get(provider, ())
