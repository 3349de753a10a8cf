"""The nightly speaks two languages at once: the register's tabs are the programme's, in
Swedish whatever language runs the tool; the terminal is the reader's (English here, as every
test runs unless it asks: tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from test_nightly import TODAY, records, run, workspace  # noqa: F401 - the workspace fixture

from chas_sheets import i18n
from chas_sheets.backends import open_spreadsheet
from chas_sheets.cli import cli
from chas_sheets.demo.workspace import build_demo
from chas_sheets.i18n.catalogs import po_path, read
from chas_sheets.nightly.render import render
from chas_sheets.nightly.report import OWNED_TABS
from chas_sheets.nightly.run import run_nightly
from chas_sheets.nightly.state import STATE_TAB, Everything
from chas_sheets.programme.calendar import parse_kull

NEXT = TODAY + dt.timedelta(days=1)
# The cells the night writes sentences into (the rest are figures, dates, names, contract words).
SENTENCE_COLUMNS = ("Orsak", "Varningar")
_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]{3,}")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text))}


def english_only_words() -> set[str]:
    """The words of the nightly's and the programme's English messages that their Swedish
    never uses (so not 'CRM', 'leads', 'Big Bang Day', 'deadline', tab names, contract words)."""
    english, swedish = set(), set()
    for domain in ("nightly", "programme"):
        for message in read(po_path("sv", domain), "sv"):
            if not message.id:
                continue
            for text in ([message.id] if isinstance(message.id, str) else message.id):
                english |= words(text)
            for text in ([message.string] if isinstance(message.string, str) else message.string):
                swedish |= words(text)
    return english - swedish


def sentences(path, tab: str) -> list[str]:
    wb = openpyxl.load_workbook(path)
    if tab not in wb.sheetnames:
        return []
    rows = [[c.value for c in row] for row in wb[tab].iter_rows()]
    columns = [i for i, h in enumerate(rows[0]) if h in SENTENCE_COLUMNS] if rows else []
    return [str(row[i]) for row in rows[1:] for i in columns if i < len(row) and row[i]]


def test_the_english_vocabulary_is_one_a_sheet_could_show():
    """The check below could fail: the words it looks for are the ones a sentence left in
    English would bring (and the Swedish tabs never use)."""
    vocabulary = english_only_words()
    assert {"companies", "goal", "registered", "missing", "dialogue", "night", "read", "added"} <= vocabulary
    assert not {"leads", "crm", "dashboard", "deadline", "lia", "delmål"} & vocabulary
    assert words("38/50 companies, 29 attempts (7 d) — 38 av 50 företag (mål 2027-04-30)") & vocabulary


def test_an_english_run_of_the_demo_leaves_only_swedish_in_the_register(tmp_path):
    paths = build_demo(tmp_path / "demo", TODAY)
    register = paths["register"]
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "nightly", str(register), "--apply"])
    assert result.exit_code == 0, result.output
    vocabulary = english_only_words()
    written = {tab: sentences(register, tab) for tab in OWNED_TABS}
    assert written["Dashboard"] and written["Placering"] and written["Överbearbetning"]  # the check has matter
    english = {tab: [text for text in texts if words(text) & vocabulary] for tab, texts in written.items()}
    assert english == {tab: [] for tab in OWNED_TABS}
    assert "38 av 50 företag (mål 2027-04-30)" in written["Dashboard"]
    assert "ingen dialog, inget individuellt CRM" in written["Placering"]
    # the charts' titles are the sheet's too
    with zipfile.ZipFile(register) as book:
        charts = [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/charts/chart")]
    titles = [t for chart in charts for t in re.findall(r"<a:t>([^<]*)</a:t>", chart)]
    assert titles and not [t for t in titles if words(t) & vocabulary]
    # each student's `Att göra` (written by the night): its deadline is the sheet's words
    todo = openpyxl.load_workbook(next(paths["students"].glob("*.xlsx")))["Att göra"]
    deadline = [[c.value for c in row] for row in todo.iter_rows() if row[0].value == "Nästa deadline"]
    assert deadline and not words(" ".join(str(v) for v in deadline[0] if v)) & vocabulary
    # ...and the terminal is the reader's: the same findings, in English, no Swedish sentence
    assert "38 of 50 companies (goal 2027-04-30)" in result.stdout
    assert "Risk: " in result.stdout and "no dialogue, no individual CRM" in result.stdout
    assert " av 50 företag" not in result.stdout and "ingen dialog" not in result.stdout
    assert "individual CRMs (at most 3)" in result.stdout and "individuella CRM" not in result.stdout
    assert any("individuella CRM (högst 3)" in text for text in written["Överbearbetning"])


def test_a_swedish_reader_gets_the_night_in_swedish(workspace):  # noqa: F811 - the fixture
    result = CliRunner().invoke(cli, ["--lang", "sv", "--today", TODAY.isoformat(), "nightly",
                                      str(workspace / "register.xlsx")])
    assert "nattkörning 2027-05-12: 1 grupp, 5 studerande:" in result.stderr
    lines = {line.split()[2]: line for line in result.stdout.splitlines() if line.startswith("  ") and
             len(line.split()) > 2}
    assert lines["Anna"].split()[:2] == ["Efter", "studerande"] and "företag, " in lines["Anna"]
    assert "companies" not in result.stdout


def test_an_error_worded_by_another_package_is_swedish_in_the_register(workspace):  # noqa: F811
    """A CRM's error is made where it happens (here the programme package words it): the night
    makes it in the sheets' language, so the Dashboard's Fel row and Nattkörning's note are
    Swedish; the warning the terminal prints is the reader's."""
    register = workspace / "register.xlsx"
    assert run(workspace, "--apply").exit_code == 1  # a first night (its fixture has broken CRMs)

    def opener(target: str):
        if target.endswith("anna.xlsx"):
            parse_kull("nästa år")  # raises, worded by calendar
        return open_spreadsheet(target)

    result = run_nightly(open_spreadsheet(str(register)), NEXT, apply=True, open_backend=opener,
                         detector=Everything())
    anna = next(r for r in records(register, "Dashboard") if r["Namn"] == "Anna Berg")
    assert anna["Status"] == "Fel"
    assert anna["Orsak"] == ("Kull 'nästa år' är inget år (skriv året vars april LIA-sökandet börjar, t.ex. 2027) "
                             f"(senast läst {TODAY.isoformat()})")
    [note] = [r["Sammanfattning"] for r in records(register, STATE_TAB) if r["CRM"] == "(Obs)"]
    assert note.startswith(f"{NEXT.isoformat()}: 3 CRM kunde inte läsas (se Dashboard, Status Fel)")
    assert note.endswith("läses igen nästa natt")
    assert any(w.startswith(f"{NEXT.isoformat()}: 3 CRMs could not be read") and w.endswith("read again next night")
               for w in result.warnings)
    # the report's own words stay the reader's, and so does the error itself: worded once in
    # Swedish where it was raised, it reads in English on the terminal
    [line] = [line for line in render(result.report) if "Anna Berg" in line]
    assert line.split()[0] == "Error"
    assert line.endswith("Kull 'nästa år' is not a year (write the year whose April starts the LIA search, "
                         f"e.g. 2027) (last read {TODAY.isoformat()})")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_failed_crms_error_is_the_readers_on_the_terminal_and_swedish_in_the_dashboard(
        workspace, language):  # noqa: F811 - the fixture
    """Cia's CRM is missing, Dan's is no workbook: the Dashboard says so in Swedish, the terminal
    in the language of whoever runs the night."""
    register = workspace / "register.xlsx"
    result = CliRunner().invoke(cli, ["--lang", language, "--today", TODAY.isoformat(), "nightly", str(register),
                                      "--apply"])
    assert result.exit_code == 1, result.output
    dashboard = {r["Namn"]: r for r in records(register, "Dashboard")}
    assert dashboard["Cia Holm"]["Status"] == dashboard["Dan Ek"]["Status"] == "Fel"
    assert "finns-inte.xlsx: filen finns inte (skapa en med `chas-sheets init`)" in dashboard["Cia Holm"]["Orsak"]
    assert "trasig.xlsx: ingen läsbar arbetsbok i .xlsx" in dashboard["Dan Ek"]["Orsak"]
    cia = next(line for line in result.stdout.splitlines() if "Cia Holm" in line)
    dan = next(line for line in result.stdout.splitlines() if " Dan Ek " in line)
    if language == "en":
        assert "finns-inte.xlsx: no such file (create one with `chas-sheets init`)" in cia
        assert "trasig.xlsx: not a readable .xlsx workbook" in dan
        assert "filen finns inte" not in result.stdout and "arbetsbok" not in result.stdout
    else:
        assert "filen finns inte (skapa en med `chas-sheets init`)" in cia
        assert "ingen läsbar arbetsbok" in dan
    # --json gives the error as the Dashboard holds it
    as_json = CliRunner().invoke(cli, ["--lang", language, "--today", TODAY.isoformat(), "nightly", str(register),
                                       "--json"])
    crms = json.loads(as_json.stdout)["crms"]
    assert "filen finns inte" in next(c["error"] for t, c in crms.items() if t.endswith("finns-inte.xlsx"))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_reasons_are_worded_once_when_the_reader_reads_swedish(workspace, language):  # noqa: F811
    """The second wording (for the terminal) is made only when the reader's language is not the
    sheets'."""
    i18n.set_language(language)
    result = run_nightly(open_spreadsheet(str(workspace / "register.xlsx")), TODAY, apply=False,
                         open_backend=open_spreadsheet, detector=Everything())
    report = result.report
    anna = next(s for s in report.students if s.name == "Anna Berg")
    reader = next(s for s in report.for_reader().students if s.name == "Anna Berg")
    assert "företag" in anna.reason  # the sheets' words, whoever reads
    if language == "sv":
        assert report.for_reader() is report
    else:
        assert "companies" in reader.reason and "företag" not in reader.reason
        assert report.for_reader().kept_tabs is report.kept_tabs
