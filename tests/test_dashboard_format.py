"""Tool-owned tabs are laid out for reading and printing, the same way on both backends:
widths from content, dates as dates, a frozen bold header, the Dashboard's status colours,
print setup, two charts (groups, students) below the table, `Nattkörning` hidden.

The printed register is checked as a person sees it: LibreOffice headless turns the demo's
register into a PDF (skipped where LibreOffice is absent; the text checks need pdftotext)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from test_nightly_google import google, night  # noqa: F401  (the emulator fixture)

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.demo.workspace import build_demo
from chas_sheets.nightly.report import DASHBOARD, DASHBOARD_CHART, OWNED_TABS
from chas_sheets.nightly.state import STATE_TAB
from chas_sheets.sheet.changes import ChangeSet, TabReplacement
from chas_sheets.sheet.layout import (
    CM_PER_CHARACTER,
    HIDDEN_TABS,
    MAX_WIDTH,
    PRINTABLE_CM,
    STATUS_FILLS,
    owned_tab_format,
)
from chas_sheets.sheet.writeplan import RunInfo

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
TODAY = dt.date(2027, 5, 12)
SHOWN_TABS = (*OWNED_TABS, "Delning")
# Measured on the demo register (2027-05-12): one page per visible tab (each fits one page
# wide and is shorter than a page) plus the Dashboard's chart page: 10 pages before Gruppbild
# and Dialoger, 12 with them. Before the layout: 70, 44 of them Nattkörning's summaries.

HEADERS = ("Datum", "Typ", "Namn", "Status", "Orsak", "Nya leads 7 d", "Mot mål", "Mål")


def dashboard_rows(groups: int, students: int) -> list[tuple]:
    rows = [(TODAY, "Grupp", f"Grupp {i}", "OK", "", 3, 20 + i, 30) for i in range(groups)]
    rows += [(TODAY, "Studerande", f"Student {i}", "Efter", "x " * 60, None, i, 50) for i in range(students)]
    return rows


# the layout (pure) --------------------------------------------------------------------------
def test_widths_come_from_content_capped_and_wrapped():
    fmt = owned_tab_format(DASHBOARD, HEADERS, dashboard_rows(2, 3))
    width = dict(zip(HEADERS, fmt.widths))
    assert width["Datum"] >= 10  # a date never shows as ###
    assert width["Orsak"] == MAX_WIDTH and HEADERS.index("Orsak") in fmt.wrapped  # 120 characters: wrapped
    assert width["Nya leads 7 d"] < len("Nya leads 7 d")  # the header wraps over its single digits
    assert width["Namn"] >= len("Student 0")
    assert fmt.date_columns == (0,)
    assert fmt.status_column == HEADERS.index("Status")
    assert fmt.lines[0] > 1 and all(lines > 1 for lines in fmt.lines[3:])  # wrapped rows are taller


def test_the_dashboard_gets_one_chart_for_groups_and_one_for_students_below_the_table():
    fmt = owned_tab_format(DASHBOARD, HEADERS, dashboard_rows(2, 3), DASHBOARD_CHART)
    groups, students = fmt.charts
    assert (groups.first_row, groups.last_row) == (2, 3) and (students.first_row, students.last_row) == (4, 6)
    assert groups.title.startswith("Grupper") and students.title.startswith("Studerande")
    assert groups.series == students.series == (HEADERS.index("Mot mål"), HEADERS.index("Mål"))
    assert groups.anchor_row == students.anchor_row == 2 + 5 + 1  # one blank row under the table
    left_of_students = sum(fmt.widths[:students.anchor_col]) * CM_PER_CHARACTER
    assert left_of_students >= groups.width_cm  # side by side, not over each other


def test_a_chart_is_never_higher_than_a_printed_page():
    fmt = owned_tab_format(DASHBOARD, HEADERS, dashboard_rows(3, 400), DASHBOARD_CHART)
    table_cm = sum(fmt.widths) * CM_PER_CHARACTER
    scale = min(1.0, PRINTABLE_CM[0] / max(table_cm, sum(c.width_cm for c in fmt.charts)))
    assert all(c.height_cm * scale <= PRINTABLE_CM[1] for c in fmt.charts)


def test_a_tab_without_declared_charts_draws_the_replacements_own():
    spec = {"type": "column", "title": "Företag mot mål", "category": "Grupp", "series": ["Företag", "Mål"]}
    fmt = owned_tab_format("Gruppbild", ("Grupp", "Företag", "Mål"), [("G1", 3, 10), ("G2", 5, 10)], spec)
    [chart] = fmt.charts
    assert (chart.kind, chart.category, chart.series, chart.first_row, chart.last_row) == ("column", 0, (1, 2), 2, 3)
    assert owned_tab_format("Gruppbild", ("Grupp",), [("G1",)]).charts == ()


def test_only_the_tools_state_is_hidden():
    assert STATE_TAB in HIDDEN_TABS
    assert owned_tab_format(STATE_TAB, ("CRM",), [("x",)]).hidden
    assert not any(owned_tab_format(t, ("Datum",), [(TODAY,)]).hidden for t in SHOWN_TABS)


# local (.xlsx) -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_register(tmp_path_factory):
    """The demo's register after a night, as a new user makes it."""
    register = build_demo(tmp_path_factory.mktemp("demo") / "demo", TODAY)["register"]
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "nightly", str(register), "--apply"])
    assert result.exit_code == 0, result.output
    return register


