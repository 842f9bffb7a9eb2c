"""`code-mesh auth token`: the usable secret, alone on one line, for scripts.

The common case never gets here: entrypoints/fast_path/token.py answers it without
cyclopts or SQLAlchemy. This module handles everything else with full messages,
including the single-flight refresh of a token that is due.
"""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.debug_log import logger
from code_mesh.application.audit import record_read
from code_mesh.application.token import stored_token, token_from_environment
from code_mesh.domain.credentials import StoredCredential
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, optional_account, provider_argument
from code_mesh.entrypoints.output import say, warn
from code_mesh.entrypoints.project import project_accounts


def token(
    provider: Annotated[str, Parameter(help="Provider id.", completer=complete_provider)],
    /,
    *,
    account: Annotated[str | None, Parameter(help="A stored account instead of the active one.")] = None,
) -> int:
    """Print the usable secret for PROVIDER and nothing else (for scripts and apiKeyHelper)."""
    provider_id = provider_argument(provider)
    account_name = optional_account(account)
    entry = bootstrap.settings().provider(provider_id)
    project = project_accounts()  # a malformed one is an error even when a variable answers
    result = token_from_environment(entry, account_name, bootstrap.environment())
    if result is None:

        def refresh(stored: StoredCredential) -> StoredCredential:
            return bootstrap.refresh(stored.provider, stored.account)

        store = bootstrap.open_store()
        read: list[StoredCredential] = []
        now = bootstrap.clock().now()
        result = stored_token(store, provider_id, account_name, now, refresh, project, read.append)
        if read and bootstrap.reads_audited():
            problem = record_read(store, read[-1].provider, read[-1].account)
            if problem:
                warn(problem)
    logger("token").debug("credential for %s from %s", provider_id, result.source)
    say(result.secret.reveal())
    return 0
