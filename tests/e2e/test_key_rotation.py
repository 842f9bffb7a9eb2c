"""Key rotation beside itself and beside logins, in real processes (SPEC section 8, issue 9 D1/D2).

Every round releases its commands together (tests/launcher.py forks one real process
per command from an interpreter that has imported code-mesh once, so six rounds stay
cheap). After each round every secret must open with a key the vault still holds,
and the store must record that key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import clean_environment, command_line
from launcher import Launcher
from store_reader import decrypted_rows, home_keys, sealed_rows, store_key_id
from storm import Command, StormResult

ROUNDS = 6
PASSPHRASE = "rotate me, carefully"
SEED = {
    "credentials": {
        "openai": {"type": "api_key", "key": "sk-seed-openai"},
        "openai:work": {"type": "api_key", "key": "sk-seed-work"},
        "anthropic": {"type": "oauth", "access_token": "at-seed", "refresh_token": "rt-seed",
                      "expires_at": 4102444800},
        "azure": {"type": "custom", "data": {"endpoint": "https://e", "api_key": "az-seed"}},
    }
}  # fmt: skip
SEEDED_SECRETS = {
    ("openai", "default"): "sk-seed-openai",
    ("openai", "work"): "sk-seed-work",
    ("anthropic", "default"): "at-seed",
    ("azure", "default"): '{"api_key": "az-seed", "endpoint": "https://e"}',
}


def seed(launcher: Launcher, home: Path, env: dict[str, str] | None) -> None:
    result = launcher.run([Command(("auth", "import", "-"), json.dumps(SEED), env)], home)
    assert result.exit_codes == [0], result.errors


def secrets(home: Path, passphrase: str | None) -> dict[tuple[str, str], str]:
    """Every stored secret, opened with the vault's keys (raises if a row's key is gone)."""
    return {
        (row["provider"], row["account"]): row["api_key"] or row["access_token"] or row["custom_data"]
        for row in decrypted_rows(home, passphrase)
    }


def assert_clean(result: StormResult) -> None:
    assert result.exit_codes == [0] * len(result.exit_codes), [e for e in result.errors if e]
    assert not any("internal error" in e or "Traceback" in e for e in result.errors)


def assert_one_key_for_all(home: Path, passphrase: str | None) -> None:
    """Every row under the key the store records, and the vault holds it."""
    recorded = store_key_id(home)
    named = {row[c].split(":")[1] for row in sealed_rows(home) for c in ("api_key", "access_token") if row[c]}
    assert named == {recorded}
    assert recorded in home_keys(home, passphrase)


@pytest.mark.parametrize("mode", ["keyfile", "passphrase"])
def test_six_rotations_at_once_six_rounds_lose_nothing(launcher: Launcher, home: Path, mode: str) -> None:
    passphrase = PASSPHRASE if mode == "passphrase" else None
    env = {"CODE_MESH_PASSPHRASE": PASSPHRASE} if passphrase else None
    seed(launcher, home, env)
    assert (home / "key").exists() is (mode == "keyfile")
    seen_keys = {store_key_id(home)}
    for round_number in range(ROUNDS):
        result = launcher.run([Command(("auth", "key", "rotate"), env=env)] * 6, home)
        assert_clean(result)
        # Each waited for the one before and then rotated again: six new keys, none shared.
        new_keys = {line.split("under key ")[1].split(";")[0].rstrip(".") for line in result.outputs}
        assert len(new_keys) == 6 and not new_keys & seen_keys, (round_number, result.outputs)
        seen_keys |= new_keys
        assert secrets(home, passphrase) == SEEDED_SECRETS, round_number
        assert_one_key_for_all(home, passphrase)
        doctor = launcher.run([Command(("auth", "doctor"), env=env)], home)
        assert doctor.exit_codes == [0], doctor.outputs
    # Only the last key is left: every old one was retired once no row named it.
    assert len(home_keys(home, passphrase)) == 1


def test_logins_and_rotations_on_a_fresh_home_every_round(launcher: Launcher, tmp_path: Path) -> None:
    """The first key is made while rotations start (D2): no login that succeeded is lost."""
    for round_number in range(ROUNDS):
        home = tmp_path / f"fresh-{round_number}"
        logins = [
            Command(("auth", "login", f"p{n}", "--with-key"), f"sk-fresh-{round_number}-{n}")
            for n in range(8)
        ]
        result = launcher.run([*logins[:4], Command(("auth", "key", "rotate")), *logins[4:],
                               Command(("auth", "key", "rotate"))], home)  # fmt: skip
        assert_clean(result)
        stored = secrets(home, None)
        assert stored == {(f"p{n}", "default"): f"sk-fresh-{round_number}-{n}" for n in range(8)}, (
            round_number
        )
        assert_one_key_for_all(home, None)


def test_logins_beside_rotations_on_a_seeded_store_lose_nothing(launcher: Launcher, home: Path) -> None:
    seed(launcher, home, None)
    expected = dict(SEEDED_SECRETS)
    for round_number in range(ROUNDS):
        logins = [
            Command(("auth", "login", "shared", "--account", f"r{round_number}n{n}", "--with-key"),
                    f"sk-{round_number}-{n}")
            for n in range(6)
        ]  # fmt: skip
        rotations = [Command(("auth", "key", "rotate"))] * 3
        result = launcher.run([*logins[:2], rotations[0], *logins[2:4], rotations[1], *logins[4:], rotations[2]],
                              home)  # fmt: skip
        assert_clean(result)
        expected.update({("shared", f"r{round_number}n{n}"): f"sk-{round_number}-{n}" for n in range(6)})
        assert secrets(home, None) == expected, round_number
        assert_one_key_for_all(home, None)


def test_the_launcher_runs_the_installed_cli(launcher: Launcher, home: Path) -> None:
    """The forked children behave as `python -m code_mesh` does (same output, same exit code)."""
    import subprocess

    forked = launcher.run([Command(("auth", "list", "--json"))], home)
    spawned = subprocess.run(
        command_line("auth", "list", "--json"), capture_output=True, text=True, env=clean_environment(home)
    )
    assert forked.exit_codes == [spawned.returncode] == [0]
    assert json.loads(forked.outputs[0]) == json.loads(spawned.stdout)


def test_without_a_place_for_the_key_lock_nothing_rotates(launcher: Launcher, home: Path) -> None:
    """`locks` a file: no process can take the key lock, so no rotation runs; the rest works."""
    seed(launcher, home, None)
    (home / "locks").rename(home / "locks.saved")
    (home / "locks").write_text("")
    (home / "locks").chmod(0o600)
    before = sealed_rows(home)
    rotation = launcher.cli(home, "auth", "key", "rotate")
    assert rotation.returncode == 1 and rotation.stdout == ""
    assert rotation.stderr == (
        f"code-mesh: error: Cannot take the key lock {home / 'locks' / 'key.lock'} (Not a directory); "
        f"nothing was changed. Check that {home / 'locks'} is a directory you can write to.\n"
    )
    assert sealed_rows(home) == before
    assert launcher.cli(home, "auth", "login", "xai", "--with-key", input="xai-k").returncode == 0
    assert secrets(home, None) == {**SEEDED_SECRETS, ("xai", "default"): "xai-k"}
