"""The Browser port: open a URL in a graphical browser, or say that none is available.

The browser is another program, started with code-mesh's environment; it must not get the
secrets in it (issue 9, L3): the passphrase, the database URL, the key file and the
providers' keys and tokens are removed from the environment while it is started, and put
back at once (webbrowser takes no environment of its own).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

SECRET_VARIABLES = frozenset(
    {"CODE_MESH_PASSPHRASE", "CODE_MESH_DATABASE_URL", "CODE_MESH_KEY_FILE", "DATABASE_URL"}
)
SECRET_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_PASSPHRASE", "_DATABASE_URL")
"""Variable names that hold secrets by convention: OPENAI_API_KEY, GH_TOKEN, AWS_SECRET_ACCESS_KEY …"""


def is_secret_variable(name: str) -> bool:
    upper = name.upper()
    return upper in SECRET_VARIABLES or upper.endswith(SECRET_SUFFIXES)


@contextmanager
def without_secrets(environ: MutableMapping[str, str]) -> Iterator[None]:
    """`environ` without the secret variables for the duration of the block."""
    removed = {name: environ.pop(name) for name in [name for name in environ if is_secret_variable(name)]}
    try:
        yield
    finally:
        environ.update(removed)


class SystemBrowser:
    def open(self, url: str) -> bool:
        # Without a display, webbrowser would start a text browser in this very terminal.
        if sys.platform != "darwin" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return False
        import webbrowser

        with without_secrets(os.environ):
            try:
                return webbrowser.open(url, new=2)
            except webbrowser.Error:
                return False
