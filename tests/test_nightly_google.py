"""The nightly run on Google spreadsheets (the emulator): requests per CRM on a first night
and a quiet one, Drive's changes feed, the native chart, and a CRM nobody can open."""

from __future__ import annotations

import datetime as dt

import pytest
from emulator_workspace import EmulatorWorkspace
from test_nightly import ANNA_LEADS, ANNA_LOG, BO_LEADS, GROUP_LEADS, GROUP_LOG, TODAY

from chas_sheets.emulator import make_app
from chas_sheets.emulator.control import ManualClock
from chas_sheets.nightly.report import OWNED_TABS
from chas_sheets.nightly.run import RequestPacer, run_nightly

MISSING = "https://docs.google.com/spreadsheets/d/1NoSuchSpreadsheetAnywhere0000000000000/edit"


@pytest.fixture
def google():
    clock = ManualClock()
    app = make_app(read_quota_per_minute=60, write_quota_per_minute=60, clock=clock)
    ws = EmulatorWorkspace(app)
    anna = ws.fill("student", {"Leads": ANNA_LEADS, "Kontaktlogg": ANNA_LOG})
    bo = ws.fill("student", {"Leads": BO_LEADS})
    group = ws.fill("group", {"Leads": GROUP_LEADS, "Kontaktlogg": GROUP_LOG})
    register = ws.fill("register", {
        "Grupper": [{"Grupp": "G1", "Gruppens CRM": group.target, "Big Bang Day": dt.date(2026, 12, 8), "Delmål": 45}],
        "Studerande": [{"Namn": "Anna Berg", "Grupp": "G1", "Individuellt CRM": anna.target},
                       {"Namn": "Bo Ström", "Grupp": "G1", "Individuellt CRM": bo.target},
                       {"Namn": "Cia Holm", "Grupp": "G1", "Individuellt CRM": MISSING}]})
    clock.advance(120)  # the seeding's requests leave the quota window
    app.stats_counter.reset()
    return ws, clock, register, {"anna": anna, "bo": bo, "group": group}


def night(ws, clock, register):
    pacer = RequestPacer(clock=clock.now, sleep=clock.sleep)
    before = ws.app.stats()
    result = run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open,
                         detector=ws.detector(), pacer=pacer)
    after = ws.app.stats()
    per_sheet = {k: after["bySpreadsheet"].get(k, 0) - before["bySpreadsheet"].get(k, 0)
                 for k in after["bySpreadsheet"]}
    return result, per_sheet, after["total"] - before["total"]


def owned_tabs(ws, register) -> dict:
    return ws.open(register.target).read(list(OWNED_TABS)).grids


def test_requests_per_crm_on_a_first_and_a_quiet_night(google):
    ws, clock, register, crms = google
    first, per_sheet, _ = night(ws, clock, register)
    assert first.exit_code == 1  # Cia's CRM does not exist
    cia = next(s for s in first.report.students if s.name == "Cia Holm")
    assert cia.status == "error" and "hittades inte" in cia.reason  # the Dashboard's Swedish
    for crm in crms.values():  # read, verify, write
        assert per_sheet[crm.key] <= 3
    assert per_sheet[register.key] == 3
    tabs = owned_tabs(ws, register)
    second, per_sheet, _ = night(ws, clock, register)  # CRMs written last night: read once more
    assert all(per_sheet.get(crm.key, 0) <= 1 for crm in crms.values())
    third, per_sheet, total = night(ws, clock, register)
    assert all(per_sheet.get(crm.key, 0) == 0 for crm in crms.values())
    # register read + changes.list + the CRM that cannot be opened (tried each night)
    assert total <= 3
    assert owned_tabs(ws, register) == tabs
    assert [s.companies for s in third.report.students] == [s.companies for s in first.report.students]
    assert ws.retry.waits == []  # never a 429 or a retry


def test_an_edited_crm_is_found_by_the_changes_feed(google):
    ws, clock, register, crms = google
    for _ in range(3):
        night(ws, clock, register)
    bo = crms["bo"]
    ws.open(bo.target)._client().post_json(
        f"https://sheets.googleapis.com/v4/spreadsheets/{bo.key}/values:batchUpdate",
        {"valueInputOption": "RAW", "data": [{"range": "'Leads'!B10", "values": [["Northvolt AB"]]}]})
    result, per_sheet, _ = night(ws, clock, register)
    assert per_sheet.get(bo.key, 0) >= 1 and per_sheet.get(crms["anna"].key, 0) == 0
    assert next(s for s in result.report.students if s.name == "Bo Ström").companies == 2


def test_the_dashboard_gets_native_charts_for_groups_and_students(google):
    ws, clock, register, _ = google
    night(ws, clock, register)
    book = ws.open(register.target)._client().get_json(
        f"https://sheets.googleapis.com/v4/spreadsheets/{register.key}", params={"fields": "sheets(properties.title,charts)"})
    [dashboard] = [s for s in book["sheets"] if s["properties"]["title"] == "Dashboard"]
    groups, students = dashboard["charts"]  # one axis each: a group's goal is leads, a student's 50 companies
    assert groups["spec"]["title"].startswith("Grupper") and students["spec"]["title"].startswith("Studerande")
    for chart in (groups, students):
        assert chart["spec"]["basicChart"]["chartType"] == "BAR"
        assert len(chart["spec"]["basicChart"]["series"]) == 2  # Mot mål, Mål
    # G1 is row 2; the students rows 3-5, their series named by the header row
    assert groups["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]["endRowIndex"] == 2
    header, rows = students["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"]
    assert (header["startRowIndex"], header["endRowIndex"], rows["startRowIndex"], rows["endRowIndex"]) == (0, 1, 2, 5)


def test_the_pacer_keeps_a_busy_night_inside_the_quota():
    clock = ManualClock()
    app = make_app(read_quota_per_minute=60, write_quota_per_minute=60, clock=clock)
    ws = EmulatorWorkspace(app)
    students = [{"Namn": f"S{i}", "Individuellt CRM": ws.fill("student", {"Leads": BO_LEADS}).target}
                for i in range(25)]
    register = ws.fill("register", {"Studerande": students})
    clock.advance(120)
    app.stats_counter.reset()
    result, _, total = night(ws, clock, register)
    assert result.exit_code == 0
    assert total > 60  # more than a minute's quota...
    assert ws.retry.waits == []  # ...yet Google never said 429: the pacer waited instead
    assert clock.slept
