"""The read-only fast paths and the full CLI answer alike (issue 14, acceptance 2).

Every case runs its command twice, as real processes with the same environment, working
directory and store (tests/path_pairs.py): once as the installed `code-mesh`, whose fast paths
may answer, and once forced to the full cyclopts CLI with `main(fast=False)`. Exit code, stdout
and stderr must be the same byte for byte; for a real `exec`, the environment COMMAND got (`env
-0`) must be the same mapping (the order of environ is no part of the contract).

Each run also says which path answered (whether cyclopts was imported). Cases marked
`fast=True` must be answered by a fast path: key-file protection, a current store, no
config.toml, no project file (but for `auth list`, which ignores them), no CODE_MESH_DEBUG, and
nothing to write (no refresh, no migration, no narrowing). Other cases may go either way and
must agree whichever does. A fast path that answered must have written nothing; one that handed
over must leave the world as the full path alone does.

Both runs of a case start from the same copy of its world, at the same path (the store's path is
part of the output), restored between them: for a fresh home, where the full path creates the
store, neither run sees what the other made, so the order does not favour either one. OAuth
expiry times are set when the case starts, 30 s from a change of the words `auth status` shows.

The worlds (the user's home, the code-mesh home and project directories below it) are built once
per module through the CLI and copied for each case; all pairs run up front, as many at a time as
there are cores, so the module stays under a minute on two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from code_mesh.adapters.crypto.key_list import format_key_list, key_id
from path_pairs import (
    LAUNCHER,
    Pair,
    TreeState,
    base_environment,
    child_environment,
    full_path_command,
    normal_command,
    run_once,
    run_pair,
    set_expiries,
)

HEAVY = ("sqlalchemy", "alembic", "cyclopts", "httpx", "rich", "keyring")
MINUTE, HOUR, DAY = 60, 3600, 86400
PASSPHRASE = "correct horse battery staple"
ENV_KEY = "sk-from-the-environment-8c1f"

PROJECTS: dict[str, tuple[str, int]] = {
    "work": ('[accounts]\nopenai = "work"\n', 0o600),
    "missing": ('[accounts]\nopenai = "nobody"\n', 0o600),
    "malformed": ("[accounts]\nopenai = 3\n", 0o600),
    "untrusted": ('[accounts]\nopenai = "work"\n', 0o666),
    "anthropic-old": ('[accounts]\nanthropic = "old"\n', 0o600),
    "anthropic-gone": ('[accounts]\nanthropic = "gone"\n', 0o600),
    "anthropic-flag": ('[accounts]\nanthropic = "flag"\n', 0o600),
    "anthropic-setup": ('[accounts]\nanthropic = "setup"\n', 0o600),
}
"""Project directories under ~/src, each with the .code-mesh.toml given (and its mode); ~/src/plain
has none, and ~/src/work/sub finds its parent's."""


@dataclass(frozen=True)
class OAuthRow:
    offset: int
    """expires_at minus the moment the case runs: 30 s past a minute (or half an hour past an
    hour), so that the words `auth status` shows ("2h 13m") hold for both runs of a pair."""
    refresh: bool = True
    needs_login: bool = False


OAUTH_ROWS: dict[tuple[str, str], OAuthRow] = {
    ("anthropic", "default"): OAuthRow(2 * HOUR + 13 * MINUTE + 30),  # authenticated, "expires in 2h 13m"
    ("anthropic", "old"): OAuthRow(-(3 * DAY + 4 * HOUR + 30 * MINUTE)),  # expired, refreshes on use
    ("anthropic", "gone"): OAuthRow(-(3 * DAY + 4 * HOUR + 30 * MINUTE), refresh=False),  # needs-login
    ("anthropic", "flag"): OAuthRow(4 * DAY + 5 * HOUR + 30 * MINUTE, needs_login=True),  # refused refresh
    ("anthropic", "setup"): OAuthRow(5 * HOUR + 20 * MINUTE + 30, refresh=False),  # the 24 h warning
    ("github-copilot", "default"): OAuthRow(-(2 * HOUR + 10 * MINUTE + 30)),  # Copilot's short token
}


