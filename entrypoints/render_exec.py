"""How `code-mesh exec --dry-run` shows its plan (SPEC section 10): one line per variable set or
removed, or JSON; never a value. No cyclopts here, so any read path can print the same (and
json only for --json: exec's fast path imports this module)."""

from __future__ import annotations

from code_mesh.application.exec_plan import CODE_MESH_SECRETS, EXEC_MARKER, SET

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from code_mesh.application.exec_plan import VariableAction


def nested_note(handed_over_outside: str) -> str:
    """Said on stderr when exec runs inside another exec (CODE_MESH_EXEC is set)."""
    return (
        "code-mesh: note: running inside another `code-mesh exec` "
        f"(it handed over: {handed_over_outside or 'nothing'}); this one hands over only what it is given"
    )


def dry_run_line(action: VariableAction, handed_over: str) -> str:
    if action.provider is None:
        if action.variable == EXEC_MARKER:
            return f"set {EXEC_MARKER}: the providers handed over ({handed_over.replace(',', ', ')})"
        if action.variable in CODE_MESH_SECRETS:
            return f"unset {action.variable}: code-mesh's own secret"
    account = f"account {action.account}, " if action.account else ""
    where = f"({account}source {action.source})"
    if action.action == SET:
        return f"set {action.variable} from {action.provider} {where}"
    return f"unset {action.variable} for {action.provider} {where}: it would be used instead"


def dry_run_lines(actions: Sequence[VariableAction], handed_over: str) -> list[str]:
    return [dry_run_line(action, handed_over) for action in actions]


def dry_run_json(actions: Sequence[VariableAction]) -> str:
    """`[{"variable", "action", "provider", "account", "source"}]`."""
    import json

    return json.dumps([action.as_json() for action in actions], indent=2)


def dry_run_output(actions: Sequence[VariableAction], handed_over: str, as_json: bool) -> list[str]:
    """What `exec --dry-run [--json]` prints, line by line."""
    return [dry_run_json(actions)] if as_json else dry_run_lines(actions, handed_over)
