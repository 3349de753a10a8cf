"""undo: one run inverted from Ändringslogg, on the local backend and on the Google emulator."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner
from test_backend_contract import GoogleHarness, LocalHarness, harness  # noqa: F401 (harness: a fixture)
from test_harvest import everyone_wants_everything, group, prepared, rows  # noqa: F401 (group: a fixture)

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changelog import RUN_IN
from chas_sheets.sheet.changes import ChangeSet, RowAppend, RowRemoval
from chas_sheets.sheet.values import normalise_read
from chas_sheets.sheet.writeplan import RunInfo
from chas_sheets.undo.restore import (
    RunSummary,
    SheetUndo,
    UndoReport,
    UndoRun,
    list_note,
    list_runs,
    read_log,
    undo_run,
)

TODAY = dt.date(2027, 5, 12)
D = dt.date

LEADS = [
    {"ID": "L-AAAAAA", "Företag": "Volvo Cars", "Kontaktperson": "Eva Lind", "Telefon": "0701234567", "Status": "Ny"},
    {"ID": "L-BBBBBB", "Företag": "Scania", "Status": "Kontaktad", "Bearbetad": D(2027, 4, 30)},
    {"ID": "L-CCCCCC", "Företag": "Saab", "Org.nr": "556036-0793", "Tillagd": D(2027, 4, 2)},
    {"ID": "L-DDDDDD", "Företag": "Klarna", "Status": "Dialog"},
]
LOG = [
    {"ID": "K-AAAAAA", "Datum": D(2027, 5, 3), "Företag": "Volvo Cars", "Kanal": "Telefon", "Utfall": "Ja"},
    {"ID": "K-BBBBBB", "Datum": D(2027, 5, 4), "Företag": "Scania", "Kanal": "Mejl", "Utfall": "Inget svar"},
    {"ID": "K-CCCCCC", "Datum": D(2027, 5, 5), "Företag": "Saab", "Kanal": "Telefon", "Utfall": "Inget svar"},
    {"ID": "K-DDDDDD", "Datum": D(2027, 5, 6), "Företag": "Saab", "Kanal": "Mejl", "Utfall": "Inget svar"},
    {"ID": "K-EEEEEE", "Datum": D(2027, 5, 8), "Företag": "Saab", "Kanal": "LinkedIn", "Utfall": "Inget svar"},
]


def opener(harness):
    """How the undo opens other spreadsheets a run names (the emulator's session for Google)."""
    if isinstance(harness, GoogleHarness):
        return lambda key: GoogleSpreadsheet(key, session=harness.session, retry=harness.backend.connection.retry)
    return LocalWorkbook


def snapshot(backend, *, log=False) -> dict[str, list[list]]:
    """Every cell value of every tab (the histories Ändringslogg and Körningar only when asked),
    trailing blanks trimmed."""
    raw = backend.read()
    grids = {}
    for title, grid in raw.grids.items():
        if title in ("Ändringslogg", "Körningar") and not log:
            continue
        cells = [[normalise_read(c) for c in row] for row in grid]
        cells = [row[:max((i + 1 for i, c in enumerate(row) if c is not None), default=0)] for row in cells]
        while cells and not cells[-1]:
            cells.pop()
        grids[title] = cells
    return grids


def mark_processed(backend) -> str:
    changes, _ = plan_mark_processed(read_tables(backend, ["Leads"], ["Kontaktlogg"]), TODAY)
    outcome = execute(backend, changes, "mark-processed", apply=True)
    assert outcome.written > 0
    return outcome.run.run_id


def undo(harness, run_id, apply=True):
    return undo_run(harness.backend, run_id, apply, opener(harness))


def leads(backend):
    return read_tables(backend, ["Leads"])["Leads"].df


# --- one spreadsheet, both backends -------------------------------------------------------------


def test_mark_processed_then_undo_restores_every_cell_exactly_and_a_second_undo_changes_nothing(harness):
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    before = snapshot(backend)
    run_id = mark_processed(backend)
    assert snapshot(backend) != before
    result = undo(harness, run_id)
    (sheet,) = result.sheets
    assert sheet.report.restored > 0 and sheet.report.left == [] and sheet.skipped == []
    assert snapshot(backend) == before
    assert leads(backend).loc["L-BBBBBB", "Bearbetad"] == D(2027, 4, 30)  # a date again, not text
    # undoing the same run twice changes nothing the second time, not even the log
    after_first = snapshot(backend, log=True)
    second = undo(harness, run_id)
    assert not second.sheets[0].changes and second.sheets[0].report.already == sheet.report.restored
    assert snapshot(backend, log=True) == after_first


def test_a_cell_a_person_changed_after_the_run_is_left_and_reported(harness):
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    run_id = mark_processed(backend)
    assert leads(backend).loc["L-AAAAAA", "Status"] == "Ja"
    harness.person_sets("Leads", "L-AAAAAA", "Status", "Dialog")  # the student's own call
    result = undo(harness, run_id)
    report = result.sheets[0].report
    (left,) = [line for line in report.left if "Status" in line]
    assert "L-AAAAAA" in left and "'Ja'" in left and "'Dialog'" in left
    df = leads(backend)
    assert df.loc["L-AAAAAA", "Status"] == "Dialog"
    assert df.loc["L-AAAAAA", "Bearbetad"] is None  # the run's other cell on that lead is undone
    assert df.loc["L-CCCCCC", "Status"] is None


def test_removed_rows_are_reinserted_whole_with_dates_as_dates(harness):
    backend = harness.create(Leads=LEADS)
    before = snapshot(backend)
    row = leads(backend).loc["L-CCCCCC"]
    removal = RowRemoval("Leads", "L-CCCCCC", {k: v for k, v in row.items() if v is not None})
    keep = ChangeSet(removals=[removal])
    keep.set_cell("Leads", "L-AAAAAA", "Status", "Ny", "Kontaktad")
    run = RunInfo.new("dedupe")
    assert harness.backend.apply(keep, run).skipped == []
    assert "L-CCCCCC" not in leads(backend).index
    result = undo(harness, run.run_id)
    assert (result.sheets[0].report.reinserted, result.sheets[0].report.restored) == (1, 1)
    back = leads(backend).loc["L-CCCCCC"]
    assert (back["Företag"], back["Org.nr"], back["Tillagd"]) == ("Saab", "556036-0793", D(2027, 4, 2))
    assert isinstance(back["Tillagd"], dt.date)
    # the same rows and cells, the re-inserted row at the end (rows are found by ID)
    by_id = lambda grid: sorted(grid[1:])  # noqa: E731
    assert by_id(snapshot(backend)["Leads"]) == by_id(before["Leads"])


def test_appended_rows_are_removed_unless_people_worked_on_them_since(harness):
    backend = harness.create(Leads=LEADS)
    before = snapshot(backend)
    run = RunInfo.new("harvest")
    added = [RowAppend("Leads", {"ID": "L-NEWAAA", "Företag": "Ericsson", "Telefon": "+46 8 719 00 00"}),
             RowAppend("Leads", {"ID": "L-NEWBBB", "Företag": "Spotify", "Tillagd": D(2027, 5, 1)})]
    harness.backend.apply(ChangeSet(appends=added), run)
    harness.person_sets("Leads", "L-NEWBBB", "Status", "Kontaktad")
    result = undo(harness, run.run_id)
    report = result.sheets[0].report
    assert report.removed == 1 and len(report.left) == 1 and "L-NEWBBB" in report.left[0]
    assert list(leads(backend).index) == [*before_ids(before), "L-NEWBBB"]


def before_ids(snap):
    return [row[0] for row in snap["Leads"][1:]]


def test_reports_never_show_phone_numbers(harness):
    backend = harness.create(Leads=LEADS)
    run = RunInfo.new("test")
    change = ChangeSet()
    change.set_cell("Leads", "L-AAAAAA", "Telefon", "0701234567", "070-123 45 67")
    harness.backend.apply(change, run)
    harness.person_sets("Leads", "L-AAAAAA", "Telefon", "0709999999")
    text = json.dumps(undo(harness, run.run_id, apply=False).to_dict(), ensure_ascii=False)
    assert "Telefon" in text and "070-*** ** 67" in text  # masked by privacy.shown
    assert not any(number in text for number in ("0701234567", "070-123 45 67", "0709999999"))


# --- what the undo cannot or will not do ------------------------------------------------------


def test_new_ids_are_kept_and_said_so_everything_else_is_restored(tmp_path):
    harness = LocalHarness(tmp_path)
    backend = harness.create(Leads=[{k: v for k, v in LEADS[0].items() if k != "ID"}, *LEADS[1:]], Kontaktlogg=LOG)
    before = snapshot(backend)
    run_id = mark_processed(backend)
    result = undo(harness, run_id)
    assert result.sheets[0].report.ids_kept == 1
    assert "kept 1 new ID " in "\n".join(result.sheets[0].report.render())
    after = snapshot(backend)
    given = after["Leads"][1][0]
    assert re.fullmatch(r"L-[2-9A-Z]{6}", given)
    after["Leads"][1][0] = None
    assert after == before


def test_dry_run_writes_nothing(tmp_path):
    harness = LocalHarness(tmp_path)
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    run_id = mark_processed(backend)
    before = snapshot(backend, log=True)
    result = undo(harness, run_id, apply=False)
    assert result.sheets[0].changes and result.run is None
    assert snapshot(backend, log=True) == before


def test_undo_of_an_undo_redoes_the_run(tmp_path):
    harness = LocalHarness(tmp_path)
    backend = harness.create(Leads=LEADS, Kontaktlogg=LOG)
    run_id = mark_processed(backend)
    done = snapshot(backend)
    first = undo(harness, run_id)
    undo(harness, first.run.run_id)
    assert snapshot(backend) == done
    runs = list_runs(read_log(backend.read()))
    assert [r.command for r in runs] == ["mark-processed", "undo", "undo"]
    assert runs[0].undone_by == (first.run.run_id,) and runs[1].undone_by == (runs[2].id,)


# --- the command line ---------------------------------------------------------------------------


def cli_run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY.isoformat(), *map(str, args)])


