"""`i18n.in_language`: a block worded in one language, the language before it back after it."""

from __future__ import annotations

import pytest

from chas_sheets import i18n
from chas_sheets.errors import InvalidInput
from chas_sheets.programme.calendar import calendar_from_rows


def no_periods() -> str:
    """A real message of the programme package (an error a Kalender with no rows raises)."""
    with pytest.raises(InvalidInput) as raised:
        calendar_from_rows([])
    return str(raised.value)


def test_a_block_is_worded_in_its_language_and_the_reader_s_comes_back():
    assert no_periods() == "Kalender has no periods"  # the tests' language: English
    with i18n.in_language("sv"):
        assert i18n.language() == "sv"
        assert no_periods() == "Kalender har inga perioder"
    assert i18n.language() == "en" and no_periods() == "Kalender has no periods"


def test_the_language_chosen_before_comes_back_also_after_an_error():
    i18n.set_language("sv")
    with pytest.raises(RuntimeError), i18n.in_language("en"):
        assert no_periods() == "Kalender has no periods"
        raise RuntimeError("the block failed")
    assert i18n.language() == "sv" and no_periods() == "Kalender har inga perioder"


def test_blocks_nest():
    with i18n.in_language("sv"):
        with i18n.in_language("en"):
            assert no_periods() == "Kalender has no periods"
        assert no_periods() == "Kalender har inga perioder"


def test_an_unknown_language_is_refused_before_anything_changes():
    with pytest.raises(ValueError, match="unknown language"), i18n.in_language("de"):
        pass  # pragma: no cover - never entered
    assert i18n.language() == "en"
