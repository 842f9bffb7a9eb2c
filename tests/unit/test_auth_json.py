"""The auth.json codecs: both layouts, their quirks, and whole-file rejection of bad input."""

from __future__ import annotations

import json

import pytest

from code_mesh.adapters.files.auth_json import CodeMeshFormat, OpencodeFormat, detect_format
from code_mesh.adapters.store.memory_store import InMemoryCredentialStore
from code_mesh.application.auth_file import AuthFileEntry
from code_mesh.application.import_credentials import import_credentials
from code_mesh.domain.credentials import ApiKey, Custom, OAuthToken, StoredCredential
from code_mesh.domain.errors import InvalidAuthFile
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.secret import Secret

CODE_MESH = CodeMeshFormat()
OPENCODE = OpencodeFormat()


def entries_by_label(entries: list[AuthFileEntry]) -> dict[str, AuthFileEntry]:
    return {entry.label: entry for entry in entries}


def test_code_mesh_layout_with_accounts_and_rust_alias() -> None:
    text = json.dumps(
        {
            "credentials": {
                "anthropic": {
                    "type": "oauth",
                    "access_token": "at",
                    "refresh_token": "rt",
                    "expires_at": 1706123456,
                    "account_id": "acc-1",
                    "unknown_field": "ignored",
                },
                "openai": {"type": "apikey", "key": "sk-1", "account": "personal"},
                "openai:work": {"type": "api_key", "key": "sk-2", "needs_login": True},
                "azure": {"type": "custom", "data": {"endpoint": "https://x", "api_key": "az"}},
            }
        }
    )
    entries = entries_by_label(CODE_MESH.decode(text))
    assert set(entries) == {"anthropic:default", "openai:personal", "openai:work", "azure:default"}
    anthropic = entries["anthropic:default"]
    assert anthropic.credential == OAuthToken(
        Secret("at"), Secret("rt"), expires_at=1706123456, account_id="acc-1"
    )
    assert anthropic.active
    assert entries["openai:personal"].active and entries["openai:personal"].credential == ApiKey(
        Secret("sk-1")
    )
    assert not entries["openai:work"].active and entries["openai:work"].needs_login
    assert entries["azure:default"].credential == Custom(
        {"endpoint": Secret("https://x"), "api_key": Secret("az")}
    )


def test_opencode_layout_milliseconds_and_wellknown() -> None:
    text = json.dumps(
        {
            "anthropic": {
                "type": "oauth",
                "refresh": "rt",
                "access": "at",
                "expires": 1752700000123,
                "accountId": "a1",
                "enterpriseUrl": "https://ghe.example",
            },
            "openrouter": {"type": "api", "key": "sk-or"},
            "https://corp.example": {"type": "wellknown", "key": "CORP_TOKEN", "token": "tok"},
            "github-copilot": {"type": "oauth", "refresh": "", "access": "cp", "expires": 0},
        }
    )
    assert detect_format(text).name == "opencode"
    entries = entries_by_label(OPENCODE.decode(text))
    assert entries["anthropic:default"].credential == OAuthToken(
        Secret("at"), Secret("rt"), 1752700000, account_id="a1", enterprise_url="https://ghe.example"
    )
    assert entries["openrouter:default"].credential == ApiKey(Secret("sk-or"))
    assert entries["corp.example:default"].credential == Custom(
        {"key": Secret("CORP_TOKEN"), "token": Secret("tok"), "url": Secret("https://corp.example")}
    )
    copilot = entries["github-copilot:default"].credential
    assert isinstance(copilot, OAuthToken)
    assert (copilot.refresh_token, copilot.expires_at) == (None, None)


def test_format_detection() -> None:
    assert detect_format('{"credentials": {}}').name == "code-mesh"
    assert detect_format('{"openai": {"type": "api", "key": "k"}}').name == "opencode"


def _stored(provider: str, account: str, credential: object, active: bool, needs_login: bool = False):
    return StoredCredential(ProviderId(provider), AccountName(account), credential, needs_login, active)  # type: ignore[arg-type]


