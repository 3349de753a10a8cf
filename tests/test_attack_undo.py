"""Attack: does `undo RUN --apply` give back exactly what was there?

A dedupe removes a row; Excel-like, every formula over the rows shrinks with it
(`=COUNTA(Leads!B2:B4)` becomes `B2:B3`). Undo used to put the removed row back at the END of the
tab, outside the shrunk range, so the person's own summary formula silently counted one lead
fewer than before the run, for good. Now it goes back where it stood (between the neighbours the
log names), and the range grows back over it, as after Excel's own Ctrl+Z.
"""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import openpyxl.comments
import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli

TODAY = "2027-05-12"


def _crm_with_a_summary(make_crm):
    path = make_crm(
        "group",
        Leads=[
            {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson",
             "Status": "Ny", "Tillagd": dt.date(2027, 3, 1)},
            {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Anna Svensson",
             "Status": "Ny", "Tillagd": dt.date(2027, 3, 2)},
            {"ID": "L-CCCCCC", "Företag": "Spotify AB", "Kontaktperson": "Maja Ek", "Status": "Dialog",
             "Tillagd": dt.date(2027, 3, 4)},
        ],
    )
    wb = openpyxl.load_workbook(path)
    summary = wb.create_sheet("Översikt")
    summary["A1"], summary["B1"] = "Antal leads", "=COUNTA(Leads!B2:B4)"
    wb.save(path)
    return path


def _run_id(text: str) -> str:
    return re.search(r"run (\d{8}-\d{6}-[0-9a-f]{4})", text).group(1)


def test_undo_of_a_dedupe_gives_a_summary_formula_its_rows_back(make_crm):
    path = _crm_with_a_summary(make_crm)
    runner = CliRunner()
    done = runner.invoke(cli, ["--today", TODAY, "dedupe", str(path), "--apply"])
    assert done.exit_code == 0, done.output
    assert openpyxl.load_workbook(path)["Översikt"]["B1"].value == "=COUNTA(Leads!B2:B3)"  # as Excel does

    undone = runner.invoke(cli, ["--today", TODAY, "undo", str(path), _run_id(done.output), "--apply"])
    assert undone.exit_code == 0, undone.output
    wb = openpyxl.load_workbook(path)
    ids = [row[0].value for row in wb["Leads"].iter_rows(min_row=2)]
    assert sorted(i for i in ids if i) == ["L-AAAAAA", "L-BBBBBB", "L-CCCCCC"]  # the row is back...
    assert wb["Översikt"]["B1"].value == "=COUNTA(Leads!B2:B4)"  # ...and counted again


def _everything_kept(path) -> str:
    """All text the workbook still holds for a person: cell values, notes and link targets."""
    wb = openpyxl.load_workbook(path)
    parts = []
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                parts += [str(cell.value or ""), cell.comment.text if cell.comment else "",
                          (cell.hyperlink.target or "") if cell.hyperlink else ""]
    return "\n".join(parts)


NOTE = "Ida sa: ring efter 15, inte före"
AD = "https://www.volvocars.com/se/jobb/lia-2027"


