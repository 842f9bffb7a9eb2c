"""Hypothesis: auth.json and config.toml inputs, valid, near-valid, hostile and garbage.

Decoding accepts exactly the valid documents and refuses the rest with InvalidAuthFile
or ConfigError (never another exception, so never a traceback), in one printable line
that quotes no secret, and a refused import leaves the store as it was.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from code_mesh.adapters.files.auth_json import CodeMeshFormat, OpencodeFormat, detect_format
from code_mesh.adapters.files.config_file import ConfigError, load_settings
from code_mesh.adapters.files.text_input import UnreadableText, decode_text
from code_mesh.adapters.store.memory_store import InMemoryCredentialStore
from code_mesh.application.import_credentials import import_credentials
from code_mesh.domain.credentials import ApiKey, checked
from code_mesh.domain.errors import InvalidAuthFile
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.rules import is_printable_line
from code_mesh.domain.secret import Secret

ids = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z", fullmatch=True)
bad_ids = st.one_of(st.just(""), st.text(alphabet=string.ascii_uppercase + " /:", min_size=1, max_size=8))
secrets_text = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=30)
expiry = st.one_of(st.none(), st.integers(min_value=0, max_value=2**40))


def code_mesh_entry() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda k, t: {"type": t, "key": k}, secrets_text, st.sampled_from(["api_key", "apikey"])),
        st.builds(
            lambda a, r, e: {
                "type": "oauth",
                "access_token": a,
                **({"refresh_token": r} if r else {}),
                **({"expires_at": e} if e is not None else {}),
            },
            secrets_text,
            st.one_of(st.none(), secrets_text),
            expiry,
        ),
        st.builds(
            lambda d: {"type": "custom", "data": d},
            st.dictionaries(ids, secrets_text, min_size=1, max_size=3),
        ),
    )


valid_code_mesh = st.dictionaries(ids, code_mesh_entry(), max_size=6).map(lambda c: {"credentials": c})


def opencode_entry() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda k: {"type": "api", "key": k}, secrets_text),
        st.builds(
            lambda a, r, e: {"type": "oauth", "access": a, "refresh": r, "expires": e},
            secrets_text,
            st.just(""),
            st.integers(0, 2**45),
        ),
    )


valid_opencode = st.dictionaries(ids, opencode_entry(), max_size=6).filter(lambda d: "credentials" not in d)


def break_one(document: dict[str, Any], how: str, bad_id: str) -> dict[str, Any] | None:
    """The same document with exactly one thing wrong; None when there is nothing to break."""
    credentials = document["credentials"]
    if not credentials:
        return None
    name = next(iter(credentials))
    entry = dict(credentials[name])
    if how == "type":
        entry["type"] = "password"
    elif how == "missing":
        entry.pop("key", None) if "key" in entry else entry.pop(
            "access_token", None
        ) if "access_token" in entry else entry.pop("data")
    elif how == "wrong-type":
        field = "key" if "key" in entry else "access_token" if "access_token" in entry else "data"
        entry[field] = 12345
    elif how == "id":
        credentials = {bad_id: entry, **{k: v for k, v in credentials.items() if k != name}}
        return {"credentials": credentials}
    return {"credentials": {**credentials, name: entry}}


@settings(max_examples=150, deadline=None)
@given(valid_code_mesh)
def test_valid_code_mesh_documents_are_accepted_whole(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert detect_format(text).name == "code-mesh"
    entries = CodeMeshFormat().decode(text)
    assert sorted(e.provider for e in entries) == sorted(document["credentials"])


@settings(max_examples=150, deadline=None)
@given(valid_opencode)
def test_valid_opencode_documents_are_accepted_whole(document: dict[str, Any]) -> None:
    entries = OpencodeFormat().decode(json.dumps(document))
    assert sorted(e.provider for e in entries) == sorted(document)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_code_mesh, st.sampled_from(["type", "missing", "wrong-type", "id"]), bad_ids)
def test_near_valid_documents_are_refused_and_import_nothing(
    document: dict[str, Any], how: str, bad_id: str
) -> None:
    broken = break_one(document, how, bad_id)
    if broken is None:
        return
    store = InMemoryCredentialStore()
    with store.writing() as repository:
        repository.save(ProviderId("kept"), AccountName(), ApiKey(Secret("kept-key")))
    with pytest.raises(InvalidAuthFile):
        import_credentials(store, CodeMeshFormat().decode(json.dumps(broken)))
    with store.reading() as repository:
        assert [(c.provider, c.credential) for c in repository.all()] == [
            ("kept", ApiKey(Secret("kept-key")))
        ]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.recursive(
            st.one_of(
                st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
            ),
            lambda children: st.one_of(
                st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
            ),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_garbage_is_refused_with_a_readable_error(text: str) -> None:
    for codec in (CodeMeshFormat(), OpencodeFormat()):
        try:
            codec.decode(text)
        except InvalidAuthFile as error:
            assert "\n" not in error.one_line()


# What str.isprintable() accepts: config.toml values reach the terminal and the network.
MARKER = "Zq9Secret"
"""Every generated secret starts with this, so a message that quotes one is caught."""
hostile_text = st.text(
    st.one_of(
        st.characters(),  # anything, lone surrogates, controls, line separators included
        st.sampled_from(["\n", "\r", "\x00", "\x1b", "\t", "\u2028", "\ud800", " "]),
    ),
    max_size=12,
)
hostile_secret = st.one_of(
    st.builds(lambda body: MARKER + body, hostile_text),
    st.builds(lambda body: f"  {MARKER}{body}\n", secrets_text),  # padded: trimmed, accepted
    st.just(MARKER + "k" * (64 * 1024)),  # one over the limit
)
hostile_expiry = st.one_of(
    st.none(), st.integers(), st.integers(min_value=2**62, max_value=2**70), st.floats()
)


def hostile_entry() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda k: {"type": "api_key", "key": k}, hostile_secret),
        st.builds(
            lambda a, r, e, meta: {
                "type": "oauth",
                "access_token": a,
                "refresh_token": r,
                "expires_at": e,
                "account_id": meta,
            },
            hostile_secret,
            hostile_secret,
            hostile_expiry,
            hostile_text,
        ),
        st.builds(
            lambda d: {"type": "custom", "data": d},
            st.dictionaries(st.one_of(ids, hostile_text), hostile_secret, min_size=1, max_size=3),
        ),
    )


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(ids, hostile_entry(), min_size=1, max_size=4))
def test_hostile_values_are_refused_in_one_printable_line_or_stored_as_one_line(
    credentials: dict[str, Any],
) -> None:
    """The domain's gate on every entry: a refusal names the entry in one printable line that
    quotes no secret; what passes is stored, and each key and token is one trimmed line."""
    text = json.dumps({"credentials": credentials})
    store = InMemoryCredentialStore()
    try:
        entries = CodeMeshFormat().decode(text)
        import_credentials(store, entries)
    except InvalidAuthFile as error:
        line = error.one_line()
        assert line.isprintable(), line
        assert MARKER not in line
        with store.reading() as repository:
            assert repository.all() == []
        event("refused")
        return
    event("stored")
    with store.reading() as repository:
        for stored in repository.all():
            assert checked(stored.credential) == stored.credential  # already through the gate
            secret = stored.credential.usable_secret()
            if secret is not None:
                assert is_printable_line(secret.reveal())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64).map(lambda b: b"\xef\xbb\xbf" + b if b[:1] == b"{" else b))
def test_any_bytes_are_text_or_one_line_saying_why_not(data: bytes) -> None:
    try:
        text = decode_text(data)
    except UnreadableText as error:
        assert error.problem.startswith("is not UTF-8 text (byte 0x") and error.problem.isprintable()
        return
    for codec in (CodeMeshFormat(), OpencodeFormat()):
        try:
            codec.decode(text)
        except InvalidAuthFile as error:
            assert error.one_line().isprintable()


printable = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
config_values = {
    "name": st.text(printable, min_size=1, max_size=10),
    "token_url": st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12).map(
        lambda host: f"https://{host}.example/token"
    ),
    "env": st.lists(st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True), max_size=3),
    "reply_length_field": st.sampled_from(["max_tokens", "max_completion_tokens"]),
    "headers": st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True),
        st.text(string.ascii_letters + string.digits + "/.-", max_size=12),
        max_size=2,
    ),
    "client_id": st.text(printable, max_size=10),
    "scopes": st.lists(st.text(alphabet=string.ascii_letters, max_size=6), max_size=3),
    "api": st.sampled_from(["openai-chat", "anthropic-messages"]),
}


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)  # JSON strings and string arrays are TOML too


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        ids.filter(lambda p: p not in ("anthropic", "openai", "github-copilot")),
        st.fixed_dictionaries({}, optional=config_values),
        max_size=3,
    ),
    st.one_of(st.none(), st.sampled_from(["unknown_key", "wrong_type", "garbage"])),
)
def test_config_files_load_exactly_when_valid(
    tmp_path_factory: pytest.TempPathFactory, providers: dict[str, dict[str, Any]], spoil: str | None
) -> None:
    lines = []
    for provider, keys in providers.items():
        lines.append(f'[providers."{provider}"]')
        lines += [f"{key} = {toml_value(value)}" for key, value in keys.items()]
    if spoil == "unknown_key":
        lines += ['[providers."x"]', 'colour = "red"']
    elif spoil == "wrong_type":
        lines += ['[providers."x"]', "client_id = 5"]
    elif spoil == "garbage":
        lines += ["[[[not toml"]
    path: Path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    if spoil is None:
        settings_ = load_settings(path)
        assert set(settings_.providers) == set(providers)
    else:
        with pytest.raises(ConfigError) as caught:
            load_settings(path)
        assert str(path) in caught.value.one_line()
