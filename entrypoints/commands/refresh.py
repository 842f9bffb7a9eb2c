"""`code-mesh auth refresh`: refresh an OAuth credential now."""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.domain.durations import describe_expiry
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, optional_account, provider_argument
from code_mesh.entrypoints.output import paint, say
from code_mesh.entrypoints.project import stored_account_here


def refresh(
    provider: Annotated[str, Parameter(help="Provider id.", completer=complete_provider)],
    /,
    *,
    account: Annotated[str | None, Parameter(help="A stored account instead of the active one.")] = None,
) -> int:
    """Refresh PROVIDER's OAuth credential now (exit 1 if it cannot be refreshed)."""
    provider_id = provider_argument(provider)
    account_name = optional_account(account)
    if account_name is None:
        account_name = stored_account_here(provider_id)  # the project file's account, when it names one
    stored = bootstrap.refresh(provider_id, account_name, force=True)
    expiry = ""
    if stored.expires_at is not None:
        expiry = f"; {describe_expiry(stored.expires_at, bootstrap.clock().now())}"
    say(f"{paint('✓', '32')} Refreshed {provider_id} (account {stored.account}){expiry}.")
    return 0
