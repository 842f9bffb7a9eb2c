"""Use case: what `auth list` shows, secrets left out by construction.

The rule (`credential_rows`) is a plain function over summaries, the environment and the
providers code-mesh knows, so the full command and the read-only fast path
(entrypoints/fast_path/listing.py) list alike; no import beyond the standard library and the
domain, and no dataclasses (domain/record.py says why).
"""

from __future__ import annotations

from code_mesh.domain.provider_facts import MAIN_PROVIDERS
from code_mesh.domain.record import Record

TYPE_CHECKING = False  # the read paths import this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from code_mesh.application.ports import CredentialStore
    from code_mesh.application.settings import Settings
    from code_mesh.domain.credential_summary import CredentialSummary
    from code_mesh.domain.provider_facts import ProviderFacts
    from code_mesh.domain.providers import ProviderEntry
    from code_mesh.domain.status import Status


class CredentialRow(Record):
    """One line of `auth list`; it carries no secret, so it cannot print one."""

    provider: str
    name: str
    account: str | None
    active: bool
    type: str | None
    status: Status
    source: str | None
    expires_at: int | None
    shadowed_by: str | None = None
    """The environment variable that overrides this stored row, if any."""
    listed_apart: bool = False
    """A catalog provider beyond the main built-ins with nothing stored or set: `auth list` names
    these on one line rather than a row each (SPEC section 9); `--json` has the row."""

    def as_json(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "name": self.name,
            "account": self.account,
            "active": self.active,
            "type": self.type,
            "status": str(self.status),
            "source": self.source,
            "expires_at": self.expires_at,
        }


def list_credentials(
    store: CredentialStore,
    environ: Mapping[str, str],
    now: float,
    settings: Settings,
) -> list[CredentialRow]:
    """`auth list`'s rows from the store and the settings (see credential_rows)."""
    with store.reading() as repository:
        stored = repository.summaries()
    return credential_rows(stored, environ, now, settings.known_providers(), settings.provider)


def credential_rows(
    stored: Iterable[CredentialSummary],
    environ: Mapping[str, str],
    now: float,
    known: Sequence[str],
    entry_of: Callable[[str], ProviderEntry | ProviderFacts],
) -> list[CredentialRow]:
    """SPEC sections 3 and 9: for each provider with a stored credential or a set variable, its
    environment row, then its stored rows; then a row for every other provider code-mesh
    knows (`known`: the catalog's, main built-ins first, then config.toml's own), not
    authenticated. Rows of catalog providers beyond the main built-ins that hold nothing are
    `listed_apart`: the human list names them on one line instead."""
    from code_mesh.domain.status import Status

    by_provider: dict[str, list[CredentialSummary]] = {}
    for summary in stored:
        by_provider.setdefault(summary.provider, []).append(summary)
    with_variable = [p for p in known if entry_of(p).variable_set(environ)]
    rows: list[CredentialRow] = []
    for provider in sorted({*by_provider, *with_variable}):
        entry = entry_of(provider)
        variable = entry.variable_set(environ)
        if variable:
            rows.append(
                CredentialRow(
                    provider, entry.name, None, True, "api_key", Status.AUTHENTICATED, f"env:{variable}", None
                )
            )
        for credential in by_provider.get(provider, []):
            rows.append(
                CredentialRow(
                    provider=provider,
                    name=entry.name,
                    account=credential.account,
                    active=credential.active and variable is None,
                    type=credential.type,
                    status=credential.status(now),
                    source="store",
                    expires_at=credential.expires_at,
                    shadowed_by=variable,
                )
            )
    seen = {row.provider for row in rows}
    for provider in known:
        if provider not in seen:
            entry = entry_of(provider)
            rows.append(
                CredentialRow(
                    provider,
                    entry.name,
                    None,
                    False,
                    None,
                    Status.NOT_AUTHENTICATED,
                    None,
                    None,
                    listed_apart=entry.in_catalog and provider not in MAIN_PROVIDERS,
                )
            )
    return rows
