"""Use case: what `auth list` shows, secrets left out by construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from code_mesh.application.ports import CredentialStore
from code_mesh.domain.credentials import CredentialSummary, Status
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import BUILTIN_PROVIDERS, CustomProvider, profile_for


@dataclass(frozen=True)
class CredentialRow:
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
    custom_providers: Mapping[str, CustomProvider] | None = None,
) -> list[CredentialRow]:
    """Environment rows first for each provider, then stored rows, then the unauthenticated.

    `custom_providers` are those config.toml describes: listed even when not logged in.
    """
    custom = dict(custom_providers or {})
    with store.reading() as repository:
        stored = repository.summaries()
    rows: list[CredentialRow] = []
    seen: set[str] = set()
    by_provider: dict[str, list[CredentialSummary]] = {}
    for summary in stored:
        by_provider.setdefault(summary.provider, []).append(summary)
    providers = sorted(by_provider)
    env_only = [
        ProviderId(p)
        for p, profile in BUILTIN_PROVIDERS.items()
        if profile.env_var and environ.get(profile.env_var) and p not in providers
    ]
    for provider in sorted([*providers, *env_only]):
        profile = profile_for(provider, custom.get(provider))
        variable = profile.env_var if profile.env_var and environ.get(profile.env_var) else None
        if variable:
            rows.append(
                CredentialRow(
                    provider,
                    profile.name,
                    None,
                    True,
                    "api_key",
                    Status.AUTHENTICATED,
                    f"env:{variable}",
                    None,
                )
            )
        for credential in by_provider.get(provider, []):
            rows.append(
                CredentialRow(
                    provider=provider,
                    name=profile.name,
                    account=credential.account,
                    active=credential.active and variable is None,
                    type=credential.type,
                    status=credential.status(now),
                    source="store",
                    expires_at=credential.expires_at,
                    shadowed_by=variable,
                )
            )
        seen.add(provider)
    for provider in [*BUILTIN_PROVIDERS, *sorted(custom)]:
        if provider not in seen:
            seen.add(provider)
            rows.append(
                CredentialRow(
                    provider,
                    profile_for(ProviderId(provider), custom.get(provider)).name,
                    None,
                    False,
                    None,
                    Status.NOT_AUTHENTICATED,
                    None,
                    None,
                )
            )
    return rows
