"""Opening the store's file with the standard library's sqlite3, also where it cannot be written.

SQLite opens a WAL database for reading only if it can create the WAL index (the
`-shm` file) beside it, or finds one. In a home this user cannot write (a read-only
directory, a read-only mount) whose last writer cleaned up, neither holds, and every
read fails with "attempt to write a readonly database". Then, and only when no WAL
content is left over (it would be ignored), the file is opened as immutable: it cannot
change while nobody can write here. Reading works where writing cannot (issue R3);
a write then fails in SQLite with its own read-only error. On the `auth token` path:
the standard library's os and sqlite3 only (no pathlib).
"""

from __future__ import annotations

import os

try:
    # The C module itself: `import sqlite3` adds dbapi2's default datetime adapters, which
    # code-mesh never uses, and the `datetime` import they need (about a millisecond of the
    # `auth token` path). Same connect, Connection and Error.
    import _sqlite3 as sqlite3
except ImportError:  # an interpreter that lays it out differently
    import sqlite3  # type: ignore[no-redef]


def _uri(path: str, query: str) -> str:
    escaped = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{escaped}?{query}"


def read_only_uri(database: str | os.PathLike[str]) -> str | None:
    """The URI to read `database` with when the ordinary open cannot work, else None."""
    path = os.path.abspath(database)
    if os.access(os.path.dirname(path), os.W_OK) or os.path.exists(path + "-shm"):
        return None
    try:
        if os.path.getsize(path + "-wal") > 0:
            return None  # committed data still in the WAL: reading without it would be wrong
    except OSError:
        pass
    return _uri(path, "immutable=1")


def looking_only_uri(database: str | os.PathLike[str]) -> str:
    """The URI that opens `database` only if it exists (it is never created). Run
    `PRAGMA query_only` on the connection so that nothing can be written through it either.

    Not `mode=ro`: a read-only connection creates the WAL's -wal and -shm files and cannot
    remove them again, where an ordinary one, as the last to close, tidies them away."""
    return read_only_uri(database) or _uri(os.path.abspath(database), "mode=rw")


def connect_looking_only(database: str | os.PathLike[str], timeout: float = 60.0) -> sqlite3.Connection:
    """A connection that can read `database` and change nothing in it (`auth doctor`)."""
    connection = sqlite3.connect(looking_only_uri(database), uri=True, timeout=timeout)
    connection.execute("PRAGMA query_only = ON")
    return connection


def connect(database: str | os.PathLike[str], timeout: float = 60.0) -> sqlite3.Connection:
    """sqlite3.connect, read-only where this user cannot write (see above)."""
    uri = read_only_uri(database)
    if uri is not None:
        return sqlite3.connect(uri, uri=True, timeout=timeout)
    return sqlite3.connect(database, timeout=timeout)
