"""The local backend's openpyxl side: the grids a write re-reads, the cells it writes, the
layout of tabs the tool creates or rewrites, and a new workbook from its template.

Kept apart from local.py so that a command that only reads a local workbook never imports
openpyxl (~0.2 s of start-up): local.py imports this module only to write, to create, or to
fall back to openpyxl for a read that python-calamine cannot make exactly (local_read).
"""

from __future__ import annotations

import copy
import io
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import DimensionHolder
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.properties import PageSetupProperties

from chas_sheets.backends.base import formula_text
from chas_sheets.backends.local_file import Snapshot
from chas_sheets.backends.xlsx_rows import insert_rows, remove_rows
from chas_sheets.errors import UnsafeWrite
from chas_sheets.i18n import _
from chas_sheets.sheet.changelog import CellExtras, NumberFormat
from chas_sheets.sheet.layout import (
    STATUS_FILLS,
    TEMPLATE_ROWS,
    Layout,
    OwnedTabFormat,
    TabLayout,
    created_tab_layout,
    owned_tab_format,
)
from chas_sheets.sheet.writeplan import Formula, Merged, TabWrites

XLSX_CELL_CHARS = 32_767  # Excel's limit per cell
ROW_POINTS = 15  # a row of one line of 11-point text


def load_workbook(source, **kwargs):
    """openpyxl's load (the caller turns a damaged file's errors into one line)."""
    return openpyxl.load_workbook(source, **kwargs)


def grid(ws, formulas: bool) -> list[list[Any]]:
    rows = []
    for row in ws.iter_rows(values_only=not formulas):
        if formulas:
            rows.append([_for_writing(c) for c in row])
        else:
            rows.append(list(row))
    return rows


def _for_writing(cell) -> Any:
    if isinstance(cell, MergedCell):
        return Merged()
    if isinstance(cell.value, CellRichText):  # its text, as the plan's read saw it; the cell keeps its runs
        return str(cell.value)
    return Formula(cell.value) if cell.data_type == "f" else cell.value


def links_stay_links(wb, data: bytes) -> None:
    """A hyperlink on an empty cell stays a link, never becomes the cell's value.

    openpyxl's Cell.hyperlink setter, run while loading, puts the link's address into an empty
    cell: saved, a link left on a row by an older removal (or one a person put on an empty cell)
    would become text in that cell that no one typed and no log shows, and the next dedupe would
    read it as the lead's website. The plan's own read (read-only) never sees it, so it is undone
    here, before anything is compared. openpyxl writes a link only with its cell, and skips an
    empty cell without a style: such a cell gets the Hyperlink style (what Excel gives a linked
    cell) so the link is kept."""
    suspects: dict[str, list] = {}
    for ws in wb.worksheets:
        for cell in ws._cells.values():
            link = cell.hyperlink
            if link is not None and isinstance(cell.value, str) and cell.value == (link.target or link.location):
                suspects.setdefault(ws.title, []).append(cell)
    if not suspects:
        return
    raw = openpyxl.load_workbook(io.BytesIO(data), read_only=True)  # no links bound: the cells as stored
    try:
        for title, cells in suspects.items():
            low, high = min(c.row for c in cells), max(c.row for c in cells)
            stored = {(r, c): value
                      for r, values in enumerate(raw[title].iter_rows(min_row=low, max_row=high, values_only=True), low)
                      for c, value in enumerate(values, 1)}
            for cell in cells:
                if stored.get((cell.row, cell.column)) is None:
                    cell.value = None
                    if not cell.has_style:
                        cell.style = "Hyperlink"
    finally:
        raw.close()


def add_formula_results(source: Snapshot, grids: dict[str, list[list[Any]]]) -> None:
    """Give each Formula the result a plain read sees (a second, read-only load; only when
    there are formulas), so rows holding formulas are recognised by their fingerprint."""
    wanted = {t: g for t, g in grids.items() if any(isinstance(c, Formula) for r in g for c in r)}
    if not wanted:
        return
    wb = openpyxl.load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    try:
        for title, grid in wanted.items():
            for cells, values in zip(grid, wb[title].iter_rows(values_only=True)):
                for index, cell in enumerate(cells):
                    if isinstance(cell, Formula) and index < len(values):
                        cell.value = values[index]
    finally:
        wb.close()


