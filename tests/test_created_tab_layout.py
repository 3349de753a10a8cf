"""A template tab that a run creates because it found it missing (`Körningar` in a CRM made
before it existed, `Ändringslogg`) is laid out as `init` lays it out, on both backends: the
`Jobb` dropdown, the widths, the bold frozen header and the tool-owned columns marked."""

from __future__ import annotations

import gspread
import openpyxl
import pytest

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import SHEETS_URL
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import execute
from chas_sheets.sheet.changes import ChangeSet, RowAppend
from chas_sheets.sheet.layout import created_tab_layout, layout_for

JOBS = ["Skörd", "Förhandsvisa skörd", "Bearbetade", "Rensa kommentarer", "Dubbletter", "Ångra"]


def a_run(backend) -> None:
    changes = ChangeSet()
    changes.appends.append(RowAppend("Leads", {"ID": "L-AAAAAA", "Företag": "Volvo"}))
    assert execute(backend, changes, "mark-processed", True).written == 1


def test_only_a_template_tab_with_the_templates_headers_gets_a_layout():
    runs = layout_for("student").tabs[[t.title for t in layout_for("student").tabs].index("Körningar")]
    assert created_tab_layout("Körningar", runs.headers) == runs
    assert created_tab_layout("Körningar", [*runs.headers, "Extra"]) == runs
    assert created_tab_layout("Körningar", ["Jobb"]) is None
    assert created_tab_layout("Något eget", ["Jobb"]) is None


# Local -----------------------------------------------------------------------------------------
def local_layout(path, tab="Körningar") -> dict:
    ws = openpyxl.load_workbook(path)[tab]
    return {
        "validations": sorted((str(dv.sqref), dv.formula1, dv.showErrorMessage) for dv in ws.data_validations.dataValidation),
        "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
        "freeze": ws.freeze_panes,
        "header": [(c.value, c.font.b, c.fill.fgColor.rgb) for c in ws[1] if c.value is not None],
    }


@pytest.mark.parametrize("tab", ["Körningar", "Ändringslogg"])
def test_a_tab_made_on_the_fly_locally_is_laid_out_like_inits(tmp_path, tab):
    made = tmp_path / "init.xlsx"
    LocalWorkbook(made).create("student")
    old = tmp_path / "old.xlsx"
    LocalWorkbook(old).create("student")
    wb = openpyxl.load_workbook(old)
    del wb[tab]
    wb.save(old)
    a_run(LocalWorkbook(old))
    assert local_layout(old, tab) == local_layout(made, tab)
    if tab == "Körningar":
        validations = local_layout(old)["validations"]
        assert any(formula == '"' + ",".join(JOBS) + '"' for _, formula, _ in validations)


# Google ----------------------------------------------------------------------------------------
def google_layout(app, key: str, tab: str = "Körningar") -> dict:
    """The tab as Google shows it, where a new row (3) and the template's last row (1001) show
    the validations; the run's own row (2) is left out."""
    fields = ("sheets(properties(title,gridProperties),protectedRanges(range(startColumnIndex,endColumnIndex),"
              "description,warningOnly),data(columnMetadata.pixelSize,rowData.values(dataValidation,"
              "userEnteredValue,userEnteredFormat(textFormat.bold,backgroundColor))))")
    answer = emulator_session(app).get(f"{SHEETS_URL}/{key}", params={
        "ranges": [f"'{tab}'!1:1", f"'{tab}'!3:3", f"'{tab}'!1001:1001"], "fields": fields}).json()
    sheet = answer["sheets"][0]
    return {"properties": sheet["properties"], "protected": sheet.get("protectedRanges"), "data": sheet["data"]}


@pytest.mark.parametrize("tab", ["Körningar", "Ändringslogg"])
def test_a_tab_made_on_the_fly_on_google_is_laid_out_like_inits(tab):
    app = make_app()
    made = GoogleSpreadsheet.new("student", session=emulator_session(app))
    old = GoogleSpreadsheet.new("student", session=emulator_session(app))
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(old.key)
    book.del_worksheet(book.worksheet(tab))
    a_run(GoogleSpreadsheet(old.key, session=emulator_session(app)))
    found, expected = google_layout(app, old.key, tab), google_layout(app, made.key, tab)
    assert found == expected
    if tab == "Körningar":
        rule = found["data"][1]["rowData"][0]["values"][0]["dataValidation"]  # Jobb, a new row
        assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == JOBS
