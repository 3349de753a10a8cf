"""Pure translations between the Sheets API's JSON and the project's values and plans.

- Reading: `CellData` -> Python values exactly as stored (text stays text, numbers stay
  numbers, date-formatted numbers become `datetime.date`, formulas become `Formula` when
  read for writing), so domain code gets the same types as from openpyxl.
- Writing: a `TabWrites` -> `spreadsheets.batchUpdate` requests. Text goes as
  `stringValue` (never parsed, never run as a formula), dates as serial numbers with a DATE
  number format.
- init: a `Layout` -> the requests that build tabs, dropdowns, a bold frozen header, widths,
  warning-only protection of tool-owned columns and the conditional colours.
No I/O in here.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from openpyxl.utils import get_column_letter

from chas_sheets.backends.base import formula_text
from chas_sheets.i18n import sheet_
from chas_sheets.sheet.changelog import CellExtras, NumberFormat
from chas_sheets.sheet.layout import (
    STATUS_FILLS,
    TEMPLATE_ROWS,
    Layout,
    OwnedTabFormat,
    PlacedChart,
    TabLayout,
    created_tab_layout,
    owned_tab_format,
)
from chas_sheets.sheet.values import SERIAL_EPOCH, is_blank
from chas_sheets.sheet.writeplan import Formula, RowInsert, TabWrites

EPOCH = SERIAL_EPOCH  # day 0 of Google's serial dates
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
DATE_TIME_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}
TIME_FORMAT = {"type": "TIME", "pattern": "hh:mm:ss"}
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26  # what a new Google sheet gets
PIXELS_PER_CHARACTER = 7
_ERROR_TEXT = {"DIVIDE_BY_ZERO": "#DIV/0!", "N_A": "#N/A", "NAME": "#NAME?", "NULL_VALUE": "#NULL!",
               "NUM": "#NUM!", "REF": "#REF!", "VALUE": "#VALUE!", "LOADING": "#LOADING"}

# Every spreadsheet chas-sheets creates: what a person types reads the Swedish way (`11/4` is
# 11 April, `1,5` is 1.5) and today is Stockholm's. Without it Google gives en_US and Etc/GMT.
SPREADSHEET_LOCALE = "sv_SE"
SPREADSHEET_TIME_ZONE = "Europe/Stockholm"

# One read: every tab's properties and cells, the cell fields needed to rebuild values, and
# the locale dates were typed in (for check's warning; no extra request).
READ_FIELDS = (
    "spreadsheetId,properties(title,locale),"
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),"
    "data(startRow,startColumn,rowData.values(userEnteredValue,effectiveValue,"
    "userEnteredFormat(numberFormat,backgroundColor,textFormat.link),effectiveFormat.numberFormat,note,"
    "textFormatRuns.format.link)))"
)


@dataclass
class SheetInfo:
    sheet_id: int
    title: str
    index: int
    rows: int
    columns: int


# Reading --------------------------------------------------------------------------------
def from_serial(number: float, kind: str) -> Any:
    moment = EPOCH + dt.timedelta(days=number)
    moment = moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))
    if kind == "DATE":
        return moment.date()
    if kind == "TIME":
        return moment.time()
    return moment


def _plain(value: Mapping[str, Any] | None, number_format: Mapping[str, Any] | None) -> Any:
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "numberValue" in value:
        number = value["numberValue"]
        kind = (number_format or {}).get("type")
        return from_serial(number, kind) if kind in ("DATE", "DATE_TIME", "TIME") else number
    if "errorValue" in value:
        return _ERROR_TEXT.get(value["errorValue"].get("type", ""), "#ERROR!")
    return None


def cell_value(cell: Mapping[str, Any], formulas: bool) -> Any:
    """A CellData as openpyxl would give it: the stored value, or a formula's result
    (formulas=False, like data_only) or its text as `Formula` (formulas=True)."""
    entered = cell.get("userEnteredValue") or {}
    number_format = _cell_number_format(cell)
    if "formulaValue" in entered:
        result = _plain(cell.get("effectiveValue"), number_format)
        return Formula(entered["formulaValue"], result) if formulas else result
    return _plain(entered, number_format)


def sheet_grid(sheet: Mapping[str, Any], formulas: bool) -> list[list[Any]]:
    """A sheet's GridData blocks -> one rows-major grid from A1, trailing empties dropped."""
    cells: dict[tuple[int, int], Any] = {}
    for block in sheet.get("data") or ():
        top, left = block.get("startRow", 0), block.get("startColumn", 0)
        for r, row in enumerate(block.get("rowData") or ()):
            for c, cell in enumerate(row.get("values") or ()):
                value = cell_value(cell, formulas)
                if value is not None:
                    cells[(top + r, left + c)] = value
    if not cells:
        return []
    height = max(r for r, _ in cells) + 1
    widths = [0] * height
    for r, c in cells:
        widths[r] = max(widths[r], c + 1)
    return [[cells.get((r, c)) for c in range(widths[r])] for r in range(height)]