def test_list_shows_id_time_command_and_number_of_changes(make_crm):
    path = make_crm(Leads=LEADS, Kontaktlogg=LOG)
    run_id = mark_processed(LocalWorkbook(path))
    changes = len([r for r in rows(path, "Ändringslogg") if r["Körning"] == run_id])
    listed = cli_run("undo", path, "--list")
    assert listed.exit_code == 0, listed.output
    line = listed.stdout.splitlines()[0]
    assert re.fullmatch(rf"{run_id}  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  mark-processed +{changes} changes", line)
    as_json = json.loads(cli_run("undo", path, "--list", "--json").stdout)
    assert as_json == [{"id": run_id, "time": as_json[0]["time"], "command": "mark-processed",
                        "changes": changes, "undone_by": []}]


def test_unknown_run_id_is_one_line_listing_the_latest_runs(make_crm):
    path = make_crm(Leads=LEADS, Kontaktlogg=LOG)
    run_id = mark_processed(LocalWorkbook(path))
    result = cli_run("undo", path, "20270101-000000-beef")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: no run '20270101-000000-beef'") and f"{run_id} (mark-processed" in line


def test_cli_dry_run_then_apply(make_crm):
    path = make_crm(Leads=LEADS, Kontaktlogg=LOG)
    run_id = mark_processed(LocalWorkbook(path))
    dry = cli_run("undo", path, run_id)
    assert dry.exit_code == 0 and "(dry run; add --apply to write)" in dry.output
    assert "L-AAAAAA Volvo Cars, Status: 'Ja' -> 'Ny'" in dry.stdout
    applied = cli_run("undo", path, run_id, "--apply")
    assert applied.exit_code == 0 and re.search(r"undid \d+ changes? as run \S+", applied.output)
    assert "nothing to undo" in cli_run("undo", path, run_id, "--apply").output


# --- runs that wrote several spreadsheets -------------------------------------------------------


def _multi_run(make_crm, tmp_path, *, notes: bool):
    """A run that wrote a group CRM and two members' CRMs under one run id (like the harvest)."""
    group_path = make_crm("group", "grupp.xlsx", Leads=LEADS,
                          Medlemmar=[{"Namn": "Alva", "Individuellt CRM": "alva.xlsx"},
                                     {"Namn": "Bo", "Individuellt CRM": "bo.xlsx"},
                                     {"Namn": "Cem", "Individuellt CRM": "cem.xlsx"}])  # Cem's was never made
    members = [make_crm(name=f"{n}.xlsx", Leads=[{"ID": "L-OWNROW", "Företag": "Eget"}]) for n in ("alva", "bo")]
    before = {p: snapshot(LocalWorkbook(p)) for p in (group_path, *members)}
    run = RunInfo.new("harvest")
    group_changes = ChangeSet()
    group_changes.set_cell("Leads", "L-AAAAAA", "Status", "Ny", "Dialog")
    if notes:
        group_changes.appends += [RowAppend("Ändringslogg", {"Kolumn": RUN_IN, "Efter": f"{n}.xlsx"}) for n in ("alva", "bo")]
    LocalWorkbook(group_path).apply(group_changes, run)
    for path in members:
        LocalWorkbook(path).apply(ChangeSet(appends=[RowAppend("Leads", {"ID": "L-COPIED", "Företag": "Volvo Cars"})]), run)
    return group_path, members, before, run.run_id


@pytest.mark.parametrize("notes", [True, False], ids=["körning-i-notes", "medlemmar-fallback"])
def test_a_run_over_several_spreadsheets_is_undone_from_where_it_started(make_crm, tmp_path, notes):
    group_path, members, before, run_id = _multi_run(make_crm, tmp_path, notes=notes)
    result = cli_run("undo", group_path, run_id, "--apply")
    assert result.exit_code == 0, result.output
    for path, snap in before.items():
        assert snapshot(LocalWorkbook(path)) == snap, path
    assert not (tmp_path / "cem.xlsx").exists()
    group_log = rows(group_path, "Ändringslogg")
    undo_id = group_log[-1]["Körning"]
    assert {r["Efter"] for r in group_log if r["Körning"] == undo_id and r["Kolumn"] == RUN_IN} == {
        str(tmp_path / "alva.xlsx"), str(tmp_path / "bo.xlsx")}
    # the undo of the undo walks the same spreadsheets through its own notes
    redo = cli_run("undo", group_path, undo_id, "--apply")
    assert redo.exit_code == 0, redo.output
    assert all("L-COPIED" in leads(LocalWorkbook(p)).index for p in members)


def test_an_unreachable_member_crm_is_reported_and_the_others_are_undone(make_crm, tmp_path):
    group_path, members, before, run_id = _multi_run(make_crm, tmp_path, notes=True)
    members[1].write_bytes(b"not a workbook")
    result = cli_run("undo", group_path, run_id, "--apply")
    assert result.exit_code == 1 and "FAILED" in result.output and "bo.xlsx" in result.output
    assert snapshot(LocalWorkbook(members[0])) == before[members[0]]
    assert snapshot(LocalWorkbook(group_path)) == before[group_path]


def test_a_real_harvest_is_undone_from_the_group_crm(group, tmp_path):  # noqa: F811 (the fixture)
    path = prepared(group, everyone_wants_everything())
    before_group = snapshot(LocalWorkbook(path))
    assert cli_run("harvest", path, "--seed", "s", "--apply").exit_code == 0
    member_paths = sorted((tmp_path / "studerande").glob("*.xlsx"))
    assert member_paths and all(rows(p, "Leads") for p in member_paths)
    harvest_id = rows(path, "Ändringslogg")[-1]["Körning"]
    result = cli_run("undo", path, harvest_id, "--apply")
    assert result.exit_code == 0, result.output
    assert snapshot(LocalWorkbook(path)) == before_group
    assert all(rows(p, "Leads") == [] and rows(p, "Kontaktlogg") == [] for p in member_paths)


def test_a_row_given_its_id_and_removed_by_one_run_comes_back_with_that_id(tmp_path):
    import openpyxl
    from click.testing import CliRunner

    from chas_sheets.cli import cli

    path = tmp_path / "c.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Företag", "Kontaktperson", "Webbplats"])
    ws.append(["Volvo Personvagnar AB", "Anna", "https://volvocars.com"])
    ws.append(["VOLVO PERSONVAGNAR AB", "Anna", "https://www.volvocars.com/se"])
    wb.save(path)
    assert CliRunner().invoke(cli, ["dedupe", str(path), "--apply"]).exit_code == 0
    log = list(openpyxl.load_workbook(path)["Ändringslogg"].iter_rows(values_only=True))
    removed_id = next(r[4] for r in log if r[5] == "(rad borttagen)")
    run_id = log[1][0]
    assert CliRunner().invoke(cli, ["undo", str(path), run_id, "--apply"]).exit_code == 0
    ids = [r[3] for r in openpyxl.load_workbook(path)["Leads"].iter_rows(min_row=2, values_only=True)]
    assert removed_id in ids and None not in ids


