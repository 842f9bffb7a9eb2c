"""`code-mesh auth doctor`: check the store, its key and the credentials; exit 1 on a problem."""

from __future__ import annotations

import json as json_module
from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.doctor import Level, run_checks, unopenable_store_checks
from code_mesh.domain.errors import StoreUnavailable
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say

_COLOURS = {Level.OK: "32", Level.WARNING: "33", Level.PROBLEM: "31"}


def doctor(
    *,
    json: Annotated[bool, Parameter(negative=(), help="Print the checks as JSON for scripts.")] = False,
) -> int:
    """Check permissions, integrity, schema, the key and every secret, credentials and environment."""
    inspector = bootstrap.store_inspector()  # before opening: opening narrows permissions
    location = bootstrap.store_location()
    try:
        store = bootstrap.open_store()
    except StoreUnavailable as error:  # not SQLite, a directory, newer: the file checks still say why
        checks = unopenable_store_checks(inspector, error)
    else:
        checks = run_checks(store, inspector, bootstrap.environment(), bootstrap.clock().now())
    problem = any(check.level is Level.PROBLEM for check in checks)
    if json:
        say(json_module.dumps({"store": location, "checks": [c.as_json() for c in checks]}, indent=2))
    else:
        for check in checks:
            level = paint(f"{check.level:<7}", _COLOURS[check.level])
            advice = f" → {check.next_step}" if check.next_step and check.level is not Level.OK else ""
            say(f"{level} {check.name:<12} {check.message}{advice}")
    return 1 if problem else 0
