"""spreadsheets.batchUpdate: the request kinds, applied in order, all or nothing.

Each handler takes (book, request body) and returns its reply ({} when Google's is empty);
it raises RequestError for what Google rejects as `Invalid requests[i].kind: ...`.
"""

from __future__ import annotations

import copy

from chas_sheets.emulator import a1, fieldmask, grid
from chas_sheets.emulator.control import rule_holds
from chas_sheets.emulator.errors import ApiError, bad_request
from chas_sheets.emulator.fieldmask import merge_masked
from chas_sheets.emulator.formats import normalize_colors, stored_sheet_properties, without_nulls
from chas_sheets.emulator.ids import book_random, ids_for_batch
from chas_sheets.emulator.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet


class RequestError(Exception):
    "A sub-request Google would reject; the message follows `Invalid requests[i].kind: `."


# --- helpers -------------------------------------------------------------------------

def prune_grid_range(grid_range: dict) -> dict:
    "Google leaves out sheetId 0 (proto3 default) when it echoes a GridRange."
    pruned = {k: v for k, v in grid_range.items() if v is not None}
    if pruned.get("sheetId") == 0:
        pruned.pop("sheetId")
    return pruned


def _span_of(book: Spreadsheet, grid_range: dict) -> tuple[Sheet, a1.Span]:
    sheet, span = book.grid_range_span(grid_range or {})
    return sheet, span.clamp(sheet.row_count, sheet.col_count)


def _span_in_grid(book: Spreadsheet, grid_range: dict) -> tuple[Sheet, a1.Span]:
    """A GridRange that must start inside the grid, as Google checks it (a repeatCell probed
    against the live API: starting at or past the last row or column is refused, open-ended
    or not; starting inside and ending past is taken, on the cells the grid has)."""
    sheet, span = book.grid_range_span(grid_range or {})
    if (span.start_row or 0) >= sheet.row_count or (span.start_col or 0) >= sheet.col_count:
        raise RequestError(grid_limits_message(sheet, span))
    return sheet, span.clamp(sheet.row_count, sheet.col_count)


def grid_limits_message(sheet: Sheet, span: a1.Span) -> str:
    "Google's words, naming the range as given: `Range (T!A1001:B) exceeds grid limits. ...`."
    start = f"{a1.column_letters(span.start_col or 0)}{(span.start_row or 0) + 1}"
    end = (a1.column_letters(span.end_col - 1) if span.end_col is not None else "") + (
        str(span.end_row) if span.end_row is not None else "")
    cells = start if span.is_single_cell else f"{start}:{end}"
    return (f"Range ({a1.quote_title(sheet.title)}!{cells}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}")


def _cells_in(span: a1.Span):
    for r in range(span.start_row, span.end_row):
        for c in range(span.start_col, span.end_col):
            yield r, c


def _apply_cell(sheet: Sheet, key: tuple, data: dict, mask: str) -> None:
    cell = sheet.cells.get(key, {})
    merge_masked(cell, _stored_cell(data), mask)
    if "userEnteredFormat" in cell:
        cell["userEnteredFormat"] = normalize_colors(cell["userEnteredFormat"])
    if cell.get("note") == "":
        del cell["note"]  # proto3: an empty note is no note
    if cell:
        sheet.cells[key] = cell
    else:
        sheet.cells.pop(key, None)


def _stored_cell(data: dict) -> dict:
    "What a client sends as CellData, minus the read-only computed fields."
    return {k: v for k, v in (data or {}).items() if k not in ("effectiveValue", "formattedValue", "effectiveFormat")}


def _write_rows(sheet: Sheet, start_row: int, start_col: int, rows: list, mask: str, span: a1.Span | None = None) -> None:
    height = len(rows)
    width = max((len((r or {}).get("values") or []) for r in rows), default=0)
    if span is None:
        sheet.grow_to(start_row + height, start_col + width)
        span = a1.Span(start_row, start_row + height, start_col, start_col + width)
    for r, c in _cells_in(span):
        i, j = r - start_row, c - start_col
        values = (rows[i] or {}).get("values") or [] if i < height else []
        _apply_cell(sheet, (r, c), values[j] if j < len(values) else {}, mask)


