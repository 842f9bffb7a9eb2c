"""Which credential a command uses here, and why: SPEC section 2's precedence, with the project file.

A read rule, not a use case: plain functions over what the caller already has (the store's
summaries, the environment, the provider's variables, the project file's accounts), with no
import beyond the standard library and the domain, so that a read path that never loads the
store adapter can decide exactly as the full one does (`auth token`, `run`, `exec`, `auth
status`, `auth which`, and `auth refresh` / `auth logout` without `--account`).

First match wins: `--account` (or `P:ACCOUNT`), the provider's environment variable, the account
the nearest project file names, the provider's active stored account. One vocabulary for where
a credential came from, everywhere: `option`, `env:VARIABLE`, `project`, `store`.
"""

from __future__ import annotations

from types import MappingProxyType

from code_mesh.domain.record import Record

TYPE_CHECKING = False  # the read paths import this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from code_mesh.domain.credential_summary import CredentialSummary

OPTION = "option"
PROJECT = "project"
STORE = "store"
ENV_PREFIX = "env:"


class ProjectAccounts(Record):
    """The `[accounts]` table of the nearest project file (`.code-mesh.toml`), already checked."""

    path: str
    accounts: Mapping[str, str] = MappingProxyType({})
    """provider id → account name, in the file's order."""
    lines: Mapping[str, int] = MappingProxyType({})
    """provider id → the line that names its account, for messages."""

    def where(self, provider: str) -> str:
        """`/path/.code-mesh.toml, line 3`: where the account of `provider` is named."""
        line = self.lines.get(provider)
        return f"{self.path}, line {line}" if line else self.path


class CredentialChoice(Record):
    """The credential a command would use for one provider, and why; or why none would be."""

    provider: str
    account: str | None
    """The stored account (None for an environment source, and when nothing would be used)."""
    source: str | None
    """`option`, `env:VARIABLE`, `project`, `store`; None when nothing would be used."""
    reason: str
    """Why, in words (`the environment beats the store`, `from /path/.code-mesh.toml`); when nothing
    would be used, what is wrong."""
    path: str | None = None
    """The project file, when it decided (or named an account that is not stored)."""
    summary: CredentialSummary | None = None
    """The stored credential chosen (never for an environment source)."""
    next_step: str | None = None
    """What to do when nothing would be used."""

    @property
    def found(self) -> bool:
        return self.source is not None

    @property
    def sentence(self) -> str:
        """The reason as the start of a sentence (a provider id or a path keeps its case)."""
        reason = self.reason
        return "N" + reason[1:] if reason.startswith("not ") else reason

    @property
    def variable(self) -> str | None:
        """The environment variable, for an environment source."""
        source = self.source or ""
        return source[len(ENV_PREFIX) :] if source.startswith(ENV_PREFIX) else None


def login_hint(provider: str, account: str | None = None) -> str:
    named = f" --account {account}" if account and account != "default" else ""
    return f"Run `code-mesh auth login {provider}{named}`"


def _stored(summaries: Iterable[CredentialSummary], provider: str) -> list[CredentialSummary]:
    return [summary for summary in summaries if summary.provider == provider]


def choose_stored(
    provider: str,
    option_account: str | None,
    project: ProjectAccounts | None,
    summaries: Sequence[CredentialSummary],
) -> CredentialChoice:
    """The stored credential for `provider`: the named account, else the project file's, else the
    active one. `auth refresh` and `auth logout` act on this (an environment variable is not
    stored, so it has no say in what they change)."""
    stored = _stored(summaries, provider)
    if option_account is not None:
        found = next((s for s in stored if s.account == option_account), None)
        if found is None:
            listed = f" (stored: {', '.join(s.account for s in stored)})" if stored else ""
            return CredentialChoice(
                provider,
                None,
                None,
                f"{provider} has no stored account {option_account}{listed}",
                next_step=login_hint(provider, option_account),
            )
        return CredentialChoice(provider, option_account, OPTION, "named on the command line", summary=found)
    named = project.accounts.get(provider) if project is not None else None
    if project is not None and named is not None:
        found = next((s for s in stored if s.account == named), None)
        if found is None:
            return CredentialChoice(
                provider,
                None,
                None,
                f"{project.where(provider)} names account {named} for {provider}, which is not stored",
                path=project.path,
                next_step=f"{login_hint(provider, named)}, or change the project file",
            )
        return CredentialChoice(provider, named, PROJECT, f"from {project.path}", project.path, found)
    active = next((s for s in stored if s.active), None)
    if active is None:
        return CredentialChoice(
            provider, None, None, f"not logged in to {provider}", next_step=login_hint(provider)
        )
    return CredentialChoice(provider, active.account, STORE, "the active stored account", summary=active)


def choose_credential(
    provider: str,
    option_account: str | None,
    variables: Sequence[str],
    environ: Mapping[str, str],
    project: ProjectAccounts | None,
    summaries: Sequence[CredentialSummary],
) -> CredentialChoice:
    """SPEC section 2: `--account`, else the first of the provider's `variables` that is set, else
    the project file's account, else the active stored one."""
    if option_account is None:
        variable = next((name for name in variables if environ.get(name)), None)
        if variable is not None:
            named = project is not None and provider in project.accounts
            beaten = "the project file and the store" if named else "the store"
            return CredentialChoice(provider, None, ENV_PREFIX + variable, f"the environment beats {beaten}")
    return choose_stored(provider, option_account, project, summaries)
