"""A TOML file read strictly: its text kept, so that a problem names the file and the line.

tomllib reports no positions for values, so the line of a key is found in the text: the
table it sits in (`[providers.openai]`, `[headers]`), then the key. Used by config.toml
and by the provider catalog's files alike.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from code_mesh.adapters.files.text_input import UnreadableText, read_text_file
from code_mesh.domain.errors import CodeMeshError

_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")


class ConfigError(CodeMeshError):
    """A TOML file (config.toml, a catalog file) cannot be used as written."""


def _table_name(raw: str) -> str:
    return re.sub(r"\s*\.\s*", ".", raw).replace('"', "").replace("'", "")


def line_of(text: str, table: str, key: str) -> int | None:
    """The line where `key` is set in `[table]` ("" for the top of the file), or where its own
    table `[table.key]` starts; for a key of an inline table (`headers = { … }`), the line of
    the key that holds the table."""
    current = ""
    own_table = f"{table}.{key}" if table else key
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            current = _table_name(header.group(1))
            if current == own_table:
                return number
            continue
        if current == table and pattern.match(line):
            return number
    if table:
        parent, _, last = table.rpartition(".")
        return line_of(text, parent, last)
    return None


class TomlText:
    """A parsed TOML document and the text it came from, for messages that name a line."""

    def __init__(self, path: Path, text: str, document: dict[str, Any]) -> None:
        self.path = path
        self.text = text
        self.document = document

    def fail(self, table: str, key: str, problem: str, next_step: str | None = None) -> ConfigError:
        line = line_of(self.text, table, key)
        where = f"{self.path}" + (f", line {line}" if line else "")
        return ConfigError(
            f"{where}: {problem}", next_step or f"Fix {self.path.name} and run the command again"
        )


def read_toml(path: Path, limit: int) -> TomlText | None:
    """The file parsed, None when it does not exist, ConfigError when it cannot be used."""
    try:
        text = read_text_file(path, limit)
    except UnreadableText as error:
        if error.missing:
            return None
        raise ConfigError(f"{path} {error.problem}", error.next_step) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})", f"Fix {path.name} and run again") from None
    return TomlText(path, text, document)
