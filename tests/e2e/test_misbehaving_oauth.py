"""OAuth servers that misbehave, through the installed CLI (issue 9: D4, L2, L3, R1, R2, T2, injection).

Each test drives `code-mesh` in real processes against a loopback fake that answers the way
a broken, overloaded or hostile server does (tests/servers/misbehaviour.py says which quirk
each answer imitates). What must hold every time: exit 1 with one readable line (or
success), no traceback, no secret and no escape sequence in any output, and nothing stored
lost or changed unless the provider really refused the refresh token (invalid_grant).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from anthropic_login import configure_anthropic, log_in_to_anthropic, make_token_due
from cli_process import CliProcess, run_measuring_memory, write_config
from conftest import CliRunner
from copilot_login import configure_copilot, log_in_to_copilot
from postgres_server import Cluster
from servers.fake_anthropic import FakeAnthropic
from servers.fake_github import FakeGitHub
from servers.misbehaviour import ESCAPES
from store_reader import sealed_rows, store_rows
from storm import refresh_storm

ERROR_PREFIX = "code-mesh: error: "


def one_error(stderr: str, *words: str) -> str:
    """The one line an expected failure prints: no traceback, no escape sequence."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), stderr
    assert "\x1b" not in stderr and "\r" not in stderr and "Traceback" not in stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def anthropic(home: Path) -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(hang_timeout=30)
    with fake.serve() as base:
        configure_anthropic(home, base)
        assert log_in_to_anthropic(home, fake).finish() == 0
        yield fake