def _cell_number_format(cell: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return ((cell.get("userEnteredFormat") or {}).get("numberFormat")
            or (cell.get("effectiveFormat") or {}).get("numberFormat"))


def typed_date_order(number_format: Mapping[str, Any] | None) -> str | None:
    """How a typed date's day and month read, when they hang on a locale: what typing `11/4`
    leaves is a date format with day and month as bare numbers: "month_first" (`M/d`,
    `M/d/yyyy`), "day_first" (`d/M`) or "locale" (no pattern: the locale's default). None
    for ISO (`yyyy-mm-dd`, what chas-sheets writes), month names (`d mmm`) and non-dates,
    which mean one day everywhere."""
    if (number_format or {}).get("type") not in ("DATE", "DATE_TIME"):
        return None
    pattern = str((number_format or {}).get("pattern") or "").lower()
    if not pattern:
        return "locale"
    date_part = pattern.split(" ")[0]
    if date_part.startswith("y") or "mmm" in date_part or "d" not in date_part or "m" not in date_part:
        return None
    return "month_first" if date_part.index("m") < date_part.index("d") else "day_first"


def locale_dates(sheet: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """(1-based row, 0-based column, order) of a sheet's typed date cells whose day hangs on a
    locale (see `typed_date_order`); formula results are not typed."""
    found = []
    for block in sheet.get("data") or ():
        top, left = block.get("startRow", 0), block.get("startColumn", 0)
        for r, row in enumerate(block.get("rowData") or ()):
            for c, cell in enumerate(row.get("values") or ()):
                entered = cell.get("userEnteredValue") or {}
                if "numberValue" in entered and (order := typed_date_order(_cell_number_format(cell))):
                    found.append((top + r + 1, left + c, order))
    return found


def number_format_lookup(spreadsheet: Mapping[str, Any]) -> Callable[[str, int, int], NumberFormat | None]:
    """(title, 1-based row, 0-based column) -> the cell's own number format (userEnteredFormat),
    looked up in a read with grid data; for the cells a run logs whole (undo restores them)."""
    sheets = {s.get("properties", {}).get("title"): s for s in spreadsheet.get("sheets") or ()}

    def lookup(title: str, row: int, col: int) -> NumberFormat | None:
        for block in (sheets.get(title) or {}).get("data") or ():
            r, c = row - 1 - block.get("startRow", 0), col - block.get("startColumn", 0)
            rows = block.get("rowData") or []
            if 0 <= r < len(rows) and c >= 0:
                cells = rows[r].get("values") or []
                if c < len(cells):
                    found = (cells[c].get("userEnteredFormat") or {}).get("numberFormat")
                    return NumberFormat(found.get("pattern", ""), found.get("type", "")) if found else None
        return None

    return lookup


def _hex(colour: Mapping[str, Any] | None) -> str:
    """Google's colour (0-1 floats, a missing part is 0) as ARGB hex, as an .xlsx gives it."""
    if not colour:
        return ""
    return "FF" + "".join(f"{round(float(colour.get(part) or 0) * 255):02X}" for part in ("red", "green", "blue"))


def cell_extras(cell: Mapping[str, Any]) -> CellExtras:
    """A read cell's note, link (the cell's, else the first of its text runs: the address is
    what matters) and fill colour."""
    entered = cell.get("userEnteredFormat") or {}
    link = ((entered.get("textFormat") or {}).get("link") or {}).get("uri") or next(
        (run["format"]["link"]["uri"] for run in cell.get("textFormatRuns") or ()
         if ((run.get("format") or {}).get("link") or {}).get("uri")), "")
    return CellExtras(str(cell.get("note") or ""), str(link), _hex(entered.get("backgroundColor")))


def extras_lookup(spreadsheet: Mapping[str, Any]) -> Callable[[str, int], dict[int, CellExtras]]:
    """(title, 1-based row) -> {0-based column: the note, link and fill on it}, looked up in a
    read with grid data; for the rows a run removes (logged, so undo puts them back)."""
    sheets = {s.get("properties", {}).get("title"): s for s in spreadsheet.get("sheets") or ()}

    def lookup(title: str, row: int) -> dict[int, CellExtras]:
        found: dict[int, CellExtras] = {}
        for block in (sheets.get(title) or {}).get("data") or ():
            r, left = row - 1 - block.get("startRow", 0), block.get("startColumn", 0)
            rows = block.get("rowData") or []
            if 0 <= r < len(rows):
                for c, cell in enumerate(rows[r].get("values") or []):
                    if extras := cell_extras(cell):
                        found[left + c] = extras
        return found

    return lookup


def extras_requests(sheet_id: int, extras: Mapping[tuple[int, int], CellExtras]) -> list[dict]:
    """Notes, links and fills undo puts back ((1-based row, 0-based column) -> extras) on the
    cells of a row it re-inserts; a link as the cell's own (Google's textFormat.link)."""
    requests = []
    for (row, col), found in sorted(extras.items()):
        cell: dict = {}
        fields = []
        if found.note:
            cell["note"], fields = found.note, [*fields, "note"]
        if found.link:
            cell.setdefault("userEnteredFormat", {})["textFormat"] = {"link": {"uri": found.link}}
            fields.append("userEnteredFormat.textFormat.link")
        if found.fill:
            cell.setdefault("userEnteredFormat", {})["backgroundColor"] = rgb(found.fill[-6:])
            fields.append("userEnteredFormat.backgroundColor")
        if fields:
            requests.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": col},
                                             "rows": [{"values": [cell]}], "fields": ",".join(fields)}})
    return requests


