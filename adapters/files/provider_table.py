"""The one reader of a provider table: a catalog file, or a `[providers.ID]` section of config.toml.

Both hold the same keys (SPEC sections 6 and 9), so both are read here, strictly: an
unknown key, a wrong type, a URL that is not http(s), a value with a control character
is an error that names the file and the line. What comes out is a plain mapping of
checked values (strings, tuples, Secrets, tables of them) that `provider_entry` in the
domain turns into one ProviderEntry, config.toml's keys laid over the catalog's.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from code_mesh.adapters.files.toml_text import ConfigError, TomlText
from code_mesh.domain.errors import InvalidIdentifier
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import METHODS, REPLY_LENGTH_FIELDS, TOKEN_BODIES, URL_KEYS, ApiKind
from code_mesh.domain.rules import header_safe
from code_mesh.domain.secret import Secret
from code_mesh.domain.text_rules import name_problem

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_HOST_PATTERN = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")
_EXEC_KEYS = {"api_key": "variables", "oauth": "variables", "oauth_unset": "variables"}
_EXEC_TOKEN_FIELDS = ("access_token", "refresh_token")
ALIASED_KEYS = {"device_code_url": "device_authorization_url"}
"""SPEC section 6 calls GitHub's device authorization endpoint `device_code_url`, as GitHub does."""


class _Table:
    """One table being read: where it is (for messages) and typed access to its values."""

    def __init__(self, document: TomlText, path: str) -> None:
        self.document = document
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return self.document.fail(self.path, key, problem)

    def text(self, key: str, value: Any) -> str:
        """One printable line: names reach the terminal and URLs the network."""
        if not isinstance(value, str):
            raise self.fail(key, f"{key} must be a string")
        if not value.isprintable():
            raise self.fail(key, f"{key} holds a line break, a control or an invisible character")
        return value

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, f"{key} must be a list of strings")
        if not all(item.isprintable() for item in value):
            raise self.fail(key, f"{key} hold a line break, a control or an invisible character")
        return tuple(value)

    def table(self, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"{key} must be a table")
        return value


def _name(table: _Table, key: str, value: Any) -> str:
    text = table.text(key, value)
    problem = name_problem(text)
    if problem:
        raise table.fail(key, f"{key} {problem}")
    return text


def _url(table: _Table, key: str, value: Any) -> str:
    text = table.text(key, value)
    try:
        parts = urlsplit(text)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text
    except ValueError:
        usable = False
    if not usable:
        raise table.fail(key, f"{key} must be an http:// or https:// URL with a host")
    return text


def _choice(*allowed: str) -> Callable[[_Table, str, Any], str]:
    def read(table: _Table, key: str, value: Any) -> str:
        text = table.text(key, value)
        if text not in allowed:
            raise table.fail(key, f"{key} must be one of {', '.join(allowed)}")
        return text

    return read


def _variables(table: _Table, key: str, value: Any) -> tuple[str, ...]:
    names = table.strings(key, value)
    for name in names:
        if not _VARIABLE.fullmatch(name):
            raise table.fail(key, f"{key}: {name[:40]!r} is not the name of an environment variable")
    return names


def _methods(table: _Table, key: str, value: Any) -> tuple[str, ...]:
    methods = table.strings(key, value)
    if not methods:
        raise table.fail(key, "methods must name at least one login method")
    for method in methods:
        if method not in METHODS:
            raise table.fail(key, f"methods: {method[:40]!r} is not one of {', '.join(METHODS)}")
    if len(set(methods)) != len(methods):
        raise table.fail(key, "methods names a method twice")
    return methods


def _secret(table: _Table, key: str, value: Any) -> Secret:
    return Secret(table.text(key, value))


def _positive_int(table: _Table, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 100_000:
        raise table.fail(key, f"{key} must be a whole number from 1 to 99999")
    return value


def _statuses(table: _Table, key: str, value: Any) -> tuple[int, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(item, int) and not isinstance(item, bool) and 400 <= item <= 499 for item in value
        )
    ):
        raise table.fail(key, f"{key} must be a list of HTTP statuses from 400 to 499")
    return tuple(value)


def _hosts(table: _Table, key: str, value: Any) -> tuple[str, ...]:
    hosts = table.strings(key, value)
    for host in hosts:
        if not _HOST_PATTERN.fullmatch(host.lower()):
            raise table.fail(key, f"{key}: {host[:60]!r} is not a host name or a pattern like *.example.com")
    return tuple(host.lower() for host in hosts)


def _string_table(table: _Table, key: str, value: Any) -> dict[str, str]:
    entries = table.table(key, value)
    inner = _Table(table.document, f"{table.path}.{key}".lstrip("."))
    return {name: inner.text(name, item) for name, item in entries.items()}


