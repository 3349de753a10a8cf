"""Every window of a Google run, reached with the emulator: a write Google applied whose
answer is lost (503, 500, a dropped connection), and a person who edits, sorts or inserts a
row between two requests of the run.

A run on a changed spreadsheet is: the command's read (GET), the lock's batchUpdate whose
answer is the verify read, then the write batchUpdate (which releases the lock). So "after
the verify read, before the write" is right after the first batchUpdate of the run.

Waits go to a fake sleep (or none happen); nothing here depends on timing.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace

from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.cli import cli
from chas_sheets.dedupe.plan import plan_dedupe
from chas_sheets.emulator import make_app, make_emulator_server
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.undo.restore import undo_run

TODAY = dt.date(2027, 5, 12)
WRITE = "batchUpdate"  # the lock's take (the verify read) is the first, the write the second
LEADS = [
    {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson", "Status": "Kontaktad",
     "Temperatur": "Varm", "Tillagd": dt.date(2027, 3, 1), "Kommentar": "Ringde 12/3, bad om CV"},
    {"ID": "L-BBBBBB", "Företag": "Ericsson AB", "Kontaktperson": "Lisa Berg", "Status": "Ny", "Temperatur": "Varm",
     "Tillagd": dt.date(2027, 3, 2)},
    {"ID": "L-DDDDDD", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Anna Svensson", "Status": "Ny",
     "Tillagd": dt.date(2027, 3, 3), "Kommentar": "Dubblett?"},
    {"ID": "L-CCCCCC", "Företag": "Spotify AB", "Kontaktperson": "Maja Ek", "Status": "Dialog", "Temperatur": "Varm",
     "Tillagd": dt.date(2027, 3, 4)},
]
KEPT = ["L-AAAAAA", "L-BBBBBB", "L-CCCCCC"]  # dedupe removes the younger Volvo row, L-DDDDDD, only
LOG = [{"Datum": dt.date(2027, 4, 20), "Företag": "Ericsson AB", "Kontaktperson": "Lisa Berg", "Kanal": "Telefon",
        "Utfall": "Svar", "Av": "Ada", "Anteckning": "Ring igen i maj"}]

LOST_ANSWERS = [
    pytest.param({"fail": 503}, id="503-after-apply"),
    pytest.param({"fail": 500}, id="500-after-apply"),
    pytest.param({"drop": True}, id="dropped-after-apply"),
]


def left_behind(ws, key: str) -> list[dict]:
    """Developer metadata left in the spreadsheet besides the scratch tabs' records (the lock,
    row guards); and every scratch tab still there is recorded, so a later write deletes it."""
    from chas_sheets.backends import google_window as window

    book = ws.app.store.get_spreadsheet(key)
    records = [m for m in book.developer_metadata if m["metadataKey"] == window.SCRATCH_KEY]
    recorded = {int(m["metadataValue"].split(" ")[0]) for m in records}
    scratch = {s.sheet_id for s in book.sheets if window.is_scratch(s.title)}
    assert scratch == recorded, "a scratch tab no later write would find, or a record of none"
    from chas_sheets.backends.google_ids import INDEX_KEY

    assert sum(m["metadataKey"] == INDEX_KEY for m in book.developer_metadata) <= 1  # the log's ID index, once
    return [m for m in book.developer_metadata
            if m["metadataKey"] not in (window.SCRATCH_KEY, window.REGISTERED_KEY, INDEX_KEY)]


def no_sleep() -> RetryPolicy:
    return RetryPolicy(total_seconds=60, sleep=lambda seconds: None)


@pytest.fixture
def ws():
    return EmulatorWorkspace(make_app(), no_sleep())


@pytest.fixture
def crm(ws):
    return ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})


def lose_the_answer_to_the_write(app, key: str, how: dict) -> None:
    """The run's write (its second batchUpdate) is applied, then its answer is lost."""
    if "drop" in how:
        app.faults.drop(path=key, method=WRITE, skip=1, after_apply=True)
    else:
        app.faults.fail(status=how["fail"], path=key, method=WRITE, skip=1, after_apply=True)


def leads(backend) -> dict:
    return dict(read_tables(backend, ["Leads"])["Leads"].df["Företag"])


def log_of(backend) -> list[tuple]:
    df = read_tables(backend, [LOG_TAB])[LOG_TAB].df
    return [tuple(row) for row in df[["Körning", "Flik", "Rad-ID", "Kolumn"]].itertuples(index=False)]


