"""`code-mesh auth status [PROVIDER] [--json]` and `auth which PROVIDER [--json]` from the standard
library alone.

The same choice (application/credential_choice.py), the same states (credential_status.py) and
the same look (entrypoints/render_status.py) as the full commands in entrypoints/commands/;
the summaries come from adapters/store/sqlite_reader.py and the providers from the catalog's
index. `--online` sends requests: the full path answers it.
"""

from __future__ import annotations

import time

from code_mesh.entrypoints.fast_path.gate import HandOver, ReadContext, facts_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def _options(arguments: list[str], positional: int) -> tuple[list[str], bool]:
    """The plain forms only: up to `positional` provider ids (not options) and `--json`."""
    json = "--json" in arguments
    words = [word for word in arguments if word != "--json"]
    if len(arguments) - len(words) > 1 or len(words) > positional or any(w.startswith("-") for w in words):
        raise HandOver
    return words, json


def status(context: ReadContext, arguments: list[str]) -> int:
    from code_mesh.adapters.files.catalog_index import known_providers
    from code_mesh.application.credential_choice import choose_credential
    from code_mesh.application.credential_status import all_ok, provider_status, providers_to_show
    from code_mesh.domain.status import Status
    from code_mesh.entrypoints.output import paint, say

    words, json = _options(arguments, 1)
    environ = context.environ
    project = context.project()
    summaries = context.store().summaries(environ)
    named = facts_for(words[0], summaries).id if words else None
    now = time.time()
    if named is not None:
        providers = [named]
    else:
        known = list(known_providers())
        with_variable = [p for p in known if facts_for(p).variable_set(environ)]
        providers = providers_to_show(known, summaries, with_variable, project)
    blocks = []
    for provider in providers:
        facts = facts_for(provider, summaries)
        choice = choose_credential(provider, None, facts.env, environ, project, summaries)
        blocks.append(provider_status(facts.name, choice, now))
    if not blocks or any(block.status is Status.LOCKED for block in blocks):
        raise HandOver  # nothing to show (an error), or the way out of locked: the full path says it
    context.say_warnings()
    if json:
        import json as json_module

        from code_mesh.application.credential_status import status_document

        say(json_module.dumps(status_document(blocks), indent=2))
    else:
        from code_mesh.entrypoints.render_status import status_lines

        for line in status_lines(blocks, now, paint=paint):
            say(line)
    return 0 if all_ok(blocks) else 1


def which(context: ReadContext, arguments: list[str]) -> int:
    from code_mesh.application.credential_choice import choose_credential
    from code_mesh.entrypoints.output import say
    from code_mesh.entrypoints.render_status import which_document, which_line

    words, json = _options(arguments, 1)
    if not words:
        raise HandOver

    environ = context.environ
    summaries = []
    from code_mesh.adapters.files.catalog_index import catalog_facts

    facts = catalog_facts(words[0])  # None: an alias, a typo, or a stored provider of no catalog file
    if facts is None or facts.variable_set(environ) is None:  # a variable answers without the store
        summaries = context.store().summaries(environ, words[0])
        facts = facts_for(words[0], summaries)
    project = context.project()
    choice = choose_credential(facts.id, None, facts.env, environ, project, summaries)
    context.say_warnings()
    if json:
        import json as json_module

        say(json_module.dumps(which_document(choice)))
    else:
        say(which_line(choice))
    return 0 if choice.found else 1
