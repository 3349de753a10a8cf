"""The programme as it really runs: two overlapping cohorts in one register, replayed day by day.

A register holds the cohort 2027 (LIA search from April 2027) in its last sprints and the
cohort 2028 in its Fas 1. `chas-sheets --today D nightly` is replayed on the calendar's
boundaries, and its Dashboard statuses, Placering and group goals are compared with a table
written by hand from the seeds (each expectation names the seed sentence it comes from).
Then: the three commands give one goal for a group on one day, and --today sees only what
existed that day (and never deletes what came later).
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import write_rows

from chas_sheets.cli import cli
from chas_sheets.errors import InvalidInput
from chas_sheets.programme.calendar import Period, cohort_year_for, group_progress, parse_kull
from chas_sheets.programme.register import Register, RegisterGroup, RegisterStudent

d = dt.date


def run(*args: str, ok=(0,)) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code in ok, result.output
    return result.stdout


def leads(*batches: tuple[int, str], prefix: str = "Firma") -> list[dict]:
    """`n` leads added on `day` per batch (distinct companies, each reachable by phone)."""
    rows, n = [], 0
    for count, day in batches:
        for _ in range(count):
            n += 1
            rows.append({"Företag": f"{prefix} {n}", "Telefon": f"070-{n:07d}", "Tillagd": day})
    return rows


@pytest.fixture
def register(make_crm):
    """Gamla (Kull 2027): 30 leads before its Big Bang Day 2026-12-01, then 12 more, Delmål 10.
    Nya (Kull 2028): 12 leads in September 2027, 20 more on 15 December, Delmål 5.
    Students of 2027: Ada (an individual CRM of 10 companies, no LIA), Bo (LIA registered
    5 October), Cia (placed 20 October), Eva (no CRM, no LIA). Of 2028: Dan (Kull from his group)."""
    make_crm("group", "grupper/gamla.xlsx",
             Leads=leads((30, "2026-10-15"), (1, "2026-12-01"), (11, "2026-12-10")))
    make_crm("group", "grupper/nya.xlsx", Leads=leads((12, "2027-09-15"), (20, "2027-12-15")))
    make_crm("student", "studerande/ada.xlsx", Leads=leads((10, "2027-04-10")))
    return make_crm(
        "register", "register.xlsx",
        Grupper=[{"Grupp": "Gamla", "Gruppens CRM": "grupper/gamla.xlsx", "Big Bang Day": "2026-12-01",
                  "Delmål": 10, "Kull": 2027},
                 {"Grupp": "Nya", "Gruppens CRM": "grupper/nya.xlsx", "Delmål": 5, "Kull": "2028"}],
        Studerande=[{"Namn": "Ada Ohlin", "Grupp": "Gamla", "Individuellt CRM": "studerande/ada.xlsx", "Kull": 2027},
                    {"Namn": "Bo Berg", "Grupp": "Gamla", "LIA-företag": "Volvo", "LIA registrerad": "2027-10-05",
                     "Kull": 2027},
                    {"Namn": "Cia Dahl", "Grupp": "Gamla", "Placerad": "2027-10-20", "Kull": 2027},
                    {"Namn": "Eva Falk", "Grupp": "Gamla", "Kull": 2027},
                    {"Namn": "Dan Ek", "Grupp": "Nya"}])


def nightly(register, day: str) -> dict:
    return json.loads(run("--today", day, "nightly", str(register), "--json"))


RISK_ALL = {"Ada Ohlin": "Risk", "Bo Berg": "Risk", "Cia Dahl": "Risk", "Eva Falk": "Risk"}

# day -> Gamla (status, reason), Nya (status, reason), Placering {name: list} (with days waited)
EXPECTED = {
    # Seed 000: "Minst 30 leads i CRM innan Big Bang Day infaller." The day before, 30 leads:
    # the 12 added from Big Bang Day on do not exist yet. Nya's Fas 1 has not begun.
    "2026-11-30": (("ok", ""), ("ok", "Fas 1 börjar 2027-09-01 (kull 2028)"), {}),
    # Seed 000: "Ytterligare leads från Big Bang Day fram till fasen tar slut (gruppen sätter
    # delmålet själva)": from the day on, the Delmål counts leads added since; the 30 is kept.
    "2026-12-01": (("behind", "1 av 10 leads tillagda sedan Big Bang Day 2026-12-01 (delmål); "
                              "Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("ok", "Fas 1 börjar 2027-09-01 (kull 2028)"), {}),
    "2026-12-02": (("behind", "1 av 10 leads tillagda sedan Big Bang Day 2026-12-01 (delmål); "
                              "Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("ok", "Fas 1 börjar 2027-09-01 (kull 2028)"), {}),
    # Seed 001: "samarbetet i Career-gruppen endast pågår under programmets två första faser":
    # from April the group is not judged, its Big Bang Day result stays. Seed 002, Sprint 1:
    # "minst 50 kvalitativa företag i ditt CRM innan månaden är slut": all four at risk (Bo's
    # LIA of 5 October and Cia's placement of 20 October do not exist on 30 April).
    "2027-04-30": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("ok", "Fas 1 börjar 2027-09-01 (kull 2028)"), RISK_ALL),
    # Seed 002, Sprint 2: "I slutet av juni infaller Soft Deadline" - not yet a placement.
    "2027-06-30": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("ok", "Fas 1 börjar 2027-09-01 (kull 2028)"), RISK_ALL),
    # Seed 002, Sprint 4: "senast den sista september (Hard Deadline) måste du ha en LIA
    # registrerad": the day itself still counts. Seed 000: "I september sätts de preliminära
    # grupperna": Nya works towards its 30 leads beside the old cohort.
    "2027-09-30": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "12 av 30 leads (före Big Bang Day)"), RISK_ALL),
    # Seed 002, Sprint 5: "om du fortfarande saknar en plats när oktober infaller, börjar vi på
    # backoffice ringa runt ... och placera dig där". Dan (cohort 2028) is in Fas 1: not listed.
    "2027-10-01": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "12 av 30 leads (före Big Bang Day)"),
                   {"Ada Ohlin": "Placering 1", "Bo Berg": "Placering 1", "Cia Dahl": "Placering 1",
                    "Eva Falk": "Placering 1"}),
    # Seed 002, Sprint 5: "du kan fortfarande registrera en egen LIA under oktober": Bo did
    # (5 October), Cia was placed (20 October): both leave the list.
    "2027-10-31": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "12 av 30 leads (före Big Bang Day)"),
                   {"Ada Ohlin": "Placering 31", "Eva Falk": "Placering 31"}),
    # crm-schema.md: students with neither date "stay on it until one of the two is recorded":
    # 1 November is not a new cohort for Ada and Eva.
    "2027-11-01": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "12 av 30 leads (före Big Bang Day)"),
                   {"Ada Ohlin": "Placering 32", "Eva Falk": "Placering 32"}),
    # Nya's Big Bang Day (the cohort's default, 1 December Y-1) +-1: the 20 leads of 15
    # December do not exist yet; from the day on the 30-lead goal is recorded as missed.
    "2027-11-30": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "12 av 30 leads (före Big Bang Day)"),
                   {"Ada Ohlin": "Placering 61", "Eva Falk": "Placering 61"}),
    "2027-12-01": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "0 av 5 leads tillagda sedan Big Bang Day 2027-12-01 (delmål); "
                              "Big Bang Day 2027-12-01: 12 av 30 leads (missat)"),
                   {"Ada Ohlin": "Placering 62", "Eva Falk": "Placering 62"}),
    "2027-12-02": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("behind", "0 av 5 leads tillagda sedan Big Bang Day 2027-12-01 (delmål); "
                              "Big Bang Day 2027-12-01: 12 av 30 leads (missat)"),
                   {"Ada Ohlin": "Placering 63", "Eva Falk": "Placering 63"}),
    # Nya's April: its group phase is over, its Big Bang Day result stays visible.
    "2028-04-03": (("ok", "gruppfasen avslutad 2027-03-31; Big Bang Day 2026-12-01: 30 av 30 leads (uppnått)"),
                   ("ok", "gruppfasen avslutad 2028-03-31; Big Bang Day 2027-12-01: 12 av 30 leads (missat)"),
                   {"Ada Ohlin": "Placering 186", "Eva Falk": "Placering 186", "Dan Ek": "Risk"}),
}


@pytest.mark.parametrize("day", list(EXPECTED))
def test_two_overlapping_cohorts_replayed_on_the_boundaries(register, day):
    gamla, nya, listed = EXPECTED[day]
    report = nightly(register, day)
    groups = {g["name"]: g for g in report["groups"]}
    assert (groups["Gamla"]["status"], groups["Gamla"]["reason"]) == gamla
    assert (groups["Nya"]["status"], groups["Nya"]["reason"]) == nya
    shown = {r["name"]: r["list"] + (f" {r['days_waiting']}" if r["days_waiting"] is not None else "")
             for r in report["placement"]}
    assert shown == listed
    for row in report["placement"]:
        if row["list"] == "Placering":
            days = row["days_waiting"]
            assert f"väntat {days} {'dag' if days == 1 else 'dagar'}" in row["reason"]


@pytest.mark.parametrize("day, ada, dan", [
    # Seed 002, Sprint 1: "April markerar starten på ditt individuella arbete": before it Ada is not judged.
    ("2027-03-31", ("ok", "LIA-sökandet börjar 2027-04-01", "Fas 2"), ("ok", "LIA-sökandet börjar 2028-04-01", "")),
    ("2027-10-01", ("behind", "ingen LIA efter hard deadline 2027-09-30: placering", "Sprint 5"),
     ("ok", "LIA-sökandet börjar 2028-04-01", "Fas 1")),
    ("2027-11-01", ("behind", "ingen LIA efter hard deadline 2027-09-30: placering", ""),
     ("ok", "LIA-sökandet börjar 2028-04-01", "Fas 1")),
])
def test_each_student_follows_their_own_cohort_on_the_dashboard(register, day, ada, dan):
    students = {s["name"]: s for s in nightly(register, day)["students"]}
    assert (students["Ada Ohlin"]["status"], students["Ada Ohlin"]["reason"], students["Ada Ohlin"]["period"]) == ada
    assert (students["Dan Ek"]["status"], students["Dan Ek"]["reason"], students["Dan Ek"]["period"]) == dan
    assert (students["Ada Ohlin"]["cohort"], students["Dan Ek"]["cohort"]) == (2027, 2028)


def test_the_placering_tab_keeps_the_students_it_must_place_after_31_october(register):
    run("--today", "2027-11-01", "nightly", str(register), "--apply")
    tab = openpyxl.load_workbook(register)["Placering"]
    header = [c.value for c in tab[1]]
    rows = [dict(zip(header, r)) for r in tab.iter_rows(min_row=2, values_only=True)]
    assert [(r["Lista"], r["Namn"]) for r in rows] == [("Placering", "Ada Ohlin"), ("Placering", "Eva Falk")]
    assert all("väntat 32 dagar" in r["Orsak"] for r in rows)
    dashboard = openpyxl.load_workbook(register)["Dashboard"]
    header = [c.value for c in dashboard[1]]
    nya = next(dict(zip(header, r)) for r in dashboard.iter_rows(min_row=2, values_only=True) if r[2] == "Nya")
    assert (nya["Status"], nya["Mot mål"], nya["Mål"]) == ("Efter", 12, 30)


# --------------------------------------------------------------------------- one goal per group and day
def test_check_status_and_nightly_give_goteborg_1_one_goal_on_2027_05_12(tmp_path):
    run("--today", "2027-05-12", "demo", str(tmp_path / "demo"))
    register, crm = tmp_path / "demo" / "register.xlsx", tmp_path / "demo" / "grupper" / "goteborg-1.xlsx"
    night = json.loads(run("--today", "2027-05-12", "nightly", str(register), "--json", ok=(0, 1)))
    group = next(g for g in night["groups"] if g["crm"] == "grupper/goteborg-1.xlsx")
    status = json.loads(run("--today", "2027-05-12", "status", str(crm), "--register", str(register), "--json"))
    check = json.loads(run("--today", "2027-05-12", "check", str(crm), "--register", str(register), "--json"))
    progress = status["progress"]
    assert check["volume"]["progress"] == progress
    assert (group["toward_goal"], group["goal"], group["goal_since"], group["on_track"]) == (
        progress["count"], progress["goal"], progress["since"], progress["met"])
    assert (group["big_bang_leads"], group["big_bang_met"]) == (progress["big_bang_count"], progress["big_bang_met"])
    assert (status["toward_goal"], status["goal"]) == (check["volume"]["toward_goal"], check["volume"]["goal"])
    # the group's Delmål (the register's), not 30 leads in all, and the Big Bang Day record
    assert progress["since"] == group["big_bang_day"] and progress["big_bang_count"] is not None
    text = run("--today", "2027-05-12", "status", str(crm), "--register", str(register))
    assert f"Goal: {progress['count']} of {progress['goal']} leads added since Big Bang Day {progress['since']}" in text
    assert f"Big Bang Day {progress['since']}: {progress['big_bang_count']} of 30 leads before it" in text


def test_without_the_register_check_and_status_say_the_goal_is_the_default(tmp_path):
    run("--today", "2027-05-12", "demo", str(tmp_path / "demo"))
    crm = tmp_path / "demo" / "grupper" / "goteborg-1.xlsx"
    assert "pass --register for the group's own" in run("--today", "2027-05-12", "status", str(crm))
    assert "pass --register for the group's own" in run("--today", "2027-05-12", "check", str(crm))


def test_a_register_that_does_not_name_the_crm_is_an_error(tmp_path, register):
    other = tmp_path / "other.xlsx"
    openpyxl.load_workbook(tmp_path / "grupper" / "nya.xlsx").save(other)
    result = CliRunner().invoke(cli, ["--today", "2027-10-01", "status", str(other), "--register", str(register)])
    assert result.exit_code == 1 and "no row in Grupper or Studerande names" in result.output


def test_the_big_bang_day_record_is_computed_from_tillagd():
    added = [d(2026, 11, 1)] * 29 + [None, d(2026, 12, 1), d(2026, 12, 5)]
    before = group_progress(d(2026, 11, 30), added, d(2026, 12, 1), 10)
    assert (before.count, before.goal, before.since, before.met, before.big_bang_count) == (30, 30, None, True, None)
    on = group_progress(d(2026, 12, 1), added, d(2026, 12, 1), 10)  # an undated lead counts as older
    assert (on.count, on.goal, on.since, on.met, on.big_bang_count, on.big_bang_met) == (
        1, 10, d(2026, 12, 1), False, 30, True)
    later = group_progress(d(2027, 5, 12), added, d(2026, 12, 1), 10)
    assert (later.count, later.big_bang_count) == (2, 30)


# --------------------------------------------------------------------------- --today sees that day only
def test_today_does_not_count_the_future(register):
    report = nightly(register, "2027-04-30")
    students = {s["name"]: s for s in report["students"]}
    assert students["Bo Berg"]["lia_registered"] is None and students["Cia Dahl"]["placed"] is None
    assert students["Bo Berg"]["status"] == "behind"  # not "LIA registrerad 2027-10-05"
    nya = next(g for g in nightly(register, "2027-11-30")["groups"] if g["name"] == "Nya")
    assert (nya["leads"], nya["toward_goal"]) == (12, 12)  # the 20 of 15 December do not count


def test_status_and_check_see_only_the_leads_added_by_that_day(register, tmp_path):
    crm = tmp_path / "grupper" / "nya.xlsx"
    status = json.loads(run("--today", "2027-11-30", "status", str(crm), "--register", str(register), "--json"))
    assert (status["leads"], status["toward_goal"], status["goal"]) == (12, 12, 30)
    assert "20 Leads rows dated after 2027-11-30 not counted" in status["later_rows"]
    check = json.loads(run("--today", "2027-11-30", "check", str(crm), "--register", str(register), "--json"))
    assert (check["volume"]["leads"], check["volume"]["toward_goal"]) == (12, 12)
    after = json.loads(run("--today", "2027-12-16", "status", str(crm), "--register", str(register), "--json"))
    assert (after["leads"], after["toward_goal"], after["goal"]) == (32, 20, 5)


def test_a_write_with_a_past_today_leaves_later_rows_untouched(register, tmp_path):
    crm = tmp_path / "grupper" / "nya.xlsx"
    before = [r for r in openpyxl.load_workbook(crm)["Leads"].iter_rows(min_row=2, values_only=True)]
    run("--today", "2027-10-01", "nightly", str(register), "--apply")
    run("--today", "2027-10-01", "mark-processed", str(crm), "--apply")
    after = [r for r in openpyxl.load_workbook(crm)["Leads"].iter_rows(min_row=2, values_only=True)]
    header = [c.value for c in openpyxl.load_workbook(crm)["Leads"][1]]
    added = header.index("Tillagd")
    assert len(after) == len(before) == 32
    assert sum(r[added] == "2027-12-15" for r in after) == 20
    reg = openpyxl.load_workbook(register)["Studerande"]
    header = [c.value for c in reg[1]]
    bo = next(r for r in reg.iter_rows(min_row=2, values_only=True) if r[0] == "Bo Berg")
    assert bo[header.index("LIA registrerad")] == "2027-10-05"  # read as blank, never written so


# --------------------------------------------------------------------------- cohorts in the register
def test_kull_cells_and_the_date_rule():
    assert [parse_kull(v) for v in (2027, "2027", "Kull 2028", 2027.0, None, "")] == [2027, 2027, 2028, 2027, None,
                                                                                     None]
    with pytest.raises(InvalidInput, match="Kull 'HT26' is not a year"):
        parse_kull("HT26")
    assert cohort_year_for(d(2027, 10, 1)) == 2027 and cohort_year_for(d(2027, 11, 1)) == 2028
    assert cohort_year_for(d(2027, 11, 1), kull=2027) == 2027


def test_a_kalender_row_with_a_kull_belongs_to_that_cohort_only():
    kalender = [Period("Sprint 1", d(2027, 4, 7), d(2027, 5, 6), kull=2027),
                Period("Fas 1", d(2027, 8, 25), d(2027, 12, 5), kull=2028)]
    reg = Register("r", [], [], kalender)
    assert [p.name for p in reg.calendar_for(d(2027, 10, 1), cohort=2027)] == ["Sprint 1"]
    assert [p.name for p in reg.calendar_for(d(2027, 10, 1), cohort=2028)] == ["Fas 1"]
    assert reg.calendar_for(d(2027, 10, 1), cohort=2029)[0].start == d(2028, 9, 1)  # the defaults


def test_a_register_without_kull_keeps_its_single_cohort():
    """No `Kull` anywhere: a group's Big Bang Day names its cohort, a student follows the group;
    with nothing at all, the date decides (1 November starts the next cohort)."""
    group = RegisterGroup("G", 2, "", "", "", d(2026, 12, 8), None)
    student = RegisterStudent("S", 3, "", "G", "", "", "", "", None, None)
    loner = RegisterStudent("L", 4, "", "", "", "", "", "", None, None)
    reg = Register("r", [group], [student, loner], None)
    assert reg.cohort_of_group(group, d(2027, 11, 1)) == 2027
    assert reg.cohort_of_student(student, d(2027, 11, 1)) == 2027
    assert reg.cohort_of_student(loner, d(2027, 10, 31)) == 2027
    assert reg.cohort_of_student(loner, d(2027, 11, 1)) == 2028
    # a Kalender without Kull names its cohort by its own dates
    reg = Register("r", [], [loner], [Period("Sprint 1", d(2027, 4, 1), d(2027, 4, 30))])
    assert reg.cohort_of_student(loner, d(2027, 11, 1)) == 2027


def test_a_kull_that_is_not_a_year_is_a_warning_naming_the_row(make_crm):
    path = make_crm("register", "register.xlsx",
                    Grupper=[{"Grupp": "G", "Gruppens CRM": "g.xlsx", "Kull": "nästa år"}],
                    Studerande=[{"Namn": "S", "Grupp": "G", "Kull": 2028}])
    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.programme.register import read_register

    reg, _ = read_register(LocalWorkbook(path), d(2027, 10, 1))
    assert reg.groups[0].kull is None and reg.students[0].kull == 2028
    assert any(w.startswith("Grupper row 2: Kull 'nästa år' is not a year") for w in reg.warnings)


def test_a_replay_reads_again_a_crm_whose_kept_summary_is_of_a_later_day(register):
    """Nattkörning keeps each CRM's summary; an unchanged CRM is not read again. A summary read
    on 16 December holds Nya's 20 leads of the 15th: replaying 30 November must not use it, and
    a summary of 30 November (which left them out) must not stand for 16 December."""
    run("--today", "2027-12-16", "nightly", str(register), "--apply")
    nya = lambda day: next(g for g in nightly(register, day)["groups"] if g["name"] == "Nya")  # noqa: E731
    assert nya("2027-11-30")["leads"] == 12
    run("--today", "2027-11-30", "nightly", str(register), "--apply")
    assert nya("2027-12-16")["leads"] == 32
    assert nightly(register, "2027-11-30")["crms"][str(register.parent / "grupper" / "gamla.xlsx")]["unchanged"]


def test_a_kalender_with_only_some_periods_does_not_delay_the_cohorts_start():
    from chas_sheets.nightly.crm_summary import CrmSummary
    from chas_sheets.nightly.report import CrmOutcome, build_report

    group = RegisterGroup("G", 2, "", "g.xlsx", "g.xlsx", None, None, kull=2027)
    reg = Register("r", [group], [], [Period("Sprint 1", d(2027, 4, 7), d(2027, 5, 6), kull=2027)])
    summary = CrmSummary("group", leads=3, lead_rows=[[f"L-{n}", "F", "", "", "", "2026-10-01", "", ""]
                                                      for n in range(3)])
    report = build_report(reg, {"g.xlsx": CrmOutcome("g.xlsx", summary)}, d(2026, 10, 15))
    assert (report.groups[0].status, report.groups[0].reason) == ("behind", "3 av 30 leads (före Big Bang Day)")
