"""`code-mesh auth switch`: make a stored account the active one."""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.terminal.prompts import TerminalPrompter
from code_mesh.application.switch_account import switch_account
from code_mesh.domain.errors import CommandLineError
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import account_argument, complete_provider, provider_argument
from code_mesh.entrypoints.output import paint, say
from code_mesh.entrypoints.stored_choice import choose_stored


def switch(
    provider: Annotated[str | None, Parameter(help="Provider id.", completer=complete_provider)] = None,
    account: Annotated[str | None, Parameter(help="The stored account to make active.")] = None,
    /,
) -> int:
    """Make ACCOUNT the active account of PROVIDER (at a terminal without them: pick one)."""
    provider_id = None if provider is None else provider_argument(provider)
    account_name = None if account is None else account_argument(account)
    store = None
    if provider_id is None or account_name is None:
        prompter = TerminalPrompter()
        if not prompter.is_interactive():
            raise CommandLineError(
                "Name the provider and the account to switch to",
                "Run `code-mesh auth switch PROVIDER ACCOUNT` (`code-mesh auth list` shows them)",
            )
        store = bootstrap.open_store()
        with store.reading() as repository:
            stored = repository.summaries(provider_id)
        picked = choose_stored(prompter, "Which account should be active?", stored)
        provider_id, account_name = picked.provider, picked.account
    switch_account(store or bootstrap.open_store(), provider_id, account_name)
    say(f"{paint('✓', '32')} {provider_id}: account {account_name} is active now.")
    return 0
