"""Files and secrets that arrive broken (issue 9: L4, L5, R2, T2, the small findings; issue 11:
a key, token or code is one line). Each case through the installed CLI: the exact exit code
and line, the secret in no output, and nothing stored changed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from cli_checks import assert_one_error_line
from cli_process import write_config
from code_mesh.adapters.crypto.aes_gcm import associated_data, seal
from code_mesh.adapters.crypto.key_list import parse_key_list
from conftest import CliRunner, clean_environment
from servers.fake_github import COPILOT_TOKEN_PATH, FakeGitHub
from store_reader import sealed_rows, store_dump, store_rows

KEY = "sk-secret-5d1e9a"
PIPE_KEY = 'Give the key alone: `printf %s "$KEY" | code-mesh auth login openai --with-key`.'
NOT_IMPORTED = "Fix the file and import it again; nothing was imported."


def outputs(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


@pytest.fixture
def stored(cli: CliRunner, home: Path) -> list[str]:
    """A store holding one key; the SQL dump of it, to show that nothing changed."""
    assert cli("auth", "login", "openai", "--with-key", input=KEY).returncode == 0
    return store_dump(home)


# -- a key, token or code is one line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (f"{KEY}\nsk-second\n", "holds a line break (it must be one line)"),
        (f"{KEY}\r{KEY}", "holds a line break (it must be one line)"),
        (f"{KEY}\x00x", "holds a control or invisible character"),
        (f"{KEY}\x1b[2J", "holds a control or invisible character"),
    ],
)
def test_a_key_that_is_not_one_line_is_refused_before_a_store_exists(
    cli: CliRunner, home: Path, key: str, problem: str
) -> None:
    result = cli("auth", "login", "openai", "--with-key", input=key)
    line = assert_one_error_line(result, 1)
    assert line == f"code-mesh: error: The API key {problem}; nothing was stored. {PIPE_KEY}"
    assert KEY not in outputs(result)
    assert not (home / "auth.db").exists()


def test_a_key_read_as_one_line_off_a_terminal_is_checked_too(cli: CliRunner, home: Path) -> None:
    result = cli("auth", "login", "openai", input=f"{KEY}\x07\n")
    assert_one_error_line(result, 1)
    assert "The API key holds a control or invisible character; nothing was stored" in result.stderr
    assert KEY not in outputs(result) and not (home / "auth.db").exists()


def test_surrounding_whitespace_is_trimmed(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=f"  {KEY} \r\n\n").returncode == 0
    assert cli("auth", "token", "openai").stdout == f"{KEY}\n"
    assert [row["api_key"] for row in store_rows(home)] == [KEY]


def test_a_key_typed_at_the_hidden_prompt_is_checked(home: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "code_mesh", "auth", "login", "openai", "--method", "api-key"],
        env=clean_environment(home),
        encoding="utf-8",
        timeout=30,
    )
    child.expect_exact("(input hidden): ")
    child.sendline(f"{KEY}\x01")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "The API key holds a control or invisible character; nothing was stored" in child.before
    assert KEY not in child.before
    assert store_rows(home) == []


def test_a_key_of_more_than_64_kib_is_refused_and_dev_zero_ends_at_once(cli: CliRunner, home: Path) -> None:
    big = cli("auth", "login", "openai", "--with-key", input="k" * (50 * 1024 * 1024))
    assert assert_one_error_line(big, 1) == (
        "code-mesh: error: The API key read from standard input is longer than 64 KiB; nothing was "
        'stored. Pipe in the key alone: `printf %s "$KEY" | code-mesh auth login openai --with-key`.'
    )
    with open("/dev/zero") as zeros:
        endless = subprocess.run(
            [sys.executable, "-m", "code_mesh", "auth", "login", "openai", "--with-key"],
            stdin=zeros,
            capture_output=True,
            text=True,
            env=clean_environment(home),
            timeout=60,
        )
    assert_one_error_line(endless, 1)
    assert "is longer than 64 KiB" in endless.stderr
    assert not (home / "auth.db").exists()


def _plant_sealed(home: Path, provider: str, column: str, plaintext: str) -> None:
    """What an older version stored: a value that no longer passes the gate, sealed properly."""
    key_id, key = parse_key_list((home / "key").read_text())[0]
    sealed = seal(key, key_id, plaintext, associated_data(provider, "default", column))
    connection = sqlite3.connect(home / "auth.db")
    with connection:
        connection.execute(f"UPDATE credentials SET {column} = ? WHERE provider = ?", (sealed, provider))
    connection.close()


def test_auth_token_refuses_to_print_a_stored_value_that_is_not_one_line(
    cli: CliRunner, home: Path, stored: list[str]
) -> None:
    for value, problem in (
        (f"{KEY}\nsk-b", "holds a line break (it must be one line)"),
        (f"{KEY}\x00", "holds a control or invisible character"),
        (f" {KEY}\t{KEY}", "holds a control or invisible character"),
    ):
        _plant_sealed(home, "openai", "api_key", value)
        result = cli("auth", "token", "openai")
        assert result.stdout == "", value
        assert assert_one_error_line(result, 1) == (
            f"code-mesh: error: The stored credential for openai (account default) {problem}, so it "
            "cannot be used. Log in again: `code-mesh auth login openai`."
        )
        assert KEY not in outputs(result)


def test_auth_token_refuses_an_empty_custom_token(cli: CliRunner, home: Path, stored: list[str]) -> None:
    """An older version stored `{"token": ""}` and `auth token` printed an empty line, exit 0."""
    assert _import(cli, {"credentials": {"corp": {"type": "custom", "data": {"token": "t"}}}}).returncode == 0
    _plant_sealed(home, "corp", "custom_data", json.dumps({"token": ""}))
    result = cli("auth", "token", "corp")
    assert result.stdout == ""
    assert assert_one_error_line(result, 1) == (
        "code-mesh: error: The field 'token' of the custom credential for corp is empty, and `auth token` "
        "prints one line. Use `code-mesh auth export --output -` to read it."
    )


def test_auth_token_refuses_a_variable_that_is_not_one_line_and_trims_one_that_is(cli: CliRunner) -> None:
    refused = cli("auth", "token", "openai", env={"OPENAI_API_KEY": f"{KEY}\nsk-b"})
    assert refused.stdout == ""
    assert assert_one_error_line(refused, 1) == (
        "code-mesh: error: OPENAI_API_KEY holds a line break, a control character or a non-ASCII "
        "character inside the key, so it was not used. Set OPENAI_API_KEY to the key alone (check the "
        "file it was read from), or unset it."
    )
    assert KEY not in outputs(refused)
    trimmed = cli("auth", "token", "openai", env={"OPENAI_API_KEY": f"{KEY}\r"})
    assert (trimmed.returncode, trimmed.stdout, trimmed.stderr) == (0, f"{KEY}\n", "")


def _import(cli: CliRunner, document: object) -> subprocess.CompletedProcess[str]:
    return cli("auth", "import", "-", input=document if isinstance(document, str) else json.dumps(document))


def test_custom_data_may_span_lines_except_the_field_auth_token_prints(
    cli: CliRunner, home: Path, stored: list[str]
) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n"
    refused = _import(cli, {"credentials": {"corp": {"type": "custom", "data": {"token": f"{KEY}\nx"}}}})
    assert assert_one_error_line(refused, 1) == (
        "code-mesh: error: standard input: auth.json entry 'corp': the custom field 'token' holds a "
        f"line break (it must be one line). {NOT_IMPORTED}"
    )
    assert KEY not in outputs(refused) and store_dump(home) == stored
    taken = _import(cli, {"credentials": {"corp": {"type": "custom", "data": {"token": KEY, "pem": pem}}}})
    assert taken.returncode == 0, taken.stderr
    assert cli("auth", "token", "corp").stdout == f"{KEY}\n"


# -- auth.json: what cannot be read is one line, and nothing changes --------------------------


UNSTORABLE = [
    (
        '{"credentials": {"x": {"type": "oauth", "access_token": "a", "expires_at": ' + "9" * 5000 + "}}}",
        "auth.json holds a number too long to read",
    ),
    (
        json.dumps({"credentials": {"x": {"type": "oauth", "access_token": KEY, "expires_at": 2**63}}}),
        "auth.json entry 'x': expires_at is out of range (it must be Unix seconds)",
    ),
    (
        '{"credentials": {"x": {"type": "api_key", "key": "' + KEY + '\\ud800"}}}',
        "auth.json entry 'x': the API key is not valid text (it holds a lone surrogate)",
    ),
    (
        json.dumps({"credentials": {"x": {"type": "api_key", "key": "k" * (64 * 1024 + 1)}}}),
        "auth.json entry 'x': the API key is longer than 64 KiB",
    ),
    (
        json.dumps({"credentials": {"x": {"type": "custom", "data": {"\x1b]0;pwned\x07": KEY}}}}),
        "auth.json entry 'x': a field name of the custom data holds a line break, a control or an "
        "invisible character",
    ),
]
"""(document, what the line says): issue 9's T2 imports, one printable line each."""


