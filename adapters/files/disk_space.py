"""Telling a full disk from a damaged file, whichever layer the failure comes through.

A full disk shows as ENOSPC or EDQUOT from the OS, SQLITE_FULL from SQLite, and, on a
full tmpfs, as SQLITE_IOERR (SQLite cannot grow its -shm file): for an I/O error, the
file system's free space decides.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_NEARLY_NOTHING = 64 * 1024
"""Free bytes below which an I/O error is taken for a full disk."""


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it wraps (SQLAlchemy's .orig, __cause__, __context__)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        wrapped = getattr(current, "orig", None)
        if isinstance(wrapped, BaseException) and wrapped not in chain:
            chain.append(wrapped)
        current = current.__cause__ or current.__context__
    return chain


def has_no_space(directory: Path) -> bool:
    try:
        info = os.statvfs(directory)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < _NEARLY_NOTHING


def is_disk_full(error: BaseException, directory: Path | None = None) -> bool:
    """Whether `error` (or what it wraps) means the disk holding `directory` is full."""
    for cause in _causes(error):
        if isinstance(cause, OSError) and cause.errno in _FULL_ERRNOS:
            return True
        name = getattr(cause, "sqlite_errorname", "")
        if name == "SQLITE_FULL" or "database or disk is full" in str(cause):
            return True
        if directory is not None and (name.startswith("SQLITE_IOERR") or "disk I/O error" in str(cause)):
            return has_no_space(directory)
    return False
