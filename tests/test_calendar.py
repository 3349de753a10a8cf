import datetime as dt

import pandas as pd
import pytest

from chas_sheets import i18n
from chas_sheets.errors import InvalidInput
from chas_sheets.programme.calendar import (
    Period,
    calendar_from_rows,
    cohort_year_for,
    company_goal,
    default_calendar,
    describe_deadline,
    group_goal,
    next_deadline,
    parse_date,
    period_on,
)

D = dt.date


@pytest.fixture
def swedish():
    """The deadlines' names as the sheets (Att göra, Dashboard) show them."""
    i18n.set_language("sv")


CAL_2026 = default_calendar(2026)


def name_on(day, calendar=CAL_2026):
    period = period_on(day, calendar)
    return period.name if period else None


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2025, 8, 31), None),
        (D(2025, 9, 1), "Fas 1"),
        (D(2025, 11, 30), "Fas 1"),
        (D(2025, 12, 1), "Fas 1, efter Big Bang Day"),
        (D(2025, 12, 31), "Fas 1, efter Big Bang Day"),
        (D(2026, 1, 1), "Fas 2"),
        (D(2026, 3, 31), "Fas 2"),
        (D(2026, 4, 1), "Sprint 1"),
        (D(2026, 4, 30), "Sprint 1"),
        (D(2026, 5, 1), "Sprint 2"),
        (D(2026, 6, 30), "Sprint 2"),
        (D(2026, 7, 1), "Sprint 3"),
        (D(2026, 7, 31), "Sprint 3"),
        (D(2026, 8, 1), "Sprint 4"),
        (D(2026, 9, 30), "Sprint 4"),
        (D(2026, 10, 1), "Sprint 5"),
        (D(2026, 10, 31), "Sprint 5"),
        (D(2026, 11, 1), None),
    ],
)
def test_default_calendar_boundaries(day, expected):
    assert name_on(day) == expected


def test_default_calendar_has_no_gaps_or_overlaps():
    for before, after in zip(CAL_2026, CAL_2026[1:]):
        assert after.start == before.end + dt.timedelta(days=1), (before.name, after.name)


def test_group_big_bang_day_moves_the_fas_1_split():
    cal = default_calendar(2026, big_bang_day=D(2025, 11, 14))
    assert name_on(D(2025, 11, 13), cal) == "Fas 1"
    assert name_on(D(2025, 11, 14), cal) == "Fas 1, efter Big Bang Day"
    assert name_on(D(2026, 1, 1), cal) == "Fas 2"


def test_big_bang_day_in_january_extends_fas_1():
    cal = default_calendar(2026, big_bang_day=D(2026, 1, 16))
    assert name_on(D(2026, 1, 15), cal) == "Fas 1"
    assert name_on(D(2026, 1, 16), cal) == "Fas 1, efter Big Bang Day"
    assert name_on(D(2026, 1, 17), cal) == "Fas 2"


@pytest.mark.parametrize("bbd", [D(2025, 9, 1), D(2026, 3, 31), D(2026, 5, 1)])
def test_big_bang_day_outside_the_phases_is_refused(bbd):
    with pytest.raises(InvalidInput, match="Big Bang Day"):
        default_calendar(2026, big_bang_day=bbd)


@pytest.mark.parametrize(
    "day, cohort",
    [(D(2025, 8, 31), 2025), (D(2025, 9, 30), 2025), (D(2025, 10, 31), 2025),
     (D(2025, 11, 1), 2026), (D(2025, 12, 31), 2026), (D(2026, 1, 1), 2026), (D(2026, 4, 1), 2026)],
)
def test_cohort_year_for(day, cohort):
    assert cohort_year_for(day) == cohort
    assert period_on(day, default_calendar(cohort)) is not None  # the day lies in that cohort's calendar


