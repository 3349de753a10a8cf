"""`Ändringslogg`, the change log every spreadsheet keeps: its words and its entries.

One row per change a run made (`writeplan.resolve` writes them, `undo` reads them back):
`Körning` (run id), `Tid`, `Kommando`, `Flik`, `Rad-ID`, `Kolumn`, `Före`, `Efter`. `Kolumn`
is a column name for a cell change, or one of the markers below; any other `(…)` is a note
of the run (not a change: never undone, never counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chas_sheets.sheet.values import as_text, is_blank, normalise_read

if TYPE_CHECKING:
    from chas_sheets.sheet.tables import Table

LOG_TAB = "Ändringslogg"
RUNS_TAB = "Körningar"  # the sheet's history of runs; a run's own row there is not a change it logs
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Markers in `Kolumn`: what kind of change the row records.
NEW_ROW = "(ny rad)"  # Efter = the appended row as JSON
REMOVED_ROW = "(rad borttagen)"  # Före = the whole removed row as JSON
REPLACED_TAB = "(flik ersatt)"  # a tool-owned tab rewritten whole; Före = its old content (typed JSON)
# A cell's note and link set (a removed duplicate's carried onto the row kept); Före/Efter =
# {"column": label, "note": ..., "link": ...} before and after
CELL_EXTRAS = "(anteckning)"
NEW_COLUMN = "(ny kolumn)"  # a column the contract needs, added to a tab
NEW_ID = "ID"  # a new ID given to a row without a usable one
CHANGES = (NEW_ROW, REMOVED_ROW, REPLACED_TAB, CELL_EXTRAS)

# Notes: what a run says about itself.
UNDOES = "(ångrar)"  # Efter = the id of the run this one undid
RUN_IN = "(körning i)"  # Efter = another spreadsheet this run wrote under the same id
HARVEST_AUDIT = "(skörd)"  # the harvest's lottery audit: seed, commitment, draws


def log_row(run_id: str, started, command: str, tab: str, row_id: str, column: str,
            before: Any, after: Any) -> list[Any]:
    """One Ändringslogg row, in the contract's column order."""
    return [run_id, started.strftime(TIME_FORMAT), command, tab, row_id, column,
            "" if before is None else before, "" if after is None else after]


@dataclass(frozen=True)
class LogEntry:
    """One Ändringslogg row as it is read back."""

    log_row: int  # sheet row in Ändringslogg
    run_id: str
    time: str
    command: str
    tab: str
    row_id: str
    column: str
    before: Any
    after: Any

    @property
    def is_note(self) -> bool:
        return self.column.startswith("(") and self.column.endswith(")") and self.column not in CHANGES


def log_entries(log_table: Table | None) -> list[LogEntry]:
    if log_table is None:
        return []
    df = log_table.df

    def get(row_id: str, column: str) -> Any:
        return df.at[row_id, column] if column in df.columns else None

    return [LogEntry(log_table.sheet_rows[r], as_text(get(r, "Körning")), as_text(get(r, "Tid")),
                     as_text(get(r, "Kommando")), as_text(get(r, "Flik")), as_text(get(r, "Rad-ID")),
                     as_text(get(r, "Kolumn")), get(r, "Före"), get(r, "Efter"))
            for r in df.index if not is_blank(get(r, "Körning"))]


# Typed cells in the JSON of a logged row (`Före` of `(rad borttagen)`, `Efter` of `(ny rad)`).
# A plain JSON value is the cell's value as stored: text is text, even text starting with '='.
# A cell is a JSON object only when tagged, and a cell never holds an object, so a tag can never
# be mistaken for what a person typed:
#   {"date": "2027-05-01"} / {"datetime": ...}   a date cell
#   {"formula": "=LEN(B5)", "at": [5, 2], "value": 4}   a formula (only ever a cell that was one),
#                                         with where it stood (1-based row, 0-based column) and its result
#   {"value": 701234567, "format": {"pattern": "0000000000", "type": "NUMBER"}}   a number format
#   {"value": "Ida", "note": "ring efter 15", "link": "https://...", "fill": "FFFFFF00"}   what a person put
#                                         on the cell besides its value: a note, a link, a fill colour (ARGB)
# A log written before formulas and formats were tagged holds plain values only: read the same way.


