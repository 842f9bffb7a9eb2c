"""Locks on files (flock): the OS releases them when the holder dies."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from code_mesh.domain.errors import StoreUnavailable


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
