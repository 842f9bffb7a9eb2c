"""The bounds of one HTTP exchange (issue 9, R1 and R2): decompression in steps, capped lines and
events, a deadline for a worker. Bytes in, pieces out: the transport is tested in e2e."""

from __future__ import annotations

import gzip
import threading
import zlib

import pytest

from code_mesh.adapters.providers.http_exchange import (
    AnswerRefused,
    ExchangeTimedOut,
    Inflater,
    Pipe,
    split_lines,
    within_deadline,
)
from code_mesh.adapters.providers.server_sent_events import ServerSentEvent, parse_events


def bomb(inflated: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"a" * (1 << 20)
    return b"".join([*(compressor.compress(block) for _ in range(inflated >> 20)), compressor.flush()])


def test_a_gzip_bomb_comes_out_in_small_pieces() -> None:
    """64 MiB from one 64 KiB read of the network: never more than 64 KiB at a time."""
    inflater = Inflater("gzip")
    sizes = [len(piece) for piece in inflater.feed(bomb(64 << 20))]
    assert max(sizes) == 64 * 1024 and sum(sizes) == 64 << 20
    inflater.finish()


@pytest.mark.parametrize(
    ("encoding", "body", "reason"),
    [
        ("gzip", gzip.compress(b"{}")[:10] + b"\xff" * 32, "cannot be decompressed"),
        ("gzip", gzip.compress(b"x" * 1000)[:-12], "ends part-way"),
        ("br", b"", "encoding code-mesh cannot read"),
        ("gzip, gzip", b"", "encoding code-mesh cannot read"),
    ],
)
def test_bodies_that_cannot_be_decompressed_are_refused(encoding: str, body: bytes, reason: str) -> None:
    with pytest.raises(AnswerRefused, match=reason):
        inflater = Inflater(encoding)
        list(inflater.feed(body))
        inflater.finish()


def test_identity_and_deflate_pass_through() -> None:
    assert b"".join(Inflater("identity").feed(b"plain")) == b"plain"
    assert b"".join(Inflater("deflate").feed(zlib.compress(b"zlib body"))) == b"zlib body"


def test_lines_split_at_crlf_lf_and_cr_even_across_chunks() -> None:
    chunks = [b"one\r", b"\ntwo\nthree\rfo", b"ur\r", b"", b"five"]
    assert list(split_lines(chunks)) == [b"one", b"two", b"three", b"four", b"five"]


def test_a_line_longer_than_the_cap_is_refused_before_it_is_held_whole() -> None:
    fed = 0

    def endless() -> object:
        nonlocal fed
        while True:
            fed += 1
            yield b"a" * 65536

    with pytest.raises(AnswerRefused, match="line longer than 1024 KiB"):
        list(split_lines(endless(), limit=1 << 20))  # type: ignore[arg-type]
    assert fed == 17, "refused as soon as the line passed 1 MiB"


def test_events_are_gathered_until_a_blank_line_and_bounded() -> None:
    lines = [
        b": comment",
        b"event: ping",
        b"data: {}",
        b"",
        b"data: a",
        b"data:b",
        b"id: 1",
        b"",
        b"data: cut",
    ]
    assert list(parse_events(lines)) == [ServerSentEvent("ping", "{}"), ServerSentEvent("", "a\nb")]
    many_data_lines = (b"data: " + b"x" * 1000 for _ in range(2000))
    with pytest.raises(AnswerRefused, match="event larger than"):
        list(parse_events(many_data_lines))


def test_within_deadline_gives_up_on_a_stuck_worker_and_passes_errors_on() -> None:
    stuck = threading.Event()
    with pytest.raises(ExchangeTimedOut):
        within_deadline(0.2, lambda: stuck.wait(30))
    stuck.set()
    assert within_deadline(5, lambda: 42) == 42
    with pytest.raises(KeyError):
        within_deadline(5, lambda: {}["missing"])


def test_a_pipe_waits_for_each_item_and_stops_its_producer_when_left() -> None:
    pipe: Pipe[int] = Pipe(0.3)
    produced: list[bool] = []

    def produce() -> None:
        produced.append(pipe.put(1))
        produced.append(pipe.put(2))  # the reader leaves after the first item
        threading.Event().wait(0.2)
        produced.append(pipe.put(3))

    threading.Thread(target=produce, daemon=True).start()
    items = iter(pipe)
    assert next(items) == 1
    items.close()  # type: ignore[attr-defined]
    threading.Event().wait(0.5)
    assert produced[0] is True and produced[-1] is False
    slow: Pipe[int] = Pipe(0.2)
    with pytest.raises(ExchangeTimedOut):
        next(iter(slow))
