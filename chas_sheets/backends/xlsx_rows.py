"""Removing and inserting rows in one tab of an openpyxl workbook the way a spreadsheet program does.

openpyxl's `ws.delete_rows` moves cell values and styles up and nothing else: formulas (in every
tab) keep pointing at the old row numbers, and hyperlinks, merged ranges, data validations,
conditional formats, defined names, the auto-filter, the print area and row heights stay where
they were, so they land on the next lead. `remove_rows` does what Excel, LibreOffice and Google's
deleteDimension (the Google backend's removal) do instead:

- every reference to the tab, in every tab's formulas, in defined names and in conditional-format
  and data-validation formulas, is shifted: a reference below a removed row moves up, a range
  spanning one shrinks, a reference to the removed row itself becomes `#REF!`;
- hyperlinks, notes, merged ranges, data-validation and conditional-format ranges, tables, the
  auto-filter, the print area and print titles, and row heights/hidden rows move with their rows
  (what lies wholly inside the removed rows goes with them).

Chosen over the issue's alternative (never shift: empty and mark the row), because the shift can be
done faithfully, and was measured to be: references are rewritten token by token with openpyxl's
formula Tokenizer, and tests/test_local_row_removal.py has LibreOffice delete the same row and finds
every value, formula, link, note, merge, validation, format, hidden row, print area and name equal.
Where LibreOffice differs, this follows Google's deleteDimension (the emulator's grid) or Excel:
- a merged range losing its last row shrinks (LibreOffice keeps it a row too long, over the next lead);
- one losing its first row keeps its other cells merged (LibreOffice unmerges; both lose the text);
- a conditional-format or data-validation formula whose range loses its first row is re-anchored at
  the range's next row (`$U2` stays `$U2`, so the colours keep following each row; Excel keeps such
  formulas relative to the range's top-left cell); LibreOffice writes `#REF!` there, which would end
  the template's colours on every row. A relative reference to *another* row (`=$B2<>$B1`) is, as in
  any program, only approximate: one formula serves the whole range.
A 3D reference (`Sheet1:Sheet3!A1`) and a reference glued to a function (`A2:INDEX(...)`) are not
shifted; the latter is reported by `broken_references` as unreadable when it may name the tab.

Inserting rows (`insert_rows`, how undo puts a removed row back where it stood) is the same walk
the other way, by Excel's and Google's insertDimension rule: every reference at or below an
inserted row moves down, so a range grows when a row is inserted inside it (below its first row:
`=SUM(C2:C9)` with a row inserted at 5 becomes `=SUM(C2:C10)`), and moves whole when the row goes
at or above its first row; a row inserted just below a range's last row is not in it. Links,
notes, merges, validation and format ranges, the auto-filter, print ranges and row heights move
with their rows in the same way. Nothing can break: no reference points at a row that is not there.

Which references would break (`broken_references`) is separate from the removal, so the caller
decides what to do about a `#REF!` before anything changes. Pure functions over a workbook in
memory: no file, lock or error policy here.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.formatting.formatting import ConditionalFormatting, ConditionalFormattingList
from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.merge import MergedCellRange

from chas_sheets.i18n import _

REF_ERROR = "#REF!"

# One range operand as the Tokenizer gives it: an optional sheet, then a cell, an area, whole
# columns or whole rows. Anything else (a defined name, a table reference, an external workbook's
# `[1]Sheet!A1`) is left as it is: it names no row of this workbook's tab.
_SHEET = r"(?:(?P<sheet>'(?:[^']|'')+'|[^'!\[\]:]+)!)?"
_CELL = r"\$?[A-Za-z]{1,3}\$?\d+"
_AREA = re.compile(rf"^{_SHEET}(?P<ref>{_CELL}(?::{_CELL})?)$")
_ROWS = re.compile(rf"^{_SHEET}(?P<ref>\$?\d+:\$?\d+)$")
_COLS = re.compile(rf"^{_SHEET}\$?[A-Za-z]{{1,3}}:\$?[A-Za-z]{{1,3}}$")
_CELL_PARTS = re.compile(r"^(\$?[A-Za-z]{1,3})(\$?)(\d+)$")
_FUNCTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*\($|^\($")


@dataclass(frozen=True)
class RowMap:
    """Where each row of a tab goes when `removed` rows (1-based) are taken out."""

    removed: tuple[int, ...]

    @classmethod
    def of(cls, rows: Iterable[int]) -> "RowMap":
        return cls(tuple(sorted(set(rows))))

    @property
    def first(self) -> int:
        """The first row that moves or goes."""
        return self.removed[0]

    def row(self, r: int) -> int | None:
        """The row's new number, None when it is removed."""
        at = bisect.bisect_left(self.removed, r)
        if at < len(self.removed) and self.removed[at] == r:
            return None
        return r - at

    def span(self, lo: int, hi: int) -> tuple[int, int] | None:
        """A row span after the removal: shrunk by the removed rows inside it, None when all of it goes."""
        if lo > hi:
            lo, hi = hi, lo
        inside = bisect.bisect_right(self.removed, hi) - bisect.bisect_left(self.removed, lo)
        if inside == hi - lo + 1:
            return None
        first = lo
        while self.row(first) is None:
            first += 1
        last = hi
        while self.row(last) is None:
            last -= 1
        return self.row(first), self.row(last)  # type: ignore[return-value]

    def first_kept(self, lo: int, hi: int) -> int | None:
        """The first row in lo..hi (old numbers) that stays."""
        return next((r for r in range(lo, hi + 1) if self.row(r) is not None), None)


