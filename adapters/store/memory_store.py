"""An in-memory CredentialStore: the same contract as SQLite, for fast unit tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from code_mesh.application.ports import CredentialWrite, NewTeamKey, Reencryption, Unreadable
from code_mesh.domain.audit import Action, AuditEntry, AuditQuery, AuditRow
from code_mesh.domain.credentials import Credential, CredentialSummary, StoredCredential
from code_mesh.domain.identifiers import AccountName, ProviderId

Key = tuple[ProviderId, AccountName]


@dataclass(frozen=True)
class _Row:
    credential: Credential
    needs_login: bool
    activation: int


class _MemoryRepository:
    def __init__(self, rows: dict[Key, _Row], writable: bool, audit_rows: list[AuditRow]) -> None:
        self._rows = rows
        self._writable = writable
        self._audit_rows = audit_rows

    def record(self, *entries: AuditEntry) -> None:
        self._require_writable()
        self._audit_rows.extend(_audit_row(entry) for entry in entries)

    def audit(self, query: AuditQuery) -> list[AuditRow]:
        rows = [
            row
            for row in reversed(self._audit_rows)
            if (query.provider is None or row.provider == query.provider)
            and (query.since is None or row.at >= query.since)
        ]
        return rows[: query.limit]

    def _stored(self, key: Key, row: _Row, active: bool) -> StoredCredential:
        return StoredCredential(key[0], key[1], row.credential, row.needs_login, active)

    def _active_key(self, provider: ProviderId) -> Key | None:
        candidates = [(k, r) for k, r in self._rows.items() if k[0] == provider]
        if not candidates:
            return None
        # Highest activation wins; among equals the first account name, as in SQL.
        return min(candidates, key=lambda item: (-item[1].activation, item[0][1]))[0]

    def get(self, provider: ProviderId, account: AccountName) -> StoredCredential | None:
        row = self._rows.get((provider, account))
        if row is None:
            return None
        return self._stored((provider, account), row, self._active_key(provider) == (provider, account))

    def active(self, provider: ProviderId) -> StoredCredential | None:
        key = self._active_key(provider)
        return None if key is None else self._stored(key, self._rows[key], True)

    def all(self) -> list[StoredCredential]:
        ordered = sorted(self._rows.items(), key=lambda item: (item[0][0], -item[1].activation, item[0][1]))
        return [self._stored(key, row, self._active_key(key[0]) == key) for key, row in ordered]

    def summaries(self, provider: ProviderId | None = None) -> list[CredentialSummary]:
        summaries = [s.summary() for s in self.all() if provider is None or s.provider == provider]
        return sorted(summaries, key=lambda c: (c.provider, not c.active, c.account))

    def all_readable(self) -> tuple[list[StoredCredential], list[Unreadable]]:
        return self.all(), []  # nothing is sealed in memory, so everything opens

    def _require_writable(self) -> None:
        if not self._writable:
            raise RuntimeError("a reading transaction cannot write")

    def _next_activation(self) -> int:
        return max((row.activation for row in self._rows.values()), default=0) + 1

    def save(
        self,
        provider: ProviderId,
        account: AccountName,
        credential: Credential,
        *,
        needs_login: bool = False,
        activate: bool = True,
    ) -> None:
        self._require_writable()
        existing = self._rows.get((provider, account))
        activation = self._next_activation() if activate else (existing.activation if existing else 0)
        self._rows[(provider, account)] = _Row(credential, needs_login, activation)

    def save_many(self, writes: Sequence[CredentialWrite]) -> None:
        for write in writes:
            self.save(
                write.provider,
                write.account,
                write.credential,
                needs_login=write.needs_login,
                activate=write.activate,
            )

    def delete(self, provider: ProviderId, account: AccountName) -> bool:
        self._require_writable()
        return self._rows.pop((provider, account), None) is not None

    def mark_needs_login(self, provider: ProviderId, account: AccountName) -> None:
        self._require_writable()
        key = (provider, account)
        self._rows[key] = replace(self._rows[key], needs_login=True)

    def activate(self, provider: ProviderId, account: AccountName) -> None:
        self._require_writable()
        row = self._rows[(provider, account)]
        self._rows[(provider, account)] = replace(row, activation=self._next_activation())


def _audit_row(entry: AuditEntry) -> AuditRow:
    at = int(time.time())
    return AuditRow(at, None, None, None, entry.action, entry.provider, entry.account, entry.outcome)


class InMemoryCredentialStore:
    """Transactions work on a copy that replaces the original only on success."""

    def __init__(self) -> None:
        self._rows: dict[Key, _Row] = {}
        self._audit_rows: list[AuditRow] = []
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return ":memory:"

    @property
    def team(self) -> bool:
        return False

    @contextmanager
    def reading(self) -> Iterator[_MemoryRepository]:
        yield _MemoryRepository(dict(self._rows), writable=False, audit_rows=list(self._audit_rows))

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        with self._lock:
            self._audit_rows.extend(_audit_row(entry) for entry in entries)

    def active_key_id(self) -> str | None:
        return None  # nothing is sealed in memory

    def reencrypt(self, key_id: str, new_key: NewTeamKey | None = None) -> Reencryption:
        """Nothing is encrypted in memory; the count is what a real store would re-seal."""
        self.append_audit([AuditEntry(Action.KEY_ROTATE)])
        return Reencryption(len(self._rows), (), frozenset({key_id}))

    def check_writable(self, provider: ProviderId, account: AccountName) -> None:
        """Memory can always be written: a write transaction that changes nothing."""
        with self.writing():
            pass

    @contextmanager
    def writing(self) -> Iterator[_MemoryRepository]:
        with self._lock:
            working = dict(self._rows)
            audit_rows = list(self._audit_rows)
            yield _MemoryRepository(working, writable=True, audit_rows=audit_rows)
            self._rows = working
            self._audit_rows = audit_rows
