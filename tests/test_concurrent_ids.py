"""A new ID versus a person editing the same row while `mark-processed --apply` runs, on both
backends (the harnesses of test_backend_contract).

A row without an ID is found by its cells, so an edit of another cell must not cost it its new
ID; and where the ID really cannot be written (the person typed their own, or removed the
row), nothing naming the new ID may be written either: no Kontaktlogg row may point at an ID
that exists nowhere.
"""

from __future__ import annotations

import datetime as dt

import gspread
import pytest
from test_backend_contract import GoogleHarness, LocalHarness

from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.runner import read_tables
from chas_sheets.sheet.writeplan import RunInfo

TODAY = dt.date(2027, 5, 12)
VOLVO_ROW = 3  # the lead without an ID: sheet row 3 of Leads
LEADS = [
    {"ID": "L-AAAAAA", "Företag": "Scania", "Kontaktperson": "Per Holm"},
    {"Företag": "Volvo", "Kontaktperson": "Anna Svensson", "Telefon": "0701234567", "Status": "Kontaktad"},
]
LOG = [{"ID": "K-AAAAAA", "Datum": dt.date(2027, 5, 10), "Företag": "Volvo", "Kontaktperson": "Anna",
        "Kanal": "Telefon", "Utfall": "Svar"}]


class Local(LocalHarness):
    def person_sets_at(self, tab: str, row: int, column: str, value) -> None:
        def write(wb):
            ws = wb[tab]
            headers = [c.value for c in ws[1]]
            ws.cell(row=row, column=headers.index(column) + 1).value = value
        self._edit(write)

    def person_deletes_row(self, tab: str, row: int) -> None:
        self._edit(lambda wb: wb[tab].delete_rows(row))


class Google(GoogleHarness):
    def a1(self, tab: str, row: int, column: str) -> str:
        return gspread.utils.rowcol_to_a1(row, self.book.worksheet(tab).row_values(1).index(column) + 1)

    def person_sets_at(self, tab: str, row: int, column: str, value) -> None:
        self.book.worksheet(tab).update([[value]], self.a1(tab, row, column), raw=True)

    def person_deletes_row(self, tab: str, row: int) -> None:
        self.book.worksheet(tab).delete_rows(row)


@pytest.fixture(params=["local", "google"])
def harness(request, tmp_path):
    return Local(tmp_path) if request.param == "local" else Google()


def mark_processed(backend):
    """The command's read and plan; returns the plan, its report and the Volvo lead's new ID."""
    tables = read_tables(backend, ["Leads"], ["Kontaktlogg"])
    changes, report = plan_mark_processed(tables, TODAY)
    (assignment,) = [a for a in tables["Leads"].id_assignments if a.sheet_row == VOLVO_ROW]
    return changes, report, assignment.new


def sheet_state(backend):
    """Leads and Kontaktlogg as they are now, and the IDs a read would still have to give."""
    tables = read_tables(backend, ["Leads"], ["Kontaktlogg"])
    unwritten = [a.new for t in ("Leads", "Kontaktlogg") for a in tables[t].id_assignments]
    return tables["Leads"].df, tables["Kontaktlogg"].df, unwritten


def test_an_edit_of_another_cell_keeps_the_edit_and_still_writes_the_id_the_log_names(harness):
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    changes, _, new_id = mark_processed(backend)
    assert ("Kontaktlogg", "K-AAAAAA", "Lead-ID", new_id) in {(c.tab, c.row_id, c.column, c.new) for c in changes.cells}
    harness.person_sets_at("Leads", VOLVO_ROW, "Status", "Ja")  # the person's edit, behind the tool's back
    result = backend.apply(changes, RunInfo.new("mark-processed"))
    leads, log, unwritten = sheet_state(backend)
    assert unwritten == []
    assert leads.loc[new_id, "Företag"] == "Volvo"
    assert leads.loc[new_id, "Status"] == "Ja"  # their edit kept
    assert leads.loc[new_id, "Telefon"] == "0701234567"
    assert log.loc["K-AAAAAA", "Lead-ID"] == new_id  # the link points at a lead that exists
    assert len(result.skipped) == 1 and "changed by someone" in result.skipped[0]
    _, report = plan_mark_processed(read_tables(backend, ["Leads"], ["Kontaktlogg"]), TODAY)
    assert not any("is no lead" in warning for warning in report.warnings)