@pytest.mark.parametrize(
    "day, name, when, days",
    [
        (D(2026, 1, 10), "Mål: 50 företag", D(2026, 4, 30), 110),
        (D(2026, 4, 30), "Mål: 50 företag", D(2026, 4, 30), 0),
        (D(2026, 5, 1), "Soft deadline: LIA registrerad", D(2026, 6, 30), 60),
        (D(2026, 6, 30), "Soft deadline: LIA registrerad", D(2026, 6, 30), 0),
        (D(2026, 7, 1), "Hard deadline: LIA registrerad", D(2026, 9, 30), 91),
        (D(2026, 9, 30), "Hard deadline: LIA registrerad", D(2026, 9, 30), 0),
        (D(2026, 11, 1), "Mål: 50 företag", D(2027, 4, 30), 180),  # the next cohort's Fas 1
    ],
)
def test_next_deadline(swedish, day, name, when, days):
    deadline = next_deadline(day)
    assert (deadline.name, deadline.date, deadline.days_left, deadline.passed) == (name, when, days, False)
    assert deadline.days_left == (deadline.date - day).days


@pytest.mark.parametrize("day", [D(2026, 10, 1), D(2026, 10, 31)])
def test_after_the_hard_deadline_it_has_passed_not_the_next_cohorts_goal(swedish, day):
    deadline = next_deadline(day)
    assert (deadline.name, deadline.date, deadline.passed) == ("Hard Deadline passerad", D(2026, 9, 30), True)
    assert deadline.days_left == -(day - D(2026, 9, 30)).days
    assert describe_deadline(deadline).startswith("deadline: Hard Deadline passerad 2026-09-30 (")


@pytest.mark.parametrize(
    "day, bbd, name, when",
    [
        (D(2026, 11, 15), None, "Big Bang Day: minst 30 leads", D(2026, 12, 1)),
        (D(2026, 11, 30), None, "Big Bang Day: minst 30 leads", D(2026, 12, 1)),
        (D(2026, 12, 1), None, "Fas 1 slutar: gruppens delmål", D(2026, 12, 31)),  # the 30 were due before
        (D(2026, 12, 5), D(2026, 12, 8), "Big Bang Day: minst 30 leads", D(2026, 12, 8)),
        (D(2027, 1, 10), D(2027, 1, 15), "Big Bang Day: minst 30 leads", D(2027, 1, 15)),  # a January BBD
        (D(2027, 1, 15), D(2027, 1, 15), "Fas 1 slutar: gruppens delmål", D(2027, 1, 15)),  # ends Fas 1 that day
        (D(2027, 1, 1), None, "Fas 2 slutar: gruppfasen avslutad", D(2027, 3, 31)),
        (D(2027, 3, 31), None, "Fas 2 slutar: gruppfasen avslutad", D(2027, 3, 31)),
    ],
)
def test_a_groups_deadlines_are_its_big_bang_day_then_the_end_of_its_phase(swedish, day, bbd, name, when):
    deadline = next_deadline(day, "group", big_bang_day=bbd)
    assert (deadline.name, deadline.date, deadline.days_left, deadline.passed) == (name, when, (when - day).days, False)


def test_after_fas_2_the_group_phase_is_over(swedish):
    deadline = next_deadline(D(2027, 4, 1), "group")
    assert (deadline.name, deadline.date, deadline.passed) == ("Gruppfasen avslutad", D(2027, 3, 31), True)


def test_deadlines_follow_a_kalender_tab(swedish):
    kalender = [Period("Sprint 1", D(2027, 4, 8), D(2027, 5, 7)), Period("Sprint 4", D(2027, 8, 1), D(2027, 9, 20))]
    assert next_deadline(D(2027, 5, 1), periods=kalender).date == D(2027, 5, 7)
    assert next_deadline(D(2027, 9, 21), periods=kalender)[:2] == ("Hard Deadline passerad", D(2027, 9, 20))
    # a sprint the tab lacks keeps its default date
    assert next_deadline(D(2027, 5, 8), periods=kalender).date == D(2027, 6, 30)


def test_individual_goal_is_50_companies():
    assert company_goal("individual", D(2026, 4, 15)) == 50


def test_group_goal_before_and_after_its_big_bang_day():
    bbd = D(2025, 11, 20)
    assert company_goal("group", D(2025, 11, 19), big_bang_day=bbd, delmal=45) == 30
    assert company_goal("group", D(2025, 11, 20), big_bang_day=bbd, delmal=45) == 45
    assert company_goal("group", D(2025, 11, 21), big_bang_day=bbd, delmal="60") == 60
    assert company_goal("group", D(2025, 11, 21), big_bang_day=bbd, delmal=None) == 30


