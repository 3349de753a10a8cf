"""A run killed at any step leaves every spreadsheet unchanged or fully changed, and running
it again ends where an uninterrupted run ends. Faults on the emulator (429 storms, 500s,
dropped connections, slow answers) are survived within bounded retries; a spreadsheet that
keeps failing is reported and the others go on.

End states are compared without the random parts of a run (new IDs, run ids and times).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import textwrap

import openpyxl
import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace

from chas_sheets.backends import local, local_xlsx
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.emulator import make_app
from chas_sheets.emulator.control import ManualClock
from chas_sheets.errors import BackendError
from chas_sheets.harvest.prepare import plan_prepare
from chas_sheets.harvest.run import GROUP_TABS, run_split
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import ChangeSet

TODAY = "2027-05-12"
LEADS = [
    {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson", "Status": "Kontaktad",
     "Temperatur": "Varm", "Tillagd": dt.date(2027, 3, 1), "Kommentar": "Ringde 12/3, bad om CV. Verkar chill haha"},
    {"ID": "L-BBBBBB", "Företag": "Ericsson AB", "Kontaktperson": "Lisa Berg", "Status": "Ny", "Temperatur": "Varm",
     "Tillagd": dt.date(2027, 3, 2), "Kommentar": "Kanske? vet ej"},
    {"Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Anna Svensson", "Status": "Ny",
     "Tillagd": dt.date(2027, 3, 3), "Kommentar": "Dubblett?"},
    {"ID": "L-CCCCCC", "Företag": "Spotify AB", "Kontaktperson": "Maja Ek", "Status": "Dialog", "Temperatur": "Varm",
     "Tillagd": dt.date(2027, 3, 4)},
]
LOG = [{"Datum": dt.date(2027, 4, 20), "Företag": "Ericsson AB", "Kontaktperson": "Lisa Berg", "Kanal": "Telefon",
        "Utfall": "Svar", "Av": "Ada", "Anteckning": "Ring igen i maj"}]
RANDOM_COLUMNS = {"ID", "Lead-ID", "Rad-ID", "Körning", "Tid", "Beställd", "Klar", "Resultat"}  # Körningar: times, run id


def fingerprint(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


NEW_ID = re.compile(r"\b[A-Z]-[A-Z0-9]{6}\b")


def _plain(value) -> str:
    text = "" if value is None else str(value)
    return NEW_ID.sub("<id>", text)  # a new ID is random per run (and dedupe names IDs in comments)


def content(path) -> dict:
    """Every tab's rows as sorted tuples, without the random parts (IDs, run ids, times)."""
    wb = openpyxl.load_workbook(path)
    found = {}
    for ws in wb.worksheets:
        grid = list(ws.iter_rows(values_only=True))
        if not grid:
            continue
        headers = grid[0]
        keep = [i for i, h in enumerate(headers) if h not in RANDOM_COLUMNS]
        rows = [tuple(_plain(r[i]) for i in keep) for r in grid[1:] if any(v is not None for v in r)]
        found[ws.title] = sorted(rows)
    return found


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY, *map(str, args)])