def test_the_emulators_concurrent_editor_on_the_status_cell_costs_the_row_nothing_but_that_cell():
    harness = Google()  # the auditor's reproduction: the fault armed, the edit lands after the read
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    harness.app.faults.concurrent_edit(backend.key, f"Leads!{harness.a1('Leads', VOLVO_ROW, 'Status')}",
                                       [["Dialog"]], after_reads=1)
    changes, _, new_id = mark_processed(backend)
    backend.apply(changes, RunInfo.new("mark-processed"))
    leads, log, unwritten = sheet_state(backend)
    assert unwritten == [] and leads.loc[new_id, "Status"] == "Dialog"
    assert log.loc["K-AAAAAA", "Lead-ID"] == new_id


def test_an_id_typed_by_the_person_wins_and_nothing_names_the_unwritten_one(harness):
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    changes, _, new_id = mark_processed(backend)
    harness.person_sets_at("Leads", VOLVO_ROW, "ID", "L-EGEN22")
    result = backend.apply(changes, RunInfo.new("mark-processed"))
    leads, log, unwritten = sheet_state(backend)
    assert unwritten == [] and set(leads.index) == {"L-AAAAAA", "L-EGEN22"}
    assert leads.loc["L-EGEN22", "Status"] == "Kontaktad"  # our Status went with our ID
    assert log.loc["K-AAAAAA", "Lead-ID"] is None
    assert any("'L-EGEN22'" in s and "their ID kept" in s for s in result.skipped)
    assert any("Lead-ID" in s and new_id in s and "not written" in s for s in result.skipped)
    # The next run links the log row to the ID the person typed.
    changes, report = plan_mark_processed(read_tables(backend, ["Leads"], ["Kontaktlogg"]), TODAY)
    assert ("K-AAAAAA", "L-EGEN22") in {(c.row_id, c.new) for c in changes.cells if c.column == "Lead-ID"}


def test_a_row_removed_meanwhile_takes_its_links_along_and_no_other_row_gets_its_id(harness):
    saab = {"Företag": "Saab", "Kontaktperson": "Eva Ek", "Telefon": "0709999999"}
    backend = harness.create(Leads=[*LEADS, saab], Kontaktlogg=LOG)
    changes, _, new_id = mark_processed(backend)
    harness.person_deletes_row("Leads", VOLVO_ROW)  # Saab moves up into Volvo's place, still without an ID
    result = backend.apply(changes, RunInfo.new("mark-processed"))
    leads, log, unwritten = sheet_state(backend)
    assert unwritten == [] and new_id not in leads.index
    assert sorted(leads["Företag"]) == ["Saab", "Scania"]
    assert log.loc["K-AAAAAA", "Lead-ID"] is None
    assert any(f"row {VOLVO_ROW}" in s and "removed" in s for s in result.skipped)
    assert any("Lead-ID" in s and new_id in s for s in result.skipped)


def test_two_rows_alike_where_one_is_removed_get_one_id_not_two_in_one_cell(harness):
    backend = harness.create(Leads=[{"Företag": "Volvo"}, {"Företag": "Volvo"}])
    tables = read_tables(backend, ["Leads"])
    first, second = (a.new for a in tables["Leads"].id_assignments)
    harness.person_deletes_row("Leads", 3)
    result = backend.apply(tables.id_changes(), RunInfo.new("test"))
    leads = read_tables(backend, ["Leads"])["Leads"]
    assert list(leads.df.index) == [first] and leads.id_assignments == []
    assert len(result.skipped) == 1 and second in result.skipped[0]
    log = read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df
    assert list(log["Rad-ID"]) == [first]  # the log names only the ID that was written


def test_a_row_whose_own_cells_were_all_replaced_is_not_taken_for_the_one_read(harness):
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    changes, _, new_id = mark_processed(backend)
    for column, value in (("Företag", "Ericsson"), ("Kontaktperson", "Bo Berg"), ("Telefon", "081234")):
        harness.person_sets_at("Leads", VOLVO_ROW, column, value)  # another lead typed over it
    result = backend.apply(changes, RunInfo.new("mark-processed"))
    leads, log, _ = sheet_state(backend)
    assert new_id not in leads.index and log.loc["K-AAAAAA", "Lead-ID"] is None
    assert any("Lead-ID" in s and new_id in s for s in result.skipped)
