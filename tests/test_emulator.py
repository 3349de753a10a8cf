"""The Sheets API emulator driven by the real, unmodified gspread client.

In process (requests-wsgi-adapter) and over a loopback HTTP server; values as Google stores
them (RAW vs USER_ENTERED), ragged reads, quota, faults, discovery validation, atomic batches.
"""

from __future__ import annotations

import json
import threading

import gspread
import pytest
import requests
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chas_sheets.cli.emulator_cmd import emulator as emulator_command
from chas_sheets.emulator import Emulator, ManualClock, emulator_session, gspread_client_for, make_app
from chas_sheets.emulator.server import make_emulator_server

CRM_VALUES = ["0701234567", "+46701234567", "556036-0793", '=HYPERLINK("http://x","y")']
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def app(clock):
    return Emulator(clock=clock, seed=7)


@pytest.fixture
def gc(app):
    return gspread_client_for(app)


@pytest.fixture
def sheet(gc):
    return gc.create("CRM").sheet1


@pytest.fixture
def loopback(app):
    server = make_emulator_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def api(gc, method, url, **kwargs):
    "A call gspread does not wrap, through gspread's own HTTP client."
    return gc.http_client.request(method, url, **kwargs).json()


# --- the real gspread, in process and over loopback ------------------------------------

def test_gspread_creates_writes_and_reads_in_process(gc, app):
    book = gc.create("Gruppens CRM")
    leads = book.add_worksheet("Leads", rows=20, cols=5)
    leads.update([["Företag", "Telefon"], ["Acme AB", "0701234567"]], "A1")
    assert gc.open_by_key(book.id).worksheet("Leads").get_all_values() == [
        ["Företag", "Telefon"], ["Acme AB", "0701234567"]]
    assert [w.title for w in book.worksheets()] == ["Sheet1", "Leads"]
    assert app.stats()["bySpreadsheet"][book.id] >= 4


def test_gspread_over_loopback_http_and_stats_endpoint(loopback):
    gc = gspread_client_for(loopback)
    book = gc.create("CRM")
    tab = book.add_worksheet("Kund/Lead's 🌵", rows=5, cols=3)  # non-ASCII and a slash in the path
    tab.update([CRM_VALUES[:3]], "A1")
    assert tab.get_all_values() == [CRM_VALUES[:3]]
    stats = requests.get(loopback + "/_emulator/stats", timeout=5).json()
    assert stats["byMethod"]["sheets.spreadsheets.values.update"] == 1
    assert stats["bySpreadsheetKind"][book.id]["writes"] == 2  # addSheet + values.update


def test_service_account_token_endpoint(app):
    session = emulator_session(app)
    token = session.post("https://www.googleapis.com/token", data={"grant_type": "x"}).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600


# --- values: RAW vs USER_ENTERED, ragged reads, range echo -----------------------------

def test_raw_keeps_crm_values_exactly(sheet):
    sheet.update([CRM_VALUES], "A1", value_input_option="RAW")
    assert sheet.get_all_values() == [CRM_VALUES]
    assert sheet.get("A1:D1", value_render_option="FORMULA") == [CRM_VALUES]


def test_user_entered_parses_like_google(sheet):
    sheet.update([["0042", "2026-05-03", "TRUE", "556036-0793", "+46701234567", CRM_VALUES[3], "=4/2"]],
                 "A1", value_input_option="USER_ENTERED")
    assert sheet.get("A1:G1") == [["42", "2026-05-03", "TRUE", "556036-0793", "46701234567", "y", "2"]]
    assert sheet.get("A1:G1", value_render_option="UNFORMATTED_VALUE") == [
        [42, 46145, True, "556036-0793", 46701234567, "y", 2]]
    formulas = sheet.get("A1:G1", value_render_option="FORMULA")[0]
    assert formulas[4] == "=+46701234567" and formulas[5] == CRM_VALUES[3]
    assert sheet.get("B1", value_render_option="UNFORMATTED_VALUE",
                     date_time_render_option="FORMATTED_STRING") == [["2026-05-03"]]