def oauth_document(now: int) -> str:
    entries: dict[str, dict[str, object]] = {}
    for (provider, account), row in OAUTH_ROWS.items():
        entry: dict[str, object] = {
            "type": "oauth",
            "access_token": f"at-{provider}-{account}-5e1d",
            "expires_at": now + row.offset,
        }
        if row.refresh:
            entry["refresh_token"] = f"rt-{provider}-{account}-9a2c"
        if row.needs_login:
            entry["needs_login"] = True
        entries[provider if account == "default" else f"{provider}:{account}"] = entry
    entries["acme"] = {"type": "custom", "data": {"endpoint": "https://acme.invalid", "token": "acme-tok-3b"}}
    return json.dumps({"credentials": entries})


# The worlds -----------------------------------------------------------------------------------


def cli(me: Path, *arguments: str, input: str = "", env: Mapping[str, str] | None = None) -> None:
    """Build a world through the installed CLI."""
    result = subprocess.run(
        [str(LAUNCHER), *arguments],
        input=input,
        capture_output=True,
        text=True,
        env={**base_environment(me), **(env or {})},
        timeout=60,
    )
    assert result.returncode == 0, (arguments, result.stderr)


def fresh(root: Path) -> None:
    """A user's home with project directories and no code-mesh home at all."""
    (root / "me" / "src" / "plain").mkdir(parents=True)
    (root / "me" / "src" / "work" / "sub").mkdir(parents=True)
    for name, (text, mode) in PROJECTS.items():
        directory = root / "me" / "src" / name
        directory.mkdir(exist_ok=True)
        (directory / ".code-mesh.toml").write_text(text)
        (directory / ".code-mesh.toml").chmod(mode)


def plain(root: Path) -> None:
    """API keys only: openai's default (active) and work accounts, and groq."""
    fresh(root)
    me = root / "me"
    cli(me, "auth", "login", "openai", "--account", "work", "--with-key", input="sk-openai-work-41f0")
    cli(me, "auth", "login", "openai", "--with-key", input="sk-openai-default-7b3e")
    cli(me, "auth", "login", "groq", "--with-key", input="gsk-groq-default-2d8a")


def with_oauth(root: Path) -> None:
    """`plain`, and every OAuth status (OAUTH_ROWS) and a custom credential, imported."""
    cli(root / "me", "auth", "import", "-", input=oauth_document(int(time.time())))


def locked(root: Path) -> None:
    """The key file replaced by one that lacks the key the store's secrets are sealed with."""
    key = os.urandom(32)
    (root / "me" / ".code-mesh" / "key").write_text(format_key_list([(key_id(key), key)]))


def without_key_file(root: Path) -> None:
    (root / "me" / ".code-mesh" / "key").unlink()


def passphrase(root: Path) -> None:
    fresh(root)
    cli(
        root / "me",
        "auth",
        "login",
        "openai",
        "--with-key",
        input="sk-pass-4e9d",
        env={"CODE_MESH_PASSPHRASE": PASSPHRASE},
    )


def configured(root: Path) -> None:
    """A config.toml: another variable for groq, a custom provider, and exec's default providers."""
    config = root / "me" / ".code-mesh" / "config.toml"
    config.write_text(
        '[providers.groq]\nenv = ["MY_GROQ_KEY"]\n\n[providers.acme-llm]\nenv = ["ACME_LLM_TOKEN"]\n\n'
        '[exec]\nproviders = ["openai", "groq"]\n'
    )
    config.chmod(0o600)


def empty_store(root: Path) -> None:
    """A current store that holds nothing (the first `auth list` creates it)."""
    fresh(root)
    cli(root / "me", "auth", "list")


def newer_store(root: Path) -> None:
    """A store whose schema revision this version does not know: refused, nothing changed."""
    import sqlite3

    connection = sqlite3.connect(root / "me" / ".code-mesh" / "auth.db")
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()


@dataclass(frozen=True)
class World:
    steps: tuple[Callable[[Path], None], ...]
    base: str | None = None
    """Built on a copy of this world."""
    expiries: Mapping[tuple[str, str], int] = field(default_factory=dict)


TIMED = {key: row.offset for key, row in OAUTH_ROWS.items()}
WORLDS: dict[str, World] = {
    "fresh": World((fresh,)),
    "empty": World((empty_store,)),
    "plain": World((plain,)),
    "oauth": World((with_oauth,), base="plain", expiries=TIMED),
    "locked": World((locked,), base="oauth", expiries=TIMED),
    "no-key": World((without_key_file,), base="plain"),
    "passphrase": World((passphrase,)),
    "config": World((configured,), base="plain"),
    "newer": World((newer_store,), base="plain"),
}


