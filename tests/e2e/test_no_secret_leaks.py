"""No secret appears in any output but `auth token`'s and `auth export`'s (SPEC section 1)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import CliRunner

SECRETS = {
    "openai": "sk-leakcheck-openai-0a1b2c",
    "openai-work": "sk-leakcheck-openai-work-3d4e",
    "custom": "ck-leakcheck-custom-5f6a",
    "access": "at-leakcheck-access-7b8c",
    "refresh": "rt-leakcheck-refresh-9d0e",
    "data-token": "dt-leakcheck-data-1f2a",
    "env": "sk-leakcheck-env-3b4c",
    "bad-file": "sk-leakcheck-in-bad-file-5d6e",
}


def secrets_in_the_store_files(home: Path) -> list[str]:
    """The scenario's secrets found in the bytes of auth.db and its WAL: what `strings` would show."""
    stored = b"".join(
        (home / name).read_bytes() for name in ("auth.db", "auth.db-wal") if (home / name).exists()
    )
    assert stored, "no store to look in"
    return [name for name, secret in SECRETS.items() if secret.encode() in stored]


def test_whole_scenario_prints_no_secret_outside_token_and_export(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    checked: list[subprocess.CompletedProcess[str]] = []
    allowed: list[subprocess.CompletedProcess[str]] = []

    def run(
        *arguments: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = cli(*arguments, input=input, env=env)
        (allowed if arguments[:2] in (("auth", "token"), ("auth", "export")) else checked).append(result)
        return result

    run("auth", "login", "openai", "--with-key", input=SECRETS["openai"])
    run("auth", "login", "openai", "--with-key", "--account", "work", input=SECRETS["openai-work"])
    run("auth", "login", "my-llm", "--with-key", input=SECRETS["custom"])
    document = json.dumps(
        {
            "credentials": {
                "anthropic": {
                    "type": "oauth",
                    "access_token": SECRETS["access"],
                    "refresh_token": SECRETS["refresh"],
                    "expires_at": 4102444800,
                },
                "azure": {
                    "type": "custom",
                    "data": {"endpoint": "https://a", "token": SECRETS["data-token"]},
                },
            }
        }
    )
    run("auth", "import", "-", "--dry-run", input=document)
    run("auth", "import", "-", input=document)
    run("auth", "list")
    run("auth", "list", "--json")
    run("auth", "ls", env={"ANTHROPIC_API_KEY": SECRETS["env"]})
    run("auth", "list", "--json", env={"ANTHROPIC_API_KEY": SECRETS["env"]})
    run("auth", "switch", "openai", "default")
    assert run("auth", "token", "anthropic").stdout == SECRETS["access"] + "\n"
    assert run("auth", "token", "azure").stdout == SECRETS["data-token"] + "\n"
    run("auth", "export")
    run("auth", "export", "--format", "opencode", "--output", "-")
    # Every secret is stored now: none of them is in the clear in the files (SPEC section 8).
    assert secrets_in_the_store_files(home) == []
    # Errors on purpose, some with a secret sitting in the bad input.
    bad = json.dumps(
        {"credentials": {"x": {"type": "oauth", "access_token": SECRETS["bad-file"], "expires_at": "soon"}}}
    )
    run("auth", "import", "-", input=bad)
    run("auth", "import", "-", input=bad.replace("oauth", "bearer"))
    run("auth", "import", "-", input="{" + SECRETS["bad-file"])
    run("auth", "login", "Bad Id", "--with-key", input=SECRETS["bad-file"])
    run("auth", "login", "github-copilot", "--with-key", input=SECRETS["bad-file"])
    run("auth", "token", "openai", "--account", "nobody")
    run("auth", "logout", "openai")
    run("auth", "logout", "openai", "--account", "work", "--yes")
    run("--debug", "auth", "list")
    run("auth", "logout", "--all", "--yes")

    assert all(result.returncode in (0, 1, 2) for result in checked)
    assert len(checked) >= 19
    for result in checked:
        output = result.stdout + result.stderr
        for name, secret in SECRETS.items():
            assert secret not in output, f"{name} leaked by {result.args[3:]}"
    exported = "".join(result.stdout for result in allowed)
    assert SECRETS["access"] in exported and SECRETS["data-token"] in exported
    # Nor, at the end, in anything the store's files kept of what was written and removed.
    assert secrets_in_the_store_files(home) == []
