"""The programme's findings on the nightly's Dashboard, Placering and its own tabs (issue 18):
the soft deadline, the phase-1 individual goals and the commitment agreement, the groups'
composition, live offers, the regrouping evidence (`Gruppbild`), the open dialogues
(`Dialoger`) and the long-recruitment count. Registers are crafted small, as in
tests/test_nightly_calendar.py, and judged on the day each rule starts."""

from __future__ import annotations

import datetime as dt

import pytest

from chas_sheets.nightly.crm_summary import CrmSummary, is_long_recruitment

d = dt.date


# --------------------------------------------------------------------------- 7. long recruitment
@pytest.mark.parametrize("typ, size, counted", [
    ("Konsultbolag", 3000, True), ("Konsultbolag", "250", True), ("Konsultbolag", 249, False),
    ("Konsultbolag", None, False), ("Offentlig sektor", "", False),  # blank: unknown, not large
    ("Startup", 3000, False),
])
def test_a_blank_size_is_unknown_not_a_long_recruitment(typ, size, counted):
    assert is_long_recruitment(typ, size) is counted


# --------------------------------------------------------------------------- the summary's new fields
def crm_read(leads: list[dict], log: list[dict] = (), members: list[dict] = ()):
    from chas_sheets.nightly.crm_summary import plan_crm
    from chas_sheets.sheet.tables import RawWorkbook

    def grid(rows):
        headers = list(dict.fromkeys(k for row in rows for k in row))
        return [headers, *([row.get(h) for h in headers] for row in rows)]
    grids = {"Leads": grid(leads)}
    if log:
        grids["Kontaktlogg"] = grid(log)
    if members:
        grids["Medlemmar"] = grid(members)
    return plan_crm(RawWorkbook("crm.xlsx", grids), "group" if members else "individual", d(2027, 5, 20)).summary


def test_the_summary_counts_live_offers_and_keeps_open_dialogues():
    summary = crm_read(
        [{"Företag": "Volvo", "Kontaktperson": "Eva Lund", "Status": "Erbjudande", "Telefon": "070-1234567"},
         {"Företag": "Saab", "Kontaktperson": "Per Holm", "Status": "Intervju"},
         {"Företag": "Ikea", "Status": "Dialog", "Ansvarig": "Bo"},
         {"Företag": "Tele2", "Status": "Nej"}, {"Företag": "Scania", "Status": "Ny"}],
        log=[{"Datum": "2027-05-10", "Företag": "Saab", "Kanal": "Telefon", "Utfall": "Intervju", "Av": "Ada"},
             {"Datum": "2027-05-03", "Företag": "Ikea", "Kanal": "Mejl", "Utfall": "Svar", "Av": "Cia"}])
    assert (summary.offers, summary.interviews, summary.live_offers) == (1, 1, 2)
    assert summary.open_dialogues == [["Saab", "Per Holm", "Intervju", "2027-05-10", "Ada"],
                                      ["Ikea", "", "Dialog", "2027-05-03", "Cia"],
                                      ["Volvo", "Eva Lund", "Erbjudande", "", ""]]


def test_a_summary_kept_before_the_new_fields_reads_as_zero_and_is_read_again():
    from chas_sheets.nightly.crm_summary import reusable_on

    old = {"kind": "individual", "leads": 3, "companies": 3, "later_rows": 0}
    summary = CrmSummary.from_dict(old)
    assert (summary.offers, summary.interviews, summary.open_dialogues, summary.roles) == (0, 0, [], {})
    assert not reusable_on(old, "2027-05-19", d(2027, 5, 20))
    assert reusable_on(CrmSummary.from_dict(old).to_dict(), "2027-05-19", d(2027, 5, 20))
    assert CrmSummary.from_dict(summary.to_dict()) == summary


# --------------------------------------------------------------------------- crafted registers
from chas_sheets.nightly.report import (  # noqa: E402
    DASHBOARD_HEADERS,
    DIALOGUE_HEADERS,
    GROUP_PICTURE_HEADERS,
    OWNED_TABS,
    PLACEMENT_HEADERS,
    CrmOutcome,
    build_report,
)
from chas_sheets.programme.register import Register, RegisterGroup, RegisterStudent  # noqa: E402

PHASE1 = ("CV design", "CV ATS", "LinkedIn", "Commitmentavtal")


def student(name: str, group: str = "G1", crm: str = "", lia: dt.date | None = None, region: str = "",
            **phase1: str) -> RegisterStudent:
    ticks = tuple((column, phase1.get(column.replace(" ", "_"), "TRUE")) for column in PHASE1)
    return RegisterStudent(name, 2, f"{name.split()[0].lower()}@chas.se", group, "", crm, crm, "", lia, None,
                           ticks, 2027, region)


