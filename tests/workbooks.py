"""Helpers for building test workbooks (imported by tests as `from workbooks import ...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import openpyxl


def write_rows(path: Path, tab: str, rows: Iterable[Mapping[str, object]], header_row: int = 1) -> None:
    """Append rows under the header of `tab` by header name (test data, written as typed)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[tab]
    headers = [c.value for c in ws[header_row]]
    next_row = ws.max_row + 1
    for row in rows:
        for key, value in row.items():
            if key not in headers:
                headers.append(key)
                ws.cell(row=header_row, column=len(headers)).value = key
            cell = ws.cell(row=next_row, column=headers.index(key) + 1)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
        next_row += 1
    wb.save(path)


def book(path: Path, tabs: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """A workbook with these tabs and rows, cells as given (a value .xlsx cannot hold is left out)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in tabs.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                try:
                    ws.cell(row=r, column=c).value = value
                except Exception:  # openpyxl refuses it: not part of the fixture
                    pass
        for merged in (merges or {}).get(title, ()):
            ws.merge_cells(merged)
    wb.save(path)
    return path


def lead_rows(path: Path, tab: str = "Leads", header_row: int = 1) -> dict[str, int]:
    """Each lead's ID -> its sheet row (the key column is the first one)."""
    ws = openpyxl.load_workbook(path)[tab]
    return {str(row[0].value): row[0].row for row in ws.iter_rows(min_row=header_row + 1) if row[0].value}
