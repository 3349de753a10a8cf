import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chas_sheets.processed.rules import (
    CHANNEL_ALIASES,
    OUTCOME_ALIASES,
    Attempt,
    decide,
    next_channel,
    parse_attempt,
    parse_channel,
    parse_log_date,
    parse_outcome,
)
from chas_sheets.text import fold

D = dt.date
TODAY = D(2026, 5, 20)


def log(*rows):
    """('3/5', 'Telefon', 'Inget svar'), ... -> Attempts numbered as sheet rows 2, 3, ..."""
    attempts = []
    for number, (day, channel, outcome) in enumerate(rows, start=2):
        attempt, warnings = parse_attempt(day, channel, outcome, number, TODAY)
        assert attempt is not None and not warnings, warnings
        attempts.append(attempt)
    return attempts


# ------------------------------------------------------------------ the rule, branch by branch

def test_three_unanswered_make_ingen_respons_on_the_third():
    decision = decide(log(("3/5", "Telefon", "Inget svar"), ("6/5", "Mejl", "Inget svar"), ("12/5", "LinkedIn", "Inget svar")))
    assert (decision.status, decision.processed_date, decision.processed) == ("Ingen respons", D(2026, 5, 12), True)
    assert decision.reason == "3 unanswered: 3/5 Telefon, 6/5 Mejl, 12/5 LinkedIn"


def test_the_third_unanswered_decides_the_date_even_with_a_fourth():
    attempts = log(*[(f"{day}/5", "Telefon", "Inget svar") for day in (1, 2, 3, 4)])
    assert decide(attempts).processed_date == D(2026, 5, 3)


def test_out_of_order_dates_are_read_in_date_order():
    # sheet order: Svar last in the sheet but first in time, so three unanswered follow it
    decision = decide(log(
        ("12/5", "LinkedIn", "Inget svar"),
        ("6/5", "Mejl", "Inget svar"),
        ("9/5", "Telefon", "Inget svar"),
        ("1/5", "Telefon", "Svar"),
    ))
    assert decision.status == "Ingen respons"
    assert decision.processed_date == D(2026, 5, 12)
    assert decision.reason == "3 unanswered since Svar 1/5 Telefon: 6/5 Mejl, 9/5 Telefon, 12/5 LinkedIn"


def test_an_answer_resets_the_unanswered_count():
    decision = decide(log(
        ("1/5", "Telefon", "Inget svar"),
        ("2/5", "Telefon", "Inget svar"),
        ("5/5", "Mejl", "Svar"),
        ("8/5", "Telefon", "Inget svar"),
        ("9/5", "Telefon", "Inget svar"),
    ))
    assert (decision.status, decision.processed_date, decision.processed) == ("Dialog", None, False)
    assert decision.reason == "Svar: 5/5 Mejl; then 2 unanswered: 8/5 Telefon, 9/5 Telefon"


def test_one_or_two_unanswered_make_kontaktad():
    one = decide(log(("3/5", "Telefon", "Inget svar")))
    two = decide(log(("3/5", "Telefon", "Inget svar"), ("4/5", "Mejl", "inget svar")))
    assert (one.status, one.processed, one.reason) == ("Kontaktad", False, "1 unanswered: 3/5 Telefon")
    assert (two.status, two.processed_date) == ("Kontaktad", None)


def test_latest_ja_or_nej_decides_ja_after_nej():
    decision = decide(log(("3/5", "Telefon", "Nej"), ("10/5", "Mejl", "Ja"), ("11/5", "Telefon", "Inget svar")))
    assert (decision.status, decision.processed_date, decision.reason) == ("Ja", D(2026, 5, 10), "Ja: 10/5 Mejl")


def test_latest_ja_or_nej_decides_nej_after_ja_out_of_sheet_order():
    decision = decide(log(("10/5", "Mejl", "Nej"), ("3/5", "Telefon", "Ja")))
    assert (decision.status, decision.processed_date) == ("Nej", D(2026, 5, 10))