def individual(companies: int = 60, offers: int = 0, interviews: int = 0, attempt: str = "2027-06-30") -> CrmSummary:
    """A student's CRM over the company goal, with an attempt on `attempt` (a reach-out sprint's week)."""
    return CrmSummary("individual", leads=companies, companies=companies, offers=offers, interviews=interviews,
                      lead_rows=[[f"L-{n}", f"Firma {n}", "", "", "", "", "", ""] for n in range(companies)],
                      attempts=[[attempt, "", ["L-0"]]])


def nightly(today: dt.date, students=(), groups=(), crms=None, phase1=PHASE1):
    register = Register("register.xlsx", list(groups), list(students), None, tuple(phase1))
    report = build_report(register, {t: CrmOutcome(t, s) for t, s in (crms or {}).items()}, today)
    tabs = {t.tab: t for t in report.tabs()}
    as_dicts = lambda tab: [dict(zip(tabs[tab].headers, row)) for row in tabs[tab].rows]  # noqa: E731
    return {row["Namn"]: row for row in as_dicts("Dashboard")}, as_dicts, report


def test_the_new_tabs_are_owned_by_the_nightly_and_in_the_contract():
    from chas_sheets.sheet.schema import contract

    assert {"Gruppbild", "Dialoger"} <= set(OWNED_TABS)
    for tab, headers in (("Gruppbild", GROUP_PICTURE_HEADERS), ("Dialoger", DIALOGUE_HEADERS)):
        columns = contract().tab(tab).columns
        assert [c.name for c in columns] == list(headers) and all(c.tool_owned for c in columns)


# --------------------------------------------------------------------------- 1. soft deadline
def test_on_1_july_a_student_without_lia_is_behind_the_soft_deadline():
    crms = {"a.xlsx": individual(), "b.xlsx": individual()}
    students = [student("Ada Ohlin", crm="a.xlsx"), student("Bo Berg", crm="b.xlsx", lia=d(2027, 6, 28))]
    on_the_day, _, _ = nightly(d(2027, 6, 30), students, crms=crms)
    assert on_the_day["Ada Ohlin"]["Status"] == "OK"  # the soft deadline is the 30th itself
    after, _, _ = nightly(d(2027, 7, 1), students, crms=crms)
    assert after["Ada Ohlin"]["Status"] == "Efter"
    assert after["Ada Ohlin"]["Orsak"] == "soft deadline passerad utan LIA (2027-06-30)"
    assert (after["Bo Berg"]["Status"], after["Bo Berg"]["Orsak"]) == ("OK", "LIA registrerad 2027-06-28")
    # after the hard deadline the placement reason speaks, not the soft deadline twice
    october, _, _ = nightly(d(2027, 10, 1), students, crms=crms)
    assert october["Ada Ohlin"]["Orsak"] == "ingen LIA efter hard deadline 2027-09-30: placering"


# --------------------------------------------------------------------------- 2. phase-1 goals
def test_phase_1_goals_are_due_when_fas_1_ends_and_commitment_after_big_bang_day():
    group = RegisterGroup("G1", 2, "", "", "", d(2026, 12, 8), None, 2027)
    ada = student("Ada Ohlin", CV_ATS="", LinkedIn="FALSE", Commitmentavtal="")
    bo = student("Bo Berg", CV_design="Ja", Commitmentavtal="x")
    before, _, _ = nightly(d(2026, 12, 8), [ada, bo], [group])  # Big Bang Day itself
    assert before["Ada Ohlin"]["Status"] == "OK" and "Commitmentavtal" not in before["Ada Ohlin"]["Orsak"]
    after_bbd, _, _ = nightly(d(2026, 12, 9), [ada, bo], [group])
    assert after_bbd["Ada Ohlin"]["Status"] == "Efter"
    assert after_bbd["Ada Ohlin"]["Orsak"] == ("LIA-sökandet börjar 2027-04-01; "
                                               "Commitmentavtal inte signerat (Big Bang Day 2026-12-08)")
    assert "Fas 1-mål" not in after_bbd["Ada Ohlin"]["Orsak"]  # due only when Fas 1 ends (31 December)
    assert after_bbd["Bo Berg"]["Status"] == "OK"
    january, _, _ = nightly(d(2027, 1, 1), [ada, bo], [group])
    assert january["Ada Ohlin"]["Orsak"] == (
        "LIA-sökandet börjar 2027-04-01; Fas 1-mål saknas: CV ATS, LinkedIn (Fas 1 slutade 2026-12-31); "
        "Commitmentavtal inte signerat (Big Bang Day 2026-12-08)")
    assert january["Bo Berg"]["Status"] == "OK"
    with_lia = student("Ada Ohlin", lia=d(2026, 12, 20), CV_ATS="", Commitmentavtal="")
    january, _, _ = nightly(d(2027, 1, 1), [with_lia, bo], [group])
    assert (january["Ada Ohlin"]["Status"], january["Ada Ohlin"]["Orsak"]) == ("OK", "LIA registrerad 2026-12-20")


