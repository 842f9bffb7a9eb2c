"""`code-mesh exec [--provider P[:ACCOUNT]]… [--dry-run [--json]] [--] COMMAND [ARG…]` (SPEC section 10).

Runs COMMAND with each named provider's credential in the variables the catalog names for
it, code-mesh's own secrets removed and nothing else changed, by replacing this process
(`execvpe`): COMMAND's exit code, signals and terminal are its own. Least privilege: only the
providers named (by --provider, else the project file, else `[exec] providers`) are handed
over. The secrets go into COMMAND's environment only, never into argv or any output.

Called by cli.run with exec's own command line already read (entrypoints/exec_arguments.py):
no cyclopts here. The rules are application/credential_choice.py's and exec_plan.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from code_mesh.adapters.debug_log import logger
from code_mesh.application.credential_choice import CredentialChoice, ProjectAccounts, choose_credential
from code_mesh.application.exec_plan import (
    EXEC_MARKER,
    HandOver,
    VariableClash,
    child_environment,
    exec_variables,
    handed_over,
    needs_refresh_first,
    plan,
    subscription_token_notice,
)
from code_mesh.application.settings import Settings
from code_mesh.application.token import find_credential, login_command, token_from_environment
from code_mesh.domain.credentials import (
    ApiKey,
    CredentialSummary,
    Custom,
    InvalidCredential,
    OAuthToken,
    Status,
    StoredCredential,
    one_line_secret,
)
from code_mesh.domain.errors import (
    CodeMeshError,
    CommandLineError,
    NotLoggedIn,
)
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.providers import ProviderEntry
from code_mesh.domain.rules import REFRESH_MARGIN_SECONDS
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import provider_spec
from code_mesh.entrypoints.exec_arguments import ExecArguments
from code_mesh.entrypoints.exec_process import replace_this_process
from code_mesh.entrypoints.output import notice, say, warn
from code_mesh.entrypoints.project import project_accounts
from code_mesh.entrypoints.render_exec import dry_run_output, nested_note

Requested = tuple[ProviderId, AccountName | None]
_NAME_THEM = (
    "Name them: `code-mesh exec --provider anthropic -- claude` (or list them under [accounts] in a "
    ".code-mesh.toml, or as [exec] providers in config.toml)"
)


def exec_command(arguments: ExecArguments) -> int:
    config = bootstrap.settings()
    environ = bootstrap.environment()
    project = project_accounts()  # a malformed one is an error, before anything is read or sent
    requested = _requested(arguments, project, config)
    nested = environ.get(EXEC_MARKER)
    if nested is not None:
        notice(nested_note(nested))
    not_started = "nothing was run" if arguments.dry_run else f"{_shown(arguments.command)} was not started"
    summaries = _Summaries()
    handovers: list[HandOver] = []
    secrets: dict[str, str] = {}
    lasting: list[str] = []
    for provider, account in requested:
        entry = config.provider(provider)
        choice = choose_credential(
            provider, account, entry.env, environ, project, summaries.needed(entry, account)
        )
        if not choice.found:
            raise NotLoggedIn(f"{choice.sentence}; {not_started}", choice.next_step)
        handover, secret, lasts = _hand_over(entry, choice, environ, config, arguments.dry_run, not_started)
        logger("exec").debug(
            "%s from %s goes to COMMAND as %s", provider, choice.source, ",".join(handover.variables.set)
        )
        handovers.append(handover)
        secrets[provider] = secret
        if lasts:
            lasting.append(lasts)
    try:
        actions = plan(handovers, environ)
    except VariableClash as clash:
        raise CodeMeshError(
            f"{clash}, so neither is handed over; {not_started}",
            "Hand one of them over at a time, or change its env in config.toml",
        ) from None
    marker = handed_over(handovers)
    if arguments.dry_run:
        for line in dry_run_output(actions, marker, arguments.json):
            say(line)
        return 0
    for line in lasting:
        notice(line)
    _record_reads(handovers)
    bootstrap.reset()  # the open store, the HTTP client: nothing of this process's is left open
    replace_this_process(arguments.command, child_environment(environ, actions, secrets, marker))


def _record_reads(handovers: Sequence[HandOver]) -> None:
    """SPEC section 13: one `read` row per stored credential handed over, where reads are audited
    (never a secret, never COMMAND's command line). A dry run hands nothing over and records nothing."""
    stored = [handover for handover in handovers if handover.account is not None]
    if not stored or not bootstrap.reads_audited():
        return
    from code_mesh.application.audit import record_read

    for handover in stored:
        assert handover.account is not None
        problem = record_read(bootstrap.open_store(), handover.provider, handover.account)
        if problem:
            warn(problem)


def _requested(
    arguments: ExecArguments, project: ProjectAccounts | None, config: Settings
) -> list[Requested]:
    """Least privilege: --provider, else the project file's [accounts], else [exec] providers."""
    if arguments.providers:
        requested = [provider_spec(text) for text in arguments.providers]
    elif project is not None and project.accounts:
        requested = [(ProviderId(provider), None) for provider in project.accounts]
    elif config.exec_providers:
        requested = [provider_spec(text) for text in config.exec_providers]
    else:
        raise CommandLineError(
            "exec hands over only the providers you name, and none was named (no --provider, no project "
            "file, no [exec] providers in config.toml)",
            _NAME_THEM,
        )
    seen: set[str] = set()
    for provider, _ in requested:
        if provider in seen:
            raise CommandLineError(f"{provider} is named twice", "Name each provider once (PROVIDER:ACCOUNT)")
        seen.add(provider)
    return requested


class _Summaries:
    """The store's summaries, read once and only when a credential must come from the store."""

    def __init__(self) -> None:
        self._summaries: list[CredentialSummary] | None = None

    def needed(self, entry: ProviderEntry, account: AccountName | None) -> Sequence[CredentialSummary]:
        if account is None and entry.variable_set(bootstrap.environment()):
            return ()
        if self._summaries is None:
            with bootstrap.open_store().reading() as repository:
                self._summaries = repository.summaries()
        return self._summaries


def _hand_over(
    entry: ProviderEntry,
    choice: CredentialChoice,
    environ: Mapping[str, str],
    config: Settings,
    dry_run: bool,
    not_started: str,
) -> tuple[HandOver, str, str | None]:
    """One provider's hand-over: the variables, the secret, and (for a Claude Pro/Max token) how
    long it lasts. A due OAuth token is refreshed first (not in a dry run, which sends nothing)."""
    assert choice.source is not None
    if choice.variable is not None:
        token = token_from_environment(entry, None, environ)
        assert token is not None
        variables = exec_variables(entry.id, "api_key", entry.exec, entry.env)
        return HandOver(entry.id, None, choice.source, variables), token.secret.reveal(), None
    assert choice.account is not None
    stored = find_credential(bootstrap.open_store(), entry.id, AccountName(choice.account))
    now = bootstrap.clock().now()
    if stored.status(now) is Status.NEEDS_LOGIN:
        raise CodeMeshError(
            f"The credential for {entry.id} (account {stored.account}) needs a new login; {not_started}",
            f"Run `{login_command(stored)}`",
        )
    variables = exec_variables(entry.id, stored.type, entry.exec, entry.env)
    credential = stored.credential
    lifetime = config.exec_min_lifetime
    due = isinstance(credential, OAuthToken) and needs_refresh_first(
        stored.type, variables.field, credential.expires_at, credential.can_refresh, lifetime, now
    )
    if due and not dry_run:
        stored = bootstrap.refresh(entry.id, stored.account, margin=max(lifetime, REFRESH_MARGIN_SECONDS))
    secret = _secret(stored, variables.field, not_started)
    lasts = None
    if entry.holds_subscription_token(stored.type):
        lasts = subscription_token_notice(
            entry.id, stored.account, stored.expires_at, bootstrap.clock().now()
        )
    return HandOver(entry.id, stored.account, choice.source, variables), secret, lasts


def _secret(stored: StoredCredential, field: str, not_started: str) -> str:
    """The secret `field` names, as one line (an environment variable holds no line break)."""
    credential = stored.credential
    value = None
    if isinstance(credential, ApiKey):
        value = credential.key
    elif isinstance(credential, OAuthToken):
        value = credential.refresh_token if field == "refresh_token" else credential.access_token
    elif isinstance(credential, Custom):
        value = credential.usable_secret()
    login = f"Run `{login_command(stored)}`"
    where = f"{stored.provider} (account {stored.account})"
    if value is None:
        what = "no GitHub token" if field == "refresh_token" else "no single field to hand over"
        raise CodeMeshError(f"The credential for {where} holds {what}; {not_started}", login)
    try:
        return one_line_secret(value.reveal(), "secret").reveal()
    except InvalidCredential as error:
        raise CodeMeshError(
            f"The stored credential for {where} {error.problem}, so it cannot be handed over; {not_started}",
            login,
        ) from None


def _shown(command: Sequence[str]) -> str:
    return f"`{command[0]}`" if command else "COMMAND"
