"""The verify read names its tabs, and hidden scratch tabs are found by their records.

Google's rules this rests on, each held by the emulator (no recorded session shows developer
metadata, so these come from the API reference): a batchUpdate answer with `responseRanges`
lists only the sheets they touch, but keeps the spreadsheet-level `developerMetadata`;
`deleteSheet` of a sheet that is not there refuses the whole batch ("No grid with id");
`deleteDeveloperMetadata` whose filter matches nothing is no error.
"""

from __future__ import annotations

import datetime as dt
import json

import gspread
import pytest
from test_google_ranged_read import new_crm

from chas_sheets.backends import google_window as window
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import SHEETS_URL
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import ChangeSet


@pytest.fixture
def app():
    return make_app()


def change(app, key: str, status: str, *, clock: float | None = None, sent: list | None = None):
    session = emulator_session(app)
    if sent is not None:
        session.hooks["response"].append(lambda r, *a, **k: sent.append((r.request, r)))
    writer = GoogleSpreadsheet(key, session=session)
    writer.lock_options = {"sleep": lambda seconds: None}  # a refused take waits before the next try
    if clock is not None:
        writer.lock_options["clock"] = lambda: clock
    df = read_tables(writer, ["Leads"])["Leads"].df
    changes = ChangeSet()
    changes.set_cell("Leads", "L-000001", "Status", df.loc["L-000001", "Status"], status)
    outcome = execute(writer, changes, "mark-processed", True)
    return writer, outcome


def scratch_state(app, key):
    book = app.store.get_spreadsheet(key)
    tabs = {s.sheet_id for s in book.sheets if window.is_scratch(s.title)}
    records = {int(m["metadataValue"].split(" ")[0]) for m in book.developer_metadata
               if m["metadataKey"] == window.SCRATCH_KEY}
    return tabs, records


def test_a_later_write_reads_only_its_tabs_and_the_logs_tail_and_deletes_stale_scratch(app):
    backend = new_crm(app, log_rows=30)
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    change(app, backend.key, "Kontaktad", clock=now)  # the first write: reads whole once, marks the CRM
    tabs, records = scratch_state(app, backend.key)
    assert tabs and tabs == records  # its scratch tab, recorded
    sent: list = []
    writer, outcome = change(app, backend.key, "Ny", clock=now + 3600, sent=sent)  # past the lease
    assert writer.requests_sent == 3 and outcome.written == 1
    take = json.loads(sent[1][0].body)
    # the tabs it writes (Leads, and Körningar where the run is listed), the log's header and tail
    assert take["responseRanges"][:3] == ["'Körningar'", "'Leads'", "'Ändringslogg'!1:1"]
    assert take["responseRanges"][3].startswith("'Ändringslogg'!A2:")
    answer = json.loads(sent[1][1].content)["updatedSpreadsheet"]
    assert sorted(s["properties"]["title"] for s in answer["sheets"]) == ["Körningar", "Leads", "Ändringslogg"]
    new_tabs, new_records = scratch_state(app, backend.key)
    assert not (tabs & new_tabs) and new_tabs == new_records  # the stale one went, with its record


def test_a_scratch_tab_a_person_deleted_by_hand_does_not_break_the_next_run(app):
    backend = new_crm(app)
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    change(app, backend.key, "Kontaktad", clock=now)
    tabs, _ = scratch_state(app, backend.key)
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    for sheet_id in tabs:
        book.del_worksheet(book.get_worksheet_by_id(sheet_id))
    writer, outcome = change(app, backend.key, "Ny", clock=now + 3600)
    assert outcome.written == 1
    assert len(tabs) > 1  # several gone: found at once
    # the write refused once ("No grid with id"), the tab list read, the write sent again without them
    assert writer.requests_sent == 5
    new_tabs, new_records = scratch_state(app, backend.key)
    assert new_tabs == new_records and not (tabs & new_records)  # the orphan record is gone too


