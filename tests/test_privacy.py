import pytest

from chas_sheets.privacy import mask_email, mask_phone, mask_text, shown


def test_phone_numbers_keep_only_first_three_and_last_two_digits():
    assert mask_phone("070-123 45 67") == "070-*** ** 67"
    assert mask_phone("+46 70 123 45 67") == "+46 7* *** ** 67"
    assert mask_phone("0701234567") == "070*****67"


def test_email_keeps_first_letter_and_domain():
    assert mask_email("anna.svensson@volvocars.com") == "a***@volvocars.com"


def test_free_text_is_masked_but_dates_and_small_numbers_stay():
    text = "Ringde 0701234567 2027-05-03, mejla anna@hm.com. 120 anställda"
    masked = mask_text(text)
    assert "0701234567" not in masked and "anna@" not in masked
    assert "120 anställda" in masked and "a***@hm.com" in masked and "2027-05-03" in masked


def test_shown_masks_only_contact_columns():
    assert shown("Telefon", "0701234567") == "070*****67"
    assert shown("Företag", "0701234567 AB") == "0701234567 AB"
    assert shown("E-post", None) == ""


@pytest.mark.parametrize("typed, masked", [
    ("070.765.43.21", "070.***.**.21"),
    ("070–123 45 67", "070–*** ** 67"),  # an en dash, as a phone's keyboard types it
    ("0046 70 123 45 67", "004* ** *** ** 67"),
    ("(08) 123 45 67", "(08) 1** ** 67"),
    ("+46 (0)8 123 45 67", "+46 (0)* *** ** 67"),
    ("Mobil (22): 0731112233", "Mobil (22): 073*****33"),
    ("070000/0000", "070***/**00"),  # not a date '00/00' inside it
    ("070 12/34 56", "070 **/** 56"),
    ("åsa.öberg@räksmörgås.se", "å***@räksmörgås.se"),
    ("kalle.karlsson@gmailcom", "k***@gmailcom"),
    ("https://www.linkedin.com/in/anna-svensson-123/", "https://www.linkedin.com/in/a***/"),
])
def test_every_common_spelling_is_masked(typed, masked):
    assert mask_text(typed) == masked
    assert mask_text(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize("kept", ["556036-0793", "20270512-101530-ab12", "2027-05-12 10:15:30", "120 anställda",
                                  "L-000150", "0,5 tjänst", "crm@skola.iam.gserviceaccount.com"])
def test_what_is_not_a_persons_contact_stays(kept):
    assert mask_text(kept) == kept


def test_written_output_keeps_its_spaces_and_line_ends():
    from chas_sheets.privacy import mask_output

    assert mask_output("  Ring 0701234567\n") == "  Ring 070*****67\n"


def test_a_number_coloured_word_by_word_is_still_masked():
    """clean-comments colours a diff word by word on a terminal; the codes must not hide a number."""
    from chas_sheets.privacy import mask_output

    red, off = "\x1b[31m", "\x1b[0m"
    coloured = f"Ring {red}070{off} {red}123{off} 45 67 nu"
    masked = mask_output(coloured)
    assert "123" not in masked and masked.count("\x1b[") == 4
    assert masked == f"Ring {red}070{off} {red}***{off} ** 67 nu"


def test_json_escapes_do_not_hide_a_number_or_an_address():
    """In --json a line break is the two characters '\\n': the n must not glue to the number."""
    import json

    from chas_sheets.privacy import mask_output

    text = json.dumps({"Kommentar": "Ring\n0701234567\tanna@acme.se"}, ensure_ascii=False)
    masked = mask_output(text)
    assert json.loads(masked) == {"Kommentar": "Ring\n070*****67\ta***@acme.se"}
    # a message quoting a cell with repr() holds '\\n' as text, which JSON writes as '\\\\n'
    quoted = json.dumps({"message": repr("ring\n0700000000")})
    assert "0700000000" not in mask_output(quoted) and json.loads(mask_output(quoted))


def test_digits_that_look_like_a_date_inside_a_phone_number_are_masked_with_it():
    # Found by tests/test_privacy_boundary.py: '7081-1-7' read as an ISO date split the number.
    from chas_sheets.privacy import mask_text

    assert "7081" not in mask_text("Kontakt 0046 7081-1-7 478 hej")
    assert mask_text("Ringde 2027-05-12 070-812 34 56") == "Ringde 2027-05-12 070-*** ** 56"
