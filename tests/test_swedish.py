"""Every command speaks through the catalogs: no English word reaches a person outside them.

A pseudo-catalog is built at test time from every msgid of every Swedish catalog, each
translated as itself in brackets (`⟦wrote ⟧{n}⟦ changes⟧`: placeholders kept, and left outside
the brackets so that what fills them is judged too; both plural forms wrapped), and installed as the language people read (the sheet language stays the real
Swedish: what a command writes into a sheet and reads back must not change). Each command then
runs in-process over a fresh demo workspace. Outside the brackets a line may hold only what no
catalog should hold: names and values from the sheets, contract words (tab and column names,
vocabularies), paths, URLs, numbers, dates and ids, command and option names, metavars. Any
other word the code's string literals use is English that went round the catalogs, and the
test names the command and the line.

Commands whose packages are still being converted fail here on purpose: the failure is the
list of what is left.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
import tomllib
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from chas_sheets import i18n
from chas_sheets.cli import COMMANDS, cli
from chas_sheets.programme import calendar

babel_pofile = pytest.importorskip("babel.messages.pofile")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chas_sheets"
TODAY = dt.date(2027, 5, 12)
PSEUDO = "xx"  # not a language: the pseudo-catalog's name while a test runs
OPEN, CLOSE = "⟦", "⟧"
_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]{3,}")
_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")


# --------------------------------------------------------------------------- the pseudo-catalog
# a format field ({name}, {n:,}, {value!r}, {}), not braces a text shows as they are (the
# emulator's help quotes a JSON body: {"kind": "error", ...})
_PLACEHOLDER = re.compile(r"\{\w*(?:[!:][^{}]*)?\}|%\([^)]*\)[sd]")


def bracketed(message: str) -> str:
    """'wrote {n} changes' -> '⟦wrote ⟧{n}⟦ changes⟧': the text in brackets, each placeholder
    kept and left outside them, so what fills it (a name, or English another package made) is
    judged too."""
    return OPEN + _PLACEHOLDER.sub(lambda m: CLOSE + m.group(0) + OPEN, message) + CLOSE


class PseudoTranslations(gettext.NullTranslations):
    """Each known msgid as itself in brackets; an unknown one as it is (it went round the catalogs)."""

    def __init__(self, singles: set[str], plurals: set[str]):
        super().__init__()
        self.singles, self.plurals = singles, plurals

    def gettext(self, message):
        return bracketed(message) if message in self.singles else message

    def ngettext(self, one, many, n):
        chosen = one if n == 1 else many
        return bracketed(chosen) if one in self.plurals else chosen


@lru_cache(maxsize=None)
def _catalog_ids() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(singular msgids, plural msgids, the words of every Swedish translation)."""
    singles, plurals, swedish = set(), set(), set()
    for po in sorted((i18n.LOCALE_DIR / "sv" / "LC_MESSAGES").glob("*.po")):
        with open(po, "rb") as handle:
            catalog = babel_pofile.read_po(handle, locale="sv")
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, (tuple, list)):
                plurals.add(message.id[0])
            else:
                singles.add(message.id)
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            swedish.update(word.lower() for text in strings if text for word in _WORD.findall(text))
    return frozenset(singles), frozenset(plurals), frozenset(swedish)


@pytest.fixture
def pseudo_swedish(monkeypatch):
    singles, plurals, _words = _catalog_ids()
    monkeypatch.setitem(i18n._translations, PSEUDO, PseudoTranslations(set(singles), set(plurals)))
    monkeypatch.setattr(i18n, "language", lambda: PSEUDO)
    # The default calendar is worded once per language and cached under the language a module
    # imported by name: built earlier in this process in plain English, it would come back
    # unmarked. Start and end with it empty.
    calendar._default_calendar.cache_clear()
    yield
    calendar._default_calendar.cache_clear()


# --------------------------------------------------------------------------- the vocabularies
@lru_cache(maxsize=None)
def english_words() -> frozenset[str]:
    """Every word of the code's string literals (messages, docstrings, keys...), lower case."""
    words = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.update(word.lower() for word in _WORD.findall(node.value))
    return frozenset(words)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@lru_cache(maxsize=None)
def contract_words() -> frozenset[str]:
    """Tab and column names, aliases, vocabularies, kinds: the sheet contract's words."""
    data = tomllib.loads((ROOT / "templates" / "contract.toml").read_text(encoding="utf-8"))
    return frozenset(word.lower() for text in _strings(data) for word in _WORD.findall(text))


def register_words() -> frozenset[str]:
    """What the nightly writes into the register's own tabs and prints as their titles: tab
    names, status and Lista values, the calendar's period names, the rules' names in
    templates/ (sheet vocabulary, the same in both languages), and the ids clean-comments
    names its rules by."""
    from chas_sheets.clean import rules
    from chas_sheets.nightly import report

    texts = [*report.OWNED_TABS, *report.STATUS_WORDS.values(), report.RISK, report.LIVE, rules.NO_SPECULATION]
    texts += [period.name for period in calendar.default_calendar(TODAY.year)]
    for path in (ROOT / "templates").glob("*.toml"):
        texts += _strings(tomllib.loads(path.read_text(encoding="utf-8")))
    return frozenset(word.lower() for text in texts for word in _WORD.findall(text))


