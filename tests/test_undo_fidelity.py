"""undo puts back what was there: a removed row's formulas as formulas, its number formats, a
cell of a column without a header in that column; a night undone from the register in every
CRM it wrote; a tool-owned tab with backoffice's own column kept through the night and restored."""

from __future__ import annotations

import datetime as dt
import json

import gspread
import openpyxl
from click.testing import CliRunner
from test_backend_contract import GoogleHarness, LocalHarness, harness  # noqa: F401 (harness: a fixture)
from test_nightly import workspace  # noqa: F401 (a fixture)
from test_undo import LEADS, leads, snapshot, undo

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.sheet.changelog import (
    REMOVED_ROW,
    RUN_IN,
    NumberFormat,
    decode_row,
    encode_row,
    unheaded_index,
    unheaded_label,
)
from chas_sheets.sheet.changes import ChangeSet, RowRemoval
from chas_sheets.sheet.writeplan import Formula, RunInfo

TODAY = dt.date(2027, 5, 12)


# --- the harness's view of one cell: formula, format, stored text ----------------------------

def _position(harness, tab: str, row_id: str, column: int | str) -> tuple[int, int]:  # noqa: F811 (the fixture)
    """(1-based row, 1-based column) of a row's cell, by header or by 1-based column number."""
    if isinstance(harness, LocalHarness):
        ws = openpyxl.load_workbook(harness.backend.path)[tab]
        headers = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == row_id)
    else:
        ws = harness.book.worksheet(tab)
        headers = ws.row_values(1)
        row = ws.col_values(1).index(row_id) + 1
    return row, column if isinstance(column, int) else headers.index(column) + 1


def person_writes(harness, tab: str, row_id: str, column: int | str, *, value=None,  # noqa: F811 (the fixture)
                  formula: str | None = None, number_format: str | None = None) -> None:
    """What a person does in the spreadsheet app: type a formula, a number, pick a number format."""
    row, col = _position(harness, tab, row_id, column)
    if isinstance(harness, LocalHarness):
        def write(wb):
            cell = wb[tab].cell(row=row, column=col)
            cell.value = formula if formula is not None else value
            if isinstance(value, str):
                cell.data_type = "s"
            if number_format:
                cell.number_format = number_format
        harness._edit(write)
        return
    ws = harness.book.worksheet(tab)
    a1 = gspread.utils.rowcol_to_a1(row, col)
    if formula is not None:
        ws.update([[formula]], a1, value_input_option="USER_ENTERED")
    else:
        ws.update([[value]], a1, raw=True)
    if number_format:
        harness.book.batch_update({"requests": [{"repeatCell": {
            "range": {"sheetId": ws.id, "startRowIndex": row - 1, "endRowIndex": row, "startColumnIndex": col - 1,
                      "endColumnIndex": col},
            "cell": {"userEnteredFormat": {"numberFormat": {"type": "NUMBER", "pattern": number_format}}},
            "fields": "userEnteredFormat.numberFormat"}}]})


