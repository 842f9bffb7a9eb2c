"""Key ids, passphrase keys and the text format of a key list (key file, keychain entry):
what the `auth token` path needs, with no import beyond binascii (and hashlib to derive).

code-mesh encryption keys v1
<id> <base64 key>        (the newest key first)
"""

from __future__ import annotations

import binascii

TYPE_CHECKING = False  # the `auth token` path imports this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Sequence

HEADER = "code-mesh encryption keys v1"
KEY_BYTES = 32
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}

_derived: dict[tuple[str, str], bytes] = {}


def key_id(key: bytes) -> str:
    """A key's fingerprint: the id stored with each ciphertext, and the store's check value."""
    import hashlib  # here, not above: reading a key file on the token path needs no hashing

    return "k" + hashlib.sha256(b"code-mesh key id\x00" + key).hexdigest()[:12]


def derive_key(passphrase: str, salt_hex: str) -> bytes:
    """scrypt (about 50 ms, 16 MiB); remembered, since a rotation derives each key several times.
    ValueError for a salt that is not hex, UnicodeEncodeError for a passphrase that is not text."""
    import hashlib

    if (passphrase, salt_hex) not in _derived:
        _derived[passphrase, salt_hex] = hashlib.scrypt(
            passphrase.encode("utf-8"), salt=bytes.fromhex(salt_hex), dklen=KEY_BYTES, **SCRYPT
        )
    return _derived[passphrase, salt_hex]


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


def sealed_key_id(value: str | None) -> str | None:
    """The key id in a sealed value (`cm1:<id>:…`), read without the key; None for anything else."""
    if not value or not value.startswith("cm1:"):
        return None
    parts = value.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[1] else None
