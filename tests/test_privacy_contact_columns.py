"""A contact column's value is masked whatever its shape; free text knows more spellings.

Excel, LibreOffice and Google Sheets store `0701234567` typed in a General cell as the number
701234567: the column says it is a phone number even when its shape does not."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner

from chas_sheets import i18n
from chas_sheets.cli import cli
from chas_sheets.privacy import mask_output, mask_text, shown

TODAY = "2027-05-12"


@pytest.mark.parametrize("value", [701234567, 46701234567, 46701234567.0, "46 70 123 45 67", "Tel0701234567",
                                   "701234567", "tel: 070 123 45 67 (växel)"])
def test_a_phone_column_is_masked_whatever_its_shape(value):
    masked = shown("Telefon", value)
    digits = "".join(ch for ch in str(value).removesuffix(".0") if ch.isdigit())
    assert digits not in "".join(ch for ch in masked if ch.isdigit())
    assert "*" in masked
    assert shown("Telefon", masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize("column, value, hidden", [
    ("E-post", "anna.svensson", "anna.svensson"),  # no @: still the person's
    ("E-post", "anna.svensson@volvocars.com", "anna.svensson"),
    ("LinkedIn", "anna-svensson-123", "anna-svensson"),
    ("LinkedIn", "https://www.linkedin.com/profile/view?id=AAAA123456", "AAAA123456"),
])
def test_e_mail_and_linkedin_columns_are_masked_whatever_their_shape(column, value, hidden):
    assert hidden not in shown(column, value)


def test_a_checkbox_named_linkedin_is_not_personal():
    assert shown("LinkedIn", True) == "True"


@pytest.mark.parametrize("typed, gone", [
    ("Ring 46 70 123 45 67 i morgon", "123 45"),
    ("Tel0701234567", "1234"),
    ("ring mobil:0701234567", "1234"),
    ("hennes nummer 46701234567", "1234"),
    ("701234567 (sparat som tal)", "1234"),
    ("profil: https://www.linkedin.com/profile/view?id=AAAA123456&trk=x", "AAAA123456"),
    ("https://lnkd.in/dXyZ12ab", "dXyZ12ab"),
])
def test_free_text_masks_more_spellings(typed, gone):
    masked = mask_output(typed)
    assert gone not in masked
    assert mask_output(masked) == masked


@pytest.mark.parametrize("kept", ["556677-8899", "Org.nr 556677-8899", "2027-05-12", "12/5 2027", "12.05.2027",
                                  "46 anställda", "4600 kr", "run 20270512-101530-ab12", "7 000 000 kr",
                                  "Telefon 2027-05-12", "rad 701", "?gid=461234567890",
                                  "https://docs.google.com/spreadsheets/d/k/edit#gid=723456789"])
def test_org_numbers_dates_and_amounts_stay(kept):
    assert mask_text(kept) == kept
    assert shown("Org.nr", kept) == kept


def _duplicates(make_crm):
    return make_crm("group", Leads=[
        {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson",
         "Telefon": 701234567, "E-post": "anna@volvocars.com", "Org.nr": "556677-8899", "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 1), "Kommentar": "Ring i maj"},
        {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Anna Svensson",
         "Telefon": 46709876543, "Status": "Dialog", "Tillagd": dt.date(2027, 3, 2)},
    ])


def test_the_merged_comment_names_the_column_not_the_number(make_crm):
    path = _duplicates(make_crm)
    result = CliRunner().invoke(cli, ["--today", TODAY, "dedupe", str(path), "--apply"])
    assert result.exit_code == 0, result.output
    assert "709876543" not in result.output and "701234567" not in result.output
    leads = openpyxl.load_workbook(path)["Leads"]
    header = [c.value for c in leads[1]]
    row = {h: c.value for h, c in zip(header, leads[2])}
    comment = row["Kommentar"]
    # the sheet is Swedish whatever the command line's language; the other number is not copied
    assert comment.splitlines() == ["Ring i maj",
                                    "Dubblett L-BBBBBB: Telefon skiljer sig (se Ändringslogg); Status Dialog"]
    assert "709876543" not in comment
    assert row["Telefon"] == 701234567  # the survivor's own value is left as it is
    log = openpyxl.load_workbook(path)["Ändringslogg"]
    assert any("46709876543" in str(c.value) for r in log.iter_rows() for c in r)  # the removed row, whole


def test_dedupe_json_keeps_org_numbers_and_dates(make_crm):
    path = _duplicates(make_crm)
    result = CliRunner().invoke(cli, ["--today", TODAY, "dedupe", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("\n{") + 1:])  # after the one-line summary
    merged = data["merges"][0]["merged"]
    assert merged["Org.nr"] == "556677-8899" and merged["Tillagd"].startswith("2027-03-01")
    assert "701234567" not in result.output and "709876543" not in result.output


def _check(path, lang="en"):
    i18n.set_language(lang)
    return CliRunner().invoke(cli, ["--today", TODAY, "check", str(path)])


def test_check_warns_about_a_phone_number_stored_as_a_number_without_printing_it(make_crm):
    path = make_crm("student", Leads=[
        {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Telefon": 701234567, "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 1)},
        {"ID": "L-BBBBBB", "Företag": "Scania AB", "Telefon": "070-123 45 67", "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 1)}])
    result = _check(path)
    lines = [line for line in result.output.splitlines() if "stored as a number" in line]
    assert len(lines) == 1, result.output
    assert "row 2" in lines[0] and "[Telefon]" in lines[0] and "Plain text" in lines[0]
    assert "701234567" not in result.output and "1234" not in result.output


def test_check_says_it_in_swedish(make_crm):
    path = make_crm("student", Leads=[{"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Telefon": 46701234567,
                                       "Status": "Ny", "Tillagd": dt.date(2027, 3, 1)}])
    result = _check(path, "sv")
    assert "telefonnummer sparat som tal" in result.output and "Oformaterad text" in result.output
    assert "46701234567" not in result.output
