"""What can be said of a stored credential without its secrets (and so without the key).

A Record, not a dataclass, and the status enum imported only when a status is asked for:
`exec`'s fast path chooses among summaries and never needs either (domain/record.py says why).
"""

from __future__ import annotations

from code_mesh.domain.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from code_mesh.domain.identifiers import AccountName, ProviderId
    from code_mesh.domain.status import Status


class CredentialSummary(Record):
    """One stored credential's public facts: whose, which type, until when, and whether usable."""

    provider: ProviderId
    account: AccountName
    type: str
    expires_at: int | None
    can_refresh: bool
    needs_login: bool
    active: bool
    locked: bool = False
    """The key its secrets need is certainly not at hand (told without the key, SPEC section 8)."""

    def status(self, now: float) -> Status:
        from code_mesh.domain.status import Status, credential_status

        if self.locked:
            return Status.LOCKED
        return credential_status(self.expires_at, self.can_refresh, self.needs_login, now)
