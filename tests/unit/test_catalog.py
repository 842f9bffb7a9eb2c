"""The provider catalog as shipped: every file reads, every fact has a source, the fast path's
index matches the files; what URLs a credential may name; providers' errors in their shapes."""

from __future__ import annotations

import datetime
import email.utils
from pathlib import Path

import httpx
import pytest

from code_mesh.adapters.files.catalog_files import CATALOG_DIR, CatalogFiles, render_index
from code_mesh.adapters.files.toml_text import ConfigError
from code_mesh.adapters.providers.chat_http import provider_message, retry_after
from code_mesh.application.settings import Settings
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import MAIN_PROVIDERS, provider_entry

CATALOG = (
    "anthropic",
    "deepseek",
    "github-copilot",
    "google",
    "groq",
    "mistral",
    "openai",
    "openrouter",
    "xai",
)
NOT_FACTS = ("name", "exec")
"""A display name is ours; which variables exec sets is SPEC section 10's rule, not a fact."""


def test_the_catalog_holds_the_providers_of_spec_section_2() -> None:
    catalog = CatalogFiles()
    assert catalog.ids() == CATALOG
    settings = Settings(catalog=catalog)
    assert settings.catalog_ids()[:3] == list(MAIN_PROVIDERS)
    for provider in CATALOG:
        entry = settings.provider(ProviderId(provider))
        assert entry.in_catalog and entry.api is not None and entry.default_model and entry.api_base_url
        assert entry.api_base_url.startswith("https://") and not entry.api_base_url.endswith("/")
    anthropic = settings.provider(ProviderId("anthropic"))
    assert anthropic.default_method == "console" and anthropic.token_body == "json"
    assert anthropic.token_url == "https://platform.claude.com/v1/oauth/token"
    assert anthropic.redirect_uri == "https://platform.claude.com/oauth/code/callback"
    assert settings.provider(ProviderId("openai")).reply_length_field == "max_completion_tokens"
    assert settings.provider(ProviderId("google")).env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    copilot = settings.provider(ProviderId("github-copilot"))
    assert set(copilot.headers) == {"Editor-Version", "Editor-Plugin-Version", "Copilot-Integration-Id"}
    assert copilot.allowed_hosts == ("*.githubcopilot.com",) and copilot.login_notice


@pytest.mark.parametrize("provider", CATALOG)
def test_every_fact_has_a_source_and_a_date(provider: str) -> None:
    table = CatalogFiles().table(provider)
    assert table is not None
    sources = table["sources"]
    facts = [key for key in table if key not in ("sources", *NOT_FACTS, "headers")]
    facts += [f"headers.{name}" for name in table.get("headers", {})]
    missing = [fact for fact in facts if fact not in sources]
    assert missing == [], f"{provider}.toml: no source for {missing}"
    for fact, source in sources.items():
        assert source["url"].startswith(("https://", "github:")), (provider, fact)
        assert datetime.date.fromisoformat(source["checked"]) <= datetime.date(2026, 12, 31)


def test_the_fast_paths_index_matches_the_catalog_files() -> None:
    """Regenerate it with `python -m code_mesh.catalog catalog/` when this fails."""
    assert (CATALOG_DIR / "index.py").read_text(encoding="utf-8") == render_index(CatalogFiles())


def test_a_damaged_catalog_file_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text('id = "acme"\nname = "Acme"\n\napi_base_url = 42\n')
    with pytest.raises(ConfigError) as caught:
        CatalogFiles(tmp_path).table("acme")
    assert f"{tmp_path / 'acme.toml'}, line 4: api_base_url must be a string" in caught.value.one_line()
    (tmp_path / "acme.toml").write_text('id = "other"\n')
    with pytest.raises(ConfigError, match="line 1: id must be 'acme'"):
        CatalogFiles(tmp_path).table("acme")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.business.githubcopilot.com", True),
        ("https://api.githubcopilot.com/", True),
        ("https://githubcopilot.com", False),
        ("https://evil.example/api.githubcopilot.com", False),
        ("https://api.githubcopilot.com.evil.example", False),
        ("http://api.individual.githubcopilot.com", False),
        ("ftp://api.individual.githubcopilot.com", False),
        ("https://127.0.0.2:8443", True),
        ("http://127.0.0.2:8443", True),
        ("http://10.0.0.2", False),
        ("company.ghe.com", False),
        ("https://[::1", False),
    ],
)
def test_urls_in_credential_metadata_need_an_allowed_host(url: str, allowed: bool) -> None:
    entry = provider_entry(
        ProviderId("github-copilot"),
        {"allowed_hosts": ("*.githubcopilot.com",)},
        {"api_base_url": "http://127.0.0.2:9/", "allowed_hosts": ("*.githubcopilot.com", "10.0.0.2")},
    )
    assert entry.allows_url(url) is allowed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": {"message": "Invalid API Key", "type": "invalid_request_error"}}', "Invalid API Key"),
        (
            b'{"code": "Client specified an invalid argument", "error": "Incorrect key sk-x1"}',
            "Incorrect key [redacted]",
        ),
        (
            b'[{"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}]',
            "API key not valid.",
        ),
        (b'{"detail": "Unauthorized"}', "Unauthorized"),
        (b'{"detail": [{"loc": ["body"], "msg": "field required"}]}', "field required"),
        (b'{"message": "Unauthorized", "request_id": "r"}', "Unauthorized"),
        (b'{"object": "error", "message": "model not found"}', "model not found"),
        (
            b"bad request: missing Editor-Version header for IDE auth\n",
            "bad request: missing Editor-Version header",
        ),
        (b"[]", None),
        (b'{"error": {"code": 402}}', None),
    ],
)
def test_the_providers_own_words_in_every_shape(body: bytes, message: str | None) -> None:
    """REPORT quirk 19: OpenAI and Groq, xAI (a string), Google (an array), Mistral and FastAPI
    (detail), vLLM, Copilot (plain text)."""
    said = provider_message(body, ["sk-x1"])
    assert said == message or (message is not None and said is not None and said.startswith(message))


def test_retry_after_ms_wins_and_an_http_date_counts() -> None:
    """REPORT quirk 17, as both SDKs read it (_parse_retry_after_header): retry-after-ms first,
    then retry-after in seconds (a fraction allowed) or as an HTTP date."""
    now = 1_750_000_000.0
    assert retry_after(httpx.Headers({"retry-after-ms": "1500", "retry-after": "1"}), now) == 1.5
    assert retry_after(httpx.Headers({"retry-after": "2.5"}), now) == 2.5
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after(httpx.Headers({"retry-after": date}), now) == 30.0
    assert retry_after(httpx.Headers({"retry-after-ms": "soon", "retry-after": "4"}), now) == 4.0
    assert retry_after(httpx.Headers({}), now) is None