def _sheet_properties(book: Spreadsheet, given: dict) -> dict:
    properties = copy.deepcopy(given or {})
    taken = {s.sheet_id for s in book.sheets}
    if properties.get("sheetId") is None:
        properties["sheetId"] = book_random(book).new_int_id(taken)
    elif properties["sheetId"] in taken:
        raise RequestError(f"A sheet with id {properties['sheetId']} already exists.")
    if not properties.get("title"):
        n = len(book.sheets) + 1
        while book.sheet_by_title(f"Sheet{n}"):
            n += 1
        properties["title"] = f"Sheet{n}"
    elif book.sheet_by_title(properties["title"]):
        raise RequestError(
            f'A sheet with the name "{properties["title"]}" already exists. Please enter another name.'
        )
    properties["sheetType"] = properties.get("sheetType") or "GRID"
    grid_props = properties.setdefault("gridProperties", {})
    grid_props.setdefault("rowCount", DEFAULT_ROWS)
    grid_props.setdefault("columnCount", DEFAULT_COLUMNS)
    return properties


def _place(book: Spreadsheet, sheet: Sheet, index: int | None) -> None:
    "Put a sheet at an index counted before the move, as Google does."
    others = [s for s in book.sheets if s is not sheet]
    if index is None:
        index = len(others)
    old = book.sheets.index(sheet) if sheet in book.sheets else None
    if old is not None and index > old:
        index -= 1
    index = max(0, min(index, len(others)))
    others.insert(index, sheet)
    book.sheets = others
    for i, s in enumerate(book.sheets):
        s.properties["index"] = i


# --- sheets ----------------------------------------------------------------------------

def add_sheet(book, body):
    properties = stored_sheet_properties(_sheet_properties(book, body.get("properties")))
    index = properties.pop("index", None)
    sheet = Sheet(properties=properties)
    _place(book, sheet, index)
    return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}


def delete_sheet(book, body):
    if not rule_holds("missing_sheet_delete_refused") and body.get("sheetId", 0) not in {
            s.sheet_id for s in book.sheets}:
        return {}  # the rule switched off: a lenient server that ignores it
    sheet = book.sheet_by_id(body.get("sheetId"))  # "No grid with id: N": the whole batch refused
    if len(book.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    for i, s in enumerate(book.sheets):
        s.properties["index"] = i
    book.named_ranges = [n for n in book.named_ranges if n["range"].get("sheetId", 0) != sheet.sheet_id]
    return {}


def duplicate_sheet(book, body):
    source = book.sheet_by_id(body.get("sourceSheetId"))
    duplicate = copy.deepcopy(source)
    wanted = {"sheetId": body.get("newSheetId"), "title": body.get("newSheetName") or f"Copy of {source.title}"}
    properties = _sheet_properties(book, {**source.properties, **wanted})
    duplicate.properties = properties
    _place(book, duplicate, body.get("insertSheetIndex"))
    return {"duplicateSheet": {"properties": copy.deepcopy(duplicate.properties)}}


def update_sheet_properties(book, body):
    given = body.get("properties") or {}
    sheet = book.sheet_by_id(given.get("sheetId"))
    mask = body.get("fields") or ""
    if not mask:
        raise RequestError("At least one field must be updated, but 'fields' is empty.")
    new = copy.deepcopy(sheet.properties)
    for name in fieldmask.parse(mask):  # a colour and its Style twin change together
        twin = name[: -len("Style")] if name.endswith("ColorStyle") else name + "Style"
        if name.endswith(("Color", "ColorStyle")):
            new.pop(twin, None)
    merge_masked(new, given, mask)
    new["sheetId"] = sheet.sheet_id
    new.setdefault("title", sheet.title)
    new.setdefault("sheetType", "GRID")
    if new["title"] != sheet.title and book.sheet_by_title(new["title"]) not in (None, sheet):
        raise RequestError(f'A sheet with the name "{new["title"]}" already exists. Please enter another name.')
    if new.get("hidden") and all(s.properties.get("hidden") for s in book.sheets if s is not sheet):
        raise RequestError("You can't hide all the sheets in a document.")
    if not new.get("hidden"):
        new.pop("hidden", None)
    index = new.pop("index", sheet.properties["index"])
    old_grid = dict(sheet.grid)
    sheet.properties = new = stored_sheet_properties(new)
    new_grid = new.setdefault("gridProperties", {})
    for key in ("rowCount", "columnCount"):
        new_grid.setdefault(key, old_grid.get(key, 0))
    _drop_outside(sheet)
    new["index"] = sheet.properties.get("index", 0)
    if "index" in fieldmask.parse(mask) or mask == "*":
        _place(book, sheet, index)
    else:
        sheet.properties["index"] = book.sheets.index(sheet)
    return {}


def _drop_outside(sheet: Sheet) -> None:
    "Shrinking a grid deletes what lies outside it."
    rows, cols = sheet.row_count, sheet.col_count
    sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < rows and k[1] < cols}


