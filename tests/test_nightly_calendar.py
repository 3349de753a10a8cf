"""Every period boundary of the default calendar, seen in the nightly's own tabs (Dashboard
and Placering rows), and a group on either side of its Big Bang Day."""

from __future__ import annotations

import datetime as dt

import pytest

from chas_sheets.nightly.crm_summary import CrmSummary
from chas_sheets.nightly.report import DASHBOARD_HEADERS, PLACEMENT_HEADERS, CrmOutcome, build_report
from chas_sheets.programme.calendar import Period
from chas_sheets.programme.register import Register, RegisterGroup, RegisterStudent

d = dt.date


def student(name: str, crm: str = "", lia: dt.date | None = None, placed: dt.date | None = None) -> RegisterStudent:
    return RegisterStudent(name, 2, f"{name.lower()}@chas.se", "G1", "", crm, crm, "", lia, placed)


def summary(companies: int, attempts: tuple[dt.date, ...] = (), dialogues: int = 0) -> CrmSummary:
    return CrmSummary("individual", leads=companies, companies=companies, dialogues=dialogues,
                      lead_rows=[[f"L-{n}", f"Firma {n}", "", "", "", "", "", ""] for n in range(companies)],
                      attempts=[[a.isoformat(), "", ["L-0"]] for a in attempts])


def nightly(today: dt.date, crms: dict[str, CrmSummary], students=(), groups=(), calendar=None):
    """The Dashboard and Placering rows as dicts by name, as the run would write them."""
    register = Register("register.xlsx", list(groups), list(students), calendar)
    report = build_report(register, {t: CrmOutcome(t, s) for t, s in crms.items()}, today)
    tabs = {t.tab: t for t in report.tabs()}
    dashboard = {row[2]: dict(zip(DASHBOARD_HEADERS, row)) for row in tabs["Dashboard"].rows}
    placement = {row[2]: dict(zip(PLACEMENT_HEADERS, row)) for row in tabs["Placering"].rows}
    return dashboard, placement


def one(today: dt.date, s: CrmSummary | None, **register_row):
    crms = {"s.xlsx": s} if s is not None else {}
    dashboard, placement = nightly(today, crms, [student("Sam", "s.xlsx" if s is not None else "", **register_row)])
    return dashboard["Sam"], placement.get("Sam")


def test_31_march_is_fas_2_and_students_are_not_judged_yet():
    row, listed = one(d(2027, 3, 31), None)
    assert (row["Period"], row["Status"], row["Orsak"]) == ("Fas 2", "OK", "LIA-sökandet börjar 2027-04-01")
    assert row["Dagar till deadline"] == 30 and listed is None


def test_1_april_starts_sprint_1_with_the_goal_pro_rata_and_the_risk_list():
    row, listed = one(d(2027, 4, 1), summary(1))
    assert (row["Period"], row["Status"]) == ("Sprint 1", "Efter")
    assert row["Orsak"] == "1 av 50 företag; 2 väntat i dag (50 senast 2027-04-30)"
    assert listed["Lista"] == "Risk" and listed["Orsak"] == "ingen dialog, 1 av 50 företag"
    row, _ = one(d(2027, 4, 1), summary(2))
    assert row["Status"] == "OK"
    _, listed = one(d(2027, 4, 1), summary(2, dialogues=1))
    assert listed is None  # a dialogue: not at risk


@pytest.mark.parametrize("companies, status", [(49, "Efter"), (50, "OK")])
def test_30_april_is_the_company_goal(companies, status):
    row, _ = one(d(2027, 4, 30), summary(companies))
    assert (row["Period"], row["Status"], row["Dagar till deadline"]) == ("Sprint 1", status, 0)
    assert row["I fas"] == ("Ja" if companies >= 50 else "Nej")


