"""An exclusive lock on a file (flock): the OS releases it when the holder dies."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.application.ports import FailureNote
from code_mesh.domain.errors import DiskFull, StoreUnavailable


@contextmanager
def exclusive_lock(path: Path, wait: float | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on `path` (created 0600) for the duration of the block (True).

    With `wait`, give up after that many seconds: the block then gets False and holds nothing."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise _cannot_lock(path, error) from None
    try:
        if wait is None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield True
        else:
            yield _try_lock(descriptor, time.monotonic() + wait)
    finally:
        os.close(descriptor)


def _try_lock(descriptor: int, give_up_at: float) -> bool:
    """flock has no timeout: ask without blocking, a little less often the longer it takes."""
    pause = 0.005
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() + pause > give_up_at:
                return False
            time.sleep(pause)
            pause = min(pause * 1.5, 0.05)


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
    """One lock file per credential under `<home>/locks/` (the CredentialLocks port), and beside
    it `<provider>@<account>.failed`: when the last refresh failed, and what it said."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _path(self, provider: str, account: str, suffix: str) -> Path:
        # Ids and account names cannot contain "@" or "/", so the name is unambiguous.
        return self._directory / f"{provider}@{account}.{suffix}"

    def hold(self, provider: str, account: str, wait: float) -> AbstractContextManager[bool]:
        return exclusive_lock(self._path(provider, account, "lock"), wait)

    def last_failure(self, provider: str, account: str) -> FailureNote | None:
        try:
            note = json.loads(self._path(provider, account, "failed").read_text(encoding="utf-8"))
            at, message, next_step = note["at"], note["message"], note.get("next_step")
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if not (isinstance(at, int | float) and isinstance(message, str)):
            return None
        return FailureNote(float(at), message, next_step if isinstance(next_step, str) else None)

    def note_failure(self, provider: str, account: str, note: FailureNote) -> None:
        """Written while the lock is held, so readers (who hold it next) see it whole."""
        path = self._path(provider, account, "failed")
        text = json.dumps({"at": note.at, "message": note.message, "next_step": note.next_step})
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError:
            pass  # a full disk, say: the next process then simply tries for itself
