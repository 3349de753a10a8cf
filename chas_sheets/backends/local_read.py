"""A read-only command's read of a local .xlsx, through python-calamine instead of openpyxl.

Importing openpyxl costs ~0.2 s of CPU, a third of `check`'s start-up; python-calamine (Rust)
imports in ~0.01 s. A read through it is used only when it yields exactly the grid openpyxl's
read (read_only, data_only: the cells' values, a formula's last result) would: calamine
reports every number as a float, a date cell as a date and an error or an empty cell as '',
where openpyxl gives an int, a datetime, '#N/A' and None. Those are mapped back here; whatever
cannot be mapped back with certainty makes `read_values` return None, and the caller reads
with openpyxl as before:
  - a cell holding an error (`t="e"`): calamine cannot tell it from an empty cell; a cell typed
    as an ISO date (`t="d"`); a text holding Excel's `_xHHHH_` escape of a character (Excel
    writes a carriage return so: openpyxl keeps the escape's text, calamine decodes it) or a
    phonetic guide;
  - a number format that is not one both readers are known to take alike (date or number:
    SAFE_BUILTIN_FORMATS, SAFE_FORMATS; tests/test_local_read.py holds both to it);
  - a workbook counting dates from 1904; a time of day, a duration or a date before March 1900
    (where the two readers' conversions differ); a whole number too large for a float to be exact;
  - a sheet that is not a worksheet (a chart sheet), XML that openpyxl's parser refuses (calamine
    reads some damaged XML: the file is damaged, openpyxl's read says so in one line), a file
    calamine refuses, or no python-calamine at all.
A read-only command never writes, so nothing it reads is compared with an openpyxl re-read.
Formulas, notes, links and formats are never read here: a write reads them through openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from chas_sheets.backends.base import wanted_titles
from chas_sheets.sheet.tables import RawWorkbook

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Built-in number formats (ECMA-376 18.8.30) both readers take alike: General, numbers,
# percentages, fractions, the dates 14-22 and times 45-47 (a time is a fallback anyway), text.
# 23-36 and 50-81 are locale-dependent (Asian dates in Excel); openpyxl knows none of them.
SAFE_BUILTIN_FORMATS = frozenset(range(23)) | frozenset(range(37, 50))
# Custom number formats people and programs put on a CRM's cells, checked to be read alike.
SAFE_FORMATS = frozenset({
    "General", "@", "0", "0.0", "0.00", "#,##0", "#,##0.00", "0%", "0.00%",
    "0000000000", "00000000000", "000000-0000", "# ### ###", '0" st"', '#,##0" kr"', '#,##0 "kr"',
    "yyyy-mm-dd", "yyyy-mm-dd;@", "yyyy/mm/dd", "yyyy-mm-dd hh:mm", "yyyy-mm-dd hh:mm:ss",
    "yyyy-mm-dd h:mm", "yyyy-mm-dd h:mm:ss", "yyyy\\-mm\\-dd", "yyyy\\-mm\\-dd;@",
    "d/m/yyyy", "dd/mm/yyyy", "m/d/yyyy", "d/m/yy", "mm/dd/yyyy", "d mmm yyyy", "d mmmm yyyy",
    "dd.mm.yyyy", "[$-41D]d mmmm yyyy;@", "[$-sv-SE]yyyy-mm-dd", "m/d/yyyy h:mm:ss", "m/d/yyyy h:mm",
})
FIRST_SAFE_DAY = dt.date(1900, 3, 1)  # before it, Excel's phantom 29 February 1900 is counted differently
EXACT_FLOAT = 2 ** 53  # every whole number below it is exact in a float
# A cell typed as an error or as an ISO date (t="e", t="d"), and Excel's `_xHHHH_` escape of a
# character in a text (Excel writes a line's carriage return as _x000D_): calamine decodes the
# escape, openpyxl keeps the escape's text; and a phonetic guide (<rPh>) inside a text
_ERROR_OR_ISO_DATE_CELL = re.compile(rb"""<(?:\w+:)?c\b[^>]*\bt\s*=\s*["'][ed]["']""")
_ESCAPE_OR_PHONETIC = re.compile(rb"_x[0-9A-Fa-f]{4}_|<(?:\w+:)?rPh\b")


class _NotExact(Exception):
    """This workbook's values are not read by calamine exactly as openpyxl reads them."""


def read_values(path: Path, tabs: Sequence[str] | None, source: str) -> RawWorkbook | None:
    """The titles and value grids openpyxl's read would give (see the module docstring), or None
    when only openpyxl's read gives them exactly."""
    try:
        from python_calamine import CalamineWorkbook, SheetTypeEnum
    except ImportError:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            _refuse_what_calamine_reads_otherwise(archive)
        with CalamineWorkbook.from_path(str(path)) as book:
            if any(sheet.typ != SheetTypeEnum.WorkSheet for sheet in book.sheets_metadata):
                return None
            titles = list(book.sheet_names)
            grids = {title: _grid(book.get_sheet_by_name(title).to_python(skip_empty_area=False))
                     for title in wanted_titles(titles, tabs)}
    except Exception:  # noqa: BLE001 - _NotExact, a damaged file, anything calamine refuses: openpyxl reads it
        return None
    return RawWorkbook(titles, grids, source)


def _refuse_what_calamine_reads_otherwise(archive: zipfile.ZipFile) -> None:
    """Raise _NotExact for a 1904 workbook, a number format not known to be read alike, an
    error or ISO-date cell anywhere (calamine gives '' for an error), or a text with an escaped
    character or a phonetic guide."""
    names = set(archive.namelist())
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = workbook.find(f"{_MAIN}workbookPr")
    if properties is not None and properties.get("date1904", "false").lower() in ("1", "true"):
        raise _NotExact("1904 dates")
    if "xl/styles.xml" in names:
        _refuse_unsafe_formats(ElementTree.fromstring(archive.read("xl/styles.xml")))
    for name in names:
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            data = _well_formed(archive.read(name))
            if _ERROR_OR_ISO_DATE_CELL.search(data) or _ESCAPE_OR_PHONETIC.search(data):
                raise _NotExact("an error or ISO date cell, or an escaped character")
        elif name == "xl/sharedStrings.xml" and _ESCAPE_OR_PHONETIC.search(_well_formed(archive.read(name))):
            raise _NotExact("an escaped character or a phonetic guide in a text")


def _well_formed(data: bytes) -> bytes:
    """`data` when it is well-formed XML as openpyxl's parser (expat) sees it. calamine reads
    some damaged XML (a control character, `&#7;`) that openpyxl refuses: such a file is damaged,
    and openpyxl's read says so in one line."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise _NotExact("damaged XML") from exc
    return data


def _refuse_unsafe_formats(styles: ElementTree.Element) -> None:
    custom = {fmt.get("numFmtId"): fmt.get("formatCode") for fmt in styles.iter(f"{_MAIN}numFmt")}
    cell_formats = styles.find(f"{_MAIN}cellXfs")
    for xf in cell_formats if cell_formats is not None else ():
        ident = xf.get("numFmtId", "0")
        if ident in custom:
            if custom[ident] not in SAFE_FORMATS:
                raise _NotExact(f"number format {custom[ident]!r}")
        elif not ident.isdigit() or int(ident) not in SAFE_BUILTIN_FORMATS:
            raise _NotExact(f"number format {ident}")


def _grid(rows: list[list[Any]]) -> list[list[Any]]:
    return [[_as_openpyxl_reads(value) for value in row] for row in rows]


def _as_openpyxl_reads(value: Any) -> Any:
    """One calamine value as openpyxl's read gives it."""
    if isinstance(value, str):
        return value if value else None  # '' is an empty cell (an error cell was refused before)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) >= EXACT_FLOAT:
                raise _NotExact("a whole number beyond a float's exact range")
            return int(value)  # openpyxl reads "42" as int, and Excel stores whole numbers so
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value.date() < FIRST_SAFE_DAY or value.microsecond % 1000:
            raise _NotExact("a date before March 1900 or below a millisecond")
        return value
    if isinstance(value, dt.date):
        if value < FIRST_SAFE_DAY:
            raise _NotExact("a date before March 1900")
        return dt.datetime(value.year, value.month, value.day)  # openpyxl's date cells are datetimes
    raise _NotExact(f"a {type(value).__name__}")  # a time of day or a duration
