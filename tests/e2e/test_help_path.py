"""`--help` and `--version` without cyclopts or rich, and byte for byte what cyclopts prints.

The fast path (entrypoints/fast_path/help.py) prints a page from help_pages.py; the full path is
cli.run, the cyclopts application, run here directly so that no fast path can answer.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from code_mesh.entrypoints.help_pages import PAGES
from conftest import clean_environment

NOT_ON_THE_FAST_PATH = ("cyclopts", "rich")
FULL_PATH = "import sys; from code_mesh.entrypoints.cli import run; raise SystemExit(run(sys.argv[1:]))"
RICH_VARIABLES = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "PYTHONIOENCODING")
"""Variables of the test's own environment that would change how rich renders: each test says
which it wants."""


def _environment(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    environ = {key: value for key, value in clean_environment(home).items() if key not in RICH_VARIABLES}
    environ.update(extra or {})
    return environ


def _modules(importtime: str) -> set[str]:
    return {
        line.split("|")[-1].strip().split(".")[0]
        for line in importtime.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def _fast(
    home: Path, *arguments: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`code-mesh ARGS` as the program runs it (main.py first), off a terminal; and what it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "code_mesh", *arguments],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_environment(home, env),
        timeout=60,
    )
    imports = "\n".join(line for line in result.stderr.splitlines() if line.startswith("import time:"))
    stderr = "".join(line for line in result.stderr.splitlines(True) if not line.startswith("import time:"))
    answer = subprocess.CompletedProcess(result.args, result.returncode, result.stdout, stderr)
    return answer, _modules(imports)


def _full(home: Path, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The same command answered by cyclopts."""
    return subprocess.run(
        [sys.executable, "-c", FULL_PATH, *arguments],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_environment(home, env),
        timeout=60,
    )


def _same(fast: subprocess.CompletedProcess[str], full: subprocess.CompletedProcess[str]) -> None:
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("tokens", sorted(PAGES), ids=lambda tokens: " ".join(tokens) or "code-mesh")
def test_every_page_is_what_cyclopts_prints_without_importing_it(
    home: Path, tokens: tuple[str, ...], flag: str
) -> None:
    fast, modules = _fast(home, *tokens, flag)
    assert fast.stdout == PAGES[tokens]
    assert modules.isdisjoint(NOT_ON_THE_FAST_PATH), sorted(modules & set(NOT_ON_THE_FAST_PATH))
    _same(fast, _full(home, *tokens, flag))
    assert fast.returncode == 0 and not home.exists()


@pytest.mark.parametrize(("arguments", "expected"), [((), PAGES[()]), (("--version",), "code-mesh 0.1.0\n")])
def test_the_bare_command_and_the_version_are_fast_too(
    home: Path, arguments: tuple[str, ...], expected: str
) -> None:
    fast, modules = _fast(home, *arguments)
    assert fast.stdout == expected and modules.isdisjoint(NOT_ON_THE_FAST_PATH)
    _same(fast, _full(home, *arguments))


@pytest.mark.parametrize(
    ("arguments", "environment"),
    [
        (("auth", "list", "--help"), {"COLUMNS": "60"}),  # rich would wrap at 60 columns
        (("--help",), {"COLUMNS": "120"}),  # and draw the boxes 120 wide
        (("--help",), {"COLUMNS": "0"}),
        (("auth", "--help"), {"FORCE_COLOR": "1"}),  # styles, although the output is a pipe
        (("auth", "--help"), {"TTY_COMPATIBLE": "1"}),
        (("exec", "--help"), {"PYTHONIOENCODING": "latin-1"}),  # boxes in ASCII
        (("--help",), {"CODE_MESH_DEBUG": "1"}),
        (("--help",), {"CODE_MESH_DEBUG": "perhaps"}),  # the full path warns about the value
        (("--version",), {"COLUMNS": "10", "CODE_MESH_DEBUG": "0"}),  # wrapped
        (("--help", "auth"), {}),
        (("auth", "--help", "list"), {}),
        (("--debug", "--help"), {}),
        (("auth", "list", "--json", "--help"), {}),
        (("auth", "lst", "--help"), {}),  # a typo: cyclopts's error and exit code
        (("exec", "--provider", "openai", "--help"), {}),
        (("exec", "--", "env", "--help"), {}),
        (("--version", "--help"), {}),
        (("--help", "--version"), {}),
        (("auth",), {}),
    ],
)
def test_anything_else_is_left_to_cyclopts(
    home: Path, arguments: tuple[str, ...], environment: dict[str, str]
) -> None:
    fast, modules = _fast(home, *arguments, env=environment)
    assert "cyclopts" in modules
    _same(fast, _full(home, *arguments, env=environment))


def _on_a_terminal(home: Path, command: str, columns: int) -> str:
    """What `sh -c COMMAND` writes on a pty `columns` wide, line ends as the program wrote them."""
    child = pexpect.spawn(
        "sh", ["-c", command], env=_environment(home), encoding="utf-8", timeout=30, dimensions=(24, columns)
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    return output.replace("\r\n", "\n")


def test_a_terminal_gets_cyclopts_styles(home: Path) -> None:
    command = shlex.join([sys.executable, "-m", "code_mesh", "auth", "list", "--help"])
    output = _on_a_terminal(home, command, 80)
    assert "\x1b[1mUsage: " in output and "--json" in output


@pytest.mark.parametrize("columns", [60, 80, 100])
def test_a_pipe_from_a_terminal_gets_the_terminals_width(home: Path, tmp_path: Path, columns: int) -> None:
    """rich takes the width from standard input when the output is a pipe (`code-mesh --help | less`):
    the stored page is right only at 80 columns."""
    imports = tmp_path / "imports.txt"
    program = shlex.join([sys.executable, "-X", "importtime", "-m", "code_mesh", "auth", "list", "--help"])
    output = _on_a_terminal(home, f"{program} 2>{shlex.quote(str(imports))} | cat", columns)
    modules = _modules(imports.read_text())
    if columns == 80:
        assert output == PAGES[("auth", "list")] and "cyclopts" not in modules
    else:
        assert "cyclopts" in modules
        assert output == _full(home, "auth", "list", "--help", env={"COLUMNS": str(columns)}).stdout
        assert output != PAGES[("auth", "list")]