def dedupe(backend):
    changes, _ = plan_dedupe(read_tables(backend, ["Leads"], ["Kontaktlogg"]), [], TODAY)
    return execute(backend, changes, "dedupe", apply=True)


# A write Google applied whose answer was lost ---------------------------------------------
@pytest.fixture
def served(ws, monkeypatch):
    """The emulator on a loopback port, CHAS_SHEETS_API_URL pointing at it (as a user runs it)."""
    server = make_emulator_server(ws.app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CHAS_SHEETS_API_URL", f"http://127.0.0.1:{server.server_port}")
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("how", LOST_ANSWERS)
def test_dedupe_apply_whose_answer_is_lost_removes_the_duplicate_once_and_no_innocent_row(ws, crm, served, how):
    lose_the_answer_to_the_write(ws.app, crm.key, how)
    result = CliRunner().invoke(cli, ["dedupe", crm.target, "--apply"])
    assert result.exit_code == 0, result.output
    assert ws.app.faults.pending() == []  # the write really was applied and its answer lost
    assert sorted(leads(crm)) == KEPT  # Spotify (the row after the duplicate) is still there
    log = log_of(crm)
    assert [entry for entry in log if entry[3] == "(rad borttagen)"] == [(log[0][0], "Leads", "L-DDDDDD",
                                                                         "(rad borttagen)")]
    assert len({entry[0] for entry in log}) == 1  # one run, logged once
    comment = read_tables(crm, ["Leads"])["Leads"].df.at["L-AAAAAA", "Kommentar"]
    assert comment.count("Dubblett L-DDDDDD") == 1  # the merged note is not doubled either


@pytest.mark.parametrize("how", LOST_ANSWERS)
def test_mark_processed_whose_answer_is_lost_is_applied_once_and_says_so(ws, crm, how):
    calm_ws = EmulatorWorkspace(make_app(), no_sleep())
    calm = calm_ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})
    expected = execute(calm, plan_mark_processed(read_tables(calm, ["Leads"], ["Kontaktlogg"]), TODAY)[0],
                       "mark-processed", apply=True)
    assert expected.written

    lose_the_answer_to_the_write(ws.app, crm.key, how)
    changes = plan_mark_processed(read_tables(crm, ["Leads"], ["Kontaktlogg"]), TODAY)[0]
    before = ws.app.stats()["byMethod"]["sheets.spreadsheets.batchUpdate"]
    outcome = execute(crm, changes, "mark-processed", apply=True)
    assert outcome.written and ws.app.faults.pending() == []
    assert "it was applied" in outcome.result.notes[-1]
    assert read_tables(crm, ["Leads"])["Leads"].df.to_dict() == read_tables(calm, ["Leads"])["Leads"].df.to_dict()
    assert len(log_of(crm)) == len(log_of(calm))  # not one log row more: nothing written twice
    assert ws.app.stats()["byMethod"]["sheets.spreadsheets.batchUpdate"] - before == 2  # take + write, never again


def test_a_503_that_hid_nothing_is_written_once_after_checking(ws, crm):
    """A 503 before anything was applied: the log says the run is not there, so it is written."""
    ws.app.faults.fail(status=503, path=crm.key, method=WRITE, skip=1)
    outcome = dedupe(crm)
    assert outcome.written and "checked and retried" in outcome.result.notes[0]
    assert sorted(leads(crm)) == KEPT
    assert [e[2] for e in log_of(crm) if e[3] == "(rad borttagen)"] == ["L-DDDDDD"]


# A person between the verify read and the write ----------------------------------------------
def test_a_persons_edit_before_the_verify_read_is_kept_and_reported(ws, crm):
    """The window compare-and-set covers: the person edits after the command's read."""
    ws.app.faults.person_edits(crm.key, "Leads!T2", [["Ringde igen, vill ses"]], method=WRITE, before=True)
    outcome = dedupe(crm)
    assert ws.app.faults.pending() == []
    df = read_tables(crm, ["Leads"])["Leads"].df
    assert df.at["L-AAAAAA", "Kommentar"] == "Ringde igen, vill ses"
    assert any("L-AAAAAA" in line for line in outcome.skipped)


def scratch_tabs(ws, key: str) -> list:
    return [s for s in ws.app.store.get_spreadsheet(key).sheets if s.title.startswith("chas-sheets ")]


