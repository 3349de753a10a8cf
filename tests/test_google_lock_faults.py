"""Faults on the write that takes the chas-sheets lock, through the emulator served on loopback
(as a user meets them with CHAS_SHEETS_API_URL): a lost answer is resolved by reading the lock,
retried within the retry budget, and only a lock another live run holds stops the run.

Waits go to a fake sleep; nothing here really sleeps or depends on timing.
"""

from __future__ import annotations

import threading

import gspread
import pytest
import requests
from click.testing import CliRunner

from chas_sheets.backends import google_http
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.google_lock import LOCK_KEY, LOCK_METADATA_ID, LockValue
from chas_sheets.cli import cli
from chas_sheets.emulator import emulator_session, make_app, make_emulator_server
from chas_sheets.errors import BackendError, SpreadsheetLocked
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet, RowAppend
from chas_sheets.sheet.writeplan import RunInfo

LOCK_WRITE = "sheets.spreadsheets.batchUpdate"
RETRY_SECONDS = 60.0


def no_sleep_retry(sleeps: list[float] | None = None) -> RetryPolicy:
    record = sleeps.append if sleeps is not None else (lambda seconds: None)
    return RetryPolicy(total_seconds=RETRY_SECONDS, sleep=record)


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def served(app, monkeypatch):
    """The emulator on a loopback port, CHAS_SHEETS_API_URL pointing at it."""
    server = make_emulator_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("CHAS_SHEETS_API_URL", url)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def key(app):
    return GoogleSpreadsheet.new("student", session=emulator_session(app), retry=no_sleep_retry()).key


def arm(url: str, fault: dict) -> None:
    """Arm a fault the way a user would: over HTTP."""
    requests.post(f"{url}/_emulator/faults", json=fault, timeout=5).raise_for_status()


def new_leads(n: int = 2) -> ChangeSet:
    return ChangeSet(appends=[RowAppend("Leads", {"ID": f"L-F{i:05d}", "Företag": f"Fel AB {i}"}) for i in range(n)])


def leads(backend) -> list[str]:
    return sorted(read_tables(backend, ["Leads"])["Leads"].df.index)


def log_runs(backend) -> list[str]:
    return list(read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df["Körning"])


def lock_metadata(app, key) -> list[dict]:
    return [m for m in app.store.get_spreadsheet(key).developer_metadata if m.get("metadataId") == LOCK_METADATA_ID]


FAULTS_TWICE = [
    pytest.param({"kind": "error", "status": 500, "times": 2, "method": LOCK_WRITE}, id="500x2"),
    pytest.param({"kind": "drop", "times": 2, "method": LOCK_WRITE}, id="dropx2"),
]


@pytest.mark.parametrize("fault", FAULTS_TWICE)
def test_two_lost_answers_to_taking_the_lock_are_survived_and_written_once(app, served, key, fault):
    arm(served, fault)
    sleeps: list[float] = []
    backend = GoogleSpreadsheet(key, retry=no_sleep_retry(sleeps))
    run = RunInfo.new("test")
    result = backend.apply(new_leads(), run)
    assert result.written
    assert leads(backend) == ["L-F00000", "L-F00001"]  # exactly once
    assert log_runs(backend) == [run.run_id, run.run_id]
    assert lock_metadata(app, key) == []  # released by the write
    assert len(sleeps) == 2 and sum(sleeps) <= RETRY_SECONDS  # one wait per lost answer, within budget
    assert app.faults.pending() == []  # both faults really fired


def test_a_lock_write_that_keeps_failing_gives_up_in_one_clear_line_within_the_budget(app, served, key):
    arm(served, {"kind": "error", "status": 500, "times": 100, "method": LOCK_WRITE})
    sleeps: list[float] = []
    backend = GoogleSpreadsheet(key, retry=no_sleep_retry(sleeps))
    with pytest.raises(BackendError) as err:
        backend.apply(new_leads(), RunInfo.new("test"))
    message = str(err.value)
    assert "could not take the chas-sheets lock" in message and "error 500" in message
    assert "nothing was written" in message and "may or may not" not in message and "\n" not in message
    assert not isinstance(err.value, SpreadsheetLocked)
    assert len(sleeps) >= 3 and sum(sleeps) <= RETRY_SECONDS  # tried on, not for ever
    assert leads(backend) == [] and lock_metadata(app, key) == []


