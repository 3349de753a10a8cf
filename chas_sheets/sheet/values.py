"""Cell values as both backends hand them over: str, int, float, bool, date, datetime, None.

Text stays text: nothing here turns '0701234567' into a number or '556036-0793' into a sum.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Mapping

# Day 0 of spreadsheet serial dates: Excel (since Lotus) and Google count days from here.
SERIAL_EPOCH = dt.datetime(1899, 12, 30)
_PANDAS_MISSING = ("NAType", "NaTType")  # pd.NA and pd.NaT, without importing pandas


def is_blank(value: object) -> bool:
    if value is None or type(value).__name__ in _PANDAS_MISSING:
        return True
    return (isinstance(value, str) and not value.strip()) or value != value  # NaN


def as_text(value: object) -> str:
    """How a person would read the cell: '' for blank, ISO for dates, 12 not 12.0."""
    if is_blank(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if isinstance(value, str) else str(value)


def normalise_read(value: object) -> object:
    """A read cell in its plain form: midnight datetimes are dates, blanks are None."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def values_equal(a: object, b: object) -> bool:
    """Same cell content for compare-and-set (a date equals its midnight datetime)."""
    a, b = normalise_read(a), normalise_read(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    if type(a) is type(b):
        return a == b
    return as_text(a) == as_text(b)


# Whole rows go to Ändringslogg as JSON; dates are tagged so undo restores date cells.
def _encode(value: object) -> Any:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _decode(value: Any) -> object:
    if isinstance(value, dict):
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
    return value


def row_to_json(row: Mapping[str, object]) -> str:
    return json.dumps({k: _encode(normalise_read(v)) for k, v in row.items() if not is_blank(v)}, ensure_ascii=False)


def row_from_json(text: str) -> dict[str, object]:
    return {k: _decode(v) for k, v in json.loads(text).items()}