@dataclass(frozen=True)
class InsertMap:
    """Where each row of a tab goes when rows are inserted: `before` holds, for each inserted row,
    the row (old numbering) it is inserted above, ascending. A row at or below an inserted one
    moves down by one per such row; a span's ends move each on their own, so a span grows by the
    rows inserted below its first row and up to its last (Excel's and Google's rule)."""

    before: tuple[int, ...]

    @classmethod
    def at(cls, rows: Iterable[int]) -> InsertMap:
        """From the rows the inserted rows stand on once inserted (1-based, new numbering)."""
        return cls(tuple(r - i for i, r in enumerate(sorted(rows))))

    @property
    def first(self) -> int:
        return self.before[0]

    def row(self, r: int) -> int:
        return r + bisect.bisect_right(self.before, r)

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        if lo > hi:
            lo, hi = hi, lo
        return self.row(lo), self.row(hi)

    def first_kept(self, lo: int, hi: int) -> int:
        return lo  # nothing goes


@dataclass(frozen=True)
class Shifted:
    text: str
    broken: bool  # a reference to a removed row became #REF!
    unreadable: bool = False  # could not be read: left as it was


def _same_sheet(name: str | None, host: str | None, title: str) -> bool:
    if name is None:
        return host is not None and host.casefold() == title.casefold()
    if name.startswith("'"):
        name = name[1:-1].replace("''", "'")
    return name.casefold() == title.casefold()  # sheet names are case-insensitive in every program


def _shift_operand(operand: str, host: str | None, title: str, rows: RowMap) -> tuple[str, bool]:
    """One range operand with its rows on `title` shifted; (text, broken). A broken one is a bare
    `#REF!`, its sheet dropped, as LibreOffice and Excel write it."""
    if match := _AREA.match(operand):
        if not _same_sheet(match["sheet"], host, title):
            return operand, False
        prefix = operand[: match.start("ref")]
        parts = [_CELL_PARTS.match(p) for p in match["ref"].split(":")]
        numbers = [int(p[3]) for p in parts]  # type: ignore[index]
        if len(parts) == 1:
            new = rows.row(numbers[0])
            if new is None:
                return REF_ERROR, True
            (p,) = parts
            return f"{prefix}{p[1]}{p[2]}{new}", False  # type: ignore[index]
        span = rows.span(numbers[0], numbers[1])
        if span is None:
            return REF_ERROR, True
        if numbers[0] > numbers[1]:
            span = span[1], span[0]
        top, bottom = parts
        return f"{prefix}{top[1]}{top[2]}{span[0]}:{bottom[1]}{bottom[2]}{span[1]}", False  # type: ignore[index]
    if match := _ROWS.match(operand):
        if not _same_sheet(match["sheet"], host, title):
            return operand, False
        prefix = operand[: match.start("ref")]
        ends = match["ref"].split(":")
        numbers = [int(e.lstrip("$")) for e in ends]
        span = rows.span(numbers[0], numbers[1])
        if span is None:
            return REF_ERROR, True
        dollars = ["$" if e.startswith("$") else "" for e in ends]
        return f"{prefix}{dollars[0]}{min(span)}:{dollars[1]}{max(span)}", False
    return operand, False  # whole columns, names, tables, other workbooks: no row to shift


def _mentions(formula: str, host: str | None, title: str) -> bool:
    return (host is not None and host.casefold() == title.casefold()) or title.casefold() in formula.casefold()


