"""The provider catalog shipped inside the package: one TOML file per provider (SPEC section 9).

Read on demand, one file at a time (a command that needs one provider reads one file),
with the reader config.toml's provider sections use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from code_mesh import catalog as catalog_package
from code_mesh.adapters.files.provider_table import read_provider_table
from code_mesh.adapters.files.toml_text import read_toml
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import ProviderEntry, provider_entry
from code_mesh.domain.rules import is_valid_identifier

CATALOG_DIR = Path(catalog_package.__file__).parent
CATALOG_FILE_LIMIT = 256 * 1024


class CatalogFiles:
    """The `*.toml` files of one directory (the package's catalog, or a copy in a test)."""

    def __init__(self, directory: Path = CATALOG_DIR) -> None:
        self.directory = directory
        self._tables: dict[str, Mapping[str, Any] | None] = {}
        self._ids: tuple[str, ...] | None = None

    def ids(self) -> tuple[str, ...]:
        """Every provider the catalog holds, sorted."""
        if self._ids is None:
            self._ids = tuple(
                sorted(path.stem for path in self.directory.glob("*.toml") if is_valid_identifier(path.stem))
            )
        return self._ids

    def table(self, provider: str) -> Mapping[str, Any] | None:
        """The checked values of the provider's file, or None when the catalog has no such file."""
        if provider not in self._tables:
            document = None
            if is_valid_identifier(provider):
                document = read_toml(self.directory / f"{provider}.toml", CATALOG_FILE_LIMIT)
            self._tables[provider] = (
                None if document is None else read_provider_table(document, "", provider, document.document)
            )
        return self._tables[provider]


INDEX_HEADER = '''"""Generated from the catalog's TOML files by `python -m code_mesh.catalog`: do not edit.

The read-only fast paths (`auth token`, `auth list`, `auth status`, `auth which`, `exec`) read
this instead of the TOML files (tomllib alone costs about 10 ms; adapters/files/catalog_index.py
reads it); tests/unit/test_catalog.py fails when it no longer matches them.
"""
'''


def _literal(value: object) -> str:
    return repr(value).replace("'", '"')


def render_index(catalog: CatalogFiles) -> str:
    """The text of index.py for `catalog`: each provider's environment variables (first wins), and
    the facts the read paths use, as the full path's ProviderEntry has them (no config.toml)."""
    from code_mesh.domain.providers import MAIN_PROVIDERS

    ids = catalog.ids()
    entries = [provider_entry(ProviderId(p), catalog.table(p) or {}, None) for p in ids]
    main = [p for p in MAIN_PROVIDERS if p in ids]
    lines = [INDEX_HEADER, "\nENVIRONMENT_VARIABLES: dict[str, tuple[str, ...]] = {\n"]
    lines += [f'    "{entry.id}": {_literal(entry.env)},\n' for entry in entries]
    lines.append("}\n\nPROVIDERS: tuple[str, ...] = (\n")
    lines += [f'    "{p}",\n' for p in (*main, *sorted(set(ids) - set(main)))]
    lines.append(")\n\n")
    lines.append(
        "# id: (name, env, methods, (exec api_key, exec oauth, exec oauth_unset, exec oauth_token_field))\n"
    )
    lines.append("FACTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[object, ...]]] = {\n")
    for entry in entries:
        lines.append(f'    "{entry.id}": {_facts_literal(entry)},\n')
    lines.append("}\n\n")
    # A provider no catalog file and no config.toml describes (an auth.json import may store one):
    # what provider_entry makes of it, its id standing in for the name.
    custom = provider_entry(ProviderId("custom-provider"), None, None)
    lines.append("# A stored provider of no catalog file (no config.toml): the same fields, for any id\n")
    kind = "tuple[str, tuple[str, ...], tuple[str, ...], tuple[object, ...]]"
    lines.append(f"CUSTOM: {kind} = {_facts_literal(custom)}\n")
    return "".join(lines)


def _facts_literal(entry: ProviderEntry) -> str:
    facts = entry.exec
    exec_facts = (facts.api_key, facts.oauth, facts.oauth_unset, facts.oauth_token_field)
    return _literal((entry.name, entry.env, entry.methods, exec_facts))
