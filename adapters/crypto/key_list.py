"""The text format of a key list (key file, keychain entry), readable without heavy imports.

code-mesh encryption keys v1
<id> <base64 key>        (the first key is the active one)
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

HEADER = "code-mesh encryption keys v1"
KEY_BYTES = 32


def parse_key_list(text: str) -> list[tuple[str, bytes]]:
    """The keys, active first; ValueError when the text is not a key list."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or lines[0] != HEADER:
        raise ValueError("not a code-mesh key list")
    keys = []
    for line in lines[1:]:
        identifier, encoded = line.split()
        try:
            key = binascii.a2b_base64(encoded)
        except binascii.Error:
            raise ValueError("a key is not base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError("a key has the wrong length")
        keys.append((identifier, key))
    return keys


def format_key_list(keys: Sequence[tuple[str, bytes]]) -> str:
    body = "".join(
        f"{identifier} {binascii.b2a_base64(key, newline=False).decode()}\n" for identifier, key in keys
    )
    return f"# The keys that open the secrets in auth.db. Keep private; back up.\n{HEADER}\n{body}"
