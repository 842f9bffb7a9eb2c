"""Settings from config.toml (SPEC section 6) over the provider catalog (section 9), for the use cases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import MAIN_PROVIDERS, ProviderEntry, provider_entry
from code_mesh.domain.secret import Secret


class ProviderCatalog(Protocol):
    """The catalog's tables, read on demand (adapters/files/catalog_files.py)."""

    def ids(self) -> Sequence[str]: ...

    def table(self, provider: str) -> Mapping[str, Any] | None: ...


class _NoCatalog:
    def ids(self) -> Sequence[str]:
        return ()

    def table(self, provider: str) -> Mapping[str, Any] | None:
        return None


@dataclass(frozen=True)
class Settings:
    default_provider: str | None = None
    providers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """config.toml's `[providers.ID]` tables, checked by the provider table reader."""
    source: str | None = None
    """The file these came from, for messages."""
    catalog: ProviderCatalog = field(default_factory=_NoCatalog)
    exec_providers: tuple[str, ...] = ()
    """`[exec] providers`: what `exec` hands over when neither --provider nor a project file
    says (`P` or `P:ACCOUNT`, each checked by the reader)."""
    exec_min_lifetime: int = 3600
    """`[exec] min_lifetime` in seconds: an OAuth token handed over with less left is refreshed first."""
    store_url: Secret | None = None
    """`[store] url`: a team store (SPEC section 13); a secret, since it may hold a password."""
    audit_reads: bool | None = None
    """`[audit] reads`; None: the store's default."""

    def provider(self, provider: ProviderId) -> ProviderEntry:
        """The provider as code-mesh uses it: its catalog entry, config.toml's keys laid over it."""
        return provider_entry(provider, self.catalog.table(provider), self.providers.get(provider))

    def catalog_ids(self) -> list[ProviderId]:
        """The catalog's providers: the main built-ins first, then the others by id."""
        ids = set(self.catalog.ids())
        main = [p for p in MAIN_PROVIDERS if p in ids]
        return [ProviderId(p) for p in (*main, *sorted(ids - set(main)))]

    def configured_custom_providers(self) -> list[ProviderId]:
        """Providers config.toml describes that the catalog does not hold."""
        catalog = set(self.catalog.ids())
        return [ProviderId(p) for p in self.providers if p not in catalog]

    def known_providers(self) -> list[ProviderId]:
        """Every provider code-mesh knows by name: the catalog's, then config.toml's own."""
        return [*self.catalog_ids(), *self.configured_custom_providers()]
