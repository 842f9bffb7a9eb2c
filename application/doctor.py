"""Use case: `auth doctor` — every check the store can fail, one line each with a next step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from code_mesh.application.ports import CredentialStore
from code_mesh.application.settings import Settings
from code_mesh.domain.credentials import Status
from code_mesh.domain.errors import CodeMeshError, KeyUnavailable
from code_mesh.domain.identifiers import ProviderId
from code_mesh.domain.providers import ProviderEntry, provider_entry
from code_mesh.domain.wording import counted


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    message: str
    next_step: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "check": self.name,
            "level": str(self.level),
            "message": self.message,
            "next_step": self.next_step,
        }


class StoreInspector(Protocol):
    """What only the store's adapter can look at."""

    def loose_permissions(self) -> list[str]:
        """Paths (home, files) open to other users, each described with its mode."""
        ...

    def integrity(self) -> str | None:
        """`ok` when healthy; else one line: the first problem and how many more. None when
        there is no store file at all (it could not be created: the store check says why)."""
        ...

    def revision(self) -> tuple[str | None, str]:
        """(the store's schema revision or None when unreadable, the newest this code knows)."""
        ...

    def known_revisions(self) -> frozenset[str]:
        """Every revision this code can migrate from (a store at one of them is just older)."""
        ...

    def leftover_files(self) -> list[str]:
        """Temporary files in the home a killed writer left (an export's hold secrets in the clear)."""
        ...

    def protection(self) -> str: ...


def _key_check(store: CredentialStore, protection: str) -> Check:
    """Every secret opens, or which do not and why: a key not at hand (locked) comes with
    both ways out (restore it, or start over), a damaged value with a new login."""
    with store.reading() as repository:
        readable, unreadable = repository.all_readable()
    if not readable and not unreadable:
        return Check("key", Level.OK, "no key yet: the first credential stored makes one")
    locked = [item for item in unreadable if isinstance(item.reason, KeyUnavailable)]
    damaged = [item for item in unreadable if not isinstance(item.reason, KeyUnavailable)]
    if locked:
        names = ", ".join(item.label for item in locked)
        first = locked[0].reason
        also = f"; these do not decrypt either: {', '.join(i.label for i in damaged)}" if damaged else ""
        return Check(
            "key", Level.PROBLEM, f"{protection}: locked: {names} ({first.message}){also}", first.next_step
        )
    if damaged:
        return Check(
            "key",
            Level.PROBLEM,
            "these do not decrypt: " + ", ".join(item.label for item in damaged),
            "Log in to those providers again",
        )
    return Check("key", Level.OK, f"{protection}; every stored secret decrypts")


def store_file_checks(inspector: StoreInspector) -> list[Check]:
    """What the files alone say: permissions, SQLite's own integrity check, the schema, and
    temporary files a killed writer left behind. Needs no key, and no store that opens."""
    checks: list[Check] = []
    loose = inspector.loose_permissions()
    checks.append(
        Check(
            "permissions",
            Level.PROBLEM,
            "open to other users: " + "; ".join(loose),
            "Run `chmod 700` on the home and `chmod 600` on its files (any code-mesh command narrows them)",
        )
        if loose
        else Check("permissions", Level.OK, "the home is 0700 and its files 0600")
    )
    integrity = inspector.integrity()
    if integrity is not None:
        checks.append(
            Check("integrity", Level.OK, "PRAGMA integrity_check: ok")
            if integrity == "ok"
            else Check(
                "integrity",
                Level.PROBLEM,
                f"PRAGMA integrity_check: {integrity}",
                "Restore auth.db from an `auth export` backup",
            )
        )
    revision, head = inspector.revision()
    if revision is None:  # nothing readable, which the integrity check has said
        pass
    elif revision == head:
        checks.append(Check("schema", Level.OK, f"schema revision {revision} (current)"))
    elif revision in inspector.known_revisions():
        checks.append(
            Check(
                "schema",
                Level.WARNING,
                f"schema revision {revision}, older than {head}: the next command that uses the store "
                "brings it up to date (doctor only looks, so the other checks wait for that)",
                "Run `code-mesh auth list`, then `code-mesh auth doctor` again",
            )
        )
    else:
        checks.append(
            Check(
                "schema",
                Level.PROBLEM,
                f"schema revision {revision}, this code-mesh expects {head}",
                "Upgrade code-mesh",
            )
        )
    leftovers = inspector.leftover_files()
    checks.append(
        Check(
            "leftovers",
            Level.PROBLEM,
            "temporary files that may hold secrets in the clear: " + ", ".join(leftovers),
            "Delete them (`rm` each) unless a code-mesh export is running right now",
        )
        if leftovers
        else Check("leftovers", Level.OK, "no temporary file left behind by an interrupted write")
    )
    return checks


