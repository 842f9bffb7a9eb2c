"""`code-mesh auth list` (alias `ls`): what is stored and what the environment provides.

Its plain forms are usually answered by the read-only fast path (entrypoints/fast_path/listing.py);
this is the full path, for everything else. The look is entrypoints/render_list.py's.
"""

from __future__ import annotations

import json as json_module
from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.list_credentials import list_credentials
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import say
from code_mesh.entrypoints.render_list import list_document, list_lines


def list_credentials_command(
    *,
    json: Annotated[bool, Parameter(negative=(), help="Print one JSON object for scripts.")] = False,
) -> int:
    """List credentials and their status; secrets are never shown."""
    store = bootstrap.open_store()
    now = bootstrap.clock().now()
    rows = list_credentials(store, bootstrap.environment(), now, bootstrap.settings())
    if json:
        say(json_module.dumps(list_document(rows, store.location, bootstrap.protection()), indent=2))
        return 0
    for line in list_lines(rows, now, store.location, bootstrap.protection(), bootstrap.way_out_of_locked):
        say(line)
    return 0