def test_a_register_without_the_phase_1_columns_gives_no_finding():
    ada = student("Ada Ohlin", CV_ATS="", LinkedIn="", Commitmentavtal="")
    ada = RegisterStudent(*[getattr(ada, f) for f in ("name", "sheet_row", "email", "group", "programme", "crm_ref",
                                                      "crm", "lia_company", "lia_registered", "placed")], (), 2027)
    dashboard, _, _ = nightly(d(2027, 2, 1), [ada], phase1=())
    assert (dashboard["Ada Ohlin"]["Status"], dashboard["Ada Ohlin"]["Orsak"]) == (
        "OK", "LIA-sökandet börjar 2027-04-01")
    # the template's columns, blank for every student: a register that does not track them
    blank = {c.replace(" ", "_"): "" for c in PHASE1}
    dashboard, _, _ = nightly(d(2027, 2, 1), [student("Ada Ohlin", **blank), student("Bo Berg", **blank)])
    assert (dashboard["Ada Ohlin"]["Status"], dashboard["Ada Ohlin"]["Orsak"]) == (
        "OK", "LIA-sökandet börjar 2027-04-01")
    # one student ticked: the column is tracked, and the others lack it
    ticked = blank | {"LinkedIn": "x"}
    dashboard, _, _ = nightly(d(2027, 2, 1), [student("Ada Ohlin", **blank), student("Bo Berg", **ticked)])
    assert dashboard["Ada Ohlin"]["Orsak"] == (
        "LIA-sökandet börjar 2027-04-01; Fas 1-mål saknas: LinkedIn (Fas 1 slutade 2026-12-31)")


# --------------------------------------------------------------------------- 3. composition
def group_crm(members: dict[str, str], leads: list[tuple[str, str]] = (), attempts: list[tuple[str, str, str]] = (),
              dialogues: list[list[str]] = ()) -> CrmSummary:
    """A group CRM: Medlemmar (name -> Roll), leads [(added ISO, by)], attempts [(day, by, lead)]."""
    rows = [[f"L-{n}", f"Firma {n}", "", "", "", day, by, ""] for n, (day, by) in enumerate(leads)]
    for day, _by, lead in attempts:  # an attempted lead is processed that day
        rows[int(lead[2:])][7] = day
    return CrmSummary("group", leads=len(rows), companies=len(rows), lead_rows=rows,
                      attempts=[[day, by, [lead]] for day, by, lead in attempts], members=list(members),
                      roles={name: role for name, role in members.items()}, open_dialogues=list(dialogues))


def test_a_group_of_four_or_in_two_regions_is_a_warning_with_its_reason():
    groups = [RegisterGroup("Små", 2, "Stockholm", "s.xlsx", "s.xlsx", None, None, 2027),
              RegisterGroup("Hela", 3, "", "h.xlsx", "h.xlsx", None, None, 2027)]
    crms = {"s.xlsx": group_crm({}, [("2026-10-01", "A")] * 30), "h.xlsx": group_crm({}, [("2026-10-01", "A")] * 30)}
    students = [student(f"Små {n}", "Små", region="Stockholm") for n in range(3)] + [
        student("Små Malmö", "Små", region="Malmö")] + [
        student(f"Hela {n}", "Hela", region="Göteborg" if n else "Borås") for n in range(6)]
    dashboard, _, _ = nightly(d(2026, 11, 2), students, groups, crms)
    # composing groups is backoffice's work: a warning with its reason, the group's status stands
    assert (dashboard["Små"]["Status"], dashboard["Små"]["Orsak"]) == ("OK", "")
    assert dashboard["Små"]["Varningar"] == ("4 medlemmar, ska vara 6-8; "
                                             "bor inte i gruppens region Stockholm: Små Malmö (Malmö)")
    assert dashboard["Hela"]["Varningar"] == "medlemmar i flera regioner: Borås, Göteborg"
    assert dashboard["Hela 1"]["Varningar"] is None  # a student's row has none
    # from the LIA search on the group phase is over: no composition warnings
    april, _, _ = nightly(d(2027, 4, 2), students, groups, crms)
    assert april["Små"]["Varningar"] is None


