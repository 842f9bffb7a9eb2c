"""The sealing primitive and the key list format: what binds a ciphertext to its place."""

from __future__ import annotations

import pytest

from code_mesh.adapters.crypto.aes_gcm import (
    OpenFailed,
    UnknownKey,
    associated_data,
    is_sealed,
    new_key,
    open_sealed,
    seal,
)
from code_mesh.adapters.crypto.key_list import format_key_list, parse_key_list
from code_mesh.adapters.crypto.key_vaults import derive_key, key_id, new_salt, parse_keys

KEY = new_key()
KEY_ID = key_id(KEY)
HERE = associated_data("openai", "default", "api_key")


def test_a_sealed_value_opens_only_in_its_own_place() -> None:
    sealed = seal(KEY, KEY_ID, "sk-secret", HERE)
    assert is_sealed(sealed) and sealed.split(":")[1] == KEY_ID and "sk-secret" not in sealed
    assert open_sealed({KEY_ID: KEY}, sealed, HERE) == "sk-secret"
    for elsewhere in (
        associated_data("anthropic", "default", "api_key"),
        associated_data("openai", "work", "api_key"),
        associated_data("openai", "default", "access_token"),
    ):
        with pytest.raises(OpenFailed):
            open_sealed({KEY_ID: KEY}, sealed, elsewhere)


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert seal(KEY, KEY_ID, "same", HERE) != seal(KEY, KEY_ID, "same", HERE)


def test_tampering_and_unknown_keys_are_told_apart() -> None:
    sealed = seal(KEY, KEY_ID, "sk-secret", HERE)
    flipped = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(OpenFailed):
        open_sealed({KEY_ID: KEY}, flipped, HERE)
    with pytest.raises(UnknownKey) as caught:
        open_sealed({}, sealed, HERE)
    assert caught.value.key_id == KEY_ID
    with pytest.raises(OpenFailed):
        open_sealed({KEY_ID: KEY}, "cm1:broken", HERE)


def test_key_list_round_trip_and_damage() -> None:
    other = new_key()
    text = format_key_list([(KEY_ID, KEY), (key_id(other), other)])
    assert parse_keys(text) == [(KEY_ID, KEY), (key_id(other), other)]
    assert parse_key_list(text)[0][0] == KEY_ID
    with pytest.raises(ValueError):
        parse_keys(text.replace(KEY_ID, "k000000000000"))
    with pytest.raises(ValueError):
        parse_key_list("not a key list")


def test_passphrase_keys_depend_on_passphrase_and_salt() -> None:
    salt = new_salt()
    assert derive_key("pass", salt) == derive_key("pass", salt)
    assert key_id(derive_key("pass", salt)) != key_id(derive_key("Pass", salt))
    assert derive_key("pass", salt) != derive_key("pass", new_salt())
