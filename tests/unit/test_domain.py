"""Domain rules: identifiers, the masked Secret, credential status against an explicit `now`."""

from __future__ import annotations

import logging
import pickle

import pytest

from code_mesh.domain.credentials import (
    ApiKey,
    Custom,
    InvalidCredential,
    OAuthToken,
    Status,
    StoredCredential,
)
from code_mesh.domain.errors import CodeMeshError, CommandLineError, InvalidIdentifier
from code_mesh.domain.identifiers import AccountName, ProviderId
from code_mesh.domain.providers import provider_entry
from code_mesh.domain.rules import REFRESH_MARGIN_SECONDS, pick_custom_token
from code_mesh.domain.secret import Secret

NOW = 1_800_000_000


@pytest.mark.parametrize("value", ["anthropic", "openai", "my-idp", "corp.example", "a", "0x_1", "a" * 64])
def test_valid_identifiers_are_accepted(value: str) -> None:
    assert ProviderId(value) == value
    assert AccountName(value) == value


@pytest.mark.parametrize(
    "value", ["", "Anthropic", "-lead", ".lead", "has space", "a" * 65, "ünïcode", "a:b", "a/b"]
)
def test_invalid_identifiers_are_refused_with_the_pattern(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match="lowercase letters"):
        ProviderId(value)
    with pytest.raises(InvalidIdentifier, match="account name"):
        AccountName(value)


def test_account_defaults_to_default() -> None:
    assert AccountName() == "default"


def test_secret_is_masked_everywhere_but_reveal(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret("sk-very-secret")
    assert secret.reveal() == "sk-very-secret"
    old_style = "%s" % (secret,)  # noqa: UP031 - logging and old code still format this way
    shown = [str(secret), repr(secret), f"{secret}", f"{secret!r}", old_style, repr([secret])]
    assert all("sk-very-secret" not in text for text in shown)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("key=%s", secret)
    assert "sk-very-secret" not in caplog.text
    credential = ApiKey(secret)
    assert "sk-very-secret" not in repr(credential)
    assert "sk-very-secret" not in repr(OAuthToken(secret, refresh_token=Secret("rt-secret-1")))
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_secrets_compare_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert ApiKey(Secret("a")) == ApiKey(Secret("a"))


def test_empty_key_is_not_a_credential() -> None:
    with pytest.raises(InvalidCredential):
        ApiKey(Secret("  \n"))
    with pytest.raises(InvalidCredential):
        OAuthToken(Secret(""))
    with pytest.raises(InvalidCredential):
        Custom({})
    with pytest.raises(InvalidCredential):
        OAuthToken(Secret("at"), expires_at=True)  # type: ignore[arg-type]


def stored(credential: object, needs_login: bool = False) -> StoredCredential:
    return StoredCredential(ProviderId("anthropic"), AccountName(), credential, needs_login)  # type: ignore[arg-type]


def test_status_of_oauth_follows_expiry_and_refresh_token() -> None:
    fresh = OAuthToken(Secret("at"), Secret("rt"), expires_at=NOW + 3600)
    expired_refreshable = OAuthToken(Secret("at"), Secret("rt"), expires_at=NOW - 1)
    expired_final = OAuthToken(Secret("at"), None, expires_at=NOW - 1)
    no_expiry = OAuthToken(Secret("at"))
    assert stored(fresh).status(NOW) is Status.AUTHENTICATED
    assert stored(expired_refreshable).status(NOW) is Status.EXPIRED
    assert stored(expired_final).status(NOW) is Status.NEEDS_LOGIN
    assert stored(no_expiry).status(NOW) is Status.AUTHENTICATED
    assert stored(fresh, needs_login=True).status(NOW) is Status.NEEDS_LOGIN
    assert stored(ApiKey(Secret("k"))).status(NOW) is Status.AUTHENTICATED


def test_refresh_is_due_within_five_minutes_of_expiry() -> None:
    token = OAuthToken(Secret("at"), Secret("rt"), expires_at=NOW + REFRESH_MARGIN_SECONDS)
    assert REFRESH_MARGIN_SECONDS == 300
    assert stored(token).refresh_due(NOW)
    assert not stored(token).refresh_due(NOW - 1)
    assert not stored(ApiKey(Secret("k"))).refresh_due(NOW)
    assert not stored(OAuthToken(Secret("at"))).refresh_due(NOW)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"endpoint": "e", "token": "t", "api_key": "a"}, "t"),
        ({"endpoint": "e", "api_key": "a", "key": "k"}, "a"),
        ({"endpoint": "e", "key": "k"}, "k"),
        ({"only": "o"}, "o"),
        ({"endpoint": "e", "region": "r"}, None),
    ],
)
def test_custom_token_rule(data: dict[str, str], expected: str | None) -> None:
    assert pick_custom_token(data) == expected
    chosen = Custom({k: Secret(v) for k, v in data.items()}).usable_secret()
    assert (chosen.reveal() if chosen else None) == expected


def test_providers_and_their_methods() -> None:
    """A catalog table's methods and variables; a custom provider's derived from its keys."""
    anthropic = provider_entry(
        ProviderId("anthropic"),
        {"methods": ("console", "api-key", "claude-max"), "env": ("ANTHROPIC_API_KEY",)},
    )
    assert (anthropic.default_method, anthropic.in_catalog, anthropic.name) == ("console", True, "anthropic")
    assert anthropic.variable_set({"ANTHROPIC_API_KEY": ""}) is None
    assert anthropic.variable_set({"ANTHROPIC_API_KEY": "sk"}) == "ANTHROPIC_API_KEY"
    assert anthropic.holds_subscription_token("oauth") and not anthropic.holds_subscription_token("api_key")
    copilot = provider_entry(ProviderId("github-copilot"), {"methods": ("device",)})
    assert not copilot.accepts_api_key() and not copilot.holds_subscription_token("oauth")
    custom = provider_entry(ProviderId("my-idp"))
    assert (custom.in_catalog, custom.methods, custom.env) == (False, ("api-key",), ())
    oauth = provider_entry(
        ProviderId("my-idp"),
        None,
        {"authorize_url": "https://i/a", "device_authorization_url": "https://i/d"},
    )
    assert oauth.methods == ("api-key",), "no token_url: neither OAuth method can run"
    both = provider_entry(
        ProviderId("my-idp"),
        None,
        {
            "authorize_url": "https://i/a",
            "device_authorization_url": "https://i/d",
            "token_url": "https://i/t",
        },
    )
    assert both.methods == ("oauth", "device", "api-key")


def test_errors_are_one_line_with_a_next_step() -> None:
    error = CodeMeshError("Not logged in to openai", "Run `code-mesh auth login openai`")
    assert error.one_line() == "Not logged in to openai. Run `code-mesh auth login openai`."
    assert error.exit_code == 1
    assert CommandLineError("bad").exit_code == 2