def test_every_tool_owned_tab_is_laid_out(demo_register):
    wb = openpyxl.load_workbook(demo_register)
    for title in SHOWN_TABS:
        ws = wb[title]
        headers = [c.value for c in ws[1] if c.value is not None]
        assert ws.freeze_panes == "A2", title
        assert all(c.font.b for c in ws[1] if c.value is not None), title
        assert all(ws.column_dimensions[c.column_letter].width for c in ws[1] if c.value is not None), title
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), title
        assert ws.print_title_rows == "$1:$1", title
        assert ws.sheet_state == "visible"
        if "Datum" in headers and ws.max_row > 1:
            assert ws.cell(row=2, column=headers.index("Datum") + 1).is_date, title
            assert ws.column_dimensions["A"].width >= 10


def test_the_dashboard_has_status_colours_and_two_charts_and_nattkorning_is_hidden(demo_register):
    wb = openpyxl.load_workbook(demo_register)
    ws = wb[DASHBOARD]
    headers = [c.value for c in ws[1]]
    status = openpyxl.utils.get_column_letter(headers.index("Status") + 1)
    rules = {(str(rng.sqref), rule.formula[0], rule.dxf.fill.fgColor.rgb[-6:])
             for rng in ws.conditional_formatting for rule in rng.rules}
    assert rules == {(f"{status}2:{status}{ws.max_row}", f'"{word}"', fill) for word, fill in STATUS_FILLS.items()}
    assert [b.id for b in ws.row_breaks.brk] == [ws.max_row]  # the charts start a page of their own
    assert wb[STATE_TAB].sheet_state == "hidden" and wb.active.sheet_state == "visible"
    with zipfile.ZipFile(demo_register) as z:  # openpyxl does not read charts back: the parts are the evidence
        charts = [z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 2
    assert any("Grupper:" in c for c in charts) and any("Studerande:" in c for c in charts)


def test_a_new_tool_owned_tab_is_laid_out_and_a_rewrite_does_not_pile_up_formats(tmp_path):
    path = tmp_path / "register.xlsx"
    LocalWorkbook(path).create("register")
    backend = LocalWorkbook(path)
    for rows in (dashboard_rows(2, 3), dashboard_rows(1, 1)):
        backend.apply(ChangeSet(replacements=[
            TabReplacement(DASHBOARD, HEADERS, tuple(rows), DASHBOARD_CHART),
            TabReplacement("Veckans lista", ("Datum", "Uppgift"), ((TODAY, "Ring Volvo " * 8),))]),
            RunInfo.new("nightly"))  # a tab no contract names yet: laid out all the same
    wb = openpyxl.load_workbook(path)
    todo = wb["Veckans lista"]
    assert todo.freeze_panes == "A2" and todo.page_setup.orientation == "landscape"
    assert todo.column_dimensions["B"].width == MAX_WIDTH and todo["B2"].alignment.wrap_text
    dashboard = wb[DASHBOARD]
    assert sum(len(rng.rules) for rng in dashboard.conditional_formatting) == len(STATUS_FILLS)
    assert [b.id for b in dashboard.row_breaks.brk] == [3]


# printed (LibreOffice) -------------------------------------------------------------------------
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed on this machine")
def test_the_printed_register_is_short_and_readable(demo_register, tmp_path):
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(demo_register)],
                   check=True, capture_output=True, timeout=300)
    pdf = (tmp_path / "register.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    visible = [ws for ws in openpyxl.load_workbook(demo_register).worksheets if ws.sheet_state == "visible"]
    assert 0 < pages <= len(visible) + 1 + 2  # a page per visible tab, the chart page, 2 spare for fonts
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed: the page count was checked, the text is not")
    text = subprocess.run([PDFTOTEXT, "-layout", str(tmp_path / "register.pdf"), "-"],
                          check=True, capture_output=True, text=True, timeout=120).stdout
    assert "###" not in text  # no column too narrow for its dates or numbers
    assert "z1:" not in text and "Sammanfattning" not in text  # Nattkörning is never printed
    students = [r[2].value for r in openpyxl.load_workbook(demo_register)[DASHBOARD].iter_rows(min_row=2)
                if r[1].value == "Studerande"]
    [chart_page] = [p for p in text.split("\f") if "Grupper:" in p and "Studerande:" in p]
    assert all(name in chart_page for name in students)  # every bar's label on the page: no chart split


# Google (the emulator) ---------------------------------------------------------------------------
def sheets(ws, register, ranges: list[str]) -> dict:
    book = ws.open(register.target)._client().get_json(
        f"https://sheets.googleapis.com/v4/spreadsheets/{register.key}",
        params={"includeGridData": "true", "ranges": ranges,
                "fields": "sheets(properties,conditionalFormats,data.columnMetadata.pixelSize)"})
    return {s["properties"]["title"]: s for s in book["sheets"]}


def test_google_tool_owned_tabs_get_frozen_headers_widths_colours_and_a_hidden_state_tab(google):  # noqa: F811
    ws, clock, register, _ = google
    night(ws, clock, register)
    found = sheets(ws, register, [f"'{t}'!A1:AA2" for t in (*OWNED_TABS, STATE_TAB)])
    assert found[STATE_TAB]["properties"]["hidden"] is True
    for title in OWNED_TABS:
        props = found[title]["properties"]
        assert props["gridProperties"]["frozenRowCount"] == 1 and not props.get("hidden"), title
    headers = list(owned_tab_headers(ws, register))
    widths = [c.get("pixelSize") for c in found[DASHBOARD]["data"][0]["columnMetadata"]]
    assert widths[headers.index("Orsak")] > widths[headers.index("Typ")] > 0
    assert widths[headers.index("Datum")] >= 10 * 7 + 5  # a date's ten characters fit
    rules = found[DASHBOARD]["conditionalFormats"]
    status = headers.index("Status")
    assert [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules] == list(STATUS_FILLS)
    assert all(r["booleanRule"]["condition"]["type"] == "TEXT_EQ" for r in rules)
    assert all(r["ranges"][0]["startColumnIndex"] == status for r in rules)
    green = rules[0]["booleanRule"]["format"]["backgroundColor"]
    assert round(green["green"] * 255) == int(STATUS_FILLS["OK"][2:4], 16)


def owned_tab_headers(ws, register):
    return ws.open(register.target).read([DASHBOARD]).grids[DASHBOARD][0]


def test_google_a_new_tool_owned_tab_gets_widths_and_wrapping(google):  # noqa: F811
    ws, _, register, _ = google
    backend: GoogleSpreadsheet = ws.open(register.target)
    long_task = "Ring Volvo " * 8
    assert backend.apply(ChangeSet(replacements=[TabReplacement("Att göra", ("Datum", "Uppgift"),
                                                                ((TODAY, long_task),))]), RunInfo.new("nightly")).written
    book = backend._client().get_json(
        f"https://sheets.googleapis.com/v4/spreadsheets/{register.key}",
        params={"includeGridData": "true", "ranges": ["'Att göra'!A1:B2"],
                "fields": "sheets(properties.gridProperties,data(columnMetadata.pixelSize,"
                          "rowData.values(userEnteredFormat(wrapStrategy,numberFormat))))"})
    [sheet] = book["sheets"]
    assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
    data = sheet["data"][0]
    fmt = owned_tab_format("Att göra", ("Datum", "Uppgift"), [(TODAY, long_task)])
    assert [c["pixelSize"] for c in data["columnMetadata"][:2]] == [int(w * 7 + 5) for w in fmt.widths]
    assert fmt.widths[1] == MAX_WIDTH
    date_cell, task_cell = data["rowData"][1]["values"][:2]
    assert date_cell["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert task_cell["userEnteredFormat"]["wrapStrategy"] == "WRAP"

