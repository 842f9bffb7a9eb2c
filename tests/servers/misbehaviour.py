"""Answers of misbehaving servers, shared by the fakes (issue 9).

Each one imitates something real: a proxy or an overloaded server that keeps a connection
alive byte by byte, a compressed answer that inflates a thousandfold, a broken gzip from a
misconfigured CDN, an endpoint that moved (Anthropic's console host answers 404 since June
2026; a moved endpoint may answer 307 with a JSON body), a server that echoes the offending
token in its error, or one that answers with escape sequences or JSON nested a million deep.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

NESTING = 200_000
BOMB_INFLATED_BYTES = 256 << 20
"""What the gzip bomb inflates to: 256 MiB from about 250 KiB on the wire."""
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
"""Sets the terminal title, clears the screen, turns the text red: what a hostile server sends."""

# A misbehaving answer: status line, headers and a body (bytes, or bytes sent over time).
MISBEHAVIOUR_KINDS = (
    "trickle",
    "gzip-bomb",
    "bad-gzip",
    "redirect-json",
    "not-found",
    "nested-json",
    "huge-error",
    "long-error",
    "escape-error",
)


@dataclass(frozen=True)
class Trickle:
    """A body sent one byte at a time, `interval` seconds apart, until done or `stop` is set."""

    data: bytes
    interval: float
    stop: threading.Event

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[bytes]:
        for index in range(len(self.data)):
            if self.stop.wait(self.interval):
                return
            yield self.data[index : index + 1]


@functools.cache
def gzip_bomb(prefix: bytes = b'{"access_token": "at-bomb", "padding": "', suffix: bytes = b'"}') -> bytes:
    """`prefix`, 256 MiB of "a", `suffix`, gzipped (made once per test session)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(prefix)]
    block = b"a" * (1 << 20)
    for _ in range(BOMB_INFLATED_BYTES >> 20):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(suffix))
    parts.append(compressor.flush())
    return b"".join(parts)


def bad_gzip() -> bytes:
    """A gzip header, then bytes that are not deflate data."""
    return gzip.compress(b'{"access_token": "at"}')[:10] + b"\xff" * 64


def misbehaving_answer(
    kind: str, *, stop: threading.Event, trickle_interval: float, echoed: str = ""
) -> tuple[int, list[tuple[str, str]], bytes | Trickle]:
    """The answer for one of MISBEHAVIOUR_KINDS; `echoed` is what the request sent that a careless
    server repeats in its error (a token)."""
    json_type = ("Content-Type", "application/json")
    if kind == "trickle":
        body = json.dumps({"error": "temporarily_unavailable", "error_description": "slow " * 40})
        return 200, [json_type], Trickle(body.encode(), trickle_interval, stop)
    if kind == "gzip-bomb":
        return 200, [json_type, ("Content-Encoding", "gzip")], gzip_bomb()
    if kind == "bad-gzip":
        return 200, [json_type, ("Content-Encoding", "gzip")], bad_gzip()
    if kind == "redirect-json":
        body = {
            "access_token": "at-from-a-redirect",
            "refresh_token": "rt-from-a-redirect",
            "expires_in": 3600,
        }
        return 307, [json_type, ("Location", "https://elsewhere.example/token")], json.dumps(body).encode()
    if kind == "not-found":
        return 404, [json_type], json.dumps({"error": "not_found", "error_description": "moved"}).encode()
    if kind == "nested-json":
        return 200, [json_type], b"[" * NESTING + b"]" * NESTING
    if kind == "huge-error":
        body = {"error": "invalid_request", "error_description": "x" * (5 << 20)}
        return 400, [json_type], json.dumps(body).encode()
    if kind == "long-error":
        description = f"the refresh token {echoed} is not valid here; " + "details " * 60_000
        return (
            400,
            [json_type],
            json.dumps({"error": "invalid_request", "error_description": description}).encode(),
        )
    if kind == "escape-error":
        body = {
            "error": f"{ESCAPES}invalid_grant",
            "error_description": f"{ESCAPES}bad\r\nline two {echoed}\x1b[0m",
        }
        return 400, [json_type], json.dumps(body).encode()
    raise AssertionError(f"not a misbehaviour: {kind!r}")
