"""Server-sent events (the WHATWG event-stream format) read from bounded lines.

The chat APIs stream replies this way. Lines come from `split_lines`, so no line is
longer than 1 MiB; an event's data is held to the same bound, so a stream of data lines
that never ends an event cannot grow memory either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from code_mesh.adapters.providers.http_exchange import MAX_LINE_BYTES, AnswerRefused


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    """The `event:` field, "" when the event has none (OpenAI's chunks)."""
    data: str


def parse_events(lines: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[ServerSentEvent]:
    """The events of a stream: fields gathered until a blank line; comments (`:`) skipped."""
    name = ""
    data: list[str] = []
    size = 0
    for raw in lines:
        if not raw:
            if name or data:
                yield ServerSentEvent(name, "\n".join(data))
            name, data, size = "", [], 0
            continue
        if raw.startswith(b":"):
            continue
        field, _, value = raw.decode("utf-8", errors="replace").partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            name = value
        elif field == "data":
            size += len(raw)
            if size > limit:
                raise AnswerRefused(f"sent an event larger than {limit // 1024} KiB")
            data.append(value)
