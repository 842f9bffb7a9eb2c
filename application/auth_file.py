"""What an auth.json holds, independent of its layout (the codecs are adapters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from code_mesh.domain.credentials import Credential, StoredCredential
from code_mesh.domain.identifiers import AccountName, ProviderId

FORMATS = ("code-mesh", "opencode")


@dataclass(frozen=True)
class AuthFileEntry:
    """One credential read from an auth.json; `active` when it stood under a bare provider id."""

    provider: ProviderId
    account: AccountName
    credential: Credential
    needs_login: bool = False
    active: bool = False
    written_as: str | None = None
    """Another tool's id for the provider, when the file used one (`github` for github-copilot)."""

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.account}"


@dataclass(frozen=True)
class EncodedAuthFile:
    """An auth.json ready to write, and the credentials the format had no place for."""

    text: str
    written: int
    left_out: tuple[str, ...] = ()
    """Custom credentials the format has no shape for."""
    not_active: tuple[str, ...] = ()
    """Accounts other than the active one, in a format that holds one per provider (opencode's)."""


class AuthFileCodec(Protocol):
    """Reads and writes one auth.json layout."""

    name: str

    def decode(self, text: str) -> list[AuthFileEntry]:
        """All entries, or InvalidAuthFile naming the first bad one."""
        ...

    def encode(self, credentials: list[StoredCredential]) -> EncodedAuthFile: ...
