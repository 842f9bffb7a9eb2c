"""The help pages the fast path prints are what cyclopts renders today (help_pages.py is generated)."""

from __future__ import annotations

from pathlib import Path

import code_mesh.entrypoints as entrypoints
from code_mesh.entrypoints import write_help_pages
from code_mesh.entrypoints.fast_path import help as fast_help
from code_mesh.entrypoints.help_pages import PAGES

HELP_PAGES_FILE = Path(entrypoints.__file__).parent / "help_pages.py"


def test_the_stored_help_pages_match_what_cyclopts_renders() -> None:
    """A help text, an option or a catalog method changed without regenerating help_pages.py."""
    expected = write_help_pages.render_module(write_help_pages.render_pages())
    assert HELP_PAGES_FILE.read_text(encoding="utf-8") == expected, (
        f"help_pages.py is out of date: run `{write_help_pages.COMMAND} entrypoints/` in the repository"
    )


def test_the_pages_cover_every_command_and_were_rendered_at_the_width_checked() -> None:
    assert fast_help._PAGE_WIDTH == write_help_pages.WIDTH
    for tokens in [(), ("auth",), ("auth", "list"), ("auth", "ls"), ("auth", "key", "rotate"), ("exec",)]:
        assert tokens in PAGES
    assert all(page.startswith("Usage: code-mesh") and page.endswith("\n") for page in PAGES.values())
    assert not any(token.startswith("-") for tokens in PAGES for token in tokens)


def test_the_check_option_says_when_the_file_is_stale(tmp_path: Path) -> None:
    assert write_help_pages.main([str(tmp_path), "--check"]) == 1
    assert write_help_pages.main([str(tmp_path)]) == 0
    assert (tmp_path / "help_pages.py").read_text(encoding="utf-8") == HELP_PAGES_FILE.read_text(
        encoding="utf-8"
    )
    assert write_help_pages.main([str(tmp_path), "--check"]) == 0


def test_literals_survive_quotes_and_backslashes() -> None:
    for text in ['say "hi"\n', "it's\n", "a \\ b\t'c' \"d\"\n", ""]:
        assert eval(write_help_pages._literal(text)) == text


def test_every_command_and_group_has_examples_as_the_root_page_says() -> None:
    """The root page says "Every command's --help has examples" (found untrue for five pages by a
    new user's trial); its own examples are the environment and completion lines."""
    from code_mesh.entrypoints.help_pages import PAGES

    assert "Every command's --help has examples" in PAGES[()]
    missing = [" ".join(tokens) for tokens, page in PAGES.items() if tokens and "Examples:" not in page]
    assert missing == []
