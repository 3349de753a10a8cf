"""spreadsheets.values.*: get, update, append, clear and their batch forms."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chas_sheets.emulator import a1, discovery, grid
from chas_sheets.emulator.cellvalues import cell_from_raw, cell_from_user_entered
from chas_sheets.emulator.errors import bad_request
from chas_sheets.emulator.model import Sheet, Spreadsheet

VALUE_INPUT = {"RAW": cell_from_raw, "USER_ENTERED": cell_from_user_entered}


def _concrete(sheet: Sheet, span: a1.Span, text: str) -> a1.Span:
    if span.exceeds(sheet.row_count, sheet.col_count):
        raise bad_request(
            f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    return span.clamp(sheet.row_count, sheet.col_count)


def value_range(book: Spreadsheet, text: str, major: str, value_render: str, datetime_render: str) -> dict:
    sheet, span = book.resolve(text)
    concrete = _concrete(sheet, span, text)
    body = {"range": a1.format_range(sheet.title, concrete), "majorDimension": major}
    values = grid.read_values(sheet, concrete, major, value_render, datetime_render)
    if values:
        body["values"] = values
    return body


def _read_options(call) -> tuple[str, str, str]:
    return (
        call.param("majorDimension", "ROWS"),
        call.param("valueRenderOption", "FORMATTED_VALUE"),
        call.param("dateTimeRenderOption", "SERIAL_NUMBER"),
    )


def get(call, book: Spreadsheet, range_text: str):
    return 200, value_range(book, range_text, *_read_options(call))


def batch_get(call, book: Spreadsheet):
    ranges = call.query.get("ranges", [])
    options = _read_options(call)
    return 200, {
        "spreadsheetId": book.spreadsheet_id,
        "valueRanges": [value_range(book, text, *options) for text in ranges],
    }


def _rows_major(values: list, major: str | None) -> list:
    if major != "COLUMNS":
        return values
    height = max((len(col) for col in values), default=0)
    return [[col[i] if i < len(col) else None for col in values] for i in range(height)]


def _input_parser(option: str | None, book: Spreadsheet | None = None, call=None):
    """How written values become cells; USER_ENTERED reads them by the spreadsheet's locale,
    a yearless date taking the year of its time zone's today."""
    if option is None:
        raise bad_request("'valueInputOption' is required but not specified")
    if option not in VALUE_INPUT:
        raise bad_request(f"Invalid value at 'value_input_option' (TYPE_ENUM), \"{option}\"")
    if option != "USER_ENTERED" or book is None:
        return VALUE_INPUT[option]
    return functools.partial(cell_from_user_entered, locale=book.properties.get("locale"),
                             today=_today(book, getattr(getattr(call, "store", None), "clock", None)))


def _today(book: Spreadsheet, clock) -> dt.date | None:
    if clock is None:
        return None
    try:
        zone = ZoneInfo(book.properties.get("timeZone") or "Etc/GMT")
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dt.datetime.fromtimestamp(clock.now(), zone).date()


MAX_CELL_CHARACTERS = 50000
TOO_LONG = "Your input contains more than the maximum of 50000 characters in a single cell."


def _check_values(values, where: str = "data.values", cells: str = "values") -> list:
    """Google's checks of written values: a list of lists, each value a string, number or
    boolean (an object or a list in a cell is refused, shown in protobuf text as Google does)
    and no text over 50,000 characters."""
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(row, list) or row is None for row in values):
        shown = values if isinstance(values, str) else "[...]"
        message = f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue), \"{shown}\""
        raise bad_request(message, field=where)
    for i, row in enumerate(values):
        for j, value in enumerate(row or []):
            if isinstance(value, (dict, list)):
                raise bad_request(f"Invalid {cells}[{i}][{j}]: {proto_text(value)}")
            if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
                raise bad_request(TOO_LONG)
    return [row or [] for row in values]


def proto_text(value, indent: int = 0) -> str:
    "A JSON value as protobuf text format shows a google.protobuf.Value (`struct_value {...}`)."
    pad = "  " * indent
    if isinstance(value, dict):
        inner = "".join(f"{pad}  fields {{\n{pad}    key: {_quoted(k)}\n{pad}    value {{\n"
                        f"{proto_text(v, indent + 3)}{pad}    }}\n{pad}  }}\n" for k, v in value.items())
        return f"struct_value {{\n{inner}{pad}}}\n" if indent == 0 else f"{pad}struct_value {{\n{inner}{pad}}}\n"
    if isinstance(value, list):
        inner = "".join(f"{pad}  values {{\n{proto_text(v, indent + 2)}{pad}  }}\n" for v in value)
        return f"list_value {{\n{inner}{pad}}}\n" if indent == 0 else f"{pad}list_value {{\n{inner}{pad}}}\n"
    if value is None:
        line = "null_value: NULL_VALUE"
    elif isinstance(value, bool):
        line = f"bool_value: {'true' if value else 'false'}"
    elif isinstance(value, (int, float)):
        line = f"number_value: {value:g}" if isinstance(value, float) else f"number_value: {value}"
    else:
        line = f"string_value: {_quoted(value)}"
    return f"{pad}{line}\n"


