"""The terminal paths of `auth login` and `auth logout`, driven through a real pseudo-terminal.

Subprocess tests with pipes never reach the selection list, the hidden prompt or the
confirmation: those only exist when standard input is a terminal. pexpect gives the
program a real pty, so echo, raw mode and Ctrl-C behave as they do for a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CliRunner
from pty_session import (
    DOWN,
    ENTER,
    HIDDEN_PROMPT,
    Session,
    Spawner,
    listed,
    sessions,
    store_key,
    stored_token,
)

OPENAI_KEY = "sk-tty-openai-4b7e1d"
ANTHROPIC_KEY = "sk-ant-tty-9c2f60"
OLD_KEY = "sk-tty-old-key-a13f55"


@pytest.fixture
def spawn(home: Path) -> Iterator[Spawner]:
    """Spawn sessions in `home`; any child still running at the end is closed so no pty leaks."""
    with sessions(home) as start:
        yield start


def assert_no_traceback(session: Session) -> None:
    assert "Traceback" not in session.output(), session.output()


def assert_logged_in_with_hidden_key(
    session: Session, cli: CliRunner, provider: str, provider_name: str, key: str
) -> None:
    """Shared end of every successful terminal login: key not echoed, exit 0, key stored."""
    assert session.finish() == 0, session.output()
    after_prompt = session.output_after(HIDDEN_PROMPT)
    assert key not in session.output(), f"the API key was echoed:\n{session.output()}"
    assert f"Logged in to {provider_name} with an API key: {provider}:default." in after_prompt
    assert_no_traceback(session)
    assert stored_token(cli, provider) == key


def test_provider_list_with_arrow_key_then_hidden_key(spawn: Spawner, cli: CliRunner) -> None:
    """Without PROVIDER on a terminal, a list; the down arrow moves to OpenAI and Enter picks it."""
    session = spawn("auth", "login")
    session.expect("? Select a provider")
    for option in (
        "❯ 1. Anthropic (Claude)  anthropic",
        "2. OpenAI              openai",
        "3. GitHub Copilot      github-copilot",
        "4. Another provider (enter its id)",
    ):
        session.expect(option)
    session.wait_for_raw_mode()
    session.child.send(DOWN)
    session.expect("❯ 2. OpenAI              openai")
    session.wait_for_raw_mode()
    session.child.send(ENTER)
    session.expect("? Select a provider: OpenAI")
    session.expect_hidden_prompt("OpenAI")
    session.child.sendline(OPENAI_KEY)
    assert_logged_in_with_hidden_key(session, cli, "openai", "OpenAI", OPENAI_KEY)
    # The arrow moved the marker: the escape sequence itself never reached the screen as text.
    assert "^[[B" not in session.output()


def test_provider_list_with_digit(spawn: Spawner, cli: CliRunner) -> None:
    """A digit picks its entry at once, without Enter."""
    session = spawn("auth", "login")
    session.expect("4. Another provider (enter its id)")
    session.wait_for_raw_mode()
    session.child.send("2")
    session.expect("? Select a provider: OpenAI")
    session.expect_hidden_prompt("OpenAI")
    session.child.sendline(OPENAI_KEY)
    assert_logged_in_with_hidden_key(session, cli, "openai", "OpenAI", OPENAI_KEY)


def test_provider_list_keeps_keys_typed_ahead(spawn: Spawner, cli: CliRunner) -> None:
    """Arrow and Enter arriving together (fast typing, a paste, a held key) must both count."""
    session = spawn("auth", "login")
    session.expect("4. Another provider (enter its id)")
    session.wait_for_raw_mode()
    session.child.send(DOWN + ENTER)
    session.expect("❯ 2. OpenAI              openai")
    # With the bug the Enter is discarded and the list waits forever: a short wait is enough.
    session.expect("? Select a provider: OpenAI", timeout=3)
    session.expect_hidden_prompt("OpenAI")
    session.child.sendline(OPENAI_KEY)
    assert_logged_in_with_hidden_key(session, cli, "openai", "OpenAI", OPENAI_KEY)


def test_anthropic_method_list_then_api_key(spawn: Spawner, cli: CliRunner) -> None:
    """Anthropic has three methods, console first (SPEC section 2), listed in words a person
    understands; 2 enters a key."""
    session = spawn("auth", "login", "anthropic")
    session.expect("? How do you want to log in to Anthropic (Claude)?")
    for option in (
        "❯ 1. Console OAuth (creates an API key)",
        "2. Enter an API key",
        "3. Claude Pro/Max (OAuth)",
    ):
        session.expect(option)
    session.wait_for_raw_mode()
    session.child.send("2")
    session.expect("? How do you want to log in to Anthropic (Claude)? Enter an API key")
    session.expect_hidden_prompt("Anthropic (Claude)")
    session.child.sendline(ANTHROPIC_KEY)
    assert_logged_in_with_hidden_key(session, cli, "anthropic", "Anthropic (Claude)", ANTHROPIC_KEY)
    assert "claude-max" not in session.output()  # method ids are not what a person reads


def test_single_method_goes_straight_to_hidden_prompt(spawn: Spawner, cli: CliRunner) -> None:
    """OpenAI takes only an API key: no list, the hidden prompt comes first."""
    session = spawn("auth", "login", "openai")
    session.expect_hidden_prompt("OpenAI")
    assert "?" not in session.child.before, f"something was asked before the key: {session.child.before!r}"
    session.child.sendline(OPENAI_KEY)
    assert_logged_in_with_hidden_key(session, cli, "openai", "OpenAI", OPENAI_KEY)


def test_with_key_on_a_terminal_reads_without_echo(spawn: Spawner, cli: CliRunner) -> None:
    """`--with-key` is for scripts, but typed at a terminal the key must still be hidden."""
    session = spawn("auth", "login", "openai", "--with-key")
    session.expect_hidden_prompt("OpenAI")
    session.child.sendline(OPENAI_KEY)
    assert_logged_in_with_hidden_key(session, cli, "openai", "OpenAI", OPENAI_KEY)


@pytest.mark.parametrize("already_stored", [False, True], ids=["fresh-store", "key-already-stored"])
def test_empty_key_at_hidden_prompt_fails_cleanly(
    spawn: Spawner, cli: CliRunner, already_stored: bool
) -> None:
    """Enter alone is not a key: exit 1, one error line, and the store keeps what it had."""
    if already_stored:
        store_key(cli, "openai", OLD_KEY)
    before = listed(cli)
    session = spawn("auth", "login", "openai")
    session.expect_hidden_prompt("OpenAI")
    session.child.sendline("")
    assert session.finish() == 1, session.output()
    assert_no_traceback(session)
    lines = [line for line in session.output_after(HIDDEN_PROMPT).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("code-mesh: error: "), lines
    assert "empty" in lines[0]
    assert listed(cli) == before
    assert stored_token(cli, "openai") == (OLD_KEY if already_stored else None)


def interrupt_at(spawn: Spawner, where: str) -> Session:
    """Start a login, reach the list or the hidden prompt, and press Ctrl-C there."""
    if where == "provider-list":
        session = spawn("auth", "login")
        session.expect("4. Another provider (enter its id)")
        session.wait_for_raw_mode()
    else:
        session = spawn("auth", "login", "openai")
        session.expect_hidden_prompt("OpenAI")
        session.child.send("sk-half-typed")
    session.child.sendintr()
    return session


@pytest.mark.parametrize("where", ["provider-list", "hidden-prompt"])
def test_ctrl_c_exits_130_and_keeps_store(spawn: Spawner, cli: CliRunner, where: str) -> None:
    """Ctrl-C at a prompt: exit 130, no traceback, the store exactly as it was."""
    store_key(cli, "openai", OLD_KEY)
    before = listed(cli)
    session = interrupt_at(spawn, where)
    assert session.finish() == 130, session.output()
    assert_no_traceback(session)
    assert "sk-half-typed" not in session.output()
    assert listed(cli) == before
    assert stored_token(cli, "openai") == OLD_KEY


@pytest.mark.parametrize("where", ["provider-list", "hidden-prompt"])
def test_ctrl_c_says_nothing_was_changed(spawn: Spawner, where: str) -> None:
    """After Ctrl-C the user is told what happened, on a fresh line, not left at the prompt."""
    session = interrupt_at(spawn, where)
    assert session.finish() == 130, session.output()
    assert "\r\ncode-mesh: interrupted; nothing was changed.\r\n" in session.output(), session.output()


def test_logout_answered_no_keeps_credential(spawn: Spawner, cli: CliRunner) -> None:
    """A confirmation answered "n" removes nothing and exits 1: nothing was done."""
    store_key(cli, "openai", OLD_KEY)
    session = spawn("auth", "logout", "openai")
    session.expect("? Remove openai:default? [y/N] ")
    session.child.sendline("n")
    assert session.finish() == 1, session.output()
    assert_no_traceback(session)
    assert "Nothing was removed" in session.output_after("[y/N] ")
    assert "Logged out" not in session.output()
    assert stored_token(cli, "openai") == OLD_KEY


def test_logout_answered_yes_removes_credential(spawn: Spawner, cli: CliRunner) -> None:
    """A confirmation answered "y" removes the account: `auth token` then fails with exit 1."""
    store_key(cli, "openai", OLD_KEY)
    session = spawn("auth", "logout", "openai")
    session.expect("? Remove openai:default? [y/N] ")
    session.child.sendline("y")
    assert session.finish() == 0, session.output()
    assert_no_traceback(session)
    assert "Logged out of openai (account default)." in session.output_after("[y/N] ")
    assert stored_token(cli, "openai") is None  # `auth token` exits 1: nothing is stored