def extras_set_requests(sheet_id: int, extras: Mapping[tuple[int, int], CellExtras]) -> list[dict]:
    """Notes and links set exactly (a blank one cleared, the fill left): a removed duplicate's
    carried onto the row kept, or taken back by undo."""
    requests = []
    for (row, col), found in sorted(extras.items()):
        cell: dict = {"note": found.note} if found.note else {}
        if found.link:
            cell["userEnteredFormat"] = {"textFormat": {"link": {"uri": found.link}}}
        requests.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": col},
                                         "rows": [{"values": [cell]}],
                                         "fields": "note,userEnteredFormat.textFormat.link"}})
    return requests


def sheet_infos(spreadsheet: Mapping[str, Any]) -> list[SheetInfo]:
    infos = []
    for sheet in spreadsheet.get("sheets") or ():
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        infos.append(SheetInfo(props.get("sheetId", 0), props.get("title", ""), props.get("index", 0),
                               grid.get("rowCount", 0), grid.get("columnCount", 0)))
    return sorted(infos, key=lambda s: s.index)


# Writing --------------------------------------------------------------------------------
def to_serial(value: dt.date | dt.datetime | dt.time) -> float | int:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - EPOCH
        return delta.days + delta.seconds / 86400
    if isinstance(value, dt.date):
        return (value - EPOCH.date()).days
    return (value.hour * 3600 + value.minute * 60 + value.second) / 86400


def _number_format(value: Any) -> dict | None:
    if isinstance(value, dt.datetime):
        return DATE_TIME_FORMAT if value.time() != dt.time() else DATE_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    if isinstance(value, dt.time):
        return TIME_FORMAT
    return None


