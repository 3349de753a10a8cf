"""`Att göra`: the day's to-do the nightly writes into each individual CRM is the list `status`
prints (one planner), never names a processed lead (but a yes waiting for its LIA), is not
rewritten on a quiet night, is read again when it goes stale, and keeps no one's notes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace
from test_nightly import ANNA_LEADS, ANNA_LOG, BO_LEADS, TODAY

from chas_sheets import i18n
from chas_sheets.cli import cli
from chas_sheets.emulator import make_app
from chas_sheets.emulator.control import ManualClock
from chas_sheets.nightly.run import RequestPacer, run_nightly
from chas_sheets.nightly.state import Everything
from chas_sheets.processed.rules import ERBJUDANDE, JA, PROCESSED_STATUSES
from chas_sheets.programme import calendar
from chas_sheets.sheet.tables import RawWorkbook, load_tables
from chas_sheets.status.report import status_report
from chas_sheets.status.todo import (
    COLUMNS,
    DEADLINE_ROW,
    FIRST_CONTACT,
    NEW_CONTACT,
    NOTICE,
    REGISTER_LIA,
    SECTIONS,
    TODO_TAB,
    first_contact_rank,
    same_todo,
    sprint_focus,
    todo_tab,
)

DAY = TODAY.isoformat()


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_night(tmp_path_factory) -> Path:
    """The demo after one `nightly --apply` (copied per test that changes it)."""
    folder = tmp_path_factory.mktemp("todo") / "demo"
    assert run("--today", DAY, "demo", folder).exit_code == 0
    assert run("--today", DAY, "nightly", folder / "register.xlsx", "--apply").exit_code == 0
    return folder


@pytest.fixture
def demo(demo_night, tmp_path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo_night, copy)
    return copy


def students(folder: Path) -> list[tuple[str, Path]]:
    """(name, CRM) of every student the register gives an individual CRM."""
    ws = openpyxl.load_workbook(folder / "register.xlsx")["Studerande"]
    rows = list(ws.iter_rows(values_only=True))
    at = rows[0].index("Individuellt CRM"), rows[0].index("Namn")
    return [(row[at[1]], folder / row[at[0]]) for row in rows[1:] if row[at[0]]]


def tab_grid(crm: Path) -> list[list[str]]:
    ws = openpyxl.load_workbook(crm)[TODO_TAB]
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


def listed(grid: list[list[str]]) -> list[tuple[str, str, str, str]]:
    """(Vad, Företag, Försök nu med, Lead-ID) of each row under the list's header."""
    at = next(i for i, row in enumerate(grid) if tuple(row[:len(COLUMNS)]) == COLUMNS)
    col = {name: COLUMNS.index(name) for name in ("Vad", "Företag", "Försök nu med", "Lead-ID")}
    return [tuple(row[col[name]] for name in col) for row in grid[at + 1:] if any(row)]


def status_json(folder: Path, crm: Path, day: str = DAY) -> dict:
    # in the sheets' language: `Att göra` is Swedish whatever language runs the night
    result = run("--lang", "sv", "--today", day, "status", crm, "--register", folder / "register.xlsx", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def status_list(data: dict) -> list[tuple[str, str, str, str]]:
    """What `status --json` lists, in its order, as the tab's columns would hold it."""
    rows = []
    for what, key, _ in SECTIONS:
        for item in data[key]:
            if what == NEW_CONTACT:
                rows.append((what, item["company"], "", ""))
            elif what == REGISTER_LIA:  # no channel: the next step is backoffice's form
                rows.append((what, item["company"], "", item["lead_id"]))
            else:
                rows.append((what, item["company"], item["next_channel"] or "", item["lead_id"]))
        if what == FIRST_CONTACT and data["more_first_contacts"]:
            rows.append((FIRST_CONTACT, "", "", ""))
    if not rows:
        rows.append(("Inget att göra i listan i dag", "", "", ""))
    return rows


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lead_statuses(crm: Path) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(crm)["Leads"].iter_rows(values_only=True))
    header = next(r for r in rows if "Status" in r)
    start = rows.index(header)
    at = {h: header.index(h) for h in ("ID", "Status")}
    return {row[at["ID"]]: row[at["Status"]] or "Ny" for row in rows[start + 1:] if row[at["ID"]]}


# --------------------------------------------------------------------------- the demo
def test_every_students_att_gora_is_the_list_status_prints(demo_night):
    crms = students(demo_night)
    assert len(crms) >= 15
    kinds = set()
    for name, crm in crms:
        grid = tab_grid(crm)
        assert grid[0][0] == NOTICE, name
        data = status_json(demo_night, crm)
        assert listed(grid) == status_list(data), name  # same leads, same order, same channel
        goal = next(row for row in grid if row[0] == "Mål")
        assert goal[1].startswith(f"{data['toward_goal']} av {data['goal']} företag")
        deadline = next(row for row in grid if row[0] == DEADLINE_ROW)
        assert deadline[1:4] == [data["deadline"]["date"].isoformat() if hasattr(data["deadline"]["date"], "isoformat")
                                 else data["deadline"]["date"], data["deadline"]["name"],
                                 f"{data['deadline']['days_left']} dagar kvar den {DAY}"]
        kinds |= {row[0] for row in listed(grid)}
    assert kinds == {what for what, _, _ in SECTIONS}  # the demo exercises every queue