class Formula(str):
    """A cell holding a formula (as read for writing, or restored from the log): people's work.

    `value` is the formula's result as a plain read saw it, so a row holding a formula is
    still recognised as the row the command read (its cells are compared by their result).
    `origin` is where it stood (1-based row, 0-based column) when it was logged: written
    elsewhere, its relative references move with it, as when a row is copied.
    Only a Formula is ever written as a formula; text starting with '=' is text.
    """

    value: Any = None
    origin: tuple[int, int] | None = None

    def __new__(cls, text: str, value: Any = None) -> "Formula":
        formula = super().__new__(cls, text)
        formula.value = value
        return formula


_UNHEADED = re.compile(r"^\(kolumn ([A-Z]{1,3})\)$")


def unheaded_label(index: int) -> str:
    """The label of a logged cell in a column without a header: its letter (0-based `index`)."""
    letters, number = "", index + 1
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"(kolumn {letters})"


def unheaded_index(label: str) -> int | None:
    """The 0-based column of an `unheaded_label`, None for any other label."""
    match = _UNHEADED.match(label)
    if match is None:
        return None
    number = 0
    for letter in match.group(1):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


@dataclass(frozen=True)
class NumberFormat:
    """A cell's number format: `pattern` as the spreadsheet stores it, `kind` Google's type
    (NUMBER, TEXT, DATE, ...; blank from an .xlsx, where the pattern says it all)."""

    pattern: str
    kind: str = ""

    def to_json(self) -> dict:
        return {"pattern": self.pattern, **({"type": self.kind} if self.kind else {})}

    @classmethod
    def from_json(cls, data: Any) -> NumberFormat | None:
        if not isinstance(data, dict):
            return None
        return cls(str(data.get("pattern") or ""), str(data.get("type") or ""))


@dataclass(frozen=True)
class CellExtras:
    """What a person put on a cell besides its value and number format: a note, a link's
    address, a solid fill colour (ARGB hex), and who wrote the note (an .xlsx keeps an author;
    Google none). Logged with a removed row so undo puts them back."""

    note: str = ""
    link: str = ""
    fill: str = ""
    author: str = ""

    _KEYS = ("note", "link", "fill", "author")

    def __bool__(self) -> bool:
        return bool(self.note or self.link or self.fill)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self._KEYS if getattr(self, k) and (k != "author" or self.note)}

    @classmethod
    def from_json(cls, data: Any) -> CellExtras | None:
        if not isinstance(data, dict):
            return None
        extras = cls(*(str(data.get(k) or "") for k in cls._KEYS))
        return extras or None


_DEFAULT_PATTERNS = {dt.datetime: ("yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"), dt.date: ("yyyy-mm-dd",),
                     dt.time: ("hh:mm:ss",)}


def worth_keeping(number_format: NumberFormat | None, value: Any) -> bool:
    """Whether a cell's format says more than writing its value gives anyway (General, a date's own)."""
    if number_format is None or (not number_format.pattern and number_format.kind in ("", "NUMBER")):
        return False
    if number_format.pattern.lower() == "general":
        return False
    return number_format.pattern not in _DEFAULT_PATTERNS.get(type(normalise_read(value)), ())


