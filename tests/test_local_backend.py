"""The local backend: round trips, text safety, atomic writes, compare-and-set, the log."""

from __future__ import annotations

import datetime as dt
import os

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.errors import CorruptSpreadsheet, MissingColumn, SpreadsheetNotFound, UnsafeWrite
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet, RowAppend, RowRemoval
from chas_sheets.sheet.writeplan import RunInfo

TRICKY = {
    "Telefon": "0701234567",
    "Org.nr": "556036-0793",
    "Kontaktperson": "+46 70 123 45 67",
    "Företag": '=HYPERLINK("http://evil.example","klicka")',
    "Roll": "-chef",
    "Kommentar": "@Anna ring tillbaka",
}


def apply(path, changes, command="test"):
    return LocalWorkbook(path).apply(changes, RunInfo.new(command))


def leads_of(path):
    return read_tables(LocalWorkbook(path), ["Leads"])["Leads"]


def test_read_maps_aliases_and_keeps_unknown_columns_through_apply(tmp_path):
    path = tmp_path / "crm.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Prio (egen)", "Company", "Tel", "ID"])
    ws.append(["hög", "Volvo", "031-123", "L-AAAAAA"])
    wb.save(path)
    table = leads_of(path)
    assert table.df.loc["L-AAAAAA", "Företag"] == "Volvo"
    assert table.df.loc["L-AAAAAA", "Prio (egen)"] == "hög"
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Bearbetad", None, dt.date(2027, 5, 1))
    assert apply(path, changes).written
    ws = openpyxl.load_workbook(path)["Leads"]
    assert [c.value for c in ws[1]] == ["Prio (egen)", "Company", "Tel", "ID", "Bearbetad"]
    assert ws["A2"].value == "hög" and ws["C2"].value == "031-123"
    assert ws["E2"].value.date() == dt.date(2027, 5, 1)


def test_formula_looking_text_and_numbers_as_typed_stay_text(make_crm):
    path = make_crm()
    changes = ChangeSet()
    changes.appends.append(RowAppend("Leads", {"ID": "L-TEXT22", **TRICKY}))
    apply(path, changes)
    ws = openpyxl.load_workbook(path)["Leads"]
    headers = [c.value for c in ws[1]]
    for column, typed in TRICKY.items():
        cell = ws.cell(row=2, column=headers.index(column) + 1)
        assert cell.value == typed
        assert cell.data_type == "s", f"{column} was stored as {cell.data_type}"
    row = leads_of(path).df.loc["L-TEXT22"]
    for column, typed in TRICKY.items():
        assert row[column] == typed


def test_phone_and_orgnr_survive_a_cell_update_elsewhere(make_crm):
    path = make_crm(Leads=[{"ID": "L-222222", "Företag": "Volvo", "Telefon": "0701234567", "Org.nr": "556036-0793"}])
    changes = ChangeSet()
    changes.set_cell("Leads", "L-222222", "Status", None, "Kontaktad")
    apply(path, changes)
    row = leads_of(path).df.loc["L-222222"]
    assert (row["Telefon"], row["Org.nr"], row["Status"]) == ("0701234567", "556036-0793", "Kontaktad")


def test_rows_are_found_by_id_after_people_sort_the_sheet(make_crm):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A"}, {"ID": "L-BBBBBB", "Företag": "B"}])
    table = leads_of(path)
    changes = ChangeSet()
    changes.set_cell("Leads", "L-BBBBBB", "Status", table.df.loc["L-BBBBBB", "Status"], "Dialog")
    wb = openpyxl.load_workbook(path)  # a person sorts Z-A and inserts a row on top meanwhile
    ws = wb["Leads"]
    ws["A2"], ws["B2"], ws["A3"], ws["B3"] = "L-BBBBBB", "B", "L-AAAAAA", "A"
    ws.insert_rows(2)
    ws["B2"] = "Ny rad"
    wb.save(path)
    apply(path, changes)
    df = leads_of(path).df
    assert df.loc["L-BBBBBB", "Status"] == "Dialog"
    assert df.loc["L-AAAAAA", "Status"] is None


