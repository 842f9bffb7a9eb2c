"""`code-mesh auth which PROVIDER [--json]`: which credential `token`, `run` and `exec` would use
here, and why (SPEC section 11). The rule is application/credential_choice.py's."""

from __future__ import annotations

import json as json_module
from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.credential_choice import choose_credential
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import complete_provider, provider_argument
from code_mesh.entrypoints.output import say
from code_mesh.entrypoints.project import project_accounts
from code_mesh.entrypoints.render_status import which_document, which_line


def which(
    provider: Annotated[str, Parameter(help="Provider id.", completer=complete_provider)],
    /,
    *,
    json: Annotated[bool, Parameter(negative=(), help="Print one JSON object for scripts.")] = False,
) -> int:
    """Say which credential PROVIDER would use here and why (exit 1 when none would be)."""
    provider_id = provider_argument(provider)
    entry = bootstrap.settings().provider(provider_id)
    environ = bootstrap.environment()
    project = project_accounts()
    summaries = []
    if entry.variable_set(environ) is None:  # a variable answers without the store
        with bootstrap.open_store().reading() as repository:
            summaries = repository.summaries(provider_id)
    choice = choose_credential(provider_id, None, entry.env, environ, project, summaries)
    say(json_module.dumps(which_document(choice)) if json else which_line(choice))
    return 0 if choice.found else 1