def test_1_may_judges_the_goal_and_reach_out():
    today = d(2027, 5, 1)
    row, _ = one(today, summary(49, (today,)))
    assert (row["Period"], row["Status"], row["Orsak"]) == ("Sprint 2", "Efter", "49 av 50 företag (mål 2027-04-30)")
    assert row["Dagar till deadline"] == 60
    row, _ = one(today, summary(50, (today,)))
    assert row["Status"] == "OK" and row["Försök 7 d"] == 1
    row, _ = one(today, summary(50, (today - dt.timedelta(days=7),)))
    assert row["Status"] == "Efter" and "inga kontaktförsök senaste 7 dagarna" in row["Orsak"]


def test_30_june_is_the_soft_deadline_and_july_is_research():
    row, _ = one(d(2027, 6, 30), summary(50, (d(2027, 6, 30),)))
    assert (row["Period"], row["Dagar till deadline"]) == ("Sprint 2", 0)
    assert row["Status"] == "OK"
    # no attempts, but July is a research sprint: no reach-out finding; the soft deadline has
    # passed without a LIA, though (seed 001: "Målet är att ha säkrat och registrerat din LIA senast då")
    row, _ = one(d(2027, 7, 1), summary(50))
    assert (row["Period"], row["Status"], row["Dagar till deadline"]) == ("Sprint 3", "Efter", 91)
    assert row["Orsak"] == "soft deadline passerad utan LIA (2027-06-30)"
    row, _ = one(d(2027, 7, 1), summary(50), lia=d(2027, 6, 20))
    assert row["Status"] == "OK"


def test_30_september_is_the_last_day_before_placement():
    row, listed = one(d(2027, 9, 30), summary(60, (d(2027, 9, 29),), dialogues=2))
    # behind since the soft deadline (the rule before issue 18 said OK here), not yet listed
    assert (row["Period"], row["Status"], row["Dagar till deadline"]) == ("Sprint 4", "Efter", 0)
    assert row["Orsak"] == "soft deadline passerad utan LIA (2027-06-30)"
    assert listed is None


def test_1_october_lists_students_without_lia_for_placement():
    row, listed = one(d(2027, 10, 1), summary(60, (d(2027, 9, 29),), dialogues=2))
    assert (row["Period"], row["Status"]) == ("Sprint 5", "Efter")
    assert row["Orsak"] == "ingen LIA efter hard deadline 2027-09-30: placering"
    assert row["Dagar till deadline"] is None
    assert listed["Lista"] == "Placering"
    row, listed = one(d(2027, 10, 1), summary(60), lia=d(2027, 9, 30))
    assert row["Status"] == "OK" and listed is None


def test_an_own_lia_registered_after_placement_is_flagged():
    row, listed = one(d(2027, 10, 12), summary(60), placed=d(2027, 10, 5), lia=d(2027, 10, 10))
    assert row["Status"] == "OK"
    assert listed["Lista"] == "Egen LIA efter placering" and "backoffice kan neka" in listed["Orsak"]


def group_summary(added: list[str], processed: str = "") -> CrmSummary:
    """A group CRM's summary with a lead per `Tillagd` (ISO, '' when blank)."""
    rows = [[f"L-{n}", f"Firma {n}", "", "", "", day, "A", processed] for n, day in enumerate(added)]
    return CrmSummary("group", leads=len(rows), companies=len(rows), lead_rows=rows)


