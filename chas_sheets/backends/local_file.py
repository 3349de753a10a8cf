"""The workbook file on disk, for writing: who else has it open, whether it may be written, and a
replace that never overwrites a version a person saved after the tool's re-read.

Excel and LibreOffice hold a workbook in memory and write it whole when the person saves: a file
replaced under them is overwritten by their next save, or it overwrites theirs. They announce an
open workbook with a lock file beside it, so that is refused. A save by a person between the
re-read and the replace is caught by comparing the file's bytes with the ones the plan was made
from, immediately before `os.replace`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from chas_sheets.errors import ReadOnlySpreadsheet, SpreadsheetChanged, SpreadsheetInUse, SpreadsheetNotFound
from chas_sheets.i18n import _


def office_lock_names(name: str) -> list[tuple[str, str]]:
    """(program, lock file name) for every lock file that says `name` is open.

    LibreOffice writes `.~lock.NAME#`. Office's owner file is `~$` and the name; Word is
    documented to let `~$` take the place of the first characters of a long name (`~$ficeReport.docx`
    for `OfficeReport.docx`), so those shortened forms count too: a false alarm costs a re-run
    after deleting a leftover file, a missed one costs a person's work.
    """
    names = [("LibreOffice", f".~lock.{name}#"), ("Excel", f"~${name}")]
    stem = name.rsplit(".", 1)[0]
    if len(stem) >= 7:
        names += [("Excel", f"~${name[1:]}"), ("Excel", f"~${name[2:]}")]
    return names


@dataclass(frozen=True)
class Snapshot:
    """The workbook's bytes as the tool read them: the plan is made from exactly these."""

    data: bytes
    digest: str


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WorkbookFile:
    """One workbook as named (`path`, perhaps a symlink) and the file that is written (`real`)."""

    def __init__(self, path: Path):
        self.path = path
        # A symlink is followed: the real file is replaced and the link stays a link.
        self.real = Path(os.path.realpath(path))

    def refuse_unsafe(self) -> None:
        """One-line refusal when the workbook is missing, open in a spreadsheet program or read-only."""
        if self.real.is_dir():
            raise SpreadsheetNotFound(_("{path} is a folder, not a workbook (.xlsx)").format(path=self.path))
        if not self.real.is_file():
            raise SpreadsheetNotFound(_("{path}: no such file (create one with `chas-sheets init`)").format(
                path=self.path))
        self.refuse_if_open()
        mode = self.real.stat().st_mode
        # Mode bits, not only os.access: run as root, os.access says yes to a file marked read-only.
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(self.real, os.W_OK):
            raise ReadOnlySpreadsheet(_("{path} is read-only; nothing was written. Make it writable "
                                        "(or run on a writable copy) if it should be changed").format(path=self.path))
        folder = self.real.parent
        if not folder.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(folder, os.W_OK):
            raise ReadOnlySpreadsheet(_("{path}: its folder is read-only, and chas-sheets saves by writing a new "
                                        "file beside the workbook; nothing was written. Make the folder writable, "
                                        "or run on a copy elsewhere").format(path=self.path))

    def refuse_if_open(self) -> None:
        # Beside the name the person may have opened (the link) and beside the real file.
        for folder, name in {(self.path.parent, self.path.name), (self.real.parent, self.real.name)}:
            for program, lock in office_lock_names(name):
                if os.path.lexists(folder / lock):
                    raise SpreadsheetInUse(
                        _("{path} is open in {program} (its lock file {lock} is beside it); nothing was "
                          "written. Close it there and run again; if no one has it open, delete {lock}").format(
                              path=self.path, program=program, lock=lock))

    def snapshot(self) -> Snapshot:
        data = self.real.read_bytes()
        return Snapshot(data, _digest(data))

    def unchanged_since(self, snapshot: Snapshot) -> bool:
        try:
            return _digest(self.real.read_bytes()) == snapshot.digest
        except FileNotFoundError:
            return False

    def replace(self, snapshot: Snapshot, save: Callable[[str], None]) -> str:
        """Save through `save(temporary path)` beside the real file, then rename it over the
        workbook, only if no program has it open and its bytes are still `snapshot`'s.

        The check and the rename are microseconds apart; a save landing in between cannot be
        excluded without the other program's cooperation, but the seconds-long window of
        planning and saving is closed. Returns the SHA-256 of the bytes written.
        """
        tmp = _temporary_beside(self.real)
        try:
            save(tmp)
            _fsync(tmp)
            written = _digest(Path(tmp).read_bytes())
            os.chmod(tmp, self.real.stat().st_mode & 0o777)
            self.refuse_if_open()
            if not self.unchanged_since(snapshot):
                raise SpreadsheetChanged(_("{path} was saved by someone else while chas-sheets was writing it; "
                                           "nothing was written").format(path=self.path))
            os.replace(tmp, self.real)
            return written
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def save_new(path: Path, save: Callable[[str], None]) -> None:
    """A new workbook written whole or not at all (temporary file, then rename)."""
    tmp = _temporary_beside(path)
    try:
        save(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _temporary_beside(path: Path) -> str:
    # Same folder: a rename within one file system is atomic.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp", dir=path.parent)
    os.close(fd)
    return tmp


def _fsync(path: str) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