# The cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    world: str
    arguments: tuple[str, ...]
    cwd: str = "plain"
    """Below ~/src."""
    env: tuple[tuple[str, str], ...] = ()
    unset: tuple[str, ...] = ()
    fast: bool | None = None
    """True: a fast path must answer. None: either path may."""

    @property
    def runs_command(self) -> bool:
        return self.arguments[-2:] == ("env", "-0")


def case(
    id: str,
    world: str,
    *arguments: str,
    cwd: str = "plain",
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    fast: bool | None = None,
) -> Case:
    return Case(id, world, arguments, cwd, tuple((env or {}).items()), unset, fast)


OPENAI_ENV = {"OPENAI_API_KEY": ENV_KEY}
SHOW_ENV = ("--", "env", "-0")

# fmt: off
CASES = [
    # A plain store (API keys, key file): every read path, every form.
    case("list", "plain", "auth", "list", fast=True),
    case("list-json", "plain", "auth", "list", "--json", fast=True),
    case("ls", "plain", "auth", "ls", fast=True),
    case("status", "plain", "auth", "status", fast=True),
    case("status-json", "plain", "auth", "status", "--json", fast=True),
    case("status-openai", "plain", "auth", "status", "openai", fast=True),
    case("status-openai-json", "plain", "auth", "status", "openai", "--json", fast=True),
    case("which", "plain", "auth", "which", "openai", fast=True),
    case("which-json", "plain", "auth", "which", "openai", "--json", fast=True),
    case("which-groq", "plain", "auth", "which", "groq", fast=True),
    case("exec-dry-run", "plain", "exec", "--provider", "openai", "--dry-run", fast=True),
    case("exec-dry-run-json", "plain", "exec", "--provider", "openai", "--dry-run", "--json", fast=True),
    case("exec-option-json", "plain", "exec", "--provider", "openai:work", "--dry-run", "--json", fast=True),
    case("exec-two-providers", "plain", "exec", "--provider", "openai", "--provider", "groq", *SHOW_ENV, fast=True),
    case("exec-option", "plain", "exec", "--provider", "openai:work", *SHOW_ENV, fast=True),
    case("exec-true", "plain", "exec", "--provider", "openai", "--", "true", fast=True),
    case("exec-exit-code", "plain", "exec", "--provider", "openai", "--", "sh", "-c", "exit 3", fast=True),
    case("exec-not-found", "plain", "exec", "--provider", "openai", "--", "no-such-command-7f3a", fast=True),
    # COMMAND's own --help is not a help page of code-mesh's: exec still takes its fast path.
    case("exec-command-help", "plain", "exec", "--provider", "openai", "--", "sh", "-c", "echo $1", "sh", "--help", fast=True),
    case("token", "plain", "auth", "token", "openai", fast=True),
    case("token-account", "plain", "auth", "token", "openai", "--account", "work", fast=True),
    case("token-account-equals", "plain", "auth", "token", "openai", "--account=work", fast=True),
    case("token-unknown-account", "plain", "auth", "token", "openai", "--account", "nobody"),
    case("token-alias", "plain", "auth", "token", "github"),
    case("token-typo-case", "plain", "auth", "token", "OpenAI"),
    # CODE_MESH_HOME unset: the store in ~/.code-mesh.
    case("default-home-list", "plain", "auth", "list", unset=("CODE_MESH_HOME",), fast=True),
    case("default-home-exec", "plain", "exec", "--provider", "openai", *SHOW_ENV, unset=("CODE_MESH_HOME",), fast=True),
    case("default-home-token", "plain", "auth", "token", "openai", unset=("CODE_MESH_HOME",), fast=True),
    # Nothing stored for the provider asked about; an alias; mistyped ids.
    case("status-mistral", "plain", "auth", "status", "mistral", "--json"),
    case("which-mistral", "plain", "auth", "which", "mistral"),
    case("which-mistral-json", "plain", "auth", "which", "mistral", "--json"),
    case("exec-mistral", "plain", "exec", "--provider", "mistral", "--", "true"),
    case("exec-no-provider", "plain", "exec", "--dry-run"),
    case("which-github", "plain", "auth", "which", "github"),
    case("which-typo-case", "plain", "auth", "which", "OpenAI"),
    case("status-typo-case", "plain", "auth", "status", "OpenAI"),
    case("which-typo", "plain", "auth", "which", "opnai"),
    case("status-typo", "plain", "auth", "status", "opnai"),
    # The environment: env:VARIABLE, and an account named beats it.
    case("env-list-json", "plain", "auth", "list", "--json", env=OPENAI_ENV, fast=True),
    case("env-status", "plain", "auth", "status", env=OPENAI_ENV, fast=True),
    case("env-which-json", "plain", "auth", "which", "openai", "--json", env=OPENAI_ENV, fast=True),
    case("env-exec-dry-run", "plain", "exec", "--provider", "openai", "--dry-run", env=OPENAI_ENV, fast=True),
    case("env-exec", "plain", "exec", "--provider", "openai", *SHOW_ENV, env=OPENAI_ENV, fast=True),
    case("env-exec-option", "plain", "exec", "--provider", "openai:work", *SHOW_ENV, env=OPENAI_ENV, fast=True),
    case("env-second-variable", "plain", "auth", "which", "google", env={"GOOGLE_API_KEY": "g-second"}, fast=True),
    case("env-token", "plain", "auth", "token", "openai", env=OPENAI_ENV, fast=True),
    case("nested-exec", "plain", "exec", "--provider", "openai", *SHOW_ENV, env={"CODE_MESH_EXEC": "openai"}),
    # Colour and debugging.
    case("no-no-color-list", "plain", "auth", "list", unset=("NO_COLOR",), fast=True),
    case("no-no-color-status", "plain", "auth", "status", unset=("NO_COLOR",), fast=True),
    case("force-color-status", "plain", "auth", "status", env={"FORCE_COLOR": "1"}, unset=("NO_COLOR",)),
    case("debug-list", "plain", "auth", "list", env={"CODE_MESH_DEBUG": "1"}),
    case("debug-status-json", "plain", "auth", "status", "--json", env={"CODE_MESH_DEBUG": "1"}),
    case("debug-which", "plain", "auth", "which", "openai", env={"CODE_MESH_DEBUG": "1"}),
    case("debug-exec", "plain", "exec", "--provider", "openai", *SHOW_ENV, env={"CODE_MESH_DEBUG": "1"}),
    case("debug-unclear", "plain", "auth", "status", env={"CODE_MESH_DEBUG": "maybe"}),
    # Project files: one naming a stored account (here and from a subdirectory), one naming an
    # account that is not stored, a malformed one, an untrusted one (mode 0666).
    case("project-which", "plain", "auth", "which", "openai", cwd="work"),
    case("project-which-json", "plain", "auth", "which", "openai", "--json", cwd="work/sub"),
    case("project-status-json", "plain", "auth", "status", "--json", cwd="work"),
    case("project-exec-dry-run", "plain", "exec", "--dry-run", cwd="work"),
    case("project-exec", "plain", "exec", *SHOW_ENV, cwd="work"),
    case("project-env-which", "plain", "auth", "which", "openai", cwd="work", env=OPENAI_ENV),
    case("project-option", "plain", "exec", "--provider", "openai:default", "--dry-run", "--json", cwd="work"),
    case("project-list", "plain", "auth", "list", cwd="work", fast=True),  # list ignores project files
    case("project-token", "plain", "auth", "token", "openai", cwd="work"),
    case("missing-which", "plain", "auth", "which", "openai", "--json", cwd="missing"),
    case("missing-status", "plain", "auth", "status", "openai", cwd="missing"),
    case("missing-exec", "plain", "exec", "--provider", "openai", "--dry-run", cwd="missing"),
    case("missing-env-which", "plain", "auth", "which", "openai", cwd="missing", env=OPENAI_ENV),
    case("malformed-which", "plain", "auth", "which", "openai", cwd="malformed"),
    case("malformed-status-json", "plain", "auth", "status", "--json", cwd="malformed"),
    case("malformed-exec", "plain", "exec", "--provider", "openai", "--dry-run", cwd="malformed"),
    case("malformed-list", "plain", "auth", "list", cwd="malformed", fast=True),
    case("untrusted-which", "plain", "auth", "which", "openai", cwd="untrusted"),
    case("untrusted-status", "plain", "auth", "status", "openai", cwd="untrusted"),
    case("untrusted-exec-json", "plain", "exec", "--provider", "openai", "--dry-run", "--json", cwd="untrusted"),
    # OAuth: authenticated (2h 13m left), expired with a refresh token, needs-login by expiry and
    # by flag, the 24 h warning; Copilot; a custom credential.
    case("oauth-list", "oauth", "auth", "list", fast=True),
    case("oauth-list-json", "oauth", "auth", "list", "--json", fast=True),
    case("oauth-status", "oauth", "auth", "status", fast=True),
    case("oauth-status-json", "oauth", "auth", "status", "--json", fast=True),
    case("oauth-which-json", "oauth", "auth", "which", "anthropic", "--json", fast=True),
    case("oauth-exec-dry-run", "oauth", "exec", "--provider", "anthropic", "--dry-run", fast=True),
    case("oauth-exec", "oauth", "exec", "--provider", "anthropic:default", *SHOW_ENV,
         env={"ANTHROPIC_API_KEY": "sk-ant-env-1c"}, fast=True),
    case("oauth-token", "oauth", "auth", "token", "anthropic", fast=True),
    case("custom-exec", "oauth", "exec", "--provider", "acme", *SHOW_ENV, fast=True),
    case("custom-token", "oauth", "auth", "token", "acme", fast=True),
    case("copilot-status-alias", "oauth", "auth", "status", "github", "--json"),
    case("copilot-exec", "oauth", "exec", "--provider", "github-copilot", "--dry-run", "--json"),
    case("expired-status", "oauth", "auth", "status", "anthropic", cwd="anthropic-old"),
    case("expired-status-json", "oauth", "auth", "status", "anthropic", "--json", cwd="anthropic-old"),
    case("needs-login-status", "oauth", "auth", "status", cwd="anthropic-gone"),
    case("needs-login-status-json", "oauth", "auth", "status", "anthropic", "--json", cwd="anthropic-gone"),
    case("needs-login-exec", "oauth", "exec", "--provider", "anthropic", "--dry-run", cwd="anthropic-gone"),
    case("flagged-status", "oauth", "auth", "status", "anthropic", cwd="anthropic-flag"),
    case("flagged-which-json", "oauth", "auth", "which", "anthropic", "--json", cwd="anthropic-flag"),
    case("warning-status", "oauth", "auth", "status", "anthropic", cwd="anthropic-setup"),
    case("warning-exec-dry-run", "oauth", "exec", "--provider", "anthropic", "--dry-run", cwd="anthropic-setup"),
    # Locked: a key file that lacks the store's key id; no key file; a passphrase store.
    case("locked-list", "locked", "auth", "list"),
    case("locked-list-json", "locked", "auth", "list", "--json"),
    case("locked-status", "locked", "auth", "status"),
    case("locked-status-json", "locked", "auth", "status", "openai", "--json"),
    case("locked-which", "locked", "auth", "which", "openai"),
    case("locked-exec", "locked", "exec", "--provider", "openai", *SHOW_ENV),
    case("locked-token", "locked", "auth", "token", "openai"),
    case("no-key-list-json", "no-key", "auth", "list", "--json"),
    case("no-key-status", "no-key", "auth", "status"),
    case("no-key-exec", "no-key", "exec", "--provider", "openai", "--dry-run"),
    case("passphrase-unset-list", "passphrase", "auth", "list"),
    case("passphrase-unset-status-json", "passphrase", "auth", "status", "--json"),
    case("passphrase-unset-exec", "passphrase", "exec", "--provider", "openai", "--dry-run"),
    case("passphrase-list-json", "passphrase", "auth", "list", "--json", env={"CODE_MESH_PASSPHRASE": PASSPHRASE}),
    case("passphrase-status", "passphrase", "auth", "status", env={"CODE_MESH_PASSPHRASE": PASSPHRASE}),
    case("passphrase-exec", "passphrase", "exec", "--provider", "openai", *SHOW_ENV,
         env={"CODE_MESH_PASSPHRASE": PASSPHRASE}),
    # A config.toml (the fast paths may hand over; both must still agree).
    case("config-list", "config", "auth", "list"),
    case("config-list-json", "config", "auth", "list", "--json"),
    case("config-status", "config", "auth", "status"),
    case("config-which-groq", "config", "auth", "which", "groq", env={"GROQ_API_KEY": "not-this-one"}),
    case("config-which-groq-env", "config", "auth", "which", "groq", "--json", env={"MY_GROQ_KEY": "gsk-mine"}),
    case("config-exec", "config", "exec", *SHOW_ENV, env={"MY_GROQ_KEY": "gsk-mine"}),
    # No store yet (a fresh home), a current store that holds nothing, a newer store.
    case("fresh-list", "fresh", "auth", "list"),
    case("fresh-list-json", "fresh", "auth", "list", "--json"),
    case("fresh-status", "fresh", "auth", "status"),
    case("fresh-status-json", "fresh", "auth", "status", "--json"),
    case("fresh-which", "fresh", "auth", "which", "openai"),
    case("fresh-exec-dry-run", "fresh", "exec", "--provider", "openai", "--dry-run"),
    case("fresh-env-exec", "fresh", "exec", "--provider", "openai", *SHOW_ENV, env=OPENAI_ENV),
    case("fresh-env-status-json", "fresh", "auth", "status", "--json", env=OPENAI_ENV),
    case("empty-list", "empty", "auth", "list", fast=True),
    case("empty-list-json", "empty", "auth", "list", "--json", fast=True),
    case("empty-status-json", "empty", "auth", "status", "--json"),
    case("empty-which-json", "empty", "auth", "which", "openai", "--json"),
    case("newer-list", "newer", "auth", "list"),
    case("newer-status", "newer", "auth", "status", "openai"),
]
# fmt: on
BY_ID = {c.id: c for c in CASES}
assert len(BY_ID) == len(CASES), "case ids are unique"