def test_it_never_lists_a_processed_lead_but_a_yes_waiting_for_its_lia(demo_night):
    registered = {"Sara Nilsson", "Omar Larsson", "Nora Hassan", "Filip Johansson"}  # the demo's LIA registrerad
    waiting = 0
    for name, crm in students(demo_night):
        statuses = lead_statuses(crm)
        for what, _, _, lead_id in listed(tab_grid(crm)):
            if not lead_id:
                continue
            status = statuses[lead_id]
            if what == REGISTER_LIA:
                assert status in (JA, ERBJUDANDE) and name not in registered, (name, lead_id)
                waiting += 1
            else:
                assert status not in PROCESSED_STATUSES, (name, lead_id, status)
    assert waiting  # the demo has yeses without a LIA: the row the tab is for
    sara = dict(students(demo_night))["Sara Nilsson"]
    assert JA in lead_statuses(sara).values()  # a yes, but her LIA is registered: not listed
    assert REGISTER_LIA not in {row[0] for row in listed(tab_grid(sara))}


def test_a_quiet_night_rewrites_no_crm(demo):
    before = {crm: digest(crm) for _, crm in students(demo)}
    # the copy's CRMs have new paths: read (and found the same); then skipped as unchanged;
    # then, with --full, read again and found the same
    for extra, read in (((), True), ((), False), (("--full",), True)):
        result = run("--today", DAY, "nightly", demo / "register.xlsx", "--apply", "--json", *extra)
        report = json.loads(result.stdout)
        assert {crm: digest(crm) for crm in before} == before
        individual = {t: c for t, c in report["crms"].items() if "studerande" in t}
        assert len(individual) == len(before)
        assert all(c["planned"] == 0 and c["written"] == 0 for c in individual.values())
        assert {c["read"] for c in individual.values()} == {read}


def test_a_stale_list_is_read_again_and_rewritten_the_next_day(demo):
    assert run("--today", DAY, "nightly", demo / "register.xlsx", "--apply").exit_code == 0  # the copy's new paths
    nightly = run("--today", "2027-05-14", "nightly", demo / "register.xlsx", "--apply", "--json")
    crms = json.loads(nightly.stdout)["crms"]
    read = {t for t, c in crms.items() if c["read"] and "studerande" in t}
    assert 0 < len(read) < len(students(demo))  # only the CRMs whose list changed by itself
    assert all(crms[t]["written"] for t in read)  # ... and each of them did change
    for name, crm in students(demo):
        assert listed(tab_grid(crm)) == status_list(status_json(demo, crm, "2027-05-14")), name


def test_a_new_lia_in_the_register_takes_the_yes_off_the_list(demo):
    name, crm = next((n, c) for n, c in students(demo) if REGISTER_LIA in {r[0] for r in listed(tab_grid(c))})
    book = openpyxl.load_workbook(demo / "register.xlsx")
    ws = book["Studerande"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[header.index("Namn")].value == name)
    row[header.index("LIA registrerad")].value = dt.datetime(2027, 5, 12)
    book.save(demo / "register.xlsx")
    assert run("--today", DAY, "nightly", demo / "register.xlsx", "--apply").exit_code == 0
    assert REGISTER_LIA not in {r[0] for r in listed(tab_grid(crm))}


def test_a_persons_notes_in_it_are_gone_the_next_night_and_its_first_row_says_so(demo):
    _, crm = students(demo)[0]
    book = openpyxl.load_workbook(crm)
    ws = book[TODO_TAB]
    ws.cell(row=ws.max_row + 2, column=1, value="Ring mamma")
    ws.cell(row=6, column=6, value="min egen anteckning")
    book.save(crm)
    assert run("--today", DAY, "nightly", demo / "register.xlsx", "--apply").exit_code == 0
    grid = tab_grid(crm)
    text = " ".join(" ".join(row) for row in grid)
    assert "Ring mamma" not in text and "min egen anteckning" not in text
    assert grid[0] == [NOTICE] + [""] * (len(grid[0]) - 1)
    assert listed(grid) == status_list(status_json(demo, crm))


def test_check_knows_the_tab_and_a_crm_without_it_is_no_warning(demo):
    _, crm = students(demo)[0]
    result = run("--today", DAY, "check", crm, "--json")
    report = json.loads(result.stdout)
    [tab] = [s for s in report["structure"] if s["tab"] == TODO_TAB]
    assert tab["missing_columns"] == [] and tab["header_row"] == 5
    book = openpyxl.load_workbook(crm)
    del book[TODO_TAB]
    book.save(crm)
    report = json.loads(run("--today", DAY, "check", crm, "--json").stdout)
    findings = [f for f in report["findings"] if f["tab"] == TODO_TAB]
    assert [f["level"] for f in findings] == ["info"]


