"""Reading a text a user names (a file, a device, standard input): bounded, UTF-8, a BOM allowed.

Never more than the limit (plus one byte) is held in memory, so `/dev/zero` or a 2 GB
sparse file ends in one clear line instead of a MemoryError; a regular file that is too
large is refused from its size alone, before anything is read.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

AUTH_JSON_LIMIT = 64 * 1024 * 1024
"""An auth.json (or what `auth import -` reads) is at most this large (issue 9, R2)."""
CONFIG_LIMIT = 1024 * 1024
"""config.toml is a handful of sections; one MiB is far beyond any real one."""


class UnreadableText(Exception):
    """Why the text cannot be had (the end of a sentence that starts with its name), and what
    to do about it; `missing` and `too_large` let a caller say it in its own words."""

    def __init__(
        self, problem: str, next_step: str, *, missing: bool = False, too_large: bool = False
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.next_step = next_step
        self.missing = missing
        self.too_large = too_large


def describe_size(size: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def _too_large(limit: int) -> UnreadableText:
    return UnreadableText(
        f"is larger than {describe_size(limit)}", "Check that it is the file you mean", too_large=True
    )


def read_bounded(stream: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes of `stream`; UnreadableText when there is more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def decode_text(data: bytes) -> str:
    """UTF-8, with or without a byte order mark; UnreadableText saying where it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableText(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})",
            "Save it as UTF-8",
        ) from None


_CHECK_PATH = "Check the path and its permissions"


def _oserror(error: OSError) -> UnreadableText:
    if isinstance(error, FileNotFoundError):
        return UnreadableText("does not exist", _CHECK_PATH, missing=True)
    if error.errno == errno.EISDIR:
        return _directory()
    return UnreadableText(f"cannot be read ({error.strerror or type(error).__name__})", _CHECK_PATH)


def _directory() -> UnreadableText:
    return UnreadableText("is a directory, not a file", "Give the path of a file")


def read_text_file(path: Path, limit: int) -> str:
    """The text in `path` (a file, a FIFO, a device), at most `limit` bytes."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise _directory()
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise _too_large(limit)
            data = read_bounded(handle, limit)
    except OSError as error:
        raise _oserror(error) from None
    return decode_text(data)


def read_standard_input(limit: int) -> str:
    """What standard input holds, at most `limit` bytes (nothing when it is closed)."""
    if sys.stdin is None:
        return ""
    try:
        data = read_bounded(sys.stdin.buffer, limit)
    except OSError as error:
        raise _oserror(error) from None
    return decode_text(data)