def test_an_entry_that_cannot_be_stored_is_one_line_and_imports_nothing(
    cli: CliRunner, home: Path, stored: list[str]
) -> None:
    for text, problem in UNSTORABLE:
        result = _import(cli, text)
        assert (
            assert_one_error_line(result, 1) == f"code-mesh: error: standard input: {problem}. {NOT_IMPORTED}"
        )
        assert KEY not in outputs(result) and "\x1b" not in outputs(result)
    assert store_dump(home) == stored


def test_an_auth_json_over_64_mib_is_refused_without_reading_it_all(
    cli: CliRunner, home: Path, stored: list[str], tmp_path: Path
) -> None:
    sparse = tmp_path / "sparse.json"
    with open(sparse, "wb") as handle:
        handle.truncate(2 * 1024**3)
    for source, name in ((str(sparse), str(sparse)), ("/dev/zero", "/dev/zero")):
        result = cli("auth", "import", source)
        assert assert_one_error_line(result, 1) == (
            f"code-mesh: error: {name} is larger than 64 MiB; nothing was imported. "
            "Check that it is the file you mean."
        )
    with open("/dev/zero") as zeros:
        piped = subprocess.run(
            [sys.executable, "-m", "code_mesh", "auth", "import", "-"],
            stdin=zeros,
            capture_output=True,
            text=True,
            env=clean_environment(home),
            timeout=60,
        )
    assert_one_error_line(piped, 1)
    assert "standard input is larger than 64 MiB" in piped.stderr
    assert store_dump(home) == stored


