"""clean-comments: the planner on small workbooks, the command end to end in tmp_path."""

import json

import click
import openpyxl
import pytest
from click.testing import CliRunner

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.clean.plan import CleanReport, RowClean, plan_clean_comments
from chas_sheets.clean.rules import Decision, clean_comment
from chas_sheets.cli import cli
from chas_sheets.errors import InvalidInput, MissingColumn
from chas_sheets.runner import read_tables

MIXED = "Ringde Anna (HR) 12/5 kl 10. Tror kanske de tar LIA i höst lol"
CHATTER = "Verkar chill ställe haha 😂"
FACT_ONLY = "Mejlade Johan 7/9, bad om CV."
FORMULA_LOOKING = "=SUMMA(A1:A3) Ringde Anna 12/5. kanske nästa vecka"
PHONE = "0701234567"


def leads_crm(make_crm, **extra_tabs):
    return make_crm(Leads=[
        {"ID": "L-1", "Företag": "Volvo AB", "Telefon": PHONE, "E-post": "anna@volvo.se", "Kommentar": MIXED},
        {"ID": "L-2", "Företag": "Scania", "Kommentar": CHATTER},
        {"ID": "L-3", "Företag": "Saab AB", "Kommentar": FACT_ONLY},
        {"ID": "L-4", "Företag": "Ikea", "Kommentar": FORMULA_LOOKING},
        {"ID": "L-5", "Företag": "Spotify"},
    ], **extra_tabs)


def run(*args, **kwargs):
    return CliRunner().invoke(cli, ["--today", "2027-05-12", *map(str, args)], **kwargs)


def plan(path, column="Kommentar", tab="Leads"):
    return plan_clean_comments(read_tables(LocalWorkbook(path), [tab]), column, tab=tab)


def sheet_values(path, tab):
    """{(row ID, header): value} of a tab as stored."""
    ws = openpyxl.load_workbook(path)[tab]
    rows = list(ws.values)
    headers = rows[0]
    return {(row[0], h): v for row in rows[1:] for h, v in zip(headers, row) if h}


def log_rows(path):
    ws = openpyxl.load_workbook(path)["Ändringslogg"]
    rows = list(ws.values)
    return [dict(zip(rows[0], row)) for row in rows[1:]]


# ------------------------------------------------------------------ the planner

def test_plan_changes_only_comments_that_change_and_keeps_the_whole_original_as_old(make_crm):
    changes, report = plan(leads_crm(make_crm))
    by_row = {c.row_id: c for c in changes.cells}
    assert set(by_row) == {"L-1", "L-2", "L-4"}
    assert by_row["L-1"].old == MIXED and by_row["L-1"].new == clean_comment(MIXED).text
    assert by_row["L-1"].new.startswith("Ringde Anna (HR) 12/5 kl 10") and "Tror" not in by_row["L-1"].new
    assert by_row["L-2"].new is None  # chatter only: the cell is emptied, the original logged
    assert {c.column for c in changes.cells} == {"Kommentar"}
    assert (report.rows, report.comments, len(report.changed), report.emptied) == (5, 4, 3, 1)


def test_a_cleaned_comment_plans_nothing_the_second_time(make_crm):
    path = make_crm(Leads=[{"ID": "L-1", "Företag": "Volvo", "Kommentar": clean_comment(MIXED).text}])
    changes, report = plan(path)
    assert not changes and report.comments == 1 and not report.changed


def test_rows_without_an_id_get_one_and_the_report_says_it_is_new(make_crm):
    path = make_crm(Leads=[{"Företag": "Volvo", "Kommentar": MIXED}])
    changes, report = plan(path)
    (assignment,) = changes.ids
    (row,) = report.changed
    assert row.new_id and row.row_id == assignment.new == changes.cells[0].row_id
    assert "(no ID yet)" in row.label("Leads") and f"(new ID {assignment.new})" in row.label("Leads", writing=True)


