"""Talking to a person at a real terminal: a selection list, a hidden prompt, a yes/no,
and the LoginView port (links, device codes, progress).

Prompts are drawn on stderr so that stdout stays the command's output. The list
reads raw keys: arrows or j/k move, a digit picks directly, Enter confirms, Ctrl-C
interrupts (exit 130), Esc or q cancels (exit 1), Ctrl-D is "no input" (exit 1). It stays in
raw mode while drawing, so keys typed ahead are never lost; once done, the list is erased and
the choice is shown once in its place. Ctrl-D at any prompt is "no input" (NoInput), never a
choice and never an empty answer.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from code_mesh.domain.errors import Cancelled, NoInput
from code_mesh.domain.text import for_terminal

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
        chosen = False
        try:
            # TCSANOW: keys typed ahead (a paste, arrow then Enter) must not be discarded.
            tty.setraw(descriptor, termios.TCSANOW)
            while True:
                key = self._read_key(descriptor)
                if key == "\x03":
                    raise KeyboardInterrupt
                if key in ("", "\x04"):  # the terminal went away, or Ctrl-D
                    raise NoInput("No input: nothing was chosen (Ctrl-D); nothing was changed")
                if key in ("\x1b", "q"):
                    raise Cancelled("Nothing was chosen; nothing was changed")
                if key in _UP:
                    selected = (selected - 1) % len(options)
                elif key in _DOWN:
                    selected = (selected + 1) % len(options)
                elif key.isdigit() and 1 <= int(key) <= len(options):
                    selected = int(key) - 1
                    chosen = True
                    break
                elif key in _ENTER:
                    chosen = True
                    break
                self._draw(options, selected)
        finally:
            termios.tcsetattr(descriptor, termios.TCSANOW, saved)
            # The list (and its title) give way to one line: the choice, or nothing.
            out.write(f"\x1b[{len(options) + 1}A\r\x1b[J")
            if chosen:
                out.write(f"{_answered(title, options[selected])}\n")
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
        return _hidden_line(prompt)

    def line(self, prompt: str) -> str:
        """One line typed at the terminal, with echo (a provider id)."""
        sys.stderr.write(prompt)
        sys.stderr.flush()
        answer = sys.stdin.readline()
        if not answer:
            sys.stderr.write("\n")
            raise NoInput()
        return answer.strip()

    def confirm(self, question: str) -> bool:
        sys.stderr.write(f"? {question} [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline()
        if not answer:  # Ctrl-D: not a "no", no answer at all
            sys.stderr.write("\n")
            raise NoInput()
        return answer.strip().lower() in ("y", "yes")


def _answered(title: str, option: str) -> str:
    """The line that replaces a list once chosen: the question and the option's first column
    (`? Select a provider: OpenAI`, `? How do you want to log in? Enter an API key`)."""
    name = re.split(r"\s{2,}", option.strip())[0]
    return f"? {title} {name}" if title.endswith("?") else f"? {title}: {name}"


def _hidden_line(prompt: str) -> str:
    """A line read without echo; Ctrl-D is NoInput (getpass raises EOFError)."""
    try:
        return getpass.getpass(prompt, stream=sys.stderr)
    except EOFError:
        sys.stderr.write("\n")
        sys.stderr.flush()
        raise NoInput() from None


def saying_hidden(prompt: str) -> str:
    """`prompt` telling that what is typed is not shown: `Code (CODE#STATE):` becomes
    `Code (CODE#STATE, input hidden):`, `Key:` becomes `Key (input hidden):`."""
    text = prompt.rstrip().removesuffix(":")
    if text.endswith(")"):
        return f"{text[:-1]}, input hidden): "
    return f"{text} (input hidden): "


_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class TerminalLoginView:
    """The LoginView port: links and codes on stdout, on lines of their own, flushed at once;
    progress on stderr (a spinner on a terminal, one plain line otherwise)."""

    def show_link(self, text: str, url: str) -> None:
        print(text, flush=True)
        print(for_terminal(url), flush=True)

    def show_device_code(self, user_code: str, verification_uri: str) -> None:
        # Both come from the provider: the gateway accepts only printable ones; escaped once more here.
        print("Enter this one-time code:", flush=True)
        print(for_terminal(user_code), flush=True)
        print("at:", flush=True)
        print(for_terminal(verification_uri), flush=True)

    def read_answer(self, prompt: str) -> str:
        if sys.stdin.isatty():
            # The code is a secret: read it without echo, like an API key, and say so.
            return _hidden_line(saying_hidden(prompt))
        sys.stderr.write(prompt + "(reading one line from standard input)\n")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise NoInput(
                "No input: standard input ended before an answer was given; nothing was stored",
                "Pipe the answer in, or run the login at a terminal",
            )
        return line

    def info(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    @contextmanager
    def waiting(self, message: str) -> Iterator[None]:
        if not sys.stderr.isatty():
            print(f"{message}…", file=sys.stderr, flush=True)
            yield
            return
        stop = threading.Event()

        def spin() -> None:
            frame = 0
            while not stop.wait(0.1):
                sys.stderr.write(f"\r{_SPINNER[frame % len(_SPINNER)]} {message}…")
                sys.stderr.flush()
                frame += 1

        spinner = threading.Thread(target=spin, daemon=True)
        spinner.start()
        try:
            yield
        finally:
            stop.set()
            spinner.join()
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
