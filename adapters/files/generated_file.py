"""Files generated from others in the repository (catalog/index.py, entrypoints/help_pages.py):
written when they changed, or only checked, by the small commands that make them."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(target: Path, text: str, check: bool, regenerate: str) -> int:
    """With `check`, exit code 1 and one line naming `regenerate` when `target` is not `text`;
    else write it (only when it changed). The exit code either way."""
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if check:
        if current != text:
            print(f"{target} is out of date: run {regenerate}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0