def test_roles_are_judged_from_fas_2_three_project_leads_and_no_researcher_is_a_warning():
    group = RegisterGroup("G1", 2, "", "g.xlsx", "g.xlsx", d(2026, 12, 1), None, 2027)
    roles = {f"P {n}": "Projektledare" for n in range(3)} | {f"K {n}": "Kommunikatör" for n in range(3)}
    leads = [("2026-10-01", "P 0")] * 30 + [("2027-02-08", "P 0")]
    students = [student(name) for name in roles]
    fas1, _, _ = nightly(d(2026, 12, 15), students, [group], {"g.xlsx": group_crm(roles, leads)})
    assert fas1["G1"]["Varningar"] is None  # Fas 1: everyone is a researcher
    fas2, _, _ = nightly(d(2027, 2, 10), students, [group], {"g.xlsx": group_crm(roles, leads)})
    assert fas2["G1"]["Status"] == "OK"
    assert fas2["G1"]["Varningar"] == "0 researchers, ska vara 2-3; 3 projektledare, ska vara en"
    good = {"P": "Projektledare", "R1": "Researcher", "R2": "researcher", "K1": "Kommunikatör", "K2": "Kommunikatör",
            "K3": "Kommunikatör"}
    fine, _, _ = nightly(d(2027, 2, 10), [student(n) for n in good], [group], {"g.xlsx": group_crm(good, leads)})
    assert fine["G1"]["Varningar"] is None
    no_roles = {name: "" for name in good}  # no Roll filled in: nothing to judge
    quiet, _, _ = nightly(d(2027, 2, 10), [student(n) for n in good], [group], {"g.xlsx": group_crm(no_roles, leads)})
    assert quiet["G1"]["Varningar"] is None


# --------------------------------------------------------------------------- 4. live offers
def test_live_offers_are_on_the_dashboard_and_on_placering():
    crms = {"a.xlsx": individual(offers=1, interviews=1, attempt="2027-05-24"),
            "b.xlsx": individual(interviews=1, attempt="2027-05-24"), "c.xlsx": individual(attempt="2027-05-24"),
            "e.xlsx": individual(offers=1, attempt="2027-05-24")}
    students = [student("Ada Ohlin", crm="a.xlsx"), student("Bo Berg", crm="b.xlsx"),
                student("Cia Dahl", crm="c.xlsx"), student("Eva Falk", crm="e.xlsx", lia=d(2027, 5, 20))]
    dashboard, tab, _ = nightly(d(2027, 5, 25), students, crms=crms)
    assert (dashboard["Ada Ohlin"]["Status"], dashboard["Cia Dahl"]["Status"]) == ("OK", "OK")  # a note, not behind
    assert dashboard["Ada Ohlin"]["Levande erbjudanden"] == 2 and dashboard["Cia Dahl"]["Levande erbjudanden"] == 0
    assert dashboard["Ada Ohlin"]["Orsak"] == "levande erbjudande: 1 erbjudande, 1 intervju/arbetsprov"
    assert dashboard["Eva Falk"]["Orsak"] == "LIA registrerad 2027-05-20"  # registered: nothing to follow up
    placering = {row["Namn"]: row for row in tab("Placering")}
    assert (placering["Ada Ohlin"]["Lista"], placering["Ada Ohlin"]["Orsak"]) == (
        "Levande erbjudande", "1 erbjudande, 1 intervju/arbetsprov, ingen LIA registrerad")
    assert placering["Bo Berg"]["Orsak"] == "1 intervju/arbetsprov, ingen LIA registrerad"
    assert "Cia Dahl" not in placering and "Eva Falk" not in placering  # no offer; a LIA registered
    assert list(tab("Placering")[0]) == list(PLACEMENT_HEADERS)
    assert "Levande erbjudanden" in DASHBOARD_HEADERS
    # past the hard deadline the offer is said on the placement row
    _, tab, _ = nightly(d(2027, 10, 3), students, crms=crms)
    ada = next(row for row in tab("Placering") if row["Namn"] == "Ada Ohlin")
    assert ada["Lista"] == "Placering"
    assert ada["Orsak"].endswith("levande erbjudande: 1 erbjudande, 1 intervju/arbetsprov")


