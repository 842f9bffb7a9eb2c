"""`code-mesh auth token PROVIDER [--account A]` for a fresh credential, at start-up cost.

Parses only the plain forms of the command; anything else (help, a typo, an unknown
option) returns None so the full CLI answers it with its usual messages.
"""

from __future__ import annotations

import os
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


def _may_name_another_store(home: str) -> bool:
    """CODE_MESH_DATABASE_URL, or a config.toml (whose `[store] url` or `[audit] reads` this path
    does not read): then the SQLite file in the home may not be the store to answer from."""
    if os.environ.get("CODE_MESH_DATABASE_URL"):
        return True
    config = os.environ.get("CODE_MESH_CONFIG") or os.path.join(home, "config.toml")
    return os.path.exists(os.path.expanduser(config))


def _fresh_token(arguments: list[str]) -> str | None:
    parsed = _parse(arguments)
    if parsed is None:
        return None
    from code_mesh.domain.rules import debug_setting

    if debug_setting(os.environ.get("CODE_MESH_DEBUG")) is not False:
        return None  # debug output, or a warning about the variable: the full path says it
    provider, account = parsed
    project_account = _project_account(provider)
    if project_account is False:
        return None
    from code_mesh.application.fresh_token import TokenRecord, fresh_token

    home = os.environ.get("CODE_MESH_HOME") or os.path.join(os.path.expanduser("~"), ".code-mesh")
    config = os.environ.get("CODE_MESH_CONFIG") or os.path.join(home, "config.toml")
    if os.path.exists(os.path.expanduser(config)):
        # config.toml may change a provider's `env` (or describe a provider of its own), and
        # reading it needs tomllib (about 10 ms): the full path answers. Issue 14 is to make
        # this case cheap too.
        return None

    def read_record(provider: str, account: str | None) -> TokenRecord | None:
        if _may_name_another_store(home):
            return None  # a team store, or reads audited ([store], [audit]): the full path decides
        # Imported only when no environment variable answered: sqlite3 is the biggest cost here.
        from code_mesh.adapters.store.sqlite_reader import SqliteTokenReader

        return SqliteTokenReader(os.path.abspath(os.path.expanduser(home)), os.environ).read(
            provider, account
        )

    return fresh_token(
        provider, account, os.environ, read_record, time.time(), _catalog_variables, project_account or None
    )


def _project_account(provider: str) -> str | bool | None:
    """The account the nearest project file names for `provider` (SPEC section 11), None when no
    file names one, False when the full path must answer: a file that is malformed, or that it
    warns about (the full path says so, variable set or not)."""
    from code_mesh.adapters.files.project_search import nearest_existing

    cwd, home = os.getcwd(), os.path.expanduser("~")
    if nearest_existing(cwd, home) is None:
        return None  # the common case, told by stat calls alone
    from code_mesh.adapters.files.project_file import find_project_accounts
    from code_mesh.domain.errors import CodeMeshError

    warnings: list[str] = []
    try:
        project = find_project_accounts(cwd, home, warnings.append)
    except CodeMeshError:
        return False
    if warnings:
        return False
    return None if project is None else project.accounts.get(provider)


def _catalog_variables(provider: str) -> tuple[str, ...] | None:
    """The provider's variables from the catalog's generated index (no TOML read here); none for
    a provider the catalog does not hold; None (the full path decides) for a catalog file the
    index does not know, as after an upgrade that added one without regenerating it."""
    from code_mesh.catalog import index

    variables = index.ENVIRONMENT_VARIABLES.get(provider)
    if variables is not None:
        return variables
    if os.path.exists(os.path.join(os.path.dirname(index.__file__), provider + ".toml")):
        return None
    return ()
