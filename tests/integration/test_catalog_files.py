"""A new openai-chat API-key provider is one catalog file and no code (SPEC section 9, acceptance 4),
shown in-process against the loopback chat fake; tests/e2e/test_catalog_providers.py shows the
config.toml way through the installed CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

from code_mesh.adapters.files.catalog_files import CATALOG_DIR, CatalogFiles
from code_mesh.adapters.files.config_file import load_settings
from code_mesh.adapters.providers.chat_http import HttpChatClient
from code_mesh.application.provider_registry import chat_target
from code_mesh.application.run_message import ChatRequest, TextDelta
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import ApiKind
from servers.fake_llm_apis import FakeLLMApis


def new_provider_file(directory: Path, base_url: str) -> None:
    (directory / "acme.toml").write_text(
        f"""
id = "acme"
name = "Acme AI"
env = ["ACME_API_KEY"]
methods = ["api-key"]
api = "openai-chat"
api_base_url = "{base_url}/v1"
default_model = "acme-1"
reply_length_field = "max_completion_tokens"

[sources]
api_base_url = {{ url = "https://acme.example/docs", checked = 2026-12-01 }}
"""
    )


def test_a_new_openai_chat_provider_is_one_file_and_no_code(tmp_path: Path) -> None:
    """Acceptance 4, the catalog's way: a copy of the catalog with one file added is enough for
    the provider to be known, take its variable and speak to an OpenAI-compatible API."""
    directory = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    fake = FakeLLMApis()
    fake.api_keys.add("sk-acme-key")
    with fake.serve() as base:
        new_provider_file(directory, base)
        settings = load_settings(tmp_path / "no-config.toml", CatalogFiles(directory))
        assert "acme" in settings.catalog_ids()
        entry = settings.provider(ProviderId("acme"))
        assert (entry.name, entry.variable_set({"ACME_API_KEY": "k"}), entry.api) == (
            "Acme AI",
            "ACME_API_KEY",
            ApiKind.OPENAI_CHAT,
        )
        target = chat_target(entry, settings.source)
        events = list(
            HttpChatClient(timeout=10).stream(
                target, {"Authorization": "Bearer sk-acme-key"}, ChatRequest(target.default_model, "hi")
            )
        )
    assert "".join(event.text for event in events if isinstance(event, TextDelta)) == "Hello, world!"
    [request] = fake.openai_requests()
    assert request.json()["model"] == "acme-1" and request.json()["max_completion_tokens"] == 1024