def config_check(load: Callable[[], Settings]) -> Check:
    """config.toml as every command reads it: a file that `auth list` refuses is a problem."""
    try:
        settings = load()
    except CodeMeshError as error:
        return Check("config", Level.PROBLEM, error.message, error.next_step)
    if settings.source is None:
        return Check("config", Level.OK, "no config.toml: built-in settings")
    return Check("config", Level.OK, f"{settings.source} is valid")


def missing_store_checks(inspector: StoreInspector, location: str) -> list[Check]:
    """A home without a store: what its files say, and that there is no store yet (doctor
    never creates one)."""
    checks = [check for check in store_file_checks(inspector) if check.name != "integrity"]
    checks.append(
        Check(
            "store",
            Level.WARNING,
            f"no store at {location} yet, so no credential to check",
            "Log in (`code-mesh auth login`) or import an auth.json (`code-mesh auth import`) to create it",
        )
    )
    return checks


def unopenable_store_checks(inspector: StoreInspector, error: CodeMeshError) -> list[Check]:
    """The checks of a store that does not open (not SQLite, a directory, newer): the file
    checks, and the reason it does not open, as a problem."""
    return [*store_file_checks(inspector), Check("store", Level.PROBLEM, error.message, error.next_step)]


def run_checks(
    store: CredentialStore,
    inspector: StoreInspector,
    environ: Mapping[str, str],
    now: float,
    entry_for: Callable[[ProviderId], ProviderEntry] = provider_entry,
) -> list[Check]:
    """`entry_for` says what each provider is (its variables: the catalog's and config.toml's)."""
    checks = store_file_checks(inspector)
    try:
        checks.append(_key_check(store, inspector.protection()))
    except CodeMeshError as error:
        checks.append(
            Check("key", Level.PROBLEM, f"{inspector.protection()}: {error.message}", error.next_step)
        )
    try:
        with store.reading() as repository:
            summaries = repository.summaries()
    except CodeMeshError as error:
        checks.append(Check("credentials", Level.PROBLEM, error.message, error.next_step))
        return checks
    stale = [
        f"{c.provider}:{c.account} ({c.status(now)})"
        for c in summaries
        if c.status(now) in (Status.EXPIRED, Status.NEEDS_LOGIN)
    ]
    needs_login = [c for c in summaries if c.status(now) is Status.NEEDS_LOGIN]
    if needs_login:
        checks.append(
            Check(
                "credentials",
                Level.WARNING,
                "not usable: " + ", ".join(stale),
                f"Run `code-mesh auth login {needs_login[0].provider}`",
            )
        )
    elif stale:
        checks.append(Check("credentials", Level.OK, "expired, refreshed on next use: " + ", ".join(stale)))
    else:
        checks.append(
            Check(
                "credentials",
                Level.OK,
                f"{counted(len(summaries), 'credential')} stored, none expired or needing a login",
            )
        )
    shadowed: set[str] = set()
    for summary in summaries:
        variable = entry_for(summary.provider).variable_set(environ)
        if variable:
            shadowed.add(f"{variable} overrides {summary.provider}")
    checks.append(
        Check(
            "environment",
            Level.WARNING,
            "; ".join(sorted(shadowed)),
            "Unset the variable to use the stored credential",
        )
        if shadowed
        else Check("environment", Level.OK, "no environment variable overrides a stored credential")
    )
    return checks