def _quoted(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _check_start(sheet: Sheet, span: a1.Span, text: str) -> None:
    """A write to a range reaching outside the grid is refused, like a read: an anchor cell
    outside it (`Range (Full!A4) exceeds grid limits`), or an explicit end past it (pygsheets#124:
    `A1:DA2306` on 2280 rows). From an anchor inside it, values past the edge grow the grid."""
    if span.exceeds(sheet.row_count, sheet.col_count):
        raise bad_request(
            f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}")


def write_range(call, book: Spreadsheet, text: str, values: list, major: str | None, option: str, include: bool,
                positions: bool = False) -> dict:
    """Write one ValueRange; the UpdateValuesResponse Google gives for it (with `positions`,
    also the absolute rows and columns written, under `_rows`/`_cols`, for batch totals)."""
    sheet, span = book.resolve(text)
    _check_start(sheet, span, text)
    return _write(call, book, sheet, span, text, values, major, option, include, positions)


def _write(call, book, sheet: Sheet, span: a1.Span, text: str, values: list, major, option, include,
           positions: bool = False) -> dict:
    make_cell = _input_parser(option, book, call)
    if span.is_single_cell:  # a single cell only anchors the write, like Google
        span = a1.Span(span.start_row, None, span.start_col, None)
    rows = _rows_major(values, major)
    start_row, start_col = span.start_row or 0, span.start_col or 0
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    if span.end_row is not None and start_row + height > span.end_row:
        raise bad_request(
            f"Requested writing within range [{text}], but tried writing to row [{start_row + height}]"
        )
    if span.end_col is not None and start_col + width > span.end_col:
        column = a1.column_letters(start_col + width - 1)
        raise bad_request(f"Requested writing within range [{text}], but tried writing to column [{column}]")
    written = grid.write_cells(sheet, start_row, start_col, rows, make_cell)
    response = {"spreadsheetId": book.spreadsheet_id}
    if height and width:
        response["updatedRange"] = a1.format_range(sheet.title, written)
        cells = [(i, j) for i, row in enumerate(rows) for j, v in enumerate(row) if v is not None]
        response["updatedRows"] = len({i for i, _ in cells})
        response["updatedColumns"] = len({j for _, j in cells})
        response["updatedCells"] = len(cells)
        if positions:
            response["_rows"] = {start_row + i for i, _ in cells}
            response["_cols"] = {start_col + j for _, j in cells}
        if include:
            response["updatedData"] = value_range(
                book, response["updatedRange"], major or "ROWS",
                call.param("responseValueRenderOption", "FORMATTED_VALUE"),
                call.param("responseDateTimeRenderOption", "SERIAL_NUMBER"),
            )
    else:
        response["updatedRange"] = a1.format_range(sheet.title, span.clamp(sheet.row_count, sheet.col_count))
    return response


def update(call, book: Spreadsheet, range_text: str):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "ValueRange", body, root=("data",))
    values = _check_values(body.get("values"))
    return 200, write_range(
        call, book, range_text, values, body.get("majorDimension"),
        call.param("valueInputOption"), call.flag("includeValuesInResponse"),
    )


def append(call, book: Spreadsheet, range_text: str):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "ValueRange", body, root=("data",))
    values = _check_values(body.get("values"))
    _input_parser(call.param("valueInputOption"))
    sheet, span = book.resolve(range_text)
    searched = span if span.is_single_cell else _concrete(sheet, span, range_text)
    table = grid.find_table(sheet, searched)
    if table is None:
        row, col = searched.start_row or 0, searched.start_col or 0
    else:
        row, col = table.end_row, table.start_col
    rows = _rows_major(values, body.get("majorDimension"))
    if call.param("insertDataOption") == "INSERT_ROWS" and row < sheet.row_count and rows:
        grid.change_dimension(book, sheet, grid.ROWS, row, row + len(rows), inserted=True)
    updates = _write(
        call, book, sheet, a1.Span(row, None, col, None), range_text, rows, "ROWS",
        call.param("valueInputOption"), call.flag("includeValuesInResponse"),
    )
    response = {"spreadsheetId": book.spreadsheet_id}
    if table is not None:
        response["tableRange"] = a1.format_range(sheet.title, table)
    response["updates"] = updates
    return 200, response


def clear(call, book: Spreadsheet, range_text: str):
    sheet, span = book.resolve(range_text)
    concrete = _concrete(sheet, span, range_text)
    grid.clear_values(sheet, concrete)
    return 200, {"spreadsheetId": book.spreadsheet_id, "clearedRange": a1.format_range(sheet.title, concrete)}


def batch_update(call, book: Spreadsheet):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "BatchUpdateValuesRequest", body)
    option = body.get("valueInputOption")
    include = bool(body.get("includeValuesInResponse"))
    responses = []
    for i, data in enumerate(body.get("data") or []):
        values = _check_values(data.get("values"), where=f"data[{i}].values", cells=f"data[{i}].values")
        responses.append(write_range(call, book, data.get("range", ""), values, data.get("majorDimension"), option,
                                     include, positions=True))
    return 200, _batch_update_response(book, responses)


def _batch_update_response(book: Spreadsheet, responses: list) -> dict:
    body = {"spreadsheetId": book.spreadsheet_id}
    written = [r for r in responses if "updatedCells" in r]
    if written:
        # Rows and columns count once however many ranges touch them (test_batch_update).
        body["totalUpdatedRows"] = len({(r["updatedRange"].rsplit("!", 1)[0], i) for r in written for i in r["_rows"]})
        body["totalUpdatedColumns"] = len({(r["updatedRange"].rsplit("!", 1)[0], j) for r in written for j in r["_cols"]})
        body["totalUpdatedCells"] = sum(r["updatedCells"] for r in written)
        body["totalUpdatedSheets"] = len({r["updatedRange"].rsplit("!", 1)[0] for r in written})
    for r in responses:
        r.pop("_rows", None)
        r.pop("_cols", None)
    body["responses"] = responses
    return body


def batch_clear(call, book: Spreadsheet):
    body = call.body or {}
    discovery.validate_body("sheets.v4", "BatchClearValuesRequest", body)
    cleared = [clear(call, book, text)[1]["clearedRange"] for text in body.get("ranges") or []]
    return 200, {"spreadsheetId": book.spreadsheet_id, "clearedRanges": cleared}
