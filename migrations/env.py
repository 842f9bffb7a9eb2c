"""Alembic environment: runs on the connection the migrator hands over, in one transaction."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("code-mesh migrations run through code_mesh.adapters.store.schema_migrator")

context.configure(connection=connection, render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
