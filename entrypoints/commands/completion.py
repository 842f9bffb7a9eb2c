"""`code-mesh completion SHELL`: a shell completion script, made by cyclopts from the commands."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

from cyclopts import Parameter


def completion(
    shell: Annotated[Literal["bash", "zsh", "fish"], Parameter(help="The shell to complete for.")],
    /,
) -> int:
    """Print a completion script for SHELL: commands, options and provider ids."""
    from code_mesh.entrypoints.cli import app

    sys.stdout.write(app.generate_completion(shell=shell, prog_name="code-mesh"))
    sys.stdout.flush()
    return 0
