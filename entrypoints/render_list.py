"""How `auth list` looks (SPEC sections 3 and 9): the table, the notes under it, and the JSON.

No cyclopts and no store here: the full command and the read-only fast path
(entrypoints/fast_path/listing.py) hand over the rows the rule made
(application/list_credentials.py), so both print the same.
"""

from __future__ import annotations

import textwrap

from code_mesh.domain.durations import describe_duration
from code_mesh.domain.status import Status
from code_mesh.entrypoints.output import paint

TYPE_CHECKING = False  # the read paths import this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Callable

    from code_mesh.application.list_credentials import CredentialRow

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


def list_document(rows: list[CredentialRow], location: str, protection: str) -> dict[str, object]:
    """`auth list --json`."""
    return {"store": location, "protection": protection, "credentials": [row.as_json() for row in rows]}


def list_lines(
    rows: list[CredentialRow], now: float, location: str, protection: str, locked_advice: Callable[[], str]
) -> list[str]:
    """`auth list` for people: the table, the catalog's other providers, what the marks mean."""
    lines = render_table([row for row in rows if not row.listed_apart], now)
    others = [row.provider for row in rows if row.listed_apart]
    if others:
        lines += textwrap.wrap(
            f"Also in the catalog: {', '.join(others)} (`code-mesh auth login ID`).",
            80,
            break_on_hyphens=False,
        )
    lines.append("")
    for variable, provider in sorted({(row.shadowed_by, row.provider) for row in rows if row.shadowed_by}):
        lines.append(f"not used: {variable} is set and beats the stored {provider} credentials.")
    if any(row.status is Status.LOCKED for row in rows):
        lines.append(f"locked: the key that opens them is not at hand. {locked_advice()}")
    lines.append("* the active account of its provider")
    lines.append(f"Store: {location}")
    lines.append(f"Secrets: {protection}")
    return lines