def extended_value(value: Any) -> dict | None:
    """Google's ExtendedValue for a Python value; None clears the cell."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars from pandas
    if is_blank(value) and not (isinstance(value, str) and value):
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if isinstance(value, (dt.date, dt.time)):
        return {"numberValue": to_serial(value)}
    return {"stringValue": str(value)}  # text, '=HYPERLINK(...)' included: stored, never parsed


def cell_data(value: Any, bold: bool = False) -> dict:
    cell: dict = {}
    entered = extended_value(value)
    if entered is not None:
        cell["userEnteredValue"] = entered
    if bold:
        cell["userEnteredFormat"] = {"textFormat": {"bold": True}}
    return cell


def grid_range(sheet_id: int, row: int | None = None, end_row: int | None = None,
               col: int | None = None, end_col: int | None = None) -> dict:
    found = {"sheetId": sheet_id, "startRowIndex": row, "endRowIndex": end_row,
             "startColumnIndex": col, "endColumnIndex": end_col}
    return {k: v for k, v in found.items() if v is not None}


def _cell_at(value: Any, row: int, col: int, bold: bool) -> dict:
    """A cell of a block at (0-based row, col): a `Formula` (only a cell that was one, which undo
    restores) as a formula, its references moved with it; anything else as `cell_data`."""
    if isinstance(value, Formula):
        return {"userEnteredValue": {"formulaValue": formula_text(value, row + 1, col)}}
    return cell_data(value, bold)


def format_requests(sheet_id: int, formats: Mapping[tuple[int, int], NumberFormat]) -> list[dict]:
    """Number formats undo puts back ((1-based row, 0-based column) -> format)."""
    requests = []
    for (row, col), number_format in sorted(formats.items()):
        found = {"type": number_format.kind or "NUMBER"}
        if number_format.pattern:
            found["pattern"] = number_format.pattern
        requests.append({"repeatCell": {
            "range": grid_range(sheet_id, row - 1, row, col, col + 1),
            "cell": {"userEnteredFormat": {"numberFormat": found}},
            "fields": "userEnteredFormat.numberFormat",
        }})
    return requests


def _update_block(sheet_id: int, row: int, col: int, rows: list[list[Any]], bold: bool = False) -> list[dict]:
    """Values of a block at (0-based row, col); then DATE formats of its date cells only,
    so people's own formats on other cells are left as they are."""
    fields = "userEnteredValue,userEnteredFormat.textFormat.bold" if bold else "userEnteredValue"
    requests = [{"updateCells": {
        "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
        "rows": [{"values": [_cell_at(v, row + i, col + j, bold) for j, v in enumerate(line)]}
                 for i, line in enumerate(rows)],
        "fields": fields,
    }}]
    for i, line in enumerate(rows):
        for j, value in enumerate(line):
            number_format = _number_format(value)
            if number_format is not None:
                requests.append({"repeatCell": {
                    "range": grid_range(sheet_id, row + i, row + i + 1, col + j, col + j + 1),
                    "cell": {"userEnteredFormat": {"numberFormat": number_format}},
                    "fields": "userEnteredFormat.numberFormat",
                }})
    return requests


def add_sheet(sheet_id: int, title: str, rows: int, columns: int, index: int | None = None,
              hidden: bool = False) -> dict:
    props: dict = {"sheetId": sheet_id, "title": title, "sheetType": "GRID",
                   "gridProperties": {"rowCount": rows, "columnCount": columns, "frozenRowCount": 1}}
    if hidden:  # the tool's internal state: out of sight, never printed
        props["hidden"] = True
    if index is not None:
        props["index"] = index
    return {"addSheet": {"properties": props}}


def _header_requests(sheet_id: int, row: int, headers: Mapping[int, str]) -> list[dict]:
    requests = []
    for col, text in sorted(headers.items()):
        requests += _update_block(sheet_id, row, col, [[text]], bold=True)
    return requests


def _grow(sheet: SheetInfo, rows: int, columns: int) -> list[dict]:
    """appendDimension so every write lands inside the grid (Google rejects writes beyond it)."""
    requests = []
    if rows > sheet.rows:
        requests.append({"appendDimension": {"sheetId": sheet.sheet_id, "dimension": "ROWS", "length": rows - sheet.rows}})
    if columns > sheet.columns:
        requests.append({"appendDimension": {"sheetId": sheet.sheet_id, "dimension": "COLUMNS",
                                             "length": columns - sheet.columns}})
    return requests