# --------------------------------------------------------------------------- 5. Gruppbild
def test_gruppbild_compares_members_within_their_group_and_groups_across_the_cohort():
    groups = [RegisterGroup("Norr", 2, "", "n.xlsx", "n.xlsx", None, None, 2027),
              RegisterGroup("Syd", 3, "", "s.xlsx", "s.xlsx", None, None, 2027)]
    norr = group_crm({"Ada Ohlin": "", "Bo Berg": ""},
                     [("2026-10-01", "Ada Ohlin")] * 9 + [("2026-10-02", "Bo Berg")] * 3,
                     [("2026-10-05", "Ada Ohlin", "L-0"), ("2026-10-06", "Bo Berg", "L-1"),
                      ("2026-10-07", "Bo Berg", "L-2"), ("2026-10-08", "Bo Berg", "L-3")])
    syd = group_crm({"Cia Dahl": "", "Dan Ek": ""}, [("2026-10-01", "Cia Dahl")] * 4)
    students = [student("Ada Ohlin", "Norr"), student("Bo Berg", "Norr", Commitmentavtal=""),
                student("Cia Dahl", "Syd"), student("Dan Ek", "Syd")]
    _, tab, _ = nightly(d(2026, 11, 10), students, groups, {"n.xlsx": norr, "s.xlsx": syd})
    rows = {(row["Grupp"], row["Namn"]): row for row in tab("Gruppbild")}
    assert list(next(iter(rows.values()))) == list(GROUP_PICTURE_HEADERS)
    # groups: Norr 12 of the cohort's 16 leads, 4 of its 4 attempts; against the average group (8 leads, 2 attempts)
    n = rows[("Norr", "Norr")]
    assert (n["Typ"], n["Leads tillagda"], n["Försök"], n["Bearbetade"]) == ("Grupp", 12, 4, 4)
    assert (n["Andel input"], n["Andel output"], n["Input mot snitt"], n["Output mot snitt"]) == (0.75, 1.0, 1.5, 2.0)
    assert rows[("Syd", "Syd")]["Andel input"] == 0.25 and rows[("Syd", "Syd")]["Output mot snitt"] == 0.0
    # members: Ada adds 9 of Norr's 12 and makes 1 of its 4 attempts; the cohort's average member adds 4
    ada, bo = rows[("Norr", "Ada Ohlin")], rows[("Norr", "Bo Berg")]
    assert (ada["Typ"], ada["Medlem"], ada["Commitmentavtal"]) == ("Medlem", "Ja", "Ja")
    assert (ada["Leads tillagda"], ada["Försök"], ada["Bearbetade"]) == (9, 1, 1)
    assert (ada["Andel input"], ada["Andel output"], ada["Input mot snitt"], ada["Output mot snitt"]) == (
        0.75, 0.25, 2.25, 1.0)
    assert (bo["Commitmentavtal"], bo["Bearbetade"], bo["Andel output"]) == ("Nej", 3, 0.75)
    assert rows[("Syd", "Dan Ek")]["Leads tillagda"] == 0 and rows[("Syd", "Dan Ek")]["Andel input"] == 0.0
    # the LIA search begun, there is no one to regroup
    _, tab, _ = nightly(d(2027, 4, 2), students, groups, {"n.xlsx": norr, "s.xlsx": syd})
    assert tab("Gruppbild") == []


# --------------------------------------------------------------------------- 6. Dialoger
def test_dialoger_lists_each_groups_open_dialogues_with_contact_details_masked():
    groups = [RegisterGroup("Norr", 2, "", "n.xlsx", "n.xlsx", None, None, 2027),
              RegisterGroup("Syd", 3, "", "s.xlsx", "s.xlsx", None, None, 2027)]
    norr = group_crm({}, [("2026-10-01", "A")] * 30, dialogues=[
        ["Volvo", "Eva Lund", "Dialog", "2026-11-05", "Ada Ohlin"],
        ["Saab", "per.holm@saab.se", "Möte bokat", "", "Bo Berg"]])
    syd = group_crm({}, [("2026-10-01", "A")] * 30, dialogues=[["Ikea", "Lisa Ek", "Ja", "2026-11-01", "Cia Dahl"]])
    _, tab, report = nightly(d(2026, 11, 10), [], groups, {"n.xlsx": norr, "s.xlsx": syd})
    rows = tab("Dialoger")
    fields = ("Grupp", "Företag", "Kontaktperson", "Status", "Senaste kontakt", "Av")
    assert [tuple(r[f] for f in fields) for r in rows] == [
        ("Norr", "Saab", "p***@saab.se", "Möte bokat", None, "Bo Berg"),  # never contacted: first
        ("Norr", "Volvo", "Eva Lund", "Dialog", d(2026, 11, 5), "Ada Ohlin"),
        ("Syd", "Ikea", "Lisa Ek", "Ja", d(2026, 11, 1), "Cia Dahl")]
    assert report.to_dict()["dialogues"][0]["company"] == "Saab"
