"""`code-mesh auth log`: the audit log, newest first (SPEC section 13)."""

from __future__ import annotations

import json as json_module
import time
from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.audit import audit_log
from code_mesh.domain.audit import AuditQuery, AuditRow
from code_mesh.domain.durations import parse_duration
from code_mesh.domain.errors import CommandLineError
from code_mesh.domain.text import for_terminal
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import provider_argument
from code_mesh.entrypoints.output import say

_HEADERS = ("TIME (UTC)", "ACTION", "CREDENTIAL", "OUTCOME", "OS USER*", "HOST*", "DB USER")


def _cells(row: AuditRow) -> tuple[str, ...]:
    credential = f"{row.provider}:{row.account}" if row.provider else "-"
    return (
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row.at)),
        row.action,
        credential,
        row.outcome,
        *(for_terminal(value) if value else "-" for value in (row.os_user, row.host, row.db_user)),
    )


def log(
    *,
    json: Annotated[bool, Parameter(negative=(), help="Print a JSON list for scripts.")] = False,
    provider: Annotated[str | None, Parameter(help="Only rows about this provider.")] = None,
    since: Annotated[str | None, Parameter(help="Only rows from this long ago: 30m, 12h, 7d.")] = None,
    limit: Annotated[int, Parameter(help="At most this many rows.")] = 50,
) -> int:
    """Show the audit log, newest first: who did what to which credential, and how it went."""
    provider_id = None if provider is None else provider_argument(provider)
    seconds = None
    if since is not None:
        seconds = parse_duration(since)
        if seconds is None:
            raise CommandLineError(f"--since takes a duration like 30m, 12h or 7d, not {since!r}")
    if limit < 1:
        raise CommandLineError("--limit must be at least 1")
    now = bootstrap.clock().now()
    query = AuditQuery(provider_id, None if seconds is None else now - seconds, limit)
    rows = audit_log(bootstrap.open_store(), query)
    if json:
        say(json_module.dumps([row.as_json() for row in rows], indent=2))
        return 0
    if not rows:
        say("The audit log has no rows" + (" that match." if provider or since else " yet."))
        return 0
    cells = [_cells(row) for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(_HEADERS)]
    for line in (_HEADERS, *cells):
        say("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())
    say()
    say("* OS user and host are what each client reported about itself; the database user is the server's")
    return 0
