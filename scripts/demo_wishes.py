"""Mark the members' wishes in a demo group's `Skörd` tab, as they would by hand.

    python scripts/demo_wishes.py demo/grupper/stockholm-1.xlsx

For trying `harvest` on the demo workspace: run `harvest --prepare --apply` first, then this,
then the split. Each member but the last marks five or six companies (their first three
ranked 1, 2, 3, the rest `x`); the last marks nothing, as someone always does. Popular
companies (the first rows) are wanted by more than three, so lots are drawn. The same
workbook always gets the same marks. Only blank cells are written: marks already made stay.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import openpyxl

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.harvest.prepare import member_names
from chas_sheets.runner import read_tables
from chas_sheets.text import fold

WISHES_EACH = (5, 6)
POPULAR = 5  # the first rows get a head start, so some are contested


def draw(member: str, company: str) -> float:
    """A stable number in [0, 1) for this member and company."""
    digest = hashlib.sha256(f"{member}|{company}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def choose(member: str, companies: list[str]) -> list[str]:
    """The member's wishes, most wanted first."""
    score = {c: draw(member, c) + (0.6 if i < POPULAR else 0) for i, c in enumerate(companies)}
    count = WISHES_EACH[int(draw(member, "count") * len(WISHES_EACH))]
    return sorted(companies, key=lambda c: -score[c])[:count]


def skord_layout(sheet) -> tuple[dict[str, int], dict[str, int]]:
    """Column per header, and row per company, of the Skörd tab (both empty if it has none)."""
    header_row = next((r for r in range(1, min(sheet.max_row, 5) + 1)
                       if any(fold(str(c.value or "")) == "foretag" for c in sheet[r])), None)
    if header_row is None:
        return {}, {}
    columns = {str(c.value).strip(): c.column for c in sheet[header_row] if c.value}
    company_column = next(col for name, col in columns.items() if fold(name) == "foretag")
    rows = {sheet.cell(r, company_column).value: r for r in range(header_row + 1, sheet.max_row + 1)
            if sheet.cell(r, company_column).value}
    return columns, rows


def main(path: Path) -> int:
    members = member_names(read_tables(LocalWorkbook(path), ["Medlemmar"], ["Skörd"]))
    book = openpyxl.load_workbook(path)
    sheet = book["Skörd"] if "Skörd" in book.sheetnames else None
    columns, rows = skord_layout(sheet) if sheet is not None else ({}, {})
    if not rows:
        print(f"{path}: no companies in Skörd yet: run "
              f"`chas-sheets harvest {path} --prepare --apply` first", file=sys.stderr)
        return 1
    companies = list(rows)
    marked = 0
    for member in members[:-1]:
        if member not in columns:
            continue
        for rank, company in enumerate(choose(member, companies), start=1):
            cell = sheet.cell(rows[company], columns[member])
            if cell.value in (None, ""):
                cell.value = str(rank) if rank <= 3 else "x"
                marked += 1
    book.save(path)
    print(f"{path}: {marked} wishes marked for {len(members) - 1} of {len(members)} members")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