# Running them ---------------------------------------------------------------------------------


def build(world: str, directory: Path, built: dict[str, Path]) -> Path:
    if world not in built:
        spec = WORLDS[world]
        root = directory / world
        if spec.base is not None:
            shutil.copytree(build(spec.base, directory, built), root, symlinks=True)
        else:
            root.mkdir()
        for step in spec.steps:
            step(root)
        built[world] = root
    return built[world]


def pair_for(one: Case, template: Path, directory: Path) -> Pair:
    root = directory / one.id
    snapshot, world = root / "snapshot", root / "world"
    shutil.copytree(template, snapshot, symlinks=True)
    expiries = WORLDS[one.world].expiries
    if expiries:
        now = int(time.time())
        set_expiries(snapshot / "me" / ".code-mesh", {key: now + offset for key, offset in expiries.items()})
    me = world / "me"
    environ = {**base_environment(me), **dict(one.env)}
    for name in one.unset:
        environ.pop(name)
    return run_pair(one.arguments, snapshot, world, environ, me / "src" / one.cwd)


@pytest.fixture(scope="module")
def pairs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Pair | BaseException]:
    """Both runs of every case this session selected, two cases at a time."""
    wanted = {BY_ID[item.callspec.params["one"].id] for item in request.session.items
              if hasattr(item, "callspec") and isinstance(item.callspec.params.get("one"), Case)}  # fmt: skip
    if any(
        item.name.startswith(("test_no_fast_answer", "test_a_fast_path_that_hands_over"))
        for item in request.session.items
    ):
        wanted = set(CASES)
    worlds, directory = tmp_path_factory.mktemp("worlds"), tmp_path_factory.mktemp("pairs")
    built: dict[str, Path] = {}
    for world in sorted({one.world for one in wanted}):
        build(world, worlds, built)

    def attempt(one: Case) -> Pair | BaseException:
        try:
            return pair_for(one, built[one.world], directory)
        except Exception as error:  # reported by that case's test, not by every test
            return error

    ordered = sorted(wanted, key=CASES.index)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip([c.id for c in ordered], pool.map(attempt, ordered), strict=True))