STORE = [
    _stored("anthropic", "default", OAuthToken(Secret("at"), Secret("rt"), 1706123456, scopes="a b"), True),
    _stored("openai", "work", ApiKey(Secret("sk-w")), True),
    _stored("openai", "default", ApiKey(Secret("sk-d")), False, needs_login=True),
    _stored("azure", "default", Custom({"endpoint": Secret("e"), "api_key": Secret("k")}), True),
    _stored(
        "corp.example",
        "default",
        Custom({"key": Secret("K"), "token": Secret("T"), "url": Secret("https://corp.example")}),
        True,
    ),
]


def test_code_mesh_export_is_lossless() -> None:
    encoded = CODE_MESH.encode(STORE)
    document = json.loads(encoded.text)["credentials"]
    assert document["openai"] == {"type": "api_key", "key": "sk-w", "account": "work"}
    assert document["openai:default"] == {"type": "api_key", "key": "sk-d", "needs_login": True}
    assert document["anthropic"]["scopes"] == "a b"
    back = entries_by_label(CODE_MESH.decode(encoded.text))
    for stored in STORE:
        entry = back[f"{stored.provider}:{stored.account}"]
        assert (entry.credential, entry.active, entry.needs_login) == (
            stored.credential,
            stored.active,
            stored.needs_login,
        )
    assert encoded.left_out == ()


def test_opencode_export_writes_active_accounts_and_says_what_it_left_out() -> None:
    no_refresh = _stored("x", "default", OAuthToken(Secret("only-access")), True)
    encoded = OPENCODE.encode([*STORE, no_refresh])
    document = json.loads(encoded.text)
    assert document["anthropic"] == {
        "type": "oauth",
        "refresh": "rt",
        "access": "at",
        "expires": 1706123456000,
    }
    assert document["openai"] == {"type": "api", "key": "sk-w"}
    assert document["https://corp.example"] == {"type": "wellknown", "key": "K", "token": "T"}
    assert document["x"] == {"type": "oauth", "refresh": "", "access": "only-access", "expires": 0}
    assert "azure" not in document
    assert encoded.left_out == ("azure:default",)
    assert encoded.not_active == ("openai:default",), "one account per provider: the others are said"
    assert (
        entries_by_label(OPENCODE.decode(encoded.text))["corp.example:default"].credential
        == STORE[4].credential
    )


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("{not json", "line 1"),
        ("[]", "credentials"),
        ('{"credentials": {"openai": {"type": "token", "key": "k"}}}', "'openai'"),
        ('{"credentials": {"openai": {"type": "api_key"}}}', "'key' is missing"),
        ('{"credentials": {"openai": {"type": "api_key", "key": 5}}}', "must be a string"),
        ('{"credentials": {"openai": {"type": "api_key", "key": ""}}}', "empty"),
        (
            '{"credentials": {"a": {"type": "oauth", "access_token": "t", "expires_at": "soon"}}}',
            "whole number",
        ),
        ('{"credentials": {"Bad Id": {"type": "api_key", "key": "k"}}}', "'Bad Id'"),
        ('{"credentials": {"openai:Work": {"type": "api_key", "key": "k"}}}', "account name"),
        ('{"credentials": {"openai": "sk-plain"}}', "JSON object"),
        ('{"credentials": {"x": {"type": "custom", "data": {"n": 1}}}}', "data.n"),
        ('{"credentials": {"x": {"type": "custom", "data": []}}}', "'data'"),
        (
            '{"credentials": {"openai": {"type": "api_key", "key": "a", "account": "w"},'
            ' "openai:w": {"type": "api_key", "key": "b"}}}',
            "two entries for openai:w",
        ),
        (
            '{"credentials": {"openai": {"type": "api_key", "key": "a"}, "openai": {"type": "api_key", "key": "b"}}}',
            "twice",
        ),
    ],
)
def test_code_mesh_rejects_bad_documents_naming_the_entry(text: str, names: str) -> None:
    with pytest.raises(InvalidAuthFile) as caught:
        CODE_MESH.decode(text)
    assert names in caught.value.one_line()
    assert "nothing was imported" in caught.value.one_line()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('{"openai": {"type": "magic"}}', "unknown type"),
        ('{"a": {"type": "oauth", "access": "x", "expires": 1.5}}', "whole number"),
        (
            '{"https://corp.example": {"type": "wellknown", "key": "K", "token": "a"}, "corp.example": {"type": "api", "key": "k"}}',
            "two entries",
        ),
        ('{"https://": {"type": "api", "key": "k"}}', "'https://'"),
    ],
)
def test_opencode_rejects_bad_documents(text: str, names: str) -> None:
    with pytest.raises(InvalidAuthFile) as caught:
        OPENCODE.decode(text)
    assert names in caught.value.one_line()


