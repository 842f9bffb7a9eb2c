"""How a personal store's secrets are protected, in words, with no import at all (`auth list`)."""

from __future__ import annotations

import os

KEYCHAIN, KEYFILE, PASSPHRASE = "keychain", "keyfile", "passphrase"


def protection_words(protection: str | None, keyed: bool, home: str) -> str:
    """What `auth list` says under Secrets:; needs neither the key nor the crypto library."""
    if not keyed:
        return "not yet decided (no credential stored)"
    if protection == KEYCHAIN:
        return "AES-256-GCM, key in the OS keychain"
    if protection == PASSPHRASE:
        return "AES-256-GCM, key derived from CODE_MESH_PASSPHRASE (scrypt)"
    return f"AES-256-GCM, key in {os.path.join(home, 'key')} (no OS keychain)"
