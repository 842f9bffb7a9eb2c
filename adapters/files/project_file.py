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
import stat

from code_mesh.adapters.files.project_search import candidates
from code_mesh.application.credential_choice import ProjectAccounts
from code_mesh.domain.rules import PROVIDER_ALIASES, is_valid_identifier
from code_mesh.domain.text import one_line
from code_mesh.domain.text_rules import looks_like_secret

TYPE_CHECKING = False  # the read-only fast paths import this module: no typing, no pathlib, no re
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from code_mesh.adapters.files.toml_text import ConfigError, TomlText

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
        return read_project_file(path)
    return None


def read_project_file(path: Path | str) -> ProjectAccounts:
    """The file's accounts: read by plain_accounts when it is written the plain way (tomllib costs
    a read path more than all the rest), else parsed as TOML and checked, naming file and line."""
    plain = plain_accounts(str(path))
    if plain is not None:
        return plain
    from pathlib import Path

    return _read_toml_project_file(Path(path))


_TOML_WHITESPACE = " \t"
_BARE_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _plain_line(line: str) -> tuple[str, str | None] | None:
    """One line of a plain project file as ("", None) for nothing, ("[accounts]", None) for its header,
    (key, value) for `key = "value"`; None for anything else (tomllib then decides)."""
    if any((ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F for char in line):
        return None
    code = line.partition("#")[0]
    code = code.strip(_TOML_WHITESPACE)
    if not code:
        return "", None
    if code == "[accounts]":
        return code, None
    key, equals, value = code.partition("=")
    key, value = key.strip(_TOML_WHITESPACE), value.strip(_TOML_WHITESPACE)
    if not equals or not key or not set(key) <= _BARE_KEY_CHARS:
        return None
    if len(value) < 2 or value[0] != '"' or value[-1] != '"' or '"' in value[1:-1] or "\\" in value:
        return None
    return key, value[1:-1]


def plain_accounts(path: str) -> ProjectAccounts | None:
    """A project file written the plain way (`[accounts]`, then `provider = "account"` lines with
    valid ids, comments and blank lines), read with the standard library's str methods; None for
    anything else, and for a file that is too large or not UTF-8 text: the TOML reader then
    answers, with its messages. For what it accepts, it answers as that reader does (a test holds
    the two side by side)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(PROJECT_FILE_LIMIT + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if len(data) > PROJECT_FILE_LIMIT or text.startswith("\ufeff") or "\r" in text.replace("\r\n", ""):
        return None
    accounts: dict[str, str] = {}
    lines: dict[str, int] = {}
    in_accounts = False
    for number, line in enumerate(text.split("\n"), start=1):
        parsed = _plain_line(line.removesuffix("\r"))
        if parsed is None:
            return None
        key, value = parsed
        if key == "[accounts]":
            if in_accounts or accounts:
                return None  # a second [accounts]: TOML refuses it
            in_accounts = True
            continue
        if value is None:
            continue
        unusual = PROVIDER_ALIASES.get(key, key) != key or key in accounts
        plain = is_valid_identifier(key) and is_valid_identifier(value)
        if not in_accounts or unusual or not plain or looks_like_secret(key) or looks_like_secret(value):
            return None
        accounts[key] = value
        lines[key] = number
    return ProjectAccounts(path, accounts, lines)


def _read_toml_project_file(path: Path) -> ProjectAccounts:
    from code_mesh.adapters.files.toml_text import read_toml

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
    from code_mesh.adapters.files.toml_text import line_of

    return line_of(document.text, "accounts", provider)


def _top_line(text: str, top: str) -> int | None:
    """The first line that opens `[top]`, `[top.…]` or `[[top…]]`, or sets `top` or `top.…` at the
    top of the file (toml_text.line_of finds exact tables only)."""
    import re

    _HEADER = re.compile(r"^\s*\[+\s*[\"']?([^\]\"'.\s]+)")
    _KEY = re.compile(r"^\s*[\"']?([^=\"'.\s]+)")
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
    from code_mesh.adapters.files.toml_text import ConfigError

    next_step = f"Fix {document.path} (or remove it), then run the command again"
    if table:
        return document.fail(table, key, problem, next_step)
    line = _top_line(document.text, key)
    where = f"{document.path}" + (f", line {line}" if line else "")
    return ConfigError(f"{where}: {problem}", next_step)
