"""`code-mesh auth list` (alias `ls`): what is stored and what the environment provides."""

from __future__ import annotations

import json as json_module
import textwrap
from typing import Annotated

from cyclopts import Parameter

from code_mesh.application.list_credentials import CredentialRow, list_credentials
from code_mesh.domain.credentials import Status
from code_mesh.domain.durations import describe_duration
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say

_STATUS_COLOURS = {
    Status.AUTHENTICATED: "32",
    Status.EXPIRED: "33",
    Status.NEEDS_LOGIN: "31",
    Status.NOT_AUTHENTICATED: "2",
    Status.LOCKED: "31",
}


def describe_status(row: CredentialRow, now: float) -> str:
    if row.status is Status.NOT_AUTHENTICATED:
        return "not authenticated"
    if row.status is Status.NEEDS_LOGIN:
        return "needs login"
    if row.status is Status.LOCKED:
        return "locked (key not at hand)"
    if row.status is Status.EXPIRED:
        return "expired (refreshed on use)"
    text = "authenticated"
    if row.expires_at is not None:
        text += f", {describe_duration(row.expires_at - now)} left"  # short: the table fits 80 columns
    if row.shadowed_by:
        text += " (not used)"  # the line below the table names the variable
    return text


WIDTH = 80
"""The table fits a classic terminal: TYPE gives way first, then NAME is shortened (`--json`
has both in full)."""
_SHORTEST_NAME = 8


def _fitted(headers: tuple[str, ...], widths: list[int]) -> list[int]:
    """The columns to show (indexes), after narrowing `widths` in place to fit WIDTH."""
    shown = list(range(len(headers)))

    def total() -> int:
        return sum(widths[i] for i in shown) + 2 * (len(shown) - 1)

    if total() > WIDTH:
        shown.remove(headers.index("TYPE"))
    name = headers.index("NAME")
    if total() > WIDTH:
        room = widths[name] - (total() - WIDTH)
        if room >= _SHORTEST_NAME:
            widths[name] = room
        else:
            shown.remove(name)
    return shown


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(rows: list[CredentialRow], now: float) -> list[str]:
    headers = ("PROVIDER", "NAME", "ACCOUNT", "TYPE", "STATUS", "SOURCE")
    cells = [
        (
            row.provider,
            row.name,
            ("* " if row.active and row.account else "  ") + (row.account or "-"),
            row.type or "-",
            describe_status(row, now),
            row.source or "-",
        )
        for row in rows
    ]
    widths = [max(len(header), *(len(cell[i]) for cell in cells)) for i, header in enumerate(headers)]
    shown = _fitted(headers, widths)
    status_column = headers.index("STATUS")

    def line(values: tuple[str, ...], status: Status | None = None) -> str:
        padded = []
        for i in shown:
            cell = _cut(values[i], widths[i]).ljust(widths[i])
            padded.append(paint(cell, _STATUS_COLOURS[status]) if status and i == status_column else cell)
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(cell, row.status) for cell, row in zip(cells, rows, strict=True))]


def list_credentials_command(
    *,
    json: Annotated[bool, Parameter(negative=(), help="Print one JSON object for scripts.")] = False,
) -> int:
    """List credentials and their status; secrets are never shown."""
    store = bootstrap.open_store()
    now = bootstrap.clock().now()
    rows = list_credentials(store, bootstrap.environment(), now, bootstrap.settings())
    if json:
        document = {
            "store": store.location,
            "protection": bootstrap.protection(),
            "credentials": [row.as_json() for row in rows],
        }
        say(json_module.dumps(document, indent=2))
        return 0
    for text in render_table([row for row in rows if not row.listed_apart], now):
        say(text)
    others = [row.provider for row in rows if row.listed_apart]
    if others:
        for line in textwrap.wrap(
            f"Also in the catalog: {', '.join(others)} (`code-mesh auth login ID`).",
            80,
            break_on_hyphens=False,
        ):
            say(line)
    say()
    for variable, provider in sorted({(row.shadowed_by, row.provider) for row in rows if row.shadowed_by}):
        say(f"not used: {variable} is set and beats the stored {provider} credentials.")
    if any(row.status is Status.LOCKED for row in rows):
        say(f"locked: the key that opens them is not at hand. {bootstrap.way_out_of_locked()}")
    say("* the active account of its provider")
    say(f"Store: {store.location}")
    say(f"Secrets: {bootstrap.protection()}")
    return 0
