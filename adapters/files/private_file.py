"""Writing a file that holds secrets: atomically, fsynced, 0600 from the first byte.

The temporary file is named `.NAME.PID.RANDOM.tmp`, so a writer killed half-way (SIGKILL
runs no cleanup) leaves a name that says whose it was: any later writer, and every
command that opens the home, removes the leftovers of writers that are gone, and
`auth doctor` reports any that remain (they hold secrets in the clear).

A FIFO or a character device the user names (`--output /dev/stdout`, a pipe made with
mkfifo, /dev/null) is written through: replacing it with a regular file would leave the
secrets in a plaintext file where the user expected a pipe, or break /dev/null for everyone.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TEMPORARY = re.compile(r"\A\.(?P<target>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp\Z")
"""What write_private_file names its temporary files."""
_OLD_TEMPORARY = re.compile(r"\A\.(?P<target>.+)\.[A-Za-z0-9_]{8}\.tmp\Z")
"""What earlier versions named them (mkstemp's random part only, no pid)."""
_BUILDING_STORE = re.compile(r"\A\.auth\.db\.new-(?P<pid>\d+)(-wal|-shm|-journal)?\Z")
"""A store that first use was building (schema_migrator), sealed but unfinished."""


def _writes_through(path: Path) -> bool:
    """Whether `path` is something to write into rather than replace: a FIFO or a character device."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def write_named_output(path: Path, text: str) -> None:
    """Write `text` where the user asked (`auth export --output PATH`).

    A FIFO or a character device is written into; a symbolic link is followed (the link
    stays, its target is replaced atomically); a regular file, or none yet, is replaced
    atomically. A directory fails with the OSError the system gives."""
    if _writes_through(path):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    write_private_file(Path(os.path.realpath(path)), text)


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text`; readers see the old file or the new one, never a part."""
    directory = path.parent
    remove_dead_writers_leftovers(directory, path.name)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory
    )
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts: it may be writing)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _leftovers(directory: Path, target: str | None = None) -> Iterator[tuple[Path, int | None]]:
    """Temporary files of writers in `directory` (for `target` only, when given), with the pid
    of their writer (None for the old naming, which does not say)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        for pattern in (_TEMPORARY, _BUILDING_STORE, _OLD_TEMPORARY):
            match = pattern.match(entry.name)
            if match is None:
                continue
            if target is not None and match.groupdict().get("target") != target:
                break
            pid = match.groupdict().get("pid")
            yield Path(entry.path), None if pid is None else int(pid)
            break


def remove_dead_writers_leftovers(directory: Path, target: str | None = None) -> list[Path]:
    """Remove the temporary files whose writer is gone; the paths removed."""
    removed = []
    for path, pid in _leftovers(directory, target):
        if pid is not None and not _alive(pid):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def leftover_temporary_files(directory: Path) -> list[Path]:
    """Temporary files still there: a writer at work, an old-style name, or one not removable."""
    return sorted(path for path, _pid in _leftovers(directory))
