"""Attack: contact details that reach the output unmasked.

Excel, LibreOffice and Google Sheets all turn `0701234567` or `+46701234567` typed into a
General cell into the NUMBER 701234567 / 46701234567 (the zero and the plus are gone). Such a
phone number no longer starts with 0 or +, so `privacy._PHONE` does not see a phone number in
it, and the commands print it whole: in `dedupe`'s report, its --json and the merged comment.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli

TODAY = "2027-05-12"
TYPED_IN_EXCEL = [701234567, 46709876543]  # '0701234567' and '+46709876543' as Excel stores them


def _duplicates(make_crm):
    return make_crm(
        "group",
        Leads=[
            {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson",
             "Telefon": TYPED_IN_EXCEL[0], "Status": "Ny", "Tillagd": dt.date(2027, 3, 1)},
            {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Anna Svensson",
             "Telefon": TYPED_IN_EXCEL[1], "Status": "Ny", "Tillagd": dt.date(2027, 3, 2)},
        ],
    )


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_dedupe_masks_a_phone_number_stored_as_a_number(make_crm, as_json):
    path = _duplicates(make_crm)
    args = ["--today", TODAY, "dedupe", str(path)] + (["--json"] if as_json else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for number in TYPED_IN_EXCEL:
        assert str(number) not in result.output