def _plain(value: Any) -> Any:
    value = normalise_read(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars from pandas
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    return value


def encode_cell(value: Any, number_format: NumberFormat | None = None, extras: CellExtras | None = None) -> Any:
    if extras:
        cell = encode_cell(value, number_format)
        return {**(cell if isinstance(cell, dict) and ("formula" in cell or "format" in cell) else {"value": cell}),
                **extras.to_json()}
    if isinstance(value, Formula):
        cell: Any = {"formula": str(value), "value": _plain(value.value)}
        if value.origin is not None:
            cell["at"] = list(value.origin)
    else:
        cell = _plain(value)
    if number_format is not None:
        cell = {**cell, "format": number_format.to_json()} if isinstance(cell, dict) and "formula" in cell else {
            "value": cell, "format": number_format.to_json()}
    return cell


def decode_cell(data: Any) -> tuple[Any, NumberFormat | None]:
    """A logged cell -> (value, its number format or None); formulas come back as `Formula`."""
    if not isinstance(data, dict):
        return data, None
    number_format = NumberFormat.from_json(data.get("format"))
    if "formula" in data:
        result, _format = decode_cell(data.get("value"))
        formula = Formula(str(data["formula"]), result)
        at = data.get("at")
        if isinstance(at, list) and len(at) == 2 and all(isinstance(n, int) for n in at):
            formula.origin = (at[0], at[1])
        return formula, number_format
    if "value" in data or "format" in data:
        value, _format = decode_cell(data.get("value"))
        return value, number_format
    if "date" in data:
        return dt.date.fromisoformat(data["date"]), None
    if "datetime" in data:
        return dt.datetime.fromisoformat(data["datetime"]), None
    if "time" in data:
        return dt.time.fromisoformat(data["time"]), None
    return data, None


def encode_row(row: Mapping[str, Any], formats: Mapping[str, NumberFormat] | None = None,
               extras: Mapping[str, CellExtras] | None = None) -> str:
    """A whole row for the log (blank cells left out, unless a note or link is on them),
    formulas, number formats, notes, links and fills tagged."""
    formats, extras = formats or {}, extras or {}
    labels = [k for k, v in row.items() if not is_blank(v)] + [k for k in extras if extras[k] and is_blank(row.get(k))]
    return json.dumps({k: encode_cell(row.get(k), formats.get(k), extras.get(k)) for k in labels}, ensure_ascii=False)


def carried(target: CellExtras, found: CellExtras) -> CellExtras:
    """A cell's note and link once a removed duplicate's same cell (`found`) is carried onto it:
    a note added below its own unless it holds it already, a link where it has none (a
    different link of its own stays; the removed one is in the log). Its fill stays its own."""
    note, author = target.note, target.author
    if found.note and found.note.strip() not in note:
        note, author = (f"{note}\n\n{found.note}", author) if note else (found.note, found.author)
    return CellExtras(note, target.link or found.link, target.fill, author)


def encode_extras(label: str, extras: CellExtras) -> str:
    """A cell's note and link for a `(anteckning)` log row (its fill is never set by one)."""
    return json.dumps({"column": label, "note": extras.note, "link": extras.link,
                       **({"author": extras.author} if extras.note and extras.author else {})}, ensure_ascii=False)


def decode_cell_extras(text: str) -> tuple[str, CellExtras]:
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("column"), str):
        raise TypeError("a logged note is a JSON object naming its column")
    return data["column"], CellExtras(str(data.get("note") or ""), str(data.get("link") or ""),
                                      author=str(data.get("author") or ""))


def decode_extras(text: str) -> dict[str, CellExtras]:
    """The notes, links and fills of a logged row's cells (a log from before they were logged: none)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("a logged row is a JSON object")
    found = {label: CellExtras.from_json(cell) for label, cell in data.items()}
    return {label: extras for label, extras in found.items() if extras}


def decode_row(text: str) -> tuple[dict[str, Any], dict[str, NumberFormat]]:
    """A logged row -> its values and the number formats of the cells that had one."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("a logged row is a JSON object")
    values: dict[str, Any] = {}
    formats: dict[str, NumberFormat] = {}
    for label, cell in data.items():
        values[label], number_format = decode_cell(cell)
        if number_format is not None:
            formats[label] = number_format
    return values, formats


def encode_grid(grid: list[list[Any]], formats: Mapping[tuple[int, int], NumberFormat] | None = None,
                chart: Mapping[str, Any] | None = None) -> str:
    """A tab's whole content for the log (`Före` of `(flik ersatt)`): rows of typed cells, and the
    chart spec the tool draws on it, if any."""
    formats = formats or {}
    rows = [[encode_cell(v, formats.get((r, c))) if not is_blank(v) else None for c, v in enumerate(line)]
            for r, line in enumerate(grid, start=1)]
    return json.dumps({"rows": rows, **({"chart": dict(chart)} if chart else {})}, ensure_ascii=False)


def logged_chart(text: str) -> dict | None:
    """The chart spec logged with a tab's content (`encode_grid`), if any."""
    chart = json.loads(text).get("chart")
    return chart if isinstance(chart, dict) else None


def decode_grid(text: str) -> tuple[list[list[Any]], dict[tuple[int, int], NumberFormat]]:
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise TypeError("a logged tab is a JSON object with rows")
    grid: list[list[Any]] = []
    formats: dict[tuple[int, int], NumberFormat] = {}
    for r, line in enumerate(data["rows"], start=1):
        cells = []
        for c, cell in enumerate(line):
            value, number_format = decode_cell(cell)
            cells.append(value)
            if number_format is not None:
                formats[(r, c)] = number_format
        grid.append(cells)
    return grid, formats


def content_digest(headers: list[Any], rows: list[list[Any]]) -> str:
    """A short fingerprint of a tab's content as people read it (trailing blanks ignored): how
    undo tells whether a rewritten tab is still as the run left it."""
    lines = []
    for line in [headers, *rows]:
        text = [as_text(c) for c in line]
        while text and not text[-1]:
            text.pop()
        lines.append(text)
    while lines and not lines[-1]:
        lines.pop()
    return hashlib.sha256(json.dumps(lines, ensure_ascii=False).encode()).hexdigest()[:12]
