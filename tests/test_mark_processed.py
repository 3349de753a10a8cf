"""mark-processed: the planner on inline tables, the command on workbooks in tmp_path."""

import datetime as dt
import json

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_contactlog import TODAY, crm_tables, entry, lead

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet, RowAppend
from chas_sheets.sheet.writeplan import RunInfo

D = dt.date


def plan(leads, log=()):
    return plan_mark_processed(crm_tables(leads, log), TODAY)


def cells(changes):
    """{(tab, row ID, column): new value} of a change set."""
    return {(c.tab, c.row_id, c.column): c.new for c in changes.cells}


def lead_cells(changes):
    return {key: new for key, new in cells(changes).items() if key[0] == "Leads"}


# ------------------------------------------------------------------ each branch through the planner

def test_three_unanswered_in_any_sheet_order_close_the_lead_on_the_third_date():
    changes, report = plan([lead("L-1", "Volvo", status="Kontaktad")], [
        entry("12/5", "Volvo", "LinkedIn", "Inget svar"),
        entry("3/5", "Volvo", "Telefon", "inget svar"),
        entry("6/5", "Volvo", "Mejl", "INGET SVAR"),
    ])
    assert lead_cells(changes) == {("Leads", "L-1", "Status"): "Ingen respons",
                                   ("Leads", "L-1", "Bearbetad"): D(2026, 5, 12)}
    (change,) = report.changes
    assert change.reason == "3 unanswered: 3/5 Telefon, 6/5 Mejl, 12/5 LinkedIn"
    assert (change.old_status, change.new_status, change.new_processed) == ("Kontaktad", "Ingen respons", "2026-05-12")


def test_latest_answer_decides_with_its_date():
    changes, _ = plan([lead("L-1", "Volvo")], [
        entry("10/5", "Volvo", "Telefon", "Nej."), entry("2/5", "Volvo", "Mejl", "Ja"),
        entry("12/5", "Volvo", "Telefon", "Inget svar")])
    assert lead_cells(changes) == {("Leads", "L-1", "Status"): "Nej", ("Leads", "L-1", "Bearbetad"): D(2026, 5, 10)}


def test_svar_makes_dialog_and_one_or_two_unanswered_make_kontaktad():
    changes, _ = plan([lead("L-1", "Volvo"), lead("L-2", "Scania", status="Ny")], [
        entry("3/5", "Volvo", "Telefon", "Svar"),
        entry("3/5", "Scania", "Telefon", "Inget svar"), entry("5/5", "Scania", "Mejl", "Inget svar")])
    assert lead_cells(changes) == {("Leads", "L-1", "Status"): "Dialog", ("Leads", "L-2", "Status"): "Kontaktad"}


def test_two_contact_persons_at_one_company_are_decided_apart():
    changes, _ = plan([lead("L-1", "Volvo AB", "Anna Svensson"), lead("L-2", "Volvo AB", "Bo Ek")], [
        entry("3/5", "Volvo", "Telefon", "Nej", contact="Anna Svensson"),
        entry("4/5", "Volvo", "Mejl", "Svar", contact="bo ek")])
    assert lead_cells(changes) == {("Leads", "L-1", "Status"): "Nej", ("Leads", "L-1", "Bearbetad"): D(2026, 5, 3),
                                   ("Leads", "L-2", "Status"): "Dialog"}


def test_log_row_for_an_unknown_company_is_reported_and_changes_nothing():
    changes, report = plan([lead("L-1", "Volvo", status="Ny")],
                           [entry("3/5", "Okänt AB", "Telefon", "Nej", row_id="K-1")])
    assert cells(changes) == {}
    assert [(row.company, row.sheet_row) for row in report.unmatched] == [("Okänt AB", 2)]
    assert any("Okänt AB, 3/5: no lead with this company" in line for line in report.render())


def test_hand_set_status_with_no_log_stands():
    changes, report = plan([lead("L-1", "Volvo", status="Nej"), lead("L-2", "Scania", status="Dialog"),
                            lead("L-3", "Saab", status="Ringt")])
    assert cells(changes) == {} and report.changes == []
    assert report.processed == 1  # the hand-set Nej counts as processed


def test_hand_set_answer_is_not_downgraded_by_a_log_without_answers():
    changes, report = plan([lead("L-1", "Volvo", status="Ja")], [entry("3/5", "Volvo", "Telefon", "Inget svar")])
    assert lead_cells(changes) == {}
    assert any("L-1" in warning and "'Ja'" in warning for warning in report.warnings)
    # ... but a logged answer does replace it
    changes, _ = plan([lead("L-1", "Volvo", status="Ja")], [entry("3/5", "Volvo", "Telefon", "Nej")])
    assert lead_cells(changes)[("Leads", "L-1", "Status")] == "Nej"


