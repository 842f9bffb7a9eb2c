"""What the read paths need to know of a provider, and the rules over those facts.

The full CLI holds a provider as a ProviderEntry (domain/providers.py: every fact of the
catalog and config.toml); the read-only fast paths hold the few facts they use as
ProviderFacts, taken from the catalog's generated index (catalog/index.py) without reading
TOML. Both answer `variable_set` and `holds_subscription_token` through the functions here,
so the two cannot disagree.
"""

from __future__ import annotations

from code_mesh.domain.record import Record

TYPE_CHECKING = False  # the read paths import this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAIN_PROVIDERS = ("anthropic", "openai", "github-copilot")
"""The built-ins SPEC section 2 names first: `auth list` shows them even when not logged in, and
`run` tries them first when no provider is named."""
CLAUDE_MAX_METHOD = "claude-max"
"""Authorization code with a pasted CODE#STATE; stores a subscription OAuth token."""


class ExecVariables(Record):
    """Which variables `code-mesh exec` sets for a credential (SPEC section 10)."""

    api_key: tuple[str, ...] = ()
    oauth: tuple[str, ...] = ()
    oauth_unset: tuple[str, ...] = ()
    """Variables removed when an OAuth token is handed over (they would win over it)."""
    oauth_token_field: str = "access_token"
    """Which token of an OAuth credential goes over (Copilot: the GitHub token, kept as refresh token)."""


def first_variable_set(env: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The first of a provider's variables that is set (not empty), or None (SPEC section 2)."""
    return next((name for name in env if environ.get(name)), None)


def holds_subscription_token(methods: Sequence[str], credential_type: str) -> bool:
    """An OAuth credential of a provider with the claude-max method is a subscription token,
    which Anthropic allows only in Claude Code (SPEC section 5): `run` never sends one."""
    return credential_type == "oauth" and CLAUDE_MAX_METHOD in methods


class ProviderFacts(Record):
    """A catalog provider as the read paths see it (the same attribute names as ProviderEntry)."""

    id: str
    name: str
    env: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    exec: ExecVariables = ExecVariables()
    in_catalog: bool = True

    def variable_set(self, environ: Mapping[str, str]) -> str | None:
        return first_variable_set(self.env, environ)

    def holds_subscription_token(self, credential_type: str) -> bool:
        return holds_subscription_token(self.methods, credential_type)
