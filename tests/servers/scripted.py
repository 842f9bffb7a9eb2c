"""A server that answers every request with whatever the test scripted last: any status, any
headers, any body. For fuzzing clients with arbitrary answers from a real socket (issue 9)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .fake_anthropic import record_request, status_line
from .harness import serve_wsgi


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class ScriptedServer:
    """Answers with `answer` (set it before each request); counts what it served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answer = ScriptedAnswer()
        self.served = 0

    @property
    def answer(self) -> ScriptedAnswer:
        with self._lock:
            return self._answer

    @answer.setter
    def answer(self, answer: ScriptedAnswer) -> None:
        with self._lock:
            self._answer = answer

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        record_request(environ)  # read the body, so the client's request is complete
        answer = self.answer
        with self._lock:
            self.served += 1
        start_response(
            status_line(answer.status), [*answer.headers, ("Content-Length", str(len(answer.body)))]
        )
        return [answer.body]

    @contextmanager
    def serve(self) -> Iterator[str]:
        with serve_wsgi(self) as base_url:
            yield base_url