def test_numbers_and_dates_in_the_column_pass_through(make_crm):
    import datetime as dt
    path = make_crm(Leads=[{"ID": "L-1", "Företag": "A", "Kommentar": 42},
                           {"ID": "L-2", "Företag": "B", "Kommentar": dt.date(2027, 3, 4)}])
    changes, report = plan(path)
    assert not changes.cells and report.comments == 2


# ------------------------------------------------------------------ choosing the column

def test_column_found_by_alias_on_leads(make_crm):
    path = make_crm(Leads=[{"ID": "L-1", "Företag": "Volvo", "Anteckningar": CHATTER}])
    # The template has a Kommentar column; rename it so only the alias stands.
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=1, column=headers.index("Kommentar") + 1).value = None
    wb.save(path)
    changes, report = plan(path, column="kommentar")
    assert report.column == "Kommentar"
    assert [(c.row_id, c.column, c.old) for c in changes.cells] == [("L-1", "Kommentar", CHATTER)]


def test_kommentar_means_anteckning_on_kontaktlogg(make_crm):
    path = make_crm(Kontaktlogg=[{"ID": "K-1", "Datum": "12/5", "Företag": "Volvo", "Kanal": "Telefon",
                                  "Utfall": "Svar", "Anteckning": MIXED}])
    result = run("clean-comments", path, "--tab", "kontaktlogg", "--apply")
    assert result.exit_code == 0, result.output
    assert "Kontaktlogg row 2 K-1 Volvo" in result.output
    assert sheet_values(path, "Kontaktlogg")[("K-1", "Anteckning")] == clean_comment(MIXED).text


def test_unknown_column_is_matched_as_typed_forgivingly(make_crm):
    path = make_crm(Leads=[{"ID": "L-1", "Företag": "Volvo", "Mina noteringar": MIXED, "Kommentar": CHATTER}])
    result = run("clean-comments", path, "--column", "mina  NOTERINGAR", "--apply")
    assert result.exit_code == 0, result.output
    stored = sheet_values(path, "Leads")
    assert stored[("L-1", "Mina noteringar")] == clean_comment(MIXED).text
    assert stored[("L-1", "Kommentar")] == CHATTER  # the other column is left alone
    assert [row["Kolumn"] for row in log_rows(path)] == ["Mina noteringar"]


def test_missing_column_is_a_one_line_error_naming_tab_column_and_header(make_crm):
    path = leads_crm(make_crm)
    before = path.read_bytes()
    result = run("clean-comments", path, "--column", "Noteringar")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error:") and "'Leads'" in line and "'Noteringar'" in line and "Företag" in line
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


def test_columns_that_are_not_free_text_are_refused(make_crm):
    path = leads_crm(make_crm)
    with pytest.raises(InvalidInput, match="Telefon"):
        plan(path, column="Tel")
    with pytest.raises(MissingColumn):
        plan(path, column="Anteckning på engelska")
    result = run("clean-comments", path, "--column", "Status")
    assert result.exit_code == 1 and "not free text" in result.output


# ------------------------------------------------------------------ the command

def test_dry_run_shows_before_and_after_and_leaves_the_file_byte_for_byte_unchanged(make_crm):
    path = leads_crm(make_crm)
    before = path.read_bytes()
    result = run("clean-comments", path)
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before
    out = result.stdout
    assert "Leads row 2 L-1 Volvo AB:" in out and f"before: {MIXED}" in out
    assert f"after: {clean_comment(MIXED).text}" in out
    assert "Saab AB" not in out  # unchanged rows are not listed without --explain
    assert PHONE not in out and "anna@volvo.se" not in out
    assert "\x1b[" not in out  # not a terminal: plain text
    assert "would make 3 cells" in result.stderr and "dry run" in result.stderr


