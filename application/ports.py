"""The ports the use cases need; adapters make them real."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from code_mesh.domain.credentials import Credential, StoredCredential
from code_mesh.domain.identifiers import AccountName, ProviderId


@dataclass(frozen=True)
class CredentialWrite:
    """One credential to add or replace; `activate` makes it its provider's active account."""

    provider: ProviderId
    account: AccountName
    credential: Credential
    needs_login: bool = False
    activate: bool = True


class CredentialRepository(Protocol):
    """The credentials as seen inside one transaction of the store."""

    def get(self, provider: ProviderId, account: AccountName) -> StoredCredential | None: ...

    def active(self, provider: ProviderId) -> StoredCredential | None:
        """The active account of `provider`: the one most recently activated."""
        ...

    def all(self) -> list[StoredCredential]:
        """Every credential, by provider, the active account first, then by account."""
        ...

    def save(
        self,
        provider: ProviderId,
        account: AccountName,
        credential: Credential,
        *,
        needs_login: bool = False,
        activate: bool = True,
    ) -> None:
        """Add or replace; `activate` makes it the provider's active account."""
        ...

    def save_many(self, writes: Sequence[CredentialWrite]) -> None:
        """`save` for each, in order, as one batch (an import of thousands stays fast)."""
        ...

    def delete(self, provider: ProviderId, account: AccountName) -> bool: ...

    def activate(self, provider: ProviderId, account: AccountName) -> None: ...


class CredentialStore(Protocol):
    """Where credentials live. Writes happen in one all-or-nothing transaction."""

    @property
    def location(self) -> str: ...

    def reading(self) -> AbstractContextManager[CredentialRepository]:
        """A consistent read-only view."""
        ...

    def writing(self) -> AbstractContextManager[CredentialRepository]:
        """An exclusive read-modify-write transaction: committed on success, else rolled back."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...


class Prompter(Protocol):
    """Questions asked of a person at a terminal."""

    def is_interactive(self) -> bool: ...

    def choose(self, title: str, options: Sequence[str]) -> int:
        """The index of the option picked."""
        ...

    def secret(self, prompt: str) -> str:
        """A line typed without echo."""
        ...

    def confirm(self, question: str) -> bool: ...