def test_group_goal_uses_the_cohort_default_big_bang_day():
    assert company_goal("group", D(2025, 11, 30), delmal=40) == 30
    assert company_goal("group", D(2025, 12, 1), delmal=40) == 40


def test_group_goal_counts_every_lead_before_big_bang_day_then_only_those_added_since():
    bbd = D(2026, 12, 8)
    added = [D(2026, 10, 1)] * 30 + [D(2026, 12, 7), bbd, D(2026, 12, 20), D(2027, 2, 1), None]
    before = group_goal(D(2026, 12, 7), bbd, delmal=20)
    assert (before.target, before.since, before.count(added)) == (30, None, len(added))
    after = group_goal(bbd, bbd, delmal=20)
    assert (after.target, after.since) == (20, bbd)
    assert after.count(added) == 3  # from the day itself; the undated lead counts as older
    unset = group_goal(bbd, bbd)  # no Delmål: 30 leads in all still holds
    assert (unset.target, unset.since, unset.count(added)) == (30, None, len(added))


@pytest.mark.parametrize("bad", ["många", -5, 2.5, True])
def test_group_goal_rejects_a_bad_delmal(bad):
    with pytest.raises(InvalidInput, match="Delmål"):
        company_goal("group", D(2025, 12, 5), big_bang_day=D(2025, 12, 1), delmal=bad)


def test_unknown_kind_is_refused():
    with pytest.raises(InvalidInput, match="kind"):
        company_goal("klass", D(2025, 12, 5))


def test_calendar_from_rows_accepts_date_objects_iso_and_swedish_text():
    rows = [
        {"Period": "Sprint 1", "Start": D(2026, 4, 1), "Slut": "2026-04-30", "Fokus": "Research", "Mål": "50 företag"},
        {" period ": "Sprint 2", "START": dt.datetime(2026, 5, 1), "slut": "30/6/2026", "Fokus": None, "Mal": ""},
        {"Period": "", "Start": "", "Slut": None},  # a blank row
        {"Period": "Sprint 3", "Start": "1/7-26", "Slut": "31 juli 2026", "Övrigt": "kept out"},
    ]
    assert calendar_from_rows(rows) == [
        Period("Sprint 1", D(2026, 4, 1), D(2026, 4, 30), "Research", "50 företag"),
        Period("Sprint 2", D(2026, 5, 1), D(2026, 6, 30), "", ""),
        Period("Sprint 3", D(2026, 7, 1), D(2026, 7, 31), "", ""),
    ]


@pytest.mark.parametrize(
    "row, message",
    [
        ({"Period": "Sprint 1", "Start": "1/4/2026", "Slut": "32/4/2026"}, r"row 3 \(Sprint 1\): Slut '32/4/2026' is not a date"),
        ({"Period": "Sprint 1", "Start": "1/4", "Slut": "30/4/2026"}, r"row 3 \(Sprint 1\): Start '1/4' is not a date"),
        ({"Period": "", "Start": "1/4/2026", "Slut": "30/4/2026"}, r"row 3: 'Period' is empty"),
        ({"Period": "Sprint 1", "Start": "1/4/2026"}, r"row 3: 'Slut' is empty"),
        ({"Period": "Sprint 1", "Start": "30/4/2026", "Slut": "1/4/2026"}, r"row 3 \(Sprint 1\): Slut 2026-04-01 is before Start"),
    ],
)
def test_calendar_from_rows_names_the_bad_row(row, message):
    good = {"Period": "Fas 2", "Start": "2026-01-01", "Slut": "2026-03-31"}
    with pytest.raises(InvalidInput, match=message):
        calendar_from_rows([good, row])


def test_calendar_from_rows_needs_a_period():
    with pytest.raises(InvalidInput, match="no periods"):
        calendar_from_rows([{"Period": None, "Start": None, "Slut": None}])


def test_period_on_prefers_the_most_specific_overlapping_period():
    cal = [Period("Sprint 2", D(2026, 5, 1), D(2026, 6, 30)), Period("Workshopvecka", D(2026, 5, 4), D(2026, 5, 8))]
    assert period_on(D(2026, 5, 5), cal).name == "Workshopvecka"
    assert period_on(D(2026, 5, 9), cal).name == "Sprint 2"


