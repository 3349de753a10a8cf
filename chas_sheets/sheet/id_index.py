"""A compact index of the row IDs Ändringslogg names, so a run that hands out new IDs can
check them without reading the whole log (pure: no I/O; the Google backend keeps it).

What it is: a cache of `tables.logged_row_ids` of the log as it was after the write that
made it, plus where that write's last log row went (`row`, 1-based) and a mark of that row's
text (`last`). A later verify read takes the log's header and its last rows anyway; the
index is used only when the row it names is among them and still carries the same mark.
Then every row after it is in the read too, so what the log names is the index plus the
IDs of the rows read. A person who deletes, inserts or sorts log rows moves the marked row,
and a person who types under it is read: either way the index is not trusted blindly (the
caller reads the whole log once and writes a new index). What it cannot see: an ID typed by
hand into an old log row above the rows read; the next whole read of the log takes it in.

Exact, not a Bloom filter: the tool's IDs (`L-7KQ2M9`: a prefix and six letters of a
32-letter alphabet, 30 bits) are kept per prefix as sorted numbers whose gaps are
Golomb-Rice coded (about log2(2^30 / n) + 1.6 bits an ID), base64 text; any other Rad-ID
(a company key, an ID a person typed) verbatim. Google keeps at most 30,000 characters of
developer metadata per spreadsheet (shared with the lock and the scratch records), so an
index longer than MAX_CHARS is not kept: runs then read the whole log, as without one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chas_sheets.sheet.values import as_text, is_blank

VERSION = 1
MAX_CHARS = 24_000  # of Google's 30,000 per spreadsheet; the rest for the lock and scratch records
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # tables.new_id_factory's
_DIGIT = {c: i for i, c in enumerate(ALPHABET)}
_TOOL_ID = re.compile(r"^([A-Z]{1,3})-([2-9A-HJ-NP-Z]{6})$")
MARKED = ("Körning", "Flik", "Rad-ID", "Kolumn")  # text the tool writes itself: reads back as written


@dataclass(frozen=True)
class IdIndex:
    ids: frozenset[str]
    row: int  # the 1-based sheet row of the last log row it covers (the header's: an empty log)
    last: str  # row_mark of that row


def row_mark(cells: Sequence[Any], positions: Mapping[str, int]) -> str:
    """A short mark of one log row's text (of the columns the tool writes as plain text)."""
    texts = [as_text(cells[p]) if (p := positions.get(h)) is not None and p < len(cells) else "" for h in MARKED]
    return hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()[:16]


def logged_with(index: IdIndex | None, grid: Sequence[Sequence[Any]], positions: Mapping[str, int],
                header_row: int, first_read: int) -> set[str] | None:
    """The IDs the log names, from `index` and the rows read (`grid`: the log's header rows
    and its rows from `first_read` on, as a ranged read leaves them); None when the index
    cannot vouch for the rows not read (missing, its row not read or changed)."""
    if index is None or not (index.row == header_row or index.row >= first_read) or index.row > len(grid):
        return None
    if first_read > header_row + 1 and index.row == header_row:
        return None  # rows between the header and the tail were not read
    if row_mark(grid[index.row - 1], positions) != index.last:
        return None
    return set(index.ids) | rad_ids(grid[max(first_read, header_row + 1) - 1:], positions)


def rad_ids(rows: Iterable[Sequence[Any]], positions: Mapping[str, int]) -> set[str]:
    column = positions.get("Rad-ID")
    if column is None:
        return set()
    return {as_text(r[column]) for r in rows if column < len(r) and not is_blank(r[column])}


# The text kept ------------------------------------------------------------------------------
def encode(index: IdIndex) -> str | None:
    """The index as metadata text, None when longer than MAX_CHARS (then none is kept)."""
    groups: dict[str, list[int]] = {}
    other: list[str] = []
    for item in index.ids:
        match = _TOOL_ID.match(item)
        if match:
            groups.setdefault(match.group(1), []).append(_number(match.group(2)))
        else:
            other.append(item)
    coded = {prefix: _rice(sorted(numbers)) for prefix, numbers in sorted(groups.items())}
    text = json.dumps({"v": VERSION, "row": index.row, "last": index.last, "ids": coded, "other": sorted(other)},
                      ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_CHARS else None


def decode(text: str | None) -> IdIndex | None:
    """The index kept in `text`; None when there is none or it is not readable (a run then
    reads the whole log and writes a new one)."""
    try:
        data = json.loads(text or "")
        if data.get("v") != VERSION:
            return None
        ids = {f"{prefix}-{_letters(n)}" for prefix, coded in data["ids"].items() for n in _unrice(*coded)}
        ids |= {str(item) for item in data["other"]}
        return IdIndex(frozenset(ids), int(data["row"]), str(data["last"]))
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def _number(letters: str) -> int:
    value = 0
    for c in letters:
        value = value * 32 + _DIGIT[c]
    return value


def _letters(number: int) -> str:
    return "".join(ALPHABET[(number >> (5 * shift)) & 31] for shift in range(5, -1, -1))


def _rice(numbers: list[int]) -> list:
    """[count, k, base64 bits]: the gaps between sorted distinct numbers, each as its quotient
    by 2^k in unary and its remainder in k bits."""
    gaps = [n - (numbers[i - 1] + 1 if i else 0) for i, n in enumerate(numbers)]
    mean = sum(gaps) // len(gaps) if gaps else 0
    k = max(0, mean.bit_length() - 1)
    bits: list[str] = []
    for gap in gaps:
        bits.append("1" * (gap >> k) + "0")
        if k:
            bits.append(format(gap & ((1 << k) - 1), f"0{k}b"))
    joined = "".join(bits)
    joined += "0" * (-len(joined) % 8)
    data = int(joined, 2).to_bytes(len(joined) // 8, "big") if joined else b""
    return [len(numbers), k, base64.b64encode(data).decode("ascii")]


def _unrice(count: int, k: int, coded: str) -> list[int]:
    data = base64.b64decode(coded, validate=True)
    bits = "".join(format(b, "08b") for b in data)
    numbers: list[int] = []
    at = previous = 0
    for i in range(count):
        end = bits.index("0", at)
        quotient, at = end - at, end + 1
        if at + k > len(bits):
            raise ValueError("index bits cut short")
        remainder = int(bits[at:at + k], 2) if k else 0
        at += k
        value = (quotient << k | remainder) + (previous + 1 if i else 0)
        numbers.append(value)
        previous = value
    if len(numbers) != count or any(n >= 1 << 30 for n in numbers):
        raise ValueError("index numbers out of range")
    return numbers