def test_same_day_ties_keep_sheet_order():
    assert decide(log(("3/5", "Telefon", "Nej"), ("3/5", "Mejl", "Ja"))).status == "Ja"
    assert decide(log(("3/5", "Mejl", "Ja"), ("3/5", "Telefon", "Nej"))).status == "Nej"


@pytest.mark.parametrize(
    "hand, status, processed",
    [("Ja", "Ja", True), ("nej", "Nej", True), ("Ingen respons", "Ingen respons", True),
     ("Dialog", "Dialog", False), ("Ny", "Ny", False), (None, None, False), ("  ", None, False),
     ("Väntar", "Väntar", False)],
)
def test_hand_set_status_stands_without_log(hand, status, processed):
    decision = decide([], hand)
    assert (decision.status, decision.processed, decision.from_log, decision.processed_date) == (status, processed, False, None)


def test_the_log_overrides_a_hand_set_status():
    decision = decide(log(("3/5", "Telefon", "Inget svar")), hand_status="Ja")
    assert (decision.status, decision.from_log) == ("Kontaktad", True)


# ------------------------------------------------------------------ vocabulary and rows

@pytest.mark.parametrize(
    "value, expected",
    [("Inget svar", "Inget svar"), ("inget svar", "Inget svar"), ("INGET SVAR", "Inget svar"),
     ("Inget svar ännu", "Inget svar"), ("ej svar", "Inget svar"), ("Nej.", "Nej"), (" ja! ", "Ja"),
     ("Svar", "Svar"), ("svarade", "Svar"), ("Nej tack", "Nej"),
     ("Nej, svarade inte", None), ("kanske", None), ("", None), (None, None)],
)
def test_parse_outcome(value, expected):
    assert parse_outcome(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("Telefon", "Telefon"), ("tel", "Telefon"), ("Ringde", "Telefon"), ("mail", "Mejl"),
     ("E-post", "Mejl"), ("LinkedIn-meddelande", "LinkedIn"), ("linkedin", "LinkedIn"),
     ("Besök", "Besök"), ("besok", "Besök"), ("sms", "Annat"), ("brevduva", None)],
)
def test_parse_channel(value, expected):
    assert parse_channel(value) == expected


@pytest.mark.parametrize("aliases", [OUTCOME_ALIASES, CHANNEL_ALIASES])
def test_no_alias_means_two_things(aliases):
    owners = {}
    for canonical, words in aliases.items():
        for word in (canonical, *words):
            assert owners.setdefault(fold(word), canonical) == canonical, word


def test_unknown_outcome_is_a_warning_and_not_counted():
    attempt, warnings = parse_attempt("3/5", "Telefon", "kanske", 7, TODAY)
    assert attempt is None
    assert warnings == ["row 7: Utfall 'kanske' is not one of Inget svar, Svar, Ja, Nej, Möte bokat, Intervju, "
                        "Arbetsprov, Erbjudande; the row is not counted"]


def test_unknown_channel_is_a_warning_but_counts():
    attempt, warnings = parse_attempt("3/5", "brevduva", "Inget svar", 4, TODAY)
    assert attempt == Attempt(D(2026, 5, 3), None, "Inget svar", 4)
    assert warnings == ["row 4: Kanal 'brevduva' is not one of Telefon, Mejl, LinkedIn, Besök, Annat"]
    assert decide([attempt]).reason == "1 unanswered: 3/5 unknown channel"


def test_unparseable_date_is_a_warning_and_not_counted():
    attempt, warnings = parse_attempt("i tisdags", "Telefon", "Nej", 5, TODAY)
    assert attempt is None
    assert warnings == ["row 5: Datum 'i tisdags' is not a date (write 2027-05-12, 12/5, 12/5 2027, 12.05.2027, "
                        "12-05-2027, 12 maj or den 12:e maj (a weekday or kl 10 may stand beside it)); the row is not "
                        "counted"]