def test_a_byte_order_mark_is_accepted_and_latin_1_is_named(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"credentials": {"openai": {"type": "api_key", "key": KEY}}}).encode()
    )
    assert cli("auth", "import", str(with_bom)).returncode == 0
    assert cli("auth", "token", "openai").stdout == f"{KEY}\n"
    before = store_dump(home)
    latin = tmp_path / "latin.json"
    content = b'{"credentials": {"x": {"type": "api_key", "key": "caf\xe9"}}}'
    latin.write_bytes(content)
    assert assert_one_error_line(cli("auth", "import", str(latin)), 1) == (
        f"code-mesh: error: {latin} is not UTF-8 text (byte 0xe9 at offset {content.index(0xE9)}); "
        "nothing was imported. Save it as UTF-8."
    )
    assert store_dump(home) == before
    write_config(home, "")
    (home / "config.toml").write_bytes(b'\xef\xbb\xbf[providers.my-idp]\nname = "My IdP"\n')
    assert cli("auth", "list").returncode == 0
    (home / "config.toml").write_bytes(b'[providers.my-idp]\nname = "Caf\xe9"\n')
    line = assert_one_error_line(cli("auth", "list"), 1)
    assert line.startswith(f"code-mesh: error: {home / 'config.toml'} is not UTF-8 text (byte 0xe9")


def test_a_config_name_with_an_escape_sequence_is_refused(cli: CliRunner, home: Path) -> None:
    write_config(home, '[providers.my-idp]\nname = "\\u001b]0;owned\\u0007My IdP"\n')
    result = cli("auth", "list")
    assert assert_one_error_line(result, 1) == (
        f"code-mesh: error: {home / 'config.toml'}, line 2: name holds a line break, a control or an "
        "invisible character. Fix config.toml and run the command again."
    )
    assert "\x1b" not in outputs(result)


# -- export: a FIFO or a device is written through; leftovers of killed writers --------------