def update_spreadsheet_properties(book, body):
    merge_masked(book.properties, body.get("properties") or {}, body.get("fields") or "")
    return {}


# --- dimensions ------------------------------------------------------------------------

def _dimension_range(book, dim_range: dict) -> tuple[Sheet, str, int, int]:
    sheet = book.sheet_by_id((dim_range or {}).get("sheetId"))
    dimension = dim_range.get("dimension")
    limit = sheet.row_count if dimension == grid.ROWS else sheet.col_count
    start = dim_range.get("startIndex") or 0
    end = dim_range.get("endIndex")
    end = limit if end is None else end
    if start > end:
        raise RequestError("The start index must be less than or equal to the end index.")
    return sheet, dimension, start, end


def insert_dimension(book, body):
    """Rows or columns inserted before `startIndex`; everything at or past it moves (formulas in
    every tab with it), and the new ones take the formats and size of the row (column) before
    them with `inheritFromBefore`, else of the one after (InsertDimensionRequest)."""
    if (body.get("range") or {}).get("endIndex") is None:
        raise RequestError("range.endIndex must be set: both the start and end indexes must be bounded.")
    sheet, dimension, start, end = _dimension_range(book, body.get("range"))
    limit = sheet.row_count if dimension == grid.ROWS else sheet.col_count
    if start > limit:
        raise RequestError(f"Cannot insert at index {start}: the sheet has only {limit}.")
    before = bool(body.get("inheritFromBefore"))
    if before and start == 0:
        raise RequestError("Cannot inherit from before when inserting at index 0.")
    grid.change_dimension(book, sheet, dimension, start, end, inserted=True)
    grid.inherit_formats(sheet, dimension, start, end, start - 1 if before else end)
    return {}


def delete_dimension(book, body):
    sheet, dimension, start, end = _dimension_range(book, body.get("range"))
    rows = dimension == grid.ROWS
    word = "row" if rows else "column"
    limit = sheet.row_count if rows else sheet.col_count
    if end > limit:
        raise RequestError(f"Cannot delete a {word} that doesn't exist. Tried to delete {word} index "
                           f"{max(start, limit)} but there are only {limit} {word}s.")
    frozen = sheet.grid.get("frozenRowCount" if rows else "frozenColumnCount") or 0
    if start <= frozen and end >= limit:
        raise RequestError(f"Sorry, it is not possible to delete all non-frozen {word}s.")
    grid.change_dimension(book, sheet, dimension, start, end, inserted=False)
    return {}


def move_dimension(book, body):
    """Drag rows or columns elsewhere: `destinationIndex` counts before the source is taken
    out (Google's MoveDimensionRequest). Cells, sizes and single-row metadata move along."""
    sheet, dimension, start, end = _dimension_range(book, body.get("source"))
    limit = sheet.row_count if dimension == grid.ROWS else sheet.col_count
    if end > limit:
        raise RequestError(grid_limits_message(sheet, a1.Span(start, end, 0, sheet.col_count) if dimension == grid.ROWS
                                               else a1.Span(0, sheet.row_count, start, end)))
    destination = body.get("destinationIndex")
    if destination is None or not 0 <= destination <= limit:
        raise RequestError(f"destinationIndex must be between 0 and {limit}.")
    grid.move_dimension(book, sheet, dimension, start, end, destination)
    return {}


def _shifted_range(book, body, inserted: bool):
    sheet, span = _span_in_grid(book, body.get("range"))
    dimension = body.get("shiftDimension")
    if dimension not in (grid.ROWS, grid.COLUMNS):
        raise RequestError("shiftDimension must be ROWS or COLUMNS.")
    grid.shift_cells(sheet, span, dimension, inserted)
    return {}


def insert_range(book, body):
    "Insert cells, shifting those below (ROWS) or to the right (COLUMNS) along; the grid grows."
    return _shifted_range(book, body, inserted=True)