def test_a_cell_a_person_changed_since_the_read_is_not_overwritten(make_crm):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Status": "Ny"}])
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", "Ny", "Kontaktad")
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    ws.cell(row=2, column=[c.value for c in ws[1]].index("Status") + 1).value = "Ja"  # the student's edit
    wb.save(path)
    result = apply(path, changes)
    assert leads_of(path).df.loc["L-AAAAAA", "Status"] == "Ja"
    assert any("changed by someone" in s for s in result.skipped)


def test_blank_and_copied_ids_get_new_ones_once_and_never_reuse_old(make_crm):
    path = make_crm(Leads=[{"Företag": "A"}, {"ID": "L-DUPDUP", "Företag": "B"}, {"ID": "L-DUPDUP", "Företag": "C"}])
    tables = read_tables(LocalWorkbook(path), ["Leads"])
    assignments = tables["Leads"].id_assignments
    assert [a.sheet_row for a in assignments] == [2, 4]
    apply(path, tables.id_changes())
    df = leads_of(path).df
    assert len(set(df.index)) == 3 and "L-DUPDUP" in df.index
    assert df.loc["L-DUPDUP", "Företag"] == "B"
    again = read_tables(LocalWorkbook(path), ["Leads"])
    assert again["Leads"].id_assignments == []  # assigned once
    # a removed row's ID is in Ändringslogg and is never handed out again
    removed = df.index[0]
    apply(path, ChangeSet(removals=[RowRemoval("Leads", removed, df.loc[removed].to_dict())]))
    from chas_sheets.sheet.tables import logged_row_ids
    assert removed in logged_row_ids(LocalWorkbook(path).read())


def test_every_change_is_logged_in_andringslogg(make_crm):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Status": "Ny"}])
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", "Ny", "Dialog")
    changes.appends.append(RowAppend("Leads", {"ID": "L-NEWNEW", "Företag": "B"}))
    run = RunInfo.new("mark-processed")
    LocalWorkbook(path).apply(changes, run)
    log = read_tables(LocalWorkbook(path), ["Ändringslogg"])["Ändringslogg"].df
    assert list(log["Körning"]) == [run.run_id, run.run_id]
    cell = log[log["Kolumn"] == "Status"].iloc[0]
    assert (cell["Rad-ID"], cell["Före"], cell["Efter"], cell["Kommando"]) == ("L-AAAAAA", "Ny", "Dialog", "mark-processed")
    assert (log["Kolumn"] == "(ny rad)").sum() == 1


def test_validations_and_conditional_formats_survive_a_write(make_crm):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A"}])
    before = openpyxl.load_workbook(path)["Leads"]
    validations = [str(dv.sqref) for dv in before.data_validations.dataValidation]
    formats = [str(r.sqref) for r in before.conditional_formatting]
    assert validations and formats
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", None, "Ja")
    apply(path, changes)
    after = openpyxl.load_workbook(path)["Leads"]
    assert [str(dv.sqref) for dv in after.data_validations.dataValidation] == validations
    assert [str(r.sqref) for r in after.conditional_formatting] == formats
    assert after.freeze_panes == "A2"


def test_a_workbook_with_a_chart_is_refused_and_left_untouched(make_crm):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Storlek": 3}])
    wb = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(wb["Leads"], min_col=7, min_row=1, max_row=2))
    wb["Leads"].add_chart(chart, "X2")
    wb.save(path)
    before = path.read_bytes()
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", None, "Ja")
    with pytest.raises(UnsafeWrite, match="Leads"):
        apply(path, changes)
    assert path.read_bytes() == before


