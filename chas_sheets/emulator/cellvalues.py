"""Cell values: parse what a client writes (RAW or USER_ENTERED) and render what it reads.

A cell is Google's own `CellData` dict (`userEnteredValue`, `userEnteredFormat`, `note`,
`dataValidation`, ...), so `updateCells` can store what it is given and persistence is
plain JSON. USER_ENTERED input is parsed by the spreadsheet's `properties.locale`, as Google
does: en_US (what a spreadsheet created without one gets) and sv_SE are modelled, see `LOCALES`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Callable

from chas_sheets.emulator.formula import ERROR_TEXT, FormulaError, evaluate

# Day 0 of Google's (and Lotus') serial dates. Kept apart from the client's own constant on
# purpose: the emulator stands in for Google, so a mistake in the client must not hide in it.
EPOCH = dt.datetime(1899, 12, 30)
DATE_TYPES = ("DATE", "TIME", "DATE_TIME")

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_ISO_DATE_TIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_PATTERN_TOKEN = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm", re.IGNORECASE)

Lookup = Callable[[str], object]


@dataclass(frozen=True)
class Locale:
    """How a locale reads typed text. Google's number-format patterns are locale-neutral
    (`#,##0.00` everywhere); only what is typed and what is shown differ."""

    code: str
    decimal: str  # the decimal separator
    groups: str  # characters that may separate groups of three digits
    day_first: bool  # `11/4` is 11 April (day first) or November 4 (month first)
    currency: str | None  # a leading currency sign read as a CURRENCY number

    @property
    def number(self) -> re.Pattern:
        group = "[" + re.escape(self.groups) + "]"
        return re.compile(rf"^(\d{{1,3}}({group}\d{{3}})+|\d+)?({re.escape(self.decimal)}\d+)?([eE][+-]?\d+)?$")


# en_US: the default of a spreadsheet created without a locale (Drive files.create, gspread's
# recorded sessions: 648 of 652 answers say en_US); `1,234.5`, `11/4` = November 4.
# sv_SE: decimal comma, space-grouped thousands, day before month (`11/4` = 11 April, the
# order of the locale's short day-month form `d/M`); ISO `2027-04-11` is a date in both.
# A locale not modelled here parses as en_US.
LOCALES = {
    "en_US": Locale("en_US", ".", ",", day_first=False, currency="$"),
    "sv_SE": Locale("sv_SE", ",", " \u00a0", day_first=True, currency=None),
}
DEFAULT_LOCALE = "en_US"


def locale_rules(code: str | None) -> Locale:
    return LOCALES.get(code or DEFAULT_LOCALE, LOCALES[DEFAULT_LOCALE])


def user_entered_value(value) -> dict | None:
    "A written JSON value -> Google's ExtendedValue, stored as is (RAW)."
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def cell_from_raw(value) -> dict:
    "RAW: strings are stored exactly as given, never parsed."
    entered = user_entered_value(value)
    return {"userEnteredValue": entered} if entered else {}


def _serial(moment: dt.datetime) -> float:
    delta = moment - EPOCH
    return delta.days + delta.seconds / 86400


def _parse_date_time(text: str, locale: Locale, year: int) -> tuple[float, dict] | None:
    """A typed date or time; `year` is what a yearless `11/4` gets (the current one)."""
    try:
        if m := _ISO_DATE.match(text):
            y, mo, d = map(int, m.groups())
            return _serial(dt.datetime(y, mo, d)), {"type": "DATE", "pattern": "yyyy-mm-dd"}
        if m := _SLASH_DATE.match(text):
            first, second = int(m.group(1)), int(m.group(2))
            d, mo = (first, second) if locale.day_first else (second, first)
            pattern = "d/M" if locale.day_first else "M/d"
            if m.group(3):
                pattern += "/yyyy"
            return _serial(dt.datetime(int(m.group(3) or year), mo, d)), {"type": "DATE", "pattern": pattern}
        if m := _ISO_DATE_TIME.match(text):
            y, mo, d, h, mi = map(int, m.groups()[:5])
            s = int(m.group(6) or 0)
            pattern = "yyyy-mm-dd H:mm:ss"
            return _serial(dt.datetime(y, mo, d, h, mi, s)), {"type": "DATE_TIME", "pattern": pattern}
        if m := _TIME.match(text):
            h, mi = int(m.group(1)), int(m.group(2))
            s = int(m.group(3) or 0)
            if h < 24 and mi < 60 and s < 60:
                return (h * 3600 + mi * 60 + s) / 86400, {"type": "TIME", "pattern": "H:mm:ss"}
    except ValueError:
        return None
    return None


def _parse_number(text: str, locale: Locale) -> tuple[float, dict | None] | None:
    body, number_format = text, None
    if body.endswith("%"):
        body, number_format = body[:-1], {"type": "PERCENT", "pattern": "0%"}
    sign = ""
    if body[:1] in "+-":
        sign, body = body[0], body[1:]
    if locale.currency and body.startswith(locale.currency):
        body, number_format = body[1:], {"type": "CURRENCY", "pattern": '"$"#,##0.00'}
    if not body or not locale.number.match(body) or not any(ch.isdigit() for ch in body):
        return None
    grouped = any(ch in locale.groups for ch in body)
    body = "".join(ch for ch in body if ch not in locale.groups).replace(locale.decimal, ".")
    if grouped and not number_format:
        decimals = len(body.split(".", 1)[1]) if "." in body else 0
        number_format = {"type": "NUMBER", "pattern": "#,##0" + ("." + "0" * decimals if decimals else "")}
    number = float(sign + body)
    if number_format and number_format["type"] == "PERCENT":
        number /= 100
    if number.is_integer() and abs(number) < 2**53:
        number = int(number)
    return number, number_format


def cell_from_user_entered(value, locale: str | None = None, today: dt.date | None = None) -> dict:
    """USER_ENTERED: parsed as if typed in the UI of a spreadsheet with `locale`, like Google.

    `0042` becomes 42, `TRUE` a boolean, `2020-01-01` a date serial, `=...` a formula and a
    leading `+` a formula too (`+4670...` is `=+4670...`). By the locale: `1,5` is 1.5 in
    sv_SE and text in en_US; `11/4` is 11 April in sv_SE and November 4 in en_US (of the year
    of `today`, the spreadsheet's today); `14/4` is text in en_US.
    """
    rules = locale_rules(locale)
    if not isinstance(value, str):
        return cell_from_raw(value)
    text = value.strip()
    if value == "":
        return {}
    if value.startswith("'"):
        return {"userEnteredValue": {"stringValue": value[1:]}}
    if text.startswith("="):
        return {"userEnteredValue": {"formulaValue": text}}
    if text.startswith("+") and len(text) > 1:
        return {"userEnteredValue": {"formulaValue": "=" + text}}
    if text.upper() in ("TRUE", "FALSE"):
        return {"userEnteredValue": {"boolValue": text.upper() == "TRUE"}}
    if number := _parse_number(text, rules):
        cell = {"userEnteredValue": {"numberValue": number[0]}}
        if number[1]:
            cell["userEnteredFormat"] = {"numberFormat": number[1]}
        return cell
    if date := _parse_date_time(text, rules, (today or dt.date.today()).year):
        return {
            "userEnteredValue": {"numberValue": date[0]},
            "userEnteredFormat": {"numberFormat": date[1]},
        }
    return {"userEnteredValue": {"stringValue": value}}


def effective_value(cell: dict, lookup: Lookup) -> dict | None:
    "What a cell shows as a typed value: formulas evaluated, errors as errorValue."
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    if "formulaValue" not in entered:
        return entered
    try:
        result = evaluate(entered["formulaValue"], lookup)
    except FormulaError as error:
        return {"errorValue": {"type": error.kind, "message": error.message}}
    if isinstance(result, bool):
        return {"boolValue": result}
    if isinstance(result, (int, float)):
        return {"numberValue": result}
    return {"stringValue": str(result)}


def _plain_number(number: float):
    "JSON numbers as Google writes them: 2 not 2.0."
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def format_general(number: float) -> str:
    "Google's automatic number format: up to 10 significant digits, E notation when huge."
    number = _plain_number(number)
    if isinstance(number, int) and abs(number) < 10**15:
        return str(number)
    text = f"{number:.10g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{int(exponent):+03d}"
    return text


def format_date(serial: float, pattern: str) -> str:
    "Render a serial with a Google date/time pattern (`yyyy-mm-dd`, `M/d/yyyy`, `H:mm:ss`)."
    moment = EPOCH + dt.timedelta(days=serial)
    moment = moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))
    tokens = list(_PATTERN_TOKEN.finditer(pattern))
    out, last = [], 0
    twelve_hour = any(t.group().lower() == "am/pm" for t in tokens)
    for i, token in enumerate(tokens):
        out.append(pattern[last : token.start()])
        last = token.end()
        word = token.group()
        lower = word.lower()
        previous = tokens[i - 1].group().lower() if i else ""
        following = tokens[i + 1].group().lower() if i + 1 < len(tokens) else ""
        minute = lower in ("m", "mm") and (previous in ("h", "hh") or following in ("s", "ss"))
        hour = moment.hour % 12 or 12 if twelve_hour else moment.hour
        out.append(
            {
                "yyyy": f"{moment.year:04d}",
                "yy": f"{moment.year % 100:02d}",
                "mmmm": moment.strftime("%B"),
                "mmm": moment.strftime("%b"),
                "mm": f"{moment.minute:02d}" if minute else f"{moment.month:02d}",
                "m": f"{moment.minute}" if minute else f"{moment.month}",
                "dddd": moment.strftime("%A"),
                "ddd": moment.strftime("%a"),
                "dd": f"{moment.day:02d}",
                "d": f"{moment.day}",
                "hh": f"{hour:02d}",
                "h": f"{hour}",
                "ss": f"{moment.second:02d}",
                "s": f"{moment.second}",
                "am/pm": "AM" if moment.hour < 12 else "PM",
            }[lower]
        )
    out.append(pattern[last:])
    return "".join(out)


def _format_with_pattern(number: float, pattern: str) -> str:
    percent = "%" in pattern
    value = number * 100 if percent else number
    decimals = len(re.sub(r"[^0#]", "", pattern.split(".", 1)[1])) if "." in pattern else 0
    grouped = "," in pattern
    body = f"{abs(value):{',' if grouped else ''}.{decimals}f}"
    prefix = re.sub(r'[0#,.%"]', "", pattern.split("0", 1)[0].split("#", 1)[0])
    return ("-" if value < 0 else "") + prefix + body + ("%" if percent else "")


def format_number(number: float, number_format: dict | None) -> str:
    kind = (number_format or {}).get("type")
    pattern = (number_format or {}).get("pattern")
    if kind in DATE_TYPES:
        return format_date(number, pattern or {"DATE": "M/d/yyyy", "TIME": "h:mm:ss am/pm"}.get(kind, "M/d/yyyy H:mm:ss"))
    if kind in ("NUMBER", "PERCENT", "CURRENCY", "SCIENTIFIC") and pattern:
        try:
            return _format_with_pattern(number, pattern)
        except (ValueError, IndexError):
            return format_general(number)
    if kind == "PERCENT":
        return _format_with_pattern(number, "0.00%")
    return format_general(number)


def formatted_value(effective: dict | None, number_format: dict | None) -> str | None:
    if effective is None:
        return None
    if "stringValue" in effective:
        return effective["stringValue"]
    if "boolValue" in effective:
        return "TRUE" if effective["boolValue"] else "FALSE"
    if "numberValue" in effective:
        return format_number(effective["numberValue"], number_format)
    if "errorValue" in effective:
        return ERROR_TEXT.get(effective["errorValue"].get("type"), "#ERROR!")
    return None


_DATE_FORMULA = re.compile(r"^=\s*TODAY\s*\(\s*\)\s*$", re.IGNORECASE)


def number_format_of(cell: dict) -> dict | None:
    "The cell's number format; `=TODAY()` without one shows as a date (Google's automatic format)."
    number_format = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    formula = (cell.get("userEnteredValue") or {}).get("formulaValue")
    if number_format is None and formula and _DATE_FORMULA.match(formula):
        return {"type": "DATE", "pattern": "M/d/yyyy"}
    return number_format


def render(cell: dict | None, value_render: str, datetime_render: str, lookup: Lookup):
    """A cell as `values.get` returns it; None for an empty cell."""
    if not cell or not cell.get("userEnteredValue"):
        return None
    entered = cell["userEnteredValue"]
    if value_render == "FORMULA" and "formulaValue" in entered:
        return entered["formulaValue"]
    effective = effective_value(cell, lookup)
    number_format = number_format_of(cell)
    if value_render == "FORMATTED_VALUE":
        return formatted_value(effective, number_format)
    if "numberValue" in effective:
        number = effective["numberValue"]
        is_date = (number_format or {}).get("type") in DATE_TYPES
        if is_date and datetime_render == "FORMATTED_STRING":
            return format_number(number, number_format)
        if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
            return format_general(number)
        return _plain_number(number)
    if "boolValue" in effective:
        return effective["boolValue"]
    return formatted_value(effective, number_format)
