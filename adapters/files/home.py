"""The code-mesh home directory: where it is, and keeping it private (0700, files 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from code_mesh.adapters.files.private_file import remove_dead_writers_leftovers
from code_mesh.domain.errors import StoreUnavailable

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class Home:
    """Paths of everything code-mesh keeps (SPEC section 1)."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "auth.db"

    @property
    def auth_json(self) -> Path:
        return self.root / "auth.json"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def schema_lock(self) -> Path:
        return self.locks / "schema.lock"


def resolve_home(environ: Mapping[str, str]) -> Home:
    """$CODE_MESH_HOME, else ~/.code-mesh."""
    configured = environ.get("CODE_MESH_HOME")
    root = Path(configured).expanduser() if configured else Path.home() / ".code-mesh"
    return Home(root.absolute())


def _refuse_foreign(label: str, owner: int) -> None:
    """Another user's file would let that user read or plant credentials: never use it."""
    if owner != os.getuid():
        raise StoreUnavailable(
            f"{label} belongs to another user (uid {owner}), so code-mesh will not use it; "
            "nothing was changed",
            "Use your own CODE_MESH_HOME, or have the owner remove the file",
        )


def described(path: Path) -> str:
    """The path as people should read it: a symlink shows where it leads."""
    return f"{path} (-> {os.path.realpath(path)})" if path.is_symlink() else str(path)


STORE_FILES = ("auth.db", "key")
"""Files that must be regular files: a symlink to a device or a FIFO is refused, not used."""


def _narrow(path: Path, wanted: int, warn: Callable[[str], None]) -> None:
    """The one rule for symlinks in the home: follow them, and check and narrow what they lead
    to (its owner, its kind, its mode), as if it stood here (SPEC section 1)."""
    info = path.stat()  # follows a symlink: the target is what holds the secrets
    _refuse_foreign(described(path), info.st_uid)
    mode = stat.S_IMODE(info.st_mode)
    if mode & ~wanted:
        os.chmod(path, wanted)  # follows a symlink too: the target is narrowed, never the link
        warn(f"{described(path)} was open to other users (mode {mode:04o}); narrowed to {wanted:04o}")


def prepare_home(home: Home, warn: Callable[[str], None]) -> None:
    """Create the directory 0700 whatever the umask, and narrow anything found wider."""
    root = home.root
    try:
        if not root.is_dir():
            made = Path(os.path.realpath(root))  # a symlinked home that leads nowhere yet: make its target
            made.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
            made.chmod(DIRECTORY_MODE)
        _narrow(root, DIRECTORY_MODE, warn)
        removed = remove_dead_writers_leftovers(root)
        if removed:
            warn(
                f"removed {', '.join(str(path) for path in removed)}: left behind by a code-mesh that "
                "was killed while writing (an export holds secrets in the clear)"
            )
        for entry in os.scandir(root):
            path = Path(entry.path)
            try:
                kind = path.stat().st_mode
                if stat.S_ISDIR(kind):
                    _narrow(path, DIRECTORY_MODE, warn)
                elif stat.S_ISREG(kind):
                    _narrow(path, FILE_MODE, warn)
                elif entry.name in STORE_FILES:
                    raise StoreUnavailable(
                        f"{described(path)} is not a regular file, so code-mesh will not use it; "
                        "nothing was changed",
                        "Move it aside (or restore the file from your backup)",
                    )
            except FileNotFoundError:
                # Another process's -wal/-shm or temporary file went away meanwhile (or a
                # symlink leads nowhere): nothing to narrow.
                continue
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StoreUnavailable(
            f"Cannot use {root} as the code-mesh home ({reason})",
            "Set CODE_MESH_HOME to a directory you can write to",
        ) from None