def pair_of(pairs: dict[str, Pair | BaseException], one: Case) -> Pair:
    result = pairs[one.id]
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.mark.parametrize("one", [pytest.param(c, id=c.id) for c in CASES])
def test_fast_and_full_paths_answer_alike(pairs: dict[str, Pair | BaseException], one: Case) -> None:
    """The same exit code, stdout and stderr (and for a real exec, the same environment for COMMAND)."""
    pair = pair_of(pairs, one)
    assert not pair.full.answered_fast, "main(fast=False) ran the full CLI"
    if one.runs_command:
        assert (pair.fast.exit_code, pair.fast.stderr) == (pair.full.exit_code, pair.full.stderr), (
            f"fast:\n{pair.fast.shown()}\nfull:\n{pair.full.shown()}"
        )
        if pair.full.exit_code == 0:
            assert child_environment(pair.fast.stdout) == child_environment(pair.full.stdout)
        else:
            assert pair.fast.stdout == pair.full.stdout
    else:
        assert (pair.fast.exit_code, pair.fast.stdout, pair.fast.stderr) == (
            pair.full.exit_code, pair.full.stdout, pair.full.stderr
        ), f"fast:\n{pair.fast.shown()}\nfull:\n{pair.full.shown()}"  # fmt: skip


FAST_CASES = [pytest.param(c, id=c.id) for c in CASES if c.fast]