def delete_range(book, body):
    "Delete cells, shifting those below (ROWS) or to the right (COLUMNS) into their place."
    return _shifted_range(book, body, inserted=False)


def append_dimension(book, body):
    sheet = book.sheet_by_id(body.get("sheetId"))
    key = "rowCount" if body.get("dimension") == grid.ROWS else "columnCount"
    sheet.grid[key] = sheet.grid.get(key, 0) + int(body.get("length") or 0)
    return {}


def update_dimension_properties(book, body):
    dim_range = body.get("range") or {}
    sheet, dimension, start, end = _dimension_range(book, dim_range)
    props = sheet.row_props if dimension == grid.ROWS else sheet.col_props
    for i in range(start, end):
        current = props.get(i, {})
        merge_masked(current, body.get("properties") or {}, body.get("fields") or "*")
        props[i] = current
    return {}


def auto_resize_dimensions(book, body):
    book.sheet_by_id((body.get("dimensions") or {}).get("sheetId"))
    return {}


def _dimension_group(book, body, add: bool):
    dim_range = dict(body.get("range") or {})
    sheet, dimension, start, end = _dimension_range(book, dim_range)
    groups = sheet.row_groups if dimension == grid.ROWS else sheet.column_groups
    clean = {"dimension": dimension, "startIndex": start, "endIndex": end}
    if sheet.sheet_id:
        clean = {"sheetId": sheet.sheet_id, **clean}
    if add:
        groups.append({"range": clean, "depth": 1})
        control = "rowGroupControlAfter" if dimension == grid.ROWS else "columnGroupControlAfter"
        sheet.grid[control] = True  # Google switches the +/- control below/right once grouped
    else:
        groups[:] = [g for g in groups if (g["range"]["startIndex"], g["range"]["endIndex"]) != (start, end)]
    key = "addDimensionGroup" if add else "deleteDimensionGroup"
    return {key: {"dimensionGroups": copy.deepcopy(groups)}} if groups else {key: {}}


def add_dimension_group(book, body):
    return _dimension_group(book, body, add=True)


def delete_dimension_group(book, body):
    return _dimension_group(book, body, add=False)


# --- cells -----------------------------------------------------------------------------

def update_cells(book, body):
    mask = body.get("fields")
    if not mask:
        raise RequestError("At least one field must be updated, but 'fields' is empty.")
    rows = body.get("rows") or []
    if body.get("range") is not None:
        sheet, span = _span_in_grid(book, body["range"])
        _write_rows(sheet, span.start_row, span.start_col, rows, mask, span)
    else:
        start = body.get("start") or {}
        sheet = book.sheet_by_id(start.get("sheetId"))
        row, col = start.get("rowIndex") or 0, start.get("columnIndex") or 0
        _check_coordinate(sheet, row, col)
        height = len(rows)
        width = max((len((r or {}).get("values") or []) for r in rows), default=0)
        if row + height > sheet.row_count or col + width > sheet.col_count:
            # updateCells never grows the grid (appendDimension or appendCells do).
            raise RequestError(grid_limits_message(sheet, a1.Span(row, row + height, col, col + width)))
        _write_rows(sheet, row, col, rows, mask)
    return {}


def _check_coordinate(sheet: Sheet, row: int, col: int) -> None:
    "A GridCoordinate outside the grid, in Google's words."
    if row >= sheet.row_count:
        raise RequestError(f"GridCoordinate.rowIndex[{row}] is after last row in grid[{sheet.row_count - 1}]")
    if col >= sheet.col_count:
        raise RequestError(f"GridCoordinate.columnIndex[{col}] is after last column in grid[{sheet.col_count - 1}]")


def append_cells(book, body):
    mask = body.get("fields")
    if not mask:
        raise RequestError("At least one field must be updated, but 'fields' is empty.")
    sheet = book.sheet_by_id(body.get("sheetId"))
    used_rows = max((r + 1 for r, _ in sheet.cells), default=0)
    _write_rows(sheet, used_rows, 0, body.get("rows") or [], mask)
    return {}


def repeat_cell(book, body):
    sheet, span = _span_in_grid(book, body.get("range"))
    mask = body.get("fields") or ""
    if not mask:
        raise RequestError("At least one field must be updated, but 'fields' is empty.")
    for key in _cells_in(span):
        _apply_cell(sheet, key, body.get("cell") or {}, mask)
    return {}


