"""Reading works where writing cannot (issue 9 R3): a home and files the user cannot write,
and a WAL store whose index (-shm) is gone. Run as an unprivileged user: root ignores modes."""

from __future__ import annotations

from store_reader import sealed_rows
from unprivileged import run_unprivileged, unprivileged_home


def test_list_token_and_export_work_and_writes_fail_in_one_line() -> None:
    with unprivileged_home() as home:
        assert (
            run_unprivileged(home, "auth", "login", "openai", "--with-key", input="sk-ro-1").returncode == 0
        )
        assert run_unprivileged(home, "auth", "login", "xai", "--with-key", input="xai-ro-2").returncode == 0
        for path in home.rglob("*"):
            path.chmod(0o500 if path.is_dir() else 0o400)
        home.chmod(0o500)
        assert not (home / "auth.db-shm").exists(), "the WAL index is gone: the hard case"
        before = sealed_rows(home)

        listed = run_unprivileged(home, "auth", "list")
        assert listed.returncode == 0 and "openai" in listed.stdout and listed.stderr == ""
        assert run_unprivileged(home, "auth", "token", "openai").stdout == "sk-ro-1\n"
        assert run_unprivileged(home, "auth", "token", "xai", "--account", "default").stdout == "xai-ro-2\n"
        exported = run_unprivileged(home, "auth", "export", "--output", "-")
        assert exported.returncode == 0 and "sk-ro-1" in exported.stdout and "xai-ro-2" in exported.stdout
        writable = home.parent / "out.json"
        to_file = run_unprivileged(home, "auth", "export", "--output", str(writable))
        assert to_file.returncode == 0 and "sk-ro-1" in writable.read_text()

        for arguments, stdin, says in (
            (
                ("auth", "login", "mistral", "--with-key"),
                "sk-no",
                f"The store {home / 'auth.db'} is read-only here",
            ),
            (("auth", "logout", "openai", "--yes"), "", f"The store {home / 'auth.db'} is read-only here"),
            (("auth", "key", "rotate"), "", f"Cannot write the key file {home / 'key'} (Permission denied)"),
        ):
            result = run_unprivileged(home, *arguments, input=stdin)
            assert result.returncode == 1, arguments
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and says in lines[0] and "nothing was changed" in lines[0], result.stderr
        assert sealed_rows(home) == before
