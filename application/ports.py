"""The ports the use cases need; adapters make them real."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from code_mesh.domain.audit import AuditEntry, AuditQuery, AuditRow
from code_mesh.domain.credentials import Credential, CredentialSummary, StoredCredential
from code_mesh.domain.errors import CodeMeshError
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.oauth import DeviceAuthorization, DevicePoll, ExchangedToken, TokenGrant
from code_mesh.domain.secret import Secret


@dataclass(frozen=True)
class CredentialWrite:
    """One credential to add or replace; `activate` makes it its provider's active account."""

    provider: ProviderId
    account: AccountName
    credential: Credential
    needs_login: bool = False
    activate: bool = True


@dataclass(frozen=True)
class Unreadable:
    """A stored credential whose secrets cannot be opened here (locked or damaged), and why."""

    provider: ProviderId
    account: AccountName
    reason: CodeMeshError

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.account}"


@dataclass(frozen=True)
class NewTeamKey:
    """A team store's next key, made outside the store (a new passphrase's salt, a new key
    file): a rotation seals every row with it and records it in the same transaction."""

    protection: str
    salts: tuple[str, ...]
    key_id: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class Reencryption:
    """What a re-seal under a new key did."""

    rows: int
    """Credentials now sealed with the new key."""
    not_resealed: tuple[Unreadable, ...]
    """Those whose secrets could not be opened; they keep the key they are sealed with."""
    key_ids_in_use: frozenset[str]
    """Every key id a stored secret still names: none of these may be retired."""


class CredentialRepository(Protocol):
    """The credentials as seen inside one transaction of the store."""

    def get(self, provider: ProviderId, account: AccountName) -> StoredCredential | None: ...

    def active(self, provider: ProviderId) -> StoredCredential | None:
        """The active account of `provider`: the one most recently activated."""
        ...

    def all(self) -> list[StoredCredential]:
        """Every credential, by provider, then most recently activated first (so the active
        account first, and the others in the order they would become active)."""
        ...

    def summaries(self, provider: ProviderId | None = None) -> list[CredentialSummary]:
        """Every credential (or one provider's) without its secrets: never needs the key (SPEC
        section 8); by provider, the active account first, then by account. A summary says
        `locked` where the store can tell that cheaply."""
        ...

    def all_readable(self) -> tuple[list[StoredCredential], list[Unreadable]]:
        """`all()` split: the credentials whose secrets open, and those that do not (one
        undecryptable row must not stop an export, an import or a rotation of the others)."""
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

    def mark_needs_login(self, provider: ProviderId, account: AccountName) -> None:
        """Set needs-login and change nothing else (a refused refresh keeps every field)."""
        ...

    def activate(self, provider: ProviderId, account: AccountName) -> None: ...

    def record(self, *entries: AuditEntry) -> None:
        """Add rows to the audit log, in this transaction (so they commit with the change)."""
        ...

    def audit(self, query: AuditQuery) -> list[AuditRow]:
        """Audit rows, newest first."""
        ...


class CredentialStore(Protocol):
    """Where credentials live. Writes happen in one all-or-nothing transaction."""

    @property
    def location(self) -> str:
        """Where the store is, for people: a path, or a database URL without its password."""
        ...

    @property
    def team(self) -> bool:
        """A store shared by several machines and people (PostgreSQL, SPEC section 13)."""
        ...

    def reading(self) -> AbstractContextManager[CredentialRepository]:
        """A consistent read-only view."""
        ...

    def writing(self) -> AbstractContextManager[CredentialRepository]:
        """An exclusive read-modify-write transaction: committed on success, else rolled back."""
        ...

    def active_key_id(self) -> str | None:
        """The key the store's secrets are sealed with now; None while nothing is sealed."""
        ...

    def reencrypt(self, key_id: str, new_key: NewTeamKey | None = None) -> Reencryption:
        """Seal every secret that opens again under `key_id`, in one transaction, and record
        `key_id` as the store's key; the caller holds the key lock exclusively. With `new_key`
        (a team store), seal with that key and record its protection and salts instead."""
        ...

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Audit rows for what changed nothing (a read, an export, a failure), in a short
        transaction of their own; StoreUnavailable when they cannot be written."""
        ...

    def check_writable(self, provider: ProviderId, account: AccountName) -> None:
        """A write transaction that changes nothing on this credential's row: StoreUnavailable
        when the store cannot be written now (a full disk, say), before anything irreversible."""
        ...


class KeyLock(Protocol):
    """One lock over the store's key material (SPEC section 8), for every process at once.

    Exclusive while keys change (a rotation: add, re-seal, retire); shared by every store
    transaction, taken before the database's own write lock and held until the
    transaction ends, so the order is always key lock, then database. Reentrant within a
    thread: the rotation's own re-seal takes it shared inside its exclusive hold.
    A SQLite store uses an flock; a team store PostgreSQL's advisory locks (a rotation holds
    it exclusively at session level, and every transaction takes it shared)."""

    def shared(self) -> AbstractContextManager[None]: ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Waits for every shared holder, and a second exclusive waits for the first."""
        ...


