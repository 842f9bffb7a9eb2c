"""config.toml (SPEC section 6): strict, so a typo is an error that names the file and line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from code_mesh.adapters.files.text_input import CONFIG_LIMIT, UnreadableText, read_text_file
from code_mesh.application.settings import ProviderSettings, Settings
from code_mesh.domain.errors import CodeMeshError, InvalidIdentifier
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.secret import Secret
from code_mesh.domain.text_rules import name_problem

_STRING_KEYS_BY_PROVIDER: dict[str, frozenset[str]] = {
    "anthropic": frozenset(
        {
            "max_authorize_url",
            "console_authorize_url",
            "token_url",
            "create_api_key_url",
            "api_base_url",
            "client_id",
            "default_model",
        }
    ),
    "github-copilot": frozenset(
        {"device_code_url", "token_url", "copilot_token_url", "api_base_url", "client_id", "default_model"}
    ),
    "openai": frozenset({"api_base_url", "default_model"}),
}
_CUSTOM_STRING_KEYS = frozenset(
    {
        "name",
        "authorize_url",
        "device_authorization_url",
        "token_url",
        "client_id",
        "client_secret",
        "api",
        "api_base_url",
        "default_model",
    }
)
_API_KINDS = ("openai-chat", "anthropic-messages")


class ConfigError(CodeMeshError):
    """config.toml cannot be used as written."""


def config_path(environ: Mapping[str, str], home: Path) -> Path:
    configured = environ.get("CODE_MESH_CONFIG")
    return Path(configured).expanduser() if configured else home / "config.toml"


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """The line where `key` is set, in `[section]` when given (tomllib reports no positions)."""
    current = None
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            current = re.sub(r"\s*\.\s*", ".", match.group(1)).replace('"', "")
            continue
        if (section is None or current == section) and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
            return number
    return None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, section: str | None, key: str, problem: str) -> ConfigError:
        line = _line_of(self.text, section, key) or _line_of(self.text, None, key)
        where = f"{self.path}" + (f", line {line}" if line else "")
        return ConfigError(f"{where}: {problem}", f"Fix {self.path.name} and run the command again")

    def string(self, section: str, key: str, value: Any) -> str:
        """A string value; one printable line, since names reach the terminal and URLs the network."""
        if not isinstance(value, str):
            raise self.fail(section, key, f"{key} must be a string")
        problem = name_problem(value) if key == "name" else None
        if problem is None and not value.isprintable():
            problem = "holds a line break, a control or an invisible character"
        if problem:
            raise self.fail(section, key, f"{key} {problem}")
        return value


def load_settings(path: Path) -> Settings:
    """The settings in `path`, or the defaults when there is no such file."""
    try:
        text = read_text_file(path, CONFIG_LIMIT)
    except UnreadableText as error:
        if error.missing:
            return Settings()
        raise ConfigError(f"{path} {error.problem}", error.next_step) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})", f"Fix {path.name} and run again") from None
    reader = _Reader(path, text)
    default_provider = None
    providers: dict[str, ProviderSettings] = {}
    store_url: Secret | None = None
    audit_reads: bool | None = None
    for top, value in document.items():
        if top == "run":
            if not isinstance(value, dict):
                raise reader.fail(None, "run", "[run] must be a table")
            for key, item in value.items():
                if key != "default_provider":
                    raise reader.fail("run", key, f"unknown key {key!r} in [run] (allowed: default_provider)")
                default_provider = str(_provider_id(reader, "run", key, reader.string("run", key, item)))
        elif top == "store":
            store_url = _store_url(reader, value)
        elif top == "audit":
            audit_reads = _audit_reads(reader, value)
        elif top == "providers":
            if not isinstance(value, dict):
                raise reader.fail(None, "providers", "providers must be tables like [providers.openai]")
            for provider, section in value.items():
                providers[provider] = _provider_settings(reader, provider, section)
        else:
            allowed = "[run], [providers.ID], [store], [audit]"
            raise reader.fail(None, top, f"unknown section or key {top!r} (allowed: {allowed})")
    return Settings(default_provider, providers, str(path), store_url, audit_reads)


def _store_url(reader: _Reader, value: Any) -> Secret | None:
    """`[store] url`, never quoted in a message: it may hold the database password."""
    if not isinstance(value, dict):
        raise reader.fail(None, "store", "[store] must be a table")
    for key in value:
        if key != "url":
            raise reader.fail("store", key, f"unknown key {key!r} in [store] (allowed: url)")
    url = value.get("url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip() or not url.isprintable():
        raise reader.fail("store", "url", "url must be a database URL on one line")
    return Secret(url)


def _audit_reads(reader: _Reader, value: Any) -> bool | None:
    if not isinstance(value, dict):
        raise reader.fail(None, "audit", "[audit] must be a table")
    for key, item in value.items():
        if key != "reads":
            raise reader.fail("audit", key, f"unknown key {key!r} in [audit] (allowed: reads)")
        if not isinstance(item, bool):
            raise reader.fail("audit", key, "reads must be true or false")
    return value.get("reads")


def _provider_id(reader: _Reader, section: str, key: str, value: str) -> ProviderId:
    try:
        return ProviderId(value)
    except InvalidIdentifier as error:
        raise reader.fail(section, key, str(error)) from None


def _provider_settings(reader: _Reader, provider: str, section: Any) -> ProviderSettings:
    name = f"providers.{provider}"
    try:
        ProviderId(provider)
    except InvalidIdentifier as error:
        raise reader.fail(None, provider, f"[{name}]: {error}") from None
    if not isinstance(section, dict):
        raise reader.fail(None, provider, f"[{name}] must be a table")
    allowed = _STRING_KEYS_BY_PROVIDER.get(provider, _CUSTOM_STRING_KEYS | {"scopes"})
    values: dict[str, Any] = {}
    for key, item in section.items():
        if key not in allowed:
            listed = ", ".join(sorted(allowed))
            raise reader.fail(name, key, f"unknown key {key!r} in [{name}] (allowed: {listed})")
        if key == "scopes":
            if not isinstance(item, list) or not all(isinstance(scope, str) for scope in item):
                raise reader.fail(name, key, "scopes must be a list of strings")
            if not all(scope.isprintable() for scope in item):
                raise reader.fail(name, key, "scopes hold a line break, a control or an invisible character")
            values[key] = tuple(item)
        elif key == "client_secret":
            values[key] = Secret(reader.string(name, key, item))
        else:
            values[key] = reader.string(name, key, item)
            if key == "api" and item not in _API_KINDS:
                raise reader.fail(name, key, f"api must be one of {', '.join(_API_KINDS)}")
    return ProviderSettings(**values)