def test_each_spreadsheet_of_an_undo_renders_its_plan_and_ends_with_one_note():
    cells = ChangeSet()
    cells.set_cell("Leads", "L-AAAAAA", "Status", "Ja", "Ny")
    report = UndoReport("grupp.xlsx", "R-1", "mark-processed", "2027-05-12 10:00", planned=["Leads row 2 L-AAAAAA"],
                        restored=1)
    group = SheetUndo("grupp.xlsx", cells, report, written=1, skipped=["Leads row 3: edited since"])
    untouched = SheetUndo("alva.xlsx", report=UndoReport("alva.xlsx", "R-1"))
    unreachable = SheetUndo("bilal.xlsx", problem="cannot be opened")
    run_info = RunInfo.new("undo")
    applied = UndoRun("R-1", True, [group, untouched, unreachable], run_info)
    assert group.render() == ["grupp.xlsx: undo of run R-1 (mark-processed, 2027-05-12 10:00)", "  Leads row 2 L-AAAAAA"]
    assert unreachable.render() == []
    assert applied.notes(group) == [
        "skipped: Leads row 3: edited since",
        f"grupp.xlsx: undid 1 change as run {run_info.run_id}, 1 skipped (logged in Ändringslogg)"]
    assert applied.notes(untouched) == ["alva.xlsx: nothing to undo"]
    assert applied.notes(unreachable) == ["bilal.xlsx: FAILED: cannot be opened"]
    dry = UndoRun("R-1", False, [group])
    assert dry.notes(group)[-1] == "grupp.xlsx: undo would make 1 cell restored (dry run; add --apply to write)"

    runs = [RunSummary("R-1", "2027-05-12 10:00", "mark-processed", 1)]
    assert list_note("grupp.xlsx", runs, listed=True) == "grupp.xlsx: 1 run logged"
    assert list_note("grupp.xlsx", [], listed=False) == "grupp.xlsx: 0 runs logged; give a RUN_ID to undo one"
