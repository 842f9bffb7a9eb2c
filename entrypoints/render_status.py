"""How `auth status` and `auth which` look (SPEC sections 11 and 12): lines and JSON, nothing else.

No cyclopts here and no store: the commands hand over what the read rules decided
(application/credential_choice.py, credential_status.py), so any read path can print the same.
"""

from __future__ import annotations

from code_mesh.application.credential_choice import OPTION, PROJECT, STORE, CredentialChoice, login_hint
from code_mesh.application.credential_status import (
    OK,
    SKIPPED,
    ProviderStatus,
    ends_soon_without_refresh,
    expiry_words,
)
from code_mesh.domain.status import Status

TYPE_CHECKING = False  # the read paths import this module: no typing, no collections.abc
if TYPE_CHECKING:
    from collections.abc import Callable

    Paint = Callable[[str, str], str]
    """(text, ANSI colour code) → the text as printed (plain when colour is off)."""


def _plain(text: str, _code: str) -> str:
    return text


def which_line(choice: CredentialChoice) -> str:
    """`anthropic: account work (from /home/me/src/acme/.code-mesh.toml)`, `anthropic:
    env:ANTHROPIC_API_KEY (the environment beats the store)`, or why nothing would be used."""
    if not choice.found:
        next_step = f"; {choice.next_step[0].lower()}{choice.next_step[1:]}" if choice.next_step else ""
        return f"{choice.provider}: nothing would be used ({choice.reason}){next_step}"
    if choice.variable is not None:
        return f"{choice.provider}: {choice.source} ({choice.reason})"
    return f"{choice.provider}: account {choice.account} ({choice.reason})"


def which_document(choice: CredentialChoice) -> dict[str, object]:
    """`auth which --json`: `account` null for an environment source, `path` null unless a project
    file decided (or named an account that is not stored)."""
    return {
        "provider": choice.provider,
        "account": choice.account,
        "source": choice.source,
        "reason": choice.reason,
        "path": choice.path,
    }


def _account_line(choice: CredentialChoice) -> str:
    if choice.variable is not None:
        return f"Source: {choice.source} ({choice.reason})"
    if choice.source == PROJECT:
        return f"Account: {choice.account} (source: project, {choice.path})"
    if choice.source in (OPTION, STORE):
        return f"Account: {choice.account} (source: {choice.source})"
    step = f": {choice.next_step[0].lower()}{choice.next_step[1:]}" if choice.next_step else ""
    return f"{choice.sentence}{step}"


def _status_line(block: ProviderStatus, now: float, locked_advice: str | None) -> str | None:
    if block.status is Status.NOT_AUTHENTICATED:
        return None  # the account line said why
    expiry = expiry_words(block, now)
    if block.status is Status.AUTHENTICATED:
        return "Status: authenticated" + (f", {expiry}" if expiry else "")
    if block.status is Status.EXPIRED:
        return f"Status: {expiry}" if expiry else "Status: expired; refreshes on next use"
    if block.status is Status.NEEDS_LOGIN:
        said = f" ({expiry})" if expiry else ""
        return f"Status: needs-login{said}: {_login(block)}"
    advice = f": {locked_advice}" if locked_advice else ""
    return f"Status: locked (the key that opens it is not at hand){advice}"


def _login(block: ProviderStatus) -> str:
    step = login_hint(block.provider, block.choice.account)
    return f"{step[0].lower()}{step[1:]}"


def _online_line(block: ProviderStatus) -> str | None:
    if block.online is None:
        return None
    if block.online in (OK, SKIPPED):
        detail = f" ({block.online_detail})" if block.online_detail else ""
        return f"Online: {block.online}{detail}"
    return f"Online: {block.online}"


def status_lines(
    blocks: list[ProviderStatus], now: float, *, paint: Paint = _plain, locked_advice: str | None = None
) -> list[str]:
    """One block per provider: ✓ or ✗ with its name and id, then indented lines: the account and
    its source, the type, the status (and how long it lasts), a warning when it ends within a day
    and cannot be refreshed, and the --online outcome."""
    lines: list[str] = []
    for block in blocks:
        good = block.usable and not block.online_failed
        mark = paint("✓", "32") if good else paint("✗", "31")
        lines.append(f"{mark} {block.name} [{block.provider}]")
        body = [_account_line(block.choice)]
        if block.type is not None:
            body.append(f"Type: {block.type}")
        status = _status_line(block, now, locked_advice)
        if status is not None:
            body.append(status)
        if ends_soon_without_refresh(block, now):
            words = expiry_words(block, now)
            body.append(
                paint(f"Warning: it {words} and cannot be refreshed; {_login(block)} before then", "33")
            )
        online = _online_line(block)
        if online is not None:
            body.append(online)
        lines.extend(f"  {line}" for line in body)
    return lines
