"""The goals and deadlines of seed 000 and 002, end to end through `check`, `status` and `nightly`.

Seed 000, "Fasens mål på gruppnivå": "Minst 30 leads i CRM innan Big Bang Day infaller" and
"Ytterligare leads från Big Bang Day fram till fasen tar slut (gruppen sätter delmålet själva)".
Seed 002, Sprint 5: "Hard Deadline har passerats".
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
from click.testing import CliRunner

from chas_sheets.cli import cli
from chas_sheets.programme.calendar import parse_date


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_delmal_counts_leads_added_since_big_bang_day(tmp_path):
    run("--today", "2027-01-15", "demo", str(tmp_path / "demo"))
    register = tmp_path / "demo" / "register.xlsx"
    book = openpyxl.load_workbook(register)
    groups = book["Grupper"]
    header = [cell.value for cell in groups[1]]
    row = next(r for r in groups.iter_rows(min_row=2) if r[0].value == "Stockholm 1")
    row[header.index("Delmål")].value = 20
    big_bang_day = parse_date(row[header.index("Big Bang Day")].value)
    crm = tmp_path / "demo" / row[header.index("Gruppens CRM")].value
    book.save(register)
    leads = openpyxl.load_workbook(crm)["Leads"]
    lead_header = [cell.value for cell in leads[1]]
    added = [parse_date(r[lead_header.index("Tillagd")]) for r in leads.iter_rows(min_row=2, values_only=True)]
    since = sum(day is not None and day >= big_bang_day for day in added)
    assert 0 < since < 20 < len(added)  # the total would pass the Delmål, the new leads do not

    output = run("--today", "2027-01-15", "nightly", str(register))
    line = next(l for l in output.splitlines() if "Stockholm 1" in l and "group" in l)
    assert line.split()[0] == "Behind"
    assert f"{since} of 20 leads added since Big Bang Day {big_bang_day.isoformat()} (Delmål)" in line


def test_a_group_crm_counts_leads_in_check_and_status(make_crm):
    leads = [{"Företag": f"Firma {n % 10}", "Kontaktperson": f"Person {n}", "Telefon": f"070-000 00 {n:02}"}
             for n in range(30)]
    path = str(make_crm("group", Leads=leads))
    check = run("--today", "2026-11-15", "check", path)
    assert "30 leads (10 distinct companies); goal 30 leads (on track)" in check
    assert "next deadline: Big Bang Day: at least 30 leads, 2026-12-01 (16 days)" in check
    status = run("--today", "2026-11-15", "status", path)
    assert "Goal: 30 of 30 leads (goal reached)" in status
    assert "next deadline: Big Bang Day: at least 30 leads, 2026-12-01 (16 days)" in status
    data = json.loads(run("--today", "2026-11-15", "check", path, "--json"))["volume"]
    assert (data["counts"], data["toward_goal"], data["companies"], data["on_track"]) == ("leads", 30, 10, True)


def test_a_student_crm_keeps_counting_companies(make_crm):
    path = str(make_crm(Leads=[{"Företag": f"Firma {n % 10}"} for n in range(30)]))
    assert "10 distinct companies in 30 leads; goal 50 (40 to go)" in run("--today", "2027-04-15", "check", path)
    assert "Companies: 10 of 50 (40 to go)" in run("--today", "2027-04-15", "status", path)


def test_after_the_hard_deadline_nothing_jumps_to_the_next_cohort(make_crm):
    path = str(make_crm(Leads=[{"Företag": "Volvo"}]))
    for command in ("check", "status"):
        output = run("--today", "2027-10-05", command, path)
        assert "deadline: Hard deadline passed 2027-09-30 (5 days ago)" in output
        assert "2028" not in output and "next deadline" not in output
    data = json.loads(run("--today", "2027-10-05", "status", path, "--json"))["deadline"]
    assert (data["name"], data["passed"], data["days_left"]) == ("Hard deadline passed", True, -5)
    assert dt.date.fromisoformat(data["date"]) == dt.date(2027, 9, 30)
