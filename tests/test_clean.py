"""Comment cleaning: the labelled corpus, splitting and normalising, rules, invariants."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chas_sheets.clean import rules as clean
from chas_sheets.clean.rules import (
    clean_comment,
    default_rules,
    evaluate,
    load_rules,
    split_sentences,
)
from chas_sheets.errors import InvalidInput

CORPUS_PATH = Path(__file__).parent / "data" / "comment_corpus.toml"
CORPUS = tomllib.loads(CORPUS_PATH.read_text(encoding="utf-8"))["comment"]
RULES = default_rules()


def cleaned(text: str) -> str:
    return clean_comment(text, RULES).text


# --- the labelled corpus ---------------------------------------------------------------------


def test_corpus_is_large_and_labelled():
    assert len(CORPUS) >= 60
    assert all("keep" in entry and "drop" in entry for entry in CORPUS)
    assert sum(len(entry["drop"]) for entry in CORPUS) >= 60


@pytest.mark.parametrize("entry", CORPUS, ids=[e["text"][:40] for e in CORPUS])
def test_every_fact_survives(entry):
    result = cleaned(entry["text"])
    lost = [fragment for fragment in entry["keep"] if fragment not in result]
    assert not lost, f"lost {lost} from {entry['text']!r} -> {result!r}"


def test_at_least_ninety_percent_of_speculation_is_removed():
    scores = evaluate(CORPUS, RULES)
    removed = scores.speculation - len(scores.stayed)
    print(f"\nfacts kept: {scores.facts_kept:.1%} of {scores.facts}")
    print(f"speculation removed: {scores.speculation_removed:.1%} ({removed}/{scores.speculation})")
    for text, fragment in scores.stayed:
        print(f"  stayed: {fragment!r} in {text!r}")
    assert scores.lost == ()
    assert scores.speculation_removed >= 0.90, scores.stayed


def test_every_corpus_entry_says_how_its_label_was_written():
    # "original": written with the rules; "audit"/"holdout": see the comment in the corpus.
    assert {entry.get("set", "original") for entry in CORPUS} == {"original", "audit", "holdout"}
    assert sum(entry.get("set") == "holdout" for entry in CORPUS) >= 15


def test_held_out_comments_keep_every_fact_and_lose_most_speculation():
    # A regression guard, no longer a clean out-of-sample figure: "kändes" was added after the
    # first measurement (40.9 % before the audit's tuning, 81.8 % after it, 90.9 % now).
    scores = evaluate([e for e in CORPUS if e.get("set") == "holdout"], RULES)
    assert scores.lost == ()
    assert scores.speculation_removed >= 0.85, scores.stayed


def test_evaluation_counts_lost_facts_and_stayed_speculation():
    entries = [{"text": "Ringde 3/5, tror de är fulla", "keep": ["Ringde 3/5", "fulla"], "drop": ["tror"]}]
    scores = evaluate(entries, RULES)
    assert (scores.facts, scores.speculation) == (2, 1)
    assert scores.lost == (("Ringde 3/5, tror de är fulla", "fulla"),)
    assert scores.stayed == () and scores.facts_kept == 0.5 and scores.speculation_removed == 1.0


# --- examples --------------------------------------------------------------------------------


def test_mixed_sentence_keeps_its_facts_in_order():
    text = "Ringde 12/5 kl 10, tror de söker fler. Möte bokat 3/6!!"
    assert cleaned(text) == "Ringde 12/5 kl 10. Möte bokat 3/6!"


def test_hedge_before_an_event_drops_the_guess():
    assert cleaned("Tror de sa nej") == ""
    assert cleaned("Sa nej, antagligen pga budget.") == "Sa nej."


def test_hard_fact_outweighs_a_hedge_when_the_clause_cannot_be_split():
    # When in doubt a fact is kept, hedge included: cutting "typ" would make a guess a fact.
    assert cleaned("typ 50 anställda") == "typ 50 anställda"


# The audit against seed 002: a guess or an opinion is no fact because it names a role or a
# number; the facts next to them stay.
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Chefen verkar trevlig", ""),
        ("Tror att de har 50 anställda", ""),
        ("Bra ställe!", ""),
        ("Känns nice", ""),
        ("Riktigt bra bolag!! Fint kontor", ""),
        ("VD:n verkar lite otrevlig faktiskt", ""),
        ("Gissar på typ 200 anställda", ""),
        ("De har kanske 15 konsulter, men sa att de inte tar LIA i år", "sa att de inte tar LIA i år"),
        ("HR-chefen verkar supertrevlig! Ringde henne 3/4 kl 14", "Ringde henne 3/4 kl 14"),
        ("Toppen, de har 3 LIA-platser kvar enligt annonsen", "de har 3 LIA-platser kvar enligt annonsen"),
        ("Chefen Anna Svensson ringer tillbaka 12/5", "Chefen Anna Svensson ringer tillbaka 12/5"),
        ("Har 120 anställda i Sverige", "Har 120 anställda i Sverige"),
        ("Har 3 kontor i Sverige, tror jag", "Har 3 kontor i Sverige"),
        ("Bra samtal med Peter idag!", "Bra samtal med Peter idag!"),
    ],
)
def test_guesses_and_opinions_naming_a_role_or_number_go_facts_stay(text, expected):
    assert cleaned(text) == expected


def test_a_role_alone_never_saves_a_guess_but_an_event_after_it_does():
    assert cleaned("Rekryteraren kändes lite stressad") == ""
    assert cleaned("Chefen är trevlig") == ""
    assert cleaned("Chefen sa att de kanske har plats") == "Chefen sa att de kanske har plats"
    assert cleaned("Ringde chefen") == "Ringde chefen"


def test_a_guessed_number_goes_but_an_approximate_one_stays():
    assert cleaned("Tror typ 10 pers jobbar med backend där") == ""
    assert cleaned("typ 50 anställda") == "typ 50 anställda"
    assert cleaned("Ca 40 anställda enligt allabolag, verkar växa snabbt") == "Ca 40 anställda enligt allabolag"


def test_a_dated_who_said_what_keeps_what_was_said_hedge_included():
    # "sa Anna 12/5 kl 10" alone says nothing; what Anna said is the fact, and her "tror" stays
    # with it so that it does not read as certain.
    text = "Tror de ringer tillbaka, sa Anna 12/5 kl 10"
    result = clean_comment(text, RULES)
    assert result.text == text
    assert [(d.keep, d.rule, d.overruled) for d in result.decisions] == [
        (True, "citat", "gissning"), (True, "datum", ""),
    ]
    assert "(outweighs gissning)" in str(result.decisions[0])
    assert cleaned("Kanske 2-3 LIA-platser i höst, enligt Maria (HR) 14/4") == (
        "Kanske 2-3 LIA-platser i höst, enligt Maria (HR) 14/4")
    # Only the clause right before the tail comes back.
    assert cleaned("Verkar chill. Tror de ringer tillbaka, sa Anna 12/5") == "Tror de ringer tillbaka, sa Anna 12/5"


def test_who_said_what_without_a_date_or_about_an_opinion_brings_nothing_back():
    assert cleaned("Tror de ringer tillbaka, sa Anna") == "sa Anna"
    assert cleaned("Supertrevligt ställe, sa Anna 12/5") == "sa Anna 12/5"


def test_explain_says_which_fact_a_guess_overruled():
    decisions = clean_comment("Chefen verkar trevlig. Tror att de har 50 anställda", RULES).decisions
    assert [(d.keep, d.rule, d.overruled) for d in decisions] == [
        (False, "gissning", "roll"), (False, "gissning", "antal"),
    ]
    assert str(decisions[1]).endswith("[gissning: 'Tror att' (outweighs antal)]")


def test_contrast_splits_a_mixed_clause_and_drops_the_leading_conjunction():
    assert cleaned("Verkar chill men sa nej till LIA") == "sa nej till LIA"
    assert cleaned("Mejlade 5/5 men tror de är på semester") == "Mejlade 5/5"


def test_a_guess_carries_over_an_och_clause():
    assert cleaned("Tror att Anna och Erik sa ja") == ""


def test_laughter_and_emoji_are_cut_out_of_kept_clauses():
    assert cleaned("Ringde Anna haha 😂 sa ja :)") == "Ringde Anna sa ja"


def test_bare_question_marks_questions_and_vet_ej_go():
    assert cleaned("???") == ""
    assert cleaned("Har de LIA? Vet ej.") == ""
    assert cleaned("Ringde Anna, har de LIA?") == "Ringde Anna"


def test_bullet_lists_keep_their_markers_and_lose_empty_lines():
    text = "- Ringde 14/5\n\n-  typ hopplöst lol\n* Mejlade anna@x.se"
    assert cleaned(text) == "- Ringde 14/5\n* Mejlade anna@x.se"


def test_normalises_whitespace_and_doubled_punctuation():
    assert cleaned("  Ringde   12/5 ,,  inget svar !!!  ") == "Ringde 12/5, inget svar!"


def test_phone_numbers_keep_their_spacing_as_typed():
    assert cleaned("Tel 070-123  45 67, tror de svarar") == "Tel 070-123  45 67"


def test_urls_emails_and_abbreviations_do_not_split_sentences():
    text = "Se t.ex. www.foretag.se/jobb?id=3. Mejl: a.b@foretag.se, kl. 10 funkar."
    sentences = split_sentences(text, RULES)
    assert [s.terminator for s in sentences] == [".", "."]
    assert sentences[0].clauses == (("Se t.ex. www.foretag.se/jobb?id=3", ""),)


@pytest.mark.parametrize("value", [None, 12, 3.5, ["tror"]])
def test_non_strings_pass_through_unchanged(value):
    result = clean_comment(value, RULES)
    assert result.text is value
    assert not result.changed and result.decisions == ()


def test_clean_text_is_left_exactly_as_it_was():
    text = "Ringde 12/5, inget svar.\n- Möte bokat 3/6 kl 10."
    result = clean_comment(text, RULES)
    assert result.text == text and not result.changed


# --- explain ---------------------------------------------------------------------------------


def rule_names() -> set[str]:
    code_rules = {clean.NO_SPECULATION, clean.BARE_QUESTION_MARK, clean.QUESTION, clean.FOLLOWS_DROPPED}
    return {r.name for r in (*RULES.facts, *RULES.drops, *RULES.strip)} | code_rules


def test_explain_names_the_deciding_rule_for_every_clause():
    result = clean_comment("Ringde Anna (HR) 12/5, tror de är fulla. Skitbra lol", RULES)
    decided = [(d.clause, d.keep, d.rule) for d in result.decisions]
    assert decided == [
        ("Ringde Anna (HR) 12/5", True, "person_med_roll"),
        ("tror de är fulla", False, "gissning"),
        ("Skitbra", False, "åsikt"),
        ("lol", False, "skratt_emoji"),
    ]
    assert str(result.decisions[1]).startswith("drop") and "'tror'" in str(result.decisions[1])


def test_every_corpus_decision_names_a_known_rule():
    names = rule_names()
    for entry in CORPUS:
        for decision in clean_comment(entry["text"], RULES).decisions:
            assert decision.rule in names, decision


# --- rules file ------------------------------------------------------------------------------


def test_packaged_rules_have_facts_drops_and_laughter():
    assert {"datum", "telefon", "händelse"} <= {r.name for r in RULES.facts}
    assert {"gissning", "åsikt"} <= {r.name for r in RULES.drops}
    assert any(r.strip for r in RULES.strip)


def test_beats_weak_and_vouches_for_can_be_tuned_without_code(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[fact]]\nname = "tal"\npatterns = [\'\\d+ st\']\n'
        '[[fact]]\nname = "titel"\nstrength = "weak"\nwords = ["chef"]\n'
        '[[fact]]\nname = "dag"\npatterns = [\'\\d+/\\d+\']\n'
        '[[fact]]\nname = "uppgift"\nstrength = "soft"\nvouches_for = ["gissa"]\npatterns = [\'^sa \\w+\']\n'
        '[[drop]]\nname = "gissa"\nbeats = ["tal"]\nwords = ["tror"]\n'
        '[[drop]]\nname = "tycka"\nwords = ["bra"]\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert clean_comment("tror 5 st", rules).text == ""
    assert clean_comment("chef bra", rules).text == ""
    assert clean_comment("chef", rules).text == "chef"
    assert clean_comment("tror de kommer, sa Anna 3/4", rules).text == "tror de kommer, sa Anna 3/4"


def test_rules_file_can_be_tuned_without_code(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[fact]]\nname = "bokning"\nwords = ["bokat"]\n'
        '[[drop]]\nname = "svammel"\nwords = ["bla bla"]\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    result = clean_comment("Bokat, bla  bla. Tror det", rules)
    assert result.text == "Bokat. Tror det"
    assert [d.rule for d in result.decisions] == ["bokning", "svammel", clean.NO_SPECULATION]


@pytest.mark.parametrize(
    "content, message",
    [
        ("[[drop]]\nname = 'x'\npatterns = ['(']\n", "bad pattern"),
        ("[[drop]\n", "not valid TOML"),
        ("[[fact]]\nwords = ['a']\n", "no name"),
        ("[[fact]]\nname = 'x'\n", "neither words nor patterns"),
        ("[[fact]]\nname = 'x'\nwords = ['a']\nstrength = 'medium'\n", "strength"),
        ("[[fact]]\nname = 'x'\nwords = ['a']\n[[drop]]\nname = 'y'\nwords = ['b']\nbeats = ['antl']\n",
         "beats names no \\[\\[fact\\]\\] group: antl"),
        ("[[fact]]\nname = 'x'\nwords = ['a']\nvouches_for = ['gisning']\n[[drop]]\nname = 'y'\nwords = ['b']\n",
         "vouches_for names no \\[\\[drop\\]\\] group: gisning"),
    ],
)
def test_broken_rules_files_fail_in_one_line(tmp_path, content, message):
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_rules(path)


def test_missing_rules_file_is_an_input_error(tmp_path):
    with pytest.raises(InvalidInput, match="cannot read"):
        load_rules(tmp_path / "nope.toml")


# --- invariants ------------------------------------------------------------------------------

FRAGMENTS = [
    "Ringde 12/5 kl 10", "pratade med Anna (HR)", "070-123 45 67", "mejlade", "www.x.se/a?b=1",
    "120 anställda", "sa nej", "möte bokat", "2027-03-04", "CTO", "tror", "kanske", "verkar chill",
    "typ", "haha", "😂", "lol", "vet ej", "Sara tycker vi ska", "skitbra", "t.ex.", "kl.", "nog",
    "sa Anna 12/5", "enligt Maria (HR)", "Chefen", "Bra ställe", "50 anställda",
]
SEPARATORS = [", ", ". ", "! ", "? ", "?", "\n", "\n- ", "; ", " men ", " och ", "  ", "...", "!!", " - ", " ", ""]
comments = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS + SEPARATORS), max_size=14).map("".join),
    st.text(alphabet="ab AÖ.,;:!?-–\n\t()/@😂0", max_size=40),
    st.text(max_size=40),
)


def without_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def subsequence_end(short: str, long: str, start: int = 0) -> int:
    "Where the earliest match of `short` as a subsequence of long[start:] ends, or -1."
    position = start
    for ch in short:
        position = long.find(ch, position)
        if position < 0:
            return -1
        position += 1
    return position


@settings(max_examples=200, deadline=None)
@given(comments)
def test_cleaning_never_adds_or_reorders_text(text):
    result = cleaned(text)
    assert subsequence_end(without_whitespace(result), without_whitespace(text)) >= 0


@settings(max_examples=200, deadline=None)
@given(comments)
def test_kept_clauses_stay_in_their_original_order(text):
    position, source = 0, without_whitespace(text)
    for decision in clean_comment(text, RULES).decisions:
        if decision.keep:
            # Laughter and emoji may have been cut out of a kept clause: a subsequence, in order.
            position = subsequence_end(without_whitespace(decision.clause), source, position)
            assert position >= 0, (decision.clause, text)


@settings(max_examples=200, deadline=None)
@given(comments)
def test_cleaning_is_idempotent(text):
    once = cleaned(text)
    assert cleaned(once) == once


def test_what_a_contact_said_is_kept_on_comments_labelled_before_the_rule():
    # tests/data/comment_heldout.toml was labelled before the reported-speech rule was written
    # and never tuned on: 17 of 20 facts survived before the rule, 20 of 20 after.
    heldout = tomllib.loads((CORPUS_PATH.with_name("comment_heldout.toml")).read_text(encoding="utf-8"))["comment"]
    scores = evaluate(heldout, RULES)
    assert scores.lost == ()
    assert scores.speculation_removed >= 0.90, scores.stayed
    kept = clean_comment("Pratade med Per 3/5. Han tror inte att de har budget i år.", RULES).text
    assert "Han tror inte att de har budget i år" in kept
    mine = clean_comment("Ringde 3/5. Jag tror inte att de har budget i år.", RULES).text
    assert "budget" not in mine  # the student's own guess still goes