def test_export_writes_through_a_fifo_a_device_and_a_stdout_link(
    cli: CliRunner, home: Path, stored: list[str], tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    through_fifo = cli("auth", "export", "--output", str(fifo))
    reader.join(timeout=60)
    assert through_fifo.returncode == 0, through_fifo.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["credentials"]["openai"]["key"] == KEY
    link = tmp_path / "my-stdout"
    link.symlink_to("/proc/self/fd/1")
    through_link = cli("auth", "export", "--output", str(link))
    assert through_link.returncode == 0, through_link.stderr
    assert json.loads(through_link.stdout)["credentials"]["openai"]["key"] == KEY
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    if os.getuid() == 0:  # a null device of the test's own, so that a bug cannot replace /dev/null
        null = tmp_path / "null"
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        assert cli("auth", "export", "--output", str(null)).returncode == 0
        assert stat.S_ISCHR(null.lstat().st_mode) and null.read_text() == ""
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_leftovers_of_killed_writers_are_removed_and_the_rest_reported(
    cli: CliRunner, home: Path, stored: list[str], tmp_path: Path
) -> None:
    dead = home / f".auth.json.{_dead_pid()}.abcd1234.tmp"
    alive = home / f".auth.json.{os.getpid()}.efgh5678.tmp"  # this test is alive: perhaps still writing
    old_style = home / ".auth.json.k2j4h6g8.tmp"  # what earlier versions wrote: no pid, cannot tell
    half_built = home / f".auth.db.new-{_dead_pid()}"
    for path in (dead, alive, old_style, half_built):
        path.write_text(json.dumps({"credentials": {"openai": {"type": "api_key", "key": KEY}}}))
        path.chmod(0o600)
    listing = cli("auth", "list")
    assert listing.returncode == 0
    warnings = [line for line in listing.stderr.splitlines() if "removed" in line]
    assert len(warnings) == 1 and str(dead) in warnings[0] and str(half_built) in warnings[0]
    assert not dead.exists() and not half_built.exists() and alive.exists() and old_style.exists()
    doctor = cli("auth", "doctor")
    assert doctor.returncode == 1
    (line,) = [line for line in doctor.stdout.splitlines() if " leftovers " in line]
    remaining = ", ".join(str(path) for path in sorted((old_style, alive)))
    assert line == (
        f"problem leftovers    temporary files that may hold secrets in the clear: {remaining} "
        "→ Delete them (`rm` each) unless a code-mesh export is running right now"
    )
    checks = json.loads(cli("auth", "doctor", "--json").stdout)["checks"]
    assert {"check": "leftovers", "level": "problem"}.items() <= next(
        c for c in checks if c["check"] == "leftovers"
    ).items()
    assert KEY not in outputs(doctor)
    elsewhere = tmp_path / "out.json"
    stray = tmp_path / f".out.json.{_dead_pid()}.zzzz9999.tmp"
    stray.write_text("{}")
    assert cli("auth", "export", "--output", str(elsewhere)).returncode == 0
    assert not stray.exists() and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# -- doctor -----------------------------------------------------------------------------------


def test_doctor_sums_up_a_damaged_page_in_one_line(cli: CliRunner, home: Path) -> None:
    entries = {f"openai:a{number}": {"type": "api_key", "key": "k" * 300} for number in range(30)}
    assert _import(cli, {"credentials": entries}).returncode == 0
    connection = sqlite3.connect(home / "auth.db")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    leaves = connection.execute(
        "SELECT pageno FROM dbstat WHERE name = 'credentials' AND pagetype = 'leaf' ORDER BY pageno LIMIT 4"
    ).fetchall()
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    damaged = home / "auth.db"
    with open(damaged, "r+b") as handle:  # the cell pointers of the table's leaf pages
        for (page,) in leaves:
            handle.seek((page - 1) * page_size + 8)
            handle.write(b"\x00\x07" * 40)
    result = cli("auth", "doctor")
    assert result.returncode == 1
    (integrity,) = [line for line in result.stdout.splitlines() if " integrity " in line]
    assert integrity.startswith("problem integrity    PRAGMA integrity_check: ")
    assert " more) → Restore auth.db from an `auth export` backup" in integrity
    assert len(result.stdout.splitlines()) <= 8


def test_doctor_reports_an_auth_db_that_is_not_sqlite(cli: CliRunner, home: Path) -> None:
    home.mkdir(mode=0o700)
    garbage = os.urandom(4096)
    (home / "auth.db").write_bytes(garbage)
    (home / "auth.db").chmod(0o600)
    text = cli("auth", "doctor")
    assert text.returncode == 1
    assert (
        f"problem integrity    PRAGMA integrity_check: {home / 'auth.db'} is not an SQLite database"
        in text.stdout
    )
    assert (
        f"problem store        The store {home / 'auth.db'} cannot be read (file is not a database)"
        in text.stdout
    )
    as_json = cli("auth", "doctor", "--json")
    assert as_json.returncode == 1
    levels = {check["check"]: check["level"] for check in json.loads(as_json.stdout)["checks"]}
    assert levels["integrity"] == "problem" and levels["store"] == "problem"
    assert (home / "auth.db").read_bytes() == garbage


# -- a full disk is said to be one --------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs, unmounted at the end."""
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("no tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path, leave: int = 0) -> None:
    """Fill the disk up, then give back `leave` bytes."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    with open(filler, "r+b") as handle:
        handle.truncate(max(0, filler.stat().st_size - leave))


FULL = "code-mesh: error: The disk is full: "
FREE_SPACE = "Free some space and run the command again."


def test_a_full_disk_is_said_to_be_full_and_changes_nothing(cli: CliRunner, small_disk: Path) -> None:
    home = small_disk / "home"
    assert cli("auth", "login", "openai", "--with-key", input=KEY, home_override=home).returncode == 0
    before = store_dump(home)
    fill(small_disk)
    for arguments, stdin in (
        (("auth", "login", "openai", "--account", "b", "--with-key"), "sk-other"),
        (("auth", "import", "-"), json.dumps({"credentials": {"x": {"type": "api_key", "key": "k"}}})),
        (("auth", "export"), ""),
        (("auth", "export", "--output", str(small_disk / "out.json")), ""),
    ):
        result = cli(*arguments, input=stdin, home_override=home)
        line = assert_one_error_line(result, 1)
        assert line.startswith(FULL), line
        assert "aside" not in line and "restore" not in line
    (small_disk / "filler").unlink()
    assert store_dump(home) == before
    assert sorted(p.name for p in home.iterdir()) == ["auth.db", "key", "locks"]


def test_first_use_on_a_full_disk_names_auth_json_and_auth_db(cli: CliRunner, small_disk: Path) -> None:
    home = small_disk / "home"
    home.mkdir(mode=0o700)
    document = json.dumps(
        {"credentials": {f"p{n}": {"type": "api_key", "key": "k" * 2000} for n in range(40)}}
    )
    (home / "auth.json").write_text(document)
    (home / "auth.json").chmod(0o600)
    fill(small_disk)
    result = cli("auth", "list", home_override=home)
    assert assert_one_error_line(result, 1) == (
        f"{FULL}the store {home / 'auth.db'} could not be created from {home / 'auth.json'} (left "
        f"untouched); nothing was changed. {FREE_SPACE}"
    )
    assert ".new-" not in result.stderr and not (home / "auth.db").exists()
    assert (home / "auth.json").read_text() == document


def test_first_use_with_little_space_is_whole_or_not_at_all(cli: CliRunner, small_disk: Path) -> None:
    """The new store was renamed into place without its -wal file: when a full disk stopped the
    checkpoint, a damaged auth.db took the place of the auth.json's credentials. Each amount of
    free space must give either every credential or a full-disk line and no store."""
    home = small_disk / "home"
    document = json.dumps(
        {"credentials": {f"p{n}": {"type": "api_key", "key": "k" * 1000} for n in range(100)}}
    )
    outcomes = []
    for free_kib in range(405, 556, 25):  # around 490 KiB, what 100 such entries need on a 2 MiB disk
        for path in (*home.glob("*"), *home.glob(".*"), small_disk / "filler"):
            path.unlink() if path.is_file() else None
        home.mkdir(mode=0o700, exist_ok=True)
        (home / "auth.json").write_text(document)
        (home / "auth.json").chmod(0o600)
        fill(small_disk, leave=free_kib * 1024)
        result = cli("auth", "list", home_override=home)
        (small_disk / "filler").unlink()
        if result.returncode == 0:
            assert len(store_rows(home)) == 100, free_kib
            outcomes.append("whole")
        else:
            assert result.stderr.strip().splitlines()[-1].startswith(FULL), (free_kib, result.stderr)
            assert not (home / "auth.db").exists(), free_kib
            outcomes.append("none")
    assert "whole" in outcomes and "none" in outcomes  # the sweep crossed the threshold


def test_a_locks_path_that_is_a_file_is_one_line(cli: CliRunner, home: Path) -> None:
    document = {
        "credentials": {
            "my-idp": {"type": "oauth", "access_token": KEY, "refresh_token": "rt-1", "expires_at": 1}
        }
    }
    write_config(home, '[providers.my-idp]\ntoken_url = "http://127.0.0.1:9/token"\nclient_id = "c"\n')
    assert _import(cli, document).returncode == 0
    before = sealed_rows(home)
    shutil.rmtree(home / "locks")
    (home / "locks").write_text("not a directory")
    (home / "locks").chmod(0o600)
    for arguments in (("auth", "refresh", "my-idp"), ("auth", "token", "my-idp")):
        result = cli(*arguments)
        assert assert_one_error_line(result, 1) == (
            f"code-mesh: error: {home / 'locks'} is not a directory, so code-mesh cannot take its locks; "
            f"nothing was changed. Move {home / 'locks'} aside (code-mesh makes a new one) and run the "
            "command again."
        )
        assert KEY not in outputs(result)
    assert sealed_rows(home) == before


# -- the small things -------------------------------------------------------------------------


def test_a_past_expiry_reads_expired_ago(cli: CliRunner, home: Path) -> None:
    """A server whose clock is two days behind hands out a Copilot token that is already past."""
    behind = FakeGitHub(clock=lambda: time.time() - 2 * 86_400)
    behind.github_tokens.append("gho_known")
    with behind.serve() as base:
        write_config(home, f'[providers.github-copilot]\ncopilot_token_url = "{base}{COPILOT_TOKEN_PATH}"\n')
        entry = {"type": "oauth", "access_token": "old", "refresh_token": "gho_known", "expires_at": 1}
        assert _import(cli, {"credentials": {"github-copilot": entry}}).returncode == 0
        result = cli("auth", "refresh", "github-copilot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("; expired 1d 23h ago.")
    assert "-1d" not in result.stdout


def test_list_shows_two_units_rounded_down(cli: CliRunner) -> None:
    expires_at = int(time.time()) + 2 * 3600 + 13 * 60 + 50
    entry = {"type": "oauth", "access_token": KEY, "expires_at": expires_at}
    assert _import(cli, {"credentials": {"anthropic": entry}}).returncode == 0
    assert "authenticated, 2h 13m left" in cli("auth", "list").stdout


def test_code_mesh_debug_off_words_turn_it_off(cli: CliRunner, stored: list[str]) -> None:
    listing = cli("auth", "list", env={"CODE_MESH_DEBUG": "0"})
    assert listing.returncode == 0 and listing.stderr == ""
    for value in ("0", "", "false", "No", "off"):
        token = cli("auth", "token", "openai", env={"CODE_MESH_DEBUG": value})
        assert (token.returncode, token.stdout, token.stderr) == (0, f"{KEY}\n", ""), value


def test_code_mesh_debug_on_and_unknown_words(cli: CliRunner, stored: list[str]) -> None:
    on = cli("auth", "list", env={"CODE_MESH_DEBUG": "yes"})
    assert "code-mesh debug:" in on.stderr
    unknown = cli("auth", "token", "openai", env={"CODE_MESH_DEBUG": "verbose"})
    assert unknown.returncode == 0 and unknown.stdout == f"{KEY}\n"
    assert unknown.stderr == (
        "code-mesh: warning: CODE_MESH_DEBUG is set to a value code-mesh does not understand, so debug "
        "output is off; set it to 1 (on) or 0 (off)\n"
    )


def test_export_then_import_keeps_the_order_in_which_accounts_become_active(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    for account in ("a", "b", "c"):
        login = cli("auth", "login", "openai", "--account", account, "--with-key", input=f"sk-{account}")
        assert login.returncode == 0
    assert cli("auth", "switch", "openai", "a").returncode == 0  # most recent first: a, c, b
    exported = tmp_path / "auth.json"
    assert cli("auth", "export", "--output", str(exported)).returncode == 0
    assert list(json.loads(exported.read_text())["credentials"]) == ["openai", "openai:c", "openai:b"]
    assert cli("auth", "logout", "--all", "--yes").returncode == 0
    assert cli("auth", "import", str(exported)).returncode == 0
    successors = []
    for _ in range(2):
        logout = cli("auth", "logout", "openai", "--yes")
        assert logout.returncode == 0, logout.stderr
        successors.append(logout.stdout.splitlines()[-1].strip())
    assert successors == ["openai: account c is active now.", "openai: account b is active now."]
