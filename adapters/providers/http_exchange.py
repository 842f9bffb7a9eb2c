"""One HTTP exchange with a provider, bounded in time and in size (issue 9: R1, R2).

httpx bounds each network operation, not an exchange: a body that trickles in one byte
every 2 s never trips a 3 s read timeout, and a body is read whole, whatever it
decompresses to. So:

- an exchange runs on a worker thread that the caller waits for until its own deadline
  (`within_deadline`, or `Pipe` for a stream); a worker still stuck then is left behind, a
  daemon thread gone when the command ends, and the caller goes on (releasing the refresh
  lock, saying what happened);
- bodies are decompressed here, in steps of at most 64 KiB (`Inflater`), so a gzip bomb
  stops at the cap instead of filling memory; one answer is at most 1 MiB, one line of a
  stream at most 1 MiB (`read_capped`, `split_lines`).
"""

from __future__ import annotations

import queue
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

import httpx

MAX_ANSWER_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20
ACCEPT_ENCODING = "gzip, deflate"
"""What code-mesh asks for and can decompress within its caps (no brotli, no zstd)."""
_STEP = 64 * 1024

T = TypeVar("T")


class ExchangeTimedOut(Exception):
    """The deadline passed before the exchange (or the next piece of a stream) was done."""


class AnswerRefused(Exception):
    """An answer code-mesh will not read: `reason` completes "HOST …" in a message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def within_deadline(seconds: float, work: Callable[[], T]) -> T:
    """`work()`, run on a daemon thread; ExchangeTimedOut when it is not done within `seconds`.

    Whatever `work` raises is raised here. Ctrl-C interrupts the wait as usual."""
    outcome: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            outcome.put((True, work()))
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome.put((False, error))

    threading.Thread(target=run, name="code-mesh-http", daemon=True).start()
    try:
        done, value = outcome.get(timeout=seconds)
    except queue.Empty:
        raise ExchangeTimedOut from None
    if done:
        return value  # type: ignore[return-value]
    assert isinstance(value, BaseException)
    raise value


_END = object()


class Pipe(Generic[T]):
    """Items from a producer thread to a consumer that waits at most `seconds` for each one.

    The producer calls `put` (False once the consumer has gone: stop then) and finally
    `close` (or `fail` with an exception to raise in the consumer)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._items: queue.Queue[object] = queue.Queue(maxsize=64)
        self._gone = threading.Event()

    def put(self, item: T) -> bool:
        while not self._gone.is_set():
            try:
                self._items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fail(self, error: BaseException) -> None:
        self.put(error)  # type: ignore[arg-type]

    def close(self) -> None:
        self.put(_END)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                try:
                    item = self._items.get(timeout=self._seconds)
                except queue.Empty:
                    raise ExchangeTimedOut from None
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self._gone.set()


class Inflater:
    """Decodes a body's Content-Encoding in bounded steps (identity, gzip or deflate)."""

    def __init__(self, content_encoding: str) -> None:
        codings = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
        codings = [coding for coding in codings if coding != "identity"]
        if not codings:
            self._inflate = None
        elif len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # a gzip or a zlib header
        else:
            raise AnswerRefused(f"sent an answer in an encoding code-mesh cannot read ({codings[0][:20]!r})")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            for start in range(0, len(data), _STEP):
                yield data[start : start + _STEP]
            return
        pending = data
        try:
            while not self._inflate.eof:
                piece = self._inflate.decompress(pending, _STEP)
                pending = self._inflate.unconsumed_tail
                if piece:
                    yield piece
                if not pending and len(piece) < _STEP:
                    return
        except zlib.error:
            raise AnswerRefused("sent a compressed answer that cannot be decompressed") from None

    def finish(self) -> None:
        """The body ended: a compressed one must have ended too."""
        if self._inflate is not None and not self._inflate.eof:
            raise AnswerRefused("sent a compressed answer that ends part-way")


def decoded_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body of a streamed response, decompressed, in pieces of at most 64 KiB."""
    if response.is_stream_consumed:  # built in memory (httpx.MockTransport): httpx has decoded it
        yield from Inflater("").feed(response.content)
        return
    inflater = Inflater(response.headers.get("content-encoding", ""))
    for raw in response.iter_raw():
        yield from inflater.feed(raw)
    inflater.finish()


def read_capped(response: httpx.Response, limit: int = MAX_ANSWER_BYTES, *, truncate: bool = False) -> bytes:
    """The decompressed body, at most `limit` bytes: more is refused (AnswerRefused), or with
    `truncate` cut off there (for error bodies, of which only the start is shown)."""
    parts: list[bytes] = []
    size = 0
    for piece in decoded_chunks(response):
        if size + len(piece) > limit:
            if truncate:
                parts.append(piece[: limit - size])
                break
            raise AnswerRefused(f"sent an answer larger than {limit // 1024} KiB")
        parts.append(piece)
        size += len(piece)
    return b"".join(parts)


def split_lines(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a byte stream, split at CRLF, LF or CR (as server-sent events are), each at
    most `limit` bytes (AnswerRefused beyond). A last line without an ending is yielded too."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        start = 0
        while True:
            ends = [index for index in (buffer.find(b"\n", start), buffer.find(b"\r", start)) if index >= 0]
            if not ends:
                break
            end = min(ends)
            if buffer[end] == 0x0D:
                if end + 1 == len(buffer):
                    break  # a CR at the end of a chunk: an LF may follow in the next one
                step = 2 if buffer[end + 1] == 0x0A else 1
            else:
                step = 1
            if end - start > limit:
                raise AnswerRefused(f"sent a line longer than {limit // 1024} KiB")
            yield bytes(buffer[start:end])
            start = end + step
        del buffer[:start]
        if len(buffer) > limit:
            raise AnswerRefused(f"sent a line longer than {limit // 1024} KiB")
    if buffer:
        yield bytes(buffer.rstrip(b"\r"))
