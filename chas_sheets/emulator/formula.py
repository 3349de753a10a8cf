"""A small formula evaluator for what people put in CRMs: arithmetic, `&`, comparisons, cell
references and ranges, and TODAY, IF, COUNTA, VLOOKUP, HYPERLINK, CONCATENATE, SUM, MIN, MAX.

It is not a spreadsheet engine: a function it does not know is Google's `#NAME?` and text it
cannot parse `#ERROR!`, so a client sees that a formula was stored, never a wrong value.
References to other sheets are not evaluated (`#REF!`, saying so).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

EPOCH = dt.date(1899, 12, 30)


class FormulaError(Exception):
    "A formula this evaluator cannot compute, or Google's error value for it."

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Ref:
    "A cell or rectangle of the formula's own sheet, 0-based and end exclusive."

    row: int
    col: int
    end_row: int
    end_col: int


Lookup = Callable[[Ref], list]
WHOLE = 10**7  # the open end of A:A or 2:2, past any grid (the lookup stops at the grid's edge)  # rows of cell values (None for an empty cell)

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<lines>\$?\d+:\$?\d+)
  | (?P<columns>\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![A-Za-z0-9_(]))
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<ref>(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?
           |\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![A-Za-z0-9_(]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><>|<=|>=|[-+*/^&=<>(),;%])
""", re.VERBOSE)
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise FormulaError("ERROR", "Formula parse error.")
        i = m.end()
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group()))
    return out


def _column(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _ref(text: str) -> Ref:
    if "!" in text:
        raise FormulaError("REF", "The emulator does not evaluate references to other sheets.")
    corners = [_CELL.fullmatch(part) for part in text.split(":")]
    rows = [int(m.group(2)) - 1 for m in corners]
    cols = [_column(m.group(1)) for m in corners]
    return Ref(min(rows), min(cols), max(rows) + 1, max(cols) + 1)


class _Parser:
    """Precedence, lowest first: comparison, `&`, + -, * /, ^, unary sign, %."""

    def __init__(self, tokens, lookup: Lookup, today: dt.date):
        self.tokens, self.i, self.lookup, self.today = tokens, 0, lookup, today

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens) or (expected and self.tokens[self.i][1] != expected):
            raise FormulaError("ERROR", "Formula parse error.")
        self.i += 1
        return self.tokens[self.i - 1]

    def parse(self):
        value = self.comparison()
        if self.i != len(self.tokens):
            raise FormulaError("ERROR", "Formula parse error.")
        return value

    def comparison(self):
        left = self.concat()
        while self.peek() in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            left = _compare(op, _scalar(left), _scalar(self.concat()))
        return left

    def concat(self):
        left = self.additive()
        while self.peek() == "&":
            self.take()
            left = _text(_scalar(left)) + _text(_scalar(self.additive()))
        return left

    def additive(self):
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            a, b = _number(_scalar(left)), _number(_scalar(self.term()))
            left = a + b if op == "+" else a - b
        return left

    def term(self):
        left = self.power()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            a, b = _number(_scalar(left)), _number(_scalar(self.power()))
            if op == "/" and b == 0:
                raise FormulaError("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.")
            left = a * b if op == "*" else a / b
        return left

    def power(self):
        left = self.unary()
        while self.peek() == "^":
            self.take()
            left = _number(_scalar(left)) ** _number(_scalar(self.unary()))
        return left

    def unary(self):
        if self.peek() in ("+", "-"):
            op = self.take()[1]
            value = _number(_scalar(self.unary()))
            return -value if op == "-" else value
        value = self.primary()
        while self.peek() == "%":
            self.take()
            value = _number(_scalar(value)) / 100
        return value

    def primary(self):
        kind, text = self.take()
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if kind == "string":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            return _Range(self.lookup(_ref(text)))
        if kind in ("lines", "columns"):  # whole rows (2:3) or columns (A:B), cut to the grid by the lookup
            low, high = sorted(_column(p.strip("$")) if kind == "columns" else int(p.strip("$")) - 1
                               for p in text.split(":"))
            ref = Ref(0, low, WHOLE, high + 1) if kind == "columns" else Ref(low, 0, high + 1, WHOLE)
            return _Range(self.lookup(ref))
        if kind == "name" and self.peek() == "(":
            return self.call(text.upper())
        if kind == "name" and text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        if kind == "name":
            raise FormulaError("NAME", f"Unknown range name: '{text}'.")
        if text == "(":
            value = self.comparison()
            self.take(")")
            return value
        raise FormulaError("ERROR", "Formula parse error.")

    def call(self, name: str):
        self.take("(")
        args = []
        if self.peek() != ")":
            while True:
                args.append(self.comparison())
                if self.peek() in (",", ";"):
                    self.take()
                    continue
                break
        self.take(")")
        function = _FUNCTIONS.get(name)
        if function is None:
            raise FormulaError("NAME", f"Unknown function: '{name.lower()}'.")
        return function(self, args)


