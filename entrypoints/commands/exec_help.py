"""What `code-mesh exec --help` shows (and shell completion offers): exec's own options.

Never called to run anything: cli.run reads exec's command line itself, because option
parsing stops at COMMAND (entrypoints/exec_arguments.py), and runs commands/exec_.py.
"""

from __future__ import annotations

from typing import Annotated

from cyclopts import Parameter

from code_mesh.entrypoints.arguments import complete_provider


def exec_help(
    *command: Annotated[str, Parameter(help="The command to run, and its arguments (after `--`).")],
    provider: Annotated[
        list[str] | None,
        Parameter(
            help="A provider to hand over, or PROVIDER:ACCOUNT for a stored account (beats the environment); "
            "repeat for more. Default: the project file's [accounts], else [exec] providers in config.toml.",
            completer=complete_provider,
            negative=(),
        ),
    ] = None,
    dry_run: Annotated[
        bool, Parameter(negative=(), help="Run nothing; print each variable that would be set or removed.")
    ] = False,
    json: Annotated[bool, Parameter(negative=(), help="With --dry-run: print the plan as JSON.")] = False,
) -> int:
    """Run COMMAND with the named providers' credentials in its environment, and nothing else changed."""
    raise AssertionError("exec's command line is read by cli.run")
