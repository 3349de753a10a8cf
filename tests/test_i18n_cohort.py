"""The cohort package speaks the reader's language: class-list problems and its errors are
Swedish under `set_language("sv")` and English under "en"."""

from __future__ import annotations

import pytest

from chas_sheets import i18n
from chas_sheets.cohort.roster import parse_roster
from chas_sheets.cohort.run import read_roster
from chas_sheets.errors import SpreadsheetNotFound

HEADER = ["Namn", "E-post", "Grupp"]


@pytest.mark.parametrize("language, expected", [
    ("sv", ["klasslistan rad 3: samma E-post som rad 2; varje studerande behöver en egen adress "
            "(rätta en av raderna)"]),
    ("en", ["class list row 3: the same E-post as row 2; each student needs their own address "
            "(fix one of the two rows)"]),
])
def test_a_class_list_problem_in_each_language(language, expected):
    i18n.set_language(language)
    roster = parse_roster([HEADER, ["Ada Ek", "ada@skolan.se", "G1"], ["Bo Ek", "ADA@skolan.se ", "G1"]], "list.csv")
    assert roster.problems == expected


@pytest.mark.parametrize("language, expected", [
    ("sv", "grupp G1 har 2 studerande (oftast 6-8); kontrollera klasslistan om det inte är meningen"),
    ("en", "group G1 has 2 students (usually 6-8); check the class list if that is not meant"),
])
def test_a_warning_with_a_count_in_each_language(language, expected):
    i18n.set_language(language)
    roster = parse_roster([HEADER, ["Ada Ek", "ada@skolan.se", "G1"], ["Bo Ek", "bo@skolan.se", "G1"]], "list.csv")
    assert roster.warnings == [expected]


@pytest.mark.parametrize("language, expected", [
    ("sv", "ingen sådan klasslista (.csv eller .xlsx)"),
    ("en", "no such class list (.csv or .xlsx)"),
])
def test_a_missing_class_list_in_each_language(tmp_path, language, expected):
    i18n.set_language(language)
    with pytest.raises(SpreadsheetNotFound) as raised:
        read_roster(str(tmp_path / "klass.csv"))
    assert str(raised.value) == f"{tmp_path / 'klass.csv'}: {expected}"