def set_data_validation(book, body):
    sheet, span = _span_in_grid(book, body.get("range"))
    rule = without_nulls(copy.deepcopy(body.get("rule"))) or None
    keys = list(sheet.cells) if len(sheet.cells) < span_size(span) else list(_cells_in(span))
    for key in keys:
        if key in sheet.cells and _inside(key, span):
            sheet.cells[key].pop("dataValidation", None)
    grid_range = {"startRowIndex": span.start_row, "endRowIndex": span.end_row,
                  "startColumnIndex": span.start_col, "endColumnIndex": span.end_col}
    # Older entries this one covers entirely can go.
    sheet.validations = [v for v in sheet.validations if not _covers(grid_range, v["range"])]
    sheet.validations.append({"range": {"sheetId": sheet.sheet_id, **grid_range}, "rule": rule})
    return {}


def span_size(span: a1.Span) -> int:
    return (span.end_row - span.start_row) * (span.end_col - span.start_col)


def _inside(key: tuple, span: a1.Span) -> bool:
    return span.start_row <= key[0] < span.end_row and span.start_col <= key[1] < span.end_col


def _covers(outer: dict, inner: dict) -> bool:
    return all(
        outer[f"start{k}Index"] <= inner.get(f"start{k}Index", 0)
        and inner.get(f"end{k}Index", 0) <= outer[f"end{k}Index"]
        for k in ("Row", "Column")
    )


def sort_range(book, body):
    sheet, span = _span_in_grid(book, body.get("range"))
    grid.sort_rows(sheet, span, body.get("sortSpecs") or [])
    return {}


def _copy_block(book, source_range: dict, dest_sheet: Sheet, dest_row: int, dest_col: int, cut: bool) -> None:
    sheet, span = _span_of(book, source_range)
    block = {(r - span.start_row, c - span.start_col): copy.deepcopy(sheet.cells.get((r, c)))
             for r, c in _cells_in(span)}
    if cut:
        for key in _cells_in(span):
            sheet.cells.pop(key, None)
    height, width = span.end_row - span.start_row, span.end_col - span.start_col
    dest_sheet.grow_to(dest_row + height, dest_col + width)
    for (i, j), cell in block.items():
        if cell:
            dest_sheet.cells[(dest_row + i, dest_col + j)] = cell
        else:
            dest_sheet.cells.pop((dest_row + i, dest_col + j), None)


def _inside_grid(book, grid_range: dict) -> tuple[Sheet, a1.Span]:
    "A GridRange that must lie inside its sheet's grid, as Google checks it."
    sheet, span = book.grid_range_span(grid_range or {})
    if span.exceeds(sheet.row_count, sheet.col_count):
        raise RequestError(f"Range ({a1.quote_title(sheet.title)}!{_a1_of(span, sheet)}) exceeds grid limits. "
                           f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}")
    return sheet, span.clamp(sheet.row_count, sheet.col_count)


def _a1_of(span: a1.Span, sheet: Sheet) -> str:
    span = span.clamp(max(sheet.row_count, span.end_row or 0), max(sheet.col_count, span.end_col or 0))
    return (f"{a1.column_letters(span.start_col)}{span.start_row + 1}:"
            f"{a1.column_letters(span.end_col - 1)}{span.end_row}")