def command_line_words() -> set[str]:
    """Command and option names (a line may quote a command to run), and the program's name."""
    words = {"chas", "sheets", "cli"}
    for name in COMMANDS:
        words.update(part for part in name.split("-"))
        command = cli.get_command(None, name)
        for param in getattr(command, "params", []):
            for opt in (*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])):
                words.update(w.lower() for w in _WORD.findall(opt))
    for param in cli.params:
        for opt in param.opts:
            words.update(w.lower() for w in _WORD.findall(opt))
    return words


def workspace_words(folder: Path) -> set[str]:
    """Every word in the cells of the workspace's workbooks (names, comments people typed)."""
    from openpyxl import load_workbook

    words = set()
    for path in folder.rglob("*.xlsx"):
        book = load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            words.update(w.lower() for w in _WORD.findall(sheet.title))
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        words.update(w.lower() for w in _WORD.findall(value))
        book.close()
    return words


def _outside_catalogs(line: str) -> str:
    """The line with every bracketed (translated) part taken out, nested ones included."""
    while True:
        shorter = _INNERMOST.sub(" ", line)
        if shorter == line:
            return line
        line = shorter


def _plain_tokens(text: str) -> list[str]:
    """Tokens that can be words: no paths, URLs, numbers, dates, ids or metavars."""
    kept = []
    for token in text.split():
        token = token.strip("()[]{}<>,.;:'\"`!?*=")
        if not token or any(ch.isdigit() for ch in token) or "/" in token or "\\" in token \
                or "://" in token or token.endswith((".xlsx", ".csv", ".json")) or token.startswith("-") \
                or "@" in token or (token.isupper() and len(token) > 1):
            continue
        kept.append(token)
    return kept


def english_left(output: str, allowed: set[str]) -> list[str]:
    """Each output line with an English word outside the catalogs: 'word: line'."""
    vocabulary = english_words()
    found = []
    for line in output.splitlines():
        rest = _outside_catalogs(line)
        words = [w for token in _plain_tokens(rest) for w in _WORD.findall(token)]
        bad = sorted({w for w in words if w.lower() in vocabulary and w.lower() not in allowed})
        if bad:
            found.append(f"{', '.join(bad)}: {line}")
    return found


# --------------------------------------------------------------------------- the commands
def _run(*args) -> str:
    result = CliRunner().invoke(cli, ["--today", str(TODAY), *[str(a) for a in args]])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


def _group(demo: Path) -> Path:
    return sorted((demo / "grupper").glob("*.xlsx"))[0]


def _student(demo: Path) -> Path:
    return sorted((demo / "studerande").glob("*.xlsx"))[0]


def _register(demo: Path) -> Path:
    return demo / "register.xlsx"


def _csv(demo: Path) -> Path:
    path = demo / "crm.csv"
    path.write_text("Företag;Kontaktperson\nVolvo;Anna\n", encoding="utf-8")
    return path


# id -> (setup steps, the command whose output is read); each a function of the demo folder
COMMAND_RUNS = {
    "check group": ([], lambda d: ["check", _group(d)]),
    "check student": ([], lambda d: ["check", _student(d)]),
    "check register": ([], lambda d: ["check", _register(d)]),
    "status student": ([], lambda d: ["status", _student(d)]),
    "status group": ([], lambda d: ["status", _group(d)]),
    "mark-processed": ([], lambda d: ["mark-processed", _group(d)]),
    "mark-processed --apply": ([], lambda d: ["mark-processed", _group(d), "--apply"]),
    "dedupe": ([], lambda d: ["dedupe", _group(d)]),
    "dedupe --across": ([], lambda d: ["dedupe", "--across", _register(d)]),
    "clean-comments": ([], lambda d: ["clean-comments", _group(d)]),
    "clean-comments --explain": ([], lambda d: ["clean-comments", _group(d), "--explain"]),
    "harvest --prepare": ([], lambda d: ["harvest", _group(d), "--prepare"]),
    "harvest split": ([lambda d: ["harvest", _group(d), "--prepare", "--apply"]], lambda d: ["harvest", _group(d)]),
    "harvest split, empty Skörd": ([], lambda d: ["harvest", _group(d)]),
    "nightly": ([], lambda d: ["nightly", _register(d)]),
    "nightly --apply": ([], lambda d: ["nightly", _register(d), "--apply"]),
    "undo --list": ([lambda d: ["mark-processed", _group(d), "--apply"]], lambda d: ["undo", _group(d), "--list"]),
    "audit-sharing": ([], lambda d: ["audit-sharing", _register(d)]),
    "init": ([], lambda d: ["init", "group", d / "new.xlsx"]),
    "error: missing file": ([], lambda d: ["check", d / "missing.xlsx"]),
    "error: bad kind": ([], lambda d: ["init", "bogus", d / "x.xlsx"]),
    "error: .csv target": ([], lambda d: ["check", _csv(d)]),
    "error: missing argument": ([], lambda d: ["check"]),
    "error: option after the command": ([], lambda d: ["check", _group(d), "--today", "2027-05-12"]),
}