def test_29_february_in_a_year_without_one_is_refused_naming_the_row_not_moved_to_another_year():
    attempt, warnings = parse_attempt("29/2", "Telefon", "Nej", 7, D(2027, 5, 12))
    assert attempt is None
    assert len(warnings) == 1 and warnings[0].startswith("row 7: Datum '29/2' is not a date")


def test_the_spellings_are_listed_in_swedish_too():
    from chas_sheets import i18n

    i18n.set_language("sv")
    _, warnings = parse_attempt("i tisdags", "Telefon", "Nej", 5, TODAY)
    assert "12-05-2027, 12 maj eller den 12:e maj (en veckodag eller kl 10 får stå bredvid)" in warnings[0]


def test_empty_outcome_is_not_counted_and_blank_rows_are_silent():
    assert parse_attempt("3/5", "Mejl", "", 6, TODAY) == (None, ["row 6: Utfall is empty; the row is not counted"])
    assert parse_attempt(None, "", "  ", 8, TODAY) == (None, [])
    # blanks as pandas hands them over
    assert parse_attempt(pd.NaT, float("nan"), None, 9, TODAY) == (None, [])
    assert parse_attempt("3/5", float("nan"), "Svar", 10, TODAY) == (
        Attempt(D(2026, 5, 3), None, "Svar", 10), ["row 10: Kanal is empty"])


@pytest.mark.parametrize(
    "value, expected",
    [(D(2026, 5, 3), D(2026, 5, 3)), (dt.datetime(2026, 5, 3, 9, 15), D(2026, 5, 3)),
     ("2026-05-03", D(2026, 5, 3)), ("3/5", D(2026, 5, 3)), ("3/5/2026", D(2026, 5, 3)),
     ("3/5-26", D(2026, 5, 3)), ("25/5", D(2026, 5, 25)), ("30/5", D(2025, 5, 30)),
     (46145, D(2026, 5, 3)), ("snart", None), ("", None)],
)
def test_parse_log_date(value, expected):
    assert parse_log_date(value, TODAY) == expected


# ------------------------------------------------------------------ next channel

@pytest.mark.parametrize(
    "rows, expected",
    [
        ([], "Telefon"),
        ([("3/5", "Telefon", "Inget svar")], "Mejl"),
        ([("3/5", "Mejl", "Inget svar")], "Telefon"),
        ([("3/5", "Telefon", "Inget svar"), ("4/5", "Mejl", "Inget svar")], "LinkedIn"),
        ([("3/5", "Besök", "Inget svar"), ("4/5", "Annat", "Inget svar")], "Telefon"),
        # an answer starts a new round: the phone is worth another try
        ([("1/5", "Telefon", "Inget svar"), ("2/5", "Telefon", "Svar"), ("4/5", "Mejl", "Inget svar")], "Telefon"),
        ([("3/5", "Telefon", "Nej")], None),
        ([(f"{d}/5", "Telefon", "Inget svar") for d in (1, 2, 3)], None),
    ],
)
def test_next_channel(rows, expected):
    assert next_channel(log(*rows)) == expected


# ------------------------------------------------------------------ properties

OUTCOMES = ["Inget svar", "Svar", "Ja", "Nej"]
CHANNELS = ["Telefon", "Mejl", "LinkedIn", "Besök", "Annat", None]
random_log = st.lists(
    st.tuples(st.integers(0, 60), st.sampled_from(CHANNELS), st.sampled_from(OUTCOMES)), max_size=12
).map(lambda rows: [Attempt(D(2026, 4, 1) + dt.timedelta(days=day), ch, out, i) for i, (day, ch, out) in enumerate(rows)])


