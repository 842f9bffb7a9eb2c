"""An exclusive lock on a file (flock): the OS releases it when the holder dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600) for the duration of the block."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


class FileCredentialLocks:
    """One lock file per credential under `<home>/locks/` (the CredentialLocks port)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def hold(self, provider: str, account: str) -> AbstractContextManager[None]:
        # Ids and account names cannot contain "@" or "/", so the name is unambiguous.
        return exclusive_lock(self._directory / f"{provider}@{account}.lock")
