"""Operations on a sheet's sparse grid: read ragged values, write, clear, insert and delete
rows or columns (moving everything anchored to them), and find the "table" for append."""

from __future__ import annotations

import copy

from chas_sheets.emulator import a1
from chas_sheets.emulator.cellvalues import render
from chas_sheets.emulator.control import rule_holds
from chas_sheets.emulator.formula import shift_references
from chas_sheets.emulator.model import Sheet, Spreadsheet

ROWS, COLUMNS = "ROWS", "COLUMNS"


def read_values(sheet: Sheet, span: a1.Span, major: str, value_render: str, datetime_render: str) -> list:
    """Values of a concrete span, ragged like Google: trailing empties dropped, interior
    empty rows as [], nothing at all for an empty range."""
    found = {}
    for (r, c), cell in sheet.cells.items():
        if span.start_row <= r < span.end_row and span.start_col <= c < span.end_col:
            value = render(cell, value_render, datetime_render, sheet.lookup)
            if value is not None:
                key = (r - span.start_row, c - span.start_col)
                found[key if major == ROWS else key[::-1]] = value
    if not found:
        return []
    height = max(i for i, _ in found) + 1
    lines = []
    for i in range(height):
        width = max((j + 1 for (k, j) in found if k == i), default=0)
        lines.append([found.get((i, j), "") for j in range(width)])
    return lines


def write_cells(sheet: Sheet, start_row: int, start_col: int, rows: list, make_cell) -> a1.Span:
    """Write a rows-major matrix at a corner; None skips a cell, {} clears its value.

    Returns the span covered. Formats, notes and validations of written cells are kept."""
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    sheet.grow_to(start_row + height, start_col + width)
    for i, line in enumerate(rows):
        for j, value in enumerate(line):
            if value is None:
                continue
            key = (start_row + i, start_col + j)
            new = make_cell(value)
            old = sheet.cells.get(key, {})
            merged = {k: v for k, v in old.items() if k not in ("userEnteredValue",)}
            if "userEnteredFormat" in new:
                merged["userEnteredFormat"] = {**merged.get("userEnteredFormat", {}), **new["userEnteredFormat"]}
            if new.get("userEnteredValue"):
                merged["userEnteredValue"] = new["userEnteredValue"]
            if merged:
                sheet.cells[key] = merged
            else:
                sheet.cells.pop(key, None)
    return a1.Span(start_row, start_row + height, start_col, start_col + width)


def clear_values(sheet: Sheet, span: a1.Span) -> None:
    "values.clear: values go, formats and validations stay."
    for key in [k for k in sheet.cells if _inside(k, span)]:
        cell = sheet.cells[key]
        cell.pop("userEnteredValue", None)
        if not cell:
            del sheet.cells[key]


def _inside(key, span: a1.Span) -> bool:
    r, c = key
    return span.start_row <= r < span.end_row and span.start_col <= c < span.end_col


def find_table(sheet: Sheet, span: a1.Span) -> a1.Span | None:
    """The table `values.append` appends to, as Google finds it.

    From a single cell: the block of filled cells around it (none if it is empty). From a
    larger range: the last block of filled cells in it (the cassettes show a row `x,,y`
    searched from `Sheet1` gives the table `C1`)."""
    filled = {k for k, cell in sheet.cells.items() if cell.get("userEnteredValue")}
    if span.is_single_cell:
        seeds = {(span.start_row, span.start_col)} & filled
        limit = a1.Span(0, sheet.row_count, 0, sheet.col_count)
    else:
        seeds = {k for k in filled if _inside(k, span)}
        limit = span
    if not seeds:
        return None
    blocks = []
    unseen = set(seeds)
    while unseen:
        stack = [max(unseen)]
        block = set()
        while stack:
            r, c = stack.pop()
            if (r, c) in block:
                continue
            block.add((r, c))
            unseen.discard((r, c))
            for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                key = (r + dr, c + dc)
                if key in filled and _inside(key, limit) and key not in block:
                    stack.append(key)
        blocks.append(block)
    last = max(blocks, key=lambda b: (max(r for r, _ in b), max(c for _, c in b)))
    return a1.Span(
        min(r for r, _ in last), max(r for r, _ in last) + 1,
        min(c for _, c in last), max(c for _, c in last) + 1,
    )


# --- moving rows and columns -------------------------------------------------------

def _moved_index(i: int, start: int, end: int, inserted: bool) -> int | None:
    "Where index i goes when [start, end) is inserted or deleted; None if deleted."
    if inserted:
        return i + (end - start) if i >= start else i
    if start <= i < end:
        return None
    return i - (end - start) if i >= end else i


