"""The emulator refuses what Google refuses, in Google's words, so a bug in what the project
sends cannot pass unseen. Where the recorded Google sessions (../shared/conformance) show an
answer, the test replays them; the other messages are Google's as reported from the live API
(cited at each test).
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from conformance_replay import cassette_folder, replay_cassette

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import emulator_token
from chas_sheets.emulator import Emulator, ManualClock, emulator_session

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3"
AUTH = "https://www.googleapis.com/auth/"


@pytest.fixture
def app():
    return Emulator(clock=ManualClock(), seed=3)


@pytest.fixture
def session(app):
    return emulator_session(app)  # gspread's token: Sheets and all of Drive


@pytest.fixture
def book(session):
    answer = session.post(SHEETS, json={"properties": {"title": "CRM"}, "sheets": [{"properties": {
        "title": "T", "gridProperties": {"rowCount": 1000, "columnCount": 26}}}]})
    assert answer.status_code == 200
    return answer.json()["spreadsheetId"]


def batch(session, key, *requests_):
    return session.post(f"{SHEETS}/{key}:batchUpdate", json={"requests": list(requests_)})


def error_of(answer) -> tuple[int, str, str]:
    error = answer.json()["error"]
    return answer.status_code, error.get("status", ""), error["message"]


def values(session, key, range_, render="FORMATTED_VALUE"):
    return session.get(f"{SHEETS}/{key}/values/{range_}", params={"valueRenderOption": render}).json().get("values")


def put(session, key, range_, rows, option="USER_ENTERED"):
    return session.put(f"{SHEETS}/{key}/values/{range_}", params={"valueInputOption": option}, json={"values": rows})


def grid_of(app, key):
    sheet = app.store.get_spreadsheet(key).sheets[0]
    return sheet.row_count, sheet.col_count


# --- outside the grid ----------------------------------------------------------------------

def test_a_values_write_that_starts_outside_the_grid_is_refused_and_one_inside_grows_it(app, session, book):
    # Live answers quoted in public code: gspread's update_cell past the last column gave
    # "Range (DOCUMENT_CONTENT!U1) exceeds grid limits. Max rows: 999, max columns: 20"; from an
    # anchor cell inside the grid, values past its edge grow it.
    refused = put(session, book, "T!AA1", [["x"]])
    assert error_of(refused) == (400, "INVALID_ARGUMENT", "Range (T!AA1) exceeds grid limits. Max rows: 1000, "
                                                          "max columns: 26")
    assert put(session, book, "T!A1001", [["x"]]).status_code == 400
    # An explicit range reaching past the grid is refused even if it starts inside (pygsheets#124).
    assert error_of(put(session, book, "T!Y1:AB2", [["x"]]))[2] == ("Range (T!Y1:AB2) exceeds grid limits. "
                                                                  "Max rows: 1000, max columns: 26")
    assert put(session, book, "T!Z1000", [["x", "y"]]).status_code == 200
    assert grid_of(app, book) == (1000, 27)


@pytest.mark.parametrize("grid_range, named", [
    ({"startRowIndex": 1000, "startColumnIndex": 0, "endColumnIndex": 2}, "T!A1001:B"),
    ({"startRowIndex": 1005, "startColumnIndex": 0, "endColumnIndex": 2}, "T!A1006:B"),
    ({"startRowIndex": 1000, "endRowIndex": 1001, "startColumnIndex": 0, "endColumnIndex": 2}, "T!A1001:B1001"),
    ({"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 26, "endColumnIndex": 27}, "T!AA1:AA2"),
    ({"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 26}, "T!AA1:2"),
])
def test_a_format_range_that_starts_past_the_grid_is_refused_in_googles_words(app, session, book, grid_range, named):
    # The table of live answers for repeatCell on a 1000x26 tab (a probe of the API, 2026-09-29).
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    answer = batch(session, book, {"repeatCell": {"range": {"sheetId": sheet_id, **grid_range}, "cell": {},
                                                  "fields": "userEnteredFormat.textFormat.link"}})
    assert error_of(answer) == (400, "INVALID_ARGUMENT", f"Invalid requests[0].repeatCell: Range ({named}) exceeds "
                                                         "grid limits. Max rows: 1000, max columns: 26")


def test_a_format_range_that_starts_inside_and_ends_past_is_taken_and_the_grid_stays(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    answer = batch(session, book, {"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 999, "endRowIndex": 1003, "startColumnIndex": 25,
                  "endColumnIndex": 28},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}, "fields": "userEnteredFormat.textFormat.bold"}})
    assert answer.status_code == 200 and grid_of(app, book) == (1000, 26)


def test_update_cells_never_writes_past_the_grid(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    row = {"values": [{"userEnteredValue": {"stringValue": "x"}}]}
    past = batch(session, book, {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 1000}, "rows": [row],
                                                 "fields": "userEnteredValue"}})
    assert error_of(past)[2] == "Invalid requests[0].updateCells: GridCoordinate.rowIndex[1000] is after last row in grid[999]"
    overflowing = batch(session, book, {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 999},
                                                        "rows": [row, row], "fields": "userEnteredValue"}})
    assert error_of(overflowing)[:2] == (400, "INVALID_ARGUMENT") and "exceeds grid limits" in error_of(overflowing)[2]
    assert grid_of(app, book) == (1000, 26) and values(session, book, "T!A999:A1000") is None


def test_deleting_rows_beyond_the_grid_or_every_row_is_refused(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    beyond = batch(session, book, {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                                 "startIndex": 998, "endIndex": 1001}}})
    # "Invalid requests[14].deleteDimension: Cannot delete a row that doesn't exist. Tried to delete
    # row index 729 but there are only 729 rows." (nikaia/translation-sheet#9)
    assert error_of(beyond)[2] == ("Invalid requests[0].deleteDimension: Cannot delete a row that doesn't exist. "
                                   "Tried to delete row index 1000 but there are only 1000 rows.")
    every = batch(session, book, {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                                "startIndex": 0, "endIndex": 1000}}})
    # jlolling/talendcomp_tGoogleSheet#19
    assert error_of(every)[2] == ("Invalid requests[0].deleteDimension: Sorry, it is not possible to delete all "
                                  "non-frozen rows.")
    assert grid_of(app, book) == (1000, 26)


# --- requests that say nothing, masks that name nothing ---------------------------------------

def test_an_empty_batch_update_is_refused(session, book):
    # googleapis/google-api-nodejs-client#1001
    for body in ({"requests": []}, {}):
        answer = session.post(f"{SHEETS}/{book}:batchUpdate", json=body)
        assert error_of(answer) == (400, "INVALID_ARGUMENT", "Must specify at least one request.")


def test_a_fields_mask_naming_no_field_is_refused_on_get(session, book):
    # gargle's recorded Sheets answer: 400 "Request contains an invalid argument." with
    # "Error expanding 'fields' parameter. Cannot find matching fields for path 'sheets.sheetProperties'."
    answer = session.get(f"{SHEETS}/{book}", params={"fields": "sheets.sheetProperties"})
    assert error_of(answer) == (400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    violation = answer.json()["error"]["details"][0]["fieldViolations"][0]["description"]
    assert violation == "Error expanding 'fields' parameter. Cannot find matching fields for path 'sheets.sheetProperties'."
    # The Sheets parser keeps a space after a comma (ringo380/claude-google-sheets-mcp#4); Drive skips it.
    assert session.get(f"{SHEETS}/{book}", params={"fields": "properties, sheets.properties"}).status_code == 400
    assert session.get(f"{SHEETS}/{book}", params={"fields": "properties,sheets(properties(title),data)"}).ok
    assert session.get(f"{DRIVE}/files/{book}", params={"fields": "id, name"}).ok
    drive = session.get(f"{DRIVE}/files/{book}", params={"fields": "id,nmae"})
    assert drive.status_code == 400 and drive.json()["error"]["errors"][0]["reason"] == "invalidParameter"


def test_a_request_mask_naming_no_field_is_refused(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    cell_range = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1}
    bad = batch(session, book, {"repeatCell": {"range": cell_range, "cell": {},
                                               "fields": "userEnteredFormat.textFormat.boldness"}})
    assert error_of(bad)[:2] == (400, "INVALID_ARGUMENT")
    assert error_of(bad)[2].startswith("Invalid requests[0].repeatCell: ")
    assert "'userEnteredFormat.textFormat.boldness'" in error_of(bad)[2]
    resize = batch(session, book, {"updateSheetProperties": {"properties": {"sheetId": sheet_id},
                                                             "fields": "gridProperties.rows"}})
    assert resize.status_code == 400
    good = batch(session, book, {"repeatCell": {"range": cell_range, "cell": {},
                                                "fields": "userEnteredFormat(textFormat.bold,backgroundColor)"}})
    assert good.status_code == 200


# --- what a cell may hold ------------------------------------------------------------------------

def test_a_cell_over_50000_characters_is_refused(app, session, book):
    # "Your input contains more than the maximum of 50000 characters in a single cell."
    # (moevm/github_repo_commitment_calc#67, a values.update; freelabz/secator#96)
    too_long = "x" * 50001
    for option in ("RAW", "USER_ENTERED"):
        assert error_of(put(session, book, "T!A1", [[too_long]], option)) == (
            400, "INVALID_ARGUMENT", "Your input contains more than the maximum of 50000 characters in a single cell.")
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    answer = batch(session, book, {"updateCells": {"start": {"sheetId": sheet_id}, "fields": "userEnteredValue",
                                                   "rows": [{"values": [{"userEnteredValue": {"stringValue": too_long}}]}]}})
    assert error_of(answer)[2] == ("Invalid requests[0].updateCells: Your input contains more than the maximum of "
                                   "50000 characters in a single cell.")
    assert put(session, book, "T!A1", [["x" * 50000]], "RAW").status_code == 200


def test_a_json_object_as_a_cell_value_is_refused_as_google_shows_it(session, book):
    # Google's answer, recorded in several projects' logs: the value in protobuf text format.
    answer = session.post(f"{SHEETS}/{book}/values/T!A1:append", params={"valueInputOption": "RAW"},
                          json={"values": [[{"expression": "item.map"}]]})
    assert error_of(answer) == (400, "INVALID_ARGUMENT", 'Invalid values[0][0]: struct_value {\n  fields {\n    key: '
                                '"expression"\n    value {\n      string_value: "item.map"\n    }\n  }\n}\n')
    assert put(session, book, "T!A1", [["ok", ["a", "list"]]], "RAW").status_code == 400
    assert values(session, book, "T!A1:B2") is None


# --- who may call -----------------------------------------------------------------------------

def bare_session(app, token: str | None = None) -> requests.Session:
    from wsgiadapter import WSGIAdapter

    session = requests.Session()
    session.trust_env = False
    for host in ("https://sheets.googleapis.com/", "https://www.googleapis.com/"):
        session.mount(host, WSGIAdapter(app))
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_a_request_without_a_valid_token_is_401(app, book):
    missing = bare_session(app).get(f"{SHEETS}/{book}")
    assert error_of(missing) == (401, "UNAUTHENTICATED", "Request is missing required authentication credential. "
                                 "Expected OAuth 2 access token, login cookie or other valid authentication "
                                 "credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
    forged = bare_session(app, "ya29.not-one-the-emulator-issued").get(f"{SHEETS}/{book}")
    assert forged.status_code == 401 and forged.json()["error"]["message"].startswith("Request had invalid")
    drive = bare_session(app).get(f"{DRIVE}/files/{book}")
    assert drive.status_code == 401 and drive.json()["error"]["errors"][0]["reason"] == "required"
    assert app.store.get_spreadsheet(book).properties["title"] == "CRM"


def test_a_token_whose_scopes_do_not_cover_the_method_is_403(app, book):
    reader = bare_session(app, emulator_token([AUTH + "spreadsheets.readonly"]))
    assert reader.get(f"{SHEETS}/{book}").ok
    refused = batch(reader, book, {"addSheet": {"properties": {"title": "X"}}})
    assert error_of(refused) == (403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.")
    assert refused.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    sheets_only = bare_session(app, emulator_token([AUTH + "spreadsheets"]))
    drive = sheets_only.get(f"{DRIVE}/files/{book}/permissions")
    assert drive.status_code == 403 and drive.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    # A service account's token from the token endpoint carries the scopes it asked for.
    granted = bare_session(app).post("https://www.googleapis.com/token",
                                     data={"scope": AUTH + "spreadsheets.readonly"}).json()["access_token"]
    assert batch(bare_session(app, granted), book, {"addSheet": {"properties": {"title": "X"}}}).status_code == 403


def test_the_projects_clients_send_the_scopes_they_ask_for_and_those_suffice(app):
    # No Authorization header of its own: the backend's token (its own scopes) is all there is.
    crm = GoogleSpreadsheet.new("group", session=bare_session(app), share=["larare@example.se"])
    assert crm.read().titles
    assert [p["emailAddress"] for p in crm.list_permissions()][-1] == "larare@example.se"
    assert crm.parent_folder() == "root"
    # Only the narrow scopes it documents: Sheets, plus Drive's per-file and read-only metadata scopes.
    assert set(crm._clients) == {(AUTH + "spreadsheets",), (AUTH + "spreadsheets", AUTH + "drive.file"),
                                 (AUTH + "spreadsheets", AUTH + "drive.metadata.readonly")}


# --- formulas -------------------------------------------------------------------------------

def test_formulas_people_put_in_crms_are_computed(app, session, book):
    rows = [["Acme AB", "5", '=A1&" – "&B1', '=IF(B1>3,"stor","liten")', "=COUNTA(A1:B2)",
             '=VLOOKUP("beta ab",A1:B2,2,FALSE)', '=HYPERLINK("https://acme.se","Acme")', "=TODAY()",
             "=XLOOKUP(A1,A1:A2,B1:B2)", '=VLOOKUP("saknas",A1:B2,2,FALSE)', "=COUNTA(A:A)"],
            ["Beta AB", "7"]]
    assert put(session, book, "T!A1", rows).status_code == 200
    shown = values(session, book, "T!C1:K1")[0]
    today = dt.datetime.now(dt.timezone.utc).date()
    assert shown == ["Acme AB – 5", "stor", "4", "7", "Acme", f"{today.month}/{today.day}/{today.year}", "#NAME?",
                     "#N/A", "2"]
    raw = values(session, book, "T!E1:F1", "UNFORMATTED_VALUE")[0]
    assert raw == [4, 7]
    assert values(session, book, "T!C1", "FORMULA") == [['=A1&" – "&B1']]


# --- what a person's UI actions send ------------------------------------------------------------

def test_move_dimension_insert_range_and_delete_range_act_like_the_ui(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    put(session, book, "T!A1", [["1", "a"], ["2", "b"], ["3", "c"], ["4", "d"]], "RAW")
    # Drag row 1 below row 3: destinationIndex counts before the row is taken out.
    assert batch(session, book, {"moveDimension": {"source": {"sheetId": sheet_id, "dimension": "ROWS",
                                                              "startIndex": 0, "endIndex": 1},
                                                   "destinationIndex": 3}}).ok
    assert values(session, book, "T!A1:B4") == [["2", "b"], ["3", "c"], ["1", "a"], ["4", "d"]]
    # Insert cells in B2 shifting down, then delete A1 shifting up.
    assert batch(session, book, {"insertRange": {"range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 2,
                                                           "startColumnIndex": 1, "endColumnIndex": 2},
                                                 "shiftDimension": "ROWS"}}).ok
    assert values(session, book, "T!A1:B5") == [["2", "b"], ["3"], ["1", "c"], ["4", "a"], ["", "d"]]
    assert batch(session, book, {"deleteRange": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                                                           "startColumnIndex": 0, "endColumnIndex": 1},
                                                 "shiftDimension": "ROWS"}}).ok
    assert values(session, book, "T!A1:B5") == [["3", "b"], ["1"], ["4", "c"], ["", "a"], ["", "d"]]


def test_sort_range_puts_numbers_then_text_then_booleans_and_blanks_last(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    put(session, book, "T!A1", [["b"], [True], [""], ["10"], ["a"], ["2"]], "USER_ENTERED")
    assert batch(session, book, {"sortRange": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 6,
                                                         "startColumnIndex": 0, "endColumnIndex": 1},
                                               "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}]}}).ok
    assert values(session, book, "T!A1:A6") == [["2"], ["10"], ["a"], ["b"], ["TRUE"]]


# --- the recorded refusals --------------------------------------------------------------------

REFUSALS = ["WorksheetTest.test_add_validation.json", "WorksheetTest.test_get_values_merge_cells_outside_of_range.json",
            "WorksheetTest.test_hide_show_worksheet.json", "ClientTest.test_access_non_existing_spreadsheet.json"]


@pytest.mark.skipif(not cassette_folder().is_dir(), reason="the recorded Google sessions are not here")
@pytest.mark.parametrize("cassette", REFUSALS)
def test_every_recorded_refusal_is_answered_exactly_as_google_did(cassette):
    outcomes = replay_cassette(cassette_folder() / cassette)
    misses = [f"#{o.index} {o.endpoint}: {o.difference}" for o in outcomes if not o.matched]
    assert outcomes and not misses, misses


@pytest.mark.skipif(not cassette_folder().is_dir(), reason="the recorded Google sessions are not here")
def test_a_csv_import_through_drive_v2_leaves_the_spreadsheet_as_google_did():
    # gspread's import_csv: the tab, its values and the time zone Google's converter set all
    # match, and so does the v2 upload's own answer, the recording account's ids (user, root
    # folder, permission) learned where the emulator's account has its own of the same shape.
    outcomes = replay_cassette(cassette_folder() / "ClientTest.test_import_csv.json")
    assert all(o.matched for o in outcomes), [o.difference for o in outcomes if not o.matched]
    assert {o.endpoint for o in outcomes} >= {"drive.files.update(v2 upload)"}


# --- rows inserted and deleted: formulas in every tab follow (insertDimension, deleteDimension) ---
# Google moves every reference at or past inserted or deleted rows, in every tab: a range grows
# when rows are inserted below its first row and up to its last (not just below its last), moves
# whole when they go at or above its first row, shrinks when rows inside it are deleted, and a
# reference to a deleted cell becomes #REF!, as Google Sheets' own UI insert/delete row does.

def _rows(sheet_id, start, end):
    return {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": start, "endIndex": end}


def test_inserted_and_deleted_rows_move_the_formulas_of_every_tab(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    assert batch(session, book, {"addSheet": {"properties": {"title": "Översikt"}}}).ok
    put(session, book, "T!B1", [["a"], ["b"], ["c"], ["d"]], "RAW")
    put(session, book, "T!C1", [["=SUM(B1:B3)"]])
    put(session, book, "T!D4", [["=$B$2&B4"]])
    put(session, book, "'Översikt'!A1", [["=COUNTA(T!B1:B4)", "=COUNTA('T'!B1:B4)+1", "=T!B4", "=COUNTA(B1:B4)"]])

    assert batch(session, book, {"insertDimension": {"range": _rows(sheet_id, 2, 3), "inheritFromBefore": True}}).ok
    assert values(session, book, "'Översikt'!A1:D1", "FORMULA") == [[
        "=COUNTA(T!B1:B5)", "=COUNTA('T'!B1:B5)+1", "=T!B5", "=COUNTA(B1:B4)"]]  # its own B1:B4 is another tab's
    assert values(session, book, "T!C1", "FORMULA") == [["=SUM(B1:B4)"]]
    assert values(session, book, "T!D5", "FORMULA") == [["=$B$2&B5"]]  # moved with its row; $ moves too

    # just below a range's last row: not inside it, it stays; at its first row: it moves whole
    assert batch(session, book, {"insertDimension": {"range": _rows(sheet_id, 5, 6)}}).ok
    assert values(session, book, "'Översikt'!A1", "FORMULA") == [["=COUNTA(T!B1:B5)"]]
    assert batch(session, book, {"insertDimension": {"range": _rows(sheet_id, 0, 1)}}).ok
    assert values(session, book, "'Översikt'!A1", "FORMULA") == [["=COUNTA(T!B2:B6)"]]

    # deleted rows: a range shrinks, a reference to the deleted cell is #REF!
    assert batch(session, book, {"deleteDimension": {"range": _rows(sheet_id, 5, 6)}}).ok  # the old B4 ("d")
    assert values(session, book, "'Översikt'!A1:C1", "FORMULA") == [["=COUNTA(T!B2:B5)", "=COUNTA('T'!B2:B5)+1",
                                                                     "=#REF!"]]


def test_insert_dimension_refuses_what_google_refuses(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    # InsertDimensionRequest (discovery): inheritFromBefore true needs a start index above 0,
    # and both ends of the range must be given.
    refused = batch(session, book, {"insertDimension": {"range": _rows(sheet_id, 0, 1), "inheritFromBefore": True}})
    assert refused.status_code == 400 and "insertDimension" in error_of(refused)[2]
    open_end = batch(session, book, {"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                                   "startIndex": 3}}})
    assert open_end.status_code == 400 and "bounded" in error_of(open_end)[2]
    assert grid_of(app, book) == (1000, 26)  # nothing inserted


def test_inserted_rows_take_the_formats_of_the_row_before_or_after(app, session, book):
    sheet_id = app.store.get_spreadsheet(book).sheets[0].sheet_id
    bold = {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                                     "startColumnIndex": 0, "endColumnIndex": 2},
                           "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                           "fields": "userEnteredFormat.textFormat.bold"}}
    put(session, book, "T!A1", [["Rubrik", "Rubrik 2"], ["data", "data"]], "RAW")
    assert batch(session, book, bold).ok
    cells = lambda: app.store.get_spreadsheet(book).sheets[0].cells  # noqa: E731
    assert batch(session, book, {"insertDimension": {"range": _rows(sheet_id, 1, 2), "inheritFromBefore": False}}).ok
    assert "userEnteredFormat" not in cells().get((1, 0), {})  # like the data row after it
    assert batch(session, book, {"insertDimension": {"range": _rows(sheet_id, 1, 2), "inheritFromBefore": True}}).ok
    assert cells()[(1, 0)]["userEnteredFormat"] == {"textFormat": {"bold": True}}  # like the header before it
    assert "userEnteredValue" not in cells()[(1, 0)]  # formats, never values
