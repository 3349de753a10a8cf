"""The backend contract: the same tests on the local backend (an .xlsx in tmp_path) and on the
Google backend talking to the Sheets API emulator in process.

Each harness builds spreadsheets with `init` (the backend's own `create`) and then acts as a
person would behind the tool's back: openpyxl on the file, the real gspread client (RAW
writes, like typing) on the emulator.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import gspread
import openpyxl
import pytest

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet, RowAppend, RowRemoval
from chas_sheets.sheet.tables import logged_row_ids
from chas_sheets.sheet.values import row_from_json
from chas_sheets.sheet.writeplan import RunInfo

TRICKY = {
    "Telefon": "0701234567",
    "Kontaktperson": "+46701234567",
    "Org.nr": "556036-0793",
    "Företag": '=HYPERLINK("http://x","y")',
    "Roll": "-chef",
    "Kommentar": "@Anna 2027-05-01 ring tillbaka",
    "Storlek": "1,234",
}


class LocalHarness:
    name = "local"

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path

    def create(self, kind: str = "student", **tabs) -> LocalWorkbook:
        path = self.tmp_path / f"crm-{len(list(self.tmp_path.iterdir()))}.xlsx"
        backend = LocalWorkbook(path)
        backend.create(kind)
        self.backend = backend
        for tab, rows in tabs.items():
            self.add_rows(tab, rows)
        return backend

    def _edit(self, fn):
        wb = openpyxl.load_workbook(self.backend.path)
        fn(wb)
        wb.save(self.backend.path)

    def add_rows(self, tab: str, rows: list[dict]) -> None:
        def write(wb):
            ws = wb[tab]
            headers = [c.value for c in ws[1]]
            for row in rows:
                line = ws.max_row + 1
                for key, value in row.items():
                    if key not in headers:
                        headers.append(key)
                        ws.cell(row=1, column=len(headers)).value = key
                    cell = ws.cell(row=line, column=headers.index(key) + 1)
                    cell.value = value
                    if isinstance(value, str):
                        cell.data_type = "s"
                    elif isinstance(value, dt.date):
                        cell.number_format = "yyyy-mm-dd"
        self._edit(write)

    def person_sets(self, tab: str, row_id: str, column: str, value) -> None:
        def write(wb):
            ws = wb[tab]
            headers = [c.value for c in ws[1]]
            row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == row_id)
            ws.cell(row=row, column=headers.index(column) + 1).value = value
        self._edit(write)

    def person_types_formula(self, tab: str, row_id: str, column: str, formula: str) -> None:
        self.person_sets(tab, row_id, column, formula)  # openpyxl stores '=...' as a formula

    def person_sorts_and_inserts(self, tab: str) -> None:
        """Rows reversed (a Z-A sort) and a new row inserted on top."""
        def write(wb):
            ws = wb[tab]
            rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
            for offset, values in enumerate(reversed(rows), start=2):
                for col, value in enumerate(values, start=1):
                    ws.cell(row=offset, column=col).value = value
            ws.insert_rows(2)
            ws["B2"] = "Ny rad"
        self._edit(write)

    def delete_tab(self, tab: str) -> None:
        self._edit(lambda wb: wb.remove(wb[tab]))

    def stored_as_text(self, tab: str, row_id: str, column: str) -> bool:
        ws = openpyxl.load_workbook(self.backend.path)[tab]
        headers = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == row_id)
        return ws.cell(row=row, column=headers.index(column) + 1).data_type == "s"


class GoogleHarness:
    name = "google"

    def __init__(self):
        self.app = make_app()
        self.session = emulator_session(self.app)
        self.people = gspread.Client(auth=None, session=emulator_session(self.app))

    def create(self, kind: str = "student", **tabs):
        retry = RetryPolicy(total_seconds=5, sleep=lambda seconds: None)
        self.backend = GoogleSpreadsheet.new(kind, session=self.session, retry=retry)
        self.book = self.people.open_by_key(self.backend.key)
        for tab, rows in tabs.items():
            self.add_rows(tab, rows)
        return self.backend

    def add_rows(self, tab: str, rows: list[dict]) -> None:
        ws = self.book.worksheet(tab)
        headers = ws.row_values(1)
        line = len(ws.get_all_values()) + 1
        for row in rows:
            for key, value in row.items():
                if key not in headers:
                    headers.append(key)
                    ws.update([[key]], gspread.utils.rowcol_to_a1(1, len(headers)))
                self._type(ws, line, headers.index(key) + 1, value)
            line += 1

    @staticmethod
    def _type(ws, row: int, col: int, value) -> None:
        cell = gspread.utils.rowcol_to_a1(row, col)
        if isinstance(value, dt.date):  # typed as a date in the UI: a date cell
            ws.update([[value.isoformat()]], cell, value_input_option="USER_ENTERED")
        else:
            ws.update([[value]], cell, raw=True)

    def _row_of(self, ws, row_id: str) -> int:
        return ws.col_values(1).index(row_id) + 1

    def person_sets(self, tab: str, row_id: str, column: str, value) -> None:
        ws = self.book.worksheet(tab)
        self._type(ws, self._row_of(ws, row_id), ws.row_values(1).index(column) + 1, value)

    def person_types_formula(self, tab: str, row_id: str, column: str, formula: str) -> None:
        ws = self.book.worksheet(tab)
        cell = gspread.utils.rowcol_to_a1(self._row_of(ws, row_id), ws.row_values(1).index(column) + 1)
        ws.update([[formula]], cell, value_input_option="USER_ENTERED")

    def person_sorts_and_inserts(self, tab: str) -> None:
        ws = self.book.worksheet(tab)
        values = ws.get_all_values()
        ws.update([*reversed(values[1:])], "A2", raw=True)
        ws.insert_row(["", "Ny rad"], 2)

    def delete_tab(self, tab: str) -> None:
        self.book.del_worksheet(self.book.worksheet(tab))

    def stored_as_text(self, tab: str, row_id: str, column: str) -> bool:
        ws = self.book.worksheet(tab)
        cell = gspread.utils.rowcol_to_a1(self._row_of(ws, row_id), ws.row_values(1).index(column) + 1)
        data = self.book.fetch_sheet_metadata({"ranges": f"'{tab}'!{cell}", "includeGridData": "true"})
        entered = data["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredValue"]
        return set(entered) == {"stringValue"}


@pytest.fixture(params=["local", "google"])
def harness(request, tmp_path):
    return LocalHarness(tmp_path) if request.param == "local" else GoogleHarness()


def leads(backend):
    return read_tables(backend, ["Leads"])["Leads"].df


def apply(backend, changes, command="test"):
    return backend.apply(changes, RunInfo.new(command))


def test_read_apply_round_trip_by_id(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Status": "Ny"},
                                    {"ID": "L-BBBBBB", "Företag": "B"}])
    df = leads(backend)
    assert list(df.index) == ["L-AAAAAA", "L-BBBBBB"]
    changes = ChangeSet()
    changes.set_cell("Leads", "L-BBBBBB", "Status", None, "Dialog")
    changes.set_cell("Leads", "L-AAAAAA", "Bearbetad", None, dt.date(2027, 5, 1))
    result = apply(backend, changes)
    assert result.written and result.skipped == []
    df = leads(backend)
    assert df.loc["L-BBBBBB", "Status"] == "Dialog"
    assert df.loc["L-AAAAAA", "Status"] == "Ny"
    assert df.loc["L-AAAAAA", "Bearbetad"] == dt.date(2027, 5, 1)  # a date cell, read as a date


def test_unknown_columns_are_kept_and_read(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Prio (egen)": "hög"}])
    assert leads(backend).loc["L-AAAAAA", "Prio (egen)"] == "hög"
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", None, "Ja")
    changes.set_cell("Leads", "L-AAAAAA", "Min egen kolumn", None, "ny")
    apply(backend, changes)
    df = leads(backend)
    assert (df.loc["L-AAAAAA", "Prio (egen)"], df.loc["L-AAAAAA", "Min egen kolumn"]) == ("hög", "ny")


def test_phone_numbers_org_numbers_and_formula_text_round_trip_unchanged(harness):
    backend = harness.create()
    apply(backend, ChangeSet(appends=[RowAppend("Leads", {"ID": "L-TEXT22", **TRICKY})]))
    row = leads(backend).loc["L-TEXT22"]
    for column, typed in TRICKY.items():
        assert row[column] == typed, column
        assert harness.stored_as_text("Leads", "L-TEXT22", column), column


def test_typed_text_survives_a_write_elsewhere_in_the_row(harness):
    backend = harness.create(Leads=[{"ID": "L-222222", "Företag": "A", **{k: TRICKY[k] for k in ("Telefon", "Org.nr")}}])
    changes = ChangeSet()
    changes.set_cell("Leads", "L-222222", "Status", None, "Kontaktad")
    apply(backend, changes)
    row = leads(backend).loc["L-222222"]
    assert (row["Telefon"], row["Org.nr"], row["Status"]) == ("0701234567", "556036-0793", "Kontaktad")


def test_an_edit_made_between_read_and_apply_is_not_overwritten(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Status": "Ny"},
                                    {"ID": "L-BBBBBB", "Företag": "B", "Status": "Ny"}])
    df = leads(backend)
    changes = ChangeSet()
    for row_id in df.index:
        changes.set_cell("Leads", row_id, "Status", df.loc[row_id, "Status"], "Kontaktad")
    harness.person_sets("Leads", "L-AAAAAA", "Status", "Ja")  # the student's edit
    result = apply(backend, changes)
    df = leads(backend)
    assert df.loc["L-AAAAAA", "Status"] == "Ja"
    assert df.loc["L-BBBBBB", "Status"] == "Kontaktad"
    assert len(result.skipped) == 1 and "changed by someone" in result.skipped[0]


def test_rows_are_found_by_id_after_people_sort_and_insert(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A"}, {"ID": "L-BBBBBB", "Företag": "B"}])
    changes = ChangeSet()
    changes.set_cell("Leads", "L-BBBBBB", "Status", leads(backend).loc["L-BBBBBB", "Status"], "Dialog")
    harness.person_sorts_and_inserts("Leads")
    apply(backend, changes)
    df = leads(backend)
    assert df.loc["L-BBBBBB", "Status"] == "Dialog"
    assert df.loc["L-AAAAAA", "Status"] is None and df.loc["L-BBBBBB", "Företag"] == "B"


def test_blank_and_copied_ids_get_new_ones_once(harness):
    backend = harness.create(Leads=[{"Företag": "A"}, {"ID": "L-DUPDUP", "Företag": "B"},
                                    {"ID": "L-DUPDUP", "Företag": "C"}])
    tables = read_tables(backend, ["Leads"])
    assert [a.sheet_row for a in tables["Leads"].id_assignments] == [2, 4]
    apply(backend, tables.id_changes())
    df = leads(backend)
    assert len(set(df.index)) == 3 and df.loc["L-DUPDUP", "Företag"] == "B"
    assert read_tables(backend, ["Leads"])["Leads"].id_assignments == []


def test_appends_removals_and_andringslogg_rows(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Telefon": "0701", "Status": "Ny"},
                                    {"ID": "L-BBBBBB", "Företag": "B"}])
    df = leads(backend)
    changes = ChangeSet(removals=[RowRemoval("Leads", "L-AAAAAA", df.loc["L-AAAAAA"].to_dict())],
                        appends=[RowAppend("Leads", {"ID": "L-NEWNEW", "Företag": "N", "Tillagd": dt.date(2027, 5, 2)})])
    changes.set_cell("Leads", "L-BBBBBB", "Status", None, "Dialog")
    run = RunInfo.new("mark-processed")
    backend.apply(changes, run)
    df = leads(backend)
    assert list(df.index) == ["L-BBBBBB", "L-NEWNEW"]
    assert df.loc["L-NEWNEW", "Tillagd"] == dt.date(2027, 5, 2)
    log = read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df
    assert list(log["Körning"]) == [run.run_id] * 3
    assert sorted(log["Kolumn"]) == ["(ny rad)", "(rad borttagen)", "Status"]
    removed = log[log["Kolumn"] == "(rad borttagen)"].iloc[0]
    assert row_from_json(removed["Före"])["Telefon"] == "0701"
    assert "L-AAAAAA" in logged_row_ids(backend.read())


def test_a_missing_log_tab_is_created_with_the_write(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A"}])
    harness.delete_tab("Ändringslogg")
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", None, "Ja")
    apply(backend, changes)
    assert "Ändringslogg" in backend.read().titles
    log = read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df
    assert list(log["Efter"]) == ["Ja"]


def test_nothing_to_write_writes_nothing(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Status": "Ja"}])
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", "Ja", "Ja")
    assert not apply(backend, changes).written
    assert "Ändringslogg" in backend.read().titles
    assert read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df.empty


def test_a_cell_holding_a_formula_is_never_overwritten(harness):
    backend = harness.create(Leads=[{"ID": "L-AAAAAA", "Företag": "A"}])
    harness.person_types_formula("Leads", "L-AAAAAA", "Kommentar", '=CONCATENATE("a","b")')
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Kommentar", leads(backend).loc["L-AAAAAA", "Kommentar"], "text")
    result = apply(backend, changes)
    assert not result.written and "formula" in result.skipped[0]
