"""The plain reading of a project file (no tomllib) answers exactly as the TOML reader does, for
every file it accepts; it accepts the files people write, and leaves everything else to TOML."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_mesh.adapters.files.project_file import _read_toml_project_file, plain_accounts, read_project_file
from code_mesh.adapters.files.toml_text import ConfigError

PLAIN_FILES = [
    '[accounts]\nanthropic = "work"\n',
    '# which accounts this repository uses\n[accounts]\nanthropic = "work"  # the team seat\nopenai = "personal"\n',
    '\n\n[accounts]\r\n\topenai\t=\t"ci-bot"\r\n',
    "[accounts]\n",
    "",
    "# nothing chosen yet\n",
    '[accounts] # the only table\nmy_idp = "x"\n',
]


@pytest.mark.parametrize("text", PLAIN_FILES)
def test_the_files_people_write_are_read_without_tomllib_and_as_tomllib_reads_them(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / ".code-mesh.toml"
    path.write_bytes(text.encode())
    plain = plain_accounts(str(path))
    assert plain is not None, "the plain reader should accept this file"
    assert plain == _read_toml_project_file(path)
    assert dict(plain.accounts) == dict(_read_toml_project_file(path).accounts)
    assert dict(plain.lines) == dict(_read_toml_project_file(path).lines)


LEFT_TO_TOML = [
    'anthropic = "work"\n',  # a key outside [accounts]: refused, with its line
    '[accounts]\nanthropic = "work"\n[accounts]\n',  # a second table: not TOML
    '[accounts]\ngithub = "work"\n',  # an alias: mapped, and said
    '[accounts]\nopenai = "Work"\n',  # not an account name
    "[accounts]\nopenai = 'work'\n",  # a literal string: valid TOML, read by tomllib
    '[accounts]\nopenai.x = "work"\n',  # a dotted key: a table in TOML
    '[accounts]\nopenai = "work"\nopenai = "other"\n',  # named twice
    '[providers.openai]\napi_base_url = "https://evil.example"\n',  # never allowed
    '[accounts]\nopenai = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"\n',  # a secret
    '\ufeff[accounts]\nopenai = "work"\n',  # a byte-order mark
    '[accounts]\nopenai = "work"\rmore\n',  # a lone CR
]


@pytest.mark.parametrize("text", LEFT_TO_TOML)
def test_anything_unusual_is_left_to_the_toml_reader(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".code-mesh.toml"
    path.write_bytes(text.encode())
    assert plain_accounts(str(path)) is None
    try:
        expected: object = _read_toml_project_file(path)
    except ConfigError as error:
        expected = error.one_line()
    try:
        got: object = read_project_file(path)
    except ConfigError as error:
        got = error.one_line()
    assert got == expected


GOOD_KEYS = st.sampled_from(["anthropic", "openai", "groq", "my_idp", "x-1", "a1"])
ODD_KEYS = st.sampled_from(["github", "OpenAI", "a.b", "x" * 65, "sk-ant-api03-" + "A" * 40, '"quoted"', ""])
GOOD_VALUES = st.sampled_from(['"work"', '"default"', '"ci.bot"', '"team_2"'])
ODD_VALUES = st.sampled_from(
    ['"Work"', "'work'", '"a b"', '"sk-' + "Z9" * 30 + '"', "1", '""', '"a\\"b"', "[1]"]
)
SPACE = st.sampled_from(["", " ", "\t", "  "])
COMMENT = st.sampled_from(["", " # note", '# x = "y"', " #", " # é ✓"])
QUIET = st.one_of(st.just(""), st.builds(lambda s, c: s + c, SPACE, COMMENT))
HEADER = st.builds(lambda s, c: f"{s}[accounts]{s}{c}", SPACE, COMMENT)


def _entry(key: st.SearchStrategy[str], value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda s, k, s2, v, c: f"{s}{k}{s2}={s2}{v}{c}", SPACE, key, SPACE, value, COMMENT)


ODD_LINE = st.one_of(
    _entry(ODD_KEYS, GOOD_VALUES),
    _entry(GOOD_KEYS, ODD_VALUES),
    HEADER,
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)


@st.composite
def files(draw: st.DrawFn) -> str:
    """Mostly what people write (so the plain reader accepts it), now and then one odd line."""
    lines = [*draw(st.lists(QUIET, max_size=2)), draw(HEADER)]
    for key in draw(st.lists(GOOD_KEYS, unique=True, max_size=5)):
        lines += [*draw(st.lists(QUIET, max_size=1)), draw(_entry(st.just(key), GOOD_VALUES))]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(ODD_LINE))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))


FILES = files()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=FILES)
def test_whatever_the_plain_reader_accepts_the_toml_reader_reads_the_same(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".code-mesh.toml"
    path.write_bytes(text.encode("utf-8"))
    plain = plain_accounts(str(path))
    if plain is None:
        return
    toml = _read_toml_project_file(path)  # must not refuse what the plain reader accepted
    assert (plain.path, dict(plain.accounts), dict(plain.lines)) == (
        toml.path,
        dict(toml.accounts),
        dict(toml.lines),
    )
