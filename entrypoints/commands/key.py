"""`code-mesh auth key rotate`: re-encrypt every secret under a new key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from code_mesh.adapters.files.text_input import read_standard_input
from code_mesh.application.rotate_key import rotate_key, rotate_team_key
from code_mesh.domain.errors import CommandLineError, InvalidInput
from code_mesh.domain.secret import Secret
from code_mesh.domain.wording import counted
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say, warn

PASSPHRASE_LIMIT = 4096


def _new_passphrase() -> Secret:
    text = read_standard_input(PASSPHRASE_LIMIT).strip("\r\n")
    if not text.strip():
        raise InvalidInput(
            "No new passphrase was given: standard input was empty; nothing was changed",
            'Pipe it in: printf %s "$NEW_PASSPHRASE" | code-mesh auth key rotate --new-passphrase-stdin',
        )
    return Secret(text)


def rotate(
    *,
    new_passphrase_stdin: Annotated[
        bool, Parameter(negative=(), help="Team store: read the team's new passphrase from standard input.")
    ] = False,
    new_key_file: Annotated[
        Path | None, Parameter(help="Team store: the team's new key file (made when it does not exist).")
    ] = None,
) -> int:
    """Re-encrypt every stored secret under a new key; the old key is retired afterwards.

    A rotation started while another runs waits for it, then rotates again."""
    if new_passphrase_stdin and new_key_file is not None:
        raise CommandLineError("Give either --new-passphrase-stdin or --new-key-file, not both")
    store = bootstrap.open_store()
    if store.team:
        if not new_passphrase_stdin and new_key_file is None:
            raise CommandLineError(
                "A team store's key is rotated to a new passphrase or key file that the team then shares",
                "Add --new-passphrase-stdin or --new-key-file PATH",
            )
        passphrase = _new_passphrase() if new_passphrase_stdin else None
        new_key = bootstrap.new_team_key(passphrase, new_key_file)
        rotation = rotate_team_key(store, bootstrap.key_lock(), bootstrap.key_vault, new_key)
        say(
            f"{paint('✓', '32')} Re-encrypted {rotation.rows} credential(s) of the team store under key "
            f"{rotation.new_key_id}"
            + (f"; retired {', '.join(rotation.retired)}." if rotation.retired else ".")
        )
        where = (
            "CODE_MESH_PASSPHRASE to the new passphrase"
            if passphrase
            else f"CODE_MESH_KEY_FILE to {new_key_file}"
        )
        say(f"  Every member must now set {where}; the old key opens nothing any more.")
        return 0
    if new_passphrase_stdin or new_key_file is not None:
        raise CommandLineError(
            "--new-passphrase-stdin and --new-key-file are for a team store",
            "Run `code-mesh auth key rotate` alone for this store",
        )
    rotation = rotate_key(store, bootstrap.key_lock(), bootstrap.key_vault)
    if rotation.new_key_id is None:
        say("Nothing is encrypted yet, so there is no key to rotate; the first login makes one.")
        return 0
    say(
        f"{paint('✓', '32')} Re-encrypted {counted(rotation.rows, 'credential')} "
        f"under key {rotation.new_key_id}"
        + (f"; retired {', '.join(rotation.retired)}." if rotation.retired else ".")
    )
    for unreadable in rotation.not_resealed:
        warn(
            f"{unreadable.label} could not be re-encrypted and keeps its old key: {unreadable.reason.message}"
        )
    if rotation.not_resealed:
        warn(
            "the old key is kept while those need it. Run `code-mesh auth doctor`; logging out of them "
            "(or in again) lets the next rotation retire it"
        )
        return 1
    return 0
