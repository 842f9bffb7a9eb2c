"""`code-mesh auth switch`: make a stored account the active one."""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.switch_account import switch_account
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import account_argument, provider_argument
from code_mesh.entrypoints.output import paint, say


def switch(
    provider: Annotated[str, Parameter(help="Provider id.")],
    account: Annotated[str, Parameter(help="The stored account to make active.")],
    /,
) -> int:
    """Make ACCOUNT the active account of PROVIDER."""
    provider_id = provider_argument(provider)
    account_name = account_argument(account)
    switch_account(bootstrap.open_store(), provider_id, account_name)
    say(f"{paint('✓', '32')} {provider_id}: account {account_name} is active now.")
    return 0