def copy_paste(book, body):
    """PASTE_NORMAL: values, formulas, formats, notes, data validation and merges. The data
    is repeated over a destination that is a multiple of the source; a smaller destination
    still gets the whole source from its top-left cell. Both ranges must lie inside their grids
    (nothing grows). Other paste types and TRANSPOSE are not emulated (refused, not faked)."""
    paste_type = body.get("pasteType") or "PASTE_NORMAL"
    if paste_type != "PASTE_NORMAL" or (body.get("pasteOrientation") or "NORMAL") != "NORMAL":
        raise ApiError(501, f"The emulator does not implement copyPaste with {paste_type}/"
                            f"{body.get('pasteOrientation') or 'NORMAL'}.")
    source_sheet, source = _inside_grid(book, body.get("source"))
    dest_sheet, dest = _inside_grid(book, body.get("destination"))
    height, width = source.end_row - source.start_row, source.end_col - source.start_col
    if not height or not width:
        return {}
    down = max(1, (dest.end_row - dest.start_row) // height) if (dest.end_row - dest.start_row) % height == 0 else 1
    across = max(1, (dest.end_col - dest.start_col) // width) if (dest.end_col - dest.start_col) % width == 0 else 1
    _inside_grid(book, {"sheetId": dest_sheet.sheet_id, "startRowIndex": dest.start_row,  # the whole paste
                        "endRowIndex": dest.start_row + height * down, "startColumnIndex": dest.start_col,
                        "endColumnIndex": dest.start_col + width * across})
    # Read the source whole before pasting: a paste over its own source sees it as it was.
    block = {(r - source.start_row, c - source.start_col): (copy.deepcopy(source_sheet.cells.get((r, c))),
                                                            source_sheet.validation_at(r, c))
             for r, c in _cells_in(source)}
    merges = [m for m in source_sheet.merges if _within(m, source)]
    for i in range(down):
        for j in range(across):
            _paste_block(block, merges, source, dest_sheet, dest.start_row + i * height, dest.start_col + j * width)
    return {}


def _paste_block(block: dict, merges: list, span: a1.Span, dest: Sheet, row: int, col: int) -> None:
    dr, dc = row - span.start_row, col - span.start_col
    target = a1.Span(row, row + span.end_row - span.start_row, col, col + span.end_col - span.start_col)
    for (i, j), (cell, rule) in block.items():
        key = (row + i, col + j)
        if cell:
            dest.cells[key] = copy.deepcopy(cell)
        else:
            dest.cells.pop(key, None)
        if rule is not None or dest.validation_at(*key) is not None:  # held by range here: cell by cell
            dest.validations.append({"range": {"sheetId": dest.sheet_id, "startRowIndex": key[0],
                                               "endRowIndex": key[0] + 1, "startColumnIndex": key[1],
                                               "endColumnIndex": key[1] + 1}, "rule": copy.deepcopy(rule)})
    dest.merges = [m for m in dest.merges if not _overlaps(m, target)]
    for merge in merges:
        dest.merges.append(prune_grid_range({
            "sheetId": dest.sheet_id, "startRowIndex": merge.get("startRowIndex", 0) + dr,
            "endRowIndex": merge.get("endRowIndex", 0) + dr, "startColumnIndex": merge.get("startColumnIndex", 0) + dc,
            "endColumnIndex": merge.get("endColumnIndex", 0) + dc}))


def _within(grid_range: dict, span: a1.Span) -> bool:
    return (span.start_row <= grid_range.get("startRowIndex", 0) and grid_range.get("endRowIndex", 0) <= span.end_row
            and span.start_col <= grid_range.get("startColumnIndex", 0)
            and grid_range.get("endColumnIndex", 0) <= span.end_col)


def cut_paste(book, body):
    dest = body.get("destination") or {}
    dest_sheet = book.sheet_by_id(dest.get("sheetId"))
    _copy_block(book, body.get("source"), dest_sheet, dest.get("rowIndex") or 0, dest.get("columnIndex") or 0, cut=True)
    return {}


def merge_cells(book, body):
    sheet, span = _span_in_grid(book, body.get("range"))
    kind = body.get("mergeType") or "MERGE_ALL"
    if kind == "MERGE_ROWS":
        pieces = [a1.Span(r, r + 1, span.start_col, span.end_col) for r in range(span.start_row, span.end_row)]
    elif kind == "MERGE_COLUMNS":
        pieces = [a1.Span(span.start_row, span.end_row, c, c + 1) for c in range(span.start_col, span.end_col)]
    else:
        pieces = [span]
    sheet.merges = [m for m in sheet.merges if not _overlaps(m, span)]
    for piece in pieces:
        for key in _cells_in(piece):
            if key != (piece.start_row, piece.start_col):
                sheet.cells.pop(key, None)
        sheet.merges.append(prune_grid_range({
            "sheetId": sheet.sheet_id,
            "startRowIndex": piece.start_row, "endRowIndex": piece.end_row,
            "startColumnIndex": piece.start_col, "endColumnIndex": piece.end_col,
        }))
    return {}


def _overlaps(grid_range: dict, span: a1.Span) -> bool:
    return not (
        grid_range.get("endRowIndex", 0) <= span.start_row or grid_range.get("startRowIndex", 0) >= span.end_row
        or grid_range.get("endColumnIndex", 0) <= span.start_col
        or grid_range.get("startColumnIndex", 0) >= span.end_col
    )


def unmerge_cells(book, body):
    sheet, span = _span_in_grid(book, body.get("range"))
    sheet.merges = [m for m in sheet.merges if not _overlaps(m, span)]
    return {}


def update_borders(book, body):
    _span_in_grid(book, body.get("range"))
    return {}


# --- protection, validation, formats, filters, charts -------------------------------

def add_protected_range(book, body):
    protected = copy.deepcopy(body.get("protectedRange") or {})
    if sum(protected.get(k) is not None for k in ("range", "namedRangeId", "tableId")) > 1:
        raise RequestError("Only one of range, namedRangeId or tableId may be set.")
    taken = {p["protectedRangeId"] for s in book.sheets for p in s.protected_ranges}
    if protected.get("protectedRangeId") is None:
        protected["protectedRangeId"] = book_random(book).new_int_id(taken)
    sheet = book.sheet_by_id((protected.get("range") or {}).get("sheetId"))
    if protected.get("range") is not None:
        protected["range"] = prune_grid_range(protected["range"])
    protected["requestingUserCanEdit"] = True  # read-only for clients: the owner can edit
    protected["editors"] = {k: v for k, v in (protected.get("editors") or {}).items() if v}
    stored = {k: v for k, v in protected.items() if v is not None and v is not False}
    sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(stored)}}


