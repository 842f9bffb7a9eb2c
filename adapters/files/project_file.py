"""The nearest project file (`.code-mesh.toml`, SPEC section 11), checked strictly.

A project file comes with a repository someone else may have written, so it can only choose
among the user's own accounts: `[accounts]` with `provider = "account"` and nothing else. A URL,
a header, a client id, another table, a bad id or name is an error that names the file and the
line, before anything is read from the store or sent anywhere. A file that the user does not
own, or that group or others may write, is ignored with a one-line warning (nobody can plant
`/tmp/.code-mesh.toml` for you), and the walk goes on to the next parent.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from code_mesh.adapters.files.project_search import candidates
from code_mesh.adapters.files.toml_text import ConfigError, TomlText, line_of, read_toml
from code_mesh.application.credential_choice import ProjectAccounts
from code_mesh.domain.rules import PROVIDER_ALIASES, is_valid_identifier
from code_mesh.domain.text import one_line
from code_mesh.domain.text_rules import looks_like_secret

PROJECT_FILE_LIMIT = 64 * 1024
"""A project file names a few accounts; anything near this size is not one."""
ONLY_ACCOUNTS = (
    'a project file may only hold [accounts] with provider = "account" lines (URLs, headers and '
    "client ids come only from your own config.toml)"
)


def _ignored_because(path: str, uid: int) -> str | None:
    """Why the file at `path` is not to be trusted, or None when it is the user's own and private.
    The link itself (when it is one) and what it leads to are both judged."""
    try:
        link = os.lstat(path)
        info = os.stat(path)
    except OSError as error:
        return f"it cannot be read ({error.strerror or type(error).__name__})"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    for what in (link, info):
        if what.st_uid != uid:
            return f"it is owned by uid {what.st_uid}, not by you"
    if info.st_mode & 0o022:
        return f"group or others may write it (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def find_project_accounts(cwd: str, home: str, warn: Callable[[str], None]) -> ProjectAccounts | None:
    """The accounts of the nearest trusted project file between `cwd` and `home` (see
    project_search), or None; ConfigError naming the file and line when it is malformed."""
    uid = os.getuid()
    for path in candidates(cwd, home):
        try:
            os.lstat(path)
        except OSError:
            continue
        reason = _ignored_because(path, uid)
        if reason is not None:
            warn(f"ignoring the project file {path}: {reason}")
            continue
        return read_project_file(Path(path))
    return None


def read_project_file(path: Path) -> ProjectAccounts:
    document = read_toml(path, PROJECT_FILE_LIMIT)
    if document is None:  # gone since it was seen
        return ProjectAccounts(str(path))
    accounts: dict[str, str] = {}
    lines: dict[str, int] = {}
    for top, value in document.document.items():
        if top != "accounts" or not isinstance(value, dict):
            shown = "a key that looks like a secret (not shown)"
            if not looks_like_secret(top):
                shown = repr(one_line(top, 40))
            what = "accounts must be a table:" if top == "accounts" else f"{shown} is not allowed:"
            raise _refused(document, "", top, f"{what} {ONLY_ACCOUNTS}")
        for provider, account in value.items():
            if looks_like_secret(provider) or (isinstance(account, str) and looks_like_secret(account)):
                raise _refused(
                    document, "accounts", provider,
                    "a value looks like a key or a token (it is not shown): a project file names accounts, "
                    "never secrets",
                )  # fmt: skip
            if isinstance(account, dict):
                raise _refused(
                    document, "accounts", provider, f"a table in [accounts] is not allowed: {ONLY_ACCOUNTS}"
                )
            if not is_valid_identifier(provider):
                raise _refused(
                    document, "accounts", provider,
                    f"{one_line(provider, 40)!r} is not a provider id (lowercase letters, digits, '.', '_' "
                    "or '-')",
                )  # fmt: skip
            if not isinstance(account, str) or not is_valid_identifier(account):
                raise _refused(
                    document, "accounts", provider,
                    f"{provider} = … is not an account name in quotes (lowercase letters, digits, '.', "
                    f"'_', '-'), and {ONLY_ACCOUNTS}",
                )  # fmt: skip
            provider_id = PROVIDER_ALIASES.get(provider, provider)
            if provider_id in accounts:
                raise _refused(document, "accounts", provider, f"{provider_id} is named twice")
            accounts[provider_id] = account
            line = _line(document, provider)
            if line is not None:
                lines[provider_id] = line
    return ProjectAccounts(str(path), accounts, lines)


def _line(document: TomlText, provider: str) -> int | None:
    return line_of(document.text, "accounts", provider)


_HEADER = re.compile(r"^\s*\[+\s*[\"']?([^\]\"'.\s]+)")
_KEY = re.compile(r"^\s*[\"']?([^=\"'.\s]+)")


def _top_line(text: str, top: str) -> int | None:
    """The first line that opens `[top]`, `[top.…]` or `[[top…]]`, or sets `top` or `top.…` at the
    top of the file (toml_text.line_of finds exact tables only)."""
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            in_table = True
            if header.group(1) == top:
                return number
            continue
        key = _KEY.match(line)
        if not in_table and key and key.group(1) == top and "=" in line:
            return number
    return None


def _refused(document: TomlText, table: str, key: str, problem: str) -> ConfigError:
    next_step = f"Fix {document.path} (or remove it), then run the command again"
    if table:
        return document.fail(table, key, problem, next_step)
    line = _top_line(document.text, key)
    where = f"{document.path}" + (f", line {line}" if line else "")
    return ConfigError(f"{where}: {problem}", next_step)
