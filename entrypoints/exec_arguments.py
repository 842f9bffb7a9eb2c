"""exec's own command line (SPEC section 10), read by hand: option parsing stops at COMMAND.

`code-mesh exec [--provider P[:ACCOUNT]]… [--dry-run [--json]] [--] COMMAND [ARG…]`: COMMAND is
the first word that is not an option of exec's own (as with `env` and `aws-vault exec`), and
everything after it is COMMAND's, `--debug` and `--help` included. A parser that knows every
option of every command (cyclopts) would read `claude --help` as exec's own. Standard library
only: exec is started in front of every agent session.
"""

from __future__ import annotations

from code_mesh.domain.errors import CommandLineError
from code_mesh.domain.record import Record

_HELP = ("--help", "-h")
_FLAGS = ("--dry-run", "--json", "--debug")
_USAGE = "See `code-mesh exec --help`"


class ExecArguments(Record):
    providers: tuple[str, ...] = ()
    """Each `--provider` as given: `P` or `P:ACCOUNT`."""
    dry_run: bool = False
    json: bool = False
    command: tuple[str, ...] = ()
    help: bool = False
    debug: bool = False


def command_start(words: list[str]) -> int:
    """Where COMMAND starts in `words` (exec's arguments); len(words) when there is none. What
    comes before it is exec's own (a `--` that ends them included)."""
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return index + 1
        if word == "--provider":
            index += 2
        elif word in _FLAGS or word in _HELP or word.startswith("--provider=") or word.startswith("-"):
            index += 1
        else:
            return index
    return len(words)


def parse_exec_arguments(words: list[str]) -> ExecArguments:
    """exec's options and COMMAND; CommandLineError (exit 2) for a mistake in exec's own part."""
    start = command_start(words)
    own = words[:start]
    if own and own[-1] == "--":
        own = own[:-1]
    providers: list[str] = []
    flags: set[str] = set()
    index = 0
    while index < len(own):
        word = own[index]
        if word in _HELP:
            return ExecArguments(help=True)
        if word == "--provider":
            if index + 1 >= len(own) or own[index + 1] == "--":
                raise CommandLineError("--provider needs a value: a provider id, or PROVIDER:ACCOUNT", _USAGE)
            providers.append(own[index + 1])
            index += 2
            continue
        if word.startswith("--provider="):
            providers.append(word.partition("=")[2])
        elif word in _FLAGS:
            flags.add(word)
        else:
            raise CommandLineError(
                f"exec has no option {word}",
                "Options of COMMAND go after it; put `--` before a COMMAND that starts with -",
            )
        index += 1
    command = tuple(words[start:])
    dry_run, json = "--dry-run" in flags, "--json" in flags
    if json and not dry_run:
        raise CommandLineError("--json goes with --dry-run (exec itself prints nothing)", _USAGE)
    if not command and not dry_run:
        raise CommandLineError(
            "exec needs a COMMAND to run", "For example: `code-mesh exec --provider openai -- codex`"
        )
    return ExecArguments(tuple(providers), dry_run, json, command, debug="--debug" in flags)