def delete_protected_range(book, body):
    wanted = body.get("protectedRangeId")
    for sheet in book.sheets:
        for p in sheet.protected_ranges:
            if p["protectedRangeId"] == wanted:
                sheet.protected_ranges.remove(p)
                return {}
    raise RequestError(f"No protected range with id: {wanted}")


def add_conditional_format_rule(book, body):
    rule = normalize_colors(without_nulls(copy.deepcopy(body.get("rule") or {})))
    rule["ranges"] = [prune_grid_range(r) for r in rule.get("ranges") or []]
    if not rule["ranges"]:
        raise RequestError("At least one range must be specified.")
    sheet = book.sheet_by_id(rule["ranges"][0].get("sheetId"))
    index = body.get("index")
    sheet.conditional_formats.insert(len(sheet.conditional_formats) if index is None else index, rule)
    return {}


def set_basic_filter(book, body):
    basic = copy.deepcopy(body.get("filter") or {})
    sheet, _ = book.grid_range_span(basic.get("range") or {})
    given = dict(basic.get("range") or {})
    for key, edge in (("startRowIndex", 0), ("endRowIndex", sheet.row_count),
                      ("startColumnIndex", 0), ("endColumnIndex", sheet.col_count)):
        given.setdefault(key, edge)  # Google pins the open ends to the grid
    basic["range"] = prune_grid_range(given)
    sheet.basic_filter = basic
    return {}


def clear_basic_filter(book, body):
    book.sheet_by_id(body.get("sheetId")).basic_filter = None
    return {}


def add_chart(book, body):
    chart = copy.deepcopy(body.get("chart") or {})
    taken = {c["chartId"] for s in book.sheets for c in s.charts}
    if chart.get("chartId") is None:
        chart["chartId"] = book_random(book).new_int_id(taken)
    position = chart.get("position") or {}
    anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
    sheet_id = position.get("sheetId", anchor.get("sheetId"))
    sheet = book.sheet_by_id(sheet_id)
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


# --- named ranges ------------------------------------------------------------------------

def add_named_range(book, body):
    named = copy.deepcopy(body.get("namedRange") or {})
    if any(n["name"] == named.get("name") for n in book.named_ranges):
        raise RequestError(f"Named range with name \"{named.get('name')}\" already exists.")
    if not named.get("namedRangeId"):
        named["namedRangeId"] = _random_token(book)
    named["range"] = prune_grid_range(named.get("range") or {})
    book.named_ranges.append(named)
    return {"addNamedRange": {"namedRange": copy.deepcopy(named)}}


def _random_token(book) -> str:
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(book_random(book).random.choice(chars) for _ in range(12))


def delete_named_range(book, body):
    wanted = body.get("namedRangeId")
    kept = [n for n in book.named_ranges if n["namedRangeId"] != wanted]
    if len(kept) == len(book.named_ranges):
        raise RequestError(f"No named range with id {wanted}")
    book.named_ranges = kept
    return {}