class KeyVault(Protocol):
    """Where the encryption keys live (SPEC section 8): the OS keychain, a key file, or a passphrase.

    Keys carry ids; the vault may hold several during a rotation."""

    @property
    def where(self) -> str:
        """Where the key was expected, for error messages."""
        ...

    def active_key_id(self) -> str:
        """The newest key's id."""
        ...

    def keys(self) -> dict[str, bytes]:
        """Every key the vault holds, by id; KeyUnavailable (naming where) when it cannot."""
        ...

    def key(self, key_id: str) -> bytes | None:
        """One key by its id, or None when the vault does not hold it (KeyUnavailable when it
        cannot be read at all); asks for no more than that one."""
        ...

    def check_holds(self, key_id: str) -> None:
        """KeyUnavailable, saying where the key was expected and both ways out, unless the
        vault holds `key_id` (a mistyped passphrase or a replaced key file does not)."""
        ...

    def ensure_key(self) -> tuple[str, bool]:
        """For a store's first key: the newest key the vault holds, else a new one (never
        replacing keys it cannot read); with whether one was made."""
        ...

    def known_key_ids(self) -> frozenset[str] | None:
        """The ids held, when that is cheap to tell without deriving or decrypting; else None."""
        ...

    def add_key(self) -> str:
        """A new key, durable before this returns, made the newest; its id."""
        ...

    def retire(self, key_ids: Sequence[str]) -> None:
        """Forget these keys (after the rows moved away from them)."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait; a fake clock just moves on."""
        ...


@dataclass(frozen=True)
class FailureNote:
    """A refresh that failed, noted beside the credential's lock for the processes queued behind it."""

    at: float
    """Unix seconds."""
    message: str
    next_step: str | None = None


class CredentialLocks(Protocol):
    """An exclusive lock per credential, shared by every process (single-flight refresh), and a
    note of the last failed refresh beside it (no secret in it)."""

    def hold(self, provider: ProviderId, account: AccountName, wait: float) -> AbstractContextManager[bool]:
        """Hold the lock for the block, which gets True; or False, holding nothing, when the lock
        could not be had within `wait` seconds."""
        ...

    def last_failure(self, provider: ProviderId, account: AccountName) -> FailureNote | None: ...

    def note_failure(self, provider: ProviderId, account: AccountName, note: FailureNote) -> None:
        """Keep `note` (best effort: a note that cannot be written is no failure)."""
        ...


@dataclass(frozen=True)
class TokenEndpoint:
    """Where and how to ask for tokens: JSON bodies (Anthropic) or RFC 6749 forms."""

    url: str
    client_id: str
    client_secret: Secret | None = None
    json_body: bool = False


class OAuthGateway(Protocol):
    """The HTTP side of OAuth. Fails with ProviderUnavailable (network, 5xx, not JSON) or
    OAuthErrorResponse (the server's `error` code); never with a secret in the message."""

    def exchange_code(
        self, endpoint: TokenEndpoint, code: Secret, verifier: Secret, redirect_uri: str, state: str | None
    ) -> TokenGrant: ...

    def refresh(self, endpoint: TokenEndpoint, refresh_token: Secret) -> TokenGrant: ...

    def start_device_authorization(
        self, url: str, endpoint: TokenEndpoint, scope: str | None
    ) -> DeviceAuthorization:
        """RFC 8628 section 3.1; a confidential client authenticates as at the token endpoint."""
        ...

    def poll_device_token(self, endpoint: TokenEndpoint, device_code: Secret) -> TokenGrant | DevicePoll: ...

    def create_api_key(self, url: str, access_token: Secret) -> Secret: ...

    def fetch_copilot_token(self, url: str, github_token: Secret) -> ExchangedToken:
        """The Copilot token bought with the GitHub token: its expiry, and its API host when said."""
        ...


class LoginView(Protocol):
    """What a login shows the user, and the one answer it may need from them."""

    def show_link(self, text: str, url: str) -> None:
        """A URL to open, printed and flushed on a line of its own."""
        ...

    def show_device_code(self, user_code: str, verification_uri: str) -> None: ...

    def read_answer(self, prompt: str) -> str:
        """One line: typed at a terminal, or read from standard input in scripts."""
        ...

    def waiting(self, message: str) -> AbstractContextManager[None]:
        """A spinner on a terminal, a plain line otherwise."""
        ...

    def info(self, message: str) -> None: ...


class Browser(Protocol):
    def open(self, url: str) -> bool:
        """True when a browser was started."""
        ...


@dataclass(frozen=True)
class RedirectAnswer:
    """What arrived at the loopback redirect: a code, or the server's error."""

    code: Secret | None
    state: str | None
    error: str | None = None


class LoopbackReceiver(Protocol):
    """A one-shot HTTP listener on 127.0.0.1 for the authorization redirect (RFC 8252).

    Started with a test of the `state` parameter: a request whose state does not belong to
    the login (none, or another) is answered with an error page and ignored, so no other
    local process can end or steer the login by calling the listener first."""

    @property
    def redirect_uri(self) -> str: ...

    def wait(self, timeout: float) -> RedirectAnswer | None:
        """The answer, or None when nothing came in time."""
        ...
