"""Two runs on one spreadsheet never interleave their writes: the Google lock (developer
metadata) and the local lock file.

The interleaving is forced, not hoped for: run A is held just before its write until run B
has tried (and, with the lock, been refused), so every test is deterministic. Waits go to a
fake sleep; nothing here depends on timing.
"""

from __future__ import annotations

import threading

import filelock
import pytest
from lost_answers import losing_answer_to_post

from chas_sheets.backends import local
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.google_lock import LOCK_KEY, LOCK_METADATA_ID, LockValue, lock_value_in
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.errors import SpreadsheetLocked
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet, RowAppend
from chas_sheets.sheet.writeplan import RunInfo

WAIT = 5.0  # seconds a test waits for the other thread before declaring a deadlock


def fast_retry() -> RetryPolicy:
    return RetryPolicy(total_seconds=30, sleep=lambda seconds: None)


def new_leads(prefix: str, n: int = 2) -> ChangeSet:
    return ChangeSet(appends=[RowAppend("Leads", {"ID": f"L-{prefix}{i:05d}", "Företag": f"{prefix} AB {i}"})
                              for i in range(n)])


def leads(backend) -> list[str]:
    return sorted(read_tables(backend, ["Leads"])["Leads"].df.index)


def log_runs(backend) -> list[str]:
    return list(read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df["Körning"])


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def key(app):
    return GoogleSpreadsheet.new("student", session=emulator_session(app), retry=fast_retry()).key


def metadata(app, key) -> list[dict]:
    return app.store.get_spreadsheet(key).developer_metadata


def left(app, key) -> list[dict]:
    """The developer metadata of locks (and row guards) left: the records of hidden scratch
    tabs (google_window), kept until a later write deletes the tabs, and the log's ID index
    (google_ids) are not locks."""
    from chas_sheets.backends import google_window as window
    from chas_sheets.backends.google_ids import INDEX_KEY

    kept = metadata(app, key)
    assert sum(m["metadataKey"] == INDEX_KEY for m in kept) <= 1  # the log's ID index, once
    return [m for m in kept if m["metadataKey"] not in (window.SCRATCH_KEY, window.REGISTERED_KEY, INDEX_KEY)]


def plant_lock(app, key, run_id: str, expires: float) -> None:
    """Another run's lock, as a crashed or a live run leaves it."""
    metadata(app, key).append({"metadataId": LOCK_METADATA_ID, "metadataKey": LOCK_KEY,
                               "metadataValue": LockValue(run_id, expires).text(),
                               "location": {"locationType": "SPREADSHEET", "spreadsheet": True},
                               "visibility": "DOCUMENT"})


