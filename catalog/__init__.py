"""The provider catalog: what code-mesh knows of each built-in provider, as data (SPEC section 9).

One TOML file per provider, each outside-world fact with its source and the date it was
checked (`[sources]`). adapters/files/catalog_files.py reads them with the same reader as
config.toml's `[providers.ID]` sections. `index.py` is generated from them for the
`auth token` fast path (`python -m code_mesh.catalog catalog/` rewrites it).

Nothing is imported here: the fast path imports `code_mesh.catalog.index` and pays for
this module too.
"""