def _storable(text: str) -> str:
    """Control characters .xlsx cannot store (openpyxl refuses them) written as Excel's own
    `_xHHHH_` escapes, which Excel reads back as the character: nothing else is touched."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _set_cell(ws, row: int, col: int, value: Any) -> None:
    """Write one value; text is always stored as text, never as a formula."""
    cell = ws.cell(row=row, column=col + 1)
    if isinstance(cell, MergedCell):
        # Only a merged range's top-left cell holds a value, so unmerging loses nothing;
        # cells people merged are skipped by the write plan, this is the fallback.
        ws.unmerge_cells(next(str(r) for r in ws.merged_cells.ranges if cell.coordinate in r))
        cell = ws.cell(row=row, column=col + 1)
    if isinstance(value, Formula):  # only a cell that was a formula (undo restoring it), never text
        cell.value = formula_text(value, row, col)
        return
    if isinstance(value, str):
        value = _storable(value)
        if len(value) > XLSX_CELL_CHARS:  # openpyxl would silently cut it (a whole logged row, say)
            raise UnsafeWrite(_("{tab} row {row}, column {column}: a text of {n:,} characters, more than an .xlsx "
                                "cell holds ({most:,}); nothing was written").format(
                                    tab=ws.title, row=row, column=get_column_letter(col + 1), n=len(value),
                                    most=XLSX_CELL_CHARS))
        # What openpyxl's setter stores for a text it accepts (checked just above), without its
        # second pass over the text (a first night writes ~10,000 cells per CRM); and always as
        # text: the setter would store '=...' as a formula and '#N/A' as an error.
        cell._value = value
        cell.data_type = "s"
        return
    cell.value = value
    if hasattr(value, "isoformat") and not cell.is_date:
        cell.number_format = "yyyy-mm-dd"



def number_format(ws, row: int, col: int) -> NumberFormat | None:
    """A fresh-read cell's number format (asked for cells that hold a value: none is created)."""
    pattern = ws.cell(row=row, column=col + 1).number_format
    return NumberFormat(pattern) if pattern and pattern != "General" else None


def row_extras(ws, row: int) -> dict[int, CellExtras]:
    """The notes, links and solid fills on a fresh-read row's cells, empty cells included
    (0-based column -> extras); a removed row logs them."""
    found = {}
    for col in range(1, ws.max_column + 1):
        cell = ws._cells.get((row, col))  # looked up, not created
        if cell is None or isinstance(cell, MergedCell):
            continue
        link = cell.hyperlink.target or "" if cell.hyperlink is not None else ""
        fill = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else ""
        note = cell.comment
        extras = CellExtras(note.text if note is not None else "", link, fill if isinstance(fill, str) else "",
                            (note.author or "") if note is not None else "")  # a theme colour is no rgb string
        if extras:
            found[col - 1] = extras
    return found


def _set_formats(ws, writes: TabWrites) -> None:
    """Number formats undo puts back (a phone's `0000000000`), after the values they go with;
    then the notes, links and fills of a row undo puts back."""
    for (row, col), number_format in writes.formats.items():
        pattern = number_format.pattern or ("@" if number_format.kind == "TEXT" else "General")
        ws.cell(row=row, column=col + 1).number_format = pattern
    _set_extras(ws, writes.extras)
    for (row, col), extras in writes.extras_set.items():  # exactly these: a blank one is cleared
        cell = ws.cell(row=row, column=col + 1)
        cell.comment = Comment(extras.note, extras.author or "chas-sheets") if extras.note else None
        value = cell.value
        cell.hyperlink = extras.link or None
        cell.value = value
        if extras.link and value is None and not cell.has_style:
            cell.style = "Hyperlink"