def test_apply_writes_only_changed_cells_and_logs_each_original_whole(make_crm):
    path = leads_crm(make_crm)
    before = sheet_values(path, "Leads")
    result = run("clean-comments", path, "--apply")
    assert result.exit_code == 0, result.output
    after = sheet_values(path, "Leads")
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {("L-1", "Kommentar"), ("L-2", "Kommentar"), ("L-4", "Kommentar")}
    assert after[("L-1", "Telefon")] == PHONE
    assert after[("L-2", "Kommentar")] is None
    logged = {row["Rad-ID"]: row for row in log_rows(path)}
    assert set(logged) == {"L-1", "L-2", "L-4"}
    assert logged["L-1"]["Före"] == MIXED and logged["L-2"]["Före"] == CHATTER
    assert {row["Kommando"] for row in logged.values()} == {"clean-comments"}
    assert "wrote 3 changes" in result.stderr


def test_second_run_changes_nothing(make_crm):
    path = leads_crm(make_crm)
    assert run("clean-comments", path, "--apply").exit_code == 0
    written = path.read_bytes()
    second = run("clean-comments", path, "--apply")
    assert second.exit_code == 0 and "nothing to change" in second.stderr
    assert "0 to clean" in second.stdout
    assert path.read_bytes() == written


def test_formula_looking_comment_stays_text(make_crm):
    path = leads_crm(make_crm)
    assert run("clean-comments", path, "--apply").exit_code == 0
    cell = next(row[0] for row in openpyxl.load_workbook(path)["Leads"].iter_rows(min_row=2)
                if row[0].value == "L-4")
    ws = cell.parent
    headers = [c.value for c in ws[1]]
    comment = ws.cell(row=cell.row, column=headers.index("Kommentar") + 1)
    assert comment.value == "=SUMMA(A1:A3) Ringde Anna 12/5." and comment.data_type == "s"
    assert [r["Före"] for r in log_rows(path) if r["Rad-ID"] == "L-4"] == [FORMULA_LOOKING]


def test_explain_names_the_rules_for_every_clause(make_crm):
    path = leads_crm(make_crm)
    result = run("clean-comments", path, "--explain")
    assert result.exit_code == 0, result.output
    out = result.stdout
    _, report = plan(path)
    for row in report.cleaned:  # unchanged rows too: why a clause stayed is worth seeing
        for decision in row.decisions:
            assert str(decision) in out
    assert "Leads row 4 L-3 Saab AB: unchanged" in out
    assert "drop" in out and "keep" in out and "[" in out


def test_explain_shows_a_guess_outweighing_a_role_and_a_number_and_a_dated_quote_kept(make_crm):
    # The audit's examples (seed 002: only relevant, fact-based information) end to end.
    path = make_crm(Leads=[
        {"ID": "L-1", "Företag": "Volvo AB", "Kommentar": "Chefen verkar trevlig. Har 120 anställda i Sverige"},
        {"ID": "L-2", "Företag": "Scania", "Kommentar": "Tror att de har 50 anställda. Bra ställe!"},
        {"ID": "L-3", "Företag": "Saab AB", "Kommentar": "Tror de ringer tillbaka, sa Anna 12/5 kl 10"},
    ])
    result = run("--lang", "sv", "clean-comments", path, "--explain")  # Swedish, as the programme reads it
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "släpp  'Chefen verkar trevlig'  [gissning: 'verkar' (väger tyngre än roll)]" in out
    assert "släpp  'Tror att de har 50 anställda'  [gissning: 'Tror att' (väger tyngre än antal)]" in out
    assert "släpp  'Bra ställe'  [åsikt: 'Bra ställe']" in out
    assert "behåll 'Tror de ringer tillbaka'  [citat: 'sa Anna' (väger tyngre än gissning)]" in out
    _, report = plan(path)
    assert [row.after for row in report.cleaned] == ["Har 120 anställda i Sverige", "",
                                                     "Tror de ringer tillbaka, sa Anna 12/5 kl 10"]