def shift_formula(formula: str, host: str | None, title: str, rows: RowMap) -> Shifted:
    """A formula ('=...') with every reference to `title` shifted for the removal of `rows`.

    `host` is the tab the formula lives in (its unqualified references are to that tab), None for
    a workbook-level defined name."""
    if not formula.startswith("="):
        return Shifted(formula, False)
    try:
        tokens = Tokenizer(formula).items
    except TokenizerError:
        return Shifted(formula, False, _mentions(formula, host, title))
    if "=" + "".join(t.value for t in tokens) != formula:  # not read back as written: leave it alone
        return Shifted(formula, False, _mentions(formula, host, title))
    broken = False
    for token in tokens:
        if token.type == Token.FUNC and token.subtype == Token.OPEN and not _FUNCTION.match(token.value):
            # `A2:INDEX(` — the Tokenizer glued a reference to a function: not read safely
            return Shifted(formula, False, _mentions(formula, host, title))
        if token.type == Token.OPERAND and token.subtype == Token.RANGE:
            token.value, hit = _shift_operand(token.value, host, title, rows)
            broken = broken or hit
    return Shifted("=" + "".join(t.value for t in tokens), broken)


# ------------------------------------------------------------------ ranges owned by the tab


def _range(ref: str, rows: RowMap) -> str | None:
    """An A1 range of the tab itself after the removal, None when it goes with the rows."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_row is None or max_row is None:  # whole columns
        return ref
    span = rows.span(min_row, max_row)
    if span is None:
        return None
    if min_col is None or max_col is None:  # whole rows
        return f"{span[0]}:{span[1]}"
    return CellRange(min_col=min_col, min_row=span[0], max_col=max_col, max_row=span[1]).coord


def _multi(ranges: MultiCellRange, rows: RowMap) -> MultiCellRange:
    return MultiCellRange([r for r in (_range(c.coord, rows) for c in ranges.ranges) if r])


def _anchored(formula: str, host: str, title: str, ranges: MultiCellRange, rows: RowMap) -> Shifted:
    """A conditional-format or data-validation formula: its relative references are relative to the
    ranges' top-left cell, so when that row goes the formula is first re-anchored at the first row
    that stays (as the program would read it there), then shifted like any formula."""
    if not formula or not ranges.ranges:
        return Shifted(formula, False)
    top = min(r.min_row for r in ranges.ranges)
    left = min(r.min_col for r in ranges.ranges)
    bottom = max(r.max_row for r in ranges.ranges)
    text = "=" + formula
    if host.casefold() == title.casefold() and rows.row(top) is None:
        kept = rows.first_kept(top, bottom)
        if kept is not None:
            try:
                text = Translator(text, CellRange(min_col=left, min_row=top, max_col=left, max_row=top).coord
                                  ).translate_formula(CellRange(min_col=left, min_row=kept, max_col=left,
                                                                max_row=kept).coord)
            except (TranslatorError, TokenizerError):
                return Shifted(formula, False, True)
    shifted = shift_formula(text, host, title, rows)
    return Shifted(shifted.text[1:], shifted.broken, shifted.unreadable)


# ------------------------------------------------------------------ what would break


def _staying_formula_cells(wb, title: str, rows: RowMap) -> Iterator[tuple[object, object]]:
    """(sheet, cell) of every formula cell that stays after the removal (not on a removed row)."""
    for ws in wb.worksheets:
        own = ws.title == title
        for (r, _c), cell in ws._cells.items():
            if cell.data_type == "f" and not (own and rows.row(r) is None):
                yield ws, cell


def _cell_formulas(wb, title: str, rows: RowMap) -> Iterator[tuple[str, str, str]]:
    """(tab, place, formula) of every cell formula that stays after the removal."""
    for ws, cell in _staying_formula_cells(wb, title, rows):
        value = cell.value
        text = value.text if isinstance(value, ArrayFormula) else value
        if isinstance(text, str):
            yield ws.title, f"{ws.title}!{cell.coordinate}", text


def _name_formulas(wb) -> Iterator[tuple[str | None, str, object]]:
    """(host tab, place, defined name): a workbook-level name has no host tab."""
    for name in wb.defined_names.values():
        yield None, _("the name {name}").format(name=name.name), name
    for ws in wb.worksheets:
        for name in ws.defined_names.values():
            yield ws.title, _("the name {name} ({tab})").format(name=name.name, tab=ws.title), name


def broken_references(wb, title: str, removed: Iterable[int]) -> list[tuple[str | None, str]]:
    """Every place whose formula would turn into #REF! (or could not be read to tell) if `removed`
    rows of `title` were taken out, as (tab it is on or None for a workbook-level name, place):
    `Översikt!B1`, `the name Topp`, `the conditional format on Leads!A7:F7`."""
    rows = RowMap.of(removed)
    if not rows.removed:
        return []
    places: list[tuple[str | None, str]] = []
    for tab, place, text in _cell_formulas(wb, title, rows):
        shifted = shift_formula(text, tab, title, rows)
        if shifted.broken or shifted.unreadable:
            places.append((tab, place))
    for host, place, name in _name_formulas(wb):
        shifted = shift_formula("=" + (name.attr_text or ""), host, title, rows)
        if shifted.broken or shifted.unreadable:
            places.append((host, place))
    for ws in wb.worksheets:
        own = ws.title == title
        for cf in ws.conditional_formatting:
            kept = _multi(cf.sqref, rows) if own else cf.sqref
            if not kept.ranges:
                continue  # the format goes with its rows
            shifted = [_anchored(f, ws.title, title, cf.sqref, rows) for rule in cf.rules for f in rule.formula or ()]
            if any(s.broken or s.unreadable for s in shifted):
                places.append((ws.title, _("the conditional format on {range}").format(range=f"{ws.title}!{cf.sqref}")))
        for dv in ws.data_validations.dataValidation:
            kept = _multi(dv.sqref, rows) if own else dv.sqref
            if not kept.ranges:
                continue
            for f in (dv.formula1, dv.formula2):
                shifted = _anchored(f, ws.title, title, dv.sqref, rows) if f else None
                if shifted and (shifted.broken or shifted.unreadable):
                    places.append((ws.title, _("the data validation on {range}").format(
                        range=f"{ws.title}!{dv.sqref}")))
                    break
    return places


# ------------------------------------------------------------------ the removal


def remove_rows(wb, title: str, removed: Iterable[int]) -> None:
    """Take `removed` rows (1-based, old numbers) out of tab `title`, shifting everything that
    refers to or sits on the rows below. A reference to a removed row becomes #REF!, as in any
    spreadsheet program: call `broken_references` first to decide whether that may happen."""
    rows = RowMap.of(removed)
    if rows.removed:
        _move_rows(wb, title, rows)


def insert_rows(wb, title: str, rows: Iterable[int]) -> None:
    """Insert empty rows into tab `title` so that they stand on `rows` (1-based, as numbered once
    all are in), shifting everything that refers to or sits on the rows below (`InsertMap`):
    what `remove_rows` does, the other way. The new rows' cells are the caller's to fill."""
    wanted = sorted(rows)
    if not wanted:
        return
    _move_rows(wb, title, InsertMap.at(wanted))


def _move_rows(wb, title: str, moves: RowMap | InsertMap) -> None:
    """Everything that refers to or sits on tab `title`'s rows takes its new row under `moves`
    (rows removed or inserted): formulas and names in every tab, merges, cells, links, formats and
    validations in every tab, the tab's own ranges and row heights."""
    ws = wb[title]
    _shift_formulas(wb, title, moves)
    _shift_names(wb, title, moves)
    merged = _take_merged(ws, moves)
    _move_cells(ws, moves)
    _put_merged(ws, merged, moves)
    for cell in ws._cells.values():
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate  # openpyxl writes the link where its ref says
    for other in wb.worksheets:
        _shift_formats(other, title, moves)
        _shift_validations(other, title, moves)
    _shift_sheet_ranges(ws, moves)
    _shift_row_dimensions(ws, moves)


