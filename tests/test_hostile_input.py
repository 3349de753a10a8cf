"""Hostile and odd workbooks through the CLI: the right result, or one line naming where.

Each fixture is a small workbook built in `tmp_path` and named after its problem. Every run
goes through `chas-sheets` itself (CliRunner), so what is asserted is what a user sees: an
exit code, no traceback, and for an error exactly one line naming the tab (and the row and
column where there is one).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import book

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.sheet.changes import CellChange, ChangeSet, RowAppend
from chas_sheets.sheet.writeplan import RunInfo

TODAY = "2027-05-12"
LEADS = ["ID", "Företag", "Kontaktperson", "Telefon", "Status", "Bearbetad", "Kommentar"]
LOG = ["Datum", "Företag", "Kontaktperson", "Kanal", "Utfall"]
# Every command that reads one CRM, each in its writing form where it has one.
COMMANDS = [
    ["check"],
    ["status"],
    ["mark-processed", "--apply"],
    ["clean-comments", "--apply"],
    ["dedupe", "--apply"],
    ["harvest", "--prepare", "--apply"],
]


def crm(tmp_path: Path, name: str, leads: list[list], log: list[list] = (), header=LEADS) -> Path:
    return book(tmp_path / name, {"Leads": [header, *leads], "Kontaktlogg": [LOG, *log]})


def run(*args) -> "click.testing.Result":
    result = CliRunner().invoke(cli, ["--today", TODAY, *map(str, args)])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}\n{result.output}")
    return result


def one_line_error(result, after_plan: bool = False) -> str:
    """The error as one line; `after_plan`: a write refused after the plan was shown."""
    assert result.exit_code == 1, result.output[-500:]
    lines = result.output.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert errors == lines[-1:] and (after_plan or len(lines) == 1), result.output[-500:]
    return errors[0]


def sheet(path: Path, title: str = "Leads"):
    return openpyxl.load_workbook(path)[title]


def row_values(path: Path, row: int, title: str = "Leads") -> list:
    return [c.value for c in sheet(path, title)[row]]


def by_header(path: Path, title: str = "Leads", header_row: int = 1) -> list[dict]:
    ws = sheet(path, title)
    headers = [c.value for c in ws[header_row]]
    return [{h: c.value for h, c in zip(headers, row) if h} for row in ws.iter_rows(min_row=header_row + 1)]


# ------------------------------------------------------------------ unreadable and empty

@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_empty_file_is_one_line_error(tmp_path, command):
    path = tmp_path / "tom_fil.xlsx"
    path.write_bytes(b"")
    line = one_line_error(run(command[0], path, *command[1:]))
    assert "tom_fil.xlsx" in line and "not a readable .xlsx" in line
    assert path.read_bytes() == b""


def test_text_file_named_xlsx_is_one_line_error(tmp_path):
    path = tmp_path / "inte_excel.xlsx"
    path.write_text("Företag;Telefon\nVolvo;0701\n", encoding="utf-8")
    assert "not a readable .xlsx" in one_line_error(run("mark-processed", path, "--apply"))


def test_raw_control_character_in_xml_is_one_line_error(tmp_path):
    """XML cannot hold \\x07 at all: a file that has one is damaged, said in one line."""
    path = crm(tmp_path, "kontrolltecken_i_xml.xlsx", [["", "Volvo", "Anna", "0701", "Ny"]])
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b">Volvo<", b">Vol&#7;vo<")
            dst.writestr(item, data)
    assert "not a readable .xlsx" in one_line_error(run("status", patched))


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] not in ("check", "harvest")], ids=lambda c: c[0])
def test_empty_leads_sheet_is_one_line_error_naming_the_tab(tmp_path, command):
    path = book(tmp_path / "tom_flik.xlsx", {"Leads": []})
    line = one_line_error(run(command[0], path, *command[1:]))
    assert "'Leads'" in line and "header row" in line


def test_check_reports_empty_sheet_as_unusable(tmp_path):
    path = book(tmp_path / "tom_flik.xlsx", {"Leads": []})
    result = run("check", path)
    assert result.exit_code == 1
    assert "ERROR   Leads: tab 'Leads' is empty" in result.output


@pytest.mark.parametrize("command", COMMANDS[:5], ids=lambda c: c[0])
def test_header_only_changes_nothing(tmp_path, command):
    path = crm(tmp_path, "bara_rubriker.xlsx", [])
    before = path.read_bytes()
    result = run(command[0], path, *command[1:])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before


# ------------------------------------------------------------------ where the header is

def test_title_row_above_header_is_left_alone(tmp_path):
    path = book(tmp_path / "titelrad.xlsx", {
        "Leads": [["Våra leads, vt 2027"], [], LEADS, ["", "Volvo", "Anna", "0701234567", "Ny"]],
        "Kontaktlogg": [["Kontakter"], LOG, [dt.date(2027, 5, 3), "Volvo", "Anna", "Telefon", "Ja"]],
    })
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0, result.output
    assert row_values(path, 1)[0] == "Våra leads, vt 2027"
    lead = by_header(path, header_row=3)[0]
    assert (lead["Status"], lead["Telefon"]) == ("Ja", "0701234567")
    assert lead["Bearbetad"].date() == dt.date(2027, 5, 3)
    assert re.fullmatch(r"L-[0-9A-Z]{6}", lead["ID"])


def test_duplicate_header_first_is_used_second_kept_untouched(tmp_path):
    header = [*LEADS, "Företag"]
    path = crm(tmp_path, "dubbla_rubriker.xlsx", [["", "Volvo", "Anna", "0701", "Ny", None, None, "Volvo Cars"]],
               [[dt.date(2027, 5, 3), "Volvo", "Anna", "Telefon", "Nej"]], header=header)
    assert "column 'Företag' appears twice" in run("check", path).output
    assert run("mark-processed", path, "--apply").exit_code == 0
    row = row_values(path, 2)
    assert row[1:5] == ["Volvo", "Anna", "0701", "Nej"] and row[7] == "Volvo Cars"
    assert [c.value for c in sheet(path)[1]][:8] == header


def test_merged_header_and_title_cells(tmp_path):
    path = book(tmp_path / "sammanslagna_rubriker.xlsx", {
        "Leads": [["Leads"], ["ID", "Företag", "Kontaktperson", "Status", "Kommentar"],
                  ["", "Volvo", "Anna", "Ny", "Ringde 3/5", "mer text"]],
        "Kontaktlogg": [LOG, [dt.date(2027, 5, 3), "Volvo", "Anna", "Telefon", "Ja"]],
    })
    wb = openpyxl.load_workbook(path)
    wb["Leads"].merge_cells("A1:F1")
    wb["Leads"].merge_cells("E2:F2")  # 'Kommentar' spans two columns
    wb.save(path)
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0, result.output
    ws = sheet(path)
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:F1", "E2:F2"}
    assert [c.value for c in ws[2]][:7] == ["ID", "Företag", "Kontaktperson", "Status", "Kommentar", None, "Bearbetad"]
    assert [c.value for c in ws[3]][3:6] == ["Ja", "Ringde 3/5", "mer text"]
    assert ws.cell(3, 7).value.date() == dt.date(2027, 5, 3)


def test_merged_data_cell_is_skipped_and_reported_not_a_crash(tmp_path):
    path = crm(tmp_path, "sammanslagna_celler.xlsx",
               [["", "Volvo", "Anna", "0701", "Ny"], ["", "Volvo", "Bo", "0702", None]],
               [[dt.date(2027, 5, 3), "Volvo", "Bo", "Telefon", "Ja"]])
    wb = openpyxl.load_workbook(path)
    wb["Leads"].merge_cells("E2:E3")  # Status of both leads as one cell
    wb.save(path)
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0
    assert re.search(r"skipped: Leads row 3 \(L-\w+\), Status: inside merged cells", result.output)
    ws = sheet(path)
    assert "E2:E3" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["E2"].value == "Ny" and ws["F3"].value.date() == dt.date(2027, 5, 3)


def test_hidden_rows_and_columns_are_read_written_and_stay_hidden(tmp_path):
    path = crm(tmp_path, "dolda_rader.xlsx", [["", "Volvo", "Anna", "0701", "Ny"], ["", "Saab", "Bo", "0702", None]],
               [[dt.date(2027, 5, 3), "Saab", "Bo", "Telefon", "Nej"]])
    wb = openpyxl.load_workbook(path)
    wb["Leads"].row_dimensions[3].hidden = True
    wb["Leads"].column_dimensions["E"].hidden = True
    wb.save(path)
    assert run("mark-processed", path, "--apply").exit_code == 0
    ws = sheet(path)
    assert ws.row_dimensions[3].hidden and ws.column_dimensions["E"].hidden
    assert ws["E3"].value == "Nej"


# ------------------------------------------------------------------ odd values

def with_cached_result(path: Path, coordinate: str, result: str) -> None:
    """Give a formula cell the result a spreadsheet program would have stored with it."""
    patched = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = re.compile(rb'<c r="%s"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?' % coordinate.encode())
                data, count = cell.subn(lambda m: b'<c r="%s" t="str"><f>%s</f><v>%s</v>'
                                        % (coordinate.encode(), m.group(2), result.encode()), data)
                assert count == 1, data
            dst.writestr(item, data)
    patched.replace(path)


def test_formula_values_are_read_and_formulas_kept(tmp_path):
    path = crm(tmp_path, "formler.xlsx", [["", '=CONCAT("Vol","vo")', "Anna", "0701", "Ny", None, '="Ringde "&"3/5"']],
               [[dt.date(2027, 5, 3), "Volvo", "Anna", "Telefon", "Ja"]])
    with_cached_result(path, "B2", "Volvo")
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0, result.output
    assert "Volvo (Anna): Status Ny -> Ja" in result.output  # matched by the formula's value
    assert "skipped" not in result.output
    row = row_values(path, 2)
    assert row[1] == '=CONCAT("Vol","vo")' and row[6] == '="Ringde "&"3/5"'
    assert row[4] == "Ja" and re.fullmatch(r"L-\w{6}", row[0])


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def test_dates_stored_as_numbers_or_text(tmp_path):
    path = crm(tmp_path, "datum_som_tal_och_text.xlsx", [["", "Volvo", "Anna", "0701", "Ny"]], [
        ["2027-05-02", "Volvo", "Anna", "Telefon", "Nej"],
        ["3/5 2027", "Volvo", "Anna", "Mejl", "Inget svar"],
        [excel_serial(dt.date(2027, 5, 6)), "Volvo", "Anna", "Telefon", "Ja"],
    ])
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0, result.output
    lead = by_header(path)[0]
    assert lead["Status"] == "Ja" and lead["Bearbetad"].date() == dt.date(2027, 5, 6)
    assert [r["Datum"] for r in by_header(path, "Kontaktlogg")][:2] == ["2027-05-02", "3/5 2027"]


def with_text(path: Path, placeholder: str, text: str) -> None:
    """Put a text openpyxl would not write (longer than Excel's 32,767) into the sheet's XML."""
    patched = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item).replace(placeholder.encode(), text.encode()))
    patched.replace(path)


def test_fifty_thousand_character_cell_is_kept_whole_or_not_written(tmp_path):
    """Google holds 50,000 characters in a cell, .xlsx 32,767: openpyxl would cut a longer
    text silently, so a write that needs one refuses in one line and changes nothing."""
    long_comment = ("Ringde 22/2, pratade med Fatima (HR). Verkar chill typ. " * 900)[:50_000]
    path = crm(tmp_path, "lang_cell.xlsx", [["", "Volvo", "Anna", "0701", "Ny", None, "LÅNG_KOMMENTAR"]],
               [[dt.date(2027, 5, 3), "Volvo", "Anna", "Telefon", "Ja"]])
    with_text(path, "LÅNG_KOMMENTAR", long_comment)
    assert run("mark-processed", path, "--apply").exit_code == 0
    assert row_values(path, 2)[4] == "Ja" and row_values(path, 2)[6] == long_comment  # read and kept whole
    before = path.read_bytes()
    line = one_line_error(run("clean-comments", path, "--apply"), after_plan=True)
    assert re.search(r"(Leads|Ändringslogg) row \d+, column [A-Z]+: a text of [\d,]+ characters", line), line
    assert path.read_bytes() == before


def test_emoji_and_right_to_left_text(tmp_path):
    path = crm(tmp_path, "emoji_och_hoger_till_vanster.xlsx",
               [["", "Volvo 🚗", "אנה כהן", "+972 50 123 4567", "Ny", None, "שלום 👋 مرحبا"]],
               [[dt.date(2027, 5, 3), "Volvo", "אנה כהן", "Telefon", "Ja"]])
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0, result.output
    row = row_values(path, 2)
    assert row[1:5] == ["Volvo 🚗", "אנה כהן", "+972 50 123 4567", "Ja"] and row[6] == "שלום 👋 مرحبا"


def test_company_named_in_arabic_script_matches_its_log_rows(tmp_path):
    path = crm(tmp_path, "arabiskt_foretag.xlsx", [["", "شركة النور", "Anna", "0701", "Ny"]],
               [[dt.date(2027, 5, 3), "شركة النور", "Anna", "Telefon", "Ja"]])
    run("mark-processed", path, "--apply")
    assert by_header(path)[0]["Status"] == "Ja"


CONTROL = "".join(chr(c) for c in range(0x20))  # \x00-\x1f, openpyxl refuses most of them


def test_control_characters_are_written_without_crash_and_nothing_else_changes(tmp_path):
    """A value with control characters (from Google, or a paste) written to .xlsx: the
    characters .xlsx cannot store become Excel's `_xHHHH_` escapes; tab, newline and
    everything else stay as they were, in the cell and in Ändringslogg."""
    path = crm(tmp_path, "kontrolltecken.xlsx", [["L-AAAAAA", "Volvo", "Anna", "0701", "Ny", None, "hej"]])
    text = f"före{CONTROL}efter"
    changes = ChangeSet(cells=[CellChange("Leads", "L-AAAAAA", "Kommentar", "hej", text)],
                        appends=[RowAppend("Leads", {"ID": "L-BBBBBB", "Företag": f"Saab{CONTROL}"})])
    result = LocalWorkbook(path).apply(changes, RunInfo.new("test"))
    assert result.written and not result.skipped
    stored = row_values(path, 2)[6]
    assert stored.startswith("före_x0000_") and stored.endswith("_x001F_efter")
    # XML reads a stored carriage return back as a line feed (the same line break)
    assert re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), stored) == text.replace("\r", "\n")
    assert row_values(path, 3)[1].startswith("Saab_x0000_")
    assert any(r.get("Efter", "") and "_x0007_" in r["Efter"] for r in by_header(path, "Ändringslogg"))


# ------------------------------------------------------------------ tabs renamed or missing

def test_leads_tab_renamed_to_an_alias_still_works(tmp_path):
    path = book(tmp_path / "flik_alias.xlsx", {"kontakter ": [LEADS, ["", "Volvo", "Anna", "0701", "Ny"]],
                                                "KONTAKTLOGG": [LOG, [dt.date(2027, 5, 3), "Volvo", "Anna", "Telefon", "Ja"]]})
    assert run("mark-processed", path, "--apply").exit_code == 0
    assert by_header(path, "kontakter ")[0]["Status"] == "Ja"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] != "check"], ids=lambda c: c[0])
def test_leads_tab_renamed_beyond_recognition_is_one_line_error(tmp_path, command):
    path = book(tmp_path / "flik_omdopt.xlsx", {"Mina bolag": [LEADS, ["", "Volvo"]], "Kontaktlogg": [LOG],
                                                 "Medlemmar": [["Namn", "E-post", "Roll"]]})
    before = path.read_bytes()
    line = one_line_error(run(command[0], path, *command[1:]))
    assert re.search(r"no tab '(Leads|Skörd)'", line) or "'Leads'" in line, line
    assert path.read_bytes() == before


def test_required_tab_missing(tmp_path):
    path = book(tmp_path / "leads_saknas.xlsx", {"Kontaktlogg": [LOG]})
    line = one_line_error(run("mark-processed", path))
    assert "no tab 'Leads'" in line and "found Kontaktlogg" in line
    result = run("check", path)
    assert result.exit_code == 1 and "ERROR   Leads: tab missing" in result.output


def test_required_column_missing_names_tab_column_and_header_row(tmp_path):
    path = book(tmp_path / "kolumn_saknas.xlsx", {"Leads": [["Rubrik"], ["ID", "Namn", "Telefon"], ["", "x", "1"]]})
    line = one_line_error(run("status", path))
    assert "tab 'Leads' has no column 'Företag'" in line and "header row" in line


# ------------------------------------------------------------------ size

@pytest.mark.slow
def test_twenty_thousand_lead_crm_read_planned_and_applied(tmp_path):
    path = tmp_path / "tjugotusen_leads.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    leads, log = wb.create_sheet("Leads"), wb.create_sheet("Kontaktlogg")
    leads.append(LEADS)
    log.append(["ID", *LOG])
    for i in range(20_000):  # a CRM chas-sheets has run on: IDs in place, but 100 new rows
        leads.append([f"L-{i:06d}" if i >= 100 else "", f"Företag {i}", f"Person {i}", f"070{i:07d}", "Ny"])
        if i % 4 == 0:
            log.append([f"K-{i:06d}", dt.date(2027, 4, 1), f"Företag {i}", f"Person {i}", "Telefon",
                        "Ja" if i % 8 else "Nej"])
    wb.save(path)
    result = run("mark-processed", path, "--apply")
    assert result.exit_code == 0, result.output[-500:]
    assert "skipped" not in result.output
    rows = by_header(path)
    assert len(rows) == 20_000 and len({r["ID"] for r in rows}) == 20_000
    assert rows[150]["ID"] == "L-000150" and re.fullmatch(r"L-\w{6}", rows[50]["ID"])
    assert sum(r["Status"] in ("Ja", "Nej") for r in rows) == 5_000
    assert rows[19_999]["Telefon"] == "0700019999"


def test_a_file_name_too_long_for_the_system_is_one_line(tmp_path):
    name = tmp_path / ("a" * 260 + ".xlsx")
    for args in (["check", name], ["init", "student", name]):
        result = CliRunner().invoke(cli, ["--today", TODAY, *map(str, args)])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "cannot be opened" in lines[0] and "…" in lines[0]


def test_a_pipe_named_like_a_workbook_is_refused_at_once(tmp_path):
    """A FIFO would block the read until killed: it is refused before anything opens it."""
    import os
    import subprocess
    import sys

    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)
    done = subprocess.run([sys.executable, "-m", "chas_sheets.cli", "check", str(pipe)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: {pipe} is not a file (a pipe, socket or device): give an .xlsx workbook"


def test_a_leads_tab_without_its_header_row_names_no_data_in_the_error(tmp_path):
    """The header row deleted: the first row is a company's contact, and is not repeated."""
    path = book(tmp_path / "utan_rubriker.xlsx", {"Leads": [
        ["Acme AB", "Anna Svensson", "0701234567", "anna.svensson@acme.se"],
        ["Beta AB", "Bo Ek", "0709876543", "bo@beta.se"]]})
    for command in ("check", "status", "mark-processed", "dedupe", "clean-comments"):
        result = CliRunner().invoke(cli, ["--today", TODAY, command, str(path)])
        assert result.exit_code == 1, (command, result.output)
        assert "tab 'Leads' has no header row: none of its first 10 rows names a column it needs (Företag); " \
               "put the header row back above the data" in result.output, (command, result.output)
        assert "Anna" not in result.output and "Acme" not in result.output, (command, result.output)
