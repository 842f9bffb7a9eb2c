"""The read rules (precedence, status, exec's plan) and their rendering stay light, so a read path
that never loads cyclopts, SQLAlchemy or the TOML reader can use the very same functions (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys

READ_RULES = (
    "code_mesh.application.credential_choice",
    "code_mesh.application.credential_status",
    "code_mesh.application.exec_plan",
    "code_mesh.entrypoints.render_status",
    "code_mesh.entrypoints.render_exec",
    "code_mesh.entrypoints.exec_arguments",
    "code_mesh.adapters.files.project_search",
)
HEAVY = ("cyclopts", "sqlalchemy", "alembic", "httpx", "rich", "keyring", "tomllib", "cryptography")


def test_the_read_rules_import_only_the_standard_library_and_the_domain() -> None:
    code = (
        "import json, sys\n"
        f"for name in {READ_RULES!r}: __import__(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    tops = {name.split(".")[0] for name in loaded}
    assert tops.isdisjoint(HEAVY), sorted(tops & set(HEAVY))
    ours = {name for name in loaded if name.startswith("code_mesh.")}
    outside = {
        name
        for name in ours
        if not name.startswith(("code_mesh.domain", "code_mesh.application", "code_mesh.entrypoints"))
        and name not in READ_RULES
    }
    assert outside <= {"code_mesh.adapters", "code_mesh.adapters.files"}, sorted(outside)
    application = {name for name in ours if name.startswith("code_mesh.application.")}
    assert application <= {n for n in READ_RULES if n.startswith("code_mesh.application.")}, sorted(
        application
    )


def test_the_project_file_walk_costs_the_token_path_nothing_but_os() -> None:
    code = (
        "import json, sys\nbefore = set(sys.modules)\n"
        "import code_mesh.adapters.files.project_search\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    added = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    assert added == [
        "__future__",  # the token path's own modules import it already
        "code_mesh",
        "code_mesh.adapters",
        "code_mesh.adapters.files",
        "code_mesh.adapters.files.project_search",
    ]
