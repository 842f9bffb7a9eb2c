"""`code-mesh auth list [--json]` (and `ls`) from the standard library alone.

The same rows (application/list_credentials.credential_rows) and the same look
(entrypoints/render_list.py) as the full command; the summaries come from
adapters/store/sqlite_reader.py and the providers from the catalog's index.
"""

from __future__ import annotations

import time

from code_mesh.entrypoints.fast_path.gate import HandOver, ReadContext, facts_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from code_mesh.domain.provider_facts import ProviderFacts

_FORMS = ([], ["--json"])


def list_credentials(context: ReadContext, arguments: list[str]) -> int:
    if arguments not in _FORMS:
        raise HandOver
    from code_mesh.adapters.files.catalog_index import known_providers
    from code_mesh.application.list_credentials import credential_rows
    from code_mesh.domain.status import Status
    from code_mesh.entrypoints.output import say

    store = context.store()
    now = time.time()
    summaries = store.summaries(context.environ)

    def entry_of(provider: str) -> ProviderFacts:
        return facts_for(provider, summaries)

    rows = credential_rows(summaries, context.environ, now, known_providers(), entry_of)
    if any(row.status is Status.LOCKED for row in rows):
        raise HandOver  # the way out depends on the key's keeper: the full path says it
    location = store.database  # what the full store calls its location: the file's path
    if arguments == ["--json"]:
        import json

        from code_mesh.entrypoints.render_list import list_document

        say(json.dumps(list_document(rows, location, store.protection()), indent=2))
        return 0
    from code_mesh.entrypoints.render_list import list_lines

    for line in list_lines(rows, now, location, store.protection(), _no_advice):
        say(line)
    return 0


def _no_advice() -> str:
    raise HandOver
