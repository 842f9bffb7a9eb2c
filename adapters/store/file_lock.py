"""Locks on files (flock): the OS releases them when the holder dies."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
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


@dataclass
class _Held:
    descriptor: int | None
    """None: the lock file could not be opened (a read-only home), so a reader goes unlocked."""
    exclusive: bool
    depth: int = 1


_CANNOT_BE_MADE = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EEXIST, errno.EISDIR}
)
"""Why a lock file cannot be had by anyone of this user: a read-only home, `locks` not a directory."""


class FileKeyLock:
    """The KeyLock port on an flock of `<home>/locks/key.lock`.

    Exclusive while key material changes (`auth key rotate`); shared by every store
    transaction, so no secret is sealed or opened while a rotation moves keys. It is
    reentrant within a thread: a rotation's own re-seal transaction takes it shared
    inside the exclusive hold (a second descriptor would wait for itself). Other
    threads and processes use their own descriptors, so they exclude each other.
    """

    _held = threading.local()

    def __init__(self, path: Path) -> None:
        self._path = path

    def _holdings(self) -> dict[str, _Held]:
        holdings: dict[str, _Held] | None = getattr(self._held, "by_path", None)
        if holdings is None:
            holdings = self._held.by_path = {}
        return holdings

    def shared(self) -> AbstractContextManager[None]:
        return self._hold(exclusive=False)

    def exclusive(self) -> AbstractContextManager[None]:
        return self._hold(exclusive=True)

    def _open(self, exclusive: bool) -> int | None:
        try:
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            pass
        try:
            return os.open(self._path, os.O_RDONLY)  # flock works on a read-only descriptor
        except OSError as error:
            if exclusive or error.errno not in _CANNOT_BE_MADE:
                raise StoreUnavailable(
                    f"Cannot take the key lock {self._path} ({error.strerror or error}); nothing was changed",
                    f"Check that {self._path.parent} is a directory you can write to",
                ) from None
            # Then no process of this user can take it exclusively either, so no rotation runs
            # beside this transaction; a write goes on to fail in SQLite with its own clear line.
            return None

    @contextmanager
    def _hold(self, *, exclusive: bool) -> Iterator[None]:
        key = str(self._path)
        holdings = self._holdings()
        held = holdings.get(key)
        if held is not None:
            if exclusive and not held.exclusive:
                # flock cannot turn shared into exclusive atomically; no code path may ask for it.
                raise RuntimeError("the key lock is held shared and cannot be upgraded")
            held.depth += 1
            try:
                yield
            finally:
                held.depth -= 1
            return
        descriptor = self._open(exclusive)
        try:
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            holdings[key] = _Held(descriptor, exclusive)
            try:
                yield
            finally:
                del holdings[key]
        finally:
            if descriptor is not None:
                os.close(descriptor)
