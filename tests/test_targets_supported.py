"""A target that is no workbook (a .csv, an .ods) is one line naming what chas-sheets reads,
not openpyxl's list of formats."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chas_sheets.backends import open_spreadsheet
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.errors import ChasSheetsError


@pytest.mark.parametrize("name", ["leads.csv", "crm.ods", "gammal.XLS", "saknas.csv"])
def test_a_target_that_is_no_workbook_names_what_is_supported(tmp_path, name):
    path = tmp_path / name
    if name != "saknas.csv":  # the file's ending decides, whether or not it exists
        path.write_text("Företag,Status\nVolvo,Ny\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith(f"Error: {path}: chas-sheets does not read {path.suffix.lower()} files")
    assert ".xlsx" in line and "Google Sheets URL or key" in line and "google:TITLE" in line
    assert "openpyxl" not in line and "Supported formats" not in line


def test_the_refusal_holds_for_the_backend_itself_and_workbooks_still_open(tmp_path):
    with pytest.raises(ChasSheetsError, match="does not read .csv files"):
        LocalWorkbook(tmp_path / "x.csv").read()
    with pytest.raises(ChasSheetsError, match="does not read .csv files"):
        open_spreadsheet(str(tmp_path / "x.csv"))
    workbook = tmp_path / "crm.xlsx"
    LocalWorkbook(workbook).create("student")
    assert "Leads" in open_spreadsheet(str(workbook)).read().titles
