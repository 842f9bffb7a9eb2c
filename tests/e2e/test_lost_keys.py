"""When the key is missing, wrong or out of reach (SPEC sections 2 and 8; issue 9 D3, L6, T1, R4;
issue 11's lost key file): nothing is sealed with a key the store does not record, deleting
never needs the key, `locked` is shown where cheap to tell, and every message is one line
with the ways out."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from conftest import CliRunner
from store_reader import decrypted_rows, sealed_rows, store_key_id

TESTS = Path(__file__).resolve().parents[1]
PASSPHRASE = "correct horse battery staple"
START_OVER = "`code-mesh auth logout --all --yes`"


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("code-mesh: error: "), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    return lines[0]


def meta(home: Path) -> dict[str, str]:
    connection = sqlite3.connect(home / "auth.db")
    try:
        return dict(connection.execute("SELECT name, value FROM store_meta").fetchall())
    finally:
        connection.close()


def statuses(run: CliRunner, env: dict[str, str] | None = None) -> dict[str, str]:
    listed = run("auth", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return {
        f"{row['provider']}:{row['account']}": row["status"]
        for row in json.loads(listed.stdout)["credentials"]
        if row["source"] == "store"
    }


def test_d3_a_mistyped_passphrase_seals_nothing(run: CliRunner, home: Path) -> None:
    env = {"CODE_MESH_PASSPHRASE": PASSPHRASE}
    assert run("auth", "login", "openai", "--with-key", input="sk-right", env=env).returncode == 0
    before, salts = sealed_rows(home), meta(home)["passphrase_salts"]
    typo = {"CODE_MESH_PASSPHRASE": PASSPHRASE.replace("horse", "hoarse")}
    for arguments, stdin in (
        (("auth", "login", "anthropic", "--with-key"), "sk-typo"),
        (("auth", "import", "-"), '{"credentials": {"xai": {"type": "api_key", "key": "xai-typo"}}}'),
        (("auth", "key", "rotate"), ""),
        (("auth", "token", "openai"), ""),
    ):
        result = run(*arguments, input=stdin, env=typo)
        assert result.returncode == 1, arguments
        line = one_line(result.stderr)
        assert "CODE_MESH_PASSPHRASE does not match this store's passphrase" in line and START_OVER in line
        assert "hoarse" not in result.stdout + result.stderr and result.stdout == ""
    assert sealed_rows(home) == before and meta(home)["passphrase_salts"] == salts
    assert run("auth", "token", "openai", env=env).stdout == "sk-right\n"


def test_l6_the_protection_is_decided_by_the_first_key(run: CliRunner, home: Path) -> None:
    """`auth list` made the store, empty; the first login with a passphrase gets passphrase protection."""
    assert run("auth", "list").returncode == 0 and (home / "auth.db").exists()
    env = {"CODE_MESH_PASSPHRASE": PASSPHRASE}
    assert run("auth", "login", "openai", "--with-key", input="sk-pass", env=env).returncode == 0
    assert not (home / "key").exists() and meta(home)["protection"] == "passphrase"
    assert run("auth", "token", "openai", env=env).stdout == "sk-pass\n"
    without = run("auth", "token", "openai")
    assert without.returncode == 1 and "CODE_MESH_PASSPHRASE is not set" in one_line(without.stderr)
    assert without.stdout == ""


def test_l6_a_passphrase_on_a_key_file_store_is_refused(run: CliRunner, home: Path) -> None:
    assert run("auth", "login", "openai", "--with-key", input="sk-file").returncode == 0
    before = sealed_rows(home)
    env = {"CODE_MESH_PASSPHRASE": PASSPHRASE}
    for arguments, stdin in (
        (("auth", "login", "xai", "--with-key"), "xai-k"),
        (("auth", "token", "openai"), ""),
    ):
        result = run(*arguments, input=stdin, env=env)
        assert result.returncode == 1 and result.stdout == "", arguments  # the fast path hands over
        line = one_line(result.stderr)
        assert f"sealed with the key in the key file {home / 'key'}, not with a passphrase" in line
        assert "Unset CODE_MESH_PASSPHRASE" in line
    assert sealed_rows(home) == before
    assert run("auth", "token", "openai").stdout == "sk-file\n"


def test_t1_a_passphrase_that_is_not_text_and_damaged_salts(run: CliRunner, home: Path) -> None:
    env = {"CODE_MESH_PASSPHRASE": PASSPHRASE}
    assert run("auth", "login", "openai", "--with-key", input="sk-t1", env=env).returncode == 0
    # Bytes that are not UTF-8, as a shell can put them in the environment.
    odd = {"CODE_MESH_PASSPHRASE": os.fsdecode(b"Zq\xff\xfeWx")}
    for arguments in (("auth", "token", "openai"), ("auth", "export", "--output", "-")):
        result = run(*arguments, env=odd)
        assert result.returncode == 1, arguments
        line = one_line(result.stderr)
        assert "CODE_MESH_PASSPHRASE holds bytes that are not UTF-8 text" in line
        assert not any(part in result.stderr for part in ("Zq", "Wx", "\ufffd", "\\x", "\\udc")), line
    connection = sqlite3.connect(home / "auth.db")
    connection.execute("UPDATE store_meta SET value = 'not-hex!' WHERE name = 'passphrase_salts'")
    connection.commit()
    connection.close()
    damaged = run("auth", "token", "openai", env=env)
    assert (
        damaged.returncode == 1
        and "passphrase salts (store_meta passphrase_salts) are damaged" in one_line(damaged.stderr)
    )


def tamper(home: Path, victim: str, donor: str) -> None:
    """Give `victim` the sealed key of `donor`: it no longer opens (the associated data differs)."""
    connection = sqlite3.connect(home / "auth.db")
    sealed = connection.execute(
        "SELECT api_key FROM credentials WHERE provider = ? AND account = 'default'", (donor,)
    ).fetchone()[0]
    connection.execute(
        "UPDATE credentials SET api_key = ? WHERE provider = ? AND account = 'default'", (sealed, victim)
    )
    connection.commit()
    connection.close()


def decrypted_rows_except(home: Path, provider: str, account: str) -> list[dict[str, object]]:
    """The other rows, opened with the key file (the damaged one would raise)."""
    connection = sqlite3.connect(home / "auth.db")
    saved = connection.execute(
        "SELECT * FROM credentials WHERE provider = ? AND account = ?", (provider, account)
    ).fetchone()
    connection.execute("DELETE FROM credentials WHERE provider = ? AND account = ?", (provider, account))
    connection.commit()
    try:
        return decrypted_rows(home)
    finally:
        connection.execute(f"INSERT INTO credentials VALUES ({', '.join('?' * len(saved))})", saved)
        connection.commit()
        connection.close()


def test_r4_one_damaged_row_blocks_nothing_else(run: CliRunner, home: Path) -> None:
    for provider in ("alpha", "beta", "gamma"):
        assert run("auth", "login", provider, "--with-key", input=f"sk-{provider}").returncode == 0
    assert run("auth", "login", "beta", "--account", "two", "--with-key", input="sk-beta-2").returncode == 0
    tamper(home, "beta", "alpha")
    old_key = store_key_id(home)

    exported = run("auth", "export", "--output", "-")
    assert (
        exported.returncode == 0 and "sk-alpha" in exported.stdout and "beta:default" not in exported.stdout
    )
    assert "beta:default left out" in exported.stderr and "does not decrypt" in exported.stderr

    rotated = run("auth", "key", "rotate")
    assert rotated.returncode == 1 and "Re-encrypted 3 credentials" in rotated.stdout
    assert "beta:default could not be re-encrypted and keeps its old key" in rotated.stderr
    assert old_key in (home / "key").read_text(), "the old key is kept while a row names it"
    healthy = {
        (r["provider"], r["account"]): r["api_key"] for r in decrypted_rows_except(home, "beta", "default")
    }
    assert healthy == {
        ("alpha", "default"): "sk-alpha",
        ("beta", "two"): "sk-beta-2",
        ("gamma", "default"): "sk-gamma",
    }

    assert run("auth", "switch", "beta", "default").returncode == 0
    document = '{"credentials": {"delta": {"type": "api_key", "key": "sk-delta"}}}'
    assert run("auth", "import", "-", input=document).returncode == 0
    assert run("auth", "login", "beta", "--with-key", input="sk-beta-new").returncode == 0  # re-login
    assert run("auth", "token", "beta").stdout == "sk-beta-new\n"
    tamper(home, "gamma", "alpha")
    assert run("auth", "logout", "gamma", "--yes").returncode == 0
    again = run("auth", "key", "rotate")
    assert again.returncode == 0 and old_key not in (home / "key").read_text(), "retired once no row names it"
    tamper(home, "delta", "alpha")
    assert run("auth", "logout", "--all", "--yes").returncode == 0 and sealed_rows(home) == []


def test_lost_key_file_locked_and_both_ways_out(run: CliRunner, home: Path, tmp_path: Path) -> None:
    assert run("auth", "login", "openai", "--with-key", input="sk-lost").returncode == 0
    assert (
        run("auth", "login", "openai", "--account", "work", "--with-key", input="sk-lost-w").returncode == 0
    )
    assert run("auth", "login", "xai", "--with-key", input="xai-lost").returncode == 0
    (home / "key").rename(tmp_path / "key.backup")
    before = sealed_rows(home)

    assert statuses(run) == dict.fromkeys(("openai:work", "openai:default", "xai:default"), "locked")
    listed = run("auth", "list")
    assert f"Restore the key file {home / 'key'} from your backup" in listed.stdout
    assert START_OVER in listed.stdout
    doctor = run("auth", "doctor")
    assert doctor.returncode == 1 and "locked: openai:work, openai:default, xai:default" in doctor.stdout
    assert START_OVER in doctor.stdout

    login = run("auth", "login", "mistral", "--with-key", input="sk-new")
    assert login.returncode == 1
    line = one_line(login.stderr)
    assert f"key file {home / 'key'} is missing" in line and "Restore it from your backup" in line
    assert START_OVER in line
    assert sealed_rows(home) == before and not (home / "key").exists()

    assert run("auth", "logout", "openai", "--account", "work", "--yes").returncode == 0
    assert not (home / "key").exists(), "deleting never makes a key"
    assert statuses(run) == {"openai:default": "locked", "xai:default": "locked"}

    (tmp_path / "key.backup").rename(home / "key")  # way out 1: restore the key
    assert statuses(run) == {"openai:default": "authenticated", "xai:default": "authenticated"}
    assert run("auth", "token", "openai").stdout == "sk-lost\n"

    (home / "key").unlink()  # way out 2: start over
    assert run("auth", "logout", "--all", "--yes").returncode == 0
    fresh = run("auth", "login", "mistral", "--with-key", input="sk-fresh")
    assert fresh.returncode == 0 and "No OS keychain is available here" in fresh.stderr
    assert run("auth", "token", "mistral").stdout == "sk-fresh\n"


def test_a_passphrase_store_without_its_passphrase_is_locked(run: CliRunner, home: Path) -> None:
    env = {"CODE_MESH_PASSPHRASE": PASSPHRASE}
    assert run("auth", "login", "openai", "--with-key", input="sk-p", env=env).returncode == 0
    assert statuses(run) == {"openai:default": "locked"}
    assert "Set CODE_MESH_PASSPHRASE to the passphrase the store was made with" in run("auth", "list").stdout
    assert statuses(run, env) == {"openai:default": "authenticated"}
    assert run("auth", "logout", "openai", "--yes").returncode == 0 and sealed_rows(home) == []


def test_an_unavailable_keychain_is_not_a_missing_key(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    keychain = {
        "PYTHON_KEYRING_BACKEND": "keyring_backend.FileKeyring",
        "PYTHONPATH": str(TESTS),
        "CODE_MESH_TEST_KEYRING": str(tmp_path / "keychain.json"),
    }
    assert cli("auth", "login", "openai", "--with-key", input="sk-kc", env=keychain).returncode == 0
    over_ssh = {**keychain, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    token = cli("auth", "token", "openai", env=over_ssh)
    assert token.returncode == 1
    line = one_line(token.stderr)
    assert "OS keychain that holds this store's key is not available here" in line and "missing" not in line
    assert cli("auth", "logout", "openai", "--yes", env=over_ssh).returncode == 0