def true_log(backend) -> list[tuple]:
    """Ändringslogg without run id and time: (tab, row ID, column, before, after) of each row."""
    df = read_tables(backend, [LOG_TAB])[LOG_TAB].df
    new_id = re.compile(r"\bK-[A-Z0-9]{6}\b")  # a contact's new ID is drawn at random in each run
    return sorted(tuple(new_id.sub("K-?", "" if v is None else str(v)) for v in row)
                  for row in df[["Flik", "Rad-ID", "Kolumn", "Före", "Efter"]].itertuples(index=False))


def without_places(log: list[tuple]) -> list[tuple]:
    """A true log with the place of each removed row (its neighbours' IDs, `Efter`) left out."""
    return [entry[:4] + ("",) if entry[2] == "(rad borttagen)" else entry for entry in log]


def calm_run(plan):
    """The same run on the same sheet with nobody at it: what the run must end up writing."""
    calm_ws = EmulatorWorkspace(make_app(), no_sleep())
    calm = calm_ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})
    changes = plan(read_tables(calm, ["Leads"], ["Kontaktlogg"]))
    assert execute(calm, changes, "calm", apply=True).written
    return calm


def by_id(backend) -> dict:
    df = read_tables(backend, ["Leads"])["Leads"].df
    return {row_id: {k: v for k, v in df.loc[row_id].items() if v not in (None, "")} for row_id in sorted(df.index)}


def test_a_persons_edit_after_the_verify_read_is_not_overwritten(ws, crm):
    """The write copies the rows it writes, inside its own batch, and sees the cell it was
    about to write no longer holds what the verify read saw: the write is put back, the
    person's text is kept, the cell reported and nothing of it logged."""
    ws.app.faults.person_edits(crm.key, "Leads!T2", [["Ringde igen, vill ses"]], method=WRITE)  # after the take
    before = ws.app.stats()["total"]
    outcome = dedupe(crm)
    assert ws.app.stats()["total"] - before == 5  # read, take, write, put back with the take, write
    assert ws.app.faults.pending() == [] and outcome.written
    assert read_tables(crm, ["Leads"])["Leads"].df.at["L-AAAAAA", "Kommentar"] == "Ringde igen, vill ses"
    assert any("L-AAAAAA" in line and "Kommentar" in line for line in outcome.skipped)
    assert not [e for e in log_of(crm) if e[2:] == ("L-AAAAAA", "Kommentar")]  # the log holds what is true
    assert "sorted or edited" in outcome.result.notes[0]
    assert left_behind(ws, crm.key) == []


def test_a_person_who_sorts_leads_after_the_verify_read_loses_no_lead(ws, crm):
    """dedupe: a sort moved Spotify under the duplicate's position. The write deleted it and
    merged the note into the wrong row; its copy shows that, so it is put back and made again
    on the rows by ID. Ändringslogg then holds only what is true, so undo restores it all."""
    calm = calm_run(lambda tables: plan_dedupe(tables, [], TODAY)[0])
    original = by_id(crm)
    ws.app.faults.person_sorts(crm.key, "Leads", column=1, descending=True, method=WRITE)  # Företag Ö..A
    outcome = dedupe(crm)
    assert ws.app.faults.pending() == [] and outcome.written
    assert sorted(leads(crm)) == KEPT
    assert by_id(crm) == by_id(calm)  # every lead holds exactly what a calm run gives it
    assert list(leads(crm).values()) == ["Volvo Personvagnar AB", "Spotify AB", "Ericsson AB"]  # the person's order
    # the same log, but where the removed row stood: among the rows as the person sorted them
    assert without_places(true_log(crm)) == without_places(true_log(calm))
    assert [e[4] for e in true_log(crm) if e[2] == "(rad borttagen)"] == ['{"above": "L-AAAAAA", "below": "L-CCCCCC"}']
    assert [e[4] for e in true_log(calm) if e[2] == "(rad borttagen)"] == ['{"above": "L-BBBBBB", "below": "L-CCCCCC"}']
    assert all(not s.properties.get("hidden") is False for s in scratch_tabs(ws, crm.key))
    assert left_behind(ws, crm.key) == []

    run_id = log_of(crm)[0][0]
    assert undo_run(crm, run_id, True, ws.open).failed == []
    restored = by_id(crm)
    assert restored == original  # the removed lead is back, Volvo's note as it was