def new_sheet_id(taken: Iterable[int], rand: random.Random | None = None) -> int:
    taken = set(taken)
    rand = rand or random.SystemRandom()
    while True:
        candidate = rand.randint(1, 2**31 - 1)
        if candidate not in taken:
            return candidate


def tab_requests(writes: TabWrites, sheet: SheetInfo | None, make_id: Callable[[], int]) -> list[dict]:
    """The batchUpdate requests of one tab's positional writes, deletions last, bottom-up."""
    if writes.replace is not None:
        return _replace_requests(writes, sheet, make_id)
    requests: list[dict] = []
    if sheet is None:  # a tab resolve decided to create (Ändringslogg, a new contract tab)
        headers = writes.create_headers or []
        layout = created_tab_layout(writes.title, headers)
        # A template tab is laid out as init lays it out (a Körningar made on the fly has its
        # dropdown), on as many rows as init's, so its validations lie inside the grid.
        sheet = SheetInfo(make_id(), writes.title, -1, TEMPLATE_ROWS + 1 if layout else DEFAULT_ROWS,
                          max(DEFAULT_COLUMNS, len(headers)))
        requests.append(add_sheet(sheet.sheet_id, sheet.title, sheet.rows, sheet.columns))
        first = 0
        if layout is not None:
            requests += _format_tab(layout, sheet.sheet_id)  # its header too
            first = len(layout.headers)
        requests += _header_requests(sheet.sheet_id, 0, {i: h for i, h in enumerate(headers) if i >= first})
    last_row = max([writes.header_row if writes.header_cells else 0,
                    *(r for r, _ in writes.cells),
                    writes.first_append_row + len(writes.appends) - 1 if writes.appends else 0])
    last_col = max([*(c + 1 for c in writes.header_cells), *(c + 1 for _, c in writes.cells),
                    *(len(line) for line in writes.appends), *(len(i.values) for i in writes.inserts)], default=0)
    requests += _grow(sheet, last_row, last_col)
    requests += _header_requests(sheet.sheet_id, writes.header_row - 1, writes.header_cells)
    for (row, col), value in sorted(writes.cells.items()):
        requests += _update_block(sheet.sheet_id, row - 1, col, [[value]])
    if writes.appends:
        requests += _update_block(sheet.sheet_id, writes.first_append_row - 1, 0, writes.appends)
    requests += format_requests(sheet.sheet_id, writes.formats)
    requests += extras_requests(sheet.sheet_id, writes.extras)
    requests += extras_set_requests(sheet.sheet_id, writes.extras_set)
    for row in sorted(set(writes.deletes), reverse=True):
        requests.append({"deleteDimension": {"range": {"sheetId": sheet.sheet_id, "dimension": "ROWS",
                                                       "startIndex": row - 1, "endIndex": row}}})
    return requests + insert_requests(sheet.sheet_id, writes.inserts)


def insert_requests(sheet_id: int, inserts: Sequence[RowInsert]) -> list[dict]:
    """Rows undo puts back where they stood, last in the tab's batch (writeplan.RowInsert): each
    inserted top to bottom, formatted like the row above (below, under the header), so the
    formulas over the rows grow to cover it (Google moves every reference at or past an
    inserted row); then its values, number formats and notes, links and fills."""
    requests: list[dict] = []
    for insert in inserts:
        requests.append({"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                       "startIndex": insert.row - 1, "endIndex": insert.row},
                                             "inheritFromBefore": insert.inherit_before}})
    for insert in inserts:
        requests += _update_block(sheet_id, insert.row - 1, 0, [insert.values])
        requests += format_requests(sheet_id, {(insert.row, col): f for col, f in insert.formats.items()})
        requests += extras_requests(sheet_id, {(insert.row, col): e for col, e in insert.extras.items()})
    return requests