def _duplicate_with_a_note_and_a_link(make_crm):
    path = make_crm(
        "group",
        Leads=[
            {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Ida Pettersson",
             "Status": "Ny", "Tillagd": dt.date(2027, 3, 1)},
            {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Ida Pettersson",
             "Status": "Ny", "Tillagd": dt.date(2027, 3, 2), "Källa": "Platsannons"},
        ],
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    headers = [c.value for c in ws[1]]
    ws.cell(3, headers.index("Kontaktperson") + 1).comment = openpyxl.comments.Comment(NOTE, "Nora")
    ws.cell(3, headers.index("Källa") + 1).hyperlink = AD  # the ad, linked from its cell
    wb.save(path)
    return path


def test_a_note_and_a_link_on_a_removed_duplicate_are_not_lost(make_crm):
    path = _duplicate_with_a_note_and_a_link(make_crm)
    assert NOTE in _everything_kept(path) and AD in _everything_kept(path)
    done = CliRunner().invoke(cli, ["--today", TODAY, "dedupe", str(path), "--apply"])
    assert done.exit_code == 0, done.output
    assert "L-BBBBBB" not in [row[0].value for row in openpyxl.load_workbook(path)["Leads"].iter_rows(min_row=2)]
    kept = _everything_kept(path)
    assert NOTE in kept and AD in kept  # on the surviving row, or at least in Ändringslogg


def test_undo_of_a_dedupe_brings_back_the_note_and_link_of_the_removed_row(make_crm):
    path = _duplicate_with_a_note_and_a_link(make_crm)
    runner = CliRunner()
    done = runner.invoke(cli, ["--today", TODAY, "dedupe", str(path), "--apply"])
    assert done.exit_code == 0, done.output
    undone = runner.invoke(cli, ["--today", TODAY, "undo", str(path), _run_id(done.output), "--apply"])
    assert undone.exit_code == 0, undone.output
    ws = openpyxl.load_workbook(path)["Leads"]
    back = [row for row in ws.iter_rows(min_row=2) if row[0].value == "L-BBBBBB"]
    assert back, "the removed row is back"
    assert [c.comment.text for c in back[0] if c.comment] == [NOTE]
    assert [c.hyperlink.target for c in back[0] if c.hyperlink] == [AD]


def test_on_google_a_note_on_a_removed_duplicate_survives_dedupe_and_undo():
    import json

    from emulator_workspace import EmulatorWorkspace

    from chas_sheets.backends.google_http import RetryPolicy
    from chas_sheets.dedupe.plan import plan_dedupe
    from chas_sheets.emulator import make_app
    from chas_sheets.runner import execute, read_tables
    from chas_sheets.undo.restore import undo_run

    ws = EmulatorWorkspace(make_app(), RetryPolicy(total_seconds=60, sleep=lambda seconds: None))
    crm = ws.fill("group", {"Leads": [
        {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Ida Pettersson", "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 1)},
        {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Ida Pettersson", "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 2)}]})
    leads = next(s for s in ws.app.store.get_spreadsheet(crm.key).sheets if s.title == "Leads")
    person = {"updateCells": {"range": {"sheetId": leads.sheet_id, "startRowIndex": 2, "endRowIndex": 3,
                                        "startColumnIndex": 8, "endColumnIndex": 9},
                              "rows": [{"values": [{"note": NOTE}]}], "fields": "note"}}
    crm._client().post_json(f"https://sheets.googleapis.com/v4/spreadsheets/{crm.key}:batchUpdate",
                            {"requests": [person]})

    def held() -> bool:
        sheets = ws.app.store.get_spreadsheet(crm.key).sheets
        return NOTE in json.dumps([s.to_json() for s in sheets], ensure_ascii=False, default=str)

    assert held()
    changes, _ = plan_dedupe(read_tables(crm, ["Leads"], ["Kontaktlogg"]), [], dt.date(2027, 5, 12))
    assert execute(crm, changes, "dedupe", apply=True).written
    kept = next(s for s in ws.app.store.get_spreadsheet(crm.key).sheets if s.title == "Leads").cells
    assert kept[(1, 8)].get("note") == NOTE  # carried onto the same cell of the row kept
    run_id = read_tables(crm, ["Ändringslogg"])["Ändringslogg"].df["Körning"].iloc[0]
    undo_run(crm, run_id, True, ws.open)
    assert held()
    cells = next(s for s in ws.app.store.get_spreadsheet(crm.key).sheets if s.title == "Leads").cells
    assert "note" not in cells.get((1, 8), {})  # taken back from the kept row by undo...
    back = next(r for (r, c), cell in cells.items()
                if c == 0 and (cell.get("userEnteredValue") or {}).get("stringValue") == "L-BBBBBB")
    assert cells[(back, 8)].get("note") == NOTE  # ...and on the row put back


# ---------------------------------------------------------------- 9: comments too long to join