def test_error_messages_never_quote_a_secret_value() -> None:
    with pytest.raises(InvalidAuthFile) as caught:
        CODE_MESH.decode(
            '{"credentials": {"openai": {"type": "oauth", "access_token": "sk-LEAK", "expires_at": "x"}}}'
        )
    assert "sk-LEAK" not in caught.value.one_line()


def _accounts_in_activation_order(store: InMemoryCredentialStore, provider: str) -> list[str]:
    with store.reading() as repository:
        return [str(c.account) for c in repository.all() if c.provider == provider]


def _log_in(store: InMemoryCredentialStore, *accounts: str) -> None:
    with store.writing() as repository:
        for account in accounts:
            repository.save(ProviderId("openai"), AccountName(account), ApiKey(Secret(f"sk-{account}")))


def test_export_then_import_keeps_the_activation_order() -> None:
    original = InMemoryCredentialStore()
    _log_in(original, "a", "b", "c", "d")
    with original.writing() as repository:
        repository.activate(ProviderId("openai"), AccountName("b"))
    assert _accounts_in_activation_order(original, "openai") == ["b", "d", "c", "a"]
    with original.reading() as repository:
        text = CODE_MESH.encode(repository.all()).text
    assert list(json.loads(text)["credentials"]) == ["openai", "openai:d", "openai:c", "openai:a"]
    copy = InMemoryCredentialStore()
    import_credentials(copy, CODE_MESH.decode(text))
    assert _accounts_in_activation_order(copy, "openai") == ["b", "d", "c", "a"]


def test_new_other_accounts_rank_below_the_account_that_stays_active() -> None:
    store = InMemoryCredentialStore()
    _log_in(store, "old", "kept")  # kept is active
    others = {"openai:x": {"type": "api_key", "key": "sk-x"}, "openai:y": {"type": "api_key", "key": "sk-y"}}
    import_credentials(store, CODE_MESH.decode(json.dumps({"credentials": others})))
    assert _accounts_in_activation_order(store, "openai") == ["kept", "x", "y", "old"]
    unchanged_active = {"openai": {"type": "api_key", "key": "sk-kept", "account": "kept"}}
    import_credentials(
        store,
        CODE_MESH.decode(
            json.dumps({"credentials": {**unchanged_active, "openai:z": {"type": "api_key", "key": "z"}}})
        ),
    )
    assert _accounts_in_activation_order(store, "openai") == ["kept", "z", "x", "y", "old"]


@pytest.mark.parametrize("codec", [CodeMeshFormat(), OpencodeFormat()], ids=["code-mesh", "opencode"])
def test_another_tools_id_is_mapped_in_either_format(codec: CodeMeshFormat | OpencodeFormat) -> None:
    """`github` (the Code Mesh CLI's id for Copilot) is stored as github-copilot in both formats:
    stored as `github`, no command could name it, since each maps `github` to github-copilot."""
    if isinstance(codec, OpencodeFormat):
        text = '{"github": {"type": "oauth", "refresh": "gho_x", "access": "tid", "expires": 0}}'
    else:
        text = (
            '{"credentials": {"github": {"type": "oauth", "access_token": "tid", "refresh_token": "gho_x"}}}'
        )
    [entry] = codec.decode(text)
    assert (entry.provider, entry.written_as) == ("github-copilot", "github")
