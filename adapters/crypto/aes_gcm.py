"""Sealing one secret field with AES-256-GCM (SPEC section 8).

A sealed value is `cm1:<key id>:<base64 of nonce + ciphertext + tag>`. The associated
data names the provider, account and field, so a ciphertext copied to another row or
field does not open. This module is on the `auth token` path: it imports only the
AES-GCM primitive (cryptography's Rust binding directly; the public module around
it costs three times as much to import, mostly `typing`).
"""

from __future__ import annotations

import binascii
import os

try:
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl

    AESGCM = _rust_openssl.aead.AESGCM
except (ImportError, AttributeError):  # a cryptography that moved its internals
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "cm1"
NONCE_BYTES = 12
KEY_BYTES = 32


class OpenFailed(Exception):
    """The value does not open with that key and associated data."""


class UnknownKey(Exception):
    """The value was sealed with a key id that is not available."""

    def __init__(self, key_id: str) -> None:
        super().__init__(key_id)
        self.key_id = key_id


def associated_data(provider: str, account: str, field: str) -> bytes:
    return f"code-mesh/v1\x00{provider}\x00{account}\x00{field}".encode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def seal(key: bytes, key_id: str, plaintext: str, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), aad)
    encoded = binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii")
    return f"{PREFIX}:{key_id}:{encoded}"


def open_sealed(keys: dict[str, bytes], value: str, aad: bytes) -> str:
    try:
        prefix, key_id, encoded = value.split(":", 2)
        raw = binascii.a2b_base64(encoded)
    except (ValueError, binascii.Error):
        raise OpenFailed from None
    if prefix != PREFIX:
        raise OpenFailed
    key = keys.get(key_id)
    if key is None:
        raise UnknownKey(key_id)
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode("utf-8")
    except Exception:  # cryptography's InvalidTag, or a truncated value
        raise OpenFailed from None


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)