def _moved_bounds(lo, hi, start, end, inserted):
    "A half-open [lo, hi) after the move; None when it vanished."
    n = end - start
    if inserted:
        new_lo = lo + n if lo is not None and lo >= start else lo
        new_hi = hi + n if hi is not None and hi > start else hi
        return new_lo, new_hi
    def squeeze(i):
        if i is None or i <= start:
            return i
        return start if i <= end else i - n
    new_lo, new_hi = squeeze(lo), squeeze(hi)
    if new_lo is not None and new_hi is not None and new_lo >= new_hi:
        return None
    return new_lo, new_hi


def move_grid_range(grid_range: dict, sheet_id: int, dimension: str, start: int, end: int, inserted: bool) -> bool:
    "Update a GridRange in place; False when it was deleted entirely."
    if grid_range.get("sheetId", 0) != sheet_id:
        return True
    prefix = "Row" if dimension == ROWS else "Column"
    lo_key, hi_key = f"start{prefix}Index", f"end{prefix}Index"
    moved = _moved_bounds(grid_range.get(lo_key), grid_range.get(hi_key), start, end, inserted)
    if moved is None:
        return False
    for key, value in zip((lo_key, hi_key), moved):
        if value is not None:
            grid_range[key] = value
    return True


def move_dimension_range(dim_range: dict, sheet_id: int, dimension: str, start: int, end: int, inserted: bool) -> bool:
    if dim_range.get("sheetId", 0) != sheet_id or dim_range.get("dimension") != dimension:
        return True
    moved = _moved_bounds(dim_range.get("startIndex"), dim_range.get("endIndex"), start, end, inserted)
    if moved is None:
        return False
    dim_range["startIndex"], dim_range["endIndex"] = moved
    return True


def change_dimension(book: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, inserted: bool) -> None:
    """insertDimension / deleteDimension: cells, sizes, merges, protections, named ranges,
    validations and developer metadata move with their rows or columns, and every formula's
    references to them, in every tab (`_shift_formulas`)."""
    axis = 0 if dimension == ROWS else 1
    _shift_formulas(book, sheet.title, axis == 0, start, end, inserted)
    cells = {}
    for key, cell in sheet.cells.items():
        moved = _moved_index(key[axis], start, end, inserted)
        if moved is not None:
            cells[(moved, key[1]) if axis == 0 else (key[0], moved)] = cell
    sheet.cells = cells
    props_name = "row_props" if axis == 0 else "col_props"
    props = {}
    for i, p in getattr(sheet, props_name).items():
        moved = _moved_index(i, start, end, inserted)
        if moved is not None:
            props[moved] = p
    setattr(sheet, props_name, props)
    count_key = "rowCount" if axis == 0 else "columnCount"
    sheet.grid[count_key] = sheet.grid.get(count_key, 0) + (end - start) * (1 if inserted else -1)
    sid = sheet.sheet_id

    def keep(grid_range):
        return move_grid_range(grid_range, sid, dimension, start, end, inserted)

    sheet.merges = [m for m in sheet.merges if keep(m)]
    sheet.validations = [v for v in sheet.validations if keep(v["range"])]
    sheet.protected_ranges = [p for p in sheet.protected_ranges if "range" not in p or keep(p["range"])]
    for rule in sheet.conditional_formats:
        rule["ranges"] = [r for r in rule.get("ranges", []) if keep(r)]
    sheet.conditional_formats = [r for r in sheet.conditional_formats if r["ranges"]]
    if sheet.basic_filter and not keep(sheet.basic_filter.get("range", {})):
        sheet.basic_filter = None
    groups = sheet.row_groups if axis == 0 else sheet.column_groups
    groups[:] = [g for g in groups if move_dimension_range(g["range"], sid, dimension, start, end, inserted)]
    book.named_ranges = [n for n in book.named_ranges if keep(n["range"])]
    kept = []
    follows = axis == 1 or rule_holds("row_metadata_follows_rows")  # off: a server whose row metadata stays put
    for meta in book.developer_metadata:
        location = meta.get("location", {})
        dim_range = location.get("dimensionRange")
        if dim_range is None or not follows or move_dimension_range(dim_range, sid, dimension, start, end, inserted):
            kept.append(meta)
    book.developer_metadata = kept


def inherit_formats(sheet: Sheet, dimension: str, start: int, end: int, source: int) -> None:
    """New rows (columns) [start, end) formatted like row (column) `source`: its cells' formats
    and its size, as Google's insertDimension gives them (values are not copied)."""
    axis = 0 if dimension == ROWS else 1
    formats = {key[1 - axis]: cell["userEnteredFormat"] for key, cell in sheet.cells.items()
               if key[axis] == source and cell.get("userEnteredFormat")}
    for index in range(start, end):
        for other, found in formats.items():
            key = (index, other) if axis == 0 else (other, index)
            sheet.cells.setdefault(key, {})["userEnteredFormat"] = copy.deepcopy(found)
    props = sheet.row_props if axis == 0 else sheet.col_props
    if source in props:
        for index in range(start, end):
            props[index] = copy.deepcopy(props[source])


