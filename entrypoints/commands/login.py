"""`code-mesh auth login`: add or replace a credential; it becomes the active one."""

from __future__ import annotations

import sys
from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.files.text_input import UnreadableText, read_standard_input
from code_mesh.adapters.terminal.prompts import TerminalLoginView, TerminalPrompter
from code_mesh.application.login_result import LoginResult
from code_mesh.application.login_with_api_key import key_pipe_command, log_in_with_api_key
from code_mesh.domain.durations import describe_expiry
from code_mesh.domain.errors import CommandLineError, InvalidIdentifier, InvalidInput
from code_mesh.domain.identifiers import DEFAULT, AccountName, ProviderId
from code_mesh.domain.providers import (
    API_KEY_METHOD,
    CLAUDE_MAX_METHOD,
    CONSOLE_METHOD,
    DEVICE_METHOD,
    MAIN_PROVIDERS,
    OAUTH_METHOD,
    ProviderEntry,
    derived_methods,
)
from code_mesh.domain.rules import MAX_SECRET_BYTES, PROVIDER_ALIASES
from code_mesh.domain.secret import Secret
from code_mesh.domain.text_rules import looks_like_secret
from code_mesh.domain.wording import with_suggestion
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.arguments import (
    account_argument,
    complete_provider,
    note_aliases,
    provider_argument,
)
from code_mesh.entrypoints.output import notice, paint, say, warn

METHOD_LABELS = {
    CLAUDE_MAX_METHOD: "Claude Pro/Max (OAuth)",
    CONSOLE_METHOD: "Console OAuth (creates an API key)",
    API_KEY_METHOD: "Enter an API key",
    DEVICE_METHOD: "Device login: enter a code in the browser (OAuth)",
    OAUTH_METHOD: "Log in in the browser (OAuth)",
}

OTHER_PROVIDER = "Another provider (enter its id)"


SUBSCRIPTION_NOTICE = (
    "Anthropic allows Claude Pro/Max tokens only in Claude Code: code-mesh hands this one to Claude Code "
    "(`code-mesh exec`, `auth token`), never to `run` (use --method console for that)."
)


def _profile(provider: ProviderId) -> ProviderEntry:
    return bootstrap.settings().provider(provider)


def provider_options(profiles: list[ProviderEntry]) -> list[str]:
    """One line per provider: its name, then its id in a column (no "Name (Claude) (id)")."""
    width = max(len(profile.name) for profile in profiles)
    return [
        profile.name if profile.name == profile.id else f"{profile.name:<{width}}  {profile.id}"
        for profile in profiles
    ]


def _choose_provider(prompter: TerminalPrompter) -> ProviderId:
    config = bootstrap.settings()
    catalog = config.catalog_ids()
    # The main built-ins and config.toml's own; the catalog's others are typed (SPEC section 9's way).
    listed = [p for p in catalog if p in MAIN_PROVIDERS] + config.configured_custom_providers()
    others = ", ".join(p for p in catalog if p not in MAIN_PROVIDERS)
    profiles = [config.provider(p) for p in listed]
    picked = prompter.choose("Select a provider", [*provider_options(profiles), OTHER_PROVIDER])
    if picked < len(profiles):
        return profiles[picked].id
    typed = prompter.line(f"? Provider id ({others + ', ' if others else ''}or one of your own): ")
    if not typed:
        raise InvalidInput(
            "No provider id was typed; nothing was changed", "Run `code-mesh auth login PROVIDER`"
        )
    if looks_like_secret(typed):
        raise InvalidInput(
            "That looks like a key, not a provider id (it is not shown; nothing was stored)",
            "Run `code-mesh auth login PROVIDER` and paste the key at its hidden prompt",
        )
    if typed in PROVIDER_ALIASES:
        note_aliases([typed])
        typed = PROVIDER_ALIASES[typed]
    try:
        return ProviderId(typed)
    except InvalidIdentifier as error:
        again = "Run `code-mesh auth login` again and type a valid id"
        raise InvalidInput(str(error), with_suggestion(typed, [p.id for p in profiles], again)) from None


