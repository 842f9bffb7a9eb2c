"""Which schema revisions this code knows, without importing Alembic or SQLAlchemy.

The token path compares the store's revision with SCHEMA_HEAD on every call, so these
constants live in a module that imports nothing. A test checks them against Alembic.
"""

SCHEMA_HEAD = "0003"
"""The newest schema revision this code knows."""

KNOWN_REVISIONS = ("0001", "0002", "0003")
"""Every revision this code can read or upgrade from, oldest first."""
