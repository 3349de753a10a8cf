"""One language for people in backends, sheet, undo, watch, selftest and sharing: a real
message of each comes out in Swedish under `set_language("sv")` and in English under "en";
what is written into a sheet is Swedish whatever the language of the command line."""

from __future__ import annotations

import pytest

from chas_sheets import i18n
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.errors import ChasSheetsError, MissingTab
from chas_sheets.selftest.google import _title_of, check_lock
from chas_sheets.sharing.audit import file_mode_findings
from chas_sheets.sheet.changes import CellChange, ChangeSet, RowAppend
from chas_sheets.sheet.layout import OWNED_CHARTS
from chas_sheets.sheet.schema import require_tab
from chas_sheets.undo.restore import RunSummary, UndoReport, list_note
from chas_sheets.watch.requests import changes_summary
from chas_sheets.watch.service import Answer, PollResult


def _in(language: str, make) -> str:
    i18n.set_language(language)
    try:
        return make()
    except ChasSheetsError as exc:
        return str(exc)


def test_backends_say_a_missing_workbook_in_the_language_chosen(tmp_path):
    missing = lambda: LocalWorkbook(tmp_path / "saknas.xlsx").read()  # noqa: E731
    assert _in("sv", missing) == f"{tmp_path / 'saknas.xlsx'}: filen finns inte (skapa en med `chas-sheets init`)"
    assert _in("en", missing) == f"{tmp_path / 'saknas.xlsx'}: no such file (create one with `chas-sheets init`)"
    csv = lambda: LocalWorkbook(tmp_path / "leads.csv").read()  # noqa: E731
    assert "chas-sheets läser inte .csv-filer" in _in("sv", csv)
    assert "chas-sheets does not read .csv files" in _in("en", csv)


def test_sheet_names_a_missing_tab_and_counts_changes_in_the_language_chosen():
    def missing():
        with pytest.raises(MissingTab) as err:
            require_tab("Leads", ["Blad1"])
        return str(err.value)

    assert _in("sv", missing).startswith("ingen flik 'Leads' (provade 'Leads', ")
    assert _in("sv", missing).endswith("; hittade Blad1)")
    assert _in("en", missing).startswith("no tab 'Leads' (tried 'Leads', ")
    assert _in("en", missing).endswith("; found Blad1)")
    changes = ChangeSet(cells=[CellChange("Leads", "L-1", "Status", "Ny", "Ja", "")],
                        appends=[RowAppend("Leads", {}, ""), RowAppend("Leads", {}, "")])
    assert _in("sv", changes.summary) == "1 cell, 2 nya rader"
    assert _in("en", changes.summary) == "1 cell, 2 new rows"


def test_what_the_tool_writes_into_sheets_is_swedish_whatever_the_language():
    i18n.set_language("en")
    changes = ChangeSet(cells=[CellChange("Leads", "L-1", "Status", "Ny", "Ja", "")] * 3)
    assert changes_summary(changes) == "3 celler"  # a Körningar Resultat
    assert [chart.title.split(":")[0] for chart in OWNED_CHARTS["Dashboard"]] == ["Grupper", "Studerande"]


def test_watch_reports_a_poll_in_the_language_chosen():
    result = PollResult(read=["a.xlsx"], answers=[Answer("a.xlsx", 3, "Dubbletter", "Klar", "inget att ändra")])
    assert _in("sv", result.lines) == ["a.xlsx: Körningar rad 3 Dubbletter: Klar: inget att ändra",
                                       "watch: lästa CRM: 1, besvarade beställningar: 1"]
    assert _in("en", result.lines) == ["a.xlsx: Körningar row 3 Dubbletter: Klar: inget att ändra",
                                       "watch: CRMs read: 1, requests answered: 1"]


def test_undo_counts_runs_and_says_what_it_left_once_in_the_language_chosen():
    note = lambda: list_note("crm.xlsx", [RunSummary("20270512-080000-abcd", "t", "dedupe", 1)], listed=True)  # noqa: E731
    assert _in("sv", note) == "crm.xlsx: 1 körning loggad"
    assert _in("en", note) == "crm.xlsx: 1 run logged"
    report = UndoReport("crm.xlsx", "20270512-080000-abcd", "mark-processed", "t",
                        left=["Leads row 2 L-1, Status: changed after the run (the run wrote 'Ja', now 'Nej')"])
    assert _in("en", report.render)[1] == ("left as it is: Leads row 2 L-1, Status: changed after the run "
                                           "(the run wrote 'Ja', now 'Nej')")  # not '...; left as it is' again
    assert _in("sv", report.render)[0] == "crm.xlsx: ångra körning 20270512-080000-abcd (mark-processed, t)"


def test_sharing_findings_follow_the_language_and_their_sheet_text_stays_swedish():
    finding = lambda: file_mode_findings(0o100604)[0]  # noqa: E731
    assert _in("sv", lambda: finding().detail).startswith("filen kan läsas av alla på den här datorn (läge 0604")
    assert _in("en", lambda: finding().detail).startswith("file readable by everyone on this machine (mode 0604")
    assert _in("en", lambda: finding().sheet_detail).startswith("filen kan läsas av alla")  # nightly's Delning tab
    assert "sheet_detail" not in finding().to_dict()  # --json as before


def test_selftest_names_its_checks_in_the_language_chosen():
    assert _in("sv", lambda: _title_of(check_lock)) == "skrivlåset håller"
    assert _in("en", lambda: _title_of(check_lock)) == "the write lock holds"
