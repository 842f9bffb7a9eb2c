"""The credential store: SQLite through SQLAlchemy, the stdlib read paths, schema migrations, locks."""
