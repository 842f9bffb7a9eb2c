"""`--debug` / CODE_MESH_DEBUG=1: HTTP requests and store operations logged to stderr, secrets redacted.

Nothing secret is handed to the logger in the first place (field names, not values;
URLs with secret query values replaced); the filter below redacts known secret
parameters once more, in case a message ever carries one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

LOGGER_NAME = "code_mesh"
REDACTED = "[redacted]"
SECRET_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "authorization",
        "client_secret",
        "code",
        "code_verifier",
        "device_code",
        "key",
        "password",
        "raw_key",
        "refresh_token",
        "state",
        "token",
        "x-api-key",
    }
)
_PAIR = re.compile(r"\b(" + "|".join(sorted(SECRET_NAMES, key=len, reverse=True)) + r")=([^&\s,;]+)", re.I)


def logger(name: str) -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}")


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, REDACTED if k.lower() in SECRET_NAMES else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))


def describe_fields(fields: Mapping[str, Any]) -> str:
    """Field names with non-secret values only: `grant_type=refresh_token refresh_token=[redacted]`."""
    return " ".join(f"{k}={REDACTED if k.lower() in SECRET_NAMES else v}" for k, v in fields.items())


class _Redactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", record.getMessage())
        record.args = None
        return True


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is logged (a caller may have replaced it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


_handler: logging.Handler | None = None


def enable_debug_logging() -> None:
    global _handler
    if _handler is not None:
        return
    _handler = _CurrentStderr()
    _handler.setFormatter(logging.Formatter("code-mesh debug: %(name)s: %(message)s"))
    _handler.addFilter(_Redactor())
    root = logging.getLogger(LOGGER_NAME)
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG)
    root.propagate = False


def disable_debug_logging() -> None:
    """The end of a run: a later run in the same process starts without debug output."""
    global _handler
    if _handler is None:
        return
    root = logging.getLogger(LOGGER_NAME)
    root.removeHandler(_handler)
    root.setLevel(logging.NOTSET)
    _handler = None


def http_hooks(component: str) -> dict[str, list[Any]]:
    """httpx event hooks that log each request and response, nothing secret."""
    log = logger(component)

    def on_request(request: Any) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        headers = sorted(h for h in request.headers if h.lower() not in ("authorization", "x-api-key"))
        auth = [h for h in ("authorization", "x-api-key") if h in request.headers]
        log.debug(
            "%s %s headers=%s%s",
            request.method,
            redact_url(str(request.url)),
            ",".join(headers),
            f" credentials-in={','.join(auth)}" if auth else "",
        )

    def on_response(response: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> HTTP %s",
                response.request.method,
                redact_url(str(response.request.url)),
                response.status_code,
            )

    return {"request": [on_request], "response": [on_response]}
