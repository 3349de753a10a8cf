import pytest

from chas_sheets.errors import MissingColumn, MissingTab
from chas_sheets.sheet.schema import contract, find_header, match_header_row, require_tab


def leads():
    return contract().tab("Leads")


def test_aliases_and_any_order_are_found():
    match = match_header_row(leads(), ["Mejl", "  company ", "TEL", "Org nr", "Anteckningar"])
    assert match.positions["Företag"] == 1
    assert match.positions["E-post"] == 0
    assert match.positions["Telefon"] == 2
    assert match.positions["Org.nr"] == 3
    assert match.positions["Kommentar"] == 4
    assert match.aliases_used["Företag"] == "company"


def test_case_punctuation_and_diacritics_are_forgiven():
    match = match_header_row(leads(), ["FORETAG", "e_post", "kalla", "tillagd-av"])
    assert set(match.positions) == {"Företag", "E-post", "Källa", "Tillagd av"}


def test_unknown_columns_are_kept_as_typed():
    match = match_header_row(leads(), ["Företag", "Prio (egen)", "Prio (egen)"])
    assert match.unknown == ["Prio (egen)", "Prio (egen) "]
    assert match.positions["Prio (egen)"] == 1 and match.positions["Prio (egen) "] == 2


def test_duplicate_known_header_is_reported_and_first_wins():
    match = match_header_row(leads(), ["Företag", "Telefon", "Tel"])
    assert match.positions["Telefon"] == 1
    assert match.duplicates == ["Tel"]


def test_header_below_a_title_row_is_found():
    match = find_header(leads(), [["Annas CRM"], [], ["Företag", "Telefon"], ["Volvo", "070"]])
    assert match.row == 3


def test_missing_required_column_names_tab_column_and_aliases():
    with pytest.raises(MissingColumn) as err:
        find_header(leads(), [["Namn", "Telefon"]], "Leads")
    message = str(err.value)
    assert "'Leads'" in message and "'Företag'" in message
    for alias in ("Company", "Bolag", "Företagsnamn"):
        assert alias in message


def test_missing_tab_names_what_was_tried():
    with pytest.raises(MissingTab) as err:
        require_tab("Kontaktlogg", ["Leads", "Blad1"])
    assert "Kontaktlogg" in str(err.value) and "Blad1" in str(err.value)


def test_tab_titles_match_forgivingly():
    assert require_tab("Ändringslogg", ["leads", "ANDRINGSLOGG"]) == "ANDRINGSLOGG"


def test_vocabulary_values_match_forgivingly():
    status = leads().column("Status")
    assert status.canonical_value("ingen RESPONS") == "Ingen respons"
    assert status.canonical_value("Ja!") == "Ja"
    assert status.canonical_value("kanske") is None


def test_every_tab_of_the_schema_document_is_in_the_contract():
    names = set(contract().tabs)
    assert {"Leads", "Kontaktlogg", "Event", "Medlemmar", "Skörd", "Ändringslogg",
            "Grupper", "Studerande", "Kalender"} <= names
    assert contract().tab("Leads").headers[:3] == ["ID", "Företag", "Org.nr"]


def test_a_missing_tab_error_lists_every_tab_of_the_spreadsheet_not_just_those_read():
    from chas_sheets.sheet.tables import RawWorkbook, load_table

    raw = RawWorkbook(["Leads", "Kontaktlogg", "Medlemmar"], {"Leads": [["Företag"]]})
    with pytest.raises(MissingTab) as err:
        load_table(raw, "Grupper")
    assert "found Leads, Kontaktlogg, Medlemmar" in str(err.value)