@settings(max_examples=200, deadline=None)
@given(random_log, st.sampled_from(["Ja", "Nej", "Dialog", None]))
def test_never_processed_without_ja_nej_or_three_unanswered(attempts, hand):
    decision = decide(attempts, hand)
    has_ja_nej = any(a.outcome in ("Ja", "Nej") for a in attempts)
    unanswered = sum(a.outcome == "Inget svar" for a in attempts)
    if attempts and decision.processed:
        assert has_ja_nej or unanswered >= 3
        assert decision.processed_date in {a.date for a in attempts}
    if has_ja_nej:
        answers = sorted((a for a in attempts if a.outcome in ("Ja", "Nej")), key=lambda a: a.date)
        assert decision.status == answers[-1].outcome
        if decision.status == "Nej":
            assert decision.processed_date == answers[-1].date
        else:  # processed on the first yes since the last no
            last_no = max((i for i, a in enumerate(answers) if a.outcome == "Nej"), default=-1)
            assert decision.processed_date == answers[last_no + 1].date
    if not decision.processed:
        assert next_channel(attempts) in ("Telefon", "Mejl", "LinkedIn")


@settings(max_examples=200, deadline=None)
@given(random_log, st.randoms(use_true_random=False))
def test_outcome_does_not_depend_on_row_order_when_dates_differ(attempts, rnd):
    distinct = list({a.date: a for a in attempts}.values())
    shuffled = distinct[:]
    rnd.shuffle(shuffled)
    assert decide(shuffled) == decide(distinct)
    assert next_channel(shuffled) == next_channel(distinct)


def test_three_unanswered_calls_on_one_day_are_one_attempt():
    from chas_sheets.processed.rules import INGEN_RESPONS, KONTAKTAD, Attempt, decide

    day = dt.date(2027, 5, 3)
    same_day = [Attempt(day, "Telefon", "Inget svar", n) for n in (2, 3, 4)]
    decision = decide(same_day)
    assert decision.status == KONTAKTAD and "1 unanswered" in decision.reason
    later = same_day + [Attempt(day + dt.timedelta(days=2), "Mejl", "Inget svar", 5),
                        Attempt(day + dt.timedelta(days=6), "LinkedIn", "Inget svar", 6)]
    closed = decide(later)
    assert closed.status == INGEN_RESPONS and closed.processed_date == day + dt.timedelta(days=6)



def test_a_yes_goes_on_through_the_pipeline_and_keeps_the_day_it_was_processed():
    from chas_sheets.processed.rules import ERBJUDANDE, PROCESSED_STATUSES, parse_outcome

    day = D(2027, 4, 6)
    story = [Attempt(day, "Telefon", "Ja", 2), Attempt(day + dt.timedelta(days=3), "Besök", "Möte bokat", 3),
             Attempt(day + dt.timedelta(days=9), "Besök", "Intervju", 4),
             Attempt(day + dt.timedelta(days=15), "Mejl", "Erbjudande", 5)]
    decision = decide(story)
    assert decision.status == ERBJUDANDE and decision.processed and decision.processed_date == day
    assert ERBJUDANDE in PROCESSED_STATUSES
    closed = decide([*story, Attempt(day + dt.timedelta(days=20), "Mejl", "Nej", 6)])
    assert closed.status == "Nej" and closed.processed_date == day + dt.timedelta(days=20)
    assert [parse_outcome(v) for v in ("möte", "Kodtest", "offer", "INTERVJU")] == [
        "Möte bokat", "Arbetsprov", "Erbjudande", "Intervju"]



def test_a_dotted_swedish_date_is_a_date_but_a_decimal_is_not():
    from chas_sheets.programme.calendar import parse_date

    assert parse_date("12.05.2027") == D(2027, 5, 12) and parse_date("3.1.2027") == D(2027, 1, 3)
    assert parse_date("12.5") is None and parse_date("31.02.2027") is None
    attempt, warnings = parse_attempt("12.05.2027", "Telefon", "Nej", 3, TODAY)
    assert attempt is not None and attempt.date == D(2027, 5, 12) and warnings == []
