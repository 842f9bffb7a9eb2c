"""`code-mesh auth export`: write the store as an auth.json other tools can read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from code_mesh.adapters.files.auth_json import FORMATS
from code_mesh.adapters.files.disk_space import is_disk_full
from code_mesh.adapters.files.private_file import write_named_output
from code_mesh.application.export_credentials import export_credentials
from code_mesh.domain.errors import CodeMeshError, DiskFull
from code_mesh.domain.wording import counted
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import notice, paint, warn


def export(
    *,
    format: Annotated[Literal["code-mesh", "opencode"], Parameter(help="Layout of the file.")] = "code-mesh",
    output: Annotated[
        str | None,
        Parameter(
            allow_leading_hyphen=True,
            help="Where to write: a path, or - for standard output. Default: $CODE_MESH_HOME/auth.json",
        ),
    ] = None,
) -> int:
    """Export the store as auth.json (secrets in the clear, file mode 0600)."""
    store = bootstrap.open_store()
    exported = export_credentials(store, FORMATS[format])
    encoded = exported.encoded
    for unreadable in exported.unreadable:
        warn(f"{unreadable.label} left out: {unreadable.reason.message}")
    if exported.unaudited is not None:
        warn(f"the export was not recorded in the audit log: {exported.unaudited.message}")
    for label in encoded.left_out:
        warn(f"{label} left out: the {format} format has no place for this custom credential")
    if encoded.not_active:
        warn(
            f"{', '.join(encoded.not_active)} left out: the {format} format holds one account per provider, "
            "the active one (`code-mesh auth switch` chooses it)"
        )
    if output == "-":
        sys.stdout.write(encoded.text)
        sys.stdout.flush()
        return 0
    destination = Path(output).expanduser() if output else bootstrap.home().auth_json
    try:
        write_named_output(destination, encoded.text)
    except OSError as error:
        if is_disk_full(error):
            raise DiskFull(
                f"cannot write {destination}; nothing was written",
                "Free some space, or choose another path with --output",
            ) from None
        raise CodeMeshError(
            f"Cannot write {destination} ({error.strerror or error})",
            "Choose another path with --output",
        ) from None
    written = counted(encoded.written, "credential")
    notice(f"{paint('✓', '32')} Exported {written} to {destination} ({format} format).")
    notice("  Reminder: this file holds your secrets in the clear; keep it private and delete it when done.")
    return 0