@pytest.mark.parametrize("one", FAST_CASES)
def test_a_fast_path_answers_the_plain_cases(pairs: dict[str, Pair | BaseException], one: Case) -> None:
    """Key-file protection, a current store, no config.toml and nothing to write or refresh: the
    installed command answers without the full CLI (cyclopts is never imported)."""
    fast = pair_of(pairs, one).fast
    answered_fast = fast.answered_fast
    assert answered_fast, f"the full CLI answered (cyclopts imported); it said:\n{fast.shown()}"


def test_no_fast_answer_writes_anything(pairs: dict[str, Pair | BaseException]) -> None:
    """A fast path answers only when nothing must be written: whenever one answered, every file
    and directory of the world is as it was (content and mode; a store not there stays away)."""
    done = {case_id: pair for case_id, pair in pairs.items() if isinstance(pair, Pair)}
    answered = {case_id: pair for case_id, pair in done.items() if pair.fast.answered_fast}
    assert answered, "the `auth token` fast path answers some cases today"
    wrote = {case_id: sorted(set(pair.before.items()) ^ set(pair.after_fast.items()))
             for case_id, pair in answered.items() if pair.before != pair.after_fast}  # fmt: skip
    assert wrote == {}


def shape(state: TreeState) -> dict[str, tuple[int, str | None]]:
    """A world's files and modes, and the content of every file but the store's: a store the full
    path creates holds the moment it was made."""
    return {
        path: (mode, None if path.endswith("auth.db") else digest) for path, (mode, digest) in state.items()
    }


