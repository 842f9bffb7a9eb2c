"""`code-mesh auth import`: merge an auth.json into the store, all entries or none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from code_mesh.adapters.files.auth_json import FORMATS, detect_format
from code_mesh.adapters.files.text_input import (
    AUTH_JSON_LIMIT,
    UnreadableText,
    read_standard_input,
    read_text_file,
)
from code_mesh.application.import_credentials import ImportAction, import_credentials, screen_metadata_urls
from code_mesh.domain.errors import InvalidAuthFile
from code_mesh.domain.wording import counted
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import note_aliases
from code_mesh.entrypoints.output import paint, say, warn


def _read(path: str | None) -> tuple[str, str]:
    """The document's text and a name for it in messages (at most 64 MiB, UTF-8, BOM allowed)."""
    source = None if path == "-" else Path(path).expanduser() if path else bootstrap.home().auth_json
    name = "standard input" if source is None else str(source)
    try:
        if source is None:
            return read_standard_input(AUTH_JSON_LIMIT), name
        return read_text_file(source, AUTH_JSON_LIMIT), name
    except UnreadableText as error:
        next_step = (
            "Give the path of an auth.json, or - for standard input" if error.missing else error.next_step
        )
        raise InvalidAuthFile(f"{name} {error.problem}; nothing was imported", next_step) from None


def import_credentials_command(
    path: Annotated[
        str | None,
        Parameter(
            allow_leading_hyphen=True,
            help="An auth.json, or - for standard input. Default: $CODE_MESH_HOME/auth.json",
        ),
    ] = None,
    /,
    *,
    format: Annotated[
        Literal["auto", "code-mesh", "opencode"], Parameter(help="Layout of the file.")
    ] = "auto",
    dry_run: Annotated[bool, Parameter(negative=(), help="Show what would change; change nothing.")] = False,
) -> int:
    """Import an auth.json (code-mesh or opencode layout): entries replace the same provider:account."""
    text, name = _read(path)
    if not text.strip():
        say(f"Nothing to import: {name} is empty; nothing was changed.")
        return 0
    try:
        codec = detect_format(text) if format == "auto" else FORMATS[format]
        entries = codec.decode(text)
    except InvalidAuthFile as error:
        raise InvalidAuthFile(f"{name}: {error.message}", error.next_step) from None
    note_aliases(entry.written_as for entry in entries)
    entries, dropped = screen_metadata_urls(entries, bootstrap.settings().provider)
    for line in dropped:
        warn(line)
    if not entries:  # an export of an empty store comes back as it went
        say(f"Nothing to import: {name} holds no credentials ({codec.name} format); nothing was changed.")
        return 0
    store = bootstrap.open_store()
    planned = import_credentials(store, entries, dry_run=dry_run)
    if dry_run:
        for item in planned:
            say(f"{item.action.value:<9} {item.entry.label}")
        say(
            f"Dry run: nothing was changed ({counted(len(planned), 'entry')} in {name}, {codec.name} format)."
        )
        return 0
    changed = sum(1 for item in planned if item.action is not ImportAction.UNCHANGED)
    say(
        f"{paint('✓', '32')} Imported {counted(len(planned), 'credential')} from {name} "
        f"({codec.name} format; {changed} added or replaced, {len(planned) - changed} unchanged)."
    )
    return 0
