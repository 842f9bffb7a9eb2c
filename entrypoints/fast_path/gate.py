"""When a read-only fast path may answer, and what every one of them reads first.

A fast path answers only in the ordinary case the full CLI would answer without writing,
warning or explaining anything of its own: debug output off, no team store, no config.toml
(whose providers, `[store]` and `[audit]` need tomllib and the full settings), the catalog's
index current, and (where the store is read) the personal store ordinary
(adapters/store/sqlite_reader.py). Warnings a fast path meets on the way (an untrusted project
file) are held, and said only when it answers: the full path says them itself otherwise.
"""

from __future__ import annotations

import os

from code_mesh.domain.rules import debug_setting

TYPE_CHECKING = False  # not `from typing import`: typing costs a read path ~6 ms
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from code_mesh.adapters.store.sqlite_reader import OrdinaryStore
    from code_mesh.application.credential_choice import ProjectAccounts
    from code_mesh.domain.credential_summary import CredentialSummary
    from code_mesh.domain.provider_facts import ProviderFacts


class HandOver(Exception):
    """The full path must answer: raised anywhere on a fast path, caught by fast_path.answer."""


def home_directory(environ: Mapping[str, str]) -> str | None:
    """resolve_home's answer as text ($CODE_MESH_HOME, else ~/.code-mesh, made absolute the way
    pathlib does: `.` and doubled slashes dropped, `..` kept), None when it is unusual."""
    configured = environ.get("CODE_MESH_HOME")
    root = (
        os.path.expanduser(configured) if configured else os.path.join(os.path.expanduser("~"), ".code-mesh")
    )
    if root.startswith(("//", "~")) or (not root.startswith("/") and not configured):
        return None  # pathlib would answer differently (or raise): the full path decides
    if not root.startswith("/"):
        root = os.path.join(os.getcwd(), root)
    parts = [part for part in root.split("/") if part not in ("", ".")]
    return "/" + "/".join(parts)


def facts_for(provider: str, stored: Iterable[CredentialSummary] = ()) -> ProviderFacts:
    """A catalog provider's facts, or (when `stored` holds it) a stored provider's of no catalog
    file; an alias, a typo or an unknown provider with nothing stored: HandOver (the full path
    maps it, suggests one, or says what it does not know)."""
    from code_mesh.adapters.files.catalog_index import catalog_facts

    facts = catalog_facts(provider, any(summary.provider == provider for summary in stored))
    if facts is None:
        raise HandOver
    return facts


class ReadContext:
    """What every fast read path starts from: the environment, the home, held warnings."""

    def __init__(self, environ: Mapping[str, str], home: str) -> None:
        self.environ = environ
        self.home = home
        self.warnings: list[str] = []
        self._store: OrdinaryStore | None = None

    def store(self) -> OrdinaryStore:
        """The personal store, opened once; HandOver when it is not ordinary."""
        if self._store is None:
            from code_mesh.adapters.store.sqlite_reader import open_ordinary_store

            self._store = open_ordinary_store(self.home)
            if self._store is None:
                raise HandOver
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def project(self) -> ProjectAccounts | None:
        """The nearest project file's accounts (entrypoints/project.py's answer), its warnings
        held; HandOver when it is malformed (the full path names the file and line)."""
        from code_mesh.adapters.files.project_search import nearest_existing

        try:
            cwd = os.getcwd()
        except OSError:
            return None
        home = os.path.expanduser("~")
        if nearest_existing(cwd, home) is None:
            return None  # the common case, told by stat calls alone (no tomllib)
        from code_mesh.adapters.files.project_file import find_project_accounts
        from code_mesh.domain.errors import CodeMeshError

        try:
            return find_project_accounts(cwd, home, self.warnings.append)
        except CodeMeshError:  # ConfigError, without importing tomllib to name it
            raise HandOver from None

    def say_warnings(self) -> None:
        from code_mesh.entrypoints.output import warn

        for text in self.warnings:
            warn(text)


def read_context() -> ReadContext | None:
    """The context for a fast read, or None when the full path must answer whatever is asked."""
    environ = os.environ
    if debug_setting(environ.get("CODE_MESH_DEBUG")) is not False:
        return None  # debug output, or a warning about the variable: the full path says it
    if environ.get("CODE_MESH_DATABASE_URL"):
        return None  # a team store
    home = home_directory(environ)
    if home is None:
        return None
    config = environ.get("CODE_MESH_CONFIG") or os.path.join(home, "config.toml")
    if os.path.lexists(os.path.expanduser(config)):
        return None
    from code_mesh.adapters.files.catalog_index import index_is_current

    if not index_is_current():
        return None
    return ReadContext(environ, home)
