"""--debug shows where a bug happened, never what its exception says (issue 9, L1): httpx, for one,
puts a refused header, key and all, in its message."""

from __future__ import annotations

import pytest

from code_mesh.entrypoints.cli import _print_frames


def test_frames_and_types_but_no_message_of_any_exception_in_the_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "sk-" + "debug-secret-51f0"  # built at run time: source lines are shown, values never

    def send_header() -> None:
        raise ValueError(f"Invalid header value b'Bearer {secret}\\r\\n'")

    try:
        try:
            send_header()
        except ValueError as error:
            raise RuntimeError(f"while sending {secret}") from error
    except RuntimeError as error:
        _print_frames(error)
    shown = capsys.readouterr().err
    assert "in send_header" in shown and "builtins.ValueError" in shown and "builtins.RuntimeError" in shown
    assert shown.index("builtins.ValueError") < shown.index("builtins.RuntimeError"), (
        "cause first, as Python does"
    )
    assert secret not in shown, "a message (or a value) reached the output"
