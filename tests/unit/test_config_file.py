"""config.toml: the keys of SPEC section 6 laid over the catalog's, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_mesh.adapters.files.config_file import ConfigError, load_settings
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.secret import Secret

GOOD = """
[run]
default_provider = "anthropic"

[providers.anthropic]
token_url = "http://127.0.0.1:9/token"
client_id = "override"

[providers.my-idp]
name = "My IdP"
authorize_url = "https://idp.example/authorize"
device_authorization_url = "https://idp.example/device"
token_url = "https://idp.example/token"
client_id = "cli"
client_secret = "shh"
scopes = ["openid", "offline_access"]
api = "openai-chat"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_a_missing_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml")
    assert settings.default_provider is None and dict(settings.providers) == {}


def test_the_documented_keys_load(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.default_provider == "anthropic"
    assert settings.provider(ProviderId("anthropic")).token_url == "http://127.0.0.1:9/token"
    idp = settings.provider(ProviderId("my-idp"))
    assert idp.scopes == ("openid", "offline_access") and idp.client_secret == Secret("shh")
    assert "shh" not in repr(idp)
    assert idp.methods == ("oauth", "device", "api-key") and not idp.in_catalog
    assert settings.configured_custom_providers() == ["my-idp"]


def test_config_overrides_the_catalog_key_by_key(tmp_path: Path) -> None:
    """One key replaced, the others kept; a header replaced by name in any case, one set to "" dropped."""
    path = write(
        tmp_path,
        '[providers.github-copilot]\nclient_id = "mine"\n'
        'headers = { "editor-version" = "Neovim/0.11.9", "Copilot-Integration-Id" = "", "X-Team" = "core" }\n',
    )
    copilot = load_settings(path).provider(ProviderId("github-copilot"))
    assert copilot.client_id == "mine" and copilot.in_catalog
    assert copilot.token_url == "https://github.com/login/oauth/access_token"
    assert {name: value.reveal() for name, value in copilot.headers.items()} == {
        "Editor-Plugin-Version": "copilot-chat/0.35.0",
        "editor-version": "Neovim/0.11.9",
        "X-Team": "core",
    }
    assert "0.11.9" not in repr(copilot), "configured header values are secrets"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[providers.openai]\napi_base_url = "https://x"\ntoken = "y"\n', 3, "unknown key 'token'"),
        (
            '[providers.openai]\n\napi_base_url = "localhost:11434/v1"\n',
            3,
            "must be an http:// or https:// URL",
        ),
        ('[providers.x]\nenv = ["MY KEY"]\n', 2, "not the name of an environment variable"),
        ('[providers.x]\nmethods = ["password"]\n', 2, "'password' is not one of"),
        ('[providers.x]\nreply_length_field = "max_length"\n', 2, "reply_length_field must be one of"),
        ('[providers.x]\n\n[providers.x.headers]\n"Bad Name" = "v"\n', 4, "is not an HTTP header name"),
        ('[providers.x]\nheaders = { "X-A" = "a\\nb" }\n', 2, "must be printable ASCII"),
        (
            '[providers.x]\ndevice_code_url = "https://d"\ndevice_authorization_url = "https://d"\n',
            3,
            "twice",
        ),
        ('[providers.x]\nid = "y"\n', 2, "id must be 'x'"),
        ('[providers."Not Valid"]\nname = "n"\n', 1, "provider id"),
        ('[providers.x]\nname = "X"\n\nscopes = "openid"\n', 4, "scopes must be a list"),
        ("[providers.x]\nclient_id = 5\n", 2, "client_id must be a string"),
        ('[providers.x]\napi = "soap"\n', 2, "api must be one of"),
        ("[run]\ndefault = 1\n", 2, "unknown key 'default'"),
        ('[run]\ndefault_provider = "Not Valid"\n', 2, "provider id"),
        ('colour = "red"\n', 1, "unknown section or key 'colour'"),
        ('[providers.x]\nname = "unterminated\n', 2, "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = caught.value.one_line()
    assert str(path) in message and f"line {line}" in message and words in message
    assert caught.value.exit_code == 1


def test_store_and_audit_sections(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[store]\nurl = "postgresql+psycopg://u:pw-in-config@db/x"\n\n[audit]\nreads = false\n')
    settings = load_settings(path)
    assert settings.store_url is not None and settings.store_url.reveal().endswith("@db/x")
    assert "pw-in-config" not in repr(settings)
    assert settings.audit_reads is False
    for text, says in (
        ('[store]\nuri = "x"\n', "line 2: unknown key 'uri' in [store] (allowed: url)"),
        ("[audit]\nreads = 1\n", "line 2: reads must be true or false"),
        ("[store]\nurl = 5\n", "line 2: url must be a database URL on one line"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_settings(path)
        assert says in caught.value.one_line()