@pytest.mark.parametrize("name", list(COMMAND_RUNS))
def test_no_english_outside_the_catalogs(name, tmp_path, pseudo_swedish):
    demo_output = _run("demo", tmp_path / "demo")
    demo = tmp_path / "demo"
    assert (demo / "register.xlsx").exists(), demo_output
    setup, command = COMMAND_RUNS[name]
    for step in setup:
        _run(*step(demo))
    allowed = (set(contract_words()) | set(_catalog_ids()[2]) | command_line_words() | workspace_words(demo)
               | register_words())
    output = _run(*command(demo))
    assert output.strip(), "the command printed nothing"
    left = english_left(output, allowed)
    assert left == [], f"{name}: {len(left)} lines with English outside the catalogs:\n" + "\n".join(left)


def test_demo_speaks_through_the_catalogs(tmp_path, pseudo_swedish):
    output = _run("demo", tmp_path / "demo")
    allowed = set(contract_words()) | set(_catalog_ids()[2]) | command_line_words()
    assert english_left(output, allowed) == []


def test_the_check_finds_english_and_lets_translated_text_pass():
    """The detector itself: a bare English word is caught, bracketed text and data are not."""
    allowed = {"volvo"}
    assert english_left("⟦{target}: wrote 3 changes⟧ as run 20270512-101010-beef", allowed) == ["run: ⟦{target}: "
                                                                                                "wrote 3 changes⟧ as "
                                                                                                "run 20270512-101010-beef"]
    assert english_left("⟦a ⟦nested⟧ message⟧ Volvo crm/x.xlsx --apply TARGET 12", allowed) == []
    filled = bracketed("{target}: would make {planned}").format(target="crm.xlsx", planned="3 cells")
    assert english_left(filled, allowed) == [f"cells: {filled}"]


# --------------------------------------------------------------------------- --help
def help_paths() -> list[tuple[str, ...]]:
    """Every command line `--help` can follow: the group, each command, each subcommand (walked)."""
    import click

    found = []

    def walk(path: tuple[str, ...], command) -> None:
        found.append(path)
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=path[-1] if path else "chas-sheets")
            for name in command.list_commands(ctx):
                walk((*path, name), command.get_command(ctx, name))

    walk((), cli)
    return found


def help_words() -> set[str]:
    """What a --help page shows outside its texts: command, option and choice names, the program's."""
    import click

    words = set(command_line_words())
    for path in help_paths():
        words.update(w.lower() for name in path for w in _WORD.findall(name))
        command = cli
        for name in path:
            command = command.get_command(None, name)
        for param in command.params:
            for opt in (*param.opts, *param.secondary_opts):
                words.update(w.lower() for w in _WORD.findall(opt))
            if isinstance(param.type, click.Choice):
                words.update(w.lower() for choice in param.type.choices for w in _WORD.findall(str(choice)))
    return words


_CUT_SHORT = re.compile(f"{OPEN}[^{CLOSE}\n]*$", re.MULTILINE)


def english_in_help(output: str, allowed: set[str]) -> list[str]:
    """`english_left` for a help page: a help text is bracketed whole but wrapped over several
    lines, so the brackets are taken out of the whole page first; a command's short help in a
    group's list is its help cut after the first sentence, so what follows an opening bracket
    to the end of its line is translated text too."""
    return english_left(_CUT_SHORT.sub(" ", _outside_catalogs(output)), allowed)


def _help_page(path: tuple[str, ...]) -> str:
    # wide: a short help in the list is not cut mid-sentence and no text wraps inside a word
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=400)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", [" ".join(path) or "(the group)" for path in help_paths()])
def test_help_has_no_english_outside_the_catalogs(path, pseudo_swedish):
    output = _help_page(tuple(path.split()) if path != "(the group)" else ())
    assert OPEN in output, "nothing of the page went through the catalogs"
    left = english_in_help(output, set(contract_words()) | help_words())
    assert left == [], f"{path} --help: {len(left)} lines with English outside the catalogs:\n" + "\n".join(left)


def test_the_help_check_finds_a_help_text_that_skips_the_catalogs(pseudo_swedish, monkeypatch):
    """A command made as a plain Click command (not through chas_sheets.cli.click_i18n) shows its
    docstring as written: the check above names it."""
    import click

    catalogued = "Merge duplicate leads in one CRM, or (--across) list over-processed companies."
    plain = click.Command("plain", help=catalogued,
                          params=[click.Option(["--fast"], is_flag=True, help="Skip the slow part.")])
    monkeypatch.setitem(cli.commands, "plain", plain)
    left = english_in_help(_help_page(("plain",)), set(contract_words()) | help_words())
    assert any("merge" in line.lower() for line in left) and any("Skip" in line for line in left), left
