"""Durations as people read them (SPEC section 12): the two largest units, rounded down."""

from __future__ import annotations

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def describe_duration(seconds: float) -> str:
    """2d 4h, 3h 12m, 5m 30s, 42s; a whole day is 1d, not 1d 0h."""
    remaining = max(int(seconds), 0)
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    if len(parts) == 2 and parts[1].startswith("0"):
        parts.pop()
    return " ".join(parts) or "0s"


def describe_expiry(expires_at: int, now: float) -> str:
    """ "expires in 2h 13m", or "expired 5m ago" once it is past (never a negative duration)."""
    left = expires_at - now
    if left > 0:
        return f"expires in {describe_duration(left)}"
    return f"expired {describe_duration(-left)} ago"


_SIZES = dict(_UNITS)


def parse_duration(text: str) -> int | None:
    """`30m`, `12h`, `7d`, `90s`, `1h30m` as seconds; None for anything else (no unit, zero,
    a negative, a fraction). Settings and options that take a duration say which forms they take."""
    word = text.strip().lower()
    total = 0
    number = ""
    for char in word:
        if char.isdigit() and char.isascii():
            number += char
        elif char in _SIZES and number:
            total += int(number) * _SIZES[char]
            number = ""
        else:
            return None
    if number or total <= 0:
        return None
    return total
