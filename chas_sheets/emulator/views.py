"""The Spreadsheet resource as `spreadsheets.get` returns it (with grid data on request)."""

from __future__ import annotations

import copy

from chas_sheets.emulator import a1
from chas_sheets.emulator.cellvalues import effective_value, formatted_value, number_format_of
from chas_sheets.emulator.model import Sheet, Spreadsheet

DEFAULT_ROW_PIXELS, DEFAULT_COLUMN_PIXELS = 21, 100


def spreadsheet_url(spreadsheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


def cell_view(sheet: Sheet, cell: dict, validation: dict | None = None) -> dict:
    """CellData with the computed effectiveValue and formattedValue. It shares the stored
    dicts (no copies): views are serialised at once and never changed."""
    view = {}
    if "userEnteredValue" in cell:
        view["userEnteredValue"] = cell["userEnteredValue"]
    effective = effective_value(cell, sheet.lookup)
    if effective:
        view["effectiveValue"] = effective
        view["formattedValue"] = formatted_value(effective, number_format_of(cell))
    for key, value in cell.items():
        if key not in view and key not in ("userEnteredValue", "dataValidation"):
            view[key] = value
    if "userEnteredFormat" in cell:
        view["effectiveFormat"] = cell["userEnteredFormat"]
    if validation:
        view["dataValidation"] = validation
    return view


def grid_data(sheet: Sheet, span: a1.Span) -> dict:
    span = span.clamp(sheet.row_count, sheet.col_count)
    inside = {
        k: v for k, v in sheet.cells.items()
        if span.start_row <= k[0] < span.end_row and span.start_col <= k[1] < span.end_col
    }
    for entry in sheet.validations:
        if entry["rule"] is None:
            continue
        r = entry["range"]
        for row in range(max(span.start_row, r["startRowIndex"]), min(span.end_row, r["endRowIndex"])):
            for col in range(max(span.start_col, r["startColumnIndex"]), min(span.end_col, r["endColumnIndex"])):
                inside.setdefault((row, col), {})
    data: dict = {}
    if span.start_row:
        data["startRow"] = span.start_row
    if span.start_col:
        data["startColumn"] = span.start_col
    if inside:
        by_row: dict[int, list] = {}
        for r, c in inside:
            by_row.setdefault(r, []).append(c)
        rows = []
        for r in range(span.start_row, max(by_row) + 1):
            cols = by_row.get(r)
            if not cols:
                rows.append({})
                continue
            values = [cell_view(sheet, inside[(r, c)], sheet.validation_at(r, c)) if (r, c) in inside else {}
                      for c in range(span.start_col, max(cols) + 1)]
            rows.append({"values": values})
        data["rowData"] = rows
    data["rowMetadata"] = [
        _dimension_view(sheet.row_props.get(r), DEFAULT_ROW_PIXELS) for r in range(span.start_row, span.end_row)
    ]
    data["columnMetadata"] = [
        _dimension_view(sheet.col_props.get(c), DEFAULT_COLUMN_PIXELS) for c in range(span.start_col, span.end_col)
    ]
    return data


def _dimension_view(props: dict | None, default_pixels: int) -> dict:
    view = {"pixelSize": default_pixels}
    view.update(copy.deepcopy(props or {}))
    return view


def sheet_view(book: Spreadsheet, sheet: Sheet, spans: list | None) -> dict:
    body: dict = {"properties": copy.deepcopy(sheet.properties)}
    if spans is not None:
        body["data"] = [grid_data(sheet, span) for span in spans]
    for key, value in (
        ("merges", sheet.merges),
        ("conditionalFormats", sheet.conditional_formats),
        ("protectedRanges", sheet.protected_ranges),
        ("charts", sheet.charts),
        ("rowGroups", sheet.row_groups),
        ("columnGroups", sheet.column_groups),
    ):
        if value:
            body[key] = copy.deepcopy(value)
    if sheet.protected_ranges:
        body["protectedRanges"] = [_with_owner(p) for p in body["protectedRanges"]]
    if sheet.basic_filter:
        body["basicFilter"] = copy.deepcopy(sheet.basic_filter)
    metadata = [m for m in book.developer_metadata if _located_on_sheet(m, sheet.sheet_id)]
    if metadata:
        body["developerMetadata"] = copy.deepcopy(metadata)
    return body


def _with_owner(protected: dict) -> dict:
    "Google lists the requesting owner among a protected range's editors."
    from chas_sheets.emulator.drive_api import OWNER_EMAIL

    editors = protected.setdefault("editors", {})
    users = editors.setdefault("users", [])
    if OWNER_EMAIL not in users:
        users.insert(0, OWNER_EMAIL)
    return protected


def _located_on_sheet(meta: dict, sheet_id: int) -> bool:
    location = meta.get("location", {})
    if location.get("locationType") == "SHEET":
        return location.get("sheetId", 0) == sheet_id
    dim_range = location.get("dimensionRange")
    return dim_range is not None and dim_range.get("sheetId", 0) == sheet_id


def spreadsheet_view(book: Spreadsheet, include_grid: bool, ranges: list[tuple[Sheet, a1.Span]] | None,
                     ranged_keeps_metadata: bool = True) -> dict:
    """The whole resource; with `ranges`, only the sheets they touch (and their spans), and the
    spreadsheet-level developerMetadata all the same: it is part of the resource itself, not
    of a sheet (`ranged_keeps_metadata` False: a server that drops it, for tests)."""
    sheets = []
    for sheet in book.sheets:
        if ranges:
            spans = [span for (s, span) in ranges if s is sheet]
            if not spans:
                continue
            sheets.append(sheet_view(book, sheet, spans if include_grid else None))
        else:
            sheets.append(sheet_view(book, sheet, [a1.Span()] if include_grid else None))
    body = {
        "spreadsheetId": book.spreadsheet_id,
        "properties": copy.deepcopy(book.properties),
        "sheets": sheets,
    }
    if book.named_ranges:
        body["namedRanges"] = copy.deepcopy(book.named_ranges)
    spreadsheet_meta = [m for m in book.developer_metadata if m.get("location", {}).get("locationType") == "SPREADSHEET"]
    if spreadsheet_meta and (ranged_keeps_metadata or not ranges):
        body["developerMetadata"] = copy.deepcopy(spreadsheet_meta)
    body["spreadsheetUrl"] = spreadsheet_url(book.spreadsheet_id)
    return body