def test_a_log_whose_last_rows_were_cleared_is_read_whole_and_appended_after_its_end(app, monkeypatch):
    from chas_sheets.backends import google as google_backend

    monkeypatch.setattr(google_backend, "LOG_TAIL_ROWS", 10)
    backend = new_crm(app, log_rows=40)
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    log = book.worksheet("Ändringslogg")
    log.resize(rows=60)
    change(app, backend.key, "Kontaktad")  # the first write marks the CRM
    writer, outcome = change(app, backend.key, "Ny")
    assert writer.requests_sent == 4  # the tail (rows 51-60 and beyond) was blank: everything read once more
    rows = log.get_all_values()
    assert rows[42][0] == outcome.run.run_id and rows[41][0] != outcome.run.run_id


# The emulator as Google ------------------------------------------------------------------------
def test_a_ranged_batch_answer_keeps_spreadsheet_level_metadata(app):
    backend = new_crm(app)
    session = emulator_session(app)
    answer = session.post(f"{SHEETS_URL}/{backend.key}:batchUpdate", json={
        "requests": [window.record_request(7, "x")], "includeSpreadsheetInResponse": True,
        "responseRanges": ["'Leads'!A1:A1"]}).json()["updatedSpreadsheet"]
    assert [s["properties"]["title"] for s in answer["sheets"]] == ["Leads"]
    assert [m["metadataKey"] for m in answer["developerMetadata"]] == [window.SCRATCH_KEY]


def test_deleting_a_sheet_that_is_not_there_refuses_the_whole_batch(app):
    backend = new_crm(app)
    session = emulator_session(app)
    response = session.post(f"{SHEETS_URL}/{backend.key}:batchUpdate", json={"requests": [
        window.record_request(7, "x"), {"deleteSheet": {"sheetId": 424242}}]})
    assert response.status_code == 400 and "No grid with id: 424242" in response.json()["error"]["message"]
    assert app.store.get_spreadsheet(backend.key).developer_metadata == []  # nothing applied


def test_deleting_metadata_that_matches_nothing_is_no_error(app):
    backend = new_crm(app)
    response = emulator_session(app).post(f"{SHEETS_URL}/{backend.key}:batchUpdate", json={
        "requests": [window.forget_by_value(7, "x")]})
    assert response.status_code == 200


def test_a_crm_made_before_koerningar_gets_it_from_a_ranged_verify_read(app):
    """The verify read names Körningar, which a CRM made before it lacks (or a person deleted):
    the take is refused whole (400 "Unable to parse range"), the next take reads the tab list
    first and leaves the missing tab out, and the write creates it."""
    backend = new_crm(app)
    change(app, backend.key, "Kontaktad")  # the first write marks the CRM (its scratch tabs recorded)
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    book.del_worksheet(book.worksheet("Körningar"))
    writer, outcome = change(app, backend.key, "Ny")
    assert outcome.written == 1
    titles = [ws.title for ws in gspread.Client(auth=None, session=emulator_session(app))
              .open_by_key(backend.key).worksheets()]
    assert "Körningar" in titles
    # read, refused take, the tab list, take, write: a take refused for a range took nothing, so
    # the lock is not looked at before the next take (that take says whether another run holds it)
    assert writer.requests_sent == 5


def test_a_missing_koerningar_and_a_lock_another_run_holds_still_wait_for_the_lock(app):
    """A missing tab and another run's lock at once (here expired: taken over): the run goes
    through the lock as always, the missing tab left out of the take once the tab list is
    read, and the write creates it once, never beside the other run's lock."""
    from test_locks import plant_lock

    backend = new_crm(app)
    change(app, backend.key, "Kontaktad")
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    book.del_worksheet(book.worksheet("Körningar"))
    plant_lock(app, backend.key, "20270512-101500-dead", 1.0)
    writer, outcome = change(app, backend.key, "Ny")
    assert outcome.written == 1
    titles = [ws.title for ws in gspread.Client(auth=None, session=emulator_session(app))
              .open_by_key(backend.key).worksheets()]
    assert titles.count("Körningar") == 1
    assert not [m for m in app.store.get_spreadsheet(backend.key).developer_metadata
                if m["metadataKey"] == "chas-sheets-lock"]
