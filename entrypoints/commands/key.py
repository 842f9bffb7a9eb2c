"""`code-mesh auth key rotate`: re-encrypt every secret under a new key."""

from __future__ import annotations

from code_mesh.application.rotate_key import rotate_key
from code_mesh.domain.wording import counted
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say, warn


def rotate() -> int:
    """Re-encrypt every stored secret under a new key; the old key is retired afterwards.

    A rotation started while another runs waits for it, then rotates again."""
    rotation = rotate_key(bootstrap.open_store(), bootstrap.key_lock(), bootstrap.key_vault)
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
