"""Use case: the secret a script should use for a provider (SPEC section 2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from code_mesh.application.credential_choice import OPTION, PROJECT, STORE, ProjectAccounts, choose_stored
from code_mesh.application.ports import CredentialStore
from code_mesh.domain.credentials import (
    Custom,
    InvalidCredential,
    Status,
    StoredCredential,
    one_line_secret,
)
from code_mesh.domain.errors import CodeMeshError, InvalidInput, NotLoggedIn
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.providers import MAIN_PROVIDERS, ProviderEntry
from code_mesh.domain.rules import custom_token_field, header_safe
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import one_line
from code_mesh.domain.wording import with_suggestion


@dataclass(frozen=True)
class UsableToken:
    secret: Secret
    source: str
    """`env:VARIABLE` or `store`."""
    type: str = "api_key"
    """The credential's type: how the secret must be presented (SPEC section 7)."""
    api_url: str | None = None
    """Where the credential's API requests go, when its provider said so and the entry allows it."""


def find_credential(
    store: CredentialStore,
    provider: ProviderId,
    account: AccountName | None,
    project: ProjectAccounts | None = None,
) -> StoredCredential:
    """The named account, else the one the project file names (SPEC section 11), else the active
    one; NotLoggedIn when there is none (naming the project file when it named the account)."""
    with store.reading() as repository:
        if account is None and project is not None and provider in project.accounts:
            choice = choose_stored(provider, None, project, repository.summaries(provider))
            if choice.account is None:
                raise NotLoggedIn(choice.reason, choice.next_step)
            account = AccountName(choice.account)
        found = repository.active(provider) if account is None else repository.get(provider, account)
        if found is not None:
            return found
        everything = repository.summaries()
    accounts = [c.account for c in everything if c.provider == provider]
    named = f" --account {account}" if account else ""
    login = f"Run `code-mesh auth login {provider}{named}`"
    if account is None or not accounts:
        providers = [*(c.provider for c in everything), *MAIN_PROVIDERS]
        what = f"{provider} has no stored account {account!s}" if account else f"Not logged in to {provider}"
        raise NotLoggedIn(what, with_suggestion(provider, providers, login))
    raise NotLoggedIn(
        f"{provider} has no stored account {account!s} (stored: {', '.join(accounts)})",
        with_suggestion(account, accounts, login),
    )


def login_command(stored: StoredCredential) -> str:
    """The command that replaces this credential."""
    account = f" --account {stored.account}" if stored.account != "default" else ""
    return f"code-mesh auth login {stored.provider}{account}"


def _one_line(secret: Secret, unusable: Callable[[str], CodeMeshError]) -> Secret:
    """The secret trimmed, when it is one printable line (SPEC section 3: `auth token` prints
    one line; no HTTP header carries more); else `unusable(problem)`, never the value."""
    try:
        return one_line_secret(secret.reveal(), "secret")
    except InvalidCredential as error:
        raise unusable(error.problem) from None


def token_from_environment(
    entry: ProviderEntry, account: AccountName | None, environ: Mapping[str, str]
) -> UsableToken | None:
    """The provider's environment variable (the first of its `env` that is set) beats the
    store, unless an account is named.

    `OPENAI_API_KEY=$(cat key.txt)` keeps a CR from a file written on Windows: whitespace
    around the key is dropped; a control character inside it is refused, naming the variable."""
    variable = entry.variable_set(environ)
    if account is None and variable:
        value = header_safe(environ[variable])
        if value is None:
            raise InvalidInput(
                f"{variable} holds a line break, a control character or a non-ASCII character inside "
                "the key, so it was not used",
                f"Set {variable} to the key alone (check the file it was read from), or unset it",
            )
        return UsableToken(Secret(value), f"env:{variable}")
    return None


def header_ready(token: UsableToken, stored: StoredCredential | None) -> UsableToken:
    """The token as it can travel in an HTTP header: trimmed of surrounding whitespace, or refused
    with one line that names the credential (never shows it) when a control character is inside."""
    value = header_safe(token.secret.reveal())
    if value is None:
        where = (
            token.source if stored is None else f"The stored credential {stored.provider} ({stored.account})"
        )
        raise InvalidInput(
            f"{where} holds a line break or a control character inside its secret, so it was not sent",
            f"Log in again: `{login_command(stored)}`" if stored is not None else "Fix the variable",
        )
    return token if value == token.secret.reveal() else replace(token, secret=Secret(value))


def stored_token(
    store: CredentialStore,
    provider: ProviderId,
    account: AccountName | None,
    now: float,
    refresh: Callable[[StoredCredential], StoredCredential] | None = None,
    project: ProjectAccounts | None = None,
    found: Callable[[StoredCredential], None] = lambda stored: None,
) -> UsableToken:
    """The secret of the named, the project file's or the active stored account, refreshed first
    when due; `found` hears which credential that was (for the audit log's `read`)."""
    stored = find_credential(store, provider, account, project)
    found(stored)
    token = token_of(stored, now, refresh)
    return replace(token, source=_source(account, project, provider))


def _source(account: AccountName | None, project: ProjectAccounts | None, provider: str) -> str:
    """Section 2's vocabulary for a stored credential: how its account was chosen."""
    if account is not None:
        return OPTION
    if project is not None and provider in project.accounts:
        return PROJECT
    return STORE


def token_of(
    stored: StoredCredential,
    now: float,
    refresh: Callable[[StoredCredential], StoredCredential] | None = None,
) -> UsableToken:
    """The usable secret of a stored credential (SPEC section 2), refreshed first when due."""
    provider = stored.provider
    login = login_command(stored)
    if stored.status(now) is Status.NEEDS_LOGIN:
        raise CodeMeshError(f"The credential for {provider} needs a new login", f"Run `{login}`")
    credential = stored.credential
    if stored.can_refresh and stored.refresh_due(now):
        if refresh is None:
            raise CodeMeshError(f"The OAuth token for {provider} needs a refresh", f"Run `{login}`")
        stored = refresh(stored)
        credential = stored.credential
    secret = credential.usable_secret()
    if secret is None:
        assert isinstance(credential, Custom)
        fields = ", ".join(one_line(name, 40) for name in sorted(credential.data))
        raise CodeMeshError(
            f"The custom credential for {provider} has several fields ({fields}) and none is "
            "named token, api_key or key",
            "Use `code-mesh auth export --output -` to read all of them",
        )

    def unusable(problem: str) -> CodeMeshError:
        if isinstance(credential, Custom):
            field = one_line(custom_token_field(list(credential.data)) or "", 40)
            return CodeMeshError(
                f"The field '{field}' of the custom credential for {provider} {problem}, "
                "and `auth token` prints one line",
                "Use `code-mesh auth export --output -` to read it",
            )
        return CodeMeshError(
            f"The stored credential for {provider} (account {stored.account}) {problem}, "
            "so it cannot be used",
            f"Log in again: `{login}`",
        )

    return UsableToken(_one_line(secret, unusable), "store", credential.type)
