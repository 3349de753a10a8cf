"""Över­bearbetning: more than 3 individual CRMs, or more than 3 students within 14 days."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from chas_sheets.nightly.overprocessing import Contact, Holding, busiest_window, find_overprocessing

D = dt.date(2027, 5, 1)


def holding(student: str, company: str, n: int = 0, individual: bool = True, **evidence) -> Holding:
    return Holding((student, company, n), student, individual, company, **evidence)


def test_a_company_in_four_individual_crms_is_listed_with_who_holds_it():
    spellings = ["Volvo Personvagnar AB", "VOLVO PERSONVAGNAR AB", "Volvo Personvagnar", "volvo personvagnar ab"]
    holdings = [holding(f"S{i}", name) for i, name in enumerate(spellings)]
    [found] = find_overprocessing(holdings, [])
    assert found.holders == ("S0", "S1", "S2", "S3")
    assert "in 4 individual CRMs" in found.reasons[0]


def test_three_crms_or_group_crms_are_not_over_processing():
    holdings = [holding(f"S{i}", "Spotify AB") for i in range(3)]
    holdings += [holding(f"Grupp {i}", "Spotify AB", individual=False) for i in range(3)]
    assert find_overprocessing(holdings, []) == []


def test_the_company_module_decides_identity_orgnr_and_domain_join_different_names():
    holdings = [
        holding("A", "Volvo Personvagnar AB", orgnr="556074-3089"),
        holding("B", "Volvo Cars", orgnr="5560743089"),
        holding("C", "VCC", website="https://www.volvocars.com/se"),
        holding("D", "Volvo Personvagnar", email="anna@volvocars.com", orgnr="556074-3089"),
        holding("E", "AB Volvo", orgnr="556012-5790"),  # another company: not counted
    ]
    [found] = find_overprocessing(holdings, [])
    assert found.holders == ("A", "B", "C", "D")


def test_four_students_within_fourteen_days_are_listed_with_the_window():
    holdings = [holding(s, "Klarna Bank AB") for s in "ABCD"]
    contacts = [Contact(("A", "Klarna Bank AB", 0), "A", D), Contact(("B", "Klarna Bank AB", 0), "B", D + dt.timedelta(3)),
                Contact(("C", "Klarna Bank AB", 0), "C", D + dt.timedelta(9)),
                Contact(("D", "Klarna Bank AB", 0), "D", D + dt.timedelta(13))]  # the 14th day
    [found] = find_overprocessing(holdings, contacts)
    assert found.contacters == ("A", "B", "C", "D")
    assert found.window == (D, D + dt.timedelta(13))
    assert any("contacted by 4 students" in r for r in found.reasons)


def test_the_fifteenth_day_is_outside_the_window():
    holdings = [holding(s, f"Firma {s}") for s in "ABCD"]  # each holds another company: no CRM rule
    holdings += [holding(s, "Klarna Bank AB", 1, individual=False) for s in "ABCD"]
    contacts = [Contact((s, "Klarna Bank AB", 1), s, D + dt.timedelta(days)) for s, days in
                zip("ABCD", (0, 3, 9, 14))]
    assert find_overprocessing(holdings, contacts) == []


def test_future_and_unknown_contacts_are_left_out():
    holdings = [holding(s, "Tibber", individual=False) for s in "ABCD"]
    contacts = [Contact((s, "Tibber", 0), s, D) for s in "ABC"]
    contacts += [Contact(("D", "Tibber", 0), "D", D + dt.timedelta(2)), Contact(("X", "Nope", 0), "X", D)]
    assert find_overprocessing(holdings, contacts, today=D + dt.timedelta(1)) == []
    assert len(find_overprocessing(holdings, contacts, today=D + dt.timedelta(2))) == 1


def test_one_student_many_contacts_counts_once():
    holdings = [holding("A", "Tibber", individual=False)]
    contacts = [Contact(("A", "Tibber", 0), "A", D + dt.timedelta(i)) for i in range(10)]
    assert find_overprocessing(holdings, contacts) == []


contacts_strategy = st.lists(st.tuples(st.integers(0, 60), st.sampled_from("ABCDEFG")), max_size=30)


@settings(max_examples=150, deadline=None)
@given(contacts_strategy)
def test_busiest_window_is_the_most_people_in_any_fourteen_days(raw):
    contacts = [(D + dt.timedelta(days), who) for days, who in raw]
    people, window = busiest_window(contacts)
    brute = max((len({w for d, w in contacts if 0 <= (d - start).days < 14})
                 for start in (D + dt.timedelta(n) for n in range(-14, 75))), default=0)
    assert len(people) == brute
    if window:
        first, last = window
        assert (last - first).days < 14
        assert people == {w for d, w in contacts if first <= d <= last}
