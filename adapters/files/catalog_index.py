"""The catalog as the read-only fast paths see it: the generated index, no TOML read.

catalog/index.py is written from the catalog's TOML files by `python -m code_mesh.catalog` and
kept current by a test; this reads it into ProviderFacts. When the installed catalog holds a
file the index does not know (an upgrade that added one without regenerating the index), the
index is not to be trusted and every caller hands over to the full path.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # the token path reads index_is_current only: no Record classes for it
if TYPE_CHECKING:
    from code_mesh.domain.provider_facts import ProviderFacts


def _catalog_directory() -> str:
    from code_mesh import catalog

    return os.path.dirname(catalog.__file__)


def index_is_current() -> bool:
    """Whether the index names exactly the catalog files installed beside it."""
    from code_mesh.catalog import index

    try:
        names = os.listdir(_catalog_directory())
    except OSError:
        return False
    files = {name[: -len(".toml")] for name in names if name.endswith(".toml")}
    return files == set(index.PROVIDERS)


def known_providers() -> tuple[str, ...]:
    """Every catalog provider, the main built-ins first (Settings.known_providers without a config.toml)."""
    from code_mesh.catalog import index

    return index.PROVIDERS


def catalog_facts(provider: str, stored: bool = False) -> ProviderFacts | None:
    """The provider's facts, or None when the index does not hold it; with `stored`, a provider of
    no catalog file that the store holds gets what provider_entry makes of such a provider
    (the index's CUSTOM row, its id as its name; never an alias, which the full path maps)."""
    from code_mesh.catalog import index
    from code_mesh.domain.provider_facts import ExecVariables, ProviderFacts
    from code_mesh.domain.rules import PROVIDER_ALIASES, is_valid_identifier

    facts = index.FACTS.get(provider)
    in_catalog = facts is not None
    if facts is None:
        if not (stored and is_valid_identifier(provider) and provider not in PROVIDER_ALIASES):
            return None
        facts = (provider, *index.CUSTOM[1:])
    name, env, methods, (api_key, oauth, oauth_unset, token_field) = facts
    exec_variables = ExecVariables(api_key, oauth, oauth_unset, token_field)
    return ProviderFacts(provider, name, env, methods, exec_variables, in_catalog)
