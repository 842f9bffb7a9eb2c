"""`code-mesh auth login`: add or replace a credential; it becomes the active one."""

from __future__ import annotations

import sys
from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.terminal import TerminalPrompter
from code_mesh.application.login_with_api_key import log_in_with_api_key
from code_mesh.domain.errors import CodeMeshError, CommandLineError, InvalidIdentifier, InvalidInput
from code_mesh.domain.identifiers import DEFAULT, ProviderId
from code_mesh.domain.providers import (
    API_KEY_METHOD,
    BUILTIN_PROVIDERS,
    ProviderProfile,
    profile_for,
)
from code_mesh.domain.secret import Secret
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import account_argument, provider_argument
from code_mesh.entrypoints.output import paint, say

METHOD_LABELS = {
    "claude-max": "Claude Pro/Max (OAuth)",
    "console": "Console OAuth (creates an API key)",
    API_KEY_METHOD: "Enter an API key",
    "device": "GitHub device login (OAuth)",
    "oauth": "Log in in the browser (OAuth)",
}

OTHER_PROVIDER = "Another provider (enter its id)"


def _choose_provider(prompter: TerminalPrompter) -> ProviderId:
    profiles = list(BUILTIN_PROVIDERS.values())
    options = [f"{profile.name} ({profile.id})" for profile in profiles] + [OTHER_PROVIDER]
    picked = prompter.choose("Select a provider", options)
    if picked < len(profiles):
        return profiles[picked].id
    sys.stderr.write("? Provider id: ")
    sys.stderr.flush()
    typed = sys.stdin.readline().strip()
    try:
        return ProviderId(typed)
    except InvalidIdentifier as error:
        raise InvalidInput(str(error), "Run `code-mesh auth login` again and type a valid id") from None


def _choose_method(
    profile: ProviderProfile, method: str | None, with_key: bool, prompter: TerminalPrompter
) -> str:
    if with_key:
        if not profile.accepts_api_key():
            raise CommandLineError(
                f"{profile.id} does not take an API key (--with-key)",
                f"Run `code-mesh auth login {profile.id}` to use {profile.default_method}",
            )
        if method not in (None, API_KEY_METHOD):
            raise CommandLineError("--with-key goes with --method api-key only")
        return API_KEY_METHOD
    if method is not None:
        if method not in profile.methods:
            raise CommandLineError(
                f"{profile.id} has no login method {method!r}",
                f"Use one of: {', '.join(profile.methods)}",
            )
        return method
    if len(profile.methods) > 1 and prompter.is_interactive():
        labels = [METHOD_LABELS.get(m, m) for m in profile.methods]
        return profile.methods[prompter.choose(f"How do you want to log in to {profile.name}?", labels)]
    return profile.default_method


def _read_key(with_key: bool, prompter: TerminalPrompter, profile: ProviderProfile) -> Secret:
    """A terminal gets a prompt without echo; a pipe gives the key (all of it with --with-key)."""
    if sys.stdin.isatty():
        return Secret(prompter.secret(f"? API key for {profile.name} (input hidden): "))
    # Scripts: the key comes on standard input, never as an argument.
    return Secret(sys.stdin.read() if with_key else sys.stdin.readline())


def login(
    provider: Annotated[str | None, Parameter(help="Provider id, e.g. anthropic, openai or my-idp.")] = None,
    /,
    *,
    method: Annotated[str | None, Parameter(help="Login method; see the provider's list.")] = None,
    account: Annotated[str, Parameter(help="Account name, for several logins to one provider.")] = DEFAULT,
    with_key: Annotated[
        bool, Parameter(negative=(), help="Read an API key from standard input (for scripts).")
    ] = False,
    no_browser: Annotated[
        bool, Parameter(negative=(), help="Print the login URL instead of opening a browser.")
    ] = False,
) -> int:
    """Log in to a provider: store a credential and make it the active account."""
    prompter = TerminalPrompter()
    account_name = account_argument(account)
    if provider is None:
        if not prompter.is_interactive():
            raise CommandLineError("Name the provider to log in to", "Run `code-mesh auth login PROVIDER`")
        provider_id = _choose_provider(prompter)
    else:
        provider_id = provider_argument(provider)
    profile = profile_for(provider_id)
    chosen = _choose_method(profile, method, with_key, prompter)
    if chosen != API_KEY_METHOD:
        raise CodeMeshError(
            f"Logging in to {profile.name} with {METHOD_LABELS.get(chosen, chosen)} is not "
            "available in this version yet",
            "Log in with an API key instead (`--with-key`)"
            if profile.accepts_api_key()
            else "Import an existing token with `code-mesh auth import`",
        )
    key = _read_key(with_key, prompter, profile)
    store = bootstrap.open_store()
    result = log_in_with_api_key(store, provider_id, account_name, key)
    verb = "Replaced the API key for" if result.replaced else "Logged in to"
    say(f"{paint('✓', '32')} {verb} {profile.name} ({provider_id}, account {account_name}).")
    return 0