def test_a_person_who_sorts_before_mark_processed_writes_gets_every_value_on_its_own_lead(ws, crm):
    """mark-processed writes values by position: after a sort they would land on other leads."""
    plan = lambda tables: plan_mark_processed(tables, TODAY)[0]  # noqa: E731
    calm = calm_run(plan)
    changes = plan(read_tables(crm, ["Leads"], ["Kontaktlogg"]))
    ws.app.faults.person_sorts(crm.key, "Leads", column=8, method=WRITE)  # Kontaktperson A..Ö
    outcome = execute(crm, changes, "mark-processed", apply=True)
    assert ws.app.faults.pending() == [] and outcome.written
    assert by_id(crm) == by_id(calm)
    assert true_log(crm) == true_log(calm)
    assert [row_id for row_id in leads(crm)] == ["L-AAAAAA", "L-DDDDDD", "L-BBBBBB", "L-CCCCCC"]  # sorted stays
    assert "sorted or edited" in outcome.result.notes[0]  # the first write did land on other leads


def test_a_sort_hidden_by_a_lost_answer_is_still_put_back(ws, crm):
    """The write was applied after a sort and its answer lost (503): its rows are in
    Ändringslogg, and its copy in the scratch tab (which outlives the batch) shows the rows
    were not the planned ones; it is put back and made again."""
    calm = calm_run(lambda tables: plan_dedupe(tables, [], TODAY)[0])
    ws.app.faults.person_sorts(crm.key, "Leads", column=1, descending=True, method=WRITE)
    ws.app.faults.fail(status=503, path=crm.key, method=WRITE, skip=1, after_apply=True)
    outcome = dedupe(crm)
    assert ws.app.faults.pending() == [] and outcome.written
    assert by_id(crm) == by_id(calm)
    assert without_places(true_log(crm)) == without_places(true_log(calm))  # the rows stood in the person's order
    assert any("sorted or edited" in note for note in outcome.result.notes)


def test_a_person_who_sorts_again_while_the_write_is_put_back_loses_nothing_and_is_told(ws, crm):
    """Two sorts, one in each window: the put-back's own copy shows it too landed on other
    rows. The run stops; the copies are kept (shown, renamed so no run deletes them)."""
    ws.app.faults.person_sorts(crm.key, "Leads", column=1, descending=True, method=WRITE)
    ws.app.faults.person_sorts(crm.key, "Leads", column=8, descending=True, method=WRITE, skip=1)  # Lisa first
    from chas_sheets.errors import BackendError

    with pytest.raises(BackendError, match="sorted or edited again") as caught:
        dedupe(crm)
    assert "nothing is lost" in str(caught.value)
    kept = [s for s in ws.app.store.get_spreadsheet(crm.key).sheets if s.title.startswith("chas-sheets behållet")]
    assert kept and not any(s.properties.get("hidden") for s in kept)
    found = set()
    for title in ["Leads"] + [s.title for s in kept]:
        found |= {str(c.get("userEnteredValue", {}).get("stringValue", ""))
                  for (r, col), c in ws.app.store.get_spreadsheet(crm.key).sheet_by_title(title).cells.items()}
    assert {"L-AAAAAA", "L-BBBBBB", "L-CCCCCC", "L-DDDDDD", "Ringde 12/3, bad om CV", "Spotify AB"} <= found
    assert left_behind(ws, crm.key) == []  # the lock is released


def test_the_copy_costs_no_request_and_its_tab_goes_with_the_next_take(ws, crm):
    before = ws.app.stats()["total"]
    assert dedupe(crm).written
    assert ws.app.stats()["total"] - before == 3
    scratch = scratch_tabs(ws, crm.key)
    assert scratch and all(s.properties.get("hidden") for s in scratch)
    assert not any(t.startswith("chas-sheets") for t in crm.read().titles)  # never shown to a command
    other = ws.open(crm.target)  # another run, seconds later: a young copy may still be needed
    other.lock_options = {"clock": lambda: time.time() + 10}
    assert execute(other, plan_mark_processed(read_tables(other, ["Leads"], ["Kontaktlogg"]), TODAY)[0],
                   "mark-processed", apply=True).written
    assert {s.sheet_id for s in scratch} <= {s.sheet_id for s in scratch_tabs(ws, crm.key)}
    later = ws.open(crm.target)  # past the lock's lease: the take deletes every old copy
    later.lock_options = {"clock": lambda: time.time() + 600}
    changes = ChangeSet()
    changes.set_cell("Leads", "L-CCCCCC", "Ort", None, "Stockholm")
    read_tables(later, ["Leads"])
    before = ws.app.stats()["total"]
    assert execute(later, changes, "edit", apply=True).written
    assert ws.app.stats()["total"] - before == 2  # take (deleting the old copies) and write
    left = scratch_tabs(ws, crm.key)
    assert left and len(left) == 3  # only this write's own copies (of Leads, Körningar and Ändringslogg)
    assert not {s.sheet_id for s in scratch} & {s.sheet_id for s in left}