def test_ragged_reads_and_clamped_range_echo(gc, sheet):
    rows = [["A1", "B1", "", "D1"], ["", "b2", "", ""], ["", "", "", ""], ["A4", "B4", "", "D4"]]
    sheet.update(rows, "A1")
    got = api(gc, "get", f"{SHEETS}/{sheet.spreadsheet_id}/values/Sheet1")
    assert got == {"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS",
                   "values": [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]]}
    empty = api(gc, "get", f"{SHEETS}/{sheet.spreadsheet_id}/values/Sheet1!F1:G5")
    assert empty == {"range": "Sheet1!F1:G5", "majorDimension": "ROWS"}
    sheet.resize(rows=10)
    column = api(gc, "get", f"{SHEETS}/{sheet.spreadsheet_id}/values/Sheet1!A:A")
    assert column["range"] == "Sheet1!A1:A10"


def test_null_values_skip_cells_and_empty_strings_clear(sheet):
    sheet.update([["a", "b", "c"]], "A1")
    sheet.client.values_update(sheet.spreadsheet_id, "Sheet1!A1",
                               params={"valueInputOption": "RAW"}, body={"values": [[None, "", "C"]]})
    assert sheet.get_all_values() == [["a", "", "C"]]


def test_append_grows_the_grid(gc, sheet):
    sheet.resize(rows=2, cols=2)
    sheet.append_rows([["x", "y"], ["z", "w"], ["u", "v"]])
    assert gc.open_by_key(sheet.spreadsheet_id).sheet1.row_count == 3
    assert sheet.get_all_values() == [["x", "y"], ["z", "w"], ["u", "v"]]


# --- batchUpdate -------------------------------------------------------------------------

def test_one_atomic_batch_with_update_append_delete_and_add_sheet(gc, sheet):
    sheet.update([["ID", "Datum"], ["1", "a"], ["2", "b"]], "A1")
    book = gc.open_by_key(sheet.spreadsheet_id)
    book.batch_update({"requests": [
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 1},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "=0701234567"}}]}],
                         "fields": "userEnteredValue"}},
        {"appendCells": {"sheetId": 0, "fields": "userEnteredValue,userEnteredFormat",
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "3"}},
                                              {"userEnteredValue": {"numberValue": 46145},
                                               "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}}]}]}},
        {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}},
        {"addSheet": {"properties": {"title": "Ändringslogg"}}},
    ]})
    assert sheet.get_all_values()[:3] == [["ID", "Datum"], ["1", "=0701234567"], ["3", "2026-05-03"]]
    assert [w.title for w in book.worksheets()] == ["Sheet1", "Ändringslogg"]


def test_a_failing_batch_changes_nothing(gc, sheet):
    book = gc.open_by_key(sheet.spreadsheet_id)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        book.batch_update({"requests": [
            {"addSheet": {"properties": {"title": "Leads"}}},
            {"deleteSheet": {"sheetId": 123}},
        ]})
    assert caught.value.code == 400
    assert [w.title for w in gc.open_by_key(sheet.spreadsheet_id).worksheets()] == ["Sheet1"]


def test_appended_cells_grow_the_grid(gc, sheet):
    sheet.resize(rows=1, cols=2)
    rows = [{"values": [{"userEnteredValue": {"stringValue": f"r{i}"}}]} for i in range(3)]
    gc.open_by_key(sheet.spreadsheet_id).batch_update(
        {"requests": [{"appendCells": {"sheetId": 0, "rows": rows, "fields": "userEnteredValue"}}]})
    assert sheet.get_all_values() == [["r0"], ["r1"], ["r2"]]


