"""Use case: the store as an auth.json document."""

from __future__ import annotations

from code_mesh.application.auth_file import AuthFileCodec, EncodedAuthFile
from code_mesh.application.ports import CredentialStore


def export_credentials(store: CredentialStore, codec: AuthFileCodec) -> EncodedAuthFile:
    with store.reading() as repository:
        credentials = repository.all()
    return codec.encode(credentials)
