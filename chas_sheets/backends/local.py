"""The local backend: an .xlsx workbook.

Reads every needed tab in one load; applies a change set under a lock file, re-reading the
workbook first (compare-and-set), and saves atomically (temporary file in the same folder,
then rename), so a crash never leaves a half-written workbook. The file-level safety (open in
Excel or LibreOffice, read-only, a person saving meanwhile, symlinks) is local_file's; what an
openpyxl save would drop is found by xlsx_parts and refused. Everything openpyxl does is in
local_xlsx, imported only when it is needed: a read-only command reads through local_read
(python-calamine) and never pays for importing openpyxl.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from xml.etree import ElementTree

from chas_sheets.backends.base import ApplyResult, Backend, wanted_titles
from chas_sheets.backends.local_file import Snapshot, WorkbookFile, save_new
from chas_sheets.backends.references import unsupported_file
from chas_sheets.backends.xlsx_parts import (
    describe,
    describe_extensions,
    drawings_by_sheet,
    extensions_by_sheet,
    has_macros,
    macro_signature,
    note_cells_by_sheet,
)
from chas_sheets.errors import (
    CorruptSpreadsheet,
    SpreadsheetChanged,
    SpreadsheetLocked,
    SpreadsheetNotFound,
    UnsafeWrite,
)
from chas_sheets.i18n import _
from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.tables import RawWorkbook
from chas_sheets.sheet.writeplan import RunInfo, resolve

if TYPE_CHECKING:  # imported by a write only (filelock brings asyncio: ~0.02 s a read-only run need not pay)
    import filelock

LOCK_TIMEOUT_SECONDS = 30
# openpyxl warns, on every load, that it drops a sheet's Excel 2010+ extensions or a note inside a
# merged range: a write is refused over them (in one line, naming them), so the warnings are noise.
warnings.filterwarnings("ignore", message=r".* extension is not supported and will be removed", category=UserWarning)
warnings.filterwarnings("ignore", message=r".* is part of a merged range but has a comment", category=UserWarning)
WRITE_ATTEMPTS = 2  # a person saving during a run: re-read and re-plan once, then give up


def _shown(path: Path, most: int = 120) -> str:
    """A path fit for a one-line message: a pasted name of hundreds of characters is cut."""
    text = str(path)
    return text if len(text) <= most else text[: most - 1] + "…"


class LocalWorkbook(Backend):
    def __init__(self, path: str | os.PathLike, *, reading_only: bool = False):
        self.path = Path(path)
        self.target = str(path)
        # A command that only reads (check) reads through python-calamine when it gives exactly
        # what openpyxl would (local_read), and never imports openpyxl then; such a backend
        # never writes: a plan's read and its write's re-read come from one reader.
        self.reading_only = reading_only

    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def title(self) -> str:
        return self.path.stem

    def resolve_relative(self, reference: str) -> str:
        from chas_sheets.backends.references import is_google_reference

        if is_google_reference(reference):
            return reference
        ref = Path(reference).expanduser()
        return str(ref if ref.is_absolute() else self.path.parent / ref)

    def _status(self) -> os.stat_result | None:
        """The file's stat, None if there is none; a name the system cannot even look up (too
        long, a loop of links) is one line, not an OSError."""
        try:
            return self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SpreadsheetNotFound(_("{path}: cannot be opened ({reason}); check the name and the path").format(
                path=_shown(self.path), reason=exc.strerror or type(exc).__name__)) from None

    def _refuse_unreadable_path(self) -> None:
        """A path that is not a regular file, in one line naming why."""
        if problem := unsupported_file(str(self.path)):  # a .csv: not openpyxl's list of formats
            raise SpreadsheetNotFound(problem)
        status = self._status()
        if status is None:
            raise SpreadsheetNotFound(_("{path}: no such file (create one with `chas-sheets init`)").format(
                path=self.path))
        if stat.S_ISDIR(status.st_mode):
            raise SpreadsheetNotFound(_("{path} is a folder, not a workbook (.xlsx)").format(path=self.path))
        if not stat.S_ISREG(status.st_mode):  # a pipe would block the read forever
            raise SpreadsheetNotFound(_("{path} is not a file (a pipe, socket or device): give an .xlsx "
                                    "workbook").format(path=self.path))

    def _load(self, source=None, **kwargs):
        if source is None:
            self._refuse_unreadable_path()
        from chas_sheets.backends.local_xlsx import load_workbook

        with self._damage_is_corrupt():
            return load_workbook(self.path if source is None else source, **kwargs)

    @contextlib.contextmanager
    def _damage_is_corrupt(self):
        """openpyxl's many errors on a damaged file as one CorruptSpreadsheet line."""
        try:
            yield
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, ElementTree.ParseError) as exc:
            raise CorruptSpreadsheet(_("{path}: not a readable .xlsx workbook ({reason}); open it in a spreadsheet "
                                       "program and save it as .xlsx").format(path=self.path,
                                                                               reason=type(exc).__name__)) from exc
        except Exception as exc:  # openpyxl raises many kinds on damaged files
            raise CorruptSpreadsheet(_("{path}: not a readable .xlsx workbook ({reason})").format(
                path=self.path, reason=exc)) from exc

    def read(self, tabs: Sequence[str] | None = None) -> RawWorkbook:
        if self.reading_only:
            self._refuse_unreadable_path()
            from chas_sheets.backends.local_read import read_values

            read = read_values(self.path, tabs, self.target)  # None: only openpyxl reads it exactly
            if read is not None:
                return read
        wb = self._load(read_only=True, data_only=True)
        from chas_sheets.backends.local_xlsx import grid

        try:
            titles = list(wb.sheetnames)
            # read_only parses each sheet lazily: damage inside one shows up only here
            with self._damage_is_corrupt():
                grids = {t: grid(wb[t], formulas=False) for t in wanted_titles(titles, tabs)}
        finally:
            wb.close()
        return RawWorkbook(titles, grids, self.target)

    def _lock(self) -> filelock.FileLock:
        import filelock

        # Beside the real file, so runs naming it through a symlink and directly share one lock.
        real = WorkbookFile(self.path).real
        return filelock.FileLock(str(real.with_name(f".{real.name}.lock")), timeout=LOCK_TIMEOUT_SECONDS)

    def apply(self, changes: ChangeSet, run: RunInfo) -> ApplyResult:
        if self.reading_only:
            raise TypeError("a workbook opened for reading only is never written")
        import filelock

        try:
            with self._lock():
                return self._apply_locked(changes, run)
        except filelock.Timeout as exc:
            raise SpreadsheetLocked(_("{path} is being written by another chas-sheets run; try again when it has "
                                      "finished").format(path=self.path)) from exc
        except OSError as exc:  # the lock file, the temporary file or the rename: no rights, a full disk
            where = f" ({Path(exc.filename).name})" if exc.filename else ""
            raise UnsafeWrite(_("{path}: cannot write in its folder{where}: {reason}; nothing was written. Check "
                                "that you may change files there, and the free space").format(
                                    path=self.path, where=where, reason=exc.strerror or exc or type(exc).__name__)
                              ) from exc

    def _apply_locked(self, changes: ChangeSet, run: RunInfo) -> ApplyResult:
        """Re-read, resolve and write; when a person saved the workbook meanwhile, once more from
        their version (their edits win the compare-and-set), then give up."""
        file = WorkbookFile(self.path)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            file.refuse_unsafe()
            try:
                return self._apply_once(file, changes, run)
            except SpreadsheetChanged as exc:
                if attempt == WRITE_ATTEMPTS:
                    raise SpreadsheetChanged(_("{path} was saved by someone else while chas-sheets was writing it, "
                                               "{n} times; nothing was written. Run the command again when no one is "
                                               "saving it").format(path=self.path, n=WRITE_ATTEMPTS)) from exc
        raise AssertionError("unreachable")

    def _apply_once(self, file: WorkbookFile, changes: ChangeSet, run: RunInfo) -> ApplyResult:
        from chas_sheets.backends.local_xlsx import (
            add_formula_results,
            execute,
            grid,
            links_stay_links,
            number_format,
            row_extras,
        )

        snapshot = file.snapshot()  # the plan is made from exactly these bytes
        with self._damage_is_corrupt():
            names = set(zipfile.ZipFile(io.BytesIO(snapshot.data)).namelist())
        # rich_text: bold or red words inside untouched cells are written back as they were
        wb = self._load(io.BytesIO(snapshot.data), keep_vba=has_macros(names), rich_text=True)
        links_stay_links(wb, snapshot.data)
        titles = list(wb.sheetnames)
        touched = wanted_titles(titles, [*sorted(changes.tabs), LOG_TAB])
        fresh = RawWorkbook(titles, {t: grid(wb[t], formulas=True) for t in touched}, self.target)
        add_formula_results(snapshot, fresh.grids)
        plan = resolve(changes, fresh, run, lambda title, row, col: number_format(wb[title], row, col),
                       lambda title, row: row_extras(wb[title], row))
        if not plan:
            return ApplyResult(plan, written=False)
        replaced = {w.title for w in plan.tabs.values() if w.replace is not None}
        self._refuse_losses(snapshot, names, replaced, wb)
        self._refuse_broken_references(plan, replaced, wb)
        for writes in plan.tabs.values():
            execute(wb, writes)
        written = file.replace(snapshot, wb.save)
        return ApplyResult(plan, written=True, digests=(snapshot.digest, written))

    def _refuse_losses(self, snapshot: Snapshot, names: set[str], replaced: set[str], wb) -> None:
        """Refuse, naming it, anything a save through openpyxl would drop (tabs the tool replaces
        whole are its own: their old drawings go by design)."""
        from openpyxl.cell.cell import MergedCell

        lost = {s: kinds for s, kinds in drawings_by_sheet(io.BytesIO(snapshot.data)).items() if s not in replaced}
        if lost:
            raise UnsafeWrite(_("{path} has {what} that saving with chas-sheets would lose; nothing was written. "
                                "Move them to another workbook, or run on a copy.").format(
                                    path=self.path, what=describe(lost)))
        extensions = extensions_by_sheet(io.BytesIO(snapshot.data), skip=replaced)
        if extensions:
            raise UnsafeWrite(_("{path} has {what}, which saving with chas-sheets would lose; nothing was written. "
                                "Run on a copy, or remove them first.").format(
                                    path=self.path, what=describe_extensions(extensions)))
        # openpyxl drops (with a warning) a note on a cell inside a merged range that is not its top-left
        dropped = [f"{title}!{ref}" for title, refs in note_cells_by_sheet(io.BytesIO(snapshot.data)).items()
                   if title not in replaced and title in wb.sheetnames
                   for ref in refs if ref and isinstance(wb[title][ref], MergedCell)]
        if dropped:
            raise UnsafeWrite(_("{path} has notes inside merged cells ({cells}) that saving with chas-sheets would "
                                "lose; nothing was written. Move each note to the merged range's first cell, or run "
                                "on a copy.").format(path=self.path, cells=", ".join(dropped[:5])))
        if macro_signature(names):
            raise UnsafeWrite(_("{path} has signed macros, and saving with chas-sheets would lose their signature; "
                                "nothing was written. Run on a copy, or remove the signature first.").format(
                                    path=self.path))

    def _refuse_broken_references(self, plan, replaced: set[str], wb) -> None:
        """Refuse a row removal that would turn a formula into #REF!.

        A spreadsheet program (and Google's deleteDimension) would write #REF! into a formula that
        points at the removed row itself. That formula is a person's work: #REF! loses, for good,
        which cell it read (undo brings the row back where it stood, but not the reference),
        and its result silently changes for everyone reading the tab. A refusal loses nothing and
        names the cell, so the person can point it elsewhere and run again; the duplicate row
        waiting one more run is the smaller harm. (Formulas in tabs this write replaces whole are
        the tool's own and do not count.)"""
        from chas_sheets.backends.xlsx_rows import broken_references

        for writes in plan.tabs.values():
            if not writes.deletes or writes.replace is not None or writes.title not in wb.sheetnames:
                continue
            places = [place for tab, place in broken_references(wb, writes.title, writes.deletes)
                      if tab not in replaced]
            if places:
                rows = ", ".join(str(r) for r in sorted(set(writes.deletes)))
                named = ", ".join(places[:5])
                if len(places) > 5:
                    named = _("{places} and {n} more").format(places=named, n=len(places) - 5)
                raise UnsafeWrite(_("{path}: removing {tab} row {rows} would break {places} (it refers to a row that "
                                    "would be removed and would show #REF!); nothing was written. Point the formula "
                                    "at another row or remove it, then run again.").format(
                                        path=self.path, tab=writes.title, rows=rows, places=named))

    def create(self, kind: str) -> None:
        if self._status() is not None:
            raise SpreadsheetNotFound(_("{path} already exists; init never overwrites a workbook").format(
                path=self.path))
        if self.path.suffix.lower() != ".xlsx":
            raise SpreadsheetNotFound(_("{path}: a local spreadsheet must end in .xlsx").format(path=self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        from chas_sheets.backends.local_xlsx import build_workbook
        from chas_sheets.sheet.layout import layout_for

        wb = build_workbook(layout_for(kind))
        save_new(self.path, wb.save)


def __getattr__(name: str):
    """`build_workbook` (and the rest of local_xlsx) still reachable here, imported on first use."""
    if name == "build_workbook":
        from chas_sheets.backends.local_xlsx import build_workbook

        return build_workbook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