def test_a_fast_path_that_hands_over_has_written_nothing(pairs: dict[str, Pair | BaseException]) -> None:
    """Whatever a fast path tried before it handed over wrote nothing: when the full CLI answered
    the installed command, the world is as the forced full path leaves it (the same files, modes
    and contents)."""
    handed_over = {case_id: pair for case_id, pair in pairs.items()
                   if isinstance(pair, Pair) and not pair.fast.answered_fast}  # fmt: skip
    assert handed_over
    differ = {case_id: sorted(set(shape(pair.after_fast).items()) ^ set(shape(pair.after_full).items()))
              for case_id, pair in handed_over.items() if shape(pair.after_fast) != shape(pair.after_full)}  # fmt: skip
    assert differ == {}


READ_PATHS = {
    "auth list": "list",
    "auth list --json": "list-json",
    "auth ls": "ls",
    "auth status": "status",
    "auth status --json": "status-json",
    "auth which openai": "which",
    "exec --provider openai -- true": "exec-true",
    "exec --provider openai --dry-run": "exec-dry-run",
    "auth token openai": "token",
}


@pytest.mark.parametrize("one", [pytest.param(BY_ID[i], id=command) for command, i in READ_PATHS.items()])
def test_read_paths_import_nothing_heavy(pairs: dict[str, Pair | BaseException], one: Case) -> None:
    """A current store and a fresh credential (key file): none of the libraries the full CLI needs."""
    heavy = sorted(pair_of(pairs, one).fast.modules & set(HEAVY))
    assert heavy == []


def test_the_forced_full_path_gets_the_same_arguments(tmp_path: Path) -> None:
    """The two commands differ only in the path taken: `auth token` (which has a fast path today)
    prints the same key both ways; only the forced one imports cyclopts."""
    me = tmp_path / "me"
    me.mkdir()
    cli(me, "auth", "login", "openai", "--with-key", input="sk-both-ways-6a")
    arguments = ("auth", "token", "openai")
    normal = run_once(normal_command(arguments), base_environment(me), me)
    forced = run_once(full_path_command(arguments), base_environment(me), me)
    assert (normal.exit_code, normal.stdout, normal.stderr) == (0, b"sk-both-ways-6a\n", b"")
    assert (forced.exit_code, forced.stdout, forced.stderr) == (0, b"sk-both-ways-6a\n", b"")
    assert normal.answered_fast and not forced.answered_fast