def test_unparseable_date_is_a_warning_and_the_row_is_not_counted():
    changes, report = plan([lead("L-1", "Volvo")], [
        entry("3/5", "Volvo", "Telefon", "Inget svar"), entry("6/5", "Volvo", "Mejl", "Inget svar"),
        entry("i förrgår", "Volvo", "LinkedIn", "Inget svar")])
    assert lead_cells(changes) == {("Leads", "L-1", "Status"): "Kontaktad"}
    assert any("row 4: Datum 'i förrgår'" in warning for warning in report.warnings)


def test_only_changed_cells_are_written_and_variants_are_not_rewritten():
    changes, report = plan(
        [lead("L-1", "Volvo", status="ingen RESPONS", processed="2026-05-12"), lead("L-2", "Scania", status="kontaktad")],
        [entry(f"{day}/5", "Volvo", "Telefon", "Inget svar", lead_id="L-1") for day in (3, 6, 12)]
        + [entry("3/5", "Scania", "Telefon", "Inget svar", lead_id="L-2")])
    assert cells(changes) == {} and report.changes == []


def test_a_reply_after_closing_reopens_the_lead_and_clears_bearbetad():
    changes, _ = plan([lead("L-1", "Volvo", status="Ingen respons", processed=D(2026, 5, 12))],
                      [entry(f"{day}/5", "Volvo", "Telefon", "Inget svar") for day in (3, 6, 12)]
                      + [entry("15/5", "Volvo", "Mejl", "Svar")])
    assert lead_cells(changes) == {("Leads", "L-1", "Status"): "Dialog", ("Leads", "L-1", "Bearbetad"): None}


def test_lead_id_is_filled_only_when_the_match_is_unique():
    changes, report = plan([lead("L-1", "Volvo", "Anna"), lead("L-2", "Volvo", "Bo"), lead("L-3", "Scania")], [
        entry("3/5", "Volvo", "Telefon", "Inget svar", row_id="K-1"),
        entry("3/5", "Volvo", "Telefon", "Inget svar", contact="Anna", row_id="K-2"),
        entry("3/5", "Scania", "Telefon", "Inget svar", row_id="K-3")])
    filled = {key[1]: new for key, new in cells(changes).items() if key[0] == "Kontaktlogg"}
    assert filled == {"K-2": "L-1", "K-3": "L-3"}
    assert report.lead_ids_filled == 2


def test_plan_starts_from_the_id_assignments():
    changes, _ = plan([lead(None, "Volvo")], [entry("3/5", "Volvo", "Telefon", "Svar")])
    (assignment,) = [a for a in changes.ids if a.tab == "Leads"]
    assert lead_cells(changes) == {("Leads", assignment.new, "Status"): "Dialog"}


def test_report_never_shows_phone_or_mail():
    _, report = plan([lead("L-1", "Volvo", "Anna", phone="070-123 45 67", mail="anna@volvo.se")],
                     [entry("3/5", "Volvo", "Telefon", "Svar"), entry("3/5", "Okänt", "Telefon", "Svar")])
    text = json.dumps(report.to_dict(), ensure_ascii=False) + "\n".join(report.render())
    assert "Dialog" in text and "070" not in text and "anna@" not in text


# ------------------------------------------------------------------ properties

OUTCOMES = ["Inget svar", "INGET SVAR", "Svar", "Ja", "Nej.", "nej"]
log_rows = st.lists(st.tuples(st.sampled_from(["Volvo", "volvo ab", "Scania", "Saab"]),
                              st.integers(1, 20), st.sampled_from(["Telefon", "Mejl", "LinkedIn"]),
                              st.sampled_from(OUTCOMES)), max_size=12)
LEADS = [lead("L-V", "Volvo AB"), lead("L-S", "Scania", status="Ja"), lead("L-A", "Saab", "Anna"), lead("L-B", "Saab", "Bo")]


def _log(rows):
    return [entry(f"{day}/5", company, channel, outcome, row_id=f"K-{i}") for i, (company, day, channel, outcome)
            in enumerate(rows)]


@settings(max_examples=150, deadline=None)
@given(rows=log_rows, data=st.data())
def test_outcome_does_not_depend_on_log_row_order(rows, data):
    shuffled = data.draw(st.permutations(rows))
    first, first_report = plan(LEADS, _log(rows))
    second, second_report = plan(LEADS, _log(shuffled))
    assert lead_cells(first) == lead_cells(second)
    assert sorted(map(repr, first_report.changes)) == sorted(map(repr, second_report.changes))