def update_named_range(book, body):
    given = body.get("namedRange") or {}
    for named in book.named_ranges:
        if named["namedRangeId"] == given.get("namedRangeId"):
            merge_masked(named, given, body.get("fields") or "")
            named["namedRangeId"] = given["namedRangeId"]
            if "range" in named:
                named["range"] = prune_grid_range(named["range"])
            return {}
    raise RequestError(f"No named range with id {given.get('namedRangeId')}")


# --- developer metadata ----------------------------------------------------------------

def create_developer_metadata(book, body):
    from chas_sheets.emulator.metadata import create

    return {"createDeveloperMetadata": {"developerMetadata": create(book, body.get("developerMetadata") or {})}}


def update_developer_metadata(book, body):
    from chas_sheets.emulator.metadata import update

    return {"updateDeveloperMetadata": {"developerMetadata": update(book, body)}}


def delete_developer_metadata(book, body):
    from chas_sheets.emulator.metadata import delete

    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": delete(book, body.get("dataFilter") or {})}}


HANDLERS = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    "moveDimension": move_dimension,
    "insertRange": insert_range,
    "deleteRange": delete_range,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "addDimensionGroup": add_dimension_group,
    "deleteDimensionGroup": delete_dimension_group,
    "updateCells": update_cells,
    "appendCells": append_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "sortRange": sort_range,
    "copyPaste": copy_paste,
    "cutPaste": cut_paste,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "updateBorders": update_borders,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addConditionalFormatRule": add_conditional_format_rule,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "addChart": add_chart,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
    "updateNamedRange": update_named_range,
    "createDeveloperMetadata": create_developer_metadata,
    "updateDeveloperMetadata": update_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
}


# The object each masked request's `fields` is a path into (discovery schema names).
MASKED = {
    "repeatCell": "CellData", "updateCells": "CellData", "appendCells": "CellData",
    "updateSheetProperties": "SheetProperties", "updateSpreadsheetProperties": "SpreadsheetProperties",
    "updateDimensionProperties": "DimensionProperties", "updateNamedRange": "NamedRange",
    "updateDeveloperMetadata": "DeveloperMetadata", "updateProtectedRange": "ProtectedRange",
}
MAX_CELL_CHARACTERS = 50000
TOO_LONG = "Your input contains more than the maximum of 50000 characters in a single cell."


def _check_request(kind: str, body: dict) -> None:
    "What Google checks of a request before applying it: its field mask and its cells' length."
    from chas_sheets.emulator.discovery import document

    mask = body.get("fields")
    if kind in MASKED and isinstance(mask, str) and mask.strip():
        bad = fieldmask.unknown_path(document("sheets.v4")["schemas"], MASKED[kind], mask)
        if bad:
            raise RequestError(f"Error expanding 'fields' parameter. Cannot find matching fields for path '{bad}'.")
    cells = [body.get("cell")] if kind == "repeatCell" else [
        v for row in body.get("rows") or [] for v in (row or {}).get("values") or []]
    for cell in cells:
        entered = (cell or {}).get("userEnteredValue") or {}
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARACTERS for v in entered.values()):
            raise RequestError(TOO_LONG)


def apply_all(book: Spreadsheet, requests: list, ids) -> list:
    """Apply the requests in order; the caller restores a snapshot if one fails.

    `ids` (the Store) makes the sheet, protected range and metadata ids."""
    with ids_for_batch(ids):
        replies = []
        for i, request in enumerate(requests):
            if not isinstance(request, dict) or len([k for k, v in request.items() if v is not None]) != 1:
                raise bad_request(f"Invalid requests[{i}]: exactly one kind of request must be set.")
            kind, body = next((k, v) for k, v in request.items() if v is not None)
            handler = HANDLERS.get(kind)
            if handler is None:
                raise ApiError(501, f"The emulator does not implement requests[{i}].{kind}.")
            try:
                _check_request(kind, body or {})
                replies.append(handler(book, body or {}))
            except RequestError as error:
                raise bad_request(f"Invalid requests[{i}].{kind}: {error}")
            except ApiError as error:
                if error.code == 400 and not error.message.startswith("Invalid requests"):
                    raise bad_request(f"Invalid requests[{i}].{kind}: {error.message}")
                raise
        return replies
