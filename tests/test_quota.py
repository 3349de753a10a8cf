"""Google's per-minute quota across a night and across processes.

A 429 on any read is retried within the retry budget, the register's read included (it is the
night's first request, the one that meets a minute another run used up); a CRM that still
fails is an error row and the night goes on with the others; a register that still fails ends
the night in one line. The nightly pacer starts with the last minute's requests of earlier
processes (a small file in the user's cache folder), so a night started right after a busy
minute waits instead of running into 429s.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace
from test_google_backend import loopback  # noqa: F401 - the emulator on a loopback port

from chas_sheets.backends import google_http
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.request_log import API_URL_ENV, RememberingPacer, RequestLog, request_log
from chas_sheets.cli import cli
from chas_sheets.emulator import make_app
from chas_sheets.emulator.control import ManualClock
from chas_sheets.nightly.run import RequestPacer, run_nightly
from chas_sheets.nightly.state import Everything

TODAY = dt.date(2027, 5, 12)
LEADS = [{"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson", "Status": "Ny"}]
NAMES = ("Ada", "Bo", "Cia")


def google_night(ws: EmulatorWorkspace):
    """A Google register naming a group's and three students' Google CRMs."""
    crms = {name: ws.fill("student", {"Leads": LEADS}) for name in NAMES}
    group = ws.fill("group", {"Leads": LEADS})
    register = ws.fill("register", {
        "Grupper": [{"Grupp": "Nord", "Gruppens CRM": group.target}],
        "Studerande": [{"Namn": n, "Grupp": "Nord", "Individuellt CRM": crms[n].target} for n in NAMES]})
    return register, crms


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def manual():
    clock = ManualClock()
    policy = RetryPolicy(total_seconds=60, sleep=clock.sleep, clock=clock.now)
    return EmulatorWorkspace(make_app(clock=clock), policy), policy


# 429s on reads -------------------------------------------------------------------------------
def test_a_429_on_the_registers_read_is_retried(manual):
    ws, policy = manual
    register, _ = google_night(ws)
    fault = ws.app.faults.fail(times=3, status=429, path=register.key, method="GET")
    result = run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open, detector=Everything())
    assert fault.fired == 3
    assert len(policy.waits) == 3  # the register's read, tried four times
    assert result.exit_code == 0
    assert [s.name for s in result.report.students if s.status != "error"] == list(NAMES)


def test_a_crm_still_refused_after_its_retries_is_an_error_row_and_the_night_goes_on(manual):
    ws, policy = manual
    register, crms = google_night(ws)
    ws.app.faults.fail(times=10_000, status=429, path=crms["Bo"].key)
    result = run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open, detector=Everything())
    rows = {s.name: s for s in result.report.students}
    # the reason is the Dashboard's cell: Swedish whatever the command line's language
    assert rows["Bo"].status == "error" and "misslyckas fortfarande efter" in rows["Bo"].reason
    assert rows["Ada"].status != "error" and rows["Cia"].status != "error"
    assert result.exit_code == 1
    assert sum(policy.waits) <= 3 * policy.total_seconds  # bounded: Bo's read gave up within its budget
    assert "Dashboard" in ws.open(register.target).read().titles  # the register was written all the same


def test_a_429_on_the_registers_read_is_retried_by_the_command(app, loopback):  # noqa: F811
    register, _ = google_night(EmulatorWorkspace(app))
    fault = app.faults.fail(times=1, status=429, path=register.key, method="GET")
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "nightly", register.target, "--apply",
                                      "--no-audit", "--json"])
    assert result.exit_code == 0, result.output
    assert fault.fired == 1
    assert json.loads(result.stdout)["register"]["applied"]


def test_a_register_refused_past_the_budget_ends_the_night_in_one_line(app, loopback, monkeypatch):  # noqa: F811
    register, _ = google_night(EmulatorWorkspace(app))
    app.faults.fail(times=10_000, status=429, path=register.key, method="GET")
    monkeypatch.setenv("CHAS_SHEETS_RETRY_SECONDS", "0.5")
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "nightly", register.target, "--no-audit"])
    assert result.exit_code == 1
    assert result.output.startswith("Error:") and "still failing after" in result.output
    assert result.output.strip().count("\n") == 0


# The pacer remembers the last minute ---------------------------------------------------------
class Clocks:
    """A process's monotonic clock and the wall clock, moved together by its pacer's sleeps."""

    def __init__(self, wall: float = 1_800_000_000.0):
        self.wall_now, self.mono = wall, 500.0
        self.slept: list[float] = []

    def wall(self) -> float:
        return self.wall_now

    def clock(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.wall_now += seconds
        self.mono += seconds

    def new_process(self) -> Clocks:
        """Another process: the same wall clock, a monotonic clock of its own."""
        other = Clocks(self.wall_now)
        other.mono = 10.0
        return other


def pacer_for(clocks: Clocks, log: RequestLog | None) -> RememberingPacer:
    return RememberingPacer(RequestPacer(clock=clocks.clock, sleep=clocks.sleep), log)


def busy_minute(clocks: Clocks, log: RequestLog) -> None:
    """A night's first 20 CRMs: 60 requests in 20 seconds, the whole minute's quota."""
    pacer = pacer_for(clocks, log)
    for _ in range(20):
        pacer.before(3)
        clocks.advance(1)
        pacer.record(3)
    assert clocks.slept == []


def test_a_pacer_started_after_a_busy_minute_waits(tmp_path):
    first = Clocks()
    log = RequestLog(tmp_path / "requests.json", wall=first.wall)
    busy_minute(first, log)
    second = first.new_process()
    second.advance(5)  # the next run starts 5 s later
    pacer = pacer_for(second, RequestLog(tmp_path / "requests.json", wall=second.wall))
    pacer.before(1)  # the register's read
    # the busy minute's first 3 requests were sent 24 s ago: room for one more in 36 s
    assert sum(second.slept) == pytest.approx(36)
    fresh = first.new_process()
    fresh.advance(5)
    pacer_for(fresh, None).before(1)  # without the log it would have gone straight into 429s
    assert fresh.slept == []


def test_a_pacer_started_after_a_quiet_minute_does_not_wait(tmp_path):
    first = Clocks()
    busy_minute(first, RequestLog(tmp_path / "requests.json", wall=first.wall))
    later = first.new_process()
    later.advance(61)
    pacer = pacer_for(later, RequestLog(tmp_path / "requests.json", wall=later.wall))
    pacer.before(3)
    assert later.slept == []
    pacer.record(3)
    assert json.loads((tmp_path / "requests.json").read_text())["requests"] == [[later.wall_now, 3]]  # old ones dropped


def test_what_a_run_never_recorded_is_logged_when_it_settles(tmp_path):
    clocks = Clocks()
    log = RequestLog(tmp_path / "requests.json", wall=clocks.wall)
    pacer = pacer_for(clocks, log)
    pacer.record(4)
    pacer.settle(7)  # the register's verify and write came after the last record
    assert sum(count for _, count in log.recent()) == 7


@pytest.mark.parametrize("damage", ["not json", '{"requests": [["x", 3]]}', '{"other": 1}', "[]"])
def test_a_damaged_log_is_as_if_empty(tmp_path, damage):
    path = tmp_path / "requests.json"
    path.write_text(damage)
    clocks = Clocks()
    pacer = pacer_for(clocks, RequestLog(path, wall=clocks.wall))
    pacer.before(3)
    pacer.record(3)
    assert clocks.slept == []
    assert json.loads(path.read_text())["requests"] == [[clocks.wall_now, 3]]


def test_a_log_that_cannot_be_written_never_stops_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    clocks = Clocks()
    pacer = pacer_for(clocks, RequestLog(blocker / "sub" / "requests.json", wall=clocks.wall))  # under a file
    pacer.before(3)
    pacer.record(3)
    pacer.settle(5)
    assert pacer.logged == 5


def test_two_processes_share_the_log(tmp_path):
    path = tmp_path / "requests.json"
    code = ("import sys; from chas_sheets.backends.request_log import RequestLog; "
            "RequestLog(sys.argv[1]).add(40)")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    RequestLog(path).add(15)
    assert sorted(count for _, count in RequestLog(path).recent()) == [15, 40]


def test_one_log_per_account_and_none_for_the_emulator(tmp_path, monkeypatch):
    assert API_URL_ENV == google_http.API_URL_ENV
    monkeypatch.delenv(API_URL_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mine, key, other = request_log(None), request_log("key.json"), request_log("other.json")
    assert len({mine.path, key.path, other.path}) == 3
    assert all(log.path.parent == tmp_path / "chas-sheets" for log in (mine, key, other))
    monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:8765")
    assert request_log(None) is None  # the emulator's quota is not the account's


def test_the_nightly_command_logs_the_requests_it_sent(app, loopback, tmp_path, monkeypatch):  # noqa: F811
    register, _ = google_night(EmulatorWorkspace(app))
    log = RequestLog(tmp_path / "requests.json")
    monkeypatch.setattr("chas_sheets.cli.nightly_cmd.request_log", lambda credentials: log)
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "nightly", register.target, "--apply",
                                      "--no-audit", "--json"])
    assert result.exit_code == 0, result.output
    sent = json.loads(result.stdout)["requests"]
    assert sent >= 4 and sum(count for _, count in log.recent()) == sent  # the register's and the CRMs'