def test_validation_protection_and_colours_are_kept(gc, sheet):
    book = gc.open_by_key(sheet.spreadsheet_id)
    header = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}
    book.batch_update({"requests": [
        {"setDataValidation": {"range": {"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 2, "endColumnIndex": 3},
                               "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Ny"}]},
                                        "showCustomUi": True}}},
        {"addProtectedRange": {"protectedRange": {"range": header, "warningOnly": True}}},
        {"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [header], "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=1"}]},
                                                "format": {"backgroundColor": {"red": 0.5}}}}}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
    ]})
    got = api(gc, "get", f"{SHEETS}/{sheet.spreadsheet_id}",
              params={"ranges": "Sheet1!C2", "includeGridData": "true"})["sheets"][0]
    assert got["data"][0]["rowData"][0]["values"][0]["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    assert got["protectedRanges"][0]["warningOnly"] is True
    assert got["conditionalFormats"][0]["booleanRule"]["format"]["backgroundColor"] == {"red": 0.49803922}
    assert got["properties"]["gridProperties"]["frozenRowCount"] == 1


def test_developer_metadata_follows_its_row(gc, sheet):
    url = f"{SHEETS}/{sheet.spreadsheet_id}"
    location = {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 4, "endIndex": 5}}
    reply = api(gc, "post", url + ":batchUpdate", json={"requests": [{"createDeveloperMetadata": {
        "developerMetadata": {"metadataKey": "rad-id", "metadataValue": "L-17", "location": location,
                              "visibility": "DOCUMENT"}}}]})
    created = reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    sheet.insert_row(["ny"], index=1)
    lookup = {"dataFilters": [{"developerMetadataLookup": {"metadataKey": "rad-id"}}]}
    found = api(gc, "post", url + "/developerMetadata:search", json=lookup)["matchedDeveloperMetadata"]
    assert found[0]["developerMetadata"]["location"]["dimensionRange"]["startIndex"] == 5
    assert found[0]["developerMetadata"]["metadataId"] == created["metadataId"]
    api(gc, "post", url + ":batchUpdate",
        json={"requests": [{"deleteDeveloperMetadata": {"dataFilter": lookup["dataFilters"][0]}}]})
    assert api(gc, "post", url + "/developerMetadata:search", json=lookup) == {}


def test_spreadsheet_get_with_fields_returns_the_asked_fields(gc, sheet):
    got = api(gc, "get", f"{SHEETS}/{sheet.spreadsheet_id}", params={"fields": "sheets.properties.title"})
    assert got == {"sheets": [{"properties": {"title": "Sheet1"}}]}


# --- discovery validation ----------------------------------------------------------------

def test_unknown_fields_and_bad_enums_are_rejected_like_google(gc, sheet):
    book = gc.open_by_key(sheet.spreadsheet_id)
    for request in ({"addSheet": {"properties": {"title": "X", "sheetType": "GRIDD"}}},
                    {"addSheet": {"properties": {"title": "X", "colour": "red"}}}):
        with pytest.raises(gspread.exceptions.APIError) as caught:
            book.batch_update({"requests": [request]})
        assert caught.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"
    with pytest.raises(gspread.exceptions.APIError) as caught:
        sheet.client.values_update(sheet.spreadsheet_id, "Sheet1!A1", params={"valueInputOption": "RAW"},
                                   body={"values": "X"})
    assert "Invalid value at 'data.values'" in caught.value.response.json()["error"]["message"]


def test_what_gspread_sends_and_google_accepts_is_accepted(gc, sheet):
    book = gc.open_by_key(sheet.spreadsheet_id)
    book.share("elev@example.se", perm_type="user", role="writer", notify=False)  # sends withLink
    assert "elev@example.se" in [p.get("emailAddress") for p in book.list_permissions()]
    sheet.append_rows([["a"]], value_input_option="RAW")  # includeValuesInResponse=False, Python-cased


