"""Alembic's environment and the schema's history: the only way the schema comes to exist."""