def _shift_formulas(book: Spreadsheet, title: str, rows: bool, start: int, end: int, inserted: bool) -> None:
    """What Google does to formulas when rows or columns of tab `title` are inserted or deleted:
    a reference at or past them moves, a range over them grows (`=SUM(C2:C9)` with a row inserted
    at 5 reads C2:C10) or shrinks, a reference to a deleted cell becomes #REF!."""
    for other in book.sheets:
        for cell in other.cells.values():
            entered = cell.get("userEnteredValue") or {}
            text = entered.get("formulaValue")
            if isinstance(text, str):
                entered["formulaValue"] = shift_references(text, other.title, title, rows, start, end, inserted)


def sort_rows(sheet: Sheet, span: a1.Span, specs: list) -> None:
    "sortRange: whole rows of the span move together; empty cells sort last."
    rows = list(range(span.start_row, span.end_row))
    cols = range(span.start_col, span.end_col)
    snapshot = {r: {c: sheet.cells.get((r, c)) for c in cols} for r in rows}

    def sort_key_for(spec):
        col = spec.get("dimensionIndex", 0)

        def key(r):
            value = render(snapshot[r].get(col), "UNFORMATTED_VALUE", "SERIAL_NUMBER", sheet.lookup)
            # Ascending as Google sorts: numbers, then text, then booleans; empty cells always last.
            if value is None or value == "":
                return (3, 0, "")
            if isinstance(value, bool):
                return (2, int(value), "")
            if isinstance(value, (int, float)):
                return (0, value, "")
            return (1, 0, value.casefold())
        return key

    ordered = rows
    for spec in reversed(specs or [{"dimensionIndex": span.start_col}]):
        key = sort_key_for(spec)
        descending = spec.get("sortOrder") == "DESCENDING"
        filled = [r for r in ordered if key(r)[0] != 3]
        empty = [r for r in ordered if key(r)[0] == 3]
        ordered = sorted(filled, key=key, reverse=descending) + empty
    for target, source in zip(rows, ordered):
        for c in cols:
            cell = snapshot[source][c]
            if cell is None:
                sheet.cells.pop((target, c), None)
            else:
                sheet.cells[(target, c)] = cell


def move_dimension(book: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, destination: int) -> None:
    """moveDimension: [start, end) goes before `destination` (an index before the move)."""
    if start <= destination <= end:
        return  # into itself: nothing moves
    limit = sheet.row_count if dimension == ROWS else sheet.col_count
    order = [i for i in range(limit) if not start <= i < end]
    at = destination if destination < start else destination - (end - start)
    order[at:at] = list(range(start, end))
    new_of = {old: new for new, old in enumerate(order)}
    axis = 0 if dimension == ROWS else 1
    sheet.cells = {((new_of[k[0]], k[1]) if axis == 0 else (k[0], new_of[k[1]])): v for k, v in sheet.cells.items()}
    name = "row_props" if axis == 0 else "col_props"
    setattr(sheet, name, {new_of[i]: p for i, p in getattr(sheet, name).items() if i in new_of})
    for meta in book.developer_metadata:
        dim_range = meta.get("location", {}).get("dimensionRange")
        if (dim_range and dim_range.get("sheetId", 0) == sheet.sheet_id and dim_range.get("dimension") == dimension
                and dim_range["endIndex"] - dim_range["startIndex"] == 1):
            dim_range["startIndex"] = new_of[dim_range["startIndex"]]
            dim_range["endIndex"] = dim_range["startIndex"] + 1


def shift_cells(sheet: Sheet, span: a1.Span, dimension: str, inserted: bool) -> None:
    """insertRange / deleteRange: the cells of the span's columns (ROWS) or rows (COLUMNS) from
    the span on move by its height (or width); inserting grows the grid so nothing falls off."""
    rows = dimension == ROWS
    size = (span.end_row - span.start_row) if rows else (span.end_col - span.start_col)
    lane_lo, lane_hi = (span.start_col, span.end_col) if rows else (span.start_row, span.end_row)
    edge = span.start_row if rows else span.start_col
    moved = {}
    for (r, c), cell in sheet.cells.items():
        along, lane = (r, c) if rows else (c, r)
        if not (lane_lo <= lane < lane_hi) or along < edge:
            moved[(r, c)] = cell
            continue
        if inserted:
            along += size
        elif along < edge + size:
            continue  # deleted
        else:
            along -= size
        moved[(along, lane) if rows else (lane, along)] = cell
    sheet.cells = moved
    if inserted:
        sheet.grow_to(max(sheet.row_count, max((r + 1 for r, _ in moved), default=0)),
                      max(sheet.col_count, max((c + 1 for _, c in moved), default=0)))