def plant_live_lock(app, key, run_id: str) -> None:
    app.store.get_spreadsheet(key).developer_metadata.append(
        {"metadataId": LOCK_METADATA_ID, "metadataKey": LOCK_KEY, "metadataValue": LockValue(run_id, 9e9).text(),
         "location": {"locationType": "SPREADSHEET", "spreadsheet": True}, "visibility": "DOCUMENT"})


@pytest.mark.parametrize("fault", FAULTS_TWICE)
def test_a_lock_another_live_run_holds_is_still_refused_after_lost_answers(app, served, key, fault):
    plant_live_lock(app, key, "20270512-101500-beef")
    arm(served, fault)
    clock = [1_000_000.0]
    backend = GoogleSpreadsheet(key, retry=no_sleep_retry())
    backend.lock_options = {"clock": lambda: clock[0], "sleep": lambda s: clock.__setitem__(0, clock[0] + s),
                            "wait_seconds": 20}
    with pytest.raises(SpreadsheetLocked, match="another chas-sheets run \\(20270512-101500-beef") as err:
        backend.apply(new_leads(), RunInfo.new("test"))
    assert "\n" not in str(err.value)
    assert leads(backend) == []
    assert [m["metadataValue"] for m in lock_metadata(app, key)] == [LockValue("20270512-101500-beef", 9e9).text()]


# The command line, as the auditor met it ------------------------------------------------
@pytest.fixture
def crm_with_a_decided_lead(app, key):
    """A lead with a `Ja` in Kontaktlogg: mark-processed has one lead to set."""
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(key)
    for title, row in (("Leads", {"ID": "L-AAAAAA", "Företag": "Alfa AB", "Status": "Kontaktad"}),
                       ("Kontaktlogg", {"ID": "K-AAAAAA", "Datum": "2026-03-02", "Företag": "Alfa AB",
                                        "Lead-ID": "L-AAAAAA", "Kanal": "Telefon", "Utfall": "Ja"})):
        sheet = book.worksheet(title)
        sheet.update([[row.get(h, "") for h in sheet.row_values(1)]], "A2", raw=True)
    return key


@pytest.mark.parametrize("fault", FAULTS_TWICE)
def test_mark_processed_apply_survives_two_lost_answers_to_the_lock(app, served, crm_with_a_decided_lead, fault,
                                                                    monkeypatch):
    monkeypatch.setattr(google_http.RetryPolicy, "from_env", classmethod(lambda cls: no_sleep_retry()))
    arm(served, fault)
    key = crm_with_a_decided_lead
    result = CliRunner().invoke(cli, ["mark-processed", f"https://docs.google.com/spreadsheets/d/{key}/edit",
                                      "--apply"])
    assert result.exit_code == 0, result.output
    backend = GoogleSpreadsheet(key, session=emulator_session(app), retry=no_sleep_retry())
    lead = read_tables(backend, ["Leads"])["Leads"].df.loc["L-AAAAAA"]
    assert lead["Status"] == "Ja" and lead["Bearbetad"]
    assert len(set(log_runs(backend))) == 1  # one run wrote, once
    assert lock_metadata(app, key) == []


# The emulator's console ---------------------------------------------------------------------
def test_a_deliberate_drop_leaves_the_emulators_console_quiet(app, capsys):
    """A drop fault closes the connection without an answer, and prints no traceback."""
    from wsgiref.simple_server import make_server

    from chas_sheets.emulator import server as emulator_server

    # The emulator's handler on a one-request server, so its thread can be joined before looking.
    one = make_server("127.0.0.1", 0, app, handler_class=emulator_server._QuietHandler)
    app.faults.drop(times=1)
    serving = threading.Thread(target=one.handle_request)
    serving.start()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{one.server_port}/v4/spreadsheets/x", timeout=5)
    serving.join(timeout=5)
    one.server_close()
    assert not serving.is_alive() and app.faults.pending() == []  # the drop fired
    assert capsys.readouterr().err == ""
