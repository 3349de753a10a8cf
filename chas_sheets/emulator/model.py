"""The in-memory model: Drive files, spreadsheets, sheets and their sparse cell grids.

Structures are Google's own JSON shapes (SheetProperties, GridRange, ProtectedRange,
DeveloperMetadata ...) held in plain dicts, so replies are built by copying and the whole
store persists as JSON.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import string
from dataclasses import dataclass, field

from chas_sheets.emulator import a1
from chas_sheets.emulator.cellvalues import effective_value
from chas_sheets.emulator.errors import bad_request

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26
_ID_CHARS = string.ascii_letters + string.digits + "-_"
_EVALUATING: set = set()  # cells whose formula is being computed: a reference back to one is circular


def rfc3339(epoch_seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch_seconds, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Sheet:
    properties: dict
    cells: dict = field(default_factory=dict)  # (row, col) -> CellData
    row_props: dict = field(default_factory=dict)  # row -> DimensionProperties
    col_props: dict = field(default_factory=dict)
    merges: list = field(default_factory=list)
    protected_ranges: list = field(default_factory=list)
    conditional_formats: list = field(default_factory=list)
    charts: list = field(default_factory=list)
    row_groups: list = field(default_factory=list)
    column_groups: list = field(default_factory=list)
    basic_filter: dict | None = None
    # setDataValidation rules as {"range": GridRange, "rule": rule|None}, newest last: one
    # entry per request instead of a copy per cell of a 1000-row column.
    validations: list = field(default_factory=list)

    def validation_at(self, row: int, col: int) -> dict | None:
        for entry in reversed(self.validations):
            r = entry["range"]
            if (r.get("startRowIndex", 0) <= row < r.get("endRowIndex", self.row_count)
                    and r.get("startColumnIndex", 0) <= col < r.get("endColumnIndex", self.col_count)):
                return entry["rule"]
        cell = self.cells.get((row, col))
        return cell.get("dataValidation") if cell else None

    @property
    def sheet_id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def grid(self) -> dict:
        return self.properties.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        return self.grid.get("rowCount", 0)

    @property
    def col_count(self) -> int:
        return self.grid.get("columnCount", 0)

    def grow_to(self, rows: int, cols: int) -> None:
        "Writes past the edge grow the grid, as Google's values API does."
        self.grid["rowCount"] = max(self.row_count, rows)
        self.grid["columnCount"] = max(self.col_count, cols)

    def lookup(self, ref) -> list:
        """A formula's reference to this sheet's cells (formula.Ref) -> rows of values, None for
        an empty cell and a FormulaError for a cell showing one (it propagates, as in Google)."""
        from chas_sheets.emulator.formula import FormulaError

        rows = []
        for r in range(ref.row, min(ref.end_row, max(self.row_count, ref.row + 1))):
            line = []
            for c in range(ref.col, min(ref.end_col, max(self.col_count, ref.col + 1))):
                cell = self.cells.get((r, c))
                key = (id(self), r, c)
                if key in _EVALUATING:
                    raise FormulaError("REF", "Circular dependency detected. To resolve with iterative calculation, "
                                              "see File > Settings.")
                _EVALUATING.add(key)
                try:
                    value = effective_value(cell, self.lookup) if cell else None
                finally:
                    _EVALUATING.discard(key)
                if value and "errorValue" in value:
                    line.append(FormulaError(value["errorValue"]["type"], value["errorValue"].get("message", "")))
                else:
                    line.append(next(iter(value.values())) if value else None)
            rows.append(line)
        return rows

    def to_json(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k not in ("cells", "row_props", "col_props")}
        data["cells"] = [[r, c, cell] for (r, c), cell in self.cells.items()]
        data["row_props"] = [[i, p] for i, p in self.row_props.items()]
        data["col_props"] = [[i, p] for i, p in self.col_props.items()]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Sheet":
        data = dict(data)
        cells = {(r, c): cell for r, c, cell in data.pop("cells")}
        rows = {i: p for i, p in data.pop("row_props")}
        cols = {i: p for i, p in data.pop("col_props")}
        return cls(cells=cells, row_props=rows, col_props=cols, **data)


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    properties: dict
    sheets: list = field(default_factory=list)
    named_ranges: list = field(default_factory=list)
    developer_metadata: list = field(default_factory=list)

    def sheet_by_id(self, sheet_id: int | None) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == (sheet_id or 0):
                return sheet
        raise bad_request(f"No grid with id: {sheet_id or 0}")

    def sheet_by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()  # Google matches sheet titles case-insensitively
        return next((s for s in self.sheets if s.title.casefold() == folded), None)

    def resolve(self, text: str) -> tuple[Sheet, a1.Span]:
        """A1 text -> (sheet, span), like Google: a sheet title, a named range, or cells of
        the first sheet."""
        try:
            title, cells = a1.split_sheet(text)
        except a1.A1Error:
            raise bad_request(f"Unable to parse range: {text}")
        if title is None:
            sheet = self.sheet_by_title(cells)
            if sheet is not None:
                return sheet, a1.Span()
            named = next((n for n in self.named_ranges if n["name"] == cells), None)
            if named is not None:
                return self.grid_range_span(named["range"])
            if not self.sheets or not a1.is_a1_cells(cells):
                raise bad_request(f"Unable to parse range: {text}")
            return self.sheets[0], a1.parse_cells(cells)
        sheet = self.sheet_by_title(title)
        if sheet is None:
            raise bad_request(f"Unable to parse range: {text}")
        if cells is None:
            return sheet, a1.Span()
        try:
            return sheet, a1.parse_cells(cells)
        except a1.A1Error:
            named = next((n for n in self.named_ranges if n["name"] == cells), None)
            if named is None:
                raise bad_request(f"Unable to parse range: {text}")
            return self.grid_range_span(named["range"])

    def grid_range_span(self, grid_range: dict) -> tuple[Sheet, a1.Span]:
        sheet = self.sheet_by_id(grid_range.get("sheetId", 0))
        return sheet, a1.Span(
            grid_range.get("startRowIndex", 0),
            grid_range.get("endRowIndex"),
            grid_range.get("startColumnIndex", 0),
            grid_range.get("endColumnIndex"),
        )

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["sheets"] = [s.to_json() for s in self.sheets]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Spreadsheet":
        data = dict(data)
        sheets = [Sheet.from_json(s) for s in data.pop("sheets")]
        return cls(sheets=sheets, **data)


@dataclass
class DriveFile:
    file_id: str
    name: str
    mime_type: str
    created: float
    modified: float
    parents: list = field(default_factory=list)
    permissions: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # description, properties ...
    spreadsheet: Spreadsheet | None = None
    version: int = 1  # Drive's `version`: "monotonically increasing", up by one with every change here

    def resource(self) -> dict:
        "Drive's File resource (all fields; `fields` narrows it)."
        body = {
            "kind": "drive#file",
            "id": self.file_id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": self.parents or ["root"],
            "createdTime": rfc3339(self.created),
            "modifiedTime": rfc3339(self.modified),
            "trashed": False,
            "webViewLink": f"https://docs.google.com/spreadsheets/d/{self.file_id}/edit",
            "permissions": copy.deepcopy(self.permissions),
        }
        body.update(copy.deepcopy(self.extra))
        return body

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["spreadsheet"] = self.spreadsheet.to_json() if self.spreadsheet else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> "DriveFile":
        data = dict(data)
        sheet = data.pop("spreadsheet")
        return cls(spreadsheet=Spreadsheet.from_json(sheet) if sheet else None, **data)


class Store:
    "All files, the Drive change feed, and id generation."

    def __init__(self, clock, seed: int | None = None):
        self.clock = clock
        self.random = random.Random(seed)
        self.files: dict[str, DriveFile] = {}
        self.changes: list[dict] = []  # {"seq", "fileId", "time", "removed"}

    # ids -------------------------------------------------------------------------
    def new_file_id(self) -> str:
        while True:
            file_id = "1" + "".join(self.random.choice(_ID_CHARS) for _ in range(43))
            if file_id not in self.files:
                return file_id

    def new_int_id(self, taken=()) -> int:
        while True:
            value = self.random.randint(1, 2**31 - 1)
            if value not in taken:
                return value

    # files -----------------------------------------------------------------------
    def get_file(self, file_id: str) -> DriveFile:
        from chas_sheets.emulator.errors import not_found

        found = self.files.get(file_id)
        if found is None:
            raise not_found(f"File not found: {file_id}.", drive=True)
        return found

    def get_spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        from chas_sheets.emulator.errors import not_found

        found = self.files.get(spreadsheet_id)
        if found is None or found.spreadsheet is None:
            raise not_found("Requested entity was not found.")
        return found.spreadsheet

    def new_spreadsheet(self, title: str, file_id: str | None = None) -> Spreadsheet:
        file_id = file_id or self.new_file_id()
        properties = {
            "title": title,
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
        }
        first = Sheet(
            properties={
                "sheetId": 0,
                "title": "Sheet1",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS},
            }
        )
        return Spreadsheet(file_id, properties, [first])

    def add_file(self, drive_file: DriveFile) -> DriveFile:
        self.files[drive_file.file_id] = drive_file
        self.record_change(drive_file.file_id)
        return drive_file

    def remove_file(self, file_id: str) -> None:
        self.get_file(file_id)
        del self.files[file_id]
        self.record_change(file_id, removed=True)

    def touch(self, file_id: str) -> None:
        "Record a content change: modifiedTime and the changes feed."
        found = self.files.get(file_id)
        if found is not None:
            found.modified = max(self.clock.now(), found.modified + 0.001)
            found.version += 1
            self.record_change(file_id)

    def record_change(self, file_id: str, removed: bool = False) -> None:
        self.changes.append(
            {"seq": len(self.changes) + 1, "fileId": file_id, "time": self.clock.now(), "removed": removed}
        )

    # persistence -----------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "files": [f.to_json() for f in self.files.values()],
            "changes": self.changes,
        }

    def load_json(self, data: dict) -> None:
        self.files = {f["file_id"]: DriveFile.from_json(f) for f in data.get("files", [])}
        self.changes = data.get("changes", [])
