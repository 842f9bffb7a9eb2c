"""What every failing command must look like (SPEC section 3), checked the same way everywhere."""

from __future__ import annotations

import re
import subprocess


def assert_one_error_line(result: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """Exactly one line on stderr, no traceback, the right code; returns the line."""
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("code-mesh: error: ")
    # A message and what to do next: two sentences, or cyclopts' pointer to --help.
    assert re.search(r"\. \S", line) or "code-mesh --help" in line, line
    return line