def test_a_spreadsheet_not_shared_with_you_is_403(gc, app):
    book = gc.create("Någon annans")
    app.forbid(book.id)
    with pytest.raises(PermissionError):  # gspread's own translation of a 403
        gc.open_by_key(book.id)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        api(gc, "get", f"{SHEETS}/{book.id}")
    assert caught.value.response.json()["error"] == {
        "code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}


def test_bad_query_enums_are_rejected(gc, sheet):
    with pytest.raises(gspread.exceptions.APIError) as caught:
        api(gc, "get", f"{SHEETS}/{sheet.spreadsheet_id}/values/Sheet1", params={"valueRenderOption": "PRETTY"})
    assert caught.value.code == 400


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1).filter(lambda t: t.strip() == t and "\x00" not in t))
def test_raw_round_trips_any_text(sheet, text):
    sheet.update([[text]], "A1", value_input_option="RAW")
    assert sheet.get("A1", value_render_option="FORMATTED_VALUE") == [[text]]


# --- Drive ---------------------------------------------------------------------------------

def test_drive_copy_delete_and_changes_feed(gc, app, clock):
    session = emulator_session(app)
    drive = "https://www.googleapis.com/drive/v3"
    book = gc.create("Original")
    token = session.get(drive + "/changes/startPageToken").json()["startPageToken"]
    clock.advance(5)
    book.sheet1.update([["x"]], "A1")
    changes = session.get(drive + "/changes", params={"pageToken": token}).json()
    assert [c["fileId"] for c in changes["changes"]] == [book.id]
    modified = session.get(f"{drive}/files/{book.id}", params={"fields": "modifiedTime"}).json()["modifiedTime"]
    assert modified.startswith("2026-01-01T00:00:05")
    copy = gc.copy(book.id, title="Kopia", copy_comments=False)
    assert copy.sheet1.get_all_values() == [["x"]]
    gc.del_spreadsheet(copy.id)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gc.open_by_key(copy.id)


# --- quota and faults ----------------------------------------------------------------------

def test_read_quota_answers_429_until_the_minute_has_passed(clock):
    app = make_app(read_quota_per_minute=3, clock=clock)
    gc = gspread_client_for(app)
    book = gc.create("CRM")  # Drive create (not Sheets quota), then read 1: spreadsheets.get
    tab = book.sheet1  # read 2
    tab.get_all_values()  # read 3
    with pytest.raises(gspread.exceptions.APIError) as caught:
        tab.get_all_values()
    assert caught.value.code == 429
    assert caught.value.response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert caught.value.response.headers["Retry-After"] == "60"
    clock.advance(60)
    assert tab.get_all_values() == [[]]  # gspread's shape for an empty sheet


def test_injected_500_then_recovery(gc, app, sheet):
    app.faults.fail(times=2, method="sheets.spreadsheets.values.get")
    for _ in range(2):
        with pytest.raises(gspread.exceptions.APIError) as caught:
            sheet.get_all_values()
        assert caught.value.code == 500
    assert sheet.get_all_values() == [[]]


def test_dropped_connection_in_process_and_over_loopback(app, loopback):
    for gc in (gspread_client_for(app), gspread_client_for(loopback)):
        book = gc.create("CRM")
        app.faults.drop(path="/values/")
        tab = book.sheet1
        with pytest.raises(requests.ConnectionError):
            tab.get_all_values()
        assert tab.get_all_values() == [[]]


def test_slow_answer_waits_on_the_emulator_clock(gc, app, clock, sheet):
    app.faults.slow(30, method="GET")
    sheet.get_all_values()
    assert clock.slept == [30]


def test_faults_over_http(loopback):
    gc = gspread_client_for(loopback)
    book = gc.create("CRM")
    armed = requests.post(loopback + "/_emulator/faults", json={"kind": "error", "status": 503, "times": 1}, timeout=5)
    assert armed.json()["faults"][0]["status"] == 503
    with pytest.raises(gspread.exceptions.APIError) as caught:
        book.sheet1.get_all_values()
    assert caught.value.code == 503


def test_concurrent_editor_changes_a_cell_between_read_and_write(gc, app, sheet):
    sheet.update([["Status"], ["Ny"]], "A1")
    app.faults.concurrent_edit(sheet.spreadsheet_id, "Sheet1!A2", [["Bokat möte"]])
    assert sheet.get_all_values() == [["Status"], ["Ny"]]  # the client's read
    assert sheet.get("A2") == [["Bokat möte"]]  # what a compare-and-set re-read sees