def _replace_requests(writes: TabWrites, sheet: SheetInfo | None, make_id: Callable[[], int]) -> list[dict]:
    """A tool-owned tab rewritten whole: deleted and added again under the same id and place
    (old rows, charts and formats go with it), atomically inside the one batchUpdate, then laid
    out as `sheet.layout.owned_tab_format` says."""
    headers, rows = writes.replace
    fmt = owned_tab_format(writes.title, headers, rows, writes.chart)
    requests: list[dict] = []
    sheet_id = sheet.sheet_id if sheet else make_id()
    if sheet is not None:
        requests.append({"deleteSheet": {"sheetId": sheet.sheet_id}})
    width = max([len(headers), *(len(r) for r in rows)])
    requests.append(add_sheet(sheet_id, writes.title, max(DEFAULT_ROWS, len(rows) + 1), max(DEFAULT_COLUMNS, width),
                              index=sheet.index if sheet else None, hidden=fmt.hidden))
    requests += _header_requests(sheet_id, 0, dict(enumerate(headers)))
    if rows:
        requests += _update_block(sheet_id, 1, 0, [list(r) for r in rows])
    # the tab's layout, then the number formats a restored tab brings back (undo): theirs win
    return requests + owned_tab_requests(sheet_id, fmt) + format_requests(sheet_id, writes.formats)


def _column_format(sheet_id: int, row: int, end_row: int, col: int, end_col: int, cell_format: dict) -> dict:
    fields = ",".join(f"userEnteredFormat.{name}" for name in cell_format)
    return {"repeatCell": {"range": grid_range(sheet_id, row, end_row, col, end_col),
                           "cell": {"userEnteredFormat": cell_format}, "fields": fields}}


def owned_tab_requests(sheet_id: int, fmt: OwnedTabFormat) -> list[dict]:
    """The layout of a rewritten tool-owned tab (the header's bold and freeze come with it):
    widths, wrapping, date columns, the status colours and the charts. Google keeps no print
    setup in a spreadsheet (it is chosen when printing or exporting), and fits wrapped rows'
    heights by itself."""
    last = fmt.rows + 1
    requests: list[dict] = [{"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col, "endIndex": col + 1},
        "properties": {"pixelSize": int(width * PIXELS_PER_CHARACTER + 5)},
        "fields": "pixelSize",
    }} for col, width in enumerate(fmt.widths)]
    if fmt.widths:
        requests.append(_column_format(sheet_id, 0, 1, 0, len(fmt.widths),
                                       {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}))
    if fmt.rows:
        requests.append(_column_format(sheet_id, 1, last, 0, len(fmt.widths), {"verticalAlignment": "TOP"}))
        requests += [_column_format(sheet_id, 1, last, col, col + 1, {"wrapStrategy": "WRAP"}) for col in fmt.wrapped]
        requests += [_column_format(sheet_id, 1, last, col, col + 1, {"numberFormat": DATE_FORMAT})
                     for col in fmt.date_columns]
    if fmt.status_column is not None and fmt.rows:
        col = fmt.status_column
        requests += [{"addConditionalFormatRule": {"index": i, "rule": {
            "ranges": [grid_range(sheet_id, 1, last, col, col + 1)],
            "booleanRule": {"condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": word}]},
                            "format": {"backgroundColor": rgb(fill)}},
        }}} for i, (word, fill) in enumerate(STATUS_FILLS.items())]
    return requests + [chart_request(sheet_id, chart) for chart in fmt.charts]


PIXELS_PER_CM = 96 / 2.54


