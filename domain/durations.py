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


_SPANS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}


def parse_duration(text: str) -> int | None:
    """`30m`, `12h`, `7d` (or `45s`) as seconds; None for anything else (the caller says so)."""
    number, unit = text[:-1], text[-1:]
    if unit not in _SPANS or not number.isdigit() or not number.isascii():
        return None
    return int(number) * _SPANS[unit]