def test_the_renderer_marks_words_as_click_style_does_and_explains_every_clause():
    guess = Decision("Verkar bra", False, "gissning", "Verkar")
    fact = Decision("Ringde 5/3.", True, "datum", "5/3")
    report = CleanReport("crm.xlsx", "Leads", "Kommentar", rows=4, comments=3, cleaned=[
        RowClean("L-1", 2, "Volvo AB", "Ringde 5/3. Verkar bra", "Ringde 5/3.", (fact, guess)),
        RowClean("L-2", 3, "", "haha\nlol", "", (Decision("haha lol", False, "skratt"),)),
        RowClean("L-3", 5, "Saab AB", "Ringde 1/2.", "Ringde 1/2.", ()),
        RowClean("L-9", 6, "Ikea", "Tror det", "", (), new_id=True),
    ])
    gone = lambda text: click.style(text, fg="red", strikethrough=True)  # noqa: E731 — what the CLI once called
    first, second = gone("haha\nlol").split("\n")  # one deleted run; its lines stay under each other
    assert report.render() == [
        "crm.xlsx: Leads, column 'Kommentar': 3 comments in 4 rows, 3 to clean (2 down to nothing)",
        "Leads row 2 L-1 Volvo AB:", f"  before: Ringde 5/3.{gone(' Verkar bra')}", "   after: Ringde 5/3.",
        "Leads row 3 L-2:", f"  before: {first}", f"          {second}",
        f"   after: {click.style('(blank)', dim=True)}",
        "Leads row 6 (no ID yet) Ikea:", f"  before: {gone('Tror det')}", f"   after: {click.style('(blank)', dim=True)}",
    ]
    explained = report.render(explain=True, writing=True)
    assert explained[1:6] == ["Leads row 2 L-1 Volvo AB:", f"  before: Ringde 5/3.{gone(' Verkar bra')}",
                              "   after: Ringde 5/3.", "    keep 'Ringde 5/3.'  [datum: '5/3']",
                              "    drop 'Verkar bra'  [gissning: 'Verkar']"]
    assert "Leads row 5 L-3 Saab AB: unchanged" in explained
    assert "Leads row 6 (new ID L-9) Ikea:" in explained