class _Range(list):
    "Rows of values of a reference; one cell acts as its value."


def _scalar(value):
    if isinstance(value, _Range):
        if len(value) == 1 and len(value[0]) == 1:
            value = value[0][0]
        else:
            raise FormulaError("VALUE", "An array value could not be found.")
    if isinstance(value, FormulaError):
        raise value
    return value


def _number(value) -> float:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value.replace(",", "")) if value.strip() else 0
    except ValueError:
        raise FormulaError("VALUE", f"Function expects number values. But '{value}' is a text and cannot be "
                                    "coerced to a number.") from None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(op: str, a, b) -> bool:
    # Google compares text case-insensitively; an empty cell equals 0, "" and FALSE.
    if a is None:
        a = "" if isinstance(b, str) else (False if isinstance(b, bool) else 0)
    if b is None:
        b = "" if isinstance(a, str) else (False if isinstance(a, bool) else 0)
    rank = {bool: 2, str: 1}
    ra, rb = rank.get(type(a), 0), rank.get(type(b), 0)
    if ra != rb:
        key_a, key_b = ra, rb
    elif isinstance(a, str):
        key_a, key_b = a.casefold(), b.casefold()
    else:
        key_a, key_b = a, b
    return {"=": key_a == key_b, "<>": key_a != key_b, "<": key_a < key_b, ">": key_a > key_b,
            "<=": key_a <= key_b, ">=": key_a >= key_b}[op]


def _flat(args):
    for arg in args:
        if isinstance(arg, _Range):
            for row in arg:
                yield from row
        else:
            yield arg


def _arity(name: str, args, low: int, high: int) -> None:
    if not low <= len(args) <= high:
        raise FormulaError("N_A", f"Wrong number of arguments to {name}. Expected between {low} and {high} "
                                  f"arguments, but got {len(args)} arguments.")


def _today(p: _Parser, args):
    _arity("TODAY", args, 0, 0)
    return DateSerial((p.today - EPOCH).days)


def _if(p: _Parser, args):
    _arity("IF", args, 2, 3)
    condition = _scalar(args[0])
    truthy = bool(_number(condition)) if not isinstance(condition, str) else _text_truth(condition)
    return _scalar(args[1]) if truthy else (_scalar(args[2]) if len(args) == 3 else False)


def _text_truth(text: str) -> bool:
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    raise FormulaError("VALUE", f"Function IF parameter 1 expects boolean values. But '{text}' is a text and "
                                "cannot be coerced to a boolean.")


def _counta(p: _Parser, args):
    return sum(1 for v in _flat(args) if v is not None)


def _vlookup(p: _Parser, args):
    _arity("VLOOKUP", args, 3, 4)
    key, table, index = _scalar(args[0]), args[1], int(_number(_scalar(args[2])))
    if not isinstance(table, _Range):
        raise FormulaError("N_A", "VLOOKUP evaluates to an out of bounds range.")
    if index < 1 or index > max((len(r) for r in table), default=0):
        raise FormulaError("REF" if index >= 1 else "VALUE",
                           "VLOOKUP evaluates to an out of bounds range." if index >= 1 else
                           f"Function VLOOKUP parameter 3 value is {index}. It should be greater than or equal to 1.")
    is_sorted = bool(_number(_scalar(args[3]))) if len(args) == 4 else True
    found = None
    for row in table:
        first = row[0] if row else None
        if first is None:
            continue
        if _compare("=", first, key):
            found = row
            break
        if is_sorted and _compare("<", first, key):
            found = row
        elif is_sorted:
            break
    if found is None:
        raise FormulaError("N_A", f"Did not find value '{_text(key)}' in VLOOKUP evaluation.")
    return found[index - 1] if index - 1 < len(found) else None


def _hyperlink(p: _Parser, args):
    _arity("HYPERLINK", args, 1, 2)
    return _scalar(args[-1])


def _concatenate(p: _Parser, args):
    return "".join(_text(v) for v in _flat(args))


