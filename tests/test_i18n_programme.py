"""The programme package speaks the reader's language: its errors, warnings and deadlines are
Swedish under `set_language("sv")` and English under "en"."""

from __future__ import annotations

import datetime as dt

import pytest

from chas_sheets import i18n
from chas_sheets.errors import InvalidInput
from chas_sheets.programme.calendar import calendar_from_rows, describe_deadline, next_deadline
from chas_sheets.programme.replay import hidden_text

BACKWARDS = [{"Period": "Sprint 1", "Start": "2027-04-30", "Slut": "2027-04-01"}]


def kalender_error() -> str:
    with pytest.raises(InvalidInput) as raised:
        calendar_from_rows(BACKWARDS)
    return str(raised.value)


@pytest.mark.parametrize("language, expected", [
    ("sv", "Kalender rad 2 (Sprint 1): Slut 2027-04-01 är före Start 2027-04-30"),
    ("en", "Kalender row 2 (Sprint 1): Slut 2027-04-01 is before Start 2027-04-30"),
])
def test_a_kalender_error_in_each_language(language, expected):
    i18n.set_language(language)
    assert kalender_error() == expected


@pytest.mark.parametrize("language, expected", [
    ("sv", "nästa deadline: Soft deadline: LIA registrerad, 2027-06-30 (49 dagar kvar)"),
    ("en", "next deadline: Soft deadline: LIA registered, 2027-06-30 (49 days)"),
])
def test_the_next_deadline_in_each_language(language, expected):
    i18n.set_language(language)
    assert describe_deadline(next_deadline(dt.date(2027, 5, 12), cohort=2027)) == expected


@pytest.mark.parametrize("language, expected", [
    ("sv", "1 rad i Leads, 3 rader i Kontaktlogg daterade efter 2027-05-12 räknas inte"),
    ("en", "1 Leads row, 3 Kontaktlogg rows dated after 2027-05-12 not counted"),
])
def test_rows_left_out_of_a_replay_in_each_language(language, expected):
    i18n.set_language(language)
    assert hidden_text({"Leads": 1, "Kontaktlogg": 3}, dt.date(2027, 5, 12)) == expected