def _choose_method(
    profile: ProviderEntry, method: str | None, with_key: bool, prompter: TerminalPrompter
) -> str:
    """SPEC section 2's rule (ProviderEntry.requested_method), then a list at a terminal."""
    chosen = profile.requested_method(method, with_key)
    if chosen is not None:
        return chosen
    if len(profile.methods) > 1 and prompter.is_interactive():
        labels = [METHOD_LABELS.get(m, m) for m in profile.methods]
        return profile.methods[prompter.choose(f"How do you want to log in to {profile.name}?", labels)]
    return profile.default_method


_KEY_INPUT_LIMIT = MAX_SECRET_BYTES + 4096
"""What is read of standard input for a key: the longest key plus room for whitespace around it."""


def _read_key(
    with_key: bool, prompter: TerminalPrompter, profile: ProviderEntry, what: str = "API key"
) -> Secret:
    """A terminal gets a prompt without echo; a pipe gives the key (all of it with --with-key).

    Bounded: a key is at most 64 KiB, so `--with-key < /dev/zero` ends at once, and more
    than that is refused before anything is stored (the domain's gate says so)."""
    if sys.stdin.isatty():
        return Secret(prompter.secret(f"? {profile.name} {what} (input hidden): "))
    # Scripts: the key comes on standard input, never as an argument.
    try:
        if with_key:
            return Secret(read_standard_input(_KEY_INPUT_LIMIT))
        return Secret(sys.stdin.readline(_KEY_INPUT_LIMIT))
    except UnreadableText as error:
        problem = "is longer than 64 KiB" if error.too_large else error.problem
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    raise InvalidInput(
        f"The {what.partition(' (')[0]} read from standard input {problem}; nothing was stored",
        f"Pipe in the key alone: {key_pipe_command(profile.id)}",
    )


def _log_in_with_setup_token(
    profile: ProviderEntry, account: AccountName, prompter: TerminalPrompter
) -> LoginResult:
    """`--method claude-max --with-key`: the token `claude setup-token` printed, on standard input."""
    from code_mesh.application.login_with_setup_token import log_in_with_setup_token

    assert profile.setup_token_lifetime_days is not None
    token = _read_key(True, prompter, profile, what="Claude Code setup token (from `claude setup-token`)")
    return log_in_with_setup_token(
        bootstrap.open_store,
        profile.id,
        account,
        token,
        profile.setup_token_lifetime_days,
        bootstrap.clock().now(),
    )


def _log_in_with_oauth(
    profile: ProviderEntry, method: str, account: AccountName, open_browser: bool
) -> LoginResult:
    """The OAuth mechanisms of SPEC section 5, wired to the real network, terminal and browser;
    where each one goes comes from the provider's entry (catalog and config.toml)."""
    from code_mesh.adapters.terminal.browser import SystemBrowser
    from code_mesh.application.provider_endpoints import (
        browser_endpoints,
        device_endpoints,
        pasted_code_endpoints,
    )

    store = bootstrap.open_store()  # before the flow: a broken store should not cost a login
    where = bootstrap.settings().source
    view = TerminalLoginView()
    browser = SystemBrowser() if open_browser else None
    gateway, clock = bootstrap.gateway(), bootstrap.clock()
    if method in (CLAUDE_MAX_METHOD, CONSOLE_METHOD):
        from code_mesh.application.login_pasted_code import log_in_with_pasted_code

        endpoints = pasted_code_endpoints(profile, method, where)
        return log_in_with_pasted_code(store, gateway, view, browser, clock, endpoints, profile.id, account)
    if method == DEVICE_METHOD:
        from code_mesh.application.login_device import log_in_with_device_flow

        return log_in_with_device_flow(
            store, gateway, view, clock, device_endpoints(profile, where), profile.id, account
        )
    from code_mesh.adapters.providers.loopback import loopback_receiver
    from code_mesh.application.login_browser import log_in_with_browser

    return log_in_with_browser(
        store, gateway, view, browser, clock, loopback_receiver, browser_endpoints(profile, where),
        profile.id, account,
    )  # fmt: skip


