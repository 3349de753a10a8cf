"""The nightly's tabs keep each value under its own header: every figure gets a value of its
own here, so a column that drifted (a value under its neighbour's header) shows as a mismatch."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from chas_sheets.nightly.overprocessing import OverprocessedCompany
from chas_sheets.nightly.report import (
    DASHBOARD_HEADERS,
    MEMBER_HEADERS,
    OVERPROCESSING_HEADERS,
    PLACEMENT_HEADERS,
    GroupFigures,
    MemberFigures,
    Milestones,
    NightlyReport,
    PlacementRow,
    StudentFigures,
    laid_out,
)

TODAY = dt.date(2027, 5, 12)
numbers = itertools.count(101)  # every count in the report differs from every other
days = (TODAY - dt.timedelta(days=n) for n in itertools.count(1))  # likewise every date


def group() -> GroupFigures:
    return GroupFigures("G1", "grupper/g1.xlsx", "behind", "12 av 30 leads", "Fas 2", goal=next(numbers),
                        companies=next(numbers), leads=next(numbers), toward_goal=next(numbers), on_track=False,
                        new_leads_7=next(numbers), processed_7=next(numbers), balance_7=next(numbers),
                        events=next(numbers), attempts_7=next(numbers), attempts_28=next(numbers),
                        dialogues=next(numbers), live_offers=next(numbers), duplicates=next(numbers),
                        quality_warnings=next(numbers), last_activity=next(days),
                        warnings=["5 medlemmar, ska vara 6-8", "3 projektledare, ska vara en"])


def student() -> StudentFigures:
    return StudentFigures("Anna Berg", "G1", "anna@chas.se", "studerande/anna.xlsx", "ok", "LIA registrerad",
                          "Sprint 2", goal=next(numbers), lia_company="Saab AB", lia_registered=next(days),
                          placed=next(days), days_to_deadline=next(numbers), has_crm=True,
                          companies=next(numbers), leads=next(numbers), long_recruitment=next(numbers),
                          attempts_7=next(numbers), attempts_28=next(numbers), dialogues=next(numbers),
                          offers=next(numbers), interviews=next(numbers), processed=next(numbers),
                          duplicates=next(numbers), quality_warnings=next(numbers),
                          last_activity=next(days))


@pytest.fixture
def report() -> NightlyReport:
    anna = student()
    company = OverprocessedCompany("556000-0001", "Spotify AB", ("Anna Berg", "Bo Ström"),
                                   ("Anna Berg", "Bo Ström", "Cia Holm"), (next(days), next(days)),
                                   ("3 studerande inom 14 dagar",))
    member = MemberFigures("G1", "Bo Ström", True, next(numbers), next(numbers), next(numbers), next(numbers),
                           phase1={"CV design": "Ja", "LinkedIn": "Klar"})
    dates = Milestones(dt.date(2027, 4, 1), dt.date(2027, 4, 30), dt.date(2027, 6, 30), dt.date(2027, 9, 30))
    return NightlyReport(TODAY, [group()], [anna], [company], [PlacementRow("Risk", anna, "ingen dialog")],
                         [member], dates, phase1_columns=("CV design", "LinkedIn"))


def rows(report: NightlyReport, tab: str) -> list[dict]:
    [found] = [t for t in report.tabs() if t.tab == tab]
    assert all(len(row) == len(found.headers) for row in found.rows)  # a value under every header
    return [dict(zip(found.headers, row)) for row in found.rows]


def test_each_dashboard_column_holds_its_own_figure(report):
    g, s = report.groups[0], report.students[0]
    group_row, student_row = rows(report, "Dashboard")
    assert group_row == {
        "Datum": TODAY, "Typ": "Grupp", "Namn": "G1", "Grupp": "G1", "Status": "Efter", "Orsak": g.reason,
        "Varningar": "5 medlemmar, ska vara 6-8; 3 projektledare, ska vara en",
        "Period": "Fas 2", "Företag": g.companies, "Leads": g.leads, "Mot mål": g.toward_goal, "Mål": g.goal,
        "I fas": "Nej", "Nya leads 7 d": g.new_leads_7, "Bearbetade 7 d": g.processed_7,
        "Balans 7 d": g.balance_7, "Event": g.events, "Långa rekryteringar": None, "Försök 7 d": g.attempts_7,
        "Försök 28 d": g.attempts_28, "Dialoger": g.dialogues,
        "Levande erbjudanden": g.live_offers, "Bearbetade": None, "LIA registrerad": None,
        "Dagar till deadline": None, "Kvalitetsvarningar": g.quality_warnings, "Dubbletter": g.duplicates,
        "Senaste aktivitet": g.last_activity, "CRM": "grupper/g1.xlsx",
    }
    assert student_row == {
        "Datum": TODAY, "Typ": "Studerande", "Namn": "Anna Berg", "Grupp": "G1", "Status": "OK",
        "Orsak": s.reason, "Varningar": None, "Period": "Sprint 2", "Företag": s.companies, "Leads": s.leads,
        "Mot mål": s.companies, "Mål": s.goal, "I fas": "Ja" if s.companies >= s.goal else "Nej",
        "Nya leads 7 d": None, "Bearbetade 7 d": None, "Balans 7 d": None, "Event": None,
        "Långa rekryteringar": s.long_recruitment, "Försök 7 d": s.attempts_7, "Försök 28 d": s.attempts_28,
        "Dialoger": s.dialogues, "Levande erbjudanden": s.offers + s.interviews, "Bearbetade": s.processed,
        "LIA registrerad": s.lia_registered,
        "Dagar till deadline": s.days_to_deadline, "Kvalitetsvarningar": s.quality_warnings,
        "Dubbletter": s.duplicates, "Senaste aktivitet": s.last_activity, "CRM": "studerande/anna.xlsx",
    }
    assert list(group_row) == list(DASHBOARD_HEADERS)  # the sheet contract's column order


def test_each_column_of_the_other_tabs_holds_its_own_figure(report):
    s, c, m = report.students[0], report.overprocessed[0], report.members[0]
    assert rows(report, "Överbearbetning") == [{
        "Datum": TODAY, "Företag": "Spotify AB", "Nyckel": "556000-0001", "Antal CRM": 2,
        "I CRM hos": "Anna Berg, Bo Ström", "Antal kontaktare": 3, "Kontaktad av": "Anna Berg, Bo Ström, Cia Holm",
        "Från": c.window[0], "Till": c.window[1], "Orsak": "3 studerande inom 14 dagar",
    }]
    assert rows(report, "Placering") == [{
        "Datum": TODAY, "Lista": "Risk", "Namn": "Anna Berg", "Grupp": "G1", "E-post": "a***@chas.se",  # masked
        "Orsak": "ingen dialog", "Företag": s.companies, "Dialoger": s.dialogues,
        "Levande erbjudanden": s.offers + s.interviews, "Försök 28 d": s.attempts_28,
        "Senaste aktivitet": s.last_activity, "LIA-företag": "Saab AB", "LIA registrerad": s.lia_registered,
        "Placerad": s.placed,
    }]
    assert rows(report, "Medlemsbidrag") == [{
        "Datum": TODAY, "Grupp": "G1", "Namn": "Bo Ström", "Medlem": "Ja", "Leads tillagda": m.leads_added,
        "Leads tillagda 28 d": m.leads_added_28, "Försök": m.attempts, "Försök 28 d": m.attempts_28,
        "CV design": "Ja", "LinkedIn": "Klar",
    }]
    headers = {t.tab: t.headers for t in report.tabs()}
    assert headers["Överbearbetning"] == OVERPROCESSING_HEADERS and headers["Placering"] == PLACEMENT_HEADERS
    assert headers["Medlemsbidrag"] == (*MEMBER_HEADERS, "CV design", "LinkedIn")


def test_a_row_that_drifted_from_its_headers_is_refused():
    assert laid_out(("Namn", "Medlem"), {"Medlem": True, "Namn": "Bo"}) == ("Bo", "Ja")
    with pytest.raises(ValueError, match=r"no value for \['Medlem'\], no header for \['Medlemmar'\]"):
        laid_out(("Namn", "Medlem"), {"Namn": "Bo", "Medlemmar": True})
    with pytest.raises(ValueError, match=r"no value for \['Medlem'\]"):
        laid_out(("Namn", "Medlem"), {"Namn": "Bo"})
