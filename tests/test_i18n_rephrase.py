"""A message kept as text in the sheet language, worded again for the reader
(chas_sheets/i18n/rephrase.py): what the nightly does with a failed CRM's error."""

from __future__ import annotations

import pytest

from chas_sheets import i18n
from chas_sheets.i18n import _, ngettext
from chas_sheets.i18n.rephrase import rephrased
from chas_sheets.programme.calendar import parse_kull


def said(lang: str, make) -> str:
    with i18n.in_language(lang):
        return make()


def _kull_error() -> str:
    try:
        parse_kull("nästa år")
    except Exception as exc:  # noqa: BLE001 - whatever it raises, its words are the point
        return str(exc)
    raise AssertionError("parse_kull accepted 'nästa år'")


def test_an_error_raised_in_swedish_reads_in_english():
    swedish, english = said("sv", _kull_error), said("en", _kull_error)
    assert swedish != english  # the check has matter: the two wordings differ
    assert rephrased(swedish, "en", "sv") == english
    assert rephrased(english, "sv", "en") == swedish


def test_a_message_inside_a_message_is_reworded_too():
    def make():
        return _("register {name}: {error}").format(name="register.xlsx", error=_kull_error())

    assert rephrased(said("sv", make), "en", "sv") == said("en", make)
    assert said("en", make).startswith("register register.xlsx: Kull 'nästa år' is not a year")


@pytest.mark.parametrize("n", [1, 3])
def test_a_count_keeps_its_form(n):
    def make():
        return ngettext("{n} CRM", "{n} CRMs", n).format(n=n)

    assert rephrased(said("sv", make), "en", "sv") == said("en", make)


def test_text_no_catalog_message_is_comes_back_as_it_was():
    for text in ("Google svarade 503: Backend Error", "HTTPError: 500 Server Error", "", "Volvo AB"):
        assert rephrased(text, "en", "sv") == text


def test_the_same_language_is_left_alone():
    swedish = said("sv", _kull_error)
    assert rephrased(swedish, "sv", "sv") is swedish


def test_the_message_with_the_most_fixed_text_wins():
    """'{error} (last read {day})' and the error inside it both match the whole line at some
    split; the one that says more decides, and its placeholder is reworded in turn."""
    def make():
        return _("{error} (last read {day})").format(error=_kull_error(), day="2027-05-12")

    assert rephrased(said("sv", make), "en", "sv") == said("en", make)
