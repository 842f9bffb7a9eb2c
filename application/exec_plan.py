"""What `code-mesh exec` does to COMMAND's environment (SPEC section 10), decided without a secret.

A read rule like credential_choice.py: plain functions over facts the caller has (the
providers' `[exec]` variables and `env`, each credential's type and where it came from, the
current environment), with no import beyond the standard library and the domain. The plan
names variables, providers, accounts and sources, never a value; the caller fills the values
in when it builds the environment, so a dry run and the real run cannot disagree.
"""

from __future__ import annotations

from code_mesh.domain.record import Record
from code_mesh.domain.rules import REFRESH_MARGIN_SECONDS, is_refresh_due

TYPE_CHECKING = False  # exec's fast path imports this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from code_mesh.domain.provider_facts import ExecVariables

CODE_MESH_SECRETS = ("CODE_MESH_PASSPHRASE", "CODE_MESH_DATABASE_URL", "CODE_MESH_KEY_FILE")
"""code-mesh's own secrets: COMMAND never gets them."""
EXEC_MARKER = "CODE_MESH_EXEC"
"""Set to the providers handed over (comma-separated), so a nested exec, or COMMAND, can tell."""
DEFAULT_MIN_LIFETIME_SECONDS = 3600
SET = "set"
UNSET = "unset"
ENVIRONMENT_FIELD = "environment"
"""The `field` of a credential taken from an environment variable: its value as it is."""


class Variables(Record):
    """Which variables one credential goes into, which are removed, and which of its secrets goes."""

    set: tuple[str, ...]
    unset: tuple[str, ...] = ()
    field: str = "key"
    """`key` (an API key), `access_token` or `refresh_token` (an OAuth token; Copilot hands over its
    GitHub token, kept as the refresh token), `custom` (what `auth token` prints)."""


def default_variable(provider: str, env: Sequence[str]) -> str:
    """The first of the provider's variables, else `ID_API_KEY` (upper case, `-` and `.` as `_`)."""
    if env:
        return env[0]
    return provider.upper().replace("-", "_").replace(".", "_") + "_API_KEY"


def exec_variables(
    provider: str, credential_type: str, facts: ExecVariables, env: Sequence[str]
) -> Variables:
    """SPEC section 10: the catalog's `[exec]` variables for the credential's type; else the
    provider's first variable (its `env`), else `ID_API_KEY`. An OAuth token replaces the
    variables its entry names in `oauth_unset` (Claude Code would prefer an API key to it)."""
    fallback = (default_variable(provider, env),)
    if credential_type == "oauth":
        if facts.oauth:
            return Variables(facts.oauth, facts.oauth_unset, facts.oauth_token_field)
        return Variables(facts.api_key or fallback, facts.oauth_unset, "access_token")
    if credential_type == "api_key":
        return Variables(facts.api_key or fallback)
    return Variables(fallback, field="custom")


def subscription_token_notice(provider: str, account: str, expires_at: int | None, now: float) -> str:
    """Said when a Claude Pro/Max token is handed over: how long COMMAND can use it (SPEC section 10)."""
    from code_mesh.domain.durations import describe_expiry

    how_long = "has no expiry" if expires_at is None else describe_expiry(expires_at, now)
    return f"code-mesh: the Claude Pro/Max token of {provider} (account {account}) handed over {how_long}."


def needs_refresh_first(
    credential_type: str,
    field: str,
    expires_at: int | None,
    can_refresh: bool,
    min_lifetime: float,
    now: float,
) -> bool:
    """Only what is handed over is refreshed, and only when less than `min_lifetime` is left (COMMAND
    cannot refresh it). A GitHub token handed over for Copilot needs none: no Copilot token is fetched."""
    if credential_type != "oauth" or field != "access_token" or not can_refresh:
        return False
    return is_refresh_due(expires_at, now, max(min_lifetime, REFRESH_MARGIN_SECONDS))


class HandOver(Record):
    """One provider's credential for COMMAND, as far as the plan needs to know it."""

    provider: str
    account: str | None
    """None for an environment source."""
    source: str
    """`option`, `env:VARIABLE`, `project`, `store` (SPEC section 2)."""
    variables: Variables


class VariableAction(Record):
    """One change to COMMAND's environment: never a value."""

    variable: str
    action: str
    """`set` or `unset`."""
    provider: str | None
    """None for code-mesh's own (its secrets, CODE_MESH_EXEC)."""
    account: str | None
    source: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "variable": self.variable,
            "action": self.action,
            "provider": self.provider,
            "account": self.account,
            "source": self.source,
        }


class VariableClash(ValueError):
    """Two providers handed over would set the same variable."""

    def __init__(self, variable: str, first: str, second: str) -> None:
        super().__init__(f"{first} and {second} would both set {variable}")
        self.variable = variable
        self.first = first
        self.second = second


def plan(handovers: Sequence[HandOver], environ: Mapping[str, str]) -> list[VariableAction]:
    """Every variable set, then every variable removed that is there to remove (those a handed-over
    OAuth token replaces, code-mesh's own secrets), then CODE_MESH_EXEC."""
    actions: list[VariableAction] = []
    setters: dict[str, str] = {}
    for handover in handovers:
        for variable in handover.variables.set:
            if variable in setters:
                raise VariableClash(variable, setters[variable], handover.provider)
            setters[variable] = handover.provider
            actions.append(
                VariableAction(variable, SET, handover.provider, handover.account, handover.source)
            )
    for handover in handovers:
        for variable in handover.variables.unset:
            if variable in environ and variable not in setters:
                actions.append(
                    VariableAction(variable, UNSET, handover.provider, handover.account, handover.source)
                )
    actions += [VariableAction(v, UNSET, None, None, None) for v in CODE_MESH_SECRETS if v in environ]
    actions.append(VariableAction(EXEC_MARKER, SET, None, None, None))
    return actions


def handed_over(handovers: Sequence[HandOver]) -> str:
    """CODE_MESH_EXEC's value: the providers, in the order they were named."""
    return ",".join(handover.provider for handover in handovers)


def child_environment(
    environ: Mapping[str, str], actions: Sequence[VariableAction], secrets: Mapping[str, str], marker: str
) -> dict[str, str]:
    """COMMAND's environment: `environ` with the plan applied; `secrets` maps each provider handed
    over to its secret, `marker` is CODE_MESH_EXEC's value. Nothing else changes."""
    child = dict(environ)
    for variable in (*CODE_MESH_SECRETS, *(a.variable for a in actions if a.action == UNSET)):
        child.pop(variable, None)
    for action in actions:
        if action.action != SET:
            continue
        if action.provider is None:
            child[action.variable] = marker
        else:
            child[action.variable] = secrets[action.provider]
    return child
