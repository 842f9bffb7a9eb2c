"""`python -m code_mesh.catalog DIRECTORY [--check]`: write DIRECTORY/index.py from DIRECTORY/*.toml.

Run it on the repository's `catalog/` after changing a catalog file's `env` (or adding a
file); `--check` only says whether index.py is current (exit 1 when it is not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from code_mesh.adapters.files.catalog_files import CatalogFiles, render_index
from code_mesh.domain.errors import CodeMeshError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m code_mesh.catalog", description=__doc__)
    parser.add_argument("directory", type=Path, help="the catalog directory (the repository's catalog/)")
    parser.add_argument("--check", action="store_true", help="only check that index.py is current")
    options = parser.parse_args(argv)
    index = options.directory / "index.py"
    try:
        text = render_index(CatalogFiles(options.directory))
    except CodeMeshError as error:
        print(f"error: {error.one_line()}", file=sys.stderr)
        return 1
    from code_mesh.adapters.files.generated_file import write_or_check

    return write_or_check(index, text, options.check, f"python -m code_mesh.catalog {options.directory}")


if __name__ == "__main__":
    raise SystemExit(main())
