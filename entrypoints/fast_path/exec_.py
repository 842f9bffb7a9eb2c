"""`code-mesh exec [--provider P[:ACCOUNT]]… [--dry-run [--json]] [--] COMMAND` from the standard library.

Started in front of every agent session, so it costs what `auth token` costs. The command line
is exec's own parser's (entrypoints/exec_arguments.py), the choice credential_choice.py's, the
variables and the plan exec_plan.py's, the look render_exec.py's and the final execvpe
exec_process.py's, all as in the full command (entrypoints/commands/exec_.py). What this path
does not do, it hands over: a mistake on the command line, a provider it does not know (an
alias, config.toml's own), a credential not plainly fresh (needs a login, expired, a refresh due
within `[exec] min_lifetime`, locked), a secret that is not one clean line, two providers on one
variable. Audited reads need a team store or config.toml, which the gate already sent away.
"""

from __future__ import annotations

import time

from code_mesh.entrypoints.fast_path.gate import HandOver, ReadContext, facts_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from code_mesh.application.credential_choice import CredentialChoice, ProjectAccounts
    from code_mesh.application.exec_plan import HandOver as Handed
    from code_mesh.domain.credential_summary import CredentialSummary
    from code_mesh.domain.provider_facts import ProviderFacts


def exec_command(context: ReadContext, arguments: list[str]) -> int:
    from code_mesh.application.exec_plan import EXEC_MARKER, child_environment, handed_over, plan
    from code_mesh.domain.errors import CodeMeshError
    from code_mesh.entrypoints.exec_arguments import parse_exec_arguments

    try:
        parsed = parse_exec_arguments(arguments)
    except CodeMeshError:
        raise HandOver from None
    if parsed.help or parsed.debug:
        raise HandOver
    environ = context.environ
    project = context.project()
    requested = _requested(parsed.providers, project)
    now = time.time()
    handovers: list[Handed] = []
    secrets: dict[str, str] = {}
    lasting: list[str] = []
    for provider, account in requested:
        handover, secret, lasts = _hand_over(context, provider, account, project, now)
        handovers.append(handover)
        secrets[provider] = secret
        if lasts:
            lasting.append(lasts)
    try:
        actions = plan(handovers, environ)
    except ValueError:  # VariableClash: the full path explains it
        raise HandOver from None
    marker = handed_over(handovers)
    context.say_warnings()
    from code_mesh.entrypoints.output import notice

    nested = environ.get(EXEC_MARKER)
    if nested is not None:
        from code_mesh.entrypoints.render_exec import nested_note

        notice(nested_note(nested))
    if parsed.dry_run:
        from code_mesh.entrypoints.output import say
        from code_mesh.entrypoints.render_exec import dry_run_output

        for line in dry_run_output(actions, marker, parsed.json):
            say(line)
        return 0
    for line in lasting:
        notice(line)
    context.close()
    from code_mesh.entrypoints.exec_process import replace_this_process
    from code_mesh.entrypoints.output import error_line

    try:
        replace_this_process(parsed.command, child_environment(environ, actions, secrets, marker))
    except CodeMeshError as error:  # 127 or 126, said as the full CLI says it
        error_line(error.one_line())
        return error.exit_code


def _requested(providers: tuple[str, ...], project: ProjectAccounts | None) -> list[tuple[str, str | None]]:
    """--provider, else the project file's [accounts] (no config.toml here, so no [exec] providers);
    each `P` or `P:ACCOUNT` plain (a catalog id, a valid account), each named once."""
    from code_mesh.domain.rules import is_valid_identifier
    from code_mesh.domain.text_rules import looks_like_secret

    if providers:
        requested: list[tuple[str, str | None]] = []
        for text in providers:
            provider, colon, account = text.partition(":")
            if colon and not (is_valid_identifier(account) and not looks_like_secret(account)):
                raise HandOver
            requested.append((provider, account if colon else None))
    elif project is not None and project.accounts:
        requested = [(provider, None) for provider in project.accounts]
    else:
        raise HandOver  # none named: the full path says how to name them
    names = [provider for provider, _ in requested]
    if len(set(names)) != len(names):
        raise HandOver
    return requested


def _hand_over(
    context: ReadContext,
    provider: str,
    account: str | None,
    project: ProjectAccounts | None,
    now: float,
) -> tuple[Handed, str, str | None]:
    """One provider's hand-over, as commands/exec_.py's _hand_over decides it for a fresh credential."""
    from code_mesh.application.credential_choice import choose_credential
    from code_mesh.application.exec_plan import HandOver as Handed
    from code_mesh.application.exec_plan import exec_variables
    from code_mesh.domain.rules import header_safe

    environ = context.environ
    from code_mesh.adapters.files.catalog_index import catalog_facts

    facts = catalog_facts(provider)  # None: an alias, a typo, or a stored provider of no catalog file
    summaries: list[CredentialSummary] = []
    if facts is None or account is not None or not facts.variable_set(environ):
        summaries = context.store().summaries(environ)
    if facts is None:
        facts = facts_for(provider, summaries)
    choice = choose_credential(facts.id, account, facts.env, environ, project, summaries)
    if not choice.found:
        raise HandOver
    assert choice.source is not None
    if choice.variable is not None:
        value = environ[choice.variable]
        if header_safe(value) != value:
            raise HandOver  # trimmed or refused, with its message, by the full path
        variables = exec_variables(facts.id, "api_key", facts.exec, facts.env)
        return Handed(facts.id, None, choice.source, variables), value, None
    return _stored(context, facts, choice, now)


def _stored(
    context: ReadContext, facts: ProviderFacts, choice: CredentialChoice, now: float
) -> tuple[Handed, str, str | None]:
    from code_mesh.adapters.store.sqlite_reader import SqliteTokenReader
    from code_mesh.application.exec_plan import (
        DEFAULT_MIN_LIFETIME_SECONDS,
        exec_variables,
        needs_refresh_first,
    )
    from code_mesh.application.exec_plan import HandOver as Handed
    from code_mesh.domain.rules import header_safe, is_past, is_printable_line, pick_custom_token

    summary = choice.summary
    assert summary is not None and choice.source is not None
    if summary.locked or summary.needs_login or is_past(summary.expires_at, now):
        raise HandOver  # not plainly fresh: the full path refreshes, or says what to do
    variables = exec_variables(facts.id, summary.type, facts.exec, facts.env)
    if needs_refresh_first(
        summary.type,
        variables.field,
        summary.expires_at,
        summary.can_refresh,
        DEFAULT_MIN_LIFETIME_SECONDS,
        now,
    ):
        raise HandOver
    field = "refresh_token" if variables.field == "refresh_token" else "access_token"
    record = SqliteTokenReader(context.home, context.environ).read(
        facts.id, summary.account, context.store(), oauth_field=field
    )
    if record is None or record.needs_login or record.type != summary.type:
        raise HandOver
    secret = pick_custom_token(record.custom_data) if record.type == "custom" else record.secret
    if secret is None or header_safe(secret) != secret or not is_printable_line(secret):
        raise HandOver  # several fields, or not one clean line: the full path says which
    lasts = None
    if facts.holds_subscription_token(summary.type):
        from code_mesh.application.exec_plan import subscription_token_notice

        lasts = subscription_token_notice(facts.id, summary.account, summary.expires_at, time.time())
    return Handed(facts.id, summary.account, choice.source, variables), secret, lasts
