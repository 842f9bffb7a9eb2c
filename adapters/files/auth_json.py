"""The auth.json layouts of Code Mesh and of opencode (SPEC section 4).

Decoding is strict about what matters (types, required fields, ids) and lenient
about what does not (unknown fields are ignored); the first problem found rejects
the whole document with a message that names the entry. Messages never quote a
field's value, since values are secrets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from code_mesh import __version__
from code_mesh.application.auth_file import AuthFileEntry, EncodedAuthFile
from code_mesh.domain.credentials import (
    ApiKey,
    Credential,
    Custom,
    InvalidCredential,
    OAuthToken,
    StoredCredential,
    checked,
)
from code_mesh.domain.errors import InvalidAuthFile, InvalidIdentifier
from code_mesh.domain.identifiers import DEFAULT, PATTERN_TEXT, AccountName, ProviderId
from code_mesh.domain.rules import PROVIDER_ALIASES
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import one_line

_NEXT_STEP = "Fix the file and import it again; nothing was imported"

WRITTEN_BY = "written_by"
"""The top-level field `auth export` marks its files with (SPEC section 1); every decoder
ignores it, and first use leaves such a file alone rather than take it over."""
WRITER = f"code-mesh {__version__}"


def written_by_code_mesh(text: str) -> bool:
    """Whether `text` is an auth.json that code-mesh's own `auth export` wrote."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    marker = document.get(WRITTEN_BY) if isinstance(document, dict) else None
    return isinstance(marker, str) and marker.startswith("code-mesh")


