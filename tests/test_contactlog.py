"""Linking Kontaktlogg rows to leads (chas_sheets.processed.contactlog) on tiny inline tables.

`crm_tables` is shared with test_mark_processed and test_status (imported from here).
"""

import datetime as dt

import pytest

from chas_sheets.processed.contactlog import BY_COMPANY, BY_LEAD_ID, BY_PERSON, UNMATCHED, link_log, same_person
from chas_sheets.sheet.tables import RawWorkbook, load_tables

TODAY = dt.date(2026, 5, 20)
LEAD_HEADERS = ["ID", "Företag", "Kontaktperson", "Telefon", "E-post", "Status", "Bearbetad"]
LOG_HEADERS = ["ID", "Datum", "Företag", "Kontaktperson", "Lead-ID", "Kanal", "Utfall"]


def lead(lead_id, company, contact=None, status=None, processed=None, phone=None, mail=None):
    return {"ID": lead_id, "Företag": company, "Kontaktperson": contact, "Status": status,
            "Bearbetad": processed, "Telefon": phone, "E-post": mail}


def entry(day, company, channel, outcome, contact=None, lead_id=None, row_id=None):
    return {"ID": row_id, "Datum": day, "Företag": company, "Kontaktperson": contact, "Lead-ID": lead_id,
            "Kanal": channel, "Utfall": outcome}


def crm_tables(leads, log=(), kind="student", source="crm.xlsx"):
    """Tables as a backend read would give them: Leads and Kontaktlogg grids under their headers."""
    def grid(headers, rows):
        return [list(headers), *[[row.get(h) for h in headers] for row in rows]]

    titles = ["Leads", "Kontaktlogg", *(["Medlemmar"] if kind == "group" else [])]
    grids = {"Leads": grid(LEAD_HEADERS, leads), "Kontaktlogg": grid(LOG_HEADERS, log)}
    if kind == "group":
        grids["Medlemmar"] = [["Namn"], ["Ada"]]
    return load_tables(RawWorkbook(titles, grids, source), ["Leads"], ["Kontaktlogg", "Medlemmar"])


def links_of(leads, log):
    tables = crm_tables(leads, log)
    return link_log(tables["Leads"], tables["Kontaktlogg"], TODAY), tables


def test_company_matched_forgivingly_and_lead_id_filled_when_unique():
    links, tables = links_of(
        [lead("L-1", "Skåne Mejeri AB"), lead("L-2", "AB Volvo (publ)")],
        [entry("3/5", "skane mejeri", "Telefon", "Inget svar"), entry("4/5", "  VOLVO ab ", "Mejl", "Svar")])
    assert [(row.lead_ids, row.how) for row in links.rows] == [(("L-1",), BY_COMPANY), (("L-2",), BY_COMPANY)]
    fills = links.lead_id_fills(tables["Kontaktlogg"])
    assert sorted(fill.lead_id for fill in fills) == ["L-1", "L-2"]


def test_lead_id_wins_over_company_and_is_not_refilled():
    links, tables = links_of(
        [lead("L-1", "Volvo"), lead("L-2", "Volvo")],
        [entry("3/5", "Volvo", "Telefon", "Nej", lead_id="L-2")])
    assert (links.rows[0].lead_ids, links.rows[0].how) == (("L-2",), BY_LEAD_ID)
    assert links.lead_id_fills(tables["Kontaktlogg"]) == []


def test_invalid_lead_id_falls_back_to_company_warns_and_keeps_the_cell():
    links, tables = links_of([lead("L-1", "Volvo")], [entry("3/5", "Volvo", "Telefon", "Nej", lead_id="L-GONE")])
    assert links.rows[0].lead_ids == ("L-1",)
    assert any("L-GONE" in warning and "row 2" in warning for warning in links.warnings)
    assert links.lead_id_fills(tables["Kontaktlogg"]) == []


