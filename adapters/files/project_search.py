"""Where a project file (`.code-mesh.toml`, SPEC section 11) may be: a walk of `stat` calls.

The working directory, then each parent, up to the filesystem root; but for a directory below
the user's home the walk stops there, and the home itself is not searched (a file in the home
would choose accounts everywhere, which is what `auth switch` is for). Only `os` is used here:
the `auth token` fast path walks this too, and hands over to the full path when a file is found.
"""

from __future__ import annotations

import os

PROJECT_FILE_NAME = ".code-mesh.toml"


def candidates(cwd: str, home: str) -> list[str]:
    """The paths a project file may have, nearest first (a list: `collections.abc` is not
    loaded at start-up, and this module must cost the fast path nothing but stats)."""
    homes = {os.path.normpath(home), os.path.realpath(home)} if home else set()
    found: list[str] = []
    directory = os.path.normpath(cwd)
    while directory not in homes:
        found.append(os.path.join(directory, PROJECT_FILE_NAME))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return found


def nearest_existing(cwd: str, home: str) -> str | None:
    """The nearest candidate that exists at all (a file, a link, anything), or None."""
    for path in candidates(cwd, home):
        try:
            os.lstat(path)
        except OSError:
            continue
        return path
    return None
