"""The project file of the working directory, for the commands that resolve a credential.

Read afresh by each command (the working directory is the process's, and a test may run
the CLI in-process from several), never cached.
"""

from __future__ import annotations

import os

from code_mesh.application.credential_choice import ProjectAccounts, choose_stored
from code_mesh.domain.errors import NotLoggedIn
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.entrypoints.output import warn


def project_accounts() -> ProjectAccounts | None:
    """The accounts the nearest project file names (SPEC section 11), or None; ConfigError (exit
    1, naming the file and line) when it is malformed."""
    from code_mesh.adapters.files.project_file import find_project_accounts

    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed: no project to speak of
        return None
    return find_project_accounts(cwd, os.path.expanduser("~"), warn)


def stored_account_here(provider: ProviderId) -> AccountName | None:
    """For `auth refresh` and `auth logout` without --account (SPEC section 11): the account the
    project file names for `provider` (NotLoggedIn, naming the file, when it is not stored), or
    None when no project file names one (the active account then)."""
    project = project_accounts()
    if project is None or provider not in project.accounts:
        return None
    from code_mesh.entrypoints import bootstrap

    with bootstrap.open_store().reading() as repository:
        summaries = repository.summaries(provider)
    choice = choose_stored(provider, None, project, summaries)
    if choice.account is None:
        raise NotLoggedIn(choice.reason, choice.next_step)
    return AccountName(choice.account)