@pytest.mark.parametrize("person", [
    pytest.param(("insert", 2), id="inserts-a-row-at-the-top"),
    pytest.param(("insert", 4), id="inserts-a-row-right-above-the-duplicate"),  # unguarded: it is deleted
    pytest.param(("delete", 3), id="deletes-ericsson"),
])
def test_a_person_who_inserts_or_deletes_rows_after_the_verify_read_moves_no_write(ws, crm, person):
    """Rows are written and deleted by position: without the row guard, a row inserted at the
    top made deleteDimension remove Ericsson and the merged comment land on the new blank row;
    one inserted right above the duplicate was itself deleted; a row deleted above it made it
    remove Spotify. The guard refuses that write
    (atomically) and the run reads again and writes on the rows where they are now."""
    action, row = person
    if action == "insert":
        ws.app.faults.person_inserts_rows(crm.key, "Leads", before=row, method=WRITE)
    else:
        sheet_id = ws.app.store.get_spreadsheet(crm.key).sheet_by_title("Leads").sheet_id
        ws.app.faults.person(crm.key, [{"requests": [{"deleteDimension": {"range": {
            "sheetId": sheet_id, "dimension": "ROWS", "startIndex": row - 1, "endIndex": row}}}]}], method=WRITE)
    outcome = dedupe(crm)
    assert ws.app.faults.pending() == []
    survivors = [lead for lead in KEPT if not (action == "delete" and lead == "L-BBBBBB")]  # the person's own
    df = read_tables(crm, ["Leads"])["Leads"].df
    assert sorted(df.index) == survivors
    assert df.at["L-AAAAAA", "Kommentar"].count("Dubblett L-DDDDDD") == 1  # the merge landed on Volvo
    assert [e[2] for e in log_of(crm) if e[3] == "(rad borttagen)"] == ["L-DDDDDD"]
    grid = crm.read(["Leads"]).grids["Leads"]
    blank_rows = [i + 1 for i, line in enumerate(grid) if not any(v not in (None, "") for v in line)]
    assert blank_rows == ([row] if action == "insert" else [])  # the person's new row is kept, empty
    assert left_behind(ws, crm.key) == []  # no lock, no guard of this run left behind
    assert outcome.written and "inserted or deleted rows" in outcome.result.notes[0]


def test_the_row_guard_costs_no_request_when_nobody_moves_rows(ws, crm):
    before = ws.app.stats()["total"]
    outcome = dedupe(crm)
    assert outcome.written and outcome.result.notes == []
    assert ws.app.stats()["total"] - before == 3  # read, take + verify (guards placed), write (guards checked)
    assert left_behind(ws, crm.key) == []


# The emulator's switchboard for these windows ---------------------------------------------
def raw_session(app):
    from chas_sheets.emulator import emulator_session

    return emulator_session(app)


def a1(app, key: str, range_: str) -> list:
    answer = raw_session(app).get(f"https://sheets.googleapis.com/v4/spreadsheets/{key}/values/{range_}")
    return answer.json().get("values", [])


def put(session, key: str, range_: str, value: str):
    return session.put(f"https://sheets.googleapis.com/v4/spreadsheets/{key}/values/{range_}",
                       params={"valueInputOption": "RAW"}, json={"values": [[value]]})


def test_the_emulator_answers_503_after_applying_and_before_applying_on_request(ws, crm):
    session = raw_session(ws.app)
    ws.app.faults.fail(status=503, method="PUT", after_apply=True)
    answer = put(session, crm.key, "Leads!T3", "efter")
    assert answer.status_code == 503 and answer.json()["error"]["status"] == "UNAVAILABLE"
    assert a1(ws.app, crm.key, "Leads!T3") == [["efter"]]  # applied all the same
    ws.app.faults.fail(status=503, method="PUT")
    assert put(session, crm.key, "Leads!T3", "före").status_code == 503
    assert a1(ws.app, crm.key, "Leads!T3") == [["efter"]]  # refused before: not applied