def test_json_parses_and_carries_each_change(make_crm):
    path = leads_crm(make_crm)
    result = run("clean-comments", path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["applied"] is False and data["planned"] == 3 and data["changed"] == 3
    assert {row["row_id"]: row["before"] for row in data["rows_changed"]}["L-1"] == MIXED
    assert all(row["decisions"] for row in data["rows_changed"])
    assert PHONE not in result.stdout


def test_colour_only_when_asked_for_and_never_with_no_color(make_crm):
    path = leads_crm(make_crm)
    coloured = run("clean-comments", path, color=True)
    assert "\x1b[" in coloured.stdout
    plain = run("clean-comments", path, color=True, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout and f"before: {MIXED}" in plain.stdout


def test_a_bad_rules_file_is_a_one_line_error(make_crm, tmp_path):
    path = leads_crm(make_crm)
    rules = tmp_path / "rules.toml"
    rules.write_text("[[drop]]\nname = 'x'\npatterns = ['(']\n", encoding="utf-8")
    result = run("clean-comments", path, "--rules", rules)
    assert result.exit_code == 1 and result.output.startswith("Error:") and "bad pattern" in result.output


# ------------------------------------------------------------------ the same plan on Google (emulator)

def test_on_google_the_emulator_stores_the_cleaned_text_as_text_and_logs_the_original():
    import gspread

    from chas_sheets.backends.google import GoogleSpreadsheet
    from chas_sheets.backends.google_http import RetryPolicy
    from chas_sheets.emulator import emulator_session, make_app
    from chas_sheets.runner import execute

    app = make_app()
    backend = GoogleSpreadsheet.new("student", session=emulator_session(app),
                                    retry=RetryPolicy(total_seconds=5, sleep=lambda seconds: None))
    ws = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key).worksheet("Leads")
    headers = ws.row_values(1)
    rows = []
    for rid, company, comment in (("L-1", "Volvo AB", MIXED), ("L-2", "Scania", CHATTER), ("L-4", "Ikea", FORMULA_LOOKING)):
        row = dict.fromkeys(headers, "") | {"ID": rid, "Företag": company, "Kommentar": comment}
        rows.append(list(row.values()))
    ws.append_rows(rows, value_input_option="RAW")  # typed by a person: RAW, so '=...' is text

    changes, report = plan_clean_comments(read_tables(backend, ["Leads"]))
    assert len(report.changed) == 3
    assert execute(backend, changes, "clean-comments", apply=True).written == 3
    tables = read_tables(backend, ["Leads"])
    comments = tables["Leads"].df["Kommentar"]
    assert comments["L-1"] == clean_comment(MIXED).text and comments["L-2"] is None
    assert comments["L-4"] == "=SUMMA(A1:A3) Ringde Anna 12/5."
    cell = gspread.utils.rowcol_to_a1(tables["Leads"].sheet_rows["L-4"], headers.index("Kommentar") + 1)
    data = ws.spreadsheet.fetch_sheet_metadata({"ranges": f"'Leads'!{cell}", "includeGridData": "true"})
    entered = data["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredValue"]
    assert entered == {"stringValue": "=SUMMA(A1:A3) Ringde Anna 12/5."}  # stayed text, not a formula
    log = ws.spreadsheet.worksheet("Ändringslogg").get_all_records()
    assert {r["Rad-ID"]: r["Före"] for r in log} == {"L-1": MIXED, "L-2": CHATTER, "L-4": FORMULA_LOOKING}
    again, _ = plan_clean_comments(tables)
    assert not again


def test_an_unknown_tab_is_a_usage_error(make_crm):
    path = leads_crm(make_crm)
    result = run("clean-comments", path, "--tab", "Medlemmar")
    assert result.exit_code == 2 and "Leads, Kontaktlogg, Event" in result.output


def test_undo_puts_every_original_comment_back(make_crm):
    path = leads_crm(make_crm)
    originals = {key: value for key, value in sheet_values(path, "Leads").items() if key[1] == "Kommentar"}
    assert run("clean-comments", path, "--apply").exit_code == 0
    (run_id,) = {row["Körning"] for row in log_rows(path)}
    result = run("undo", path, run_id, "--apply")
    assert result.exit_code == 0, result.output
    restored = {key: value for key, value in sheet_values(path, "Leads").items() if key[1] == "Kommentar"}
    assert restored == originals


def test_the_explained_cleaning_is_swedish_or_english_never_both():
    from chas_sheets import i18n

    report = CleanReport("crm.xlsx", "Leads", "Kommentar", rows=1, comments=1, cleaned=[
        RowClean("L-1", 2, "Volvo AB", "Ringde 5/3. Verkar bra", "Ringde 5/3.",
                 (Decision("Ringde 5/3.", True, "datum", "5/3"),
                  Decision("Verkar bra", False, "gissning", "Verkar", overruled="roll")))])
    i18n.set_language("sv")
    sv = [click.unstyle(line) for line in report.render(explain=True)]
    i18n.set_language("en")
    en = [click.unstyle(line) for line in report.render(explain=True)]
    assert sv == ["crm.xlsx: Leads, kolumn 'Kommentar': 1 kommentarer på 1 rad, 1 att rensa",
                  "Leads rad 2 L-1 Volvo AB:", "   före: Ringde 5/3. Verkar bra", "  efter: Ringde 5/3.",
                  "    behåll 'Ringde 5/3.'  [datum: '5/3']",
                  "    släpp  'Verkar bra'  [gissning: 'Verkar' (väger tyngre än roll)]"]
    assert en == ["crm.xlsx: Leads, column 'Kommentar': 1 comments in 1 row, 1 to clean",
                  "Leads row 2 L-1 Volvo AB:", "  before: Ringde 5/3. Verkar bra", "   after: Ringde 5/3.",
                  "    keep 'Ringde 5/3.'  [datum: '5/3']",
                  "    drop 'Verkar bra'  [gissning: 'Verkar' (outweighs roll)]"]