class Gate:
    """Holds run A's write (with the lock its second POST: the first takes the lock) until B
    has moved on."""

    def __init__(self, app, write_post: int):
        self.app = app
        self.write_post = write_post
        self.b_moved = threading.Event()
        self.a_posts = 0

    def a(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and "batchUpdate" in environ.get("PATH_INFO", ""):
            self.a_posts += 1
            if self.a_posts == self.write_post:
                self.b_moved.wait(WAIT)
        return self.app(environ, start_response)

    def b(self, environ, start_response):
        status = []

        def spy(code, headers, *rest):
            status.append(code)
            return start_response(code, headers, *rest)

        body = self.app(environ, spy)
        if environ["REQUEST_METHOD"] == "POST" and status and not status[0].startswith("200"):
            self.b_moved.set()  # refused: the lock is held
        return body


def race(app, key, locking: bool) -> tuple[GoogleSpreadsheet, list]:
    gate = Gate(app, write_post=2 if locking else 1)
    a = GoogleSpreadsheet(key, session=emulator_session(gate.a), retry=fast_retry())
    b = GoogleSpreadsheet(key, session=emulator_session(gate.b), retry=fast_retry())
    a.locking = b.locking = locking
    errors: list = []

    def run(backend, changes, after=None):
        try:
            backend.apply(changes, RunInfo.new(f"run {changes.appends[0].values['ID'][2]}"))
        except Exception as exc:  # reported to the test, never swallowed
            errors.append(exc)
        finally:
            if after:
                after()

    thread_a = threading.Thread(target=run, args=(a, new_leads("A")))
    thread_a.start()
    while gate.a_posts < gate.write_post and thread_a.is_alive():  # A holds the lock (or has read) and waits
        threading.Event().wait(0.01)
    thread_b = threading.Thread(target=run, args=(b, new_leads("B"), gate.b_moved.set))
    thread_b.start()
    thread_a.join(WAIT * 2)
    thread_b.join(WAIT * 2)
    assert not thread_a.is_alive() and not thread_b.is_alive()
    return a, errors


def test_two_runs_at_once_both_land_whole_with_the_lock(app, key):
    backend, errors = race(app, key, locking=True)
    assert errors == []
    assert leads(backend) == ["L-A00000", "L-A00001", "L-B00000", "L-B00001"]
    assert len(log_runs(backend)) == 4 and len(set(log_runs(backend))) == 2
    assert lock_value_in({"developerMetadata": metadata(app, key)}) is None  # released


def test_without_the_lock_the_same_race_overwrites_a_runs_rows(app, key, monkeypatch):
    """The control: what the lock prevents really happens without it. (The write's own copy of
    its rows, google_window, would see B's rows under A's and put A's write back: it is
    switched off here to show the race itself; test_google_write_windows shows that net.)"""
    from chas_sheets.backends import google_window

    monkeypatch.setattr(google_window, "moved_rows", lambda *args: [])
    backend, errors = race(app, key, locking=False)
    assert errors == []
    assert leads(backend) == ["L-A00000", "L-A00001"]  # B's rows were written over by A's
    assert len(set(log_runs(backend))) == 1


def test_a_changed_spreadsheet_still_costs_three_requests(app, key):
    backend = GoogleSpreadsheet(key, session=emulator_session(app), retry=fast_retry())
    before = app.stats()
    changes = new_leads("C")
    read_tables(backend, ["Leads"])  # the command's read
    backend.apply(changes, RunInfo.new("test"))
    after = app.stats()
    assert after["bySpreadsheet"][key] - before["bySpreadsheet"][key] == 3  # read, lock+verify, write+release
    grew = {m: after["byMethod"][m] - before["byMethod"].get(m, 0) for m in after["byMethod"]
            if after["byMethod"][m] != before["byMethod"].get(m, 0)}
    assert grew == {"sheets.spreadsheets.get": 1, "sheets.spreadsheets.batchUpdate": 2}
    assert left(app, key) == []


def test_a_live_lock_makes_a_run_wait_then_give_up_with_a_clear_message(app, key):
    clock = [1_000_000.0]
    plant_lock(app, key, "20270512-101500-beef", clock[0] + 600)
    backend = GoogleSpreadsheet(key, session=emulator_session(app), retry=fast_retry())
    backend.lock_options = {"clock": lambda: clock[0], "sleep": lambda s: clock.__setitem__(0, clock[0] + s),
                            "wait_seconds": 20}
    with pytest.raises(SpreadsheetLocked, match="20270512-101500-beef.*try again"):
        backend.apply(new_leads("D"), RunInfo.new("test"))
    assert leads(backend) == []
    assert len(left(app, key)) == 1  # the other run's lock is left alone


def test_a_stale_lock_of_a_crashed_run_is_taken_over(app, key):
    plant_lock(app, key, "20270512-101500-dead", 1.0)  # expired long ago
    backend = GoogleSpreadsheet(key, session=emulator_session(app), retry=fast_retry())
    assert backend.apply(new_leads("E"), RunInfo.new("test")).written
    assert leads(backend) == ["L-E00000", "L-E00001"]
    assert left(app, key) == []


def test_a_run_whose_lock_was_taken_over_writes_nothing(app, key):
    """Past its lease, another run took the lock: the fenced write is refused whole."""

    def takeover_before_write(environ, start_response):
        locks = [m for m in metadata(app, key) if m["metadataKey"] == LOCK_KEY]
        if environ["REQUEST_METHOD"] == "POST" and locks:
            locks[0]["metadataValue"] = LockValue("someone-else", 9e9).text()
        return app(environ, start_response)

    backend = GoogleSpreadsheet(key, session=emulator_session(takeover_before_write), retry=fast_retry())
    with pytest.raises(SpreadsheetLocked, match="took over the lock"):
        backend.apply(new_leads("F"), RunInfo.new("test"))
    assert leads(backend) == []
    assert lock_value_in({"developerMetadata": metadata(app, key)}).startswith("someone-else")


def test_a_lost_answer_to_taking_the_lock_is_checked_not_repeated(app, key):
    backend = GoogleSpreadsheet(key, session=emulator_session(losing_answer_to_post(app)), retry=fast_retry())
    run = RunInfo.new("test")
    assert backend.apply(new_leads("G"), run).written
    assert log_runs(backend) == [run.run_id, run.run_id]
    assert left(app, key) == []


def test_a_lost_answer_to_the_write_is_found_in_the_log_and_the_lock_is_gone(app, key):
    lost_write = losing_answer_to_post(app, number=2)  # POST 1 takes the lock; POST 2 is the fenced write
    backend = GoogleSpreadsheet(key, session=emulator_session(lost_write), retry=fast_retry())
    run = RunInfo.new("test")
    result = backend.apply(new_leads("H"), run)
    assert result.written and "it was applied" in result.notes[-1]
    assert log_runs(backend) == [run.run_id, run.run_id]
    assert left(app, key) == []


def test_nothing_left_to_write_releases_the_lock(app, key):
    backend = GoogleSpreadsheet(key, session=emulator_session(app), retry=fast_retry())
    backend.apply(new_leads("I"), RunInfo.new("first"))
    again = backend.apply(new_leads("I"), RunInfo.new("again"))  # the rows are there already
    assert not again.written and left(app, key) == []


# Local: the lock file ------------------------------------------------------------------------
def test_local_apply_waits_for_the_lock_file_and_says_so(make_crm, monkeypatch):
    path = make_crm()
    monkeypatch.setattr(local, "LOCK_TIMEOUT_SECONDS", 0.2)
    backend = LocalWorkbook(path)
    with filelock.FileLock(str(path.with_name(f".{path.name}.lock"))):  # another run is writing
        with pytest.raises(SpreadsheetLocked, match="another chas-sheets run"):
            backend.apply(new_leads("J"), RunInfo.new("test"))
    assert leads(backend) == []
    assert backend.apply(new_leads("J"), RunInfo.new("test")).written  # free again


def test_local_runs_in_threads_serialise(make_crm, monkeypatch):
    """Each run's read-resolve-save happens inside the lock: none is lost."""
    path = make_crm()
    inside, overlaps = [0], []
    real = LocalWorkbook._apply_locked

    def counting(self, changes, run):
        inside[0] += 1
        overlaps.append(inside[0])
        try:
            threading.Event().wait(0.05)  # widen the window a missing lock would show
            return real(self, changes, run)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(LocalWorkbook, "_apply_locked", counting)
    threads = [threading.Thread(target=LocalWorkbook(path).apply, args=(new_leads(p), RunInfo.new(p)))
               for p in "KLMN"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 4)
    assert max(overlaps) == 1
    assert len(leads(LocalWorkbook(path))) == 8
