"""`auth status` (SPEC section 12) as plain functions: state, expiry words, the warning, the
--online verdicts per provider, and the blocks as printed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from code_mesh.application.credential_choice import ProjectAccounts, choose_credential
from code_mesh.application.credential_status import (
    ProviderStatus,
    all_ok,
    ends_soon_without_refresh,
    expiry_words,
    provider_status,
    providers_to_show,
)
from code_mesh.application.online_check import ModelListAnswer, check_online
from code_mesh.application.token import UsableToken
from code_mesh.domain.credentials import CredentialSummary, Status
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.providers import ApiKind, ProviderEntry, provider_entry
from code_mesh.domain.secret import Secret
from code_mesh.entrypoints.render_status import status_lines, which_line

NOW = 1_800_000_000


def stored(
    provider: str = "anthropic",
    *,
    kind: str = "oauth",
    expires_at: int | None = None,
    can_refresh: bool = False,
    needs_login: bool = False,
    locked: bool = False,
) -> ProviderStatus:
    summary = CredentialSummary(
        ProviderId(provider), AccountName("default"), kind, expires_at, can_refresh, needs_login, True, locked
    )
    choice = choose_credential(provider, None, (), {}, None, [summary])
    return provider_status(provider.title(), choice, NOW)


@pytest.mark.parametrize(
    ("block", "status", "usable", "words", "warned"),
    [
        (stored(expires_at=NOW + 2 * 3600 + 13 * 60 + 59, can_refresh=True), Status.AUTHENTICATED, True, "expires in 2h 13m", False),
        (stored(expires_at=NOW - 5 * 60 - 30, can_refresh=True), Status.EXPIRED, True, "expired 5m 30s ago; refreshes on next use", False),
        (stored(expires_at=NOW - 3 * 86400), Status.NEEDS_LOGIN, False, "expired 3d ago", False),
        (stored(expires_at=NOW + 86400), Status.AUTHENTICATED, True, "expires in 1d", True),
        (stored(expires_at=NOW + 86401), Status.AUTHENTICATED, True, "expires in 1d", False),
        (stored(kind="api_key"), Status.AUTHENTICATED, True, None, False),
        (stored(kind="api_key", needs_login=True), Status.NEEDS_LOGIN, False, None, False),
        (stored(kind="api_key", locked=True), Status.LOCKED, False, None, False),
    ],
)  # fmt: skip
def test_state_expiry_and_the_warning(
    block: ProviderStatus, status: Status, usable: bool, words: str | None, warned: bool
) -> None:
    assert (block.status, block.usable) == (status, usable)
    assert expiry_words(block, NOW) == words
    assert ends_soon_without_refresh(block, NOW) is warned


def test_which_providers_are_shown_and_in_what_order() -> None:
    summaries = [
        CredentialSummary(ProviderId(p), AccountName("default"), "api_key", None, False, False, True)
        for p in ("zed-llm", "openai")
    ]
    project = ProjectAccounts("/p/.code-mesh.toml", {"anthropic": "work"})
    known = ["anthropic", "openai", "github-copilot", "groq"]
    shown = providers_to_show(known, summaries, ["groq"], project)
    assert shown == ["anthropic", "openai", "groq", "zed-llm"]
    assert all_ok([]) is False  # nothing logged in is not ok


def test_blocks_as_printed() -> None:
    locked = stored("openai", kind="api_key", locked=True)
    lines = status_lines([locked], NOW, locked_advice="Restore the key file")
    assert lines == [
        "✗ Openai [openai]",
        "  Account: default (source: store)",
        "  Type: api_key",
        "  Status: locked (the key that opens it is not at hand): Restore the key file",
    ]
    missing = choose_credential(
        "anthropic",
        None,
        (),
        {},
        ProjectAccounts("/p/.code-mesh.toml", {"anthropic": "w"}, {"anthropic": 2}),
        [],
    )
    assert status_lines([provider_status("Anthropic", missing, NOW)], NOW)[1] == (
        "  /p/.code-mesh.toml, line 2 names account w for anthropic, which is not stored: "
        "run `code-mesh auth login anthropic --account w`, or change the project file"
    )
    assert which_line(missing).startswith(
        "anthropic: nothing would be used (/p/.code-mesh.toml, line 2 names"
    )


class Answers:
    def __init__(self, status: int, said: str | None = None) -> None:
        self.answer = ModelListAnswer(status, said)
        self.asked: list[tuple[ApiKind, str, Mapping[str, str]]] = []

    def fetch(self, kind: ApiKind, url: str, headers: Mapping[str, str]) -> ModelListAnswer:
        self.asked.append((kind, url, dict(headers)))
        return self.answer


def entry(provider: str, **config: object) -> ProviderEntry:
    catalog = {"api": "openai-chat", "models_url": "https://api.example/v1/models", **config}
    return provider_entry(ProviderId(provider), catalog)


@pytest.mark.parametrize(
    ("refused_statuses", "status", "outcome", "refused", "failed"),
    [
        ((401, 403), 200, "ok", False, False),
        ((401, 403), 401, "refused (HTTP 401: bad key)", True, False),
        ((401, 403), 400, "failed (HTTP 400: bad key)", False, True),
        ((400, 401, 403), 400, "refused (HTTP 400: bad key)", True, False),  # xAI and Google
        ((401, 403), 503, "failed (HTTP 503: bad key)", False, True),
    ],
)
def test_what_a_model_list_answer_means_is_the_entrys_data(
    refused_statuses: tuple[int, ...], status: int, outcome: str, refused: bool, failed: bool
) -> None:
    answers = Answers(status, "bad key")
    result = check_online(
        entry("xai", key_refused_statuses=refused_statuses), UsableToken(Secret("k"), "store"), answers
    )
    assert (result.outcome, result.refused, result.failed) == (outcome, refused, failed)
    assert answers.asked == [
        (ApiKind.OPENAI_CHAT, "https://api.example/v1/models", {"Authorization": "Bearer k"})
    ]


def test_the_check_goes_where_the_credential_does_and_as_run_sends_it() -> None:
    answers = Answers(200)
    copilot = entry("github-copilot", headers={"Editor-Version": Secret("vscode/1.0")})
    token = UsableToken(Secret("tid"), "store", "oauth", api_url="https://api.business.githubcopilot.com")
    assert check_online(copilot, token, answers).outcome == "ok"
    assert answers.asked[-1][1:] == (
        "https://api.business.githubcopilot.com/models",
        {"Editor-Version": "vscode/1.0", "Authorization": "Bearer tid"},
    )
    anthropic = entry("anthropic", api="anthropic-messages")
    check_online(anthropic, UsableToken(Secret("sk-ant"), "store"), answers)
    assert answers.asked[-1][0] is ApiKind.ANTHROPIC_MESSAGES and answers.asked[-1][2] == {
        "x-api-key": "sk-ant"
    }
    none = check_online(provider_entry(ProviderId("mine")), UsableToken(Secret("k"), "store"), answers)
    assert (none.outcome, len(answers.asked)) == ("skipped", 2)


def test_a_models_url_follows_api_base_url_when_config_moves_it() -> None:
    catalog = {
        "api": "openai-chat",
        "api_base_url": "https://api.x.ai/v1",
        "models_url": "https://api.x.ai/v1/models",
    }
    moved = provider_entry(ProviderId("xai"), catalog, {"api_base_url": "http://127.0.0.1:8080/v1/"})
    assert moved.models_url == "http://127.0.0.1:8080/v1/models"
    named = provider_entry(
        ProviderId("xai"), catalog, {"api_base_url": "http://h/v1", "models_url": "http://m/models"}
    )
    assert named.models_url == "http://m/models"
    anthropic = provider_entry(
        ProviderId("anthropic"),
        {"api": "anthropic-messages", "models_url": "https://a/v1/models"},
        {"api_base_url": "http://h"},
    )
    assert anthropic.models_url == "http://h/v1/models"
