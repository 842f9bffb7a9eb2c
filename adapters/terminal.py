"""The Prompter port on a real terminal: a selection list, a hidden prompt, a yes/no.

Prompts are drawn on stderr so that stdout stays the command's output. The list
reads raw keys: arrows or j/k move, a digit picks directly, Enter confirms, Ctrl-C
interrupts (exit 130), Esc or q cancels (exit 1). It stays in raw mode while drawing,
so keys typed ahead are never lost.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Sequence

from code_mesh.domain.errors import Cancelled

_UP = {"\x1b[A", "\x1bOA", "k"}
_DOWN = {"\x1b[B", "\x1bOB", "j"}
_ENTER = {"\r", "\n"}


class TerminalPrompter:
    def is_interactive(self) -> bool:
        return sys.stdin.isatty() and sys.stderr.isatty()

    def choose(self, title: str, options: Sequence[str]) -> int:
        import termios
        import tty

        descriptor = sys.stdin.fileno()
        saved = termios.tcgetattr(descriptor)
        selected = 0
        out = sys.stderr
        out.write(f"? {title} (arrows or a number, Enter to confirm)\n")
        self._draw(options, selected, first=True)
        try:
            # TCSANOW: keys typed ahead (a paste, arrow then Enter) must not be discarded.
            tty.setraw(descriptor, termios.TCSANOW)
            while True:
                key = self._read_key(descriptor)
                if key == "\x03":
                    raise KeyboardInterrupt
                if key in ("\x1b", "q"):
                    raise Cancelled("Nothing was chosen; nothing was changed")
                if key in _UP:
                    selected = (selected - 1) % len(options)
                elif key in _DOWN:
                    selected = (selected + 1) % len(options)
                elif key.isdigit() and 1 <= int(key) <= len(options):
                    selected = int(key) - 1
                    self._draw(options, selected)
                    break
                elif key in _ENTER:
                    break
                self._draw(options, selected)
        finally:
            termios.tcsetattr(descriptor, termios.TCSANOW, saved)
        out.write(f"  → {options[selected]}\n")
        out.flush()
        return selected

    @staticmethod
    def _read_key(descriptor: int) -> str:
        key = os.read(descriptor, 1).decode(errors="replace")
        if key == "\x1b":
            import select

            ready, _, _ = select.select([descriptor], [], [], 0.05)
            if ready:
                key += os.read(descriptor, 2).decode(errors="replace")
        return key

    @staticmethod
    def _draw(options: Sequence[str], selected: int, first: bool = False) -> None:
        out = sys.stderr
        if not first:
            out.write(f"\x1b[{len(options)}A")
        for index, option in enumerate(options):
            marker = "❯" if index == selected else " "
            out.write(f"\r\x1b[2K  {marker} {index + 1}. {option}\r\n")
        out.flush()

    def secret(self, prompt: str) -> str:
        return getpass.getpass(prompt, stream=sys.stderr)

    def confirm(self, question: str) -> bool:
        sys.stderr.write(f"? {question} [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline()
        return answer.strip().lower() in ("y", "yes")