def _two_long_comments():
    first, second = "Första samtalet. " + "a" * 29_000, "Andra samtalet. " + "b" * 29_000
    return [{"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Ida Pettersson", "Status": "Ny",
             "Tillagd": dt.date(2027, 3, 1), "Kommentar": first},
            {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Ida Pettersson", "Status": "Ny",
             "Tillagd": dt.date(2027, 3, 2), "Kommentar": second}], first, second


def test_a_lead_whose_joined_comments_would_not_fit_a_cell_is_not_merged_and_named(make_crm):
    rows, first, second = _two_long_comments()
    path = make_crm("group", Leads=rows)
    done = CliRunner().invoke(cli, ["--today", TODAY, "dedupe", str(path), "--apply"])
    assert done.exit_code == 0, done.output
    assert "Leads rows 2, 3:" in done.output and "not merged" in done.output
    ws = openpyxl.load_workbook(path)["Leads"]
    headers = [c.value for c in ws[1]]
    comments = [row[headers.index("Kommentar")].value for row in ws.iter_rows(min_row=2) if row[0].value]
    assert comments == [first, second]  # both rows, each comment whole


def test_on_google_comments_too_long_to_join_are_refused_in_one_line_not_a_raw_400():
    from emulator_workspace import EmulatorWorkspace

    from chas_sheets.backends.google_http import RetryPolicy
    from chas_sheets.dedupe.plan import plan_dedupe
    from chas_sheets.emulator import make_app
    from chas_sheets.runner import execute, read_tables

    rows, first, second = _two_long_comments()
    ws = EmulatorWorkspace(make_app(), RetryPolicy(total_seconds=60, sleep=lambda seconds: None))
    crm = ws.fill("group", {"Leads": rows})
    changes, report = plan_dedupe(read_tables(crm, ["Leads"], ["Kontaktlogg"]), [], dt.date(2027, 5, 12))
    assert not changes.removals and any("not merged" in w for w in report.warnings)
    execute(crm, changes, "dedupe", apply=True)  # nothing to merge; never a 400
    leads = read_tables(crm, ["Leads"])["Leads"]
    assert sorted(leads.text(i, "Kommentar") for i in leads.df.index) == sorted([first, second])


YELLOW = {"red": 1, "green": 1}


def test_on_google_a_link_and_a_fill_on_a_removed_duplicate_come_back_with_undo():
    from emulator_workspace import EmulatorWorkspace

    from chas_sheets.backends.google_http import RetryPolicy
    from chas_sheets.dedupe.plan import plan_dedupe
    from chas_sheets.emulator import make_app
    from chas_sheets.runner import execute, read_tables
    from chas_sheets.undo.restore import undo_run

    ws = EmulatorWorkspace(make_app(), RetryPolicy(total_seconds=60, sleep=lambda seconds: None))
    crm = ws.fill("group", {"Leads": [
        {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Ida Pettersson", "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 1)},
        {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Ida Pettersson", "Status": "Ny",
         "Tillagd": dt.date(2027, 3, 2), "Källa": "Platsannons"}]})

    def leads_sheet():
        return next(s for s in ws.app.store.get_spreadsheet(crm.key).sheets if s.title == "Leads")

    headers = read_tables(crm, ["Leads"])["Leads"].df.columns.tolist()
    source, contact = headers.index("Källa"), headers.index("Kontaktperson")
    person = [{"updateCells": {"start": {"sheetId": leads_sheet().sheet_id, "rowIndex": 2, "columnIndex": source},
                               "rows": [{"values": [{"userEnteredFormat": {"textFormat": {"link": {"uri": AD}}}}]}],
                               "fields": "userEnteredFormat.textFormat.link"}},
              {"updateCells": {"start": {"sheetId": leads_sheet().sheet_id, "rowIndex": 2, "columnIndex": contact},
                               "rows": [{"values": [{"userEnteredFormat": {"backgroundColor": YELLOW}}]}],
                               "fields": "userEnteredFormat.backgroundColor"}}]
    crm._client().post_json(f"https://sheets.googleapis.com/v4/spreadsheets/{crm.key}:batchUpdate",
                            {"requests": person})
    changes, _ = plan_dedupe(read_tables(crm, ["Leads"], ["Kontaktlogg"]), [], dt.date(2027, 5, 12))
    assert execute(crm, changes, "dedupe", apply=True).written
    assert AD in read_tables(crm, ["Ändringslogg"])["Ändringslogg"].df["Före"].str.cat()  # logged with the row
    run_id = read_tables(crm, ["Ändringslogg"])["Ändringslogg"].df["Körning"].iloc[0]
    undo_run(crm, run_id, True, ws.open)
    sheet = leads_sheet()
    row = next(r for (r, c), cell in sheet.cells.items()
               if c == 0 and (cell.get("userEnteredValue") or {}).get("stringValue") == "L-BBBBBB")
    entered = {c: cell.get("userEnteredFormat") or {} for (r, c), cell in sheet.cells.items() if r == row}
    assert entered[source]["textFormat"]["link"]["uri"] == AD
    colour = entered[contact]["backgroundColor"]
    assert (colour.get("red"), colour.get("green"), colour.get("blue", 0)) == (1, 1, 0)


