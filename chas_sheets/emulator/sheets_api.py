"""spreadsheets.create, get, batchUpdate and developerMetadata get/search."""

from __future__ import annotations

import copy

from chas_sheets.emulator import batch_requests, discovery, fieldmask, metadata, views
from chas_sheets.emulator.control import rule_holds
from chas_sheets.emulator.drive_api import _owner_permission
from chas_sheets.emulator.errors import ApiError, bad_request
from chas_sheets.emulator.model import SPREADSHEET_MIME, DriveFile, Sheet


def create(call):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "Spreadsheet", body)
    store = call.store
    title = (body.get("properties") or {}).get("title") or "Untitled spreadsheet"
    book = store.new_spreadsheet(title)
    book.properties.update({k: v for k, v in (body.get("properties") or {}).items() if v is not None})
    if body.get("sheets"):
        book.sheets = []
        for i, given in enumerate(body["sheets"]):
            properties = copy.deepcopy(given.get("properties") or {})
            properties.setdefault("sheetId", 0 if i == 0 else store.new_int_id({s.sheet_id for s in book.sheets}))
            properties.setdefault("title", f"Sheet{i + 1}")
            properties["index"] = i
            properties.setdefault("sheetType", "GRID")
            grid = properties.setdefault("gridProperties", {})
            grid.setdefault("rowCount", 1000)
            grid.setdefault("columnCount", 26)
            book.sheets.append(Sheet(properties=properties))
    now = store.clock.now()
    store.add_file(DriveFile(book.spreadsheet_id, title, SPREADSHEET_MIME, now, now,
                             permissions=[_owner_permission()], spreadsheet=book))
    return 200, views.spreadsheet_view(book, False, None)


def get(call, book):
    mask = fieldmask.parse(call.param("fields")) if call.param("fields") else None
    include_grid = call.flag("includeGridData") or (mask is not None and _asks_grid(mask))
    ranges = _resolved(book, call.query.get("ranges", []))
    body = views.spreadsheet_view(book, include_grid, ranges or None,
                                  rule_holds("ranged_get_keeps_spreadsheet_metadata"))
    return 200, fieldmask.apply(mask, body) if mask else body


def _resolved(book, texts: list[str]) -> list:
    """A1 ranges -> (sheet, span); one naming a tab that is not there refuses the request
    whole ("Unable to parse range"; a batchUpdate is then not applied either)."""
    if rule_holds("missing_tab_range_refused"):
        return [book.resolve(text) for text in texts]
    found = []
    for text in texts:  # the rule switched off: a lenient server that skips such a range
        try:
            found.append(book.resolve(text))
        except ApiError as error:
            if "Unable to parse range" not in error.message:
                raise
    return found


def _asks_grid(mask: dict) -> bool:
    sheets = mask.get("sheets")
    return sheets is not None and (not sheets or "data" in sheets or "*" in sheets)


def batch_update(call, book):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "BatchUpdateSpreadsheetRequest", body)
    requests = body.get("requests") or []
    if not requests:
        raise bad_request("Must specify at least one request.")
    replies = batch_requests.apply_all(book, requests, call.store)
    response = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
    mask = fieldmask.parse(call.param("fields")) if call.param("fields") else None
    if body.get("includeSpreadsheetInResponse"):
        ranges = _resolved(book, body.get("responseRanges") or [])
        # As in spreadsheets.get: a field mask that names grid data asks for it ("ignored if a
        # field mask was set"), and the answer is cut to the mask.
        asked = mask is not None and _asks_grid(mask.get("updatedSpreadsheet") or {})
        response["updatedSpreadsheet"] = views.spreadsheet_view(
            book, bool(body.get("responseIncludeGridData")) or asked, ranges or None,
            rule_holds("ranged_batch_answer_keeps_spreadsheet_metadata"))
    return 200, fieldmask.apply(mask, response) if mask else response


def get_metadata(call, book, metadata_id):
    if not metadata_id.isdigit():
        raise bad_request(f"Invalid value at 'metadata_id' (TYPE_INT32), \"{metadata_id}\"")
    return 200, metadata.get(book, int(metadata_id))


def search_metadata(call, book):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "SearchDeveloperMetadataRequest", body)
    return 200, metadata.search(book, body)