@settings(max_examples=150, deadline=None)
@given(rows=log_rows)
def test_never_processed_with_fewer_than_three_unanswered_and_no_answer(rows):
    changes, _ = plan(LEADS, _log(rows))
    new = lead_cells(changes)
    for lead_id, company in (("L-V", "volvo"), ("L-A", "saab"), ("L-B", "saab")):
        outcomes = [outcome.lower().rstrip(".") for c, _, _, outcome in rows if c.split()[0].lower() == company]
        if "ja" not in outcomes and "nej" not in outcomes and outcomes.count("inget svar") < 3:
            assert new.get(("Leads", lead_id, "Status")) not in ("Ja", "Nej", "Ingen respons")
            assert new.get(("Leads", lead_id, "Bearbetad")) is None


# ------------------------------------------------------------------ workbooks and the command

def make_student_crm(path, leads, log):
    backend = LocalWorkbook(path)
    backend.create("student")
    rows = [RowAppend("Leads", row) for row in leads] + [RowAppend("Kontaktlogg", row) for row in log]
    backend.apply(ChangeSet(appends=rows), RunInfo.new("test setup"))
    return path


def demo_crm(tmp_path):
    return make_student_crm(tmp_path / "crm.xlsx", [
        {"Företag": "Volvo AB", "Kontaktperson": "Anna", "Telefon": "0701234567", "Status": "Ny"},
        {"Företag": "Scania", "Status": "Nej"},
        {"Företag": "Saab AB", "Kontaktperson": "Bo"},
    ], [
        {"Datum": "3/5", "Företag": "volvo", "Kanal": "Telefon", "Utfall": "Inget svar"},
        {"Datum": D(2026, 5, 12), "Företag": "AB Volvo", "Kanal": "LinkedIn", "Utfall": "Inget svar"},
        {"Datum": "2026-05-06", "Företag": "Volvo", "Kanal": "Mejl", "Utfall": "inget svar"},
        {"Datum": "4/5", "Företag": "Saab", "Kontaktperson": "bo", "Kanal": "Mejl", "Utfall": "Svar"},
        {"Datum": "5/5", "Företag": "Okänt AB", "Kanal": "Telefon", "Utfall": "Nej"},
    ])


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY.isoformat(), *map(str, args)])


def test_dry_run_leaves_the_file_byte_for_byte_unchanged(tmp_path):
    path = demo_crm(tmp_path)
    before = path.read_bytes()
    result = run("mark-processed", path)
    assert result.exit_code == 0, result.output
    assert "Status Ny -> Ingen respons" in result.output and "dry run" in result.output
    assert path.read_bytes() == before


def test_apply_then_a_second_run_plans_nothing(tmp_path):
    path = demo_crm(tmp_path)
    assert run("mark-processed", path, "--apply").exit_code == 0
    tables = read_tables(LocalWorkbook(path), ["Leads"], ["Kontaktlogg"])
    leads = tables["Leads"].df.set_index("Företag")
    assert leads.at["Volvo AB", "Status"] == "Ingen respons" and leads.at["Volvo AB", "Bearbetad"] == D(2026, 5, 12)
    assert leads.at["Volvo AB", "Telefon"] == "0701234567"
    assert leads.at["Saab AB", "Status"] == "Dialog" and leads.at["Scania", "Status"] == "Nej"
    changes, _ = plan_mark_processed(tables, TODAY)
    assert not changes
    before = path.read_bytes()
    second = run("mark-processed", path, "--apply")
    assert second.exit_code == 0 and "nothing to change" in second.output
    assert path.read_bytes() == before


def test_json_output_parses(tmp_path):
    path = demo_crm(tmp_path)
    result = CliRunner().invoke(cli, ["--today", "2026-05-20", "mark-processed", str(path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["applied"] is False and data["planned"] > 0
    assert [row["company"] for row in data["unmatched"]] == ["Okänt AB"]
    assert "0701234567" not in result.stdout


def test_missing_file_is_a_one_line_error(tmp_path):
    result = run("mark-processed", tmp_path / "nope.xlsx")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error:") and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_log_row_dated_after_today_does_not_decide_a_lead(make_crm):
    import datetime as dt

    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.processed.plan import plan_mark_processed
    from chas_sheets.runner import read_tables

    path = make_crm("student", "crm.xlsx", Leads=[{"ID": "L-AAAAAA", "Företag": "Volvo Cars", "Status": "Ny"}],
                    Kontaktlogg=[{"Datum": "2027-05-20", "Företag": "Volvo Cars", "Lead-ID": "L-AAAAAA",
                                  "Kanal": "Telefon", "Utfall": "Nej"}])
    tables = read_tables(LocalWorkbook(path), ["Leads"], ["Kontaktlogg"])
    changes, report = plan_mark_processed(tables, dt.date(2027, 5, 12))
    assert not [c for c in changes.cells if c.column in ("Status", "Bearbetad")]
    assert any("1 row dated after 2027-05-12 is not counted" in w for w in report.warnings)
    later, _ = plan_mark_processed(tables, dt.date(2027, 5, 21))
    assert any(c.new == "Nej" for c in later.cells)
