"""A selection list of stored credentials, for `auth logout` and `auth switch` at a terminal."""

from __future__ import annotations

from collections.abc import Sequence

from code_mesh.adapters.terminal.prompts import TerminalPrompter
from code_mesh.domain.credentials import CredentialSummary
from code_mesh.domain.errors import NotLoggedIn


def choose_stored(
    prompter: TerminalPrompter, title: str, stored: Sequence[CredentialSummary]
) -> CredentialSummary:
    """The credential picked from `stored` (provider:account, the active one marked)."""
    if not stored:
        raise NotLoggedIn("Nothing is stored", "Run `code-mesh auth login` first")
    labels = [f"{c.provider}:{c.account}" for c in stored]
    width = max(len(label) for label in labels)
    options = [
        f"{label:<{width}}  active" if c.active else label for label, c in zip(labels, stored, strict=True)
    ]
    return stored[prompter.choose(title, options)]
