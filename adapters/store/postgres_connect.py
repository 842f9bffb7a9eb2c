"""The team store's one connection (SPEC section 13): its URL, and a server that is full.

A process holds at most one connection, opened on first use (after every import), and
every transaction and advisory lock of the process runs on it. A server that refuses
because it has too many clients (SQLSTATE 53300; psycopg often reports it without a
SQLSTATE, in words) is asked again after a jittered, growing pause, for up to a minute,
so a fleet larger than `max_connections` queues instead of failing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from code_mesh.adapters.debug_log import logger
from code_mesh.domain.errors import StoreUnavailable
from code_mesh.domain.secret import Secret
from code_mesh.domain.text import one_line

TOO_MANY_CLIENTS = "53300"
TOO_MANY_CLIENTS_WORDS = (
    "too many clients",
    "too many connections",
    "connection limit exceeded",
    "remaining connection slots are reserved",
)
CONNECT_PATIENCE_SECONDS = 60.0
FIRST_PAUSE_SECONDS = 0.05
LONGEST_PAUSE_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 10
DRIVERS = ("postgresql", "postgresql+psycopg", "postgres")

_log = logger("store")


def team_url(raw: Secret, source: str) -> URL:
    """The URL from CODE_MESH_DATABASE_URL or `[store] url` (`source` names it), driven by psycopg 3;
    StoreUnavailable for anything else, never quoting it (it may hold a password)."""
    try:
        url = make_url(raw.reveal().strip())
    except (ArgumentError, ValueError):
        raise StoreUnavailable(
            f"{source} is not a database URL; nothing was changed",
            "Set it to postgresql+psycopg://USER@HOST[:PORT]/DATABASE",
        ) from None
    if url.drivername not in DRIVERS or not url.database:
        raise StoreUnavailable(
            f"{source} must name a PostgreSQL database (postgresql+psycopg://USER@HOST[:PORT]/DATABASE), "
            f"not a {url.drivername} URL{'' if url.database else ' without a database'}; nothing was changed",
            "Fix the URL (code-mesh keeps a personal store in CODE_MESH_HOME when neither is set)",
        )
    return url.set(drivername="postgresql+psycopg")


def display_url(url: URL) -> str:
    """`postgresql://user@host[:port]/db`: never the password, never the driver."""
    user = f"{url.username}@" if url.username else ""
    port = f":{url.port}" if url.port else ""
    return f"postgresql://{user}{url.host or 'localhost'}{port}/{url.database}"


def is_too_many_clients(error: BaseException) -> bool:
    if getattr(error, "sqlstate", None) == TOO_MANY_CLIENTS:
        return True
    words = str(error).lower()
    return any(phrase in words for phrase in TOO_MANY_CLIENTS_WORDS)


def connect_with_backoff(
    connect: Callable[[], Any],
    where: str,
    secrets: tuple[str, ...],
    *,
    patience: float = CONNECT_PATIENCE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[float, float], float] = random.uniform,
) -> Any:
    """`connect()`, asked again while the server has too many clients, for up to `patience` s."""
    import psycopg

    give_up_at = clock() + patience
    attempt = 0
    while True:
        try:
            return connect()
        except psycopg.OperationalError as error:
            reason = one_line(
                str(error).splitlines()[0] if str(error) else type(error).__name__, 200, secrets
            )
            if not is_too_many_clients(error):
                raise StoreUnavailable(
                    f"Cannot connect to the team store {where} ({reason}); nothing was changed",
                    "Check CODE_MESH_DATABASE_URL (or [store] url) and that the database server is up",
                ) from None
            attempt += 1
            pause = jitter(FIRST_PAUSE_SECONDS, min(LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2**attempt))
            if clock() + pause > give_up_at:
                raise StoreUnavailable(
                    f"The team store {where} still has too many clients after {patience:g} s ({reason}); "
                    "nothing was changed",
                    "Try again later, or raise max_connections (or the database's CONNECTION LIMIT)",
                ) from None
            _log.debug(
                "the database server has too many clients (%s); connecting again in %.2f s (retry %d)",
                reason,
                pause,
                attempt,
            )
            sleep(pause)


INSUFFICIENT_PRIVILEGE = "42501"


def describe_postgres_error(
    error: BaseException, where: str, secrets: tuple[str, ...] = ()
) -> StoreUnavailable:
    """One readable line for what the server said; never the SQL, its parameters or the password."""
    original = getattr(error, "orig", None) or error
    text = str(original).splitlines()[0] if str(original) else type(original).__name__
    reason = one_line(text, 160, secrets)
    if getattr(original, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
        return StoreUnavailable(
            f"The team store {where} refused this: the database role may not do it ({reason}); "
            "nothing was changed",
            "Ask a member with write access, or for a role that may (see the README's GRANTs)",
        )
    return StoreUnavailable(
        f"The team store {where} failed ({reason}); nothing was changed",
        "Try again; if it persists, check the database server",
    )


def make_team_engine(url: URL) -> Engine:
    """An engine on exactly one connection (StaticPool), opened when first used."""
    try:
        import psycopg
    except ImportError:
        raise StoreUnavailable(
            "A team store on PostgreSQL needs the psycopg driver, which is not installed",
            "Install code-mesh with its PostgreSQL extra: pip install 'code-mesh[postgres]'",
        ) from None
    where = display_url(url)
    secrets = tuple(s for s in (url.password,) if s)
    query = dict(url.query)
    query.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    query.setdefault("application_name", "code-mesh")
    conninfo = url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)

    def connect() -> Any:
        return connect_with_backoff(lambda: psycopg.connect(conninfo), where, secrets)

    return create_engine("postgresql+psycopg://", creator=connect, poolclass=StaticPool)
