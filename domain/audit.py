"""The audit log's vocabulary (SPEC section 13): what was done, to which credential, and how it went.

Never a secret and never a command line: an entry holds ids, names and two words."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    SWITCH = "switch"
    IMPORT = "import"
    EXPORT = "export"
    REFRESH = "refresh"
    KEY_ROTATE = "key-rotate"
    READ = "read"


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    """A provider or the database said no."""
    FAILED = "failed"


@dataclass(frozen=True)
class AuditEntry:
    """One row to write; who and when are added by the store (the server, on PostgreSQL)."""

    action: Action
    provider: str | None = None
    account: str | None = None
    outcome: Outcome = Outcome.OK


@dataclass(frozen=True)
class AuditRow:
    """One row as read back. `os_user` and `host` are what the client said; `db_user` (null on
    SQLite) and, on PostgreSQL, `at` come from the database server."""

    at: int
    os_user: str | None
    host: str | None
    db_user: str | None
    action: str
    provider: str | None
    account: str | None
    outcome: str

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at,
            "os_user": self.os_user,
            "host": self.host,
            "db_user": self.db_user,
            "action": self.action,
            "provider": self.provider,
            "account": self.account,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class AuditQuery:
    provider: str | None = None
    since: float | None = None
    """Unix seconds: only rows at or after this."""
    limit: int = 50
