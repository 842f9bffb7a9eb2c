"""The LoopbackReceiver port: a one-shot HTTP listener on 127.0.0.1 (RFC 8252 section 7.3)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from code_mesh.application.ports import RedirectAnswer
from code_mesh.domain.secret import Secret

CALLBACK_PATH = "/callback"

_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>code-mesh</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body>"
)


class _Handler(BaseHTTPRequestHandler):
    answers: queue.Queue[RedirectAnswer]

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != CALLBACK_PATH:
            self.send_error(404)
            return
        query = parse_qs(url.query)

        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        code, error, state = first("code"), first("error"), first("state")
        status = 200
        if not self.server.belongs(state):  # type: ignore[attr-defined]
            status = 400
            page = _DONE_PAGE.format(
                title="Not this login",
                text="This answer does not belong to the login in progress, so it was ignored.",
            )
        else:
            self.server.answers.put(  # type: ignore[attr-defined]
                RedirectAnswer(Secret(code) if code else None, state, error)
            )
            if error:
                page = _DONE_PAGE.format(
                    title="Login not completed", text="You can close this tab; the terminal says more."
                )
            else:
                page = _DONE_PAGE.format(
                    title="Logged in", text="You can close this tab and return to the terminal."
                )
        body = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """The query holds the authorization code: never log request lines."""


class _Listener:
    def __init__(self, server: HTTPServer) -> None:
        self._server = server

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{CALLBACK_PATH}"

    def wait(self, timeout: float) -> RedirectAnswer | None:
        try:
            return self._server.answers.get(timeout=timeout)  # type: ignore[attr-defined]
        except queue.Empty:
            return None


@contextmanager
def loopback_receiver(belongs: Callable[[str | None], bool]) -> Iterator[_Listener]:
    """Listen on a random port of 127.0.0.1 until the block ends; only a request whose `state`
    `belongs` to the login is an answer."""
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    server.answers = queue.Queue()  # type: ignore[attr-defined]
    server.belongs = belongs  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield _Listener(server)
    finally:
        server.shutdown()
        server.server_close()