_YOUR_OWN_METHODS = derived_methods({"authorize_url": "x", "device_authorization_url": "x", "token_url": "x"})
"""A provider of your own that config.toml describes fully: every method such a one can have."""


def _catalog_entries() -> list[ProviderEntry]:
    """The catalog's providers as shipped (config.toml is read when the command runs, not for help)."""
    from code_mesh.adapters.files.catalog_files import CatalogFiles
    from code_mesh.application.settings import Settings

    catalog = Settings(catalog=CatalogFiles())
    return [catalog.provider(p) for p in catalog.catalog_ids()]


def methods_help(profiles: list[ProviderEntry]) -> str:
    """--method's help: each provider's methods, default first, read from the providers' data."""
    by_methods: dict[tuple[str, ...], list[str]] = {}
    for profile in profiles:
        by_methods.setdefault(profile.methods, []).append(profile.id)
    lines = [f"{', '.join(ids)}: {', '.join(methods)}" for methods, ids in by_methods.items()]
    lines.append(f"a provider of your own (config.toml): {', '.join(_YOUR_OWN_METHODS)}")
    return "Login method; the default is the provider's first. " + "; ".join(lines) + "."


_CATALOG = _catalog_entries()
_METHODS_HELP = methods_help(_CATALOG)


def _complete_method(_context: object) -> list[str]:
    """Every login method a provider can have, for shell completion."""
    return list(
        dict.fromkeys(m for methods in [*(p.methods for p in _CATALOG), _YOUR_OWN_METHODS] for m in methods)
    )


def login(
    provider: Annotated[
        str | None,
        Parameter(help="Provider id, e.g. anthropic, openai or my-idp.", completer=complete_provider),
    ] = None,
    /,
    *,
    method: Annotated[str | None, Parameter(help=_METHODS_HELP, completer=_complete_method)] = None,
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
    profile = _profile(provider_id)
    chosen = _choose_method(profile, method, with_key, prompter)
    if chosen == CLAUDE_MAX_METHOD:
        notice(SUBSCRIPTION_NOTICE)
    elif chosen != API_KEY_METHOD and profile.login_notice:
        notice(profile.login_notice)
    if chosen == API_KEY_METHOD:
        key = _read_key(with_key, prompter, profile)
        result = log_in_with_api_key(bootstrap.open_store, provider_id, account_name, key)
    elif chosen == CLAUDE_MAX_METHOD and with_key:
        result = _log_in_with_setup_token(profile, account_name, prompter)
    else:
        result = _log_in_with_oauth(profile, chosen, account_name, open_browser=not no_browser)
    verb = "Replaced the credential for" if result.replaced else "Logged in to"
    kind = "an API key" if result.type == "api_key" else "OAuth"
    if chosen == CLAUDE_MAX_METHOD and with_key:
        kind = "a Claude Code setup token"
    expiry = ""
    if result.expires_at is not None:
        expiry = f", {describe_expiry(result.expires_at, bootstrap.clock().now())}"
    say(f"{paint('✓', '32')} {verb} {profile.name} with {kind}: {provider_id}:{account_name}{expiry}.")
    _warn_if_shadowed(profile)
    return 0


def _warn_if_shadowed(profile: ProviderEntry) -> None:
    """A credential just stored that an environment variable will beat (SPEC section 2) is
    said at once, not found out later."""
    variable = profile.variable_set(bootstrap.environment())
    if variable:
        warn(
            f"{variable} is set, so it is used instead of what was just stored (except with --account); "
            f"unset {variable} to use the stored credential"
        )
