"""Local writes that cannot race a person: a workbook open in Excel or LibreOffice, read-only,
saved by a person during the run, reached through a symlink, with macros or with notes.

A person's save during a run is forced, not hoped for: the tool's own save of its temporary file
is wrapped so that the person saves the real workbook right then, between the tool's re-read and
its replace.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment
from openpyxl.workbook.workbook import Workbook

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.backends.local_file import office_lock_names
from chas_sheets.cli import cli
from chas_sheets.errors import ReadOnlySpreadsheet, SpreadsheetChanged, SpreadsheetInUse, UnsafeWrite
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import CellChange, ChangeSet
from chas_sheets.sheet.writeplan import RunInfo

LEAD = {"ID": "L-AAAAAA", "Företag": "Acme AB", "Status": "Ny"}
PERSON = "Fatima Andersson"  # a name in a lock file: never shown


def status_change(before="Ny", after="Kontaktad") -> ChangeSet:
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Status", before, after)
    return changes


def apply(path, changes=None):
    return LocalWorkbook(path).apply(changes or status_change(), RunInfo.new("test"))


def lead(path) -> dict:
    return read_tables(LocalWorkbook(path), ["Leads"])["Leads"].df.loc["L-AAAAAA"].to_dict()


def column(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def person_edits(path: Path, header: str, value, save=None) -> None:
    """A person changes one cell of the lead and saves (with `save`, openpyxl's own, when the
    tool's save is wrapped)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    ws.cell(row=2, column=column(ws, header)).value = value
    (save or Workbook.save)(wb, path)


# 1. open in Excel or LibreOffice ----------------------------------------------------------------
@pytest.mark.parametrize("name, lock, program", [
    ("crm.xlsx", "~$crm.xlsx", "Excel"),
    ("crm.xlsx", ".~lock.crm.xlsx#", "LibreOffice"),
    ("Kundregister.xlsx", "~$ndregister.xlsx", "Excel"),  # the owner file of a long name, shortened
])
def test_a_workbook_open_in_a_spreadsheet_program_is_refused_untouched(make_crm, name, lock, program):
    path = make_crm(name=name, Leads=[LEAD])
    (path.parent / lock).write_text(f"{PERSON},host,/home,03.05.2027 10:00,file:///home;")
    before = path.read_bytes()
    with pytest.raises(SpreadsheetInUse) as err:
        apply(path)
    message = str(err.value)
    assert program in message and lock in message and "\n" not in message
    assert PERSON not in message  # the lock file's content (who has it open) is not read out
    assert path.read_bytes() == before
    (path.parent / lock).unlink()  # closed: the same run goes through
    assert apply(path).written and lead(path)["Status"] == "Kontaktad"


def test_the_owner_file_names_cover_excel_and_word_shortening():
    locks = [lock for _, lock in office_lock_names("OfficeReport.xlsx")]
    assert {"~$OfficeReport.xlsx", "~$ficeReport.xlsx", ".~lock.OfficeReport.xlsx#"} <= set(locks)
    assert [lock for _, lock in office_lock_names("crm.xlsx")] == [".~lock.crm.xlsx#", "~$crm.xlsx"]


def test_a_workbook_opened_during_the_run_is_not_replaced(make_crm, monkeypatch):
    """Opened in LibreOffice after the re-read: checked again right before the replace."""
    path = make_crm(Leads=[LEAD])
    before = path.read_bytes()
    real_save = Workbook.save

    def save_and_open(wb, filename):
        real_save(wb, filename)
        (path.parent / f".~lock.{path.name}#").write_text("someone")

    monkeypatch.setattr(Workbook, "save", save_and_open)
    with pytest.raises(SpreadsheetInUse, match="LibreOffice"):
        apply(path)
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_the_cli_says_so_in_one_line_and_exits_1(make_crm):
    path = make_crm(Leads=[{"Företag": "Acme AB"}])  # a blank ID: the run has something to write
    (path.parent / f"~${path.name}").write_bytes(b"\x10" + PERSON.encode())
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "mark-processed", str(path), "--apply"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "open in Excel" in errors[0] and PERSON not in result.output


# 2. read-only -----------------------------------------------------------------------------------
def test_a_read_only_workbook_is_refused_not_replaced(make_crm):
    path = make_crm(Leads=[LEAD])
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(ReadOnlySpreadsheet, match="read-only") as err:
        apply(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_workbook_in_a_read_only_folder_is_refused(make_crm):
    path = make_crm(Leads=[LEAD])
    before = path.read_bytes()
    os.chmod(path.parent, 0o555)
    try:
        with pytest.raises(ReadOnlySpreadsheet, match="folder is read-only"):
            apply(path)
        assert sorted(p.name for p in path.parent.iterdir()) == [".crm.xlsx.lock", "crm.xlsx"]
    finally:
        os.chmod(path.parent, 0o755)
    assert path.read_bytes() == before


# 3. a person saving during the run ---------------------------------------------------------------
def test_a_person_saving_during_the_run_keeps_their_edit(make_crm, monkeypatch):
    path = make_crm(Leads=[LEAD])
    real_save = Workbook.save
    saves = []

    def person_saves_meanwhile(wb, filename):
        real_save(wb, filename)  # the tool's temporary file
        saves.append(filename)
        if len(saves) == 1:  # between the tool's re-read and its replace
            person_edits(path, "Kommentar", "Ringde, ring igen fredag", save=real_save)

    monkeypatch.setattr(Workbook, "save", person_saves_meanwhile)
    result = apply(path)
    assert result.written and len(saves) == 2  # re-read and re-planned once
    row = lead(path)
    assert row["Kommentar"] == "Ringde, ring igen fredag"  # the person's edit survives
    assert row["Status"] == "Kontaktad"  # and the tool's change landed on their version


def test_a_person_changing_the_same_cell_meanwhile_wins(make_crm, monkeypatch):
    path = make_crm(Leads=[LEAD])
    real_save = Workbook.save
    saves = []

    def person_saves_meanwhile(wb, filename):
        real_save(wb, filename)
        saves.append(filename)
        if len(saves) == 1:
            person_edits(path, "Status", "Dialog", save=real_save)

    monkeypatch.setattr(Workbook, "save", person_saves_meanwhile)
    result = apply(path)
    assert lead(path)["Status"] == "Dialog"
    assert any("changed by someone" in s for s in result.skipped)


def test_a_person_saving_again_and_again_makes_the_run_give_up_cleanly(make_crm, monkeypatch):
    path = make_crm(Leads=[LEAD])
    real_save = Workbook.save
    edits = iter(["första", "andra", "tredje"])

    def person_saves_every_time(wb, filename):
        real_save(wb, filename)
        person_edits(path, "Kommentar", next(edits), save=real_save)

    monkeypatch.setattr(Workbook, "save", person_saves_every_time)
    with pytest.raises(SpreadsheetChanged, match="nothing was written") as err:
        apply(path)
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    row = lead(path)
    assert (row["Kommentar"], row["Status"]) == ("andra", "Ny")  # the person's last save, as they made it
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


# 4. symlinks --------------------------------------------------------------------------------------
def test_a_symlinked_workbook_has_its_real_file_written_and_stays_a_link(make_crm, tmp_path):
    real = make_crm(Leads=[LEAD])
    elsewhere = tmp_path / "skrivbord"
    elsewhere.mkdir()
    link = elsewhere / "min-crm.xlsx"
    link.symlink_to(real)
    assert apply(link).written
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert lead(real)["Status"] == "Kontaktad"
    assert not [p for p in elsewhere.iterdir() if p.name.endswith(".tmp")]


def test_a_symlinked_workbook_open_under_its_real_name_is_refused(make_crm, tmp_path):
    real = make_crm(Leads=[LEAD])
    link = tmp_path / "länk.xlsx"
    link.symlink_to(real)
    (real.parent / f".~lock.{real.name}#").write_text("x")
    with pytest.raises(SpreadsheetInUse):
        apply(link)


# 5. macros (.xlsm) --------------------------------------------------------------------------------
VBA = b"\xd0\xcf\x11\xe0 a VBA project as Excel stores it " * 20
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
XLSX_MAIN = r"application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet\.main\+xml"
VBA_TYPE = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
SIGNATURE_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProjectSignature"


def rewrite_zip(path: Path, edit) -> None:
    """Rewrite a workbook's parts: edit(parts) changes the dict of name -> bytes."""
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def with_macros(path: Path, signed: bool = False) -> Path:
    """The workbook as Excel saves it with macros: vbaProject.bin, its relationship and the
    macro-enabled content type."""
    xlsm = path.with_suffix(".xlsm")
    path.rename(xlsm)

    def edit(parts):
        parts["xl/vbaProject.bin"] = VBA
        types = parts["[Content_Types].xml"].decode()
        types = re.sub(XLSX_MAIN, MACRO_MAIN, types)
        types = types.replace("<Default ", VBA_TYPE + "<Default ", 1)
        parts["[Content_Types].xml"] = types.encode()
        rels = parts["xl/_rels/workbook.xml.rels"].decode()
        vba = f'<Relationship Id="rIdVba" Type="{VBA_REL}" Target="vbaProject.bin"/>'
        parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", vba + "</Relationships>").encode()
        if signed:
            parts["xl/vbaProjectSignature.bin"] = b"signature"
            parts["xl/_rels/vbaProject.bin.rels"] = (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="' + SIGNATURE_REL + '" '
                'Target="vbaProjectSignature.bin"/></Relationships>').encode()

    rewrite_zip(xlsm, edit)
    return xlsm


def test_macros_are_kept_through_a_write_with_the_macro_content_type(make_crm):
    path = with_macros(make_crm(Leads=[LEAD]))
    assert apply(path).written
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/vbaProject.bin") == VBA
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    assert MACRO_MAIN in types and "spreadsheetml.sheet.main+xml" not in types
    assert VBA_REL in rels and "vbaProject.bin" in rels
    assert lead(path)["Status"] == "Kontaktad"


def test_signed_macros_are_refused_naming_the_signature(make_crm):
    path = with_macros(make_crm(Leads=[LEAD]), signed=True)
    before = path.read_bytes()
    with pytest.raises(UnsafeWrite, match="signed macros"):
        apply(path)
    assert path.read_bytes() == before


# 6. notes -----------------------------------------------------------------------------------------
def with_note(path: Path, text="Ring efter lunch", author="Anna") -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    ws.cell(row=2, column=column(ws, "Företag")).comment = Comment(text, author)
    wb.save(path)
    return path


def test_a_note_is_kept_on_its_cell_through_a_write(make_crm):
    path = with_note(make_crm(Leads=[LEAD]))
    assert apply(path).written
    ws = openpyxl.load_workbook(path)["Leads"]
    note = ws.cell(row=2, column=column(ws, "Företag")).comment
    assert note is not None and (note.text, note.author) == ("Ring efter lunch", "Anna")
    assert lead(path)["Status"] == "Kontaktad"
    assert sum(c.comment is not None for row in ws.iter_rows() for c in row) == 1


def test_the_cli_keeps_a_note_through_apply(make_crm):
    path = with_note(make_crm(Leads=[{"Företag": "Acme AB"}]))
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "mark-processed", str(path), "--apply"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["Leads"]
    assert ws.cell(row=2, column=column(ws, "ID")).value  # written
    assert ws.cell(row=2, column=column(ws, "Företag")).comment.text == "Ring efter lunch"


def test_a_form_control_in_the_notes_drawing_is_still_refused(make_crm):
    """The legacy drawing holds a button besides the note: openpyxl would drop the button."""
    path = with_note(make_crm(Leads=[LEAD]))

    def add_button(parts):
        [vml] = [n for n in parts if n.endswith(".vml")]
        text = parts[vml].decode()
        shape = re.search(r"<(\w+):shape .*?</\1:shape>", text, re.S).group(0)
        button = shape.replace('ObjectType="Note"', 'ObjectType="Button"')
        parts[vml] = text.replace("</xml>", button + "</xml>").encode()

    rewrite_zip(path, add_button)
    before = path.read_bytes()
    with pytest.raises(UnsafeWrite, match=r"Leads \(shapes or form controls\)"):
        apply(path)
    assert path.read_bytes() == before


def test_threaded_comments_are_refused_by_name(make_crm):
    """Excel 365's threaded comments (replies, people) have no place in openpyxl."""
    path = with_note(make_crm(Leads=[LEAD]))

    def add_thread(parts):
        [rels] = [n for n in parts if n.startswith("xl/worksheets/_rels/") and b"comments" in parts[n]]
        parts["xl/threadedComments/threadedComment1.xml"] = (
            b'<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"/>')
        parts[rels] = parts[rels].replace(b"</Relationships>", (
            b'<Relationship Id="rIdT" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" '
            b'Target="../threadedComments/threadedComment1.xml"/></Relationships>'))

    rewrite_zip(path, add_thread)
    with pytest.raises(UnsafeWrite, match="threaded comments"):
        apply(path)


# What openpyxl cannot model by default: rich text kept, Excel 2010+ extensions refused by name ----
def test_rich_text_in_untouched_cells_is_kept(make_crm):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    path = make_crm(Leads=[{**LEAD, "Kommentar": "x"}])
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    ws.cell(row=2, column=column(ws, "Kommentar")).value = CellRichText(
        ["Ring ", TextBlock(InlineFont(b=True, color="FFFF0000"), "INTE"), " före 10"])
    wb.save(path)
    assert apply(path).written
    ws = openpyxl.load_workbook(path, rich_text=True)["Leads"]
    value = ws.cell(row=2, column=column(ws, "Kommentar")).value
    assert isinstance(value, CellRichText) and str(value) == "Ring INTE före 10"
    [bold] = [part for part in value if isinstance(part, TextBlock)]
    assert (bold.text, bold.font.b, bold.font.color.rgb) == ("INTE", True, "FFFF0000")
    assert lead(path)["Status"] == "Kontaktad"


def test_a_rich_text_cell_is_compared_by_its_text(make_crm):
    """The plan saw the cell's plain text: the re-read must see the same, not 'changed by someone'."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    path = make_crm(Leads=[LEAD])
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    ws.cell(row=2, column=column(ws, "Kommentar")).value = CellRichText(
        ["Verkar ", TextBlock(InlineFont(i=True), "chill"), " typ lol "])  # a trailing space, as typed
    wb.save(path)
    seen = lead(path)["Kommentar"]  # what the plan's read saw
    changes = ChangeSet()
    changes.set_cell("Leads", "L-AAAAAA", "Kommentar", seen, "Verkar positiv")
    result = apply(path, changes)
    assert result.skipped == [] and lead(path)["Kommentar"] == "Verkar positiv"


X14_DROPDOWN = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>Listor!$A$1:$A$5</xm:f></x14:formula1>'
    '<xm:sqref>E2:E100</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')


def with_sheet_extension(path: Path, tab: str, ext_list: str) -> Path:
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index(tab) + 1

    def edit(parts):
        part = f"xl/worksheets/sheet{index}.xml"
        parts[part] = parts[part].replace(b"</worksheet>", ext_list.encode() + b"</worksheet>")

    rewrite_zip(path, edit)
    return path


def test_a_dropdown_listing_another_tab_is_refused_by_name(make_crm):
    path = with_sheet_extension(make_crm(Leads=[LEAD]), "Leads", X14_DROPDOWN)
    before = path.read_bytes()
    with pytest.raises(UnsafeWrite, match=r"Leads: dropdowns listing another tab") as err:
        apply(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == before


def test_hidden_error_marks_alone_do_not_block_a_write(make_crm):
    ignored = ('<extLst><ext uri="{01252117-D84E-4E92-8308-4BE1C098FCBB}" '
               'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"/></extLst>')
    path = with_sheet_extension(make_crm(Leads=[LEAD]), "Leads", ignored)
    assert apply(path).written


def test_a_note_inside_a_merged_range_is_refused_not_dropped(make_crm):
    """Excel lets a note sit on any cell of a merged range; openpyxl keeps only the first cell's."""
    path = with_note(make_crm(Leads=[LEAD]))  # the note on Företag (B2)
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    note = ws["B2"].comment
    ws["B2"].comment = None
    ws["C2"].comment = note
    wb.save(path)

    def merge_b2_c2(parts):  # merged after the note was written, as Excel would save it
        sheet = "xl/worksheets/sheet1.xml"
        merge = b'<mergeCells count="1"><mergeCell ref="B2:C2"/></mergeCells>'
        parts[sheet] = parts[sheet].replace(b"</sheetData>", b"</sheetData>" + merge, 1)

    rewrite_zip(path, merge_b2_c2)
    assert "B2:C2" in [str(r) for r in openpyxl.load_workbook(path)["Leads"].merged_cells.ranges]
    before = path.read_bytes()
    with pytest.raises(UnsafeWrite, match=r"notes inside merged cells \(Leads!C2\)"):
        apply(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("step", ["lock", "temporary", "rename"])
def test_a_folder_that_refuses_the_write_is_one_line_and_the_workbook_unchanged(make_crm, monkeypatch, step):
    """Rights the tool lacks (a school laptop's synced folder, a full disk): one line, nothing lost."""
    import filelock

    from chas_sheets.backends import local_file
    from chas_sheets.errors import UnsafeWrite

    path = make_crm(Leads=[{"ID": "L-1", "Företag": "Acme AB", "Status": "Ny"}])
    before = path.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path.with_name(f".{path.name}.{step}")))

    target = {"lock": (filelock.FileLock, "acquire"), "temporary": (local_file.tempfile, "mkstemp"),
              "rename": (local_file.os, "replace")}[step]
    monkeypatch.setattr(*target, refuse)
    with pytest.raises(UnsafeWrite) as err:
        LocalWorkbook(path).apply(ChangeSet(cells=[CellChange("Leads", "L-1", "Status", "Ny", "Kontaktad")]),
                                  RunInfo.new("test"))
    assert str(err.value).startswith(f"{path}: cannot write in its folder (.{path.name}.{step}): Permission denied;")
    assert path.read_bytes() == before