def _headers(table: _Table, key: str, value: Any) -> dict[str, Secret]:
    """Request headers: values are secrets (SPEC section 1), so no message quotes one."""
    entries = table.table(key, value)
    inner = _Table(table.document, f"{table.path}.{key}".lstrip("."))
    headers: dict[str, Secret] = {}
    for name, item in entries.items():
        if not _HEADER_NAME.fullmatch(name):
            raise inner.fail(name, f"{name[:40]!r} is not an HTTP header name")
        if not isinstance(item, str):
            raise inner.fail(name, f"the header {name} must be a string")
        if item and header_safe(item) != item:
            raise inner.fail(name, f"the header {name} must be printable ASCII without spaces around it")
        headers[name] = Secret(item)
    return headers


def _exec(table: _Table, key: str, value: Any) -> dict[str, Any]:
    entries = table.table(key, value)
    inner = _Table(table.document, f"{table.path}.{key}".lstrip("."))
    values: dict[str, Any] = {}
    for name, item in entries.items():
        if name in _EXEC_KEYS:
            values[name] = _variables(inner, name, item)
        elif name == "oauth_token_field":
            values[name] = _choice(*_EXEC_TOKEN_FIELDS)(inner, name, item)
        else:
            allowed = ", ".join([*_EXEC_KEYS, "oauth_token_field"])
            raise inner.fail(name, f"unknown key {name!r} in [exec] (allowed: {allowed})")
    return values


def _sources(table: _Table, key: str, value: Any) -> dict[str, dict[str, str | None]]:
    """Where each fact was read and when: `{ url = "…", checked = 2026-12-01, note = "…" }`."""
    entries = table.table(key, value)
    inner = _Table(table.document, f"{table.path}.{key}".lstrip("."))
    sources: dict[str, dict[str, str | None]] = {}
    for fact, item in entries.items():
        if not isinstance(item, dict) or set(item) - {"url", "checked", "note"}:
            raise inner.fail(fact, f"the source of {fact} must be a table of url, checked and note")
        checked = item.get("checked")
        if not isinstance(checked, datetime.date) or isinstance(checked, datetime.datetime):
            raise inner.fail(fact, f"the source of {fact} needs checked = YYYY-MM-DD (a date)")
        note = item.get("note")
        sources[ALIASED_KEYS.get(fact, fact)] = {
            "url": inner.text(fact, item.get("url")),
            "checked": checked.isoformat(),
            "note": None if note is None else inner.text(fact, note),
        }
    return sources


_READERS: dict[str, Callable[[_Table, str, Any], Any]] = {
    "id": lambda table, key, value: table.text(key, value),
    "name": _name,
    "env": _variables,
    "methods": _methods,
    "api": _choice(*(kind.value for kind in ApiKind)),
    "default_model": lambda table, key, value: table.text(key, value),
    "reply_length_field": _choice(*REPLY_LENGTH_FIELDS),
    "client_id": lambda table, key, value: table.text(key, value),
    "client_secret": _secret,
    "scopes": lambda table, key, value: table.strings(key, value),
    "authorize_params": _string_table,
    "token_body": _choice(*TOKEN_BODIES),
    "setup_token_lifetime_days": _positive_int,
    "allowed_hosts": _hosts,
    "key_refused_statuses": _statuses,
    "login_notice": lambda table, key, value: table.text(key, value),
    "headers": _headers,
    "exec": _exec,
    "sources": _sources,
    **dict.fromkeys((*URL_KEYS, *ALIASED_KEYS), _url),
}
KEYS = tuple(sorted(_READERS))


def read_provider_table(document: TomlText, path: str, provider: str, section: Any) -> dict[str, Any]:
    """The checked values of one provider table at `path` in `document` ("" for a catalog
    file, whose table is the whole file; "providers.ID" in config.toml)."""
    table = _Table(document, path)
    label = f"[{path}]" if path else document.path.name
    if not isinstance(section, dict):
        raise document.fail(path.rpartition(".")[0], provider, f"{label} must be a table")
    try:
        ProviderId(provider)
    except InvalidIdentifier as error:
        raise document.fail(path.rpartition(".")[0], provider, f"{label}: {error}") from None
    values: dict[str, Any] = {}
    for key, item in section.items():
        reader = _READERS.get(key)
        if reader is None:
            raise table.fail(key, f"unknown key {key!r} in {label} (allowed: {', '.join(KEYS)})")
        field = ALIASED_KEYS.get(key, key)
        if field in values:
            raise table.fail(key, f"{label} sets {field} twice (as {key} and as {field})")
        values[field] = reader(table, key, item)
    if values.pop("id", provider) != provider:
        raise table.fail("id", f"id must be {provider!r}, the name of the {'section' if path else 'file'}")
    return values
