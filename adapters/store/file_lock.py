"""An exclusive lock on a file (flock): the OS releases it when the holder dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.domain.errors import DiskFull, StoreUnavailable


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600) for the duration of the block."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise _cannot_lock(path, error) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _cannot_lock(path: Path, error: OSError) -> StoreUnavailable:
    if is_disk_full(error):
        return DiskFull(f"cannot create the lock file {path}; nothing was changed")
    if isinstance(error, FileExistsError | NotADirectoryError) and not path.parent.is_dir():
        return StoreUnavailable(
            f"{path.parent} is not a directory, so code-mesh cannot take its locks; nothing was changed",
            f"Move {path.parent} aside (code-mesh makes a new one) and run the command again",
        )
    return StoreUnavailable(
        f"Cannot use the lock file {path} ({error.strerror or type(error).__name__}); nothing was changed",
        "Check that CODE_MESH_HOME is a directory you can write to",
    )


class FileCredentialLocks:
    """One lock file per credential under `<home>/locks/` (the CredentialLocks port)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def hold(self, provider: str, account: str) -> AbstractContextManager[None]:
        # Ids and account names cannot contain "@" or "/", so the name is unambiguous.
        return exclusive_lock(self._directory / f"{provider}@{account}.lock")
