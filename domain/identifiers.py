"""Provider ids and account names: strings that validate themselves."""

from __future__ import annotations

from code_mesh.domain.errors import InvalidIdentifier
from code_mesh.domain.rules import DEFAULT_ACCOUNT, is_valid_identifier

PATTERN_TEXT = "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64"


class ProviderId(str):
    """A provider id such as `anthropic` or `my-idp`."""

    __slots__ = ()
    kind = "provider id"

    def __new__(cls, value: str) -> ProviderId:
        if not isinstance(value, str) or not is_valid_identifier(value):
            raise InvalidIdentifier(f"{value!r} is not a valid {cls.kind} ({PATTERN_TEXT})")
        return super().__new__(cls, value)


class AccountName(str):
    """An account name within a provider; `default` unless the user names one."""

    __slots__ = ()
    kind = "account name"

    def __new__(cls, value: str = DEFAULT_ACCOUNT) -> AccountName:
        if not isinstance(value, str) or not is_valid_identifier(value):
            raise InvalidIdentifier(f"{value!r} is not a valid {cls.kind} ({PATTERN_TEXT})")
        return super().__new__(cls, value)


DEFAULT = AccountName(DEFAULT_ACCOUNT)