def _set_extras(ws, extras_by_cell: dict[tuple[int, int], CellExtras]) -> None:
    """The notes, links and fills of a row undo puts back ((row, 0-based column) -> extras)."""
    for (row, col), extras in extras_by_cell.items():
        cell = ws.cell(row=row, column=col + 1)
        if extras.note:
            cell.comment = Comment(extras.note, extras.author or "chas-sheets")
        if extras.link:
            value = cell.value
            cell.hyperlink = extras.link
            cell.value = value  # openpyxl puts the address into an empty cell: it stays empty
            if value is None and not cell.has_style:
                cell.style = "Hyperlink"  # openpyxl writes a link only with a cell it writes
        if extras.fill:
            cell.fill = PatternFill(fill_type="solid", fgColor=extras.fill)


def execute(wb, writes: TabWrites) -> None:
    if writes.replace is not None:
        headers, rows = writes.replace
        if writes.title in wb.sheetnames:
            ws = wb[writes.title]
            ws.delete_rows(1, ws.max_row)
            ws._charts = []
        else:
            ws = wb.create_sheet(writes.title)
        _header(ws, headers)
        for r, values in enumerate(rows, start=2):
            for c, value in enumerate(values):
                if value is not None:
                    _set_cell(ws, r, c, value)
        _format_owned_tab(wb, ws, owned_tab_format(writes.title, headers, rows, writes.chart))
        _set_formats(ws, writes)  # a restored tab's own number formats (undo) after the layout's
        return
    if writes.create_headers:
        ws = wb.create_sheet(writes.title)
        layout = created_tab_layout(writes.title, writes.create_headers)
        if layout is not None:  # laid out as init lays it out (a Körningar made on the fly has its dropdown)
            _format_tab(ws, layout)
        _header(ws, writes.create_headers)
    ws = wb[writes.title]
    for col, text in writes.header_cells.items():
        _set_cell(ws, writes.header_row, col, text)
        ws.cell(row=writes.header_row, column=col + 1).font = Font(bold=True)
    for (row, col), value in writes.cells.items():
        _set_cell(ws, row, col, value)
    for offset, values in enumerate(writes.appends):
        for col, value in enumerate(values):
            if value is not None:
                _set_cell(ws, writes.first_append_row + offset, col, value)
    _set_formats(ws, writes)  # before removals: the formats' cells are addressed as planned
    # every formula, link, note, merge, format and name that refers to the rows below moves with them
    remove_rows(wb, writes.title, writes.deletes)
    _insert(ws, writes)


def _insert(ws, writes: TabWrites) -> None:
    """Rows undo puts back where they stood: inserted (everything below moves down, a range over
    them grows), styled like the row above (below, under the header) as a program's own
    insertion does, then their values, number formats, notes, links and fills."""
    if not writes.inserts:
        return
    insert_rows(ws.parent, writes.title, [r.row for r in writes.inserts])
    for insert in writes.inserts:
        source = insert.row - 1 if insert.inherit_before else insert.row + 1
        for col in range(1, ws.max_column + 1):
            model = ws._cells.get((source, col))
            if model is not None and model.has_style and not isinstance(model, MergedCell):
                ws.cell(row=insert.row, column=col)._style = copy.copy(model._style)
        for col, value in enumerate(insert.values):
            if value is not None:
                _set_cell(ws, insert.row, col, value)
        for col, number_format in insert.formats.items():
            pattern = number_format.pattern or ("@" if number_format.kind == "TEXT" else "General")
            ws.cell(row=insert.row, column=col + 1).number_format = pattern
        _set_extras(ws, {(insert.row, col): found for col, found in insert.extras.items()})


