"""`code-mesh auth logout`: remove credentials, after a confirmation or --yes."""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.terminal.prompts import TerminalPrompter
from code_mesh.application.logout import log_out, plan_logout
from code_mesh.domain.errors import Cancelled, CommandLineError, ConfirmationRequired
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, optional_account, provider_argument
from code_mesh.entrypoints.output import paint, say
from code_mesh.entrypoints.project import stored_account_here
from code_mesh.entrypoints.stored_choice import choose_stored


def logout(
    provider: Annotated[str | None, Parameter(help="Provider id.", completer=complete_provider)] = None,
    /,
    *,
    account: Annotated[str | None, Parameter(help="Remove this account instead of the active one.")] = None,
    all_: Annotated[
        bool,
        Parameter(
            name="--all",
            negative=(),
            help="Every account of PROVIDER, or everything when no PROVIDER is given.",
        ),
    ] = False,
    yes: Annotated[bool, Parameter(negative=(), help="Do not ask for confirmation.")] = False,
) -> int:
    """Log out: remove the active (or named) account of a provider (at a terminal: pick one)."""
    prompter = TerminalPrompter()
    provider_id = None if provider is None else provider_argument(provider)
    account_name = optional_account(account)
    if provider_id is None and not all_ and not prompter.is_interactive():
        raise CommandLineError(
            "Name the provider to log out of, or use --all to remove everything",
            "Run `code-mesh auth logout PROVIDER`",
        )
    if all_ and account_name is not None:
        raise CommandLineError("--all and --account cannot be used together")
    store = bootstrap.open_store()
    if provider_id is None and not all_:
        with store.reading() as repository:
            stored = repository.summaries()
        if account_name is not None:
            stored = [c for c in stored if c.account == account_name]
        picked = choose_stored(prompter, "Which credential should be removed?", stored)
        provider_id, account_name = picked.provider, picked.account
    if provider_id is not None and account_name is None and not all_:
        account_name = stored_account_here(provider_id)  # the project file's account, when it names one
    targets = plan_logout(store, provider_id, account_name, all_)
    described = ", ".join(f"{p}:{a}" for p, a in targets)
    if not yes:
        if not prompter.is_interactive():
            raise ConfirmationRequired(
                f"Not removing {described} without confirmation (standard input is not a terminal)",
                "Add --yes to remove it",
            )
        if not prompter.confirm(f"Remove {described}?"):
            raise Cancelled("Nothing was removed")
    result = log_out(store, targets)
    for removed_provider, removed_account in result.removed:
        say(f"{paint('✓', '32')} Logged out of {removed_provider} (account {removed_account}).")
    for active_provider, active_account in result.now_active.items():
        say(f"  {active_provider}: account {active_account} is active now.")
    return 0
