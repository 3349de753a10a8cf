"""A read-only command's read of a local workbook through python-calamine (backends.local_read):
exactly openpyxl's grid, or no read at all (openpyxl reads it), and no openpyxl import for check.

conftest.py also reads every workbook any test reads through both readers and compares them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles.numbers import is_date_format
from click.testing import CliRunner
from comparing_readers import differences
from workbooks import book

from chas_sheets.backends import local_read
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.backends.local_read import SAFE_FORMATS, read_values
from chas_sheets.check.report import check_workbook, render
from chas_sheets.cli import cli
from chas_sheets.demo.workspace import build_demo
from chas_sheets.errors import CorruptSpreadsheet
from chas_sheets.runner import RunInfo
from chas_sheets.sheet.changes import ChangeSet

TODAY = dt.date(2027, 3, 10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("demo")
    build_demo(folder, TODAY)
    return sorted(folder.rglob("*.xlsx"))


def both_reads(path: Path, tabs=None):
    return LocalWorkbook(path).read(tabs), read_values(path, tabs, str(path))


def test_every_demo_workbook_reads_the_same_through_both_readers(demo):
    assert len(demo) >= 4  # the register, the groups' and the students' CRMs
    for path in demo:
        expected, got = both_reads(path)
        assert got is not None, f"{path.name}: python-calamine did not read it"
        assert differences(expected, got) == []
        assert got.grids == expected.grids  # not even the shape differs: openpyxl wrote the dimension


def test_check_reports_the_same_on_every_demo_workbook_through_either_reader(demo):
    for path in demo:
        by_openpyxl = check_workbook(LocalWorkbook(path).read(), TODAY, None)
        by_calamine = check_workbook(LocalWorkbook(path, reading_only=True).read(), TODAY, None)
        assert by_calamine.to_dict() == by_openpyxl.to_dict()
        assert render(by_calamine) == render(by_openpyxl)


def test_dates_phones_and_organisation_numbers_come_out_as_openpyxl_gives_them(tmp_path):
    path = book(tmp_path / "crm.xlsx", {"Leads": [
        ["Företag", "Telefon", "Org.nr", "Datum", "Tid", "Antal", "Andel", "Klar"],
        ["Volvo Cars", "0701234567", "556036-0793", dt.date(2027, 3, 2), dt.datetime(2027, 3, 2, 13, 45, 12),
         42, 0.25, True],
        ["Spotify", 46701234567, "5560360793", dt.datetime(2027, 4, 1), None, -3, 1.5, False],
    ]})
    expected, got = both_reads(path)
    assert differences(expected, got) == []
    leads = got.grids["Leads"]
    assert leads[1][1] == "0701234567" and leads[1][2] == "556036-0793"  # as typed, the leading 0 kept
    assert leads[2][1] == 46701234567 and type(leads[2][1]) is int
    assert leads[1][3] == dt.datetime(2027, 3, 2) and type(leads[1][3]) is dt.datetime  # openpyxl's type
    assert leads[1][4] == dt.datetime(2027, 3, 2, 13, 45, 12)
    assert (leads[1][5], type(leads[1][5])) == (42, int) and leads[1][7] is True


def test_every_safe_number_format_is_read_alike(tmp_path):
    path = tmp_path / "formats.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    for row, pattern in enumerate(sorted(SAFE_FORMATS), start=1):
        # a date format's cells hold dates (a time, or a day before March 1900, is openpyxl's alone)
        values = (46000, 46000.75, 73051) if is_date_format(pattern) else (46000, 46000.75, 12, 0.5, -7.25, 0)
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value).number_format = pattern
    wb.save(path)
    expected, got = both_reads(path)
    assert got is not None
    assert differences(expected, got) == []


@pytest.mark.parametrize("case", ["error", "escape", "1904", "format", "time", "old date", "huge number"])
def test_what_calamine_would_read_otherwise_is_left_to_openpyxl(tmp_path, case):
    path = tmp_path / "crm.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Företag", "Värde"])
    cell = ws.cell(row=2, column=2)
    if case == "error":
        cell.value = "#N/A"  # openpyxl stores it as an error cell; calamine would give ''
        assert cell.data_type == "e"
    elif case == "escape":
        cell.value = "rad ett_x000D_"  # Excel's carriage return: openpyxl keeps the text, calamine decodes it
    elif case == "1904":
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
        cell.value = dt.datetime(2027, 3, 1)
    elif case == "format":
        cell.value = 46000
        cell.number_format = "[$-F800]dddd, mmmm dd, yyyy"  # not known to be read alike
    elif case == "time":
        cell.value = dt.time(13, 45)
    elif case == "old date":
        cell.value = dt.datetime(1900, 2, 1)
    elif case == "huge number":
        cell.value = 2 ** 60 + 0.0
    ws.cell(row=2, column=1, value="Volvo Cars")
    wb.save(path)
    assert read_values(path, None, str(path)) is None
    # the read-only backend falls back to openpyxl: the same grid as an ordinary read
    assert LocalWorkbook(path, reading_only=True).read().grids == LocalWorkbook(path).read().grids


def test_a_damaged_file_is_the_same_one_line_through_a_read_only_backend(tmp_path):
    path = tmp_path / "crm.xlsx"
    path.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(CorruptSpreadsheet) as ordinary:
        LocalWorkbook(path).read()
    with pytest.raises(CorruptSpreadsheet) as reading_only:
        LocalWorkbook(path, reading_only=True).read()
    assert str(reading_only.value) == str(ordinary.value)


def test_xml_openpyxl_refuses_is_damaged_through_a_read_only_backend_too(tmp_path):
    """calamine reads a character XML cannot hold (`&#7;`); openpyxl calls the file damaged."""
    path = book(tmp_path / "crm.xlsx", {"Leads": [["Företag"], ["Volvo"]]})
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/"):
                data = data.replace(b">Volvo<", b">Vol&#7;vo<")
            dst.writestr(item, data)
    assert read_values(patched, None, str(patched)) is None
    with pytest.raises(CorruptSpreadsheet) as ordinary:
        LocalWorkbook(patched).read()
    with pytest.raises(CorruptSpreadsheet) as reading_only:
        LocalWorkbook(patched, reading_only=True).read()
    assert str(reading_only.value) == str(ordinary.value)


def test_a_read_only_backend_never_writes(tmp_path):
    path = tmp_path / "crm.xlsx"
    LocalWorkbook(path).create("student")
    before = path.read_bytes()
    with pytest.raises(TypeError):
        LocalWorkbook(path, reading_only=True).apply(ChangeSet(), RunInfo.new("test"))
    assert path.read_bytes() == before


def _modules_after_check(path: Path, command: str = "check") -> dict:
    program = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from chas_sheets.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['--today', '{TODAY}', {command!r}, {str(path)!r}])\n"
        "print(json.dumps({'exit_code': result.exit_code, 'output': result.output,\n"
        "                  'modules': sorted({m.split('.')[0] for m in sys.modules})}))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _output_through_openpyxl(monkeypatch, command: str, path: Path) -> str:
    """The command's output in this process, every read made by openpyxl (as before local_read)."""
    monkeypatch.setattr(local_read, "read_values", lambda *args: None)
    return CliRunner().invoke(cli, ["--today", str(TODAY), command, str(path)]).output