def _fail(where: str, problem: str) -> InvalidAuthFile:
    return InvalidAuthFile(f"auth.json entry {where}: {problem}", _NEXT_STEP)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """The document, or InvalidAuthFile with the line and column of the syntax error.

    A key that appears twice in one object is an error: json.loads would silently
    keep the last, and an import must not drop a credential without saying so.
    """
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise InvalidAuthFile(
            f"auth.json has the key {duplicate.key!r} twice in one object", _NEXT_STEP
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidAuthFile(
            f"auth.json is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})",
            _NEXT_STEP,
        ) from None
    except RecursionError:
        raise InvalidAuthFile("auth.json is nested too deeply to be read", _NEXT_STEP) from None
    except ValueError:
        # Python refuses to turn more than 4300 digits into an int (CVE-2020-10735).
        raise InvalidAuthFile("auth.json holds a number too long to read", _NEXT_STEP) from None


class _Fields:
    """Typed access to one entry's fields, failing with the entry's name."""

    def __init__(self, where: str, entry: object) -> None:
        if not isinstance(entry, dict):
            raise _fail(where, f"must be a JSON object, not {_json_type(entry)}")
        self.where = where
        self.entry = entry

    def string(self, name: str, *, required: bool = True) -> str | None:
        value = self.entry.get(name)
        if value is None:
            if required:
                raise _fail(self.where, f"the field {name!r} is missing")
            return None
        if not isinstance(value, str):
            raise _fail(self.where, f"the field {name!r} must be a string, not {_json_type(value)}")
        return value

    def secret(self, name: str) -> Secret:
        value = self.string(name)
        assert value is not None
        if not value.strip():
            raise _fail(self.where, f"the field {name!r} is empty")
        return Secret(value)

    def integer(self, name: str) -> int | None:
        value = self.entry.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(self.where, f"the field {name!r} must be a whole number, not {_json_type(value)}")
        return value

    def boolean(self, name: str) -> bool:
        value = self.entry.get(name, False)
        if not isinstance(value, bool):
            raise _fail(self.where, f"the field {name!r} must be true or false, not {_json_type(value)}")
        return value


def _json_type(value: object) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _identifier(kind: type[ProviderId] | type[AccountName], value: str, where: str) -> Any:
    try:
        return kind(value)
    except InvalidIdentifier:
        raise _fail(
            where, f"{one_line(repr(value), 40)} is not a valid {kind.kind} ({PATTERN_TEXT})"
        ) from None


def _build(where: str, make: Callable[[], Credential]) -> Credential:
    """The entry's credential through the domain's gate (one-line keys and tokens, sizes)."""
    try:
        return checked(make())
    except InvalidCredential as error:
        raise _fail(where, str(error)) from None


def _where(key: str) -> str:
    """An entry's key as messages name it: quoted, escaped, short (it may be anything)."""
    return one_line(repr(key), 70)


def _check_unique(entries: list[AuthFileEntry]) -> list[AuthFileEntry]:
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        key = (entry.provider, entry.account)
        if key in seen:
            raise InvalidAuthFile(f"auth.json has two entries for {entry.label}", _NEXT_STEP)
        seen.add(key)
    return entries


class CodeMeshFormat:
    """`{"credentials": {"provider[:account]": {"type": …}}}` as the Code Mesh CLI writes it."""

    name = "code-mesh"

    def decode(self, text: str) -> list[AuthFileEntry]:
        document = parse_json(text)
        if not isinstance(document, dict) or not isinstance(document.get("credentials"), dict):
            raise InvalidAuthFile(
                'auth.json in the code-mesh format must be an object with a "credentials" object',
                _NEXT_STEP,
            )
        entries = [self._entry(key, value) for key, value in document["credentials"].items()]
        return _check_unique(entries)

    def _entry(self, key: str, value: object) -> AuthFileEntry:
        where = _where(key)
        fields = _Fields(where, value)
        bare = ":" not in key
        provider_text, _, account_text = key.partition(":")
        written_as = provider_text if provider_text in PROVIDER_ALIASES else None
        provider = _identifier(ProviderId, PROVIDER_ALIASES.get(provider_text, provider_text), where)
        if bare:
            named = fields.string("account", required=False)
            account = DEFAULT if named is None else _identifier(AccountName, named, where)
        else:
            account = _identifier(AccountName, account_text, where)
        kind = fields.string("type")
        credential: Credential
        if kind in ("api_key", "apikey"):
            credential = _build(where, lambda: ApiKey(fields.secret("key")))
        elif kind == "oauth":
            access = fields.secret("access_token")
            refresh = fields.string("refresh_token", required=False)
            credential = _build(
                where,
                lambda: OAuthToken(
                    access_token=access,
                    refresh_token=Secret(refresh) if refresh else None,
                    expires_at=fields.integer("expires_at"),
                    account_id=fields.string("account_id", required=False),
                    enterprise_url=fields.string("enterprise_url", required=False),
                    scopes=fields.string("scopes", required=False),
                    api_url=fields.string("api_url", required=False),
                ),
            )
        elif kind == "custom":
            credential = _custom(where, fields.entry.get("data"))
        else:
            raise _fail(where, f"unknown type {one_line(repr(kind), 40)} (expected api_key, oauth or custom)")
        return AuthFileEntry(provider, account, credential, fields.boolean("needs_login"), bare, written_as)

    def encode(self, credentials: list[StoredCredential]) -> EncodedAuthFile:
        document: dict[str, dict[str, Any]] = {}
        # Stable: within a provider the store's order (most recently activated first) is kept, so
        # an import can rank the other accounts as they were (SPEC section 4: lossless).
        for stored in sorted(credentials, key=lambda c: (c.provider, not c.active)):
            entry: dict[str, Any] = {"type": stored.type}
            credential = stored.credential
            if isinstance(credential, ApiKey):
                entry["key"] = credential.key.reveal()
            elif isinstance(credential, OAuthToken):
                entry["access_token"] = credential.access_token.reveal()
                if credential.refresh_token is not None:
                    entry["refresh_token"] = credential.refresh_token.reveal()
                if credential.expires_at is not None:
                    entry["expires_at"] = credential.expires_at
                entry.update(credential.metadata())
            else:
                entry["data"] = {name: value.reveal() for name, value in credential.data.items()}
            if stored.needs_login:
                entry["needs_login"] = True
            if stored.active:
                if stored.account != DEFAULT:
                    entry["account"] = str(stored.account)
                document[str(stored.provider)] = entry
            else:
                document[f"{stored.provider}:{stored.account}"] = entry
        return EncodedAuthFile(_dump({WRITTEN_BY: WRITER, "credentials": document}), len(document))


def _custom(where: str, data: object) -> Custom:
    if not isinstance(data, dict):
        raise _fail(where, f"the field 'data' must be an object of strings, not {_json_type(data)}")
    for name, value in data.items():
        if not isinstance(value, str):
            field = one_line(repr(f"data.{name}"), 40)
            raise _fail(where, f"the field {field} must be a string, not {_json_type(value)}")
    return _build(where, lambda: Custom({name: Secret(value) for name, value in data.items()}))


def _dump(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_WELLKNOWN_FIELDS = {"key", "token", "url"}


class OpencodeFormat:
    """opencode's `~/.local/share/opencode/auth.json`: expiry in milliseconds, URL keys.

    Its OAuth entries have no field for `api_url` (opencode's Auth.Oauth schema: refresh,
    access, expires, accountId, enterpriseUrl), so none is written; Copilot's comes back with
    the next Copilot token."""

    name = "opencode"

    def decode(self, text: str) -> list[AuthFileEntry]:
        document = parse_json(text)
        if not isinstance(document, dict):
            raise InvalidAuthFile("auth.json in the opencode format must be a JSON object", _NEXT_STEP)
        entries = [
            self._entry(key, value)
            for key, value in document.items()
            if not (key == WRITTEN_BY and isinstance(value, str))  # our export's mark, not a provider
        ]
        return _check_unique(entries)

    def _entry(self, key: str, value: object) -> AuthFileEntry:
        where = _where(key)
        fields = _Fields(where, value)
        provider_text = key
        url = None
        if "://" in key:
            url = key
            provider_text = (urlsplit(key).hostname or "").lower()
        # Another tool's id (`github` for Copilot) is mapped as in the Code Mesh format: stored
        # under it, a credential no command could name (each maps `github` to github-copilot).
        written_as = provider_text if provider_text in PROVIDER_ALIASES else None
        provider = _identifier(ProviderId, PROVIDER_ALIASES.get(provider_text, provider_text), where)
        kind = fields.string("type")
        credential: Credential
        if kind == "api":
            credential = _build(where, lambda: ApiKey(fields.secret("key")))
        elif kind == "oauth":
            access = fields.secret("access")
            refresh = fields.string("refresh", required=False)
            expires_ms = fields.integer("expires")
            credential = _build(
                where,
                lambda: OAuthToken(
                    access_token=access,
                    refresh_token=Secret(refresh) if refresh else None,
                    expires_at=expires_ms // 1000 if expires_ms else None,
                    account_id=fields.string("accountId", required=False),
                    enterprise_url=fields.string("enterpriseUrl", required=False),
                ),
            )
        elif kind == "wellknown":
            data = {"key": fields.secret("key"), "token": fields.secret("token")}
            if url is not None:
                data["url"] = Secret(url)
            credential = _build(where, lambda: Custom(data))
        else:
            raise _fail(where, f"unknown type {one_line(repr(kind), 40)} (expected api, oauth or wellknown)")
        return AuthFileEntry(provider, DEFAULT, credential, False, True, written_as)

    def encode(self, credentials: list[StoredCredential]) -> EncodedAuthFile:
        document: dict[str, dict[str, Any]] = {}
        left_out: list[str] = []
        not_active: list[str] = []
        for stored in sorted(credentials, key=lambda c: c.provider):
            if not stored.active:
                not_active.append(f"{stored.provider}:{stored.account}")
                continue
            credential = stored.credential
            key = str(stored.provider)
            entry: dict[str, Any]
            if isinstance(credential, ApiKey):
                entry = {"type": "api", "key": credential.key.reveal()}
            elif isinstance(credential, OAuthToken):
                entry = {
                    "type": "oauth",
                    "refresh": credential.refresh_token.reveal() if credential.refresh_token else "",
                    "access": credential.access_token.reveal(),
                    "expires": (credential.expires_at or 0) * 1000,
                }
                if credential.account_id is not None:
                    entry["accountId"] = credential.account_id
                if credential.enterprise_url is not None:
                    entry["enterpriseUrl"] = credential.enterprise_url
            elif set(credential.data) in ({"key", "token"}, _WELLKNOWN_FIELDS):
                entry = {
                    "type": "wellknown",
                    "key": credential.data["key"].reveal(),
                    "token": credential.data["token"].reveal(),
                }
                if "url" in credential.data:
                    key = credential.data["url"].reveal()
            else:
                left_out.append(f"{stored.provider}:{stored.account}")
                continue
            document[key] = entry
        # opencode skips a top-level entry it cannot read as a credential, as it skips this one.
        text = _dump({WRITTEN_BY: WRITER, **document})
        return EncodedAuthFile(text, len(document), tuple(left_out), tuple(not_active))


FORMATS: dict[str, CodeMeshFormat | OpencodeFormat] = {
    CodeMeshFormat.name: CodeMeshFormat(),
    OpencodeFormat.name: OpencodeFormat(),
}


def detect_format(text: str) -> CodeMeshFormat | OpencodeFormat:
    """code-mesh when the document has a "credentials" object, else opencode."""
    document = parse_json(text)
    if isinstance(document, dict) and isinstance(document.get("credentials"), dict):
        return FORMATS["code-mesh"]
    return FORMATS["opencode"]
