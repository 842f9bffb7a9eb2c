"""Serve a WSGI application on 127.0.0.1 from a background thread, one thread per request."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of the test output."""


@contextmanager
def serve_wsgi(app: Any, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Yield the base URL (http://HOST:PORT, https with `tls`) of `app` served until the block
    ends. Another loopback address (127.0.0.2) stands for another host: Linux answers all of 127/8."""
    server = make_server(host, 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