def _move_cells(ws, rows: RowMap) -> None:
    """Cells of removed rows go, the rest take their new row: one pass (openpyxl's delete_rows
    re-sorts every cell per call, about 0.3 s a row on a tab of 2,000 leads)."""
    moved = {}
    for (r, c), cell in ws._cells.items():
        new = rows.row(r)
        if new is not None:
            cell.row = new
            moved[(new, c)] = cell
    ws._cells = moved
    ws._current_row = ws.max_row if moved else 0


def _shift_formulas(wb, title: str, rows: RowMap) -> None:
    for ws, cell in list(_staying_formula_cells(wb, title, rows)):
        value = cell.value
        if isinstance(value, ArrayFormula):
            value.text = shift_formula(value.text, ws.title, title, rows).text
            if ws.title == title and value.ref:
                value.ref = _range(value.ref, rows) or value.ref
        elif isinstance(value, str):
            cell.value = shift_formula(value, ws.title, title, rows).text


def _shift_names(wb, title: str, rows: RowMap) -> None:
    for host, _place, name in _name_formulas(wb):
        if name.attr_text:
            name.attr_text = shift_formula("=" + name.attr_text, host, title, rows).text[1:]


def _take_merged(ws, rows: RowMap) -> list[str]:
    """Merged ranges the removal touches (at or below its first row), taken out before cells move."""
    first = rows.first
    taken = [m for m in ws.merged_cells.ranges if m.max_row >= first]
    for m in taken:
        ws.merged_cells.remove(m)
    return [m.coord for m in taken]