def chart_request(sheet_id: int, chart: PlacedChart) -> dict:
    """A native chart placed as the layout says (`PlacedChart`). Its series are named by the
    header row: a chart over rows further down (the Dashboard's students) takes the header
    row as a first source range and its rows as a second, as Google allows."""
    def source(col: int) -> dict:
        if chart.first_row == 2:
            ranges = [grid_range(sheet_id, 0, chart.last_row, col, col + 1)]
        else:
            ranges = [grid_range(sheet_id, 0, 1, col, col + 1),
                      grid_range(sheet_id, chart.first_row - 1, chart.last_row, col, col + 1)]
        return {"sourceRange": {"sources": ranges}}

    kind = chart.kind.upper()
    value_axis = "BOTTOM_AXIS" if kind == "BAR" else "LEFT_AXIS"
    spec = {
        "title": chart.title,
        "basicChart": {
            "chartType": kind,
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "domains": [{"domain": source(chart.category)}],
            "series": [{"series": source(c), "targetAxis": value_axis} for c in chart.series],
        },
    }
    position = {"overlayPosition": {
        "anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor_row - 1, "columnIndex": chart.anchor_col},
        "widthPixels": round(chart.width_cm * PIXELS_PER_CM), "heightPixels": round(chart.height_cm * PIXELS_PER_CM),
    }}
    return {"addChart": {"chart": {"spec": spec, "position": position}}}


# init -----------------------------------------------------------------------------------
def rgb(hex_colour: str) -> dict:
    value = hex_colour.lstrip("#")
    return {name: int(value[i:i + 2], 16) / 255 for name, i in (("red", 0), ("green", 2), ("blue", 4))}


def locale_request() -> dict:
    """A spreadsheet's locale and time zone set to Sweden's (see SPREADSHEET_LOCALE)."""
    return {"updateSpreadsheetProperties": {
        "properties": {"locale": SPREADSHEET_LOCALE, "timeZone": SPREADSHEET_TIME_ZONE},
        "fields": "locale,timeZone",
    }}


def layout_requests(layout: Layout, sheet_ids: list[int], remove_sheet_ids: Iterable[int] = ()) -> list[dict]:
    """Every request that turns a new spreadsheet into the template of `layout`, the Swedish
    locale first (before anything is typed in it)."""
    requests = [locale_request()]
    requests += [add_sheet(sid, tab.title, TEMPLATE_ROWS + 1, max(DEFAULT_COLUMNS, len(tab.headers)), index=i)
                for i, (tab, sid) in enumerate(zip(layout.tabs, sheet_ids))]
    requests += [{"deleteSheet": {"sheetId": sid}} for sid in remove_sheet_ids]
    for tab, sid in zip(layout.tabs, sheet_ids):
        requests += _format_tab(tab, sid)
    return requests


def _format_tab(tab: TabLayout, sheet_id: int) -> list[dict]:
    from chas_sheets.sheet.schema import contract

    fills = contract().formats.get(tab.title, {})
    requests = _header_requests(sheet_id, 0, dict(enumerate(tab.headers)))
    last = TEMPLATE_ROWS + 1
    for index, (header, width) in enumerate(zip(tab.headers, tab.widths)):
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": index, "endIndex": index + 1},
            "properties": {"pixelSize": int(width * PIXELS_PER_CHARACTER + 5)},
            "fields": "pixelSize",
        }})
        if header in tab.tool_owned:
            requests.append({"repeatCell": {
                "range": grid_range(sheet_id, 0, 1, index, index + 1),
                "cell": {"userEnteredFormat": {"backgroundColor": rgb(fills.get("tool_owned_header_fill", "E0E0E0"))}},
                "fields": "userEnteredFormat.backgroundColor",
            }})
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": grid_range(sheet_id, col=index, end_col=index + 1),
                "description": sheet_("{header}: written by chas-sheets").format(header=header),
                "warningOnly": True,  # a warning, not a wall: people may still fix a value
            }}})
    for header, words in tab.dropdowns.items():
        col = tab.index(header)
        requests.append({"setDataValidation": {
            "range": grid_range(sheet_id, 1, last, col, col + 1),
            "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": w} for w in words]},
                     "strict": False, "showCustomUi": True},  # odd values are reported, not refused
        }})
    for priority, colour in enumerate(tab.colours):
        letter = get_column_letter(tab.index(colour.column) + 1)
        test = f'=${letter}2<>""' if colour.equals is None else f'=${letter}2="{colour.equals}"'
        requests.append({"addConditionalFormatRule": {"index": priority, "rule": {
            "ranges": [grid_range(sheet_id, 1, last, 0, len(tab.headers))],
            "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": test}]},
                            "format": {"backgroundColor": rgb(colour.fill)}},
        }}})
    return requests
