"""`python -m code_mesh` is the same program as the `code-mesh` command."""

from code_mesh.entrypoints.main import main

if __name__ == "__main__":
    raise SystemExit(main())
