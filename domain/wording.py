"""How counts and near misses are said: "1 credential", "2 entries", "did you mean openai?"."""

from __future__ import annotations

from collections.abc import Iterable

_IRREGULAR = {"entry": "entries", "key": "keys", "this": "these"}


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 credential`, `0 credentials`, `2 entries`."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural or _IRREGULAR.get(noun) or noun + 's'}"


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate the user most likely meant by `word`: the same but for case, else the
    nearest by edit distance (difflib's ratio, at least 0.6); None when nothing is close
    or `word` is itself a candidate."""
    import difflib

    known = sorted(set(candidates))
    if word in known:
        return None
    folded = word.casefold()
    for candidate in known:
        if candidate.casefold() == folded:
            return candidate
    matches = difflib.get_close_matches(folded, known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """`Did you mean openai?`, or None when nothing is close."""
    match = closest(word, candidates)
    return None if match is None else f"Did you mean {match}?"


def with_suggestion(word: str, candidates: Iterable[str], next_step: str) -> str:
    """`next_step`, after `Did you mean X?` when a candidate is close to `word`."""
    suggestion = did_you_mean(word, candidates)
    return f"{suggestion} {next_step}" if suggestion else next_step
