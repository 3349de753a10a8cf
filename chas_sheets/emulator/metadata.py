"""Developer metadata: create, update, delete, and `developerMetadata:search` by DataFilter.

Row and column metadata live on a one-row (or one-column) DimensionRange that moves with
inserted and deleted rows (see grid.change_dimension).
"""

from __future__ import annotations

import copy

from chas_sheets.emulator.control import rule_holds
from chas_sheets.emulator.errors import bad_request, not_found
from chas_sheets.emulator.fieldmask import merge_masked
from chas_sheets.emulator.ids import book_random
from chas_sheets.emulator.model import Spreadsheet

VISIBILITIES = ("DOCUMENT", "PROJECT")


def _normal_location(book: Spreadsheet, location: dict) -> dict:
    if location.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if location.get("dimensionRange") is not None:
        dim_range = dict(location["dimensionRange"])
        sheet = book.sheet_by_id(dim_range.get("sheetId"))
        start, end = dim_range.get("startIndex"), dim_range.get("endIndex")
        if start is None or end is None or end - start != 1:
            raise bad_request(
                "The specified DimensionRange must represent a single row or column. "
                "It cannot be unbounded or span multiple rows or columns."
            )
        dimension = dim_range.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise bad_request("DimensionRange.dimension must be ROWS or COLUMNS.")
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        if start < 0 or end > size:  # a row or column that does not exist carries nothing
            raise bad_request(f"Range ({sheet.title}!{dimension} {start}:{end}) exceeds grid limits. "
                              f"Max {dimension.lower()}: {size}")
        return {
            "locationType": "ROW" if dimension == "ROWS" else "COLUMN",
            "dimensionRange": {"sheetId": sheet.sheet_id, "dimension": dimension, "startIndex": start, "endIndex": end},
        }
    if location.get("sheetId") is not None:
        sheet = book.sheet_by_id(location["sheetId"])
        return {"locationType": "SHEET", "sheetId": sheet.sheet_id}
    raise bad_request("A developer metadata location must be set.")


def create(book: Spreadsheet, given: dict) -> dict:

    meta = {k: copy.deepcopy(v) for k, v in given.items() if v is not None}
    if meta.get("visibility") not in VISIBILITIES:
        raise bad_request("Developer metadata visibility must be DOCUMENT or PROJECT.")
    meta["location"] = _normal_location(book, meta.get("location") or {})
    taken = {m["metadataId"] for m in book.developer_metadata}
    if meta.get("metadataId") is None:
        meta["metadataId"] = book_random(book).new_int_id(taken)
    elif meta["metadataId"] <= 0:
        raise bad_request("metadataId must be positive.")
    elif meta["metadataId"] in taken:
        raise bad_request(f"Developer metadata with id {meta['metadataId']} already exists.")
    book.developer_metadata.append(meta)
    return copy.deepcopy(meta)


def _location_intersects(meta_location: dict, wanted: dict, exact: bool) -> bool:
    if wanted.get("locationType") == "SPREADSHEET" or wanted.get("spreadsheet"):
        return meta_location.get("locationType") == "SPREADSHEET" or not exact
    mine = meta_location.get("dimensionRange")
    theirs = wanted.get("dimensionRange")
    if theirs is not None:
        if mine is None:
            return False
        same_axis = mine.get("sheetId", 0) == theirs.get("sheetId", 0) and mine["dimension"] == theirs.get("dimension")
        if exact:
            return same_axis and (mine["startIndex"], mine["endIndex"]) == (theirs.get("startIndex"), theirs.get("endIndex"))
        end = theirs.get("endIndex")
        return same_axis and mine["endIndex"] > (theirs.get("startIndex") or 0) and (end is None or mine["startIndex"] < end)
    if wanted.get("sheetId") is not None:
        if exact:
            return meta_location.get("locationType") == "SHEET" and meta_location.get("sheetId") == wanted["sheetId"]
        sheet_of = meta_location.get("sheetId", (mine or {}).get("sheetId"))
        return sheet_of == wanted["sheetId"]
    return True


def lookup_matches(meta: dict, lookup: dict) -> bool:
    "DeveloperMetadataLookup: every given criterion must match (their intersection)."
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if lookup.get(key) is not None and meta.get(key) != lookup[key]:
            return False
    if lookup.get("locationType") and meta["location"]["locationType"] != lookup["locationType"]:
        return False
    if lookup.get("metadataLocation"):
        exact = lookup.get("locationMatchingStrategy") == "EXACT_LOCATION"
        if not _location_intersects(meta["location"], lookup["metadataLocation"], exact):
            return False
    return True


def matching(book: Spreadsheet, data_filter: dict) -> list[dict]:
    lookup = data_filter.get("developerMetadataLookup")
    if lookup is None:
        raise bad_request("Only developerMetadataLookup data filters select developer metadata here.")
    return [m for m in book.developer_metadata if lookup_matches(m, lookup)]


def update(book: Spreadsheet, body: dict) -> list[dict]:

    changed = []
    for data_filter in body.get("dataFilters") or []:
        for meta in matching(book, data_filter):
            new = dict(meta)
            merge_masked(new, body.get("developerMetadata") or {}, body.get("fields") or "")
            if "location" in new and new["location"] is not meta["location"]:
                new["location"] = _normal_location(book, new["location"])
            meta.clear()
            meta.update(new)
            changed.append(copy.deepcopy(meta))
    return changed


def delete(book: Spreadsheet, data_filter: dict) -> list[dict]:
    """The metadata the filter matches, deleted; matching nothing is no error (the answer's
    `deletedDeveloperMetadata` is then empty)."""
    doomed = matching(book, data_filter)
    if not doomed and not rule_holds("unmatched_metadata_delete_allowed"):
        raise bad_request("No developer metadata matches the data filter.")  # the rule switched off
    book.developer_metadata = [m for m in book.developer_metadata if m not in doomed]
    return copy.deepcopy(doomed)


def search(book: Spreadsheet, body: dict) -> dict:
    "developerMetadata:search -> {matchedDeveloperMetadata: [{developerMetadata, dataFilters}]}."
    matched = []
    for data_filter in body.get("dataFilters") or []:
        for meta in matching(book, data_filter):
            found = next((m for m in matched if m["developerMetadata"]["metadataId"] == meta["metadataId"]), None)
            if found is None:
                matched.append({"developerMetadata": copy.deepcopy(meta), "dataFilters": [copy.deepcopy(data_filter)]})
            else:
                found["dataFilters"].append(copy.deepcopy(data_filter))
    return {"matchedDeveloperMetadata": matched} if matched else {}


def get(book: Spreadsheet, metadata_id: int) -> dict:
    for meta in book.developer_metadata:
        if meta["metadataId"] == metadata_id:
            return copy.deepcopy(meta)
    raise not_found(f"No developer metadata with ID {metadata_id}.")