def test_a_removed_duplicates_note_and_link_go_onto_the_kept_row_and_undo_takes_them_back(make_crm):
    path = _duplicate_with_a_note_and_a_link(make_crm)
    wb = openpyxl.load_workbook(path)
    headers = [c.value for c in wb["Leads"][1]]
    contact, source = headers.index("Kontaktperson") + 1, headers.index("Källa") + 1
    wb["Leads"].cell(2, contact).comment = openpyxl.comments.Comment("Hennes eget nummer finns i CRM:et", "Ali")
    wb.save(path)
    runner = CliRunner()
    done = runner.invoke(cli, ["--today", TODAY, "dedupe", str(path), "--apply"])
    assert done.exit_code == 0, done.output
    ws = openpyxl.load_workbook(path)["Leads"]
    assert ws.cell(2, 1).value == "L-AAAAAA" and ws.cell(3, 1).value is None
    assert ws.cell(2, contact).comment.text == "Hennes eget nummer finns i CRM:et\n\n" + NOTE  # both notes
    assert ws.cell(2, source).hyperlink.target == AD  # the kept row had no link there
    assert ws.cell(2, source).value == "Platsannons"  # filled from the removed row, as a value
    undone = runner.invoke(cli, ["--today", TODAY, "undo", str(path), _run_id(done.output), "--apply"])
    assert undone.exit_code == 0, undone.output
    ws = openpyxl.load_workbook(path)["Leads"]
    assert ws.cell(2, contact).comment.text == "Hennes eget nummer finns i CRM:et"  # as before the run
    assert ws.cell(2, source).hyperlink is None
    back = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "L-BBBBBB")
    assert back[contact - 1].comment.text == NOTE and back[source - 1].hyperlink.target == AD
    assert back[contact - 1].comment.author == "Nora" and ws.cell(2, contact).comment.author == "Ali"  # who wrote it


def test_the_dry_run_says_where_a_removed_rows_notes_and_links_go_in_swedish_and_english(make_crm):
    from chas_sheets import i18n

    path = _duplicate_with_a_note_and_a_link(make_crm)
    english = CliRunner().invoke(cli, ["--today", TODAY, "dedupe", str(path)])
    assert english.exit_code == 0 and "notes and links on a removed row's cells go onto the same cells" in english.output
    i18n.set_language("sv")
    swedish = CliRunner().invoke(cli, ["--today", TODAY, "--lang", "sv", "dedupe", str(path)])
    assert swedish.exit_code == 0, swedish.output
    assert "anteckningar och länkar på en borttagen rads celler flyttas till samma celler" in swedish.output


def test_comments_too_long_to_join_are_named_in_swedish(make_crm):
    from chas_sheets import i18n

    rows, _first, _second = _two_long_comments()
    path = make_crm("group", Leads=rows)
    i18n.set_language("sv")
    done = CliRunner().invoke(cli, ["--today", TODAY, "--lang", "sv", "dedupe", str(path)])
    assert done.exit_code == 0, done.output
    assert "Leads rad 2, 3: en och samma lead" in done.output and "inte sammanslagna" in done.output
