"""Removing rows from a local workbook moves everything that refers to or sits on the rows below,
as a spreadsheet program (and Google's deleteDimension) does: formulas in every tab, defined
names, hyperlinks, notes, merged ranges, data validations and conditional formats. A removal
that would turn a person's formula into #REF! is refused, naming the cell. A hyperlink on an
empty cell never becomes the cell's value."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from workbooks import lead_rows

from chas_sheets.backends.xlsx_rows import RowMap, broken_references, remove_rows, shift_formula
from chas_sheets.cli import cli
from chas_sheets.sheet.layout import TEMPLATE_ROWS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _python_with_uno() -> str | None:
    """A Python that can drive LibreOffice (the system one, usually; not the virtualenv's)."""
    for python in dict.fromkeys([sys.executable, "/usr/bin/python3", shutil.which("python3")]):
        if python and subprocess.run([python, "-c", "import uno"], capture_output=True).returncode == 0:
            return python
    return None


UNO_PYTHON = _python_with_uno() if SOFFICE else None
TODAY = ["--today", "2027-05-12"]
# Leads columns of the student template: A ID, B Företag, D Webbplats, S Tillagd; a person's own after U
LENGTH, GROUP, SIZE = "V", "W", "X"

LEADS = [  # row 2 onwards; L-4 is L-3 typed again later, so dedupe removes row 5
    ("L-1", "Alfa AB", "2027-01-01"),
    ("L-2", "Beta AB", "2027-01-02"),
    ("L-3", "Gamma AB", "2027-01-03"),
    ("L-4", "GAMMA AB", "2027-01-04"),
    ("L-5", "Epsilon AB", "2027-01-05"),
    ("L-6", "Delta AB", "2027-01-06"),
    ("L-7", "Zeta AB", "2027-01-07"),
    ("L-8", "Eta AB", "2027-01-08"),
    ("L-9", "Theta AB", "2027-01-09"),
]
REMOVED_ROW = 5


def _crm(make_crm, extra=None):
    """A student CRM with LEADS and what a person adds around them (see the module docstring)."""
    path = make_crm(Leads=[{"ID": i, "Företag": name, "Tillagd": added} for i, name, added in LEADS])
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    for col, title in ((LENGTH, "Längd (egen)"), (GROUP, "Grupp (egen)"), (SIZE, "Storlek (egen)")):
        ws[f"{col}1"] = title
    for row in range(2, 2 + len(LEADS)):
        ws[f"{LENGTH}{row}"] = f"=LEN(B{row})"  # each lead's own company
    ws["D6"] = "https://epsilon.se/"
    ws["D6"].hyperlink = "https://epsilon.se/"  # Epsilon's website, linked
    ws["B8"].comment = Comment("Ring efter lunch", "Anna")  # a note on Zeta
    ws[f"{GROUP}9"] = "Norr"
    ws.merge_cells(f"{GROUP}9:{GROUP}10")  # Eta and Theta, one group
    dv = DataValidation(type="list", formula1='"Liten,Stor"', allow_blank=True)
    dv.add(f"{SIZE}7")  # Delta's size
    ws.add_data_validation(dv)
    ws.conditional_formatting.add(f"{SIZE}8", FormulaRule(formula=['$B8="Zeta AB"'],
                                                           fill=PatternFill("solid", bgColor="FFC7CE")))
    wb.defined_names["Zeta"] = DefinedName("Zeta", attr_text="Leads!$B$8")
    over = wb.create_sheet("Översikt")
    over["A1"], over["B1"] = "Epsilon", "=Leads!B6"
    over["A2"], over["B2"] = "Antal", "=COUNTA(Leads!A2:A10)"
    over["A3"], over["B3"] = "Zeta", "=Zeta"
    if extra:
        extra(wb)
    wb.save(path)
    return path


def _dedupe(path, *args):
    return CliRunner().invoke(cli, [*TODAY, "dedupe", str(path), *args])


def _where(ws, company):
    """The row where a company's lead now is."""
    return next(c.row for c in ws["B"] if c.value == company)


def test_dedupe_apply_keeps_every_reference_on_the_same_lead(make_crm):
    path = _crm(make_crm)
    result = _dedupe(path, "--apply")
    assert result.exit_code == 0, result.output
    assert "L-4" not in lead_rows(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    # by hand: every row below 5 moves up one
    assert [c.value for c in ws["A"][1:9]] == ["L-1", "L-2", "L-3", "L-5", "L-6", "L-7", "L-8", "L-9"]
    for row in range(2, 10):  # each person's formula still reads its own lead's company
        assert ws[f"{LENGTH}{row}"].value == f"=LEN(B{row})"
    over = wb["Översikt"]
    assert over["B1"].value == "=Leads!B5" and ws["B5"].value == "Epsilon AB"
    assert over["B2"].value == "=COUNTA(Leads!A2:A9)"  # a range spanning the row shrinks
    assert wb.defined_names["Zeta"].attr_text == "Leads!$B$7" and ws["B7"].value == "Zeta AB"
    epsilon, delta, zeta = _where(ws, "Epsilon AB"), _where(ws, "Delta AB"), _where(ws, "Zeta AB")
    assert (epsilon, delta, zeta) == (5, 6, 7)
    assert ws[f"D{epsilon}"].hyperlink.target == "https://epsilon.se/"
    assert ws[f"D{delta}"].hyperlink is None and ws[f"D{delta}"].value is None
    assert ws[f"B{zeta}"].comment.text == "Ring efter lunch" and ws[f"B{delta}"].comment is None
    assert {str(r) for r in ws.merged_cells.ranges} == {f"{GROUP}8:{GROUP}9"}
    assert ws[f"{GROUP}8"].value == "Norr"
    own_dv = [dv for dv in ws.data_validations.dataValidation if dv.formula1 == '"Liten,Stor"']
    assert [str(dv.sqref) for dv in own_dv] == [f"{SIZE}{delta}"]
    formats = {str(cf.sqref): [f for rule in cf.rules for f in rule.formula] for cf in ws.conditional_formatting}
    assert formats[f"{SIZE}{zeta}"] == [f'$B{zeta}="Zeta AB"']
    # the template's own dropdowns and colours (rows 2 to TEMPLATE_ROWS + 1) shrink by the removed row
    status_dv = next(dv for dv in ws.data_validations.dataValidation if "Kontaktad" in (dv.formula1 or ""))
    assert max(r.max_row for r in status_dv.sqref.ranges) == TEMPLATE_ROWS


def test_a_removal_that_would_break_a_formula_is_refused_naming_the_cell(make_crm):
    def points_at_the_duplicate(wb):
        wb["Översikt"]["B4"] = f"=Leads!B{REMOVED_ROW}"

    path = _crm(make_crm, points_at_the_duplicate)
    before = path.read_bytes()
    result = _dedupe(path, "--apply")
    assert result.exit_code == 1
    assert "Översikt!B4" in result.output and "#REF!" in result.output and "nothing was written" in result.output
    assert "GAMMA" not in result.output  # rows and cells are named, not the lead
    assert path.read_bytes() == before


def test_a_name_pointing_at_the_removed_row_is_refused_too(make_crm):
    def name_on_the_duplicate(wb):
        wb.defined_names["Dubblett"] = DefinedName("Dubblett", attr_text=f"Leads!$B${REMOVED_ROW}")

    path = _crm(make_crm, name_on_the_duplicate)
    result = _dedupe(path, "--apply")
    assert result.exit_code == 1 and "the name Dubblett" in result.output


def test_undo_after_the_removal_brings_the_row_back(make_crm):
    path = _crm(make_crm)
    assert _dedupe(path, "--apply").exit_code == 0
    log = list(openpyxl.load_workbook(path)["Ändringslogg"].iter_rows(values_only=True))
    run_id = log[1][0]
    result = CliRunner().invoke(cli, ["undo", str(path), run_id, "--apply"])
    assert result.exit_code == 0, result.output
    rows = lead_rows(path)
    assert set(rows) == {i for i, _, _ in LEADS}
    ws = openpyxl.load_workbook(path)["Leads"]
    assert ws[f"B{rows['L-4']}"].value == "GAMMA AB"
    # back where it stood (row 5, between Gamma and Epsilon): what moved up moves down again with its lead
    assert rows["L-4"] == REMOVED_ROW and rows["L-5"] == REMOVED_ROW + 1
    assert openpyxl.load_workbook(path)["Översikt"]["B1"].value == f"=Leads!B{rows['L-5']}"


def test_dedupe_then_undo_gives_back_every_formula_link_note_merge_and_format_as_it_was(make_crm):
    def more(wb):  # a hidden row, a print area, a name on a range, a sum over a person's column
        ws = wb["Leads"]
        ws.row_dimensions[8].hidden = True
        ws.print_area = "A1:X10"
        wb.defined_names["Alla"] = DefinedName("Alla", attr_text="Leads!$A$2:$A$10")
        wb["Översikt"]["C1"] = f"=SUM(Leads!{LENGTH}2:{LENGTH}10)"

    path = _crm(make_crm, more)
    before = _facts(path)
    assert _dedupe(path, "--apply").exit_code == 0
    assert _facts(path) != before
    run_id = list(openpyxl.load_workbook(path)["Ändringslogg"].iter_rows(values_only=True))[1][0]
    result = CliRunner().invoke(cli, [*TODAY, "undo", str(path), run_id, "--apply"])
    assert result.exit_code == 0, result.output
    after = _facts(path)
    # every range the removal shrank grew back over the row (COUNTA(Leads!A2:A10), the name, the
    # template's dropdowns), every reference below it moved back down, the row's own formula reads it
    assert len(after) > 100
    assert after == before


def test_a_link_left_on_an_empty_cell_never_becomes_its_value(make_crm):
    # The chain: openpyxl's own removal (the old code) left Gamma's link on row 3 while
    # Gamma moved to row 2, so the link sits on Delta's empty Webbplats. Any later write must not
    # store its address as Delta's website, unlogged, for the next dedupe to merge Delta with Gamma.
    path = make_crm(Leads=[
        {"ID": "L-1", "Företag": "Sigma AB", "Tillagd": "2027-01-01"},
        {"ID": "L-2", "Företag": "Gamma AB", "Webbplats": "https://gamma.se/", "Tillagd": "2027-01-02"},
        {"ID": "L-3", "Företag": "Delta AB", "Tillagd": "2027-01-03"},
        {"ID": "L-4", "Företag": "Omega AB", "Tillagd": "2027-01-04"},
        {"ID": "L-5", "Företag": "OMEGA AB", "Tillagd": "2027-01-05"},
    ])
    wb = openpyxl.load_workbook(path)
    wb["Leads"]["D3"].hyperlink = "https://gamma.se/"
    wb["Leads"].delete_rows(2)  # what a removal did before: the link's ref stays D3
    wb.save(path)
    assert openpyxl.load_workbook(path)["Leads"]["D3"].value == "https://gamma.se/"  # openpyxl's load fills it
    assert openpyxl.load_workbook(path)["Leads"]["B3"].value == "Delta AB"

    assert _dedupe(path, "--apply").exit_code == 0  # an unrelated write: merges Omega
    ws = openpyxl.load_workbook(path, read_only=True)["Leads"]
    delta = next(row for row in ws.iter_rows(min_row=2, values_only=True) if row[1] == "Delta AB")
    assert delta[3] is None
    log = openpyxl.load_workbook(path)["Ändringslogg"]
    assert not any("gamma.se" in str(v) for row in log.iter_rows(values_only=True) for v in row)
    again = _dedupe(path, "--json")
    assert again.exit_code == 0 and "L-3" not in again.stdout  # Delta is merged with no one
    linked = openpyxl.load_workbook(path)["Leads"]
    assert linked[f"D{lead_rows(path)['L-3']}"].hyperlink.target == "https://gamma.se/"  # a link, kept as one


# ------------------------------------------------------------------ the shift itself


@pytest.mark.parametrize("formula, expected", [
    ("=LEN(B7)", "=LEN(B6)"),
    ("=LEN(B4)", "=LEN(B4)"),
    ("=SUM($A$2:$A$10)", "=SUM($A$2:$A$9)"),
    ("=SUM(A5:A6)", "=SUM(A5:A5)"),
    ("=SUM(A2:A5)", "=SUM(A2:A4)"),
    ("=SUM(A:A)", "=SUM(A:A)"),
    ("=SUM(6:8)", "=SUM(5:7)"),
    ("=B5", "=#REF!"),
    ("=Andra!B7", "=Andra!B7"),
    ('=IF(B7="B7",B7,"")', '=IF(B6="B7",B6,"")'),
])
def test_references_on_the_tab_itself(formula, expected):
    assert shift_formula(formula, "Leads", "Leads", RowMap.of([5])).text == expected


@pytest.mark.parametrize("formula, expected", [
    ("=Leads!B7", "=Leads!B6"),
    ("='Leads'!$B$7", "='Leads'!$B$6"),
    ("=leads!B7", "=leads!B6"),  # sheet names are case-insensitive
    ("=B7", "=B7"),  # its own tab
    ("=[1]Leads!B7", "=[1]Leads!B7"),  # another workbook
    ("=Leads!B5+1", "=#REF!+1"),
    ("=SUM(Leads!B2:B9, Leads!B5:B5)", "=SUM(Leads!B2:B7, #REF!)"),
])
def test_references_from_another_tab(formula, expected):
    assert shift_formula(formula, "Översikt", "Leads", RowMap.of([5, 8])).text == expected


def test_several_rows_removed_at_once_shift_by_those_above():
    rows = RowMap.of([3, 5, 6])
    assert [rows.row(r) for r in range(1, 9)] == [1, 2, None, 3, None, None, 4, 5]
    assert rows.span(5, 6) is None and rows.span(2, 7) == (2, 4)


def test_what_would_break_is_found_before_anything_changes():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws["C9"] = "=B5"
    wb.create_sheet("Andra")["A1"] = "=Leads!B5"
    assert broken_references(wb, "Leads", [5]) == [("Leads", "Leads!C9"), ("Andra", "Andra!A1")]
    assert ws["C9"].value == "=B5"
    ws["C5"] = "=B5"  # a formula in the removed row goes with it
    ws["C9"] = "=B9"
    remove_rows(wb, "Leads", [5])
    assert ws["C8"].value == "=B8" and wb["Andra"]["A1"].value == "=#REF!"


def test_a_conditional_format_whose_first_row_goes_is_anchored_at_the_next():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.conditional_formatting.add("A2:C20", FormulaRule(formula=['$B2<>""'], fill=PatternFill(bgColor="FFC7CE")))
    ws.row_dimensions[4].hidden = True
    ws.auto_filter.ref = "A1:C20"
    remove_rows(wb, ws.title, [2])
    (cf,) = list(ws.conditional_formatting)
    assert str(cf.sqref) == "A2:C19" and cf.rules[0].formula == ['$B2<>""']
    assert ws.row_dimensions[3].hidden and not ws.row_dimensions[4].hidden
    assert ws.auto_filter.ref == "A1:C19"


# ------------------------------------------------------------------ LibreOffice computes the same


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed on this machine")
def test_libreoffice_computes_each_formula_on_its_own_lead_after_the_removal(make_crm, tmp_path):
    path = _crm(make_crm)
    assert _dedupe(path, "--apply").exit_code == 0
    out = tmp_path / "lo"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    wb = openpyxl.load_workbook(out / path.name, data_only=True)
    ws = wb["Leads"]
    for row in range(2, 10):
        assert ws[f"{LENGTH}{row}"].value == len(ws[f"B{row}"].value)
    over = wb["Översikt"]
    assert over["B1"].value == "Epsilon AB"
    assert over["B2"].value == 8  # L-1 .. L-9 without L-4
    assert over["B3"].value == "Zeta AB"


LO_DELETE_ROWS = """
import subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue

soffice, profile, port, src, dst, tab, *rows = sys.argv[1:]
office = subprocess.Popen([soffice, "--headless", "--norestore", "-env:UserInstallation=" + profile,
                           "--accept=socket,host=localhost,port=%s;urp;" % port])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            ctx = resolver.resolve("uno:socket,host=localhost,port=%s;urp;StarOffice.ComponentContext" % port)
            break
        except Exception:
            time.sleep(0.5)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    def prop(name, value):
        p = PropertyValue(); p.Name = name; p.Value = value
        return p
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
    sheet = doc.Sheets.getByName(tab)
    for row in sorted(map(int, rows), reverse=True):
        sheet.Rows.removeByIndex(row - 1, 1)
    doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "Calc MS Excel 2007 XML"),))
    doc.close(True)
finally:
    office.terminate()
    office.wait(60)
"""


def _facts(path):
    """What a removal may move, as comparable facts: formulas, values, links, notes, merges,
    validations, conditional formats, hidden rows, print areas, filters and names."""
    wb = openpyxl.load_workbook(path)
    facts = {}
    for ws in wb.worksheets:
        if ws.title in ("Ändringslogg", "Körningar"):  # the run's own log and its listing, not the removal
            continue
        for row in ws.iter_rows():
            for c in row:
                at = f"{ws.title}!{c.coordinate}"
                if c.value is not None:
                    facts[f"value {at}"] = str(c.value)
                if c.hyperlink is not None:
                    facts[f"link {at}"] = c.hyperlink.target
                if c.comment is not None:
                    facts[f"note {at}"] = c.comment.text.strip()
        facts[f"merged {ws.title}"] = sorted(str(r) for r in ws.merged_cells.ranges)
        validations = ws.data_validations.dataValidation
        facts[f"validations {ws.title}"] = sorted((str(d.sqref), d.formula1) for d in validations)
        facts[f"formats {ws.title}"] = sorted((str(c.sqref), tuple(f for r in c.rules for f in r.formula))
                                             for c in ws.conditional_formatting)
        facts[f"hidden {ws.title}"] = sorted(i for i, d in ws.row_dimensions.items() if d.hidden)
        facts[f"print area {ws.title}"] = ws.print_area
        facts[f"filter {ws.title}"] = ws.auto_filter.ref
    for name, defined in wb.defined_names.items():
        facts[f"name {name}"] = defined.attr_text.replace("'", "")
    return facts


@pytest.mark.skipif(UNO_PYTHON is None, reason="LibreOffice with its Python bridge (uno) is not installed")
def test_the_removal_equals_libreoffices_own_row_deletion(make_crm, tmp_path):
    def more(wb):  # what a person may also have: a hidden row, a print area, a name on a range
        ws = wb["Leads"]
        ws.row_dimensions[8].hidden = True
        ws.print_area = "A1:X10"
        wb.defined_names["Alla"] = DefinedName("Alla", attr_text="Leads!$A$2:$A$10")
        wb["Översikt"]["C1"] = f"=SUM(Leads!{LENGTH}2:{LENGTH}10)"

    path = _crm(make_crm, more)
    theirs = tmp_path / "libreoffice.xlsx"
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    script = tmp_path / "delete_rows.py"
    script.write_text(LO_DELETE_ROWS, encoding="utf-8")
    subprocess.run([UNO_PYTHON, str(script), SOFFICE, (tmp_path / "lo-profile").as_uri(), str(port), str(path),
                    str(theirs), "Leads", str(REMOVED_ROW)], check=True, capture_output=True, timeout=240)
    assert _dedupe(path, "--apply").exit_code == 0
    ours, expected = _facts(path), _facts(theirs)
    # dedupe writes nothing else here (L-3 keeps its spelling, nothing to fill in): every cell,
    # formula, link, note, merge, format, hidden row and name is where LibreOffice puts it
    assert len(ours) > 100
    assert ours == expected


def test_merged_ranges_shrink_and_one_whose_first_row_goes_keeps_its_other_cells_merged():
    # Google's deleteDimension squeezes a merge the same way (the emulator's grid.change_dimension)
    wb = openpyxl.Workbook()
    ws = wb.active
    for merged in ("A4:A6", "B5:B7", "C5:C6", "D5:D5"):
        ws.merge_cells(merged)
    ws["A4"], ws["B5"] = "över", "börjar"
    remove_rows(wb, ws.title, [5])
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A4:A5", "B5:B6"]
    assert ws["A4"].value == "över"
    assert not isinstance(ws["B5"], MergedCell) and isinstance(ws["B6"], MergedCell)
    assert not isinstance(ws["C5"], MergedCell)  # C5:C6 shrank to one cell: no longer merged


def test_an_array_formula_and_its_range_move_with_their_rows():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C8"] = ArrayFormula("C8:C9", "=B8:B9*2")
    remove_rows(wb, ws.title, [5])
    assert ws["C7"].value.ref == "C7:C8" and ws["C7"].value.text == "=B7:B8*2"


@pytest.mark.skipif(UNO_PYTHON is None, reason="LibreOffice with its Python bridge (uno) is not installed")
def test_the_undo_insertion_equals_libreoffices_own_row_insertion(make_crm, tmp_path):
    """undo puts the removed row back with xlsx_rows.insert_rows: LibreOffice inserting an empty
    row at the same place in the same deduped workbook moves every formula, link, note, merge,
    validation, format, hidden row, print area and name the same way (the inserted row's own
    cells aside: undo fills them, LibreOffice leaves them empty)."""
    def more(wb):
        ws = wb["Leads"]
        ws.row_dimensions[8].hidden = True
        ws.print_area = "A1:X10"
        wb.defined_names["Alla"] = DefinedName("Alla", attr_text="Leads!$A$2:$A$10")
        wb["Översikt"]["C1"] = f"=SUM(Leads!{LENGTH}2:{LENGTH}10)"

    path = _crm(make_crm, more)
    assert _dedupe(path, "--apply").exit_code == 0
    deduped = tmp_path / "deduped.xlsx"
    shutil.copy(path, deduped)
    theirs = tmp_path / "libreoffice.xlsx"
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    script = tmp_path / "insert_rows.py"
    script.write_text(LO_DELETE_ROWS.replace("sorted(map(int, rows), reverse=True)", "sorted(map(int, rows))")
                      .replace("removeByIndex", "insertByIndex"), encoding="utf-8")
    subprocess.run([UNO_PYTHON, str(script), SOFFICE, (tmp_path / "lo-profile").as_uri(), str(port), str(deduped),
                    str(theirs), "Leads", str(REMOVED_ROW)], check=True, capture_output=True, timeout=240)
    run_id = list(openpyxl.load_workbook(path)["Ändringslogg"].iter_rows(values_only=True))[1][0]
    assert CliRunner().invoke(cli, [*TODAY, "undo", str(path), run_id, "--apply"]).exit_code == 0
    inserted = re.compile(rf"^(value|link|note) Leads![A-Z]+{REMOVED_ROW}$")
    ours = {k: v for k, v in _facts(path).items() if not inserted.match(k)}
    expected = {k: v for k, v in _facts(theirs).items() if not inserted.match(k)}
    assert len(ours) > 100
    assert ours == expected