def _format_owned_tab(wb, ws, fmt: OwnedTabFormat) -> None:
    """Lay out a tab the tool has just rewritten (see sheet.layout.owned_tab_format): whatever
    the last night's layout left (widths, colours, breaks) is replaced, not added to."""
    from chas_sheets.backends.xlsx_chart import add_chart

    ws.column_dimensions = DimensionHolder(worksheet=ws, default_factory=ws._add_column)
    ws.row_dimensions = DimensionHolder(worksheet=ws, default_factory=ws._add_row)  # delete_rows leaves heights
    ws.conditional_formatting = ConditionalFormattingList()
    ws.row_breaks = RowBreak()
    last = fmt.rows + 1
    for col, width in enumerate(fmt.widths):
        ws.column_dimensions[get_column_letter(col + 1)].width = width
    for col in range(len(fmt.widths)):  # a long header wraps at its spaces rather than widen its column
        ws.cell(row=1, column=col + 1).alignment = Alignment(wrap_text=True, vertical="top")
    for row, lines in enumerate(fmt.lines, start=1):
        ws.row_dimensions[row].height = ROW_POINTS * lines if lines > 1 else None
    for row, lines in enumerate(fmt.lines[1:], start=2):  # a row of several lines reads from its top
        if lines > 1:
            for col in range(len(fmt.widths)):
                ws.cell(row=row, column=col + 1).alignment = Alignment(vertical="top")
    for col in fmt.wrapped:
        for row in range(2, last + 1):
            ws.cell(row=row, column=col + 1).alignment = Alignment(wrap_text=True, vertical="top")
    for col in fmt.date_columns:  # a date column shows dates even where a cell is typed later
        for row in range(2, last + 1):
            cell = ws.cell(row=row, column=col + 1)
            if cell.value is not None and not cell.is_date:
                cell.number_format = "yyyy-mm-dd"
    if fmt.status_column is not None and fmt.rows:
        letter = get_column_letter(fmt.status_column + 1)
        for word, fill in STATUS_FILLS.items():
            ws.conditional_formatting.add(f"{letter}2:{letter}{last}", CellIsRule(
                operator="equal", formula=[f'"{word}"'], fill=PatternFill("solid", fgColor=fill, bgColor=fill)))
    _print_setup(ws)
    for chart in fmt.charts:
        add_chart(ws, chart)
    if fmt.charts_row:  # the charts start a page, so none is cut between two
        ws.row_breaks.append(Break(id=fmt.rows + 1))  # after the table, a blank row above the charts
    _set_hidden(wb, ws, fmt.hidden)


def _print_setup(ws) -> None:
    """Landscape A4, as wide as one page (as many pages down as it takes), header on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"


def _set_hidden(wb, ws, hidden: bool) -> None:
    """A hidden tab is never printed nor shown; it must not be the one the workbook opens on."""
    ws.sheet_state = "hidden" if hidden else "visible"
    if hidden:
        ws.sheet_view.tabSelected = False
        if wb.active is ws:
            visible = next(i for i, sheet in enumerate(wb.worksheets) if sheet.sheet_state == "visible")
            wb.active = visible
            wb.worksheets[visible].sheet_view.tabSelected = True


def _header(ws, headers: list[str]) -> None:
    for col, text in enumerate(headers):
        _set_cell(ws, 1, col, text)
        ws.cell(row=1, column=col + 1).font = Font(bold=True)
    ws.freeze_panes = "A2"


def build_workbook(layout: Layout):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.properties.title = layout.title
    for tab in layout.tabs:
        _format_tab(wb.create_sheet(tab.title), tab)
    return wb


def _format_tab(ws, tab: TabLayout) -> None:
    _header(ws, tab.headers)
    _print_setup(ws)  # people's tabs print as the tool's do: landscape, one page wide
    owned_fill = PatternFill("solid", fgColor="E0E0E0")
    for index, (header, width) in enumerate(zip(tab.headers, tab.widths)):
        letter = get_column_letter(index + 1)
        ws.column_dimensions[letter].width = width
        if header in tab.tool_owned:
            ws.cell(row=1, column=index + 1).fill = owned_fill
    last = TEMPLATE_ROWS + 1
    for header, words in tab.dropdowns.items():
        letter = get_column_letter(tab.index(header) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                            showErrorMessage=False)  # a warning, not a wall: odd values are reported
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    end = get_column_letter(len(tab.headers))
    for colour in tab.colours:
        letter = get_column_letter(tab.index(colour.column) + 1)
        test = f'${letter}2<>""' if colour.equals is None else f'${letter}2="{colour.equals}"'
        ws.conditional_formatting.add(
            f"A2:{end}{last}", FormulaRule(formula=[test], fill=PatternFill("solid", fgColor=colour.fill, bgColor=colour.fill))
        )