# --------------------------------------------------------------------------- Google
@pytest.fixture
def google():
    clock = ManualClock()
    app = make_app(read_quota_per_minute=60, write_quota_per_minute=60, clock=clock)
    ws = EmulatorWorkspace(app)
    anna = ws.fill("student", {"Leads": ANNA_LEADS, "Kontaktlogg": ANNA_LOG})
    bo = ws.fill("student", {"Leads": BO_LEADS})
    register = ws.fill("register", {"Studerande": [
        {"Namn": "Anna Berg", "Individuellt CRM": anna.target}, {"Namn": "Bo Ström", "Individuellt CRM": bo.target}]})
    clock.advance(120)
    app.stats_counter.reset()
    return ws, clock, register, {"anna": anna, "bo": bo}


def night(ws, clock, register, detector=None):
    before = ws.app.stats()
    result = run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open,
                         detector=detector or ws.detector(), pacer=RequestPacer(clock=clock.now, sleep=clock.sleep))
    after = ws.app.stats()
    return result, {k: after["bySpreadsheet"].get(k, 0) - before["bySpreadsheet"].get(k, 0)
                    for k in after["bySpreadsheet"]}


def google_grid(ws, crm) -> list[list[str]]:
    grid = ws.open(crm.target).read([TODO_TAB]).grids[TODO_TAB]
    return [["" if v is None else str(v) for v in row] for row in grid]


def test_on_google_it_is_written_once_and_costs_nothing_more(google):
    ws, clock, register, crms = google
    _, per_sheet = night(ws, clock, register)
    assert all(per_sheet[crm.key] <= 3 for crm in crms.values())  # read, verify, write
    anna = google_grid(ws, crms["anna"])
    assert anna[0][0] == NOTICE
    tables = ws.open(crms["anna"].target).read(None)
    with i18n.in_language("sv"):  # the night writes it in the sheets' language
        expected = todo_tab(status_report(load_tables(tables, ["Leads"], ["Kontaktlogg"]), TODAY, "individual"))
    assert same_todo(anna, expected)
    _, per_sheet = night(ws, clock, register)  # our own write shows in the feed: read once more
    assert all(per_sheet.get(crm.key, 0) <= 1 for crm in crms.values())
    _, per_sheet = night(ws, clock, register, Everything())  # every CRM read: nothing to write
    assert all(per_sheet.get(crm.key, 0) == 1 for crm in crms.values())
    _, per_sheet = night(ws, clock, register)
    assert all(per_sheet.get(crm.key, 0) == 0 for crm in crms.values())
    assert google_grid(ws, crms["anna"]) == anna


def test_on_google_a_persons_note_is_gone_the_next_night(google):
    ws, clock, register, crms = google
    night(ws, clock, register)
    bo = crms["bo"]
    ws.open(bo.target)._client().post_json(
        f"https://sheets.googleapis.com/v4/spreadsheets/{bo.key}/values:batchUpdate",
        {"valueInputOption": "RAW", "data": [{"range": f"'{TODO_TAB}'!G12", "values": [["min anteckning"]]}]})
    _, per_sheet = night(ws, clock, register)
    assert per_sheet[bo.key] <= 3
    grid = google_grid(ws, bo)
    assert grid[0][0] == NOTICE and "min anteckning" not in " ".join(" ".join(row) for row in grid)


# --------------------------------------------------------------------------- the planner
def test_the_deadlines_day_count_alone_is_no_change_but_a_new_deadline_is():
    tables = RawWorkbook(["Leads"], {"Leads": [["ID", "Företag", "Status"], ["L-1", "Volvo AB", "Ny"]]}, "x.xlsx")
    today = status_report(load_tables(tables, ["Leads"]), TODAY, "individual")
    tomorrow = status_report(load_tables(tables, ["Leads"]), TODAY + dt.timedelta(days=1), "individual")
    written = todo_tab(today)
    grid = [list(written.headers), *(list(row) for row in written.rows)]
    assert todo_tab(tomorrow).rows != written.rows  # the day count moved...
    assert same_todo(grid, todo_tab(tomorrow))  # ...and that alone is not written
    later = status_report(load_tables(tables, ["Leads"]), dt.date(2027, 7, 1), "individual")
    assert not same_todo(grid, todo_tab(later))  # the soft deadline passed: the next one is news
    grid[5][0] = "Ring Volvo"  # a person's note
    assert not same_todo(grid, written)


def test_the_sprint_decides_which_never_contacted_companies_come_first():
    periods = calendar.default_calendar(2027)
    april, august, march = (sprint_focus(calendar.period_on(dt.date(2027, m, 10), periods)) for m in (4, 8, 3))
    large, small = ("Konsultbolag", 2000), ("Startup", 12)
    assert first_contact_rank(april, False, *large)[0] < first_contact_rank(april, False, *small)[0]
    assert first_contact_rank(august, False, *small)[0] < first_contact_rank(august, False, *large)[0]
    assert first_contact_rank(march, False, *small)[0] == first_contact_rank(march, False, *large)[0]
    for focus in (april, august, march):  # warm leads first, always
        assert first_contact_rank(focus, True, *small)[0] < min(first_contact_rank(focus, False, *c)[0]
                                                                for c in (large, small))