@pytest.mark.parametrize(
    "value, expected",
    [
        (D(2025, 5, 3), D(2025, 5, 3)),
        (dt.datetime(2025, 5, 3, 14, 30), D(2025, 5, 3)),
        (45780, D(2025, 5, 3)),  # a spreadsheet serial day
        (45780.6, D(2025, 5, 3)),
        ("2025-05-03", D(2025, 5, 3)),
        ("2025-05-03 14:30", D(2025, 5, 3)),
        ("3/5/2025", D(2025, 5, 3)),
        ("3/5-25", D(2025, 5, 3)),
        ("3 maj 2025", D(2025, 5, 3)),
        ("3/5", None),  # no year and no today
        ("31/2/2025", None),
        ("2025-13-01", None),
        ("imorgon", None),
        ("", None),
        (None, None),
        (12, None),  # too small to be a serial day
        (float("nan"), None),
        (pd.NaT, None),
        (pd.Timestamp("2025-05-03 08:00"), D(2025, 5, 3)),
        (True, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "text, today, expected",
    [
        ("3/5", D(2025, 5, 10), D(2025, 5, 3)),
        ("15/5", D(2025, 5, 10), D(2025, 5, 15)),  # within the 7-day margin
        ("20/5", D(2025, 5, 10), D(2024, 5, 20)),  # beyond it: last year
        ("28/12", D(2026, 1, 5), D(2025, 12, 28)),
        ("3 jan", D(2025, 12, 28), D(2026, 1, 3)),  # across New Year, inside the margin
        ("29/2", D(2025, 3, 10), D(2024, 2, 29)),
    ],
)
def test_parse_date_yearless_takes_the_most_recent_year(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("måndag 12/5", D(2027, 5, 12)),
        ("Mån 12/5", D(2027, 5, 12)),
        ("onsdag, 12/5", D(2027, 5, 12)),
        ("12/5 kl 10", D(2027, 5, 12)),
        ("12/5 kl. 10.30", D(2027, 5, 12)),
        ("12/5, klockan 9", D(2027, 5, 12)),
        ("12/5 10:30", D(2027, 5, 12)),
        ("den 12 maj", D(2027, 5, 12)),
        ("12:e maj", D(2027, 5, 12)),
        ("1:a maj", D(2027, 5, 1)),
        ("Tisdag den 11:e maj kl 14", D(2027, 5, 11)),
        ("12-05-2027", D(2027, 5, 12)),
        ("3-5-2026", D(2026, 5, 3)),  # day first, as Swedes write it
        ("fredag 3 maj 2026", D(2026, 5, 3)),
        ("2027-05-12 kl 10", D(2027, 5, 12)),
    ],
)
def test_common_swedish_spellings_around_a_date_are_read(text, expected):
    assert parse_date(text, D(2027, 5, 12)) == expected


@pytest.mark.parametrize("text", ["måndag", "kl 10", "den 12", "12:e", "12-05", "31-04-2027", "12/5 kl 25x",
                                  "ring 12/5", "12/5 eller 13/5"])
def test_what_is_still_not_a_date(text):
    assert parse_date(text, D(2027, 5, 12)) is None


def test_29_february_is_never_moved_to_a_year_that_has_one_further_back():
    assert parse_date("29/2", D(2027, 5, 12)) is None  # not 2024-02-29: a call three years old
    assert parse_date("29 feb", D(2026, 3, 1)) is None
    assert parse_date("29/2", D(2028, 3, 1)) == D(2028, 2, 29)
    assert parse_date("29/2 2027", D(2027, 5, 12)) is None


def test_the_spellings_listed_are_read():
    from chas_sheets.programme.calendar import DATE_SPELLINGS

    listed = DATE_SPELLINGS.split(" (")[0].replace(" or ", ", ").split(", ")
    assert len(listed) == 7
    for spelling in listed + ["måndag 12/5 kl 10"]:
        assert parse_date(spelling, D(2027, 5, 12)) == D(2027, 5, 12), spelling