def test_check_on_a_demo_crm_never_imports_openpyxl(demo, monkeypatch):
    crm = next(path for path in demo if path.parent.name == "grupper")
    seen = _modules_after_check(crm)
    assert seen["exit_code"] == 0, seen["output"]
    assert "python_calamine" in seen["modules"]
    assert "openpyxl" not in seen["modules"]
    assert seen["output"] == _output_through_openpyxl(monkeypatch, "check", crm)  # the same report


def test_check_on_a_workbook_calamine_cannot_read_exactly_reads_it_with_openpyxl(make_crm):
    crm = make_crm("student", Leads=[{"ID": "L-AAAAAA", "Företag": "Volvo Cars"}])
    wb = openpyxl.load_workbook(crm)
    wb["Leads"]["Z2"] = "#N/A"  # an error cell: calamine would read it as an empty cell
    wb.save(crm)
    assert read_values(crm, None, str(crm)) is None
    seen = _modules_after_check(crm)
    assert seen["exit_code"] == 0, seen["output"]
    assert "openpyxl" in seen["modules"]
    assert seen["output"] == CliRunner().invoke(cli, ["--today", str(TODAY), "check", str(crm)]).output


def test_status_reads_only_and_imports_no_openpyxl_either(demo, monkeypatch):
    crm = next(path for path in demo if path.parent.name == "grupper")
    seen = _modules_after_check(crm, "status")
    assert seen["exit_code"] == 0, seen["output"]
    assert "openpyxl" not in seen["modules"]
    assert seen["output"] == _output_through_openpyxl(monkeypatch, "status", crm)