# --- persistence and the command ---------------------------------------------------------

def test_state_file_survives_a_restart(tmp_path):
    state = tmp_path / "emulator.json"
    gc = gspread_client_for(make_app(state_file=state))
    book = gc.create("Demo")
    book.sheet1.update([["0701234567"]], "A1")
    again = gspread_client_for(make_app(state_file=state))
    assert again.open_by_key(book.id).sheet1.get_all_values() == [["0701234567"]]
    assert json.loads(state.read_text(encoding="utf-8"))["files"][0]["name"] == "Demo"


def test_emulator_command_help():
    result = CliRunner().invoke(emulator_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--state", "--read-quota", "--write-quota"):
        assert option in result.output


def test_the_emulator_without_googles_api_descriptions_is_one_line_naming_the_extra(monkeypatch):
    """google-api-python-client is the `emulator` extra: without it the command says what to install."""
    import sys

    from click.testing import CliRunner

    from chas_sheets.cli import cli

    monkeypatch.setitem(sys.modules, "googleapiclient", None)  # import fails as if not installed
    result = CliRunner().invoke(cli, ["emulator", "--port", "0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: the emulator checks every request against Google's API descriptions, which come with "
        "google-api-python-client: install it with  pip install 'chas-sheets[emulator]'"]


def _raw(app, method: str, path: str, host: str | None, content_type: str | None = None, body: bytes = b""):
    import io

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    if host is not None:
        environ["HTTP_HOST"] = host
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    status, _, payload = app.handle(environ)
    return int(status.split()[0]), payload


@pytest.mark.parametrize("host", ["rebind.evil.example", "rebind.evil.example:8765", "127.0.0.1.evil.example"])
def test_a_foreign_host_name_is_refused_dns_rebinding(host):
    app = make_app()
    code, payload = _raw(app, "GET", "/_emulator/stats", host)
    assert code == 403 and b"only requests for this machine" in payload


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "192.168.1.20:8765",
                                  "sheets.googleapis.com", None])
def test_this_machine_and_googles_own_hosts_are_answered(host):
    assert _raw(make_app(), "GET", "/_emulator/stats", host)[0] == 200


def test_a_cross_site_text_post_cannot_wipe_the_spreadsheets():
    app = make_app()
    book = gspread_client_for(app).create("CRM")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        code, _ = _raw(app, "POST", "/_emulator/reset", "127.0.0.1:8765", content_type, b"{}")
        assert code == 415
    assert book.id in app.store.files  # nothing was reset
    assert _raw(app, "POST", "/_emulator/reset", "127.0.0.1:8765", "application/json", b"{}")[0] == 200
    assert app.store.files == {}


@pytest.mark.parametrize("content", ["{not json", '{"files": 7}', "\xff"])
def test_a_damaged_state_file_is_one_line(content, tmp_path):
    from click.testing import CliRunner

    from chas_sheets.cli import cli

    state = tmp_path / "state.json"
    state.write_bytes(content.encode("latin-1"))
    result = CliRunner().invoke(cli, ["emulator", "--port", "0", "--state", str(state)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: --state {state} is not an emulator state file")
    assert state.read_bytes() == content.encode("latin-1")  # never overwritten


def test_the_reference_rules_are_on_until_switched_off_and_on_again_after_a_reset():
    from chas_sheets.emulator.control import RULES, rule_holds

    app = make_app()
    assert all(rule_holds(name) for name in RULES)  # outside any request too
    with pytest.raises(ValueError, match="unknown rule"):
        app.rules.switch_off("no_such_rule")
    app.rules.switch_off("unmatched_metadata_delete_allowed")
    with app.rules.in_force():
        assert not rule_holds("unmatched_metadata_delete_allowed") and rule_holds("row_metadata_follows_rows")
    assert rule_holds("unmatched_metadata_delete_allowed")  # only while a request is handled
    app.reset()
    assert app.rules.off == set()
