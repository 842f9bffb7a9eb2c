"""`code-mesh store migrate`: bring a team store's schema up to date (SPEC sections 3 and 13)."""

from __future__ import annotations

from code_mesh.adapters.store.schema_revision import SCHEMA_HEAD
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say


def migrate() -> int:
    """Bring a team store's schema up to date; a SQLite store migrates by itself."""
    where, before, key_id = bootstrap.migrate_store()
    if before == "sqlite":
        say(f"The store {where} is up to date (schema {SCHEMA_HEAD}); SQLite stores migrate by themselves.")
        return 0
    if before == SCHEMA_HEAD:
        say(f"The team store {where} is up to date (schema {SCHEMA_HEAD}).")
    else:
        was = "an empty database" if before is None else f"schema {before}"
        say(f"{paint('✓', '32')} Migrated the team store {where} from {was} to schema {SCHEMA_HEAD}.")
    if key_id is not None:
        say(f"  Recorded the team key {key_id}: every member's key must match it.")
    return 0
