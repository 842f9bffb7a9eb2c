"""A secret value that cannot leak through repr, str, logging or a traceback."""

from __future__ import annotations

import hmac

MASK = "********"


class Secret:
    """Holds a secret string; only `reveal()` gives it back.

    `str()`, `repr()` and f-strings show a mask, so a secret placed in a log line,
    an exception message or a debugger's view by mistake shows nothing.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a Secret holds a str")
        self._value = value

    def reveal(self) -> str:
        """The secret itself: call only where the secret must leave the process."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __reduce__(self) -> object:
        raise TypeError("a Secret is not pickled")
