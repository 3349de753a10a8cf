"""The one interface both backends implement; domain code never knows which it talks to."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Sequence

from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook
from chas_sheets.sheet.writeplan import Formula, RunInfo, WritePlan


@dataclass
class ApplyResult:
    """What a write did: the resolved plan (applied items, skipped warnings) and requests made."""

    plan: WritePlan
    written: bool
    notes: list[str] = field(default_factory=list)
    # Local files: the SHA-256 of the bytes the write was verified against and of the bytes it
    # left, so a caller that knew the first can know the file it wrote without reading it again.
    digests: tuple[str, str] | None = None

    @property
    def skipped(self) -> list[str]:
        return self.plan.skipped

    @property
    def applied(self) -> list:
        return self.plan.applied


def wanted_titles(titles: Sequence[str], tabs: Sequence[str] | None) -> list[str]:
    """The titles of the tabs named (contract names match their aliases); all when None."""
    if tabs is None:
        return list(titles)
    wanted = []
    for name in tabs:
        title = contract().find_tab_title(name, titles) if name in contract().tabs else (name if name in titles else None)
        if title is not None:
            wanted.append(title)
    return wanted


def formula_text(formula: Formula, row: int, col: int) -> str:
    """A restored formula's text for the cell at (1-based `row`, 0-based `col`): its relative
    references moved by as much as the formula moved from where it was logged (as a copied row's
    do), so a person's `=LEN(B5)` on row 5 reads `=LEN(B12)` when the row comes back on row 12."""
    text = str(formula)
    if formula.origin is None or formula.origin == (row, col):
        return text
    from openpyxl.formula.translate import Translator
    from openpyxl.utils import get_column_letter

    origin_row, origin_col = formula.origin
    try:
        return Translator(text, origin=f"{get_column_letter(origin_col + 1)}{origin_row}").translate_formula(
            f"{get_column_letter(col + 1)}{row}")
    except Exception:  # noqa: BLE001 — a formula the translator cannot parse is kept as it was
        return text


class Backend(abc.ABC):
    """A spreadsheet: read tabs in one go, apply a change set in one go."""

    target: str

    @property
    def display_name(self) -> str:
        return self.target

    @property
    def title(self) -> str:
        """A human name for the spreadsheet (a file's name, a Google spreadsheet's title, as of
        the last read), for text people read, such as `Källa`."""
        return self.display_name

    @abc.abstractmethod
    def exists(self) -> bool: ...

    @abc.abstractmethod
    def read(self, tabs: Sequence[str] | None = None) -> RawWorkbook:
        """Titles of every tab, and the grids of the contract tabs named (all when None)."""

    @abc.abstractmethod
    def apply(self, changes: ChangeSet, run: RunInfo) -> ApplyResult:
        """Re-read what is touched, resolve (compare-and-set), write once, log every change."""

    @abc.abstractmethod
    def create(self, kind: str) -> None:
        """Create the spreadsheet from the template of `kind` (group, student, register)."""

    def sole_editor(self) -> str | None:
        """The one person, besides the account this tool acts as, who can edit the spreadsheet
        (so anything new in it was typed by them or by the tool), if the spreadsheet's host can
        tell; None when several can, or it cannot tell (a file on disk says nothing of who typed)."""
        return None

    def resolve_relative(self, reference: str) -> str:
        """A CRM reference found inside this spreadsheet (path or URL), made absolute."""
        return reference
