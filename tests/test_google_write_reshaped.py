"""A person removes a column or renames a tab in the window between the verify read and the
write (Google): the write batch is refused whole (400: a range beyond the grid, a range that
names a tab no longer there). Nothing is written; the run reads again and writes once on the
sheet as it is now, or, if that is refused too, says so in one line (never Google's raw 400)."""

from __future__ import annotations

import pytest
from emulator_workspace import EmulatorWorkspace
from test_google_write_windows import KEPT, LEADS, LOG, WRITE, dedupe, log_of, no_sleep

from chas_sheets.emulator import make_app
from chas_sheets.errors import BackendError
from chas_sheets.sheet.tables import load_table


@pytest.fixture
def ws():
    return EmulatorWorkspace(make_app(), no_sleep())


@pytest.fixture
def crm(ws):
    return ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})


def _sheet_id(ws, crm, title):
    return ws.app.store.get_spreadsheet(crm.key).sheet_by_title(title).sheet_id


def _delete_last_column(ws, crm, title="Leads", already=0):
    sheet = ws.app.store.get_spreadsheet(crm.key).sheet_by_title(title)
    width = len(crm.read([title]).grids[title][0]) - already  # `already`: columns deleted before it
    return {"deleteDimension": {"range": {"sheetId": sheet.sheet_id, "dimension": "COLUMNS",
                                          "startIndex": width - 1, "endIndex": width}}}


def test_a_column_deleted_after_the_verify_read_is_read_again_and_the_write_made_once(ws, crm):
    ws.app.faults.person(crm.key, [{"requests": [_delete_last_column(ws, crm)]}], method=WRITE)
    outcome = dedupe(crm)
    assert ws.app.faults.pending() == []
    assert outcome.written
    assert sorted(load_table(crm.read(["Leads"]), "Leads").df.index) == KEPT
    assert [e[2] for e in log_of(crm) if e[3] == "(rad borttagen)"] == ["L-DDDDDD"]  # once
    assert any("column or tab" in note for note in outcome.result.notes), outcome.result.notes
    assert _locks_and_guards(ws, crm) == []  # no lock or guard left


def test_a_sheet_reshaped_twice_in_a_row_is_one_line_and_nothing_written(ws, crm):
    # after the take, and again after the run read again, right before its second write
    ws.app.faults.person(crm.key, [{"requests": [_delete_last_column(ws, crm)]}], method=WRITE)
    ws.app.faults.person(crm.key, [{"requests": [_delete_last_column(ws, crm, already=1)]}], method=WRITE, skip=2,
                         before=True)
    with pytest.raises(BackendError) as refused:
        dedupe(crm)
    message = str(refused.value)
    assert "\n" not in message and "Google API error" not in message and "exceeds grid limits" not in message
    assert "nothing was written" in message and "run again" in message
    assert sorted(load_table(crm.read(["Leads"]), "Leads").df.index) == sorted(r["ID"] for r in LEADS)
    assert _locks_and_guards(ws, crm) == []


def test_a_tab_renamed_after_the_verify_read_is_no_raw_api_error(ws, crm):
    """Read again, the tab the run writes is not there under any of its names: what was for it is
    skipped and reported (as for a tab removed before the verify read), the rest is written."""
    rename = {"updateSheetProperties": {"properties": {"sheetId": _sheet_id(ws, crm, "Leads"), "title": "Leads gamla"},
                                        "fields": "title"}}
    ws.app.faults.person(crm.key, [{"requests": [rename]}], method=WRITE)
    outcome = dedupe(crm)  # before: BackendError "Google API error 400: ... Unable to parse range"
    assert ws.app.faults.pending() == []
    assert "column or tab was removed or renamed" in outcome.result.notes[0]
    assert outcome.skipped and all(line.startswith("Leads: tab not found") for line in outcome.skipped)
    grid = crm.read(["Leads gamla"]).grids["Leads gamla"]
    assert sorted(row[0] for row in grid[1:] if row and row[0]) == sorted(r["ID"] for r in LEADS)  # untouched
    assert not [e for e in log_of(crm) if e[1] == "Leads"]  # the log holds only what was done
    assert _locks_and_guards(ws, crm) == []


def _locks_and_guards(ws, crm) -> list:
    """Developer metadata left behind, less the records of the write's hidden scratch tabs
    (kept on purpose: a later write deletes them)."""
    from chas_sheets.backends import google_window as window

    from chas_sheets.backends.google_ids import INDEX_KEY

    kept = ws.app.store.get_spreadsheet(crm.key).developer_metadata
    assert sum(m["metadataKey"] == INDEX_KEY for m in kept) <= 1  # the log's ID index, once
    return [m for m in kept if m["metadataKey"] not in (window.SCRATCH_KEY, window.REGISTERED_KEY, INDEX_KEY)]