def stored(harness, tab: str, row_id: str, column: int | str) -> dict:  # noqa: F811 (the fixture)
    """The cell as stored: {"formula": text} or {"value": v}, and its number format pattern."""
    row, col = _position(harness, tab, row_id, column)
    if isinstance(harness, LocalHarness):
        cell = openpyxl.load_workbook(harness.backend.path)[tab].cell(row=row, column=col)
        kind = "formula" if cell.data_type == "f" else "value"
        return {kind: cell.value, "format": cell.number_format}
    a1 = gspread.utils.rowcol_to_a1(row, col)
    data = harness.book.fetch_sheet_metadata({"ranges": f"'{tab}'!{a1}", "includeGridData": "true"})
    cell = data["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    entered = cell.get("userEnteredValue", {})
    kind, value = ("formula", entered["formulaValue"]) if "formulaValue" in entered else ("value", next(
        iter(entered.values()), None))
    return {kind: value, "format": (cell.get("userEnteredFormat") or {}).get("numberFormat", {}).get("pattern")}


def remove(harness, backend, row_id: str, command: str = "dedupe") -> str:  # noqa: F811 (the fixture)
    row = leads(backend).loc[row_id]
    run = RunInfo.new(command)
    result = harness.backend.apply(ChangeSet(removals=[RowRemoval("Leads", row_id, {
        k: v for k, v in row.items() if v is not None})]), run)
    assert result.skipped == [] and row_id not in leads(backend).index
    return run.run_id


# --- a removed row comes back as it was, on both backends -----------------------------------

def test_a_removed_row_comes_back_with_its_formula_number_format_and_header_less_cell(harness):  # noqa: F811
    backend = harness.create(Leads=LEADS)
    width = len(leads(backend).columns)
    free = width + 2  # a column past the headers, with no header: a person's own notes
    # L-CCCCCC stands on sheet row 4: its formula counts the letters of its own company
    person_writes(harness, "Leads", "L-CCCCCC", "Kommentar", formula="=LEN(B4)")
    person_writes(harness, "Leads", "L-CCCCCC", "Telefon", value=701234567, number_format="0000000000")
    person_writes(harness, "Leads", "L-CCCCCC", free, value="ring efter lunch")
    person_writes(harness, "Leads", "L-CCCCCC", "Roll", value="=1+2")  # text that looks like a formula

    run_id = remove(harness, backend, "L-CCCCCC")
    result = undo(harness, run_id)
    assert result.sheets[0].report.reinserted == 1 and result.sheets[0].skipped == []

    # back where it stood (row 4, between the same neighbours), its formula a formula again, reading its own row
    assert _position(harness, "Leads", "L-CCCCCC", 1)[0] == 4
    assert list(leads(backend).index) == [r["ID"] for r in LEADS]
    assert stored(harness, "Leads", "L-CCCCCC", "Kommentar")["formula"] == "=LEN(B4)"
    phone = stored(harness, "Leads", "L-CCCCCC", "Telefon")
    assert phone == {"value": 701234567, "format": "0000000000"}  # shown 0701234567 again
    assert stored(harness, "Leads", "L-CCCCCC", free)["value"] == "ring efter lunch"
    assert not any(str(h).startswith("(kolumn") for h in snapshot(backend)["Leads"][0])  # no invented header
    assert stored(harness, "Leads", "L-CCCCCC", "Roll") == {"value": "=1+2", "format": stored(
        harness, "Leads", "L-CCCCCC", "Roll")["format"]}  # text stays text
    assert harness.stored_as_text("Leads", "L-CCCCCC", "Roll")


def test_undoing_the_undo_removes_the_restored_row_and_a_third_undo_restores_it_again(tmp_path):
    harness = LocalHarness(tmp_path)  # noqa: F811 (not the fixture: the local backend only)
    backend = harness.create(Leads=LEADS)
    person_writes(harness, "Leads", "L-CCCCCC", "Kommentar", formula="=LEN(B4)")
    run_id = remove(harness, backend, "L-CCCCCC")
    first = undo(harness, run_id)
    second = undo(harness, first.run.run_id)  # the redo: the re-inserted row goes again
    assert second.sheets[0].report.removed == 1 and "L-CCCCCC" not in leads(backend).index
    undo(harness, second.run.run_id)  # the redo logged where the row stood too: back on row 4 again
    assert stored(harness, "Leads", "L-CCCCCC", "Kommentar")["formula"] == "=LEN(B4)"
    assert list(leads(backend).index) == [r["ID"] for r in LEADS]


def test_a_log_written_by_the_previous_version_still_undoes(tmp_path):
    """Before: a formula logged as its text, a header-less cell under `(kolumn W)`; both read back
    as values (the text stays text: it cannot be told from typed text), the cell in column W."""
    harness = LocalHarness(tmp_path)  # noqa: F811 (not the fixture: the local backend only)
    backend = harness.create(Leads=LEADS)
    old_row = json.dumps({"ID": "L-OLDROW", "Företag": "Ericsson", "Kommentar": "=LEN(B4)",
                          "Tillagd": {"date": "2027-04-02"}, "(kolumn W)": "egen anteckning"})

    def write(wb):
        ws = wb["Ändringslogg"] if "Ändringslogg" in wb.sheetnames else wb.create_sheet("Ändringslogg")
        if ws.max_row < 1 or ws.cell(row=1, column=1).value is None:
            for i, h in enumerate(("Körning", "Tid", "Kommando", "Flik", "Rad-ID", "Kolumn", "Före", "Efter"), 1):
                ws.cell(row=1, column=i).value = h
        ws.append(["20270501-120000-abcd", "2027-05-01 12:00:00", "dedupe", "Leads", "L-OLDROW", REMOVED_ROW,
                   old_row, None])
    harness._edit(write)
    result = undo(harness, "20270501-120000-abcd")
    assert result.sheets[0].report.reinserted == 1
    assert stored(harness, "Leads", "L-OLDROW", "Kommentar") == {"value": "=LEN(B4)", "format": "General"}
    assert stored(harness, "Leads", "L-OLDROW", 23)["value"] == "egen anteckning"  # W is column 23
    assert leads(backend).loc["L-OLDROW", "Tillagd"] == dt.date(2027, 4, 2)


def test_the_log_tags_formulas_and_formats_so_text_is_never_taken_for_one():
    formula = Formula("=LEN(B4)", 8)
    formula.origin = (4, 12)
    text = encode_row({"Kommentar": formula, "Roll": "=1+2", "Telefon": 701234567, "Tillagd": dt.date(2027, 4, 2)},
                      {"Telefon": NumberFormat("0000000000", "NUMBER")})
    values, formats = decode_row(text)
    assert isinstance(values["Kommentar"], Formula) and values["Kommentar"].origin == (4, 12)
    assert not isinstance(values["Roll"], Formula) and values["Roll"] == "=1+2"
    assert values["Telefon"] == 701234567 and formats == {"Telefon": NumberFormat("0000000000", "NUMBER")}
    assert values["Tillagd"] == dt.date(2027, 4, 2)
    # a person's text shaped like a tag is still text: a cell never holds a JSON object
    assert decode_row(json.dumps({"Kommentar": '{"formula": "=1"}'}))[0]["Kommentar"] == '{"formula": "=1"}'
    assert [unheaded_index(unheaded_label(i)) for i in (0, 22, 26, 701)] == [0, 22, 26, 701]
    assert unheaded_index("Kommentar") is None


# --- the nightly: one run, undone from the register ---------------------------------------------

def cli_run(*args, today: dt.date = TODAY):
    return CliRunner().invoke(cli, ["--today", today.isoformat(), *map(str, args)])


def _without_ids(snap: dict) -> dict:
    """A snapshot with the ID columns blanked: undo keeps the IDs a run gave (never reused)."""
    out = {}
    for title, grid in snap.items():
        if not grid:
            out[title] = grid
            continue
        ids = [i for i, h in enumerate(grid[0]) if h in ("ID",)]
        out[title] = [grid[0]] + [[None if i in ids else c for i, c in enumerate(row)] for row in grid[1:]]
    return out


def _log(path) -> list[dict]:
    ws = openpyxl.load_workbook(path)["Ändringslogg"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_a_night_is_one_run_undone_from_the_register_in_every_crm(workspace):  # noqa: F811 (the fixture)
    register = workspace / "register.xlsx"
    crms = [workspace / p for p in ("grupper/g1.xlsx", "studerande/anna.xlsx", "studerande/bo.xlsx")]
    before = {p: _without_ids(snapshot(LocalWorkbook(p))) for p in [register, *crms]}
    night = cli_run("nightly", register, "--apply")
    assert night.exit_code == 1, night.output  # two CRMs cannot be read: error rows, the rest goes on
    run_id = _log(register)[-1]["Körning"]
    written = [p for p in crms if any(r["Körning"] == run_id for r in _log(p))]
    assert written, "the night wrote no CRM under its own run id"
    named = {r["Efter"] for r in _log(register) if r["Körning"] == run_id and r["Kolumn"] == RUN_IN}
    assert {str(p.relative_to(workspace)) for p in written} == named  # as the register names them

    result = cli_run("undo", register, run_id, "--apply")
    assert result.exit_code == 0, result.output
    for path, snap in before.items():
        now = _without_ids(snapshot(LocalWorkbook(path)))
        # tabs the first night made are left, empty; the night's own state (not logged) as it is
        created = {t: g for t, g in now.items() if t not in snap and t != "Nattkörning"}
        assert created == {t: [] for t in created}, path
        assert {t: g for t, g in now.items() if t in snap} == snap, path


def _placering(path) -> list[dict]:
    ws = openpyxl.load_workbook(path)["Placering"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def test_backoffice_column_in_placering_survives_the_night_and_undo_restores_the_tab(workspace):  # noqa: F811
    register = workspace / "register.xlsx"
    assert cli_run("nightly", register, "--apply").exit_code == 1
    rows = _placering(register)
    assert rows, "the workspace puts no student on Placering"
    # backoffice adds its own column and notes an action on the last student of the list
    wb = openpyxl.load_workbook(register)
    ws = wb["Placering"]
    column = ws.max_column + 1
    ws.cell(row=1, column=column).value = "Åtgärd"
    target = ws.max_row
    student = (ws.cell(row=target, column=3).value, ws.cell(row=target, column=4).value)  # Namn, Grupp
    ws.cell(row=target, column=column).value = "ringt 12/5"
    wb.save(register)
    before_night = snapshot(LocalWorkbook(register))["Placering"]

    later = TODAY + dt.timedelta(days=1)  # a new date: the tab is rewritten
    assert cli_run("nightly", register, "--apply", today=later).exit_code == 1
    after = _placering(register)
    assert all(r["Datum"].date() == later for r in after)
    noted = [r for r in after if r.get("Åtgärd")]
    assert [(r["Namn"], r["Grupp"], r["Åtgärd"]) for r in noted] == [(*student, "ringt 12/5")]

    log = _log(register)
    run_id = log[-1]["Körning"]
    rewrite = next(r for r in log if r["Körning"] == run_id and r["Flik"] == "Placering")
    assert rewrite["Kolumn"] == "(flik ersatt)" and "Åtgärd" in rewrite["Före"]
    result = cli_run("undo", register, run_id, "--apply", today=later)
    assert result.exit_code == 0, result.output
    assert snapshot(LocalWorkbook(register))["Placering"] == before_night


def test_a_rewritten_tab_changed_since_the_run_is_left_and_reported(workspace):  # noqa: F811
    register = workspace / "register.xlsx"
    assert cli_run("nightly", register, "--apply").exit_code == 1
    run_id = _log(register)[-1]["Körning"]
    wb = openpyxl.load_workbook(register)
    wb["Placering"].cell(row=2, column=6).value = "ändrad av backoffice"
    wb.save(register)
    result = cli_run("undo", register, run_id, "--apply")
    assert result.exit_code == 0, result.output
    assert "Placering: changed since the run rewrote it" in result.output
    assert _placering(register)[0]["Orsak"] == "ändrad av backoffice"


def test_a_google_night_is_undone_from_the_register():
    from emulator_workspace import EmulatorWorkspace
    from test_nightly import ANNA_LEADS, ANNA_LOG, BO_LEADS

    from chas_sheets.emulator import make_app
    from chas_sheets.nightly.run import run_nightly
    from chas_sheets.nightly.state import Everything
    from chas_sheets.undo.restore import undo_run

    ws = EmulatorWorkspace(make_app())
    anna = ws.fill("student", {"Leads": ANNA_LEADS, "Kontaktlogg": ANNA_LOG})
    bo = ws.fill("student", {"Leads": BO_LEADS})
    register = ws.fill("register", {"Studerande": [
        {"Namn": "Anna Berg", "Grupp": "G1", "Individuellt CRM": anna.target},
        {"Namn": "Bo Ström", "Grupp": "G1", "Individuellt CRM": bo.target}]})
    before = {s.key: _without_ids(snapshot(ws.open(s.target))) for s in (anna, bo, register)}
    result = run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open, detector=Everything())
    run_id = result.register_outcome.run.run_id
    undone = undo_run(ws.open(register.target), run_id, True, ws.open)
    assert not undone.failed and len(undone.sheets) == 3
    for sheet in (anna, bo, register):
        now = _without_ids(snapshot(ws.open(sheet.target)))
        assert {t: g for t, g in now.items() if t in before[sheet.key]} == before[sheet.key], sheet.key
        assert all(g == [] for t, g in now.items() if t not in before[sheet.key] and t != "Nattkörning"), sheet.key


def test_on_google_backoffice_column_in_placering_survives_the_night_and_undo_restores_the_tab():
    from emulator_workspace import EmulatorWorkspace
    from test_nightly import ANNA_LEADS, ANNA_LOG

    from chas_sheets.emulator import emulator_session, make_app
    from chas_sheets.nightly.run import run_nightly
    from chas_sheets.nightly.state import Everything
    from chas_sheets.undo.restore import undo_run

    app = make_app()
    ws = EmulatorWorkspace(app)
    anna = ws.fill("student", {"Leads": ANNA_LEADS, "Kontaktlogg": ANNA_LOG})
    register = ws.fill("register", {"Studerande": [
        {"Namn": "Anna Berg", "Grupp": "G1", "Individuellt CRM": anna.target},
        {"Namn": "Cia Holm", "Grupp": "G1", "Individuellt CRM": ""}]})  # no CRM: at risk
    run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open, detector=Everything())
    sheet = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(register.key).worksheet("Placering")
    grid = sheet.get_all_values()
    assert any(row[2] == "Cia Holm" for row in grid[1:]), grid
    cia = next(i for i, row in enumerate(grid) if row[2] == "Cia Holm") + 1
    column = len(grid[0]) + 1
    sheet.update([["Åtgärd"]], gspread.utils.rowcol_to_a1(1, column), raw=True)
    sheet.update([["ringt 12/5"]], gspread.utils.rowcol_to_a1(cia, column), raw=True)
    before_night = snapshot(ws.open(register.target))["Placering"]

    later = TODAY + dt.timedelta(days=1)
    result = run_nightly(ws.open(register.target), later, apply=True, open_backend=ws.open, detector=Everything())
    after = snapshot(ws.open(register.target))["Placering"]
    head = after[0]
    noted = [row for row in after[1:] if len(row) > head.index("Åtgärd") and row[head.index("Åtgärd")]]
    assert [(row[head.index("Namn")], row[head.index("Datum")], row[head.index("Åtgärd")]) for row in noted] == [
        ("Cia Holm", later, "ringt 12/5")]
    undone = undo_run(ws.open(register.target), result.register_outcome.run.run_id, True, ws.open)
    assert not undone.failed and undone.sheets[0].report.tabs_restored >= 1
    assert snapshot(ws.open(register.target))["Placering"] == before_night
