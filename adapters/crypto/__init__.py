"""Secrets at rest: AES-256-GCM sealing and the vaults that hold the keys."""