def test_a_crash_while_saving_leaves_the_old_workbook_whole(make_crm, monkeypatch):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A"}])
    before = path.read_bytes()
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", None, "Ja")

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(UnsafeWrite, match="cannot write in its folder: power cut; nothing was written"):
        apply(path, changes)  # one line for the person, not a traceback
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_missing_and_corrupt_files_are_one_line_errors(tmp_path):
    with pytest.raises(SpreadsheetNotFound, match="no such file"):
        LocalWorkbook(tmp_path / "nope.xlsx").read()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CorruptSpreadsheet) as err:
        LocalWorkbook(bad).read()
    assert "\n" not in str(err.value)


def test_missing_required_column_is_a_clear_error(make_crm):
    path = make_crm()
    wb = openpyxl.load_workbook(path)
    wb["Leads"]["B1"] = "Något annat"
    wb.save(path)
    with pytest.raises(MissingColumn, match="Företag"):
        read_tables(LocalWorkbook(path), ["Leads"])


def test_init_never_overwrites(make_crm):
    path = make_crm()
    with pytest.raises(SpreadsheetNotFound, match="already exists"):
        LocalWorkbook(path).create("student")


def test_removed_rows_go_whole_to_the_log_and_appended_tabs_are_created(make_crm, tmp_path):
    path = make_crm(Leads=[{"ID": "L-AAAAAA", "Företag": "A", "Telefon": "0701"}, {"ID": "L-BBBBBB", "Företag": "B"}])
    wb = openpyxl.load_workbook(path)
    del wb["Ändringslogg"]
    wb.save(path)
    row = leads_of(path).df.loc["L-AAAAAA"].to_dict()
    apply(path, ChangeSet(removals=[RowRemoval("Leads", "L-AAAAAA", row)]))
    assert list(leads_of(path).df.index) == ["L-BBBBBB"]
    log = read_tables(LocalWorkbook(path), ["Ändringslogg"])["Ändringslogg"].df
    from chas_sheets.sheet.values import row_from_json
    assert row_from_json(log.iloc[0]["Före"])["Telefon"] == "0701"


def test_new_ids_land_when_one_read_pads_rows_and_the_other_trims_them(tmp_path):
    from chas_sheets.sheet.tables import row_fingerprint

    assert row_fingerprint(["", "Volvo", None, None], 0) == row_fingerprint(["", "Volvo"], 0)
    path = tmp_path / "write-only.xlsx"
    wb = openpyxl.Workbook(write_only=True)  # saved without sheet dimensions
    ws = wb.create_sheet("Leads")
    ws.append(["ID", "Företag", "Telefon", "Kommentar"])
    ws.append([None, "Volvo", None, None])
    wb.save(path)
    tables = read_tables(LocalWorkbook(path), ["Leads"])
    result = apply(path, tables.id_changes())
    assert result.skipped == []
    assert leads_of(path).id_assignments == []


def test_a_new_tool_column_goes_after_data_that_has_no_header(tmp_path):
    path = tmp_path / "crm.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Företag", "Telefon"])
    ws.append(["Volvo", "031-123", "egen anteckning utan rubrik"])
    wb.save(path)
    tables = read_tables(LocalWorkbook(path), ["Leads"])
    apply(path, tables.id_changes())
    ws = openpyxl.load_workbook(path)["Leads"]
    assert ws["C2"].value == "egen anteckning utan rubrik"
    assert ws["D1"].value == "ID" and ws["D2"].value.startswith("L-")


def test_a_column_the_tool_adds_is_logged(tmp_path):
    path = tmp_path / "crm.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["ID", "Företag"])
    ws.append(["L-AAAAAA", "Volvo"])
    wb.save(path)
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Bearbetad", None, dt.date(2027, 5, 1))
    apply(path, changes)
    log = read_tables(LocalWorkbook(path), ["Ändringslogg"])["Ändringslogg"].df
    added = log[log["Kolumn"] == "(ny kolumn)"]
    assert list(added["Efter"]) == ["Bearbetad"]
