"""config.toml (SPEC section 6): strict, so a typo is an error that names the file and line.

`[providers.ID]` sections are read by the same reader as the catalog's files
(provider_table.py): any key of a catalog entry can be set here, and wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from code_mesh.adapters.files.catalog_files import CatalogFiles
from code_mesh.adapters.files.provider_table import read_provider_table
from code_mesh.adapters.files.text_input import CONFIG_LIMIT
from code_mesh.adapters.files.toml_text import ConfigError, TomlText, read_toml
from code_mesh.application.settings import ProviderCatalog, Settings
from code_mesh.domain.durations import parse_duration
from code_mesh.domain.errors import InvalidIdentifier
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret

__all__ = ["ConfigError", "config_path", "load_settings"]


def config_path(environ: Mapping[str, str], home: Path) -> Path:
    configured = environ.get("CODE_MESH_CONFIG")
    return Path(configured).expanduser() if configured else home / "config.toml"


def load_settings(path: Path, catalog: ProviderCatalog | None = None) -> Settings:
    """The settings in `path` over the catalog (the package's unless given), or the defaults
    when there is no such file."""
    catalog = CatalogFiles() if catalog is None else catalog
    document = read_toml(path, CONFIG_LIMIT)
    if document is None:
        return Settings(catalog=catalog)
    default_provider = None
    exec_settings: dict[str, Any] = {}
    providers: dict[str, dict[str, Any]] = {}
    store_url: Secret | None = None
    audit_reads: bool | None = None
    for top, value in document.document.items():
        if top == "run":
            if not isinstance(value, dict):
                raise document.fail("", "run", "[run] must be a table")
            for key, item in value.items():
                if key != "default_provider":
                    raise document.fail(
                        "run", key, f"unknown key {key!r} in [run] (allowed: default_provider)"
                    )
                default_provider = str(_provider_id(document, "run", key, item))
        elif top == "store":
            store_url = _store_url(document, value)
        elif top == "audit":
            audit_reads = _audit_reads(document, value)
        elif top == "providers":
            if not isinstance(value, dict):
                raise document.fail("", "providers", "providers must be tables like [providers.openai]")
            for provider, section in value.items():
                providers[provider] = read_provider_table(
                    document, f"providers.{provider}", provider, section
                )
        elif top == "exec":
            exec_settings = _exec_section(document, value)
        else:
            allowed = "[run], [providers.ID], [store], [audit], [exec]"
            raise document.fail("", top, f"unknown section or key {top!r} (allowed: {allowed})")
    return Settings(
        default_provider,
        providers,
        str(path),
        catalog,
        store_url=store_url,
        audit_reads=audit_reads,
        **exec_settings,
    )


MIN_LIFETIME_RANGE = (60, 30 * 86400)


def _exec_section(document: TomlText, value: Any) -> dict[str, Any]:
    """`[exec]`: `providers = ["anthropic", "openai:work"]`, `min_lifetime = "1h"` (SPEC section 10)."""
    if not isinstance(value, dict):
        raise document.fail("", "exec", "[exec] must be a table")
    settings: dict[str, Any] = {}
    for key, item in value.items():
        if key == "providers":
            if not isinstance(item, list) or not all(isinstance(entry, str) for entry in item):
                raise document.fail(
                    "exec", key, 'providers must be a list of provider ids, like ["anthropic"]'
                )
            for entry in item:
                provider, _, account = entry.partition(":")
                _provider_id(document, "exec", key, provider)
                if account:
                    try:
                        AccountName(account)
                    except InvalidIdentifier as error:
                        raise document.fail("exec", key, str(error)) from None
            settings["exec_providers"] = tuple(item)
        elif key == "min_lifetime":
            seconds = parse_duration(item) if isinstance(item, str) else None
            low, high = MIN_LIFETIME_RANGE
            if seconds is None or not low <= seconds <= high:
                raise document.fail(
                    "exec", key, 'min_lifetime must be a duration from 1m to 30d, like "30m", "1h" or "12h"'
                )
            settings["exec_min_lifetime"] = seconds
        else:
            raise document.fail(
                "exec", key, f"unknown key {key!r} in [exec] (allowed: providers, min_lifetime)"
            )
    return settings


def _store_url(document: TomlText, value: Any) -> Secret | None:
    """`[store] url`, never quoted in a message: it may hold the database password."""
    if not isinstance(value, dict):
        raise document.fail("", "store", "[store] must be a table")
    for key in value:
        if key != "url":
            raise document.fail("store", key, f"unknown key {key!r} in [store] (allowed: url)")
    url = value.get("url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip() or not url.isprintable():
        raise document.fail("store", "url", "url must be a database URL on one line")
    return Secret(url)


def _audit_reads(document: TomlText, value: Any) -> bool | None:
    if not isinstance(value, dict):
        raise document.fail("", "audit", "[audit] must be a table")
    for key, item in value.items():
        if key != "reads":
            raise document.fail("audit", key, f"unknown key {key!r} in [audit] (allowed: reads)")
        if not isinstance(item, bool):
            raise document.fail("audit", key, "reads must be true or false")
    return value.get("reads")


def _provider_id(document: TomlText, table: str, key: str, value: Any) -> ProviderId:
    if not isinstance(value, str):
        raise document.fail(table, key, f"{key} must be a string")
    try:
        return ProviderId(value)
    except InvalidIdentifier as error:
        raise document.fail(table, key, str(error)) from None
