"""Secrets at rest (SPEC section 8): every key source, tampering, lost keys, the 0001 upgrade,
rotation under SIGKILL, and `auth doctor`."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from code_mesh.adapters.store.schema_migrator import MIGRATIONS_PACKAGE
from code_mesh.adapters.store.sqlite_engine import make_engine
from conftest import CliRunner, clean_environment, command_line
from store_reader import decrypted_rows

TESTS = Path(__file__).resolve().parents[1]
KEYFILE_NOTICE = "No OS keychain is available here"


def dump(home: Path) -> list[str]:
    connection = sqlite3.connect(home / "auth.db")
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def raw_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.glob("auth.db*"))


def test_key_file_round_trip_and_nothing_in_the_clear(cli: CliRunner, home: Path) -> None:
    first = cli("auth", "login", "openai", "--with-key", input="sk-at-rest-1a2b")
    assert first.returncode == 0 and KEYFILE_NOTICE in first.stderr
    assert (home / "key").stat().st_mode & 0o777 == 0o600
    assert cli("auth", "token", "openai").stdout == "sk-at-rest-1a2b\n"
    assert b"sk-at-rest-1a2b" not in raw_bytes(home)
    assert not any("sk-at-rest-1a2b" in line for line in dump(home))
    second = cli("auth", "login", "my-llm", "--with-key", input="sk-other")
    assert KEYFILE_NOTICE not in second.stderr, "the fallback is announced once"
    listed = json.loads(cli("auth", "list", "--json").stdout)
    assert listed["protection"] == f"AES-256-GCM, key in {home / 'key'} (no OS keychain)"


def test_passphrase_round_trip_and_wrong_passphrase(cli: CliRunner, home: Path) -> None:
    env = {"CODE_MESH_PASSPHRASE": "correct horse battery staple"}
    assert cli("auth", "login", "openai", "--with-key", input="sk-pass-9", env=env).returncode == 0
    assert not (home / "key").exists()
    assert cli("auth", "token", "openai", env=env).stdout == "sk-pass-9\n"
    before = dump(home)
    wrong = cli("auth", "token", "openai", env={"CODE_MESH_PASSPHRASE": "wrong"})
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "CODE_MESH_PASSPHRASE does not match this store's passphrase" in wrong.stderr
    missing = cli("auth", "token", "openai")
    assert missing.returncode == 1 and "CODE_MESH_PASSPHRASE" in missing.stderr
    assert dump(home) == before
    assert "scrypt" in json.loads(cli("auth", "list", "--json", env=env).stdout)["protection"]


def test_keychain_round_trip(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    keychain = tmp_path / "keychain.json"
    env = {
        "PYTHON_KEYRING_BACKEND": "keyring_backend.FileKeyring",
        "PYTHONPATH": str(TESTS),
        "CODE_MESH_TEST_KEYRING": str(keychain),
    }
    login = cli("auth", "login", "openai", "--with-key", input="sk-keychain-4", env=env)
    assert login.returncode == 0 and KEYFILE_NOTICE not in login.stderr
    assert not (home / "key").exists() and "code-mesh" in keychain.read_text()
    assert cli("auth", "token", "openai", env=env).stdout == "sk-keychain-4\n"
    assert "OS keychain" in json.loads(cli("auth", "list", "--json", env=env).stdout)["protection"]
    keychain.write_text("{}")
    lost = cli("auth", "token", "openai", env=env)
    assert lost.returncode == 1 and "OS keychain has no code-mesh key" in lost.stderr


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "alpha", "--with-key", input="sk-alpha-secret").returncode == 0
    assert cli("auth", "login", "beta", "--with-key", input="sk-beta-secret").returncode == 0
    connection = sqlite3.connect(home / "auth.db")
    alpha = connection.execute("SELECT api_key FROM credentials WHERE provider = 'alpha'").fetchone()[0]
    connection.execute("UPDATE credentials SET api_key = ? WHERE provider = 'beta'", (alpha,))
    connection.commit()
    connection.close()
    result = cli("auth", "token", "beta")
    assert result.returncode == 1
    assert "does not decrypt" in result.stderr and "sk-alpha-secret" not in result.stdout + result.stderr
    assert cli("auth", "token", "alpha").stdout == "sk-alpha-secret\n"
    doctor = cli("auth", "doctor")
    assert doctor.returncode == 1 and "beta:default" in doctor.stdout and "problem" in doctor.stdout


def test_a_missing_key_file_is_named_and_nothing_is_deleted(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-lost-key").returncode == 0
    (home / "key").rename(tmp_path / "key.saved")
    before = dump(home)
    for arguments in (
        ("auth", "token", "openai"),
        ("auth", "export", "--output", "-"),
        ("auth", "key", "rotate"),
    ):
        result = cli(*arguments)
        assert result.returncode == 1, arguments
        assert str(home / "key") in result.stderr and "Traceback" not in result.stderr
    assert not (home / "key").exists(), "no new key is made while sealed secrets exist"
    login = cli("auth", "login", "anthropic", "--with-key", input="sk-new")
    assert login.returncode == 1 and str(home / "key") in login.stderr
    assert dump(home) == before
    assert cli("auth", "list").returncode == 0, "listing never needs the key"
    (tmp_path / "key.saved").rename(home / "key")
    assert cli("auth", "token", "openai").stdout == "sk-lost-key\n"


def make_foundation_store(home: Path, rows: list[tuple[str, str, str]]) -> None:
    """A store as the foundation (schema 0001) left it: secrets in the clear."""
    home.mkdir(mode=0o700, parents=True)
    database = home / "auth.db"
    database.touch(mode=0o600)
    engine = make_engine(database)
    from importlib.resources import files

    with engine.connect() as connection:
        config = Config()
        config.set_main_option("script_location", str(files(MIGRATIONS_PACKAGE)))
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    connection = sqlite3.connect(database)
    connection.executemany(
        "INSERT INTO credentials (provider, account, type, api_key, access_token, refresh_token, expires_at,"
        " needs_login, activation, created_at, updated_at) VALUES (?, 'default', ?, ?, ?, ?, ?, 0, 1, 0, 0)",
        [
            (provider, kind, secret if kind == "api_key" else None, secret if kind == "oauth" else None,
             "rt-" + secret if kind == "oauth" else None, 4102444800 if kind == "oauth" else None)
            for provider, kind, secret in rows
        ],
    )  # fmt: skip
    connection.commit()
    connection.close()


def test_a_foundation_store_is_upgraded_in_place(cli: CliRunner, home: Path) -> None:
    make_foundation_store(
        home, [("openai", "api_key", "sk-plain-openai"), ("anthropic", "oauth", "at-plain-anthropic")]
    )
    assert b"sk-plain-openai" in raw_bytes(home)
    assert cli("auth", "token", "openai").stdout == "sk-plain-openai\n"
    assert cli("auth", "token", "anthropic").stdout == "at-plain-anthropic\n"
    connection = sqlite3.connect(home / "auth.db")
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
    connection.execute("VACUUM")  # drop freed pages that may still hold the old plaintext
    connection.close()
    assert b"sk-plain-openai" not in raw_bytes(home) and b"at-plain-anthropic" not in raw_bytes(home)
    rows = {row["provider"]: row for row in decrypted_rows(home)}
    assert rows["anthropic"]["refresh_token"] == "rt-at-plain-anthropic"


@pytest.mark.slow
def test_rotation_killed_at_any_moment_leaves_old_or_new(cli: CliRunner, home: Path) -> None:
    document = json.dumps(
        {"credentials": {f"p-{n:04d}": {"type": "api_key", "key": f"sk-rot-{n:04d}"} for n in range(2000)}}
    )
    assert cli("auth", "import", "-", input=document).returncode == 0
    started = time.perf_counter()
    assert cli("auth", "key", "rotate").returncode == 0
    duration = time.perf_counter() - started
    kills = 0
    for attempt in range(10):
        process = subprocess.Popen(
            command_line("auth", "key", "rotate"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=clean_environment(home),
        )  # fmt: skip
        try:
            process.wait(timeout=duration * (attempt + 0.5) / 10)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        connection = sqlite3.connect(home / "auth.db")
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        key_ids = {row[0].split(":")[1] for row in connection.execute("SELECT api_key FROM credentials")}
        connection.close()
        assert len(key_ids) == 1, f"attempt {attempt}: rows under {len(key_ids)} keys"
        rows = decrypted_rows(home)  # every row opens with a key the key file still holds
        assert len(rows) == 2000 and rows[7]["api_key"] == "sk-rot-0007"
    assert kills >= 1
    assert cli("auth", "token", "p-1999").stdout == "sk-rot-1999\n"


def test_doctor_reports_each_problem(cli: CliRunner, home: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input="sk-doctor").returncode == 0
    healthy = cli("auth", "doctor", "--json")
    assert healthy.returncode == 0
    levels = {c["check"]: c["level"] for c in json.loads(healthy.stdout)["checks"]}
    assert levels == dict.fromkeys(
        ("config", "permissions", "integrity", "schema", "leftovers", "key", "credentials", "environment"),
        "ok",
    )

    (home / "auth.db").chmod(0o644)
    loose = cli("auth", "doctor")
    assert loose.returncode == 1 and "problem permissions" in " ".join(loose.stdout.split())

    shadowed = cli("auth", "doctor", env={"OPENAI_API_KEY": "sk-env"})
    assert "warning environment OPENAI_API_KEY overrides openai" in " ".join(shadowed.stdout.split())

    document = '{"credentials": {"stale": {"type": "oauth", "access_token": "a", "expires_at": 1000}}}'
    assert cli("auth", "import", "-", input=document).returncode == 0
    stale = cli("auth", "doctor")
    assert (
        stale.returncode == 0
        and "warning credentials not usable: stale:default (needs-login)" in " ".join(stale.stdout.split())
    )

    (home / "key").rename(home.parent / "key.away")
    keyless = cli("auth", "doctor")
    assert keyless.returncode == 1 and "problem key" in " ".join(keyless.stdout.split())
    assert str(home / "key") in keyless.stdout
    (home.parent / "key.away").rename(home / "key")

    connection = sqlite3.connect(home / "auth.db")
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    newer = cli("auth", "doctor")
    assert newer.returncode == 1
    # A store that does not open still gets its file checks, and the reason as a problem.
    assert "problem schema       schema revision 9999, this code-mesh expects" in newer.stdout
    assert "problem store        The store" in newer.stdout and "newer code-mesh" in newer.stdout


def test_doctor_reports_a_damaged_store(cli: CliRunner, home: Path) -> None:
    document = json.dumps(
        {"credentials": {f"p{n:03d}": {"type": "api_key", "key": f"k{n}"} for n in range(300)}}
    )
    assert cli("auth", "import", "-", input=document).returncode == 0
    connection = sqlite3.connect(home / "auth.db")
    root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'credentials_active'"
    ).fetchone()[0]
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with (home / "auth.db").open("r+b") as database:  # damage the index, not the header
        database.seek((root - 1) * page_size + 8)
        database.write(b"\x00" * 64)
    doctor = cli("auth", "doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    assert "problem integrity" in " ".join(doctor.stdout.split())
