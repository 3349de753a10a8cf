"""A person at the spreadsheet, injected between two requests of a run (control.Fault "person").

Each action is what a person does in the Sheets UI, applied through the same handlers as the
API's own requests, so the emulator stays the one model of what Google does:
- edit: values typed into a range (RAW, like the concurrent editor);
- sort: "Sort sheet" on one column, the frozen header row staying put (a sortRange of every
  row below it);
- insertRows: "Insert row above" (an insertDimension);
- requests: any batchUpdate requests, as Google takes them.
"""

from __future__ import annotations

from chas_sheets.emulator import batch_requests, values_api
from chas_sheets.emulator.errors import bad_request
from chas_sheets.emulator.model import Spreadsheet


def act(book: Spreadsheet, actions: list[dict], call) -> None:
    for action in actions:
        (kind, spec), = action.items()
        if kind == "edit":
            values_api.write_range(call, book, spec["range"], spec["values"], "ROWS", "RAW", False)
        elif kind == "sort":
            sheet = _sheet(book, spec["tab"])
            order = "DESCENDING" if spec.get("descending") else "ASCENDING"
            batch_requests.apply_all(book, [{"sortRange": {
                "range": {"sheetId": sheet.sheet_id, "startRowIndex": 1, "endRowIndex": sheet.row_count},
                "sortSpecs": [{"dimensionIndex": int(spec["column"]), "sortOrder": order}]}}], call.store)
        elif kind == "insertRows":
            sheet = _sheet(book, spec["tab"])
            start = int(spec["before"]) - 1
            batch_requests.apply_all(book, [{"insertDimension": {
                "range": {"sheetId": sheet.sheet_id, "dimension": "ROWS", "startIndex": start,
                          "endIndex": start + int(spec.get("count", 1))},
                "inheritFromBefore": start > 0}}], call.store)
        elif kind == "requests":
            batch_requests.apply_all(book, list(spec), call.store)
        else:
            raise ValueError(f"unknown action of a person: {kind}")


def _sheet(book: Spreadsheet, title: str):
    sheet = book.sheet_by_title(title)
    if sheet is None:
        raise bad_request(f"No tab named {title!r} for the person to act on")
    return sheet
