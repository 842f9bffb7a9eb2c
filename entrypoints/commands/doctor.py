"""`code-mesh auth doctor`: check the store, its key and the credentials; exit 1 on a problem.

It only looks: the store is opened for reading only, and is never created, migrated or
narrowed, so what it reports is what is there (and its advice is never already carried out).
"""

from __future__ import annotations

import json as json_module
from collections.abc import Callable
from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.store.schema_migrator import revision_as_found
from code_mesh.adapters.store.schema_revision import SCHEMA_HEAD
from code_mesh.adapters.store.store_inspection import SqliteInspector
from code_mesh.application.doctor import (
    Check,
    Level,
    config_check,
    missing_store_checks,
    run_checks,
    store_file_checks,
    unopenable_store_checks,
)
from code_mesh.domain.errors import CodeMeshError, StoreUnavailable
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import ProviderEntry
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say

_COLOURS = {Level.OK: "32", Level.WARNING: "33", Level.PROBLEM: "31"}


def _provider_entries() -> Callable[[ProviderId], ProviderEntry]:
    """What each provider is: the catalog with config.toml over it, or the catalog alone when
    config.toml cannot be read (its own check says why)."""
    try:
        return bootstrap.settings().provider
    except CodeMeshError:
        from code_mesh.adapters.files.catalog_files import CatalogFiles
        from code_mesh.application.settings import Settings

        return Settings(catalog=CatalogFiles()).provider


def _team_store_checks() -> list[Check]:
    """A team store is never migrated or created by a command but `store migrate`, so opening
    it changes nothing; the database keeps its own pages, so there is no file to inspect."""
    inspector = bootstrap.store_inspector()
    try:
        store = bootstrap.open_store()
    except StoreUnavailable as error:
        return unopenable_store_checks(inspector, error)
    return run_checks(store, inspector, bootstrap.environment(), bootstrap.clock().now(), _provider_entries())


def _store_checks() -> list[Check]:
    try:
        team = bootstrap.is_team()
    except CodeMeshError:  # config.toml cannot be read: its own check says why
        team = False
    if team:
        return _team_store_checks()
    where = bootstrap.home()
    inspector = SqliteInspector(where)
    if not where.database.exists() and not where.database.is_symlink():
        return missing_store_checks(inspector, str(where.database))
    try:
        if revision_as_found(where.database) != SCHEMA_HEAD:  # older: the schema check says so
            return store_file_checks(inspector)
        store = bootstrap.store_as_found()
        try:
            return run_checks(
                store, inspector, bootstrap.environment(), bootstrap.clock().now(), _provider_entries()
            )
        finally:
            store.dispose()
    except StoreUnavailable as error:  # not SQLite, a directory, newer: the file checks still say why
        return unopenable_store_checks(inspector, error)


def doctor(
    *,
    json: Annotated[bool, Parameter(negative=(), help="Print the checks as JSON for scripts.")] = False,
) -> int:
    """Check config.toml, permissions, integrity, schema, the key and every secret, credentials
    and environment; change nothing."""
    try:
        location = bootstrap.store_location()
    except CodeMeshError:  # config.toml cannot be read: its own check says why
        location = str(bootstrap.home().database)
    checks = [config_check(bootstrap.settings), *_store_checks()]
    problem = any(check.level is Level.PROBLEM for check in checks)
    if json:
        say(json_module.dumps({"store": location, "checks": [c.as_json() for c in checks]}, indent=2))
    else:
        for check in checks:
            level = paint(f"{check.level:<7}", _COLOURS[check.level])
            advice = f" → {check.next_step}" if check.next_step and check.level is not Level.OK else ""
            say(f"{level} {check.name:<12} {check.message}{advice}")
    return 1 if problem else 0
