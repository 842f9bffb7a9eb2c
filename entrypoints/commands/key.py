"""`code-mesh auth key rotate`: re-encrypt every secret under a new key."""

from __future__ import annotations

from code_mesh.application.rotate_key import rotate_key
from code_mesh.entrypoints import bootstrap
from code_mesh.entrypoints.output import paint, say


def rotate() -> int:
    """Re-encrypt every stored secret under a new key; the old key is retired afterwards."""
    rotation = rotate_key(bootstrap.open_store(), bootstrap.key_vault())
    say(
        f"{paint('✓', '32')} Re-encrypted {rotation.rows} credential(s) under key {rotation.new_key_id}"
        + (f"; retired {', '.join(rotation.retired)}." if rotation.retired else ".")
    )
    return 0
