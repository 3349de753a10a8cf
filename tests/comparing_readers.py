"""Comparing python-calamine's read of a local workbook (backends.local_read) with openpyxl's
(imported by tests as `from comparing_readers import ...`; conftest runs it on every read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chas_sheets.backends.local_read import read_values
from chas_sheets.sheet.tables import RawWorkbook

COUNTS = {"compared": 0, "openpyxl only": 0}


def trimmed(grid: list[list[Any]]) -> list[list[Any]]:
    """A grid without its trailing empty cells and rows ('' and None alike: both are an empty
    cell to every reader of a grid). openpyxl sizes a grid by the sheet's stored dimension,
    calamine by the cells that hold something."""
    rows = [[None if value == "" else value for value in row] for row in grid]
    rows = [row[:max((i + 1 for i, v in enumerate(row) if v is not None), default=0)] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def differences(expected: RawWorkbook, got: RawWorkbook) -> list[str]:
    """Where two reads differ: titles, tabs read, cells (value and type)."""
    found = []
    if expected.titles != got.titles:
        found.append(f"titles {expected.titles} != {got.titles}")
    if set(expected.grids) != set(got.grids):
        found.append(f"tabs read {sorted(expected.grids)} != {sorted(got.grids)}")
    for title in set(expected.grids) & set(got.grids):
        a, b = trimmed(expected.grids[title]), trimmed(got.grids[title])
        if len(a) != len(b):
            found.append(f"{title}: {len(a)} rows != {len(b)} rows")
        for r, (row_a, row_b) in enumerate(zip(a, b), start=1):
            for c in range(max(len(row_a), len(row_b))):
                x = row_a[c] if c < len(row_a) else None
                y = row_b[c] if c < len(row_b) else None
                if x != y or type(x) is not type(y):
                    found.append(f"{title}!R{r}C{c + 1}: openpyxl {x!r} != calamine {y!r}")
    return found


def compare_reads(path: Path, tabs, openpyxl_read: RawWorkbook) -> None:
    """Fail (AssertionError) when calamine's read of `path` is not openpyxl's."""
    got = read_values(Path(path), tabs, openpyxl_read.source)
    if got is None:
        COUNTS["openpyxl only"] += 1
        return
    COUNTS["compared"] += 1
    found = differences(openpyxl_read, got)
    assert not found, f"{path}: python-calamine's read differs from openpyxl's: " + "; ".join(found[:10])
