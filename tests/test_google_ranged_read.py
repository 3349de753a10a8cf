"""A Google read of only the tabs a command needs (`spreadsheets.get` with `ranges`), so it stays
small however long Ändringslogg grows; and the emulator answering such a read as Google does.

Google's rules the read rests on, each held by the emulator and, where gspread's recorded
sessions show it, checked against them:
- with `ranges`, the answer lists only the sheets the ranges touch (their properties and the
  cells of the ranges), not every sheet of the spreadsheet;
- a range naming a tab that is not there refuses the whole read: 400 "Unable to parse range";
- a `fields` mask naming a field the resource does not have is refused (400).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import gspread
import pytest
from conformance_replay import cassette_folder, replay_cassette

from chas_sheets.backends import google as google_backend
from chas_sheets.backends.google import GoogleSpreadsheet, ranged_read
from chas_sheets.backends.google_http import SHEETS_URL
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import ChangeSet

CASSETTE = cassette_folder() / "WorksheetTest.test_get_notes_2nd_sheet.json"


class Recorded:
    """A session to the emulator that keeps every request's query and answer size."""

    def __init__(self, app):
        self.session = emulator_session(app)
        self.sent: list[tuple[str, dict, int]] = []
        self.session.hooks["response"].append(self._keep)

    def _keep(self, response, *args, **kwargs):
        url = urlsplit(response.request.url)
        self.sent.append((response.request.method, parse_qs(url.query), len(response.content)))

    def gets(self) -> list[dict]:
        return [query for method, query, _ in self.sent if method == "GET"]


@pytest.fixture
def app():
    return make_app()


def new_crm(app, log_rows: int = 0) -> GoogleSpreadsheet:
    backend = GoogleSpreadsheet.new("student", session=emulator_session(app))
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    leads = book.worksheet("Leads")
    headers = leads.row_values(1)
    leads.update([[{"ID": f"L-{n:06d}", "Företag": f"Bolag {n}", "Status": "Ny"}.get(h, "") for h in headers]
                  for n in range(3)], "A2", raw=True)
    if log_rows:
        log = book.worksheet("Ändringslogg")
        log.update([[f"R-{n}", "2027-05-01 02:00:00", "nightly", "Leads", f"L-{n % 3:06d}", "Status", "Ny", "Kontaktad"]
                    for n in range(log_rows)], "A2", raw=True)
    return backend


# The emulator as Google ------------------------------------------------------------------------
@pytest.mark.skipif(not CASSETTE.is_file(), reason="gspread's recorded sessions are not here")
def test_a_ranged_get_lists_only_the_sheets_its_ranges_touch_as_google_recorded():
    import json

    interactions = json.loads(CASSETTE.read_text(encoding="utf-8"))["interactions"]
    # The spreadsheet has two sheets (Sheet1 and 'worksheet 2'); the read names the second only.
    assert "addSheet" in interactions[4]["request"]["body"]
    assert "ranges=%27worksheet+2%27" in interactions[5]["request"]["uri"]
    assert len(json.loads(interactions[5]["response"]["body"]["string"])["sheets"]) == 1
    outcomes = replay_cassette(CASSETTE)
    assert [o.matched for o in outcomes if o.index in (5, 7, 8, 15, 17, 18)] == [True] * 6


def test_a_ranged_get_answers_with_the_named_tabs_only(app):
    backend = new_crm(app)
    answer = emulator_session(app).get(f"{SHEETS_URL}/{backend.key}", params={
        "ranges": ["'Leads'", "'Ändringslogg'!1:1"], "fields": "sheets(properties.title,data.rowData)"}).json()
    assert [s["properties"]["title"] for s in answer["sheets"]] == ["Leads", "Ändringslogg"]
    log_rows = answer["sheets"][1]["data"][0]["rowData"]
    assert len(log_rows) == 1  # the header row only


