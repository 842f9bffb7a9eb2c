"""Acceptance scenario of the foundation: log in, list, token, export, import, logout."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from code_mesh import __version__
from conftest import CliRunner

OPENAI_KEY = "sk-openai-scenario-5f1c9a"
CUSTOM_KEY = "ck-custom-scenario-77ad0e"


def test_log_in_list_token_export_import_logout(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    assert cli("auth", "login", "openai", "--with-key", input=OPENAI_KEY + "\n").returncode == 0
    assert cli("auth", "login", "my-llm", "--with-key", input=CUSTOM_KEY).returncode == 0

    listed = cli("auth", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["store"] == str(home / "auth.db")
    assert isinstance(document["protection"], str) and document["protection"]
    rows = {(row["provider"], row["account"]): row for row in document["credentials"]}
    assert rows[("openai", "default")] == {
        "provider": "openai",
        "name": "OpenAI",
        "account": "default",
        "active": True,
        "type": "api_key",
        "status": "authenticated",
        "source": "store",
        "expires_at": None,
    }
    assert rows[("my-llm", "default")]["type"] == "api_key"
    catalog_only = (
        "anthropic",
        "github-copilot",
        "deepseek",
        "google",
        "groq",
        "mistral",
        "openrouter",
        "xai",
    )
    for provider in catalog_only:
        assert rows[(provider, None)] == {
            "provider": provider,
            "name": rows[(provider, None)]["name"],
            "account": None,
            "active": False,
            "type": None,
            "status": "not-authenticated",
            "source": None,
            "expires_at": None,
        }
    assert len(document["credentials"]) == 2 + len(catalog_only), "every catalog provider is a row"

    token = cli("auth", "token", "openai")
    assert (token.returncode, token.stdout, token.stderr) == (0, OPENAI_KEY + "\n", "")

    exported = cli("auth", "export")
    assert exported.returncode == 0, exported.stderr
    auth_json = home / "auth.json"
    assert stat.S_IMODE(auth_json.stat().st_mode) == 0o600
    first_export = json.loads(auth_json.read_text())
    assert first_export == {
        "written_by": f"code-mesh {__version__}",
        "credentials": {
            "my-llm": {"type": "api_key", "key": CUSTOM_KEY},
            "openai": {"type": "api_key", "key": OPENAI_KEY},
        },
    }
    assert "in the clear" in exported.stderr

    second_home = tmp_path / "second-home"
    imported = cli("auth", "import", str(auth_json), home_override=second_home)
    assert imported.returncode == 0, imported.stderr
    again = cli("auth", "export", "--output", "-", home_override=second_home)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == first_export

    logout = cli("auth", "logout", "openai", "--yes")
    assert logout.returncode == 0, logout.stderr
    after = json.loads(cli("auth", "list", "--json").stdout)
    openai_rows = [row for row in after["credentials"] if row["provider"] == "openai"]
    assert openai_rows == [
        {
            "provider": "openai",
            "name": "OpenAI",
            "account": None,
            "active": False,
            "type": None,
            "status": "not-authenticated",
            "source": None,
            "expires_at": None,
        }
    ]
    gone = cli("auth", "token", "openai")
    assert gone.returncode == 1
    assert "code-mesh auth login openai" in gone.stderr


def test_help_and_version(cli: CliRunner, home: Path) -> None:
    import shutil
    import subprocess
    import sys

    version = cli("--version")
    assert (version.returncode, version.stdout) == (0, f"code-mesh {__version__}\n")
    top = cli("--help")
    assert top.returncode == 0 and "auth" in top.stdout
    auth_help = cli("auth", "--help")
    for command in ("login", "list (ls)", "logout", "token", "switch", "export", "import"):
        line = next(line for line in auth_help.stdout.splitlines() if f" {command} " in line)
        assert len(line.strip("│ ").split()) > 3, f"{command} has no summary: {line!r}"
    script = shutil.which("code-mesh", path=str(Path(sys.executable).parent))
    assert script is not None, "the console script is installed beside the interpreter"
    console = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert console.returncode == 0 and console.stdout == top.stdout
    assert not home.exists(), "help and version touch no files"
