"""`code-mesh auth refresh`: refresh an OAuth credential now, or every one due within the hour."""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.refresh_all import refresh_all
from code_mesh.domain.durations import describe_expiry
from code_mesh.domain.errors import CommandLineError
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, optional_account, provider_argument
from code_mesh.entrypoints.output import paint, say, warn
from code_mesh.entrypoints.project import stored_account_here


def refresh(
    provider: Annotated[str | None, Parameter(help="Provider id.", completer=complete_provider)] = None,
    /,
    *,
    account: Annotated[str | None, Parameter(help="A stored account instead of the active one.")] = None,
    all_: Annotated[
        bool,
        Parameter(name="--all", negative=(), help="Every OAuth credential due within the next hour."),
    ] = False,
) -> int:
    """Refresh PROVIDER's OAuth credential now (exit 1 if it cannot be refreshed)."""
    if all_:
        if provider is not None or account is not None:
            raise CommandLineError(
                "--all refreshes every due credential: give no PROVIDER or --account with it"
            )
        return _refresh_all()
    if provider is None:
        raise CommandLineError(
            "Name the provider to refresh, or use --all", "Run `code-mesh auth refresh PROVIDER`"
        )
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


def _refresh_all() -> int:
    now = bootstrap.clock().now()
    results = refresh_all(bootstrap.open_store(), lambda p, a: bootstrap.refresh(p, a, force=True), now)
    if not results:
        say("Nothing is due for a refresh within the next hour.")
        return 0
    for result in results:
        if result.stored is not None:
            expiry = ""
            if result.stored.expires_at is not None:
                expiry = f"; {describe_expiry(result.stored.expires_at, bootstrap.clock().now())}"
            say(f"{paint('✓', '32')} Refreshed {result.provider} (account {result.account}){expiry}.")
        else:
            assert result.error is not None
            say(f"{paint('✗', '31')} {result.provider} (account {result.account}): {result.error.one_line()}")
    failed = sum(1 for result in results if result.error is not None)
    if failed:
        warn(f"{failed} of {len(results)} due credential(s) could not be refreshed")
        return 1
    return 0