def _aggregate(function):
    def apply(p: _Parser, args):
        numbers = [v for v in _flat(args) if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return function(numbers) if numbers else 0
    return apply


_FUNCTIONS = {
    "TODAY": _today, "IF": _if, "COUNTA": _counta, "VLOOKUP": _vlookup, "HYPERLINK": _hyperlink,
    "CONCATENATE": _concatenate, "SUM": _aggregate(sum), "MAX": _aggregate(max), "MIN": _aggregate(min),
}


class DateSerial(int):
    "A day number that Google shows as a date (TODAY's automatic format)."


def evaluate(formula: str, lookup: Lookup, today: dt.date | None = None) -> object:
    """`=...` -> a number, text or boolean; raises FormulaError with Google's error kind."""
    text = formula[1:].strip() if formula.startswith("=") else formula.strip()
    if not text:
        raise FormulaError("ERROR", "Formula parse error.")
    parser = _Parser(_tokens(text), lookup, today or dt.datetime.now(dt.timezone.utc).date())
    value = _scalar(parser.parse())
    return 0 if value is None else value


ERROR_TEXT = {
    "ERROR": "#ERROR!",
    "NAME": "#NAME?",
    "VALUE": "#VALUE!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "REF": "#REF!",
    "N_A": "#N/A",
}


# --- references moved by inserted or deleted rows and columns ---------------------------------

_SHEET_PREFIX = re.compile(r"^(?P<sheet>'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!")
_CELL_PARTS = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)(\d+)$")
REF_ERROR = "#REF!"


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _moved(i: int, start: int, end: int, inserted: bool) -> int | None:
    """A 0-based index after [start, end) is inserted or deleted; None when deleted."""
    if inserted:
        return i + (end - start) if i >= start else i
    if start <= i < end:
        return None
    return i - (end - start) if i >= end else i


def _moved_span(lo: int, hi: int, start: int, end: int, inserted: bool) -> tuple[int, int] | None:
    """An inclusive 0-based span after the change: each end moves on its own (a span grows when
    rows are inserted below its first row and up to its last, shrinks by the deleted rows inside
    it); None when all of it is deleted."""
    if inserted:
        return _moved(lo, start, end, True), _moved(hi, start, end, True)  # type: ignore[return-value]
    if lo >= start and hi < end:
        return None
    n = end - start
    new_lo = lo if lo < start else (start if lo < end else lo - n)
    new_hi = hi if hi < start else (start - 1 if hi < end else hi - n)
    return (new_lo, new_hi) if new_lo <= new_hi else None


def shift_references(formula: str, host: str, title: str, rows: bool, start: int, end: int, inserted: bool) -> str:
    """A formula ('=...') in tab `host` with its references to tab `title` moved as Google moves
    them when [start, end) rows (`rows`) or columns of `title` are inserted or deleted: a
    reference at or past the change moves, a range over it grows or shrinks, a reference to a
    deleted cell becomes #REF!. Text that does not tokenize is left as it is."""
    if not formula.startswith("="):
        return formula
    out, i, text = [], 1, formula
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            return formula
        token, kind = m.group(), m.lastgroup
        i = m.end()
        if kind in ("ref", "lines", "columns"):
            token = _shift_token(token, kind, host, title, rows, start, end, inserted)
        out.append(token)
    return "=" + "".join(out)


def _sheet_of(token: str) -> tuple[str | None, str]:
    m = _SHEET_PREFIX.match(token)
    if not m:
        return None, token
    name = m.group("sheet")
    return (name[1:-1].replace("''", "'") if name.startswith("'") else name), token[m.end():]


def _shift_token(token: str, kind: str, host: str, title: str, rows: bool, start: int, end: int,
                 inserted: bool) -> str:
    sheet, ref = _sheet_of(token)
    if (sheet if sheet is not None else host).casefold() != title.casefold():  # titles match case-insensitively
        return token
    prefix = token[: len(token) - len(ref)]
    if kind == "lines" or kind == "columns":
        if (kind == "lines") != rows:
            return token
        ends = ref.split(":")
        dollars = ["$" if e.startswith("$") else "" for e in ends]
        values = [int(e.lstrip("$")) - 1 if rows else _column(e.lstrip("$")) for e in ends]
        span = _moved_span(min(values), max(values), start, end, inserted)
        if span is None:
            return REF_ERROR
        shown = [str(v + 1) if rows else _letters(v) for v in span]
        return f"{prefix}{dollars[0]}{shown[0]}:{dollars[1]}{shown[1]}"
    parts = [_CELL_PARTS.match(p) for p in ref.split(":")]
    if not all(parts):
        return token
    axis = [int(p.group(4)) - 1 if rows else _column(p.group(2)) for p in parts]  # type: ignore[union-attr]

    def written(p, value: int) -> str:
        if rows:
            return f"{p.group(1)}{p.group(2)}{p.group(3)}{value + 1}"
        return f"{p.group(1)}{_letters(value)}{p.group(3)}{p.group(4)}"

    if len(parts) == 1:
        moved = _moved(axis[0], start, end, inserted)
        return REF_ERROR if moved is None else prefix + written(parts[0], moved)
    span = _moved_span(min(axis), max(axis), start, end, inserted)
    if span is None:
        return REF_ERROR
    new = (span[0], span[1]) if axis[0] <= axis[1] else (span[1], span[0])
    return f"{prefix}{written(parts[0], new[0])}:{written(parts[1], new[1])}"
