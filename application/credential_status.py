"""What `auth status` says of each provider (SPEC section 12), as plain rules over what is at hand.

Like credential_choice.py, a read rule: no store, no network, no import beyond the standard
library and the domain. It takes the credential each provider would use (a CredentialChoice)
and the time, and says its type, status, whether it is usable, how long it lasts, and
whether it deserves a warning; the `--online` outcome is laid over it by the caller.
"""

from __future__ import annotations

from code_mesh.domain.durations import describe_duration
from code_mesh.domain.record import Record
from code_mesh.domain.status import Status

TYPE_CHECKING = False  # the read paths import this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from code_mesh.application.credential_choice import CredentialChoice, ProjectAccounts
    from code_mesh.domain.credential_summary import CredentialSummary

WARNING_WINDOW_SECONDS = 24 * 3600
"""A credential that cannot be refreshed and ends within this long gets a warning."""
USABLE = (Status.AUTHENTICATED, Status.EXPIRED)
"""`expired` holds a refresh token: it is refreshed on use."""
OK = "ok"
SKIPPED = "skipped"


class ProviderStatus(Record):
    """One block of `auth status`: the credential a provider would use here, and its state."""

    provider: str
    name: str
    choice: CredentialChoice
    type: str | None
    status: Status
    expires_at: int | None
    can_refresh: bool
    usable: bool
    online: str | None = None
    """None without --online; else `ok`, `skipped`, or what went wrong, in one line."""
    online_detail: str | None = None
    """Why a check was skipped, for the human output."""
    online_failed: bool = False
    """The check did not happen as asked (a network error, an answer that says nothing)."""

    def with_online(
        self, outcome: str, *, detail: str | None = None, refused: bool = False, failed: bool = False
    ) -> ProviderStatus:
        """The block after an --online check: a refused key is not usable; a check that could
        not be made leaves `usable` as it was, but the whole answer is not ok."""
        return self.replace(
            online=outcome,
            online_detail=detail,
            usable=self.usable and not refused,
            online_failed=failed,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "name": self.name,
            "account": self.choice.account,
            "source": self.choice.source,
            "type": self.type,
            "status": str(self.status),
            "expires_at": self.expires_at,
            "usable": self.usable,
            "online": self.online,
        }


def provider_status(name: str, choice: CredentialChoice, now: float) -> ProviderStatus:
    """The state of the credential `choice` names (an environment key is an authenticated
    api_key; nothing to use is not-authenticated)."""
    if choice.variable is not None:
        return ProviderStatus(
            choice.provider, name, choice, "api_key", Status.AUTHENTICATED, None, False, True
        )
    summary = choice.summary
    if not choice.found or summary is None:
        return ProviderStatus(
            choice.provider, name, choice, None, Status.NOT_AUTHENTICATED, None, False, False
        )
    status = summary.status(now)
    return ProviderStatus(
        choice.provider,
        name,
        choice,
        summary.type,
        status,
        summary.expires_at,
        summary.can_refresh,
        status in USABLE,
    )


def expiry_words(block: ProviderStatus, now: float) -> str | None:
    """`expires in 2h 13m`, `expired 5m ago; refreshes on next use`, `expired 3d ago`; None when
    the credential has no expiry (the two largest units, rounded down)."""
    if block.expires_at is None:
        return None
    left = block.expires_at - now
    if left > 0:
        return f"expires in {describe_duration(left)}"
    ago = f"expired {describe_duration(-left)} ago"
    return f"{ago}; refreshes on next use" if block.status is Status.EXPIRED else ago


def ends_soon_without_refresh(block: ProviderStatus, now: float) -> bool:
    """SPEC section 12's warning: it cannot be refreshed and it ends within 24 hours."""
    if block.expires_at is None or block.can_refresh or not block.usable:
        return False
    return 0 < block.expires_at - now <= WARNING_WINDOW_SECONDS


def providers_to_show(
    known: Sequence[str],
    summaries: Iterable[CredentialSummary],
    with_variable: Iterable[str],
    project: ProjectAccounts | None,
) -> list[str]:
    """Every provider with a stored credential, a set variable or an account the project file
    names, in the order code-mesh knows them (the main built-ins first), then the others by id."""
    wanted = {s.provider for s in summaries} | set(with_variable) | set(project.accounts if project else ())
    ordered = [provider for provider in known if provider in wanted]
    return ordered + sorted(wanted - set(ordered))


def all_ok(blocks: Sequence[ProviderStatus]) -> bool:
    """Exit 0 only when something is shown and every one is usable and verified as asked."""
    return bool(blocks) and all(block.usable and not block.online_failed for block in blocks)


def status_document(blocks: Sequence[ProviderStatus]) -> Mapping[str, object]:
    """`auth status --json`: `{"providers": [...], "ok": BOOL}`."""
    return {"providers": [block.as_json() for block in blocks], "ok": all_ok(blocks)}
