"""The demo package speaks the reader's language (its one message: a folder that is not empty)."""

from __future__ import annotations

import datetime as dt

import pytest

from chas_sheets import i18n
from chas_sheets.demo.workspace import build_demo
from chas_sheets.errors import InvalidInput


@pytest.mark.parametrize("language, expected", [
    ("sv", "är inte tom; ange en ny mapp så att inget skrivs över"),
    ("en", "is not empty; give a new folder so nothing is overwritten"),
])
def test_a_folder_in_use_in_each_language(tmp_path, language, expected):
    (tmp_path / "mine.txt").write_text("a person's file")
    i18n.set_language(language)
    with pytest.raises(InvalidInput) as raised:
        build_demo(tmp_path, dt.date(2027, 5, 12))
    assert str(raised.value) == f"{tmp_path} {expected}"
    assert (tmp_path / "mine.txt").read_text() == "a person's file"
