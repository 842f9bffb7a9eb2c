"""The Browser port: open a URL in a graphical browser, or say that none is available."""

from __future__ import annotations

import os
import sys


class SystemBrowser:
    def open(self, url: str) -> bool:
        # Without a display, webbrowser would start a text browser in this very terminal.
        if sys.platform != "darwin" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return False
        import webbrowser

        try:
            return webbrowser.open(url, new=2)
        except webbrowser.Error:
            return False