def temp_files(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


COMMANDS = [["mark-processed"], ["clean-comments"]] + ([["dedupe"]] if "dedupe" in cli.list_commands(None) else [])


# Local: a crash at each step of the write --------------------------------------------------
class Crash(Exception):
    "The injected crash."


def crash_while_writing_cells(monkeypatch):
    real = local_xlsx.execute

    def half(wb, writes):
        real(wb, writes)
        raise Crash("after the first tab's cells, in memory")

    monkeypatch.setattr(local_xlsx, "execute", half)


def crash_during_save(monkeypatch):
    def partial(wb, filename):
        with open(filename, "wb") as fh:
            fh.write(b"PK\x03\x04 half a workbook")
        raise Crash("disk full half-way through the save")

    monkeypatch.setattr(openpyxl.Workbook, "save", partial)


def crash_before_rename(monkeypatch):
    def refuse(src, dst):
        raise Crash("between the temporary file and the rename")

    monkeypatch.setattr(local.os, "replace", refuse)


def crash_after_rename(monkeypatch):
    real = os.replace

    def then_crash(src, dst):
        real(src, dst)
        raise Crash("after the rename, before the lock is released")

    monkeypatch.setattr(local.os, "replace", then_crash)


STEPS = {"writing cells": (crash_while_writing_cells, False), "during save": (crash_during_save, False),
         "before rename": (crash_before_rename, False), "after rename": (crash_after_rename, True)}


@pytest.fixture
def twin_crms(make_crm):
    """The same CRM twice: one for the uninterrupted run, one for the crash and the re-run."""
    return make_crm("group", "calm.xlsx", Leads=LEADS, Kontaktlogg=LOG), make_crm("group", "crash.xlsx", Leads=LEADS,
                                                                                 Kontaktlogg=LOG)


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_local_crash_at_each_step_leaves_it_whole_and_a_rerun_converges(twin_crms, monkeypatch, command, step):
    calm, crash = twin_crms
    assert run(*command, calm, "--apply").exit_code == 0
    before = fingerprint(crash)
    inject, written = STEPS[step]
    with monkeypatch.context() as patch:
        inject(patch)
        crashed = run(*command, crash, "--apply")
    assert isinstance(crashed.exception, Crash)
    if written:
        assert content(crash) == content(calm)  # fully changed
    else:
        assert fingerprint(crash) == before  # unchanged, byte for byte
    assert temp_files(crash.parent) == []
    rerun = run(*command, crash, "--apply")
    assert rerun.exit_code == 0, rerun.output
    assert content(crash) == content(calm)
    assert "nothing to change" in run(*command, crash, "--apply").stderr


def test_a_killed_process_holding_the_lock_does_not_block_the_next_run(make_crm):
    """A real crash: the process dies (os._exit) right after the rename, lock still held.
    The OS frees the lock with the process; the workbook is whole and fully changed."""
    path = make_crm("group", Leads=LEADS, Kontaktlogg=LOG)
    script = textwrap.dedent(f"""
        import os, sys
        from click.testing import CliRunner
        from chas_sheets.backends import local
        from chas_sheets.cli import cli
        real = os.replace
        def die(src, dst):
            real(src, dst)
            os._exit(9)
        local.os.replace = die
        CliRunner().invoke(cli, ["--today", "{TODAY}", "mark-processed", {str(path)!r}, "--apply"])
        sys.exit(0)
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert killed.returncode == 9
    assert path.with_name(f".{path.name}.lock").exists()  # the lock file stays; the lock itself is gone
    assert "nothing to change" in run("mark-processed", path, "--apply").stderr
    local_lock = LocalWorkbook(path)._lock()
    local_lock.timeout = 0
    with local_lock:  # free at once
        pass


# Google: a harvest whose third member's CRM fails, then a re-run ----------------------------
MEMBERS = ["Ada", "Bo", "Cia", "Dan"]


def fast() -> RetryPolicy:
    return RetryPolicy(total_seconds=30, sleep=lambda seconds: None)


def google_group(ws: EmulatorWorkspace):
    crms = {name: ws.fill("student", {}) for name in MEMBERS}
    leads = [{**lead, "ID": lead.get("ID") or "L-DDDDDD", "Temperatur": "Varm"} for lead in LEADS]
    group = ws.fill("group", {"Leads": leads, "Kontaktlogg": LOG,
                              "Medlemmar": [{"Namn": n, "Individuellt CRM": crms[n].target} for n in MEMBERS]})
    changes, _ = plan_prepare(read_tables(group, *GROUP_TABS), dt.date.fromisoformat(TODAY))
    execute(group, changes, "harvest --prepare", apply=True)
    tables = read_tables(group, *GROUP_TABS)
    skord = tables["Skörd"]
    wishes = ChangeSet()
    for row_id in skord.df.index:
        for member in MEMBERS:
            wishes.set_cell("Skörd", row_id, member, skord.df.at[row_id, member] if member in skord.df else None, "x")
    execute(group, wishes, "wishes", apply=True)
    return group, crms


def member_leads(crms) -> dict:
    return {name: sorted((r["Företag"], r["Kontaktperson"]) for _, r in read_tables(crm, ["Leads"])["Leads"].df.iterrows())
            for name, crm in crms.items()}


def test_a_harvest_whose_third_member_fails_is_completed_by_a_rerun():
    today = dt.date.fromisoformat(TODAY)
    calm_ws, crash_ws = EmulatorWorkspace(make_app(), fast()), EmulatorWorkspace(make_app(), fast())
    calm_group, calm_crms = google_group(calm_ws)
    run_split(calm_group, "frö", today, True, calm_ws.open)

    group, crms = google_group(crash_ws)
    calm_leads = member_leads(calm_crms)
    crash_ws.app.faults.fail(times=1000, status=500, path=crms["Cia"].key, method="POST")
    first = run_split(group, "frö", today, True, crash_ws.open)
    assert [m.member for m in first.failed] == ["Cia"]
    after_crash = member_leads(crms)
    assert after_crash["Cia"] == [] and calm_leads["Cia"]  # unchanged (a new CRM from the template)
    assert {n: v for n, v in after_crash.items() if n != "Cia"} == {n: v for n, v in calm_leads.items() if n != "Cia"}
    crash_ws.app.faults.reset()
    second = run_split(group, None, today, True, crash_ws.open)  # the seed logged by the first run
    assert second.failed == [] and second.seed_source.startswith("logged")
    assert member_leads(crms) == calm_leads
    assert content_of(group) == content_of(calm_group)


def content_of(backend) -> dict:
    raw = backend.read(["Leads", "Skörd"])
    return {title: sorted(tuple(_plain(c) for c in row) for row in grid[1:]) for title, grid in raw.grids.items()}


# Faults on the emulator ---------------------------------------------------------------------
def mark_processed_on(ws, crm):
    tables = read_tables(crm, ["Leads"], ["Kontaktlogg"])
    changes = plan_mark_processed(tables, dt.date.fromisoformat(TODAY))[0]
    return execute(crm, changes, "mark-processed", apply=True)


def test_storms_of_429s_500s_drops_and_slow_answers_are_survived_within_bounds():
    clock = ManualClock()
    policy = RetryPolicy(total_seconds=300, sleep=clock.sleep, clock=clock.now)
    calm_ws, storm_ws = EmulatorWorkspace(make_app(), fast()), EmulatorWorkspace(make_app(clock=clock), policy)
    calm = calm_ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})
    stormy = storm_ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})
    mark_processed_on(calm_ws, calm)
    faults = storm_ws.app.faults
    faults.fail(times=3, status=429)  # all of these may hit one request: fewer than its 8 tries
    faults.fail(times=2, status=500, method="GET")
    faults.drop(times=2, method="GET")
    faults.slow(10, times=2)
    faults.fail(times=2, status=503, method="POST")
    outcome = mark_processed_on(storm_ws, stormy)
    assert outcome.applied and outcome.written
    assert content_of(stormy) == content_of(calm)
    assert faults.pending() == []  # every fault fired
    assert 0 < len(policy.waits) <= 3 + 2 + 2 + 2 and max(policy.waits) <= policy.cap_seconds


def test_a_storm_longer_than_the_retry_budget_fails_cleanly_and_writes_nothing():
    clock = ManualClock()
    policy = RetryPolicy(total_seconds=60, sleep=clock.sleep, clock=clock.now)
    ws = EmulatorWorkspace(make_app(clock=clock), policy)
    crm = ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})
    before = content_of(crm)
    ws.app.faults.fail(times=10_000, status=429, method="POST")
    with pytest.raises(BackendError, match="still failing after"):
        mark_processed_on(ws, crm)
    assert sum(policy.waits) <= 60
    ws.app.faults.reset()
    assert content_of(crm) == before
    assert mark_processed_on(ws, crm).written  # the lock it could not take did not stay behind


def test_the_nightly_run_reports_a_failing_crm_and_goes_on():
    from chas_sheets.nightly.run import run_nightly
    from chas_sheets.nightly.state import Everything

    ws = EmulatorWorkspace(make_app(), fast())
    crms = {n: ws.fill("student", {"Leads": LEADS[:2]}) for n in MEMBERS}
    group = ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})
    register = ws.fill("register", {
        "Grupper": [{"Grupp": "Nord", "Gruppens CRM": group.target}],
        "Studerande": [{"Namn": n, "Grupp": "Nord", "Individuellt CRM": crms[n].target} for n in MEMBERS]})
    ws.app.faults.fail(times=1000, status=500, path=crms["Cia"].key)
    result = run_nightly(register, dt.date.fromisoformat(TODAY), apply=True, open_backend=ws.open, detector=Everything())
    rows = {s.name: s for s in result.report.students}
    assert rows["Cia"].status == "error" and rows["Cia"].reason
    assert all(rows[n].status != "error" for n in MEMBERS if n != "Cia")
    assert result.exit_code == 1
    assert "Dashboard" in register.read().titles