def test_a_group_before_and_after_its_big_bang_day():
    group = RegisterGroup("G1", 2, "", "g.xlsx", "g.xlsx", d(2026, 12, 8), 10)
    # 35 leads: 30 from the autumn, one undated, 4 added from Big Bang Day on
    crm = {"g.xlsx": group_summary(["2026-10-01"] * 30 + ["", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-10"])}
    before, _ = nightly(d(2026, 12, 7), crm, groups=[group])
    assert (before["G1"]["Period"], before["G1"]["Mål"], before["G1"]["Status"]) == ("Fas 1", 30, "OK")
    # the 4 leads added from Big Bang Day on do not exist yet on 7 December (replay: test_cohorts)
    assert (before["G1"]["Leads"], before["G1"]["Mot mål"]) == (35, 31)
    after, _ = nightly(d(2026, 12, 10), crm, groups=[group])
    assert (after["G1"]["Period"], after["G1"]["Mål"]) == ("Fas 1, efter Big Bang Day", 10)
    assert (after["G1"]["Leads"], after["G1"]["Mot mål"], after["G1"]["I fas"]) == (35, 4, "Nej")
    assert (after["G1"]["Status"], after["G1"]["Orsak"]) == (
        "Efter", "4 av 10 leads tillagda sedan Big Bang Day 2026-12-08 (delmål); "
                 "Big Bang Day 2026-12-08: 31 av 30 leads (uppnått)")


def test_a_delmal_reached_is_said_in_the_reason():
    group = RegisterGroup("G1", 2, "", "g.xlsx", "g.xlsx", d(2026, 12, 8), 3)
    crm = {"g.xlsx": group_summary(["2026-10-01"] * 30 + ["2026-12-08", "2026-12-09", "2026-12-10"])}
    row, _ = nightly(d(2026, 12, 10), crm, groups=[group])
    assert (row["G1"]["Status"], row["G1"]["Mot mål"], row["G1"]["Orsak"]) == (
        "OK", 3, "3 av 3 leads tillagda sedan Big Bang Day 2026-12-08 (delmål); "
                 "Big Bang Day 2026-12-08: 30 av 30 leads (uppnått)")


def test_a_group_without_a_delmal_keeps_30_leads_in_all():
    group = RegisterGroup("G1", 2, "", "g.xlsx", "g.xlsx", d(2026, 12, 8), None)
    row, _ = nightly(d(2026, 12, 10), {"g.xlsx": group_summary(["2026-10-01"] * 29)}, groups=[group])
    assert (row["G1"]["Mål"], row["G1"]["Mot mål"], row["G1"]["Status"]) == (30, 29, "Efter")
    assert row["G1"]["Orsak"] == "29 av 30 leads (inget delmål satt); Big Bang Day 2026-12-08: 29 av 30 leads (missat)"


def test_a_group_in_fas_2_needs_input_or_output_each_week():
    group = RegisterGroup("G1", 2, "", "g.xlsx", "g.xlsx", d(2026, 12, 1), 5)
    today = d(2027, 2, 10)
    quiet = group_summary(["2026-11-01"] * 34 + ["2026-12-15"] * 6)
    row, _ = nightly(today, {"g.xlsx": quiet}, groups=[group])
    assert row["G1"]["Status"] == "Efter" and "inga nya eller bearbetade leads" in row["G1"]["Orsak"]
    busy = group_summary(["2026-11-01"] * 34 + ["2026-12-15"] * 5 + ["2027-02-09"])
    row, _ = nightly(today, {"g.xlsx": busy}, groups=[group])
    assert (row["G1"]["Status"], row["G1"]["Nya leads 7 d"], row["G1"]["Balans 7 d"]) == ("OK", 1, 1)


def test_the_registers_kalender_replaces_the_defaults():
    kalender = [Period("Sprint 1", d(2027, 4, 8), d(2027, 5, 7)), Period("Sprint 2", d(2027, 5, 8), d(2027, 6, 30)),
                Period("Sprint 4", d(2027, 8, 1), d(2027, 9, 30))]
    dashboard, _ = nightly(d(2027, 4, 5), {}, [student("Sam")], calendar=kalender)
    assert (dashboard["Sam"]["Period"], dashboard["Sam"]["Orsak"]) == ("", "LIA-sökandet börjar 2027-04-08")
    dashboard, _ = nightly(d(2027, 5, 1), {"s.xlsx": summary(40)}, [student("Sam", "s.xlsx")], calendar=kalender)
    assert dashboard["Sam"]["Period"] == "Sprint 1" and dashboard["Sam"]["Dagar till deadline"] == 6
