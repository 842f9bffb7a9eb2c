"""Project files (SPEC section 11): where they are looked for, what they may hold, and the
precedence of SPEC section 2 they take part in, as plain functions over real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from code_mesh.adapters.files.project_file import find_project_accounts, read_project_file
from code_mesh.adapters.files.project_search import candidates, nearest_existing
from code_mesh.adapters.files.toml_text import ConfigError
from code_mesh.application.credential_choice import ProjectAccounts, choose_credential, choose_stored
from code_mesh.domain.credentials import CredentialSummary
from code_mesh.domain.identifiers import AccountName, ProviderId


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_the_walk_stops_below_home_and_skips_home_itself(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deep = home / "src" / "acme" / "sub"
    assert candidates(str(deep), str(home)) == [
        str(deep / ".code-mesh.toml"),
        str(home / "src" / "acme" / ".code-mesh.toml"),
        str(home / "src" / ".code-mesh.toml"),
    ]
    assert candidates(str(home), str(home)) == []
    outside = candidates(str(tmp_path / "elsewhere"), str(home))
    assert outside[0] == str(tmp_path / "elsewhere" / ".code-mesh.toml") and outside[-1] == "/.code-mesh.toml"


def test_the_nearest_file_wins_and_the_home_file_is_never_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home / ".code-mesh.toml", '[accounts]\nopenai = "from-home"\n')
    write(tmp_path / ".code-mesh.toml", '[accounts]\nopenai = "above-home"\n')
    write(home / "src" / ".code-mesh.toml", '[accounts]\nopenai = "outer"\n')
    inner = write(
        home / "src" / "acme" / ".code-mesh.toml", '[accounts]\nanthropic = "work"\nopenai = "inner"\n'
    )
    cwd = home / "src" / "acme" / "sub"
    cwd.mkdir()
    found = find_project_accounts(str(cwd), str(home), pytest.fail)
    assert found == ProjectAccounts(
        str(inner), {"anthropic": "work", "openai": "inner"}, {"anthropic": 2, "openai": 3}
    )
    assert nearest_existing(str(cwd), str(home)) == str(inner)
    (home / "src" / "acme" / ".code-mesh.toml").unlink()
    (home / "src" / ".code-mesh.toml").unlink()
    assert find_project_accounts(str(cwd), str(home), pytest.fail) is None  # home and above: not searched
    assert nearest_existing(str(cwd), str(home)) is None


@pytest.mark.parametrize(
    ("mode", "owner", "reason"),
    [
        (0o664, None, "group or others may write it (mode 0664)"),
        (0o602, None, "group or others may write it (mode 0602)"),
        (0o600, 65534, "it is owned by uid 65534, not by you"),
    ],
)
def test_a_file_others_could_have_written_is_ignored_with_a_warning(
    tmp_path: Path, mode: int, owner: int | None, reason: str
) -> None:
    if owner is not None and os.getuid() != 0:
        pytest.skip("giving a file away needs root")
    home = tmp_path / "home"
    outer = write(home / "src" / ".code-mesh.toml", '[accounts]\nopenai = "outer"\n')
    planted = write(home / "src" / "acme" / ".code-mesh.toml", '[accounts]\nopenai = "planted"\n', mode)
    if owner is not None:
        os.chown(planted, owner, owner)
    warnings: list[str] = []
    found = find_project_accounts(str(planted.parent), str(home), warnings.append)
    assert warnings == [f"ignoring the project file {planted}: {reason}"]
    assert found is not None and (found.path, found.accounts) == (str(outer), {"openai": "outer"})


def test_a_symlink_is_judged_with_what_it_leads_to(tmp_path: Path) -> None:
    home = tmp_path / "home"
    target = write(tmp_path / "shared.toml", '[accounts]\nopenai = "linked"\n', 0o666)
    link = home / "src" / ".code-mesh.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    warnings: list[str] = []
    assert find_project_accounts(str(link.parent), str(home), warnings.append) is None
    assert warnings == [f"ignoring the project file {link}: group or others may write it (mode 0666)"]
    target.chmod(0o600)
    found = find_project_accounts(str(link.parent), str(home), pytest.fail)
    assert found is not None and found.accounts == {"openai": "linked"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            '[accounts]\nopenai = "work"\napi_base_url = "https://evil.example"\n',
            3,
            "api_base_url = … is not an account name",
        ),
        (
            'api_base_url = "https://evil.example"\n[accounts]\nopenai = "w"\n',
            1,
            "'api_base_url' is not allowed",
        ),
        (
            '[accounts]\nopenai = "w"\n\n[providers.openai]\napi_base_url = "https://evil.example"\n',
            4,
            "'providers' is not allowed",
        ),
        ('[accounts]\nopenai = "w"\n[headers]\nAuthorization = "x"\n', 3, "'headers' is not allowed"),
        (
            '[accounts]\nanthropic = { account = "w", client_id = "x" }\n',
            2,
            "a table in [accounts] is not allowed",
        ),
        ('[accounts]\nOpenAI = "work"\n', 2, "'OpenAI' is not a provider id"),
        ('[accounts]\nopenai = "Work Account"\n', 2, "openai = … is not an account name"),
        ("[accounts]\nopenai = 3\n", 2, "openai = … is not an account name"),
        ('[accounts]\ngithub = "a"\ngithub-copilot = "b"\n', 3, "github-copilot is named twice"),
        ('accounts = "openai"\n', 1, "accounts must be a table"),
        ('[[accounts]]\nopenai = "w"\n', 1, "accounts must be a table"),
    ],
)
def test_anything_but_accounts_is_an_error_naming_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = write(tmp_path / ".code-mesh.toml", text)
    with pytest.raises(ConfigError) as raised:
        read_project_file(path)
    message = raised.value.one_line()
    assert message.startswith(f"{path}, line {line}: "), message
    assert words in message
    assert "evil.example" not in message


def test_a_secret_in_a_project_file_is_refused_and_never_shown(tmp_path: Path) -> None:
    key = "sk-proj-9fK2mQ7xLp4Rt8Vw1Zb6Nc3Hd5"
    path = write(tmp_path / ".code-mesh.toml", f'[accounts]\nopenai = "{key}"\n')
    with pytest.raises(ConfigError) as raised:
        read_project_file(path)
    assert "line 2" in raised.value.one_line() and key not in raised.value.one_line()


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / ".code-mesh.toml", "[accounts\nopenai = 'w'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_project_file(path)


def test_an_alias_means_its_provider(tmp_path: Path) -> None:
    path = write(tmp_path / ".code-mesh.toml", "# the Code Mesh CLI's id\n[accounts]\n'github' = 'work'\n")
    assert read_project_file(path).accounts == {"github-copilot": "work"}


# ------------------------------------------------------------ precedence (SPEC section 2)


def summary(provider: str, account: str, active: bool) -> CredentialSummary:
    return CredentialSummary(
        ProviderId(provider), AccountName(account), "api_key", None, False, False, active
    )


STORED = [
    summary("openai", "default", True),
    summary("openai", "work", False),
    summary("openai", "client-a", False),
]
PROJECT = ProjectAccounts("/src/acme/.code-mesh.toml", {"openai": "work"}, {"openai": 2})
VARIABLES = ("OPENAI_API_KEY",)


@pytest.mark.parametrize(
    ("option", "environ", "project", "expected"),
    [
        (None, {}, None, ("default", "store", "the active stored account", None)),
        (None, {}, PROJECT, ("work", "project", "from /src/acme/.code-mesh.toml", PROJECT.path)),
        (
            None,
            {"OPENAI_API_KEY": "k"},
            PROJECT,
            (None, "env:OPENAI_API_KEY", "the environment beats the project file and the store", None),
        ),
        (
            None,
            {"OPENAI_API_KEY": "k"},
            None,
            (None, "env:OPENAI_API_KEY", "the environment beats the store", None),
        ),
        (
            None,
            {"OPENAI_API_KEY": ""},
            PROJECT,
            ("work", "project", "from /src/acme/.code-mesh.toml", PROJECT.path),
        ),
        (
            "client-a",
            {"OPENAI_API_KEY": "k"},
            PROJECT,
            ("client-a", "option", "named on the command line", None),
        ),
    ],
)
def test_option_then_environment_then_project_then_store(
    option: str | None, environ: dict[str, str], project: ProjectAccounts | None, expected: tuple[object, ...]
) -> None:
    choice = choose_credential("openai", option, VARIABLES, environ, project, STORED)
    assert (choice.account, choice.source, choice.reason, choice.path) == expected
    assert choice.found and choice.variable == (
        choice.source[4:] if choice.source.startswith("env:") else None
    )


def test_nothing_to_use_says_why() -> None:
    missing = ProjectAccounts("/src/acme/.code-mesh.toml", {"openai": "gone"}, {"openai": 3})
    choice = choose_credential("openai", None, VARIABLES, {}, missing, STORED)
    assert (choice.found, choice.account, choice.path) == (False, None, missing.path)
    assert (
        choice.reason
        == "/src/acme/.code-mesh.toml, line 3 names account gone for openai, which is not stored"
    )
    assert choice.next_step == "Run `code-mesh auth login openai --account gone`, or change the project file"
    nothing = choose_credential("anthropic", None, ("ANTHROPIC_API_KEY",), {}, None, STORED)
    assert (nothing.found, nothing.reason) == (False, "not logged in to anthropic")
    unknown = choose_stored("openai", "nope", None, STORED)
    assert unknown.reason == "openai has no stored account nope (stored: default, work, client-a)"


def test_refresh_and_logout_ignore_the_environment() -> None:
    """They act on a stored credential: the project file's account, else the active one."""
    assert choose_stored("openai", None, PROJECT, STORED).account == "work"
    assert choose_stored("openai", None, None, STORED).account == "default"