def test_row_without_contact_counts_for_every_lead_of_the_company_and_fills_nothing():
    links, tables = links_of(
        [lead("L-1", "Volvo", "Anna Svensson"), lead("L-2", "Volvo AB", "Bo Ek"), lead("L-3", "Scania")],
        [entry("3/5", "volvo", "Telefon", "Inget svar")])
    assert set(links.rows[0].lead_ids) == {"L-1", "L-2"}
    assert links.lead_id_fills(tables["Kontaktlogg"]) == []
    assert [a.date for a in links.attempts_of("L-1")] == [a.date for a in links.attempts_of("L-2")] == [dt.date(2026, 5, 3)]


def test_contact_person_narrows_forgivingly():
    leads = [lead("L-1", "Volvo", "Anna Svensson"), lead("L-2", "Volvo", "Bo Ek")]
    links, tables = links_of(leads, [
        entry("3/5", "Volvo", "Telefon", "Inget svar", contact="anna  svensson"),
        entry("4/5", "Volvo", "Telefon", "Inget svar", contact="A. Svensson"),
        entry("5/5", "Volvo", "Telefon", "Inget svar", contact="Bo"),
    ])
    assert [(row.lead_ids, row.how) for row in links.rows] == [
        (("L-1",), BY_PERSON), (("L-1",), BY_PERSON), (("L-2",), BY_PERSON)]
    assert len(links.lead_id_fills(tables["Kontaktlogg"])) == 3


def test_unknown_person_goes_to_the_nameless_lead_else_is_unmatched():
    links, _ = links_of([lead("L-1", "Volvo", "Anna"), lead("L-2", "Volvo")],
                        [entry("3/5", "Volvo", "Telefon", "Svar", contact="Cecilia")])
    assert links.rows[0].lead_ids == ("L-2",)
    links, _ = links_of([lead("L-1", "Volvo", "Anna")], [entry("3/5", "Volvo", "Telefon", "Svar", contact="Cecilia")])
    assert links.rows[0].how == UNMATCHED and "Cecilia" in links.rows[0].note
    assert links.unmatched == [links.rows[0]]


def test_unknown_company_is_reported_with_row_and_date():
    links, tables = links_of([lead("L-1", "Volvo")], [entry("2026-05-03", "Okänt AB", "Telefon", "Nej")])
    (row,) = links.unmatched
    assert (row.company, row.date_text, row.sheet_row, row.lead_ids) == ("Okänt AB", "2026-05-03", 2, ())
    assert links.lead_id_fills(tables["Kontaktlogg"]) == []


def test_unparseable_rows_warn_with_row_and_column_and_are_not_counted():
    links, _ = links_of([lead("L-1", "Volvo")], [
        entry("31/2", "Volvo", "Telefon", "Inget svar"),
        entry("3/5", "Volvo", "Brevduva", "Kanske"),
        entry("4/5", "Volvo", "Röksignal", "Inget svar"),
    ])
    assert links.attempts_of("L-1") == [links.rows[2].attempt]  # unknown channel still counts
    text = "\n".join(links.warnings)
    assert "row 2: Datum '31/2'" in text and "row 3: Utfall 'Kanske'" in text and "row 4: Kanal 'Röksignal'" in text
    assert all(warning.startswith("Kontaktlogg row ") for warning in links.warnings)


def test_same_day_attempts_get_a_fixed_order_whatever_the_sheet_order():
    rows = [entry("3/5", "Volvo", "Mejl", "Svar"), entry("3/5", "Volvo", "Telefon", "Inget svar")]
    forward, _ = links_of([lead("L-1", "Volvo")], rows)
    backward, _ = links_of([lead("L-1", "Volvo")], rows[::-1])
    assert [a.outcome for a in forward.attempts_of("L-1")] == [a.outcome for a in backward.attempts_of("L-1")] == [
        "Inget svar", "Svar"]


@pytest.mark.parametrize("a, b, same", [
    ("Anna Svensson", "anna svensson", True),
    ("Anna", "Anna Svensson", True),
    ("A. Svensson", "Anna Svensson", True),
    ("Åsa Öberg", "asa oberg", True),
    ("Anna Svensson", "Anna Berg", False),
    ("Bo", "Anna", False),
    ("", "Anna", False),
])
def test_same_person(a, b, same):
    assert same_person(a, b) is same