def test_a_range_naming_a_missing_tab_refuses_the_whole_read(app):
    backend = new_crm(app)
    response = emulator_session(app).get(f"{SHEETS_URL}/{backend.key}",
                                         params={"ranges": ["'Leads'", "'Nope'"], "includeGridData": "true"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unable to parse range: 'Nope'"


def test_a_fields_mask_naming_no_field_is_refused(app):
    backend = new_crm(app)
    response = emulator_session(app).get(f"{SHEETS_URL}/{backend.key}",
                                         params={"ranges": "'Leads'", "fields": "sheets.nosuchfield"})
    assert response.status_code == 400


def test_a_tab_no_template_makes_is_read_with_everything_unless_seen_before():
    assert ranged_read(["Grupper", "Dashboard"], {}) is None  # the nightly's own tab: maybe not made yet
    assert ranged_read(["Grupper", "Dashboard"], {"Dashboard": "Dashboard"}) == [
        "'Grupper'", "'Dashboard'", "'Ändringslogg'!1:1"]
    assert ranged_read(["Egen flik"], {}) is None
    # Medlemmar is a group CRM's only: `status` asks for it in a student's CRM too
    assert ranged_read(["Leads", "Kontaktlogg", "Medlemmar"], {}) is None
    assert ranged_read(["Körningar"], {}) == ["'Körningar'", "'Ändringslogg'!1:1"]


def test_titles_are_quoted_with_a_quote_inside_doubled():
    assert ranged_read(["Leads", "Kontaktlogg"], {}) == ["'Leads'", "'Kontaktlogg'", "'Ändringslogg'!1:1"]
    assert ranged_read(["Leads", "Ändringslogg"], {"Leads": "Kund's leads"}) == ["'Kund''s leads'", "'Ändringslogg'"]


# The backend -----------------------------------------------------------------------------------
def test_a_command_reads_its_tabs_and_the_log_header_not_the_log(app):
    backend = new_crm(app, log_rows=200)
    recorded = Recorded(app)
    reader = GoogleSpreadsheet(backend.key, session=recorded.session)
    tables = read_tables(reader, ["Leads"], ["Kontaktlogg"])
    assert list(tables["Leads"].df.index) == ["L-000000", "L-000001", "L-000002"]
    assert reader.requests_sent == 1
    assert recorded.gets()[0]["ranges"] == ["'Leads'", "'Kontaktlogg'", "'Ändringslogg'!1:1"]
    # The long log costs the read nothing: as small as with an empty log.
    empty = Recorded(app)
    read_tables(GoogleSpreadsheet(new_crm(app).key, session=empty.session), ["Leads"], ["Kontaktlogg"])
    assert recorded.sent[0][2] - empty.sent[0][2] < 200  # ids and titles of another size, no log rows


def test_a_write_after_a_ranged_read_still_costs_three_requests_and_logs(app):
    backend = new_crm(app, log_rows=5)
    recorded = Recorded(app)
    writer = GoogleSpreadsheet(backend.key, session=recorded.session)
    df = read_tables(writer, ["Leads"])["Leads"].df
    changes = ChangeSet()
    changes.set_cell("Leads", "L-000001", "Status", df.loc["L-000001", "Status"], "Kontaktad")
    outcome = execute(writer, changes, "mark-processed", True)
    assert writer.requests_sent == 3
    assert outcome.written == 1
    log = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key).worksheet("Ändringslogg")
    rows = log.get_all_values()
    assert len(rows) == 1 + 5 + 1  # header, the 5 rows there, this run's row right under them
    assert rows[-1][0] == outcome.run.run_id and rows[-1][4:8] == ["L-000001", "Status", "Ny", "Kontaktad"]


def test_a_tab_known_by_an_alias_costs_one_more_request_once_per_process(app, monkeypatch):
    monkeypatch.setattr(google_backend, "_KNOWN_TITLES", {})
    backend = new_crm(app)
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    book.worksheet("Kontaktlogg").update_title("Kontaktförsök")  # one of the contract's aliases
    first = GoogleSpreadsheet(backend.key, session=emulator_session(app))
    tables = read_tables(first, ["Leads"], ["Kontaktlogg"])
    assert "Kontaktlogg" in tables.tables and first.requests_sent == 2  # refused, then the whole spreadsheet
    recorded = Recorded(app)
    again = GoogleSpreadsheet(backend.key, session=recorded.session)
    assert "Kontaktlogg" in read_tables(again, ["Leads"], ["Kontaktlogg"]).tables
    assert again.requests_sent == 1
    assert recorded.gets()[0]["ranges"][1] == "'Kontaktförsök'"


def test_a_missing_optional_tab_is_read_as_missing(app):
    backend = new_crm(app)
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    book.del_worksheet(book.worksheet("Kontaktlogg"))
    reader = GoogleSpreadsheet(backend.key, session=emulator_session(app))
    tables = read_tables(reader, ["Leads"], ["Kontaktlogg"])
    assert "Kontaktlogg" not in tables.tables and "Leads" in tables.tables
    assert reader.requests_sent == 2
    # A tab added since is seen: a missing tab is never remembered as missing.
    book.add_worksheet("Kontaktlogg", 10, 10).update([["Datum", "Företag", "Kanal", "Utfall"]], "A1")
    assert "Kontaktlogg" in read_tables(GoogleSpreadsheet(backend.key, session=emulator_session(app)),
                                        ["Leads"], ["Kontaktlogg"]).tables


def test_stale_scratch_tabs_are_still_deleted_by_a_later_write(app):
    """A ranged read does not show the hidden scratch tabs of earlier writes (google_window);
    the verify read does, and the write deletes those older than the lock's lease."""
    backend = new_crm(app)
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    book.add_worksheet("chas-sheets kontroll 20200101T000000Z abc 1", 5, 5)
    writer = GoogleSpreadsheet(backend.key, session=emulator_session(app))
    df = read_tables(writer, ["Leads"])["Leads"].df
    changes = ChangeSet()
    changes.set_cell("Leads", "L-000000", "Status", df.loc["L-000000", "Status"], "Kontaktad")
    execute(writer, changes, "mark-processed", True)
    titles = [ws.title for ws in gspread.Client(auth=None, session=emulator_session(app))
              .open_by_key(backend.key).worksheets()]
    assert "chas-sheets kontroll 20200101T000000Z abc 1" not in titles


def test_a_read_that_may_miss_a_tab_is_one_request_of_everything(app):
    """`status` asks any CRM for Medlemmar, which only a group's has: read whole, never refused first."""
    backend = new_crm(app)
    recorded = Recorded(app)
    reader = GoogleSpreadsheet(backend.key, session=recorded.session)
    tables = read_tables(reader, ["Leads"], ["Kontaktlogg", "Medlemmar"])
    assert "Medlemmar" not in tables.tables and reader.requests_sent == 1
    assert "ranges" not in recorded.gets()[0]
