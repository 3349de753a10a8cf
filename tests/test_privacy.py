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