def test_the_emulator_drops_the_connection_after_applying(ws, crm):
    import requests

    ws.app.faults.drop(method="sheets.spreadsheets.values.update", after_apply=True)
    with pytest.raises(requests.ConnectionError):
        put(raw_session(ws.app), crm.key, "Leads!T3", "tappad")
    assert a1(ws.app, crm.key, "Leads!T3") == [["tappad"]]


def test_a_fault_can_target_the_nth_matching_request(ws, crm):
    session = raw_session(ws.app)
    ws.app.faults.fail(status=500, method="PUT", path=crm.key, skip=2)
    assert [put(session, crm.key, "Leads!T3", str(n)).status_code for n in range(4)] == [200, 200, 500, 200]
    assert ws.app.faults.pending() == []


def test_a_person_armed_over_http_sorts_a_tab_between_two_requests(ws, crm, served):
    import os

    import requests

    url = os.environ["CHAS_SHEETS_API_URL"]
    armed = requests.post(f"{url}/_emulator/faults", timeout=5, json={
        "kind": "person", "spreadsheetId": crm.key, "method": "GET", "skip": 1,
        "actions": [{"sort": {"tab": "Leads", "column": 1, "descending": True}},
                    {"insertRows": {"tab": "Leads", "before": 2}},
                    {"edit": {"range": "Leads!B2", "values": [["Ny rad AB"]]}}]})
    assert armed.status_code == 200 and armed.json()["faults"][0]["kind"] == "person"
    first = a1(ws.app, crm.key, "Leads!B2:B6")  # the first GET: the person waits
    second = a1(ws.app, crm.key, "Leads!B2:B6")  # the person acts right after this one
    assert first == second == [[lead["Företag"]] for lead in LEADS]
    assert a1(ws.app, crm.key, "Leads!B2:B6") == [["Ny rad AB"], ["Volvo Personvagnar AB"], ["VOLVO PERSONVAGNAR AB"],
                                                 ["Spotify AB"], ["Ericsson AB"]]  # Ö..A, case folded
    bad = requests.post(f"{url}/_emulator/faults", json={"kind": "person", "spreadsheetId": crm.key, "actions": []},
                        timeout=5)
    assert bad.status_code == 400


def test_the_emulator_refuses_row_metadata_beyond_the_grid_like_google(ws, crm):
    session = raw_session(ws.app)
    sheet = ws.app.store.get_spreadsheet(crm.key).sheet_by_title("Leads")
    body = {"requests": [{"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": "k", "visibility": "DOCUMENT", "location": {"dimensionRange": {
            "sheetId": sheet.sheet_id, "dimension": "ROWS", "startIndex": sheet.row_count,
            "endIndex": sheet.row_count + 1}}}}}]}
    answer = session.post(f"https://sheets.googleapis.com/v4/spreadsheets/{crm.key}:batchUpdate", json=body)
    assert answer.status_code == 400 and "exceeds grid limits" in answer.json()["error"]["message"]
    assert left_behind(ws, crm.key) == []


