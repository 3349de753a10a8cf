"""The programme's findings on the nightly's Dashboard, Placering and its own tabs (issue 18):
the soft deadline, the phase-1 individual goals and the commitment agreement, the groups'
composition, live offers, the regrouping evidence (`Gruppbild`), the open dialogues
(`Dialoger`) and the long-recruitment count. Registers are crafted small, as in
tests/test_nightly_calendar.py, and judged on the day each rule starts."""

from __future__ import annotations

import datetime as dt

import pytest

from chas_sheets.nightly.crm_summary import CrmSummary, is_long_recruitment

d = dt.date


# --------------------------------------------------------------------------- 7. long recruitment
@pytest.mark.parametrize("typ, size, counted", [
    ("Konsultbolag", 3000, True), ("Konsultbolag", "250", True), ("Konsultbolag", 249, False),
    ("Konsultbolag", None, False), ("Offentlig sektor", "", False),  # blank: unknown, not large
    ("Startup", 3000, False),
])
def test_a_blank_size_is_unknown_not_a_long_recruitment(typ, size, counted):
    assert is_long_recruitment(typ, size) is counted


# --------------------------------------------------------------------------- the summary's new fields
def crm_read(leads: list[dict], log: list[dict] = (), members: list[dict] = ()):
    from chas_sheets.nightly.crm_summary import plan_crm
    from chas_sheets.sheet.tables import RawWorkbook

    def grid(rows):
        headers = list(dict.fromkeys(k for row in rows for k in row))
        return [headers, *([row.get(h) for h in headers] for row in rows)]
    grids = {"Leads": grid(leads)}
    if log:
        grids["Kontaktlogg"] = grid(log)
    if members:
        grids["Medlemmar"] = grid(members)
    return plan_crm(RawWorkbook("crm.xlsx", grids), "group" if members else "individual", d(2027, 5, 20)).summary


def test_the_summary_counts_live_offers_and_keeps_open_dialogues():
    summary = crm_read(
        [{"Företag": "Volvo", "Kontaktperson": "Eva Lund", "Status": "Erbjudande", "Telefon": "070-1234567"},
         {"Företag": "Saab", "Kontaktperson": "Per Holm", "Status": "Intervju"},
         {"Företag": "Ikea", "Status": "Dialog", "Ansvarig": "Bo"},
         {"Företag": "Tele2", "Status": "Nej"}, {"Företag": "Scania", "Status": "Ny"}],
        log=[{"Datum": "2027-05-10", "Företag": "Saab", "Kanal": "Telefon", "Utfall": "Intervju", "Av": "Ada"},
             {"Datum": "2027-05-03", "Företag": "Ikea", "Kanal": "Mejl", "Utfall": "Svar", "Av": "Cia"}])
    assert (summary.offers, summary.interviews, summary.live_offers) == (1, 1, 2)
    assert summary.open_dialogues == [["Saab", "Per Holm", "Intervju", "2027-05-10", "Ada"],
                                      ["Ikea", "", "Dialog", "2027-05-03", "Cia"],
                                      ["Volvo", "Eva Lund", "Erbjudande", "", ""]]


def test_a_summary_kept_before_the_new_fields_reads_as_zero_and_is_read_again():
    from chas_sheets.nightly.crm_summary import reusable_on

    old = {"kind": "individual", "leads": 3, "companies": 3, "later_rows": 0}
    summary = CrmSummary.from_dict(old)
    assert (summary.offers, summary.interviews, summary.open_dialogues, summary.roles) == (0, 0, [], {})
    assert not reusable_on(old, "2027-05-19", d(2027, 5, 20))
    assert reusable_on(CrmSummary.from_dict(old).to_dict(), "2027-05-19", d(2027, 5, 20))
    assert CrmSummary.from_dict(summary.to_dict()) == summary