def _put_merged(ws, coords: list[str], rows: RowMap) -> None:
    for coord in coords:
        new = _range(coord, rows)
        if new is None:
            continue  # wholly removed
        bounds = CellRange(new)
        top_left = ws._cells.get((bounds.min_row, bounds.min_col))
        if isinstance(top_left, MergedCell) or top_left is None:  # its first row went: a plain cell now
            ws._cells[(bounds.min_row, bounds.min_col)] = Cell(ws, row=bounds.min_row, column=bounds.min_col)
        if bounds.size["rows"] * bounds.size["columns"] == 1:
            continue  # shrunk to one cell: no longer merged
        ws.merged_cells.add(MergedCellRange(ws, new))


def _shift_formats(ws, title: str, rows: RowMap) -> None:
    own = ws.title == title
    if not own:  # its ranges stay; only formulas naming the tab change
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                rule.formula = [_anchored(f, ws.title, title, cf.sqref, rows).text for f in rule.formula or ()]
        return
    old = ws.conditional_formatting
    new = ConditionalFormattingList()
    new.max_priority = old.max_priority
    for cf in old:
        sqref = _multi(cf.sqref, rows)
        if not sqref.ranges:
            continue  # wholly inside the removed rows: goes with them
        for rule in cf.rules:
            rule.formula = [_anchored(f, ws.title, title, cf.sqref, rows).text for f in rule.formula or ()]
        new._cf_rules.setdefault(ConditionalFormatting(sqref=str(sqref), pivot=cf.pivot), []).extend(cf.rules)
    ws.conditional_formatting = new


def _shift_validations(ws, title: str, rows: RowMap) -> None:
    own = ws.title == title
    kept = []
    for dv in ws.data_validations.dataValidation:
        sqref = _multi(dv.sqref, rows) if own else dv.sqref
        if not sqref.ranges:
            continue
        for attr in ("formula1", "formula2"):
            if text := getattr(dv, attr):
                setattr(dv, attr, _anchored(text, ws.title, title, dv.sqref, rows).text)
        dv.sqref = sqref
        kept.append(dv)
    ws.data_validations.dataValidation = kept


def _shift_sheet_ranges(ws, rows: RowMap) -> None:
    """The auto-filter, tables, print area and print titles of the tab itself."""
    if ws.auto_filter.ref:
        ws.auto_filter.ref = _range(ws.auto_filter.ref, rows)
        if ws.auto_filter.sortState is not None and ws.auto_filter.sortState.ref:
            ws.auto_filter.sortState.ref = _range(ws.auto_filter.sortState.ref, rows) or ws.auto_filter.ref
    for table in ws.tables.values():
        table.ref = _range(table.ref, rows) or table.ref
        if table.autoFilter is not None and table.autoFilter.ref:
            table.autoFilter.ref = table.ref
    if ws._print_area and ws._print_area.ranges:
        kept = [r for r in (_range(c.coord, rows) for c in ws._print_area.ranges) if r]
        ws.print_area = kept or None
    if ws.print_title_rows:
        lo, hi = (int(x.strip("$")) for x in ws.print_title_rows.split(":"))
        span = rows.span(lo, hi)
        ws._print_rows = None
        if span:
            ws.print_title_rows = f"{span[0]}:{span[1]}"


def _shift_row_dimensions(ws, rows: RowMap) -> None:
    """Heights, hidden rows and outline levels move with their rows (openpyxl leaves them)."""
    dims = dict(ws.row_dimensions)
    ws.row_dimensions.clear()
    for index, dim in dims.items():
        new = rows.row(index)
        if new is None:
            continue
        dim.index = new
        ws.row_dimensions[new] = dim