def test_a_person_who_deletes_a_row_before_the_lock_is_taken_does_not_stop_the_run(ws, crm):
    """The grid shrank since the command's read: a guard placed on the old bottom row would be
    outside it (refused, and with it the lock's take); it goes on the bottom row as it is now."""
    sheet_id = ws.app.store.get_spreadsheet(crm.key).sheet_by_title("Leads").sheet_id
    ws.app.faults.person(crm.key, [{"requests": [{"deleteDimension": {"range": {
        "sheetId": sheet_id, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}}]}], method=WRITE, before=True)
    outcome = dedupe(crm)  # the person deleted Ericsson (row 3) right before the take
    assert ws.app.faults.pending() == [] and outcome.written
    assert sorted(leads(crm)) == ["L-AAAAAA", "L-CCCCCC"]
    assert [e[2] for e in log_of(crm) if e[3] == "(rad borttagen)"] == ["L-DDDDDD"]
    assert left_behind(ws, crm.key) == []


# What the write's copy asks of the emulator, as Google documents it -----------------------------
def batch(app, key: str, body: dict):
    return raw_session(app).post(f"https://sheets.googleapis.com/v4/spreadsheets/{key}:batchUpdate", json=body)


def test_the_emulator_copies_rows_into_a_hidden_tab_and_answers_with_only_the_ranges_asked(ws, crm):
    book = ws.app.store.get_spreadsheet(crm.key)
    leads_id = book.sheet_by_title("Leads").sheet_id
    answer = batch(ws.app, crm.key, {
        "requests": [{"addSheet": {"properties": {"sheetId": 77, "title": "kopia", "hidden": True,
                                                  "gridProperties": {"rowCount": 3, "columnCount": 26}}}},
                     {"copyPaste": {"source": {"sheetId": leads_id, "startRowIndex": 1, "endRowIndex": 3,
                                               "startColumnIndex": 0, "endColumnIndex": 26},
                                    "destination": {"sheetId": 77, "startRowIndex": 1, "endRowIndex": 3,
                                                    "startColumnIndex": 0, "endColumnIndex": 26},
                                    "pasteType": "PASTE_NORMAL"}},
                     {"updateCells": {"range": {"sheetId": leads_id, "startRowIndex": 1, "endRowIndex": 2,
                                                "startColumnIndex": 1, "endColumnIndex": 2},
                                      "fields": "userEnteredValue"}}],
        "includeSpreadsheetInResponse": True, "responseIncludeGridData": True,
        "responseRanges": ["kopia!A2:Z3", "'Leads'!A1:A1"]})
    assert answer.status_code == 200, answer.text
    sheets = answer.json()["updatedSpreadsheet"]["sheets"]
    assert [s["properties"]["title"] for s in sheets] == ["Leads", "kopia"]  # only the sheets of the ranges
    assert sheets[1]["properties"]["hidden"] is True
    copy = sheets[1]["data"][0]
    assert copy["startRow"] == 1 and copy["rowData"][0]["values"][1]["userEnteredValue"] == {
        "stringValue": "Volvo Personvagnar AB"}  # as it was inside the batch, before the clear after it
    assert "userEnteredValue" not in (sheets[0]["data"][0]["rowData"][0]["values"][0] or {}) or \
        sheets[0]["data"][0]["rowData"][0]["values"][0]["userEnteredValue"] == {"stringValue": "ID"}


def test_the_emulator_refuses_a_paste_beyond_the_grid_and_pastes_merges_and_validation(ws, crm):
    book = ws.app.store.get_spreadsheet(crm.key)
    leads = book.sheet_by_title("Leads")
    small = {"addSheet": {"properties": {"sheetId": 78, "title": "liten", "gridProperties": {
        "rowCount": 2, "columnCount": 26}}}}
    source = {"sheetId": leads.sheet_id, "startRowIndex": 1, "endRowIndex": 4, "startColumnIndex": 0,
              "endColumnIndex": 26}
    beyond = batch(ws.app, crm.key, {"requests": [small, {"copyPaste": {
        "source": source, "destination": {**source, "sheetId": 78}}}]})
    assert beyond.status_code == 400 and "exceeds grid limits" in beyond.json()["error"]["message"]
    assert ws.app.store.get_spreadsheet(crm.key).sheet_by_title("liten") is None  # the batch is all or nothing
    merge = {"mergeCells": {"range": {"sheetId": leads.sheet_id, "startRowIndex": 1, "endRowIndex": 2,
                                      "startColumnIndex": 2, "endColumnIndex": 4}, "mergeType": "MERGE_ALL"}}
    rule = {"setDataValidation": {"range": {"sheetId": leads.sheet_id, "startRowIndex": 1, "endRowIndex": 2,
                                            "startColumnIndex": 15, "endColumnIndex": 16},
                                  "rule": {"condition": {"type": "ONE_OF_LIST",
                                                         "values": [{"userEnteredValue": "Ny"}]}}}}
    big = {"addSheet": {"properties": {"sheetId": 79, "title": "stor", "gridProperties": {
        "rowCount": 4, "columnCount": 26}}}}
    pasted = batch(ws.app, crm.key, {"requests": [merge, rule, big, {"copyPaste": {
        "source": source, "destination": {**source, "sheetId": 79}}}]})
    assert pasted.status_code == 200, pasted.text
    copy = ws.app.store.get_spreadsheet(crm.key).sheet_by_title("stor")
    assert {"startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 2, "endColumnIndex": 4}.items() <= \
        next(m for m in copy.merges).items()
    leads = ws.app.store.get_spreadsheet(crm.key).sheet_by_title("Leads")
    assert copy.validation_at(1, 15) == {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Ny"}]}}
    assert copy.validation_at(2, 15) == leads.validation_at(2, 15) is not None  # the template's dropdown too
    assert copy.validation_at(1, 0) is None and leads.validation_at(1, 0) is None
    values = batch(ws.app, crm.key, {"requests": [{"copyPaste": {
        "source": source, "destination": {**source, "sheetId": 79}, "pasteType": "PASTE_VALUES"}}]})
    assert values.status_code == 501  # not emulated: refused, never pasted the normal way instead


def test_a_field_mask_on_batch_update_cuts_the_answer_and_names_the_grid_data_it_wants(ws, crm):
    """`responseIncludeGridData` "is ignored if a field mask was set in the request"."""
    answer = raw_session(ws.app).post(
        f"https://sheets.googleapis.com/v4/spreadsheets/{crm.key}:batchUpdate",
        params={"fields": "updatedSpreadsheet(sheets(properties.title,data.rowData.values.userEnteredValue))"},
        json={"requests": [{"updateSpreadsheetProperties": {"properties": {"locale": "sv_SE"}, "fields": "locale"}}],
              "includeSpreadsheetInResponse": True, "responseRanges": ["Leads!B2"]})  # no empty batch: Google refuses it
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"updatedSpreadsheet": {"sheets": [{"properties": {"title": "Leads"}, "data": [
        {"rowData": [{"values": [{"userEnteredValue": {"stringValue": "Volvo Personvagnar AB"}}]}]}]}]}}


def test_without_the_lock_a_run_that_writes_over_anothers_new_rows_sees_it_and_puts_them_back():
    """The lock keeps two runs apart; the write's copy is a second net: run A planned its new
    rows on rows run B has filled meanwhile, so A's copy is not blank, A's write is put back
    (B's rows with it) and A appends after B."""
    from test_locks import leads as lead_ids
    from test_locks import log_runs, race

    app = make_app()
    key = EmulatorWorkspace(app, no_sleep()).fill("student", {}).key
    backend, errors = race(app, key, locking=False)
    assert errors == []
    assert lead_ids(backend) == ["L-A00000", "L-A00001", "L-B00000", "L-B00001"]  # nobody's rows written over
    assert len(set(log_runs(backend))) == 2 and len(log_runs(backend)) == 4


def test_a_person_who_sorts_while_undo_puts_a_row_back_gets_it_at_the_end_not_between_other_rows(ws, crm):
    """undo inserts a removed row below its logged neighbour, by position (a batchUpdate has no
    other way): a sort right after the verify read moves other rows there. The write's copy
    holds the neighbours' rows too, so it sees that: the write is put back (the row it inserted
    deleted first) and made again on the rows as they are, where the neighbours no longer stand
    next to each other, so the row goes at the end of the tab, and the undo says so."""
    run_id = dedupe(crm).run.run_id  # L-DDDDDD stood between Ericsson (L-BBBBBB) and Spotify (L-CCCCCC)
    ws.app.faults.person_sorts(crm.key, "Leads", column=1, descending=True, method=WRITE)  # Volvo, Spotify, Ericsson
    result = undo_run(crm, run_id, True, ws.open)
    assert result.failed == [] and ws.app.faults.pending() == []
    table = read_tables(crm, ["Leads"])["Leads"]
    assert sorted(table.df.index, key=table.sheet_rows.get) == ["L-AAAAAA", "L-CCCCCC", "L-BBBBBB", "L-DDDDDD"]
    assert table.text("L-DDDDDD", "Företag") == "VOLVO PERSONVAGNAR AB"
    assert table.text("L-DDDDDD", "Kommentar") == "Dubblett?"
    assert any("L-DDDDDD put back at the end of the tab" in line and "no longer next to each other" in line
               for line in result.sheets[0].skipped)
    assert left_behind(ws, crm.key) == []


def test_a_sort_in_the_window_of_a_spreadsheet_written_before_is_put_back_and_written_again(ws, crm):
    """A spreadsheet written once names its tabs in the lock's take (its scratch tabs are
    recorded). The take that puts a write back must still bring back the put-back's own copy:
    without it every copied row looked moved, and the run stopped as if sorted a second time."""
    earlier = ChangeSet()
    earlier.set_cell("Leads", "L-CCCCCC", "Temperatur", "Varm", "Kall")
    assert execute(crm, earlier, "test", apply=True).written
    ws.app.faults.person_sorts(crm.key, "Leads", column=1, descending=True, method=WRITE)
    outcome = dedupe(crm)
    assert ws.app.faults.pending() == [] and outcome.written
    assert sorted(leads(crm)) == KEPT
    assert any("sorted or edited" in note for note in outcome.result.notes)
    assert left_behind(ws, crm.key) == []