def test_nonsense_lifetimes_keep_the_rotated_refresh_token(
    cli: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    """D4: the answer has rotated the refresh token; an expires_in that is not a sane number of
    seconds means "expiry unknown", never an internal error that throws the new token away."""
    for lifetime in (1e300, math.inf, math.nan, 10**30, "9" * 400):
        anthropic.expires_in_answer = lifetime
        result = cli("auth", "refresh", "anthropic")
        assert result.returncode == 0 and result.stderr == "", (lifetime, result.stderr)
        (row,) = store_rows(home)
        issued = anthropic.issued[-1]
        assert (row["refresh_token"], row["access_token"]) == (
            issued["refresh_token"],
            issued["access_token"],
        )
        assert row["expires_at"] is None, "unknown expiry"
    token = cli("auth", "token", "anthropic")
    assert token.stdout == anthropic.issued[-1]["access_token"] + "\n"


def test_only_invalid_grant_refuses_and_a_servers_error_is_shown_safely(
    cli: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    """Refused only on invalid_grant (SPEC section 2); an error is its leading word plus a short,
    escaped, redacted description (L2); what is not a 2xx token answer changes nothing (T2)."""
    before = sealed_rows(home)
    refresh_token = store_rows(home)[0]["refresh_token"]
    unchanged = "nothing was changed"
    failures = [
        (
            "escape-error",
            "refused the request (\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mbad\\x0d\\x0aline two [redacted]",
        ),
        ("long-error", "refused the request (invalid_request: the refresh token [redacted] is not valid"),
        ("huge-error", f"sent an answer larger than 1024 KiB; {unchanged}"),
        ("not-found", f"has no endpoint at /v1/oauth/token (HTTP 404, not found); {unchanged}. Check"),
        ("redirect-json", f"answered with a redirect (HTTP 307) instead of an answer; {unchanged}"),
        ("nested-json", f"not a JSON object (HTTP 200); {unchanged}"),
        ("bad-gzip", f"compressed answer that cannot be decompressed; {unchanged}"),
        ("500", f"server error (HTTP 500); {unchanged}"),
    ]
    for kind, words in failures:
        anthropic.fail_next(kind)
        result = cli("auth", "refresh", "anthropic")
        assert result.returncode == 1 and result.stdout == ""
        line = one_error(result.stderr, words)
        assert len(line) < 400 and refresh_token not in line
        assert kind != "not-found" or "upgrade code-mesh" in line
        assert sealed_rows(home) == before, f"{kind} changed the store"

    anthropic.fail_next("invalid_grant-echo")  # "invalid_grant: refresh token <TOKEN> is revoked"
    refused = cli("auth", "refresh", "anthropic")
    line = one_error(refused.stderr, "(invalid_grant: [redacted] was revoked)", "marked needs-login")
    assert refresh_token not in line
    (after,) = sealed_rows(home)
    assert after["needs_login"] == 1 and after["refresh_token"] == before[0]["refresh_token"]


def test_a_trickling_endpoint_is_bounded_in_total_and_failures_do_not_queue(
    cli: CliRunner, home: Path, anthropic: FakeAnthropic
) -> None:
    """R1: one byte every 0.5 s never trips a per-read timeout of 1.5 s: the exchange has a total
    deadline, the lock is released with it, and processes that waited meanwhile repeat the
    failure instead of the request (before: 6 callers took 3.3, 6.4 … 18.7 s, 6 requests)."""
    timeout = {"CODE_MESH_HTTP_TIMEOUT": "1.5"}
    anthropic.trickle_interval = 0.5
    anthropic.fail_next("trickle")
    started = time.monotonic()
    result = cli("auth", "refresh", "anthropic", env=timeout)
    assert time.monotonic() - started < 30, "the trickle takes 2 minutes"
    one_error(result.stderr, "did not answer within 1.5 s; nothing was changed")
    assert cli("auth", "refresh", "anthropic").returncode == 0, "the lock was released"

    make_token_due(home)
    requests_before = anthropic.refresh_count
    anthropic.fail_next("hang", count=6)
    storm = refresh_storm(home, 6, env=timeout)
    anthropic.release_hung()
    assert storm.exit_codes == [1] * 6 and storm.outputs == [""] * 6
    assert anthropic.refresh_count - requests_before == 1, "one request for all six"
    # The one request and the five repeated failures are the proof (benchmarks/refresh_failure.py
    # has the times); on a machine so busy that a waiter's own deadline passes first, it says so.
    lines = [one_error(errors) for errors in storm.errors]
    reused = "(seen by the code-mesh process that was refreshing it meanwhile)"
    gave_up = "has been refreshing the credential for anthropic for over 6.5 s; nothing was changed"
    assert all("did not answer within 1.5 s" in line or gave_up in line for line in lines), lines
    assert sum("did not answer within 1.5 s" in line and reused not in line for line in lines) == 1, lines


def test_a_gzip_bomb_is_refused_at_the_cap_without_growing_memory(
    home: Path, anthropic: FakeAnthropic
) -> None:
    """R2: 256 MiB inflated from ~250 KiB; before, httpx inflated it whole (2 MB bomb: 2.2 GB)."""
    anthropic.fail_next("gzip-bomb")
    result, peak_mib = run_measuring_memory(home, "auth", "refresh", "anthropic")
    assert result.returncode == 1
    one_error(result.stderr, "sent an answer larger than 1024 KiB; nothing was changed")
    assert peak_mib < 100, f"peak memory {peak_mib:.0f} MiB"


def _fill(disk: Path) -> None:
    with open(disk / "filler", "ab") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of our own, to fill up (root only; unmounted at the end)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_never_costs_the_rotated_refresh_token(cli: CliRunner, small_disk: Path) -> None:
    """D4: a store that cannot be written is found before the provider is asked; a disk that
    fills while it answers is waited out for a few seconds, else the message says plainly that
    a new login is needed."""
    home = small_disk / "home"
    anthropic = FakeAnthropic()
    with anthropic.serve() as base:
        configure_anthropic(home, base)
        assert log_in_to_anthropic(home, anthropic).finish() == 0
        make_token_due(home)
        before = sealed_rows(home)

        _fill(small_disk)
        full = cli("auth", "token", "anthropic", home_override=home)
        (small_disk / "filler").unlink()
        one_error(full.stderr, str(home / "auth.db"))
        assert (full.returncode, anthropic.refresh_count, sealed_rows(home)) == (1, 0, before), "not asked"

        anthropic.after_refresh = lambda: (
            _fill(small_disk),
            threading.Timer(0.5, (small_disk / "filler").unlink).start(),
        )
        recovered = cli("auth", "token", "anthropic", home_override=home)
        assert recovered.returncode == 0, recovered.stderr
        assert recovered.stdout == anthropic.issued[-1]["access_token"] + "\n"
        assert store_rows(home)[0]["refresh_token"] == anthropic.issued[-1]["refresh_token"]

        make_token_due(home)
        before = sealed_rows(home)
        anthropic.after_refresh = lambda: _fill(small_disk)
        lost = cli("auth", "token", "anthropic", home_override=home)
        (small_disk / "filler").unlink()
        assert lost.returncode == 1 and lost.stdout == ""
        one_error(
            lost.stderr,
            "anthropic has rotated the refresh token",
            "a new login is needed",
            "code-mesh auth login anthropic",
        )
        assert sealed_rows(home) == before


def test_copilot_expiries_that_are_not_times_are_one_line(cli: CliRunner, home: Path) -> None:
    github = FakeGitHub()
    with github.serve() as base:
        configure_copilot(home, base)
        log_in_to_copilot(home, github)
        before = sealed_rows(home)
        for expires_at in (True, 10**20):
            github.copilot_answer_overrides = {"expires_at": expires_at}
            result = cli("auth", "refresh", "github-copilot")
            assert result.returncode == 1
            one_error(result.stderr, "Copilot token whose expires_at is not a time; nothing was changed")
            assert sealed_rows(home) == before


def test_device_answers_that_cannot_be_shown_or_waited_for(home: Path) -> None:
    """Injection: a user code or verification URI is shown only when it is printable; T2/R1: an
    interval of Infinity is bounded and never outlives the code (here 1 s)."""
    github = FakeGitHub(device_expires_in=1.0)
    with github.serve() as base:
        configure_copilot(home, base)
        cases = [
            ({"user_code": f"{ESCAPES}WDJB-MJHT"}, "without a user code that can be shown"),
            ({"verification_uri": f"javascript:alert(1){ESCAPES}"}, "without a verification URI"),
            ({"interval": math.inf}, "The device code expired before the login was authorized"),
        ]
        for overrides, words in cases:
            github.device_answer_overrides = overrides
            login = CliProcess(home, "auth", "login", "github-copilot", "--no-browser")
            started = time.monotonic()
            assert login.finish(timeout=30) == 1
            assert time.monotonic() - started < 30, "bounded by the code's expiry, not by the interval"
            assert "\x1b" not in login.stdout and "pwned" not in login.stdout
            errors = [line for line in login.stderr_text.splitlines() if line.startswith(ERROR_PREFIX)]
            one_error("\n".join(errors), words)
            others = [line for line in login.stderr_text.splitlines() if not line.startswith(ERROR_PREFIX)]
            assert others[0].startswith("GitHub may treat clients other than its own as unsupported"), others
            assert others[1:] in ([], ["Waiting for you to authorize this device…"]), others
    assert store_rows(home) == []


def test_the_browser_gets_no_secret_from_the_environment(
    cli: CliRunner, home: Path, tmp_path: Path, postgres: Cluster
) -> None:
    """L3: the browser started by `auth login` (a stand-in that records its environment), here
    for a login into a team store, whose URL (with a password) and passphrase are secrets too.
    (CODE_MESH_KEY_FILE, the other team key, cannot be set beside the passphrase; the browser's
    filter names it among the variables it removes.)"""
    from servers.authlib_server import PUBLIC_CLIENT_ID, make_authorization_server

    stand_in = tmp_path / "browser"
    script = Path(__file__).resolve().parents[1] / "browser_stand_in.py"
    stand_in.write_text(f'#!/bin/sh\nexec {sys.executable} {script} "$@"\n')
    stand_in.chmod(0o755)
    secrets = {
        "CODE_MESH_PASSPHRASE": "passphrase-not-for-browsers",
        "CODE_MESH_DATABASE_URL": postgres.url(postgres.database(), password="db-password-9"),
        "ANTHROPIC_API_KEY": "sk-ant-not-for-browsers",
        "OPENAI_API_KEY": "sk-openai-not-for-browsers",
        "GH_TOKEN": "gho-not-for-browsers",
        "MY_SERVICE_SECRET": "service-secret-not-for-browsers",
    }
    seen = tmp_path / "browser-environment.json"
    env = {
        **secrets,
        "DISPLAY": ":0",
        "BROWSER": str(stand_in),
        "CODE_MESH_TEST_BROWSER_LOG": str(tmp_path / "browser.log"),
        "CODE_MESH_TEST_BROWSER_ENVIRONMENT": str(seen),
    }
    server = make_authorization_server()
    with server.serve() as base:
        write_config(
            home,
            f'[providers.my-idp]\nauthorize_url = "{base}/authorize"\ntoken_url = "{base}/token"\n'
            f'client_id = "{PUBLIC_CLIENT_ID}"\nscopes = ["openid", "offline_access"]\n',
        )
        assert cli("store", "migrate", env=env).returncode == 0
        login = cli("auth", "login", "my-idp", "--method", "oauth", env=env)
        assert login.returncode == 0, login.stderr
    environment = json.loads(seen.read_text())
    assert environment["DISPLAY"] == ":0", "the browser still gets what it needs"
    assert not set(secrets) & set(environment)
    from code_mesh.adapters.terminal.browser import is_secret_variable

    assert is_secret_variable("CODE_MESH_KEY_FILE")
    assert not any(value in json.dumps(environment) for value in secrets.values())
    # The CLI itself kept them: the store was made with the passphrase, which it still needs.
    team = {name: secrets[name] for name in ("CODE_MESH_PASSPHRASE", "CODE_MESH_DATABASE_URL")}
    token = cli("auth", "token", "my-idp", env=team)
    assert token.returncode == 0 and token.stdout.strip() == server.issued_tokens[-1].access_token
