"""`Körningar` and `watch`: people order a job in the sheet, the watch runs it and answers there.

Locally with workbooks and on the Sheets API emulator: a Skörd ordered with a seed is split
and every member's CRM written; a quiet poll costs one request (nothing read locally); a
watch stopped after its claim resumes under the same run id and never runs the job twice;
Ångra from the sheet undoes a harvest, members' CRMs included; a request that cannot be
carried out is Fel with one line; command-line --apply runs are listed in the tab too.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace

from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.emulator import make_app
from chas_sheets.harvest.prepare import plan_prepare
from chas_sheets.harvest.run import GROUP_TABS
from chas_sheets.nightly.state import Combined, LocalFiles
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import CellChange, ChangeSet, RowAppend, TabReplacement
from chas_sheets.sheet.tables import RawWorkbook, load_table
from chas_sheets.watch import service as watch_service
from chas_sheets.watch.requests import (
    FAILED,
    LEASE,
    Request,
    claim_text,
    lists_run,
    plan_poll,
    read_requests,
)
from chas_sheets.watch.service import Watch

TODAY = dt.date(2027, 4, 3)
ANNA, BO = "Anna Pettersson", "Bo Ek"
COMPANIES = ("Volvo", "Saab", "Scania")
LEADS = [{"Företag": c, "Kontaktperson": f"{who} {c}", "Temperatur": "Varm", "Telefon": "070-123 45 67"}
         for c in COMPANIES for who in ("Eva", "Olle")]
RUN_ID = re.compile(r"körning (\d{8}-\d{6}-[0-9a-f]{4})")
HEADERS = ["Jobb", "Argument", "Status", "Beställd av", "Beställd", "Klar", "Resultat", "ID"]


def cli_run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY.isoformat(), *map(str, args)])


def rows(path, tab):
    ws = openpyxl.load_workbook(path)[tab]
    grid = list(ws.iter_rows(values_only=True))
    top = next(n for n, r in enumerate(grid) if sum(v is not None for v in r) > 1)  # Skörd: its rule above
    headers = list(grid[top])
    return [dict(zip(headers, r)) for r in grid[top + 1:] if any(v is not None for v in r)]


def order(path, job, argument=None, **cells):
    """What a person does: a new row at the bottom of Körningar."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Körningar"]
    row = ws.max_row + 1
    for column, value in {"Jobb": job, "Argument": argument, **cells}.items():
        if value is not None:
            ws.cell(row, HEADERS.index(column) + 1).value = value
    wb.save(path)


def mark_everything(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["Skörd"]
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Företag")  # the rule stands above
    headers = [c.value for c in ws[top]]
    for r in range(top + 1, ws.max_row + 1):
        for member in (ANNA, BO):
            ws.cell(r, headers.index(member) + 1).value = "x"
    wb.save(path)


@pytest.fixture
def workspace(tmp_path, make_crm):
    """A register with one group (Anna and Bo) whose Skörd is prepared and fully marked."""
    members = [{"Namn": ANNA, "Individuellt CRM": "../studerande/anna.xlsx"},
               {"Namn": BO, "Individuellt CRM": "../studerande/bo.xlsx"}]
    (tmp_path / "grupper").mkdir()
    (tmp_path / "studerande").mkdir()
    group = make_crm("group", "grupper/g1.xlsx", Leads=LEADS, Medlemmar=members)
    make_crm("student", "studerande/anna.xlsx")
    make_crm("student", "studerande/bo.xlsx")
    make_crm("register", "register.xlsx", Grupper=[{"Grupp": "G1", "Gruppens CRM": "grupper/g1.xlsx"}],
             Studerande=[{"Namn": ANNA, "Grupp": "G1", "Individuellt CRM": "studerande/anna.xlsx"},
                         {"Namn": BO, "Grupp": "G1", "Individuellt CRM": "studerande/bo.xlsx"}])
    assert cli_run("harvest", group, "--prepare", "--apply").exit_code == 0
    mark_everything(group)
    return tmp_path


def watch(workspace, *, now=None, reads=None):
    """One poll, as `watch --once` makes it (library call: a clock and a read counter can be given)."""
    service = Watch(str(workspace / "register.xlsx"), lambda target: LocalWorkbook(target),
                    Combined(LocalFiles(), None), workspace / "state.json", today=lambda: TODAY,
                    **({"now": now} if now else {}))
    return service.poll()


def runs_tab(path):
    return rows(path, "Körningar")


def logged_runs(path, command=None):
    return {r["Körning"] for r in rows(path, "Ändringslogg") if command is None or r["Kommando"] == command}


def leads_of(path):
    return sorted(r["Företag"] for r in rows(path, "Leads"))


# --- locally ------------------------------------------------------------------------------------

def test_skord_ordered_in_the_sheet_splits_and_answers_in_the_row(workspace):
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Skörd", "möte 3 april")
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "watch", str(workspace / "register.xlsx"),
                                      "--once", "--state", str(workspace / "state.json")])
    assert result.exit_code == 0, result.output
    (row,) = [r for r in runs_tab(group) if r["Jobb"] == "Skörd"]
    assert row["Status"] == "Klar" and row["Klar"] and row["Beställd"] and row["ID"].startswith("J-")
    assert "frö möte 3 april" in row["Resultat"]
    assert f"{ANNA} 3 företag (6 leads)" in row["Resultat"] and f"{BO} 3 företag (6 leads)" in row["Resultat"]
    run_id = RUN_ID.search(row["Resultat"]).group(1)
    assert run_id in logged_runs(group, "harvest")  # the run the row names is the harvest's
    for member in ("anna", "bo"):
        path = workspace / "studerande" / f"{member}.xlsx"
        assert leads_of(path) == sorted(c for c in COMPANIES for _ in range(2))
        assert run_id in logged_runs(path, "harvest")
    assert {r["Tilldelad"] for r in rows(group, "Skörd")} == {f"{ANNA}, {BO}"}
    assert "Körningar row 3 Skörd: Klar" in result.output


def test_a_quiet_poll_reads_nothing_locally(workspace, monkeypatch):
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Skörd", "möte")
    first = watch(workspace)
    assert [a.status for a in first.answers] == ["Klar"]
    second = watch(workspace)  # its own writes changed the files: each read once more, nothing to do
    assert second.answers == [] and str(group) in second.read
    reads = []
    original = LocalWorkbook.read
    monkeypatch.setattr(LocalWorkbook, "read", lambda self, tabs=None: reads.append(self.target) or original(self, tabs))
    third = watch(workspace)
    assert reads == [] and third.read == [] and third.answers == []
    order(group, "Bearbetade")  # a person's edit is seen at the next poll, only that CRM read
    fourth = watch(workspace)
    assert fourth.read == [str(group)] and [a.job for a in fourth.answers] == ["Bearbetade"]


def test_a_watch_stopped_after_its_claim_resumes_under_the_same_run_id_and_runs_once(workspace, monkeypatch):
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Skörd", "möte")

    def killed(*args, **kwargs):
        raise SystemExit("the service was stopped")

    monkeypatch.setattr(watch_service, "run_split", killed)
    with pytest.raises(SystemExit):
        watch(workspace)
    (row,) = [r for r in runs_tab(group) if r["Jobb"] == "Skörd"]
    assert row["Status"] == "Kör"
    claimed = RUN_ID.search(row["Resultat"]).group(1)
    assert claimed not in logged_runs(group)  # the claim is the watch's write; the job wrote nothing
    monkeypatch.undo()

    # Within the lease the claim stands (its watch may still run it): nothing runs, a new order waits
    order(group, "Bearbetade")
    soon = watch(workspace, now=lambda: dt.datetime.now().replace(microsecond=0))
    assert [(a.job, a.status) for a in soon.answers] == []
    assert [r["Status"] for r in runs_tab(group) if r["Jobb"] in ("Skörd", "Bearbetade")] == ["Kör", "Väntar"]
    assert not logged_runs(group, "harvest")

    later = lambda: dt.datetime.now().replace(microsecond=0) + LEASE + dt.timedelta(minutes=1)  # noqa: E731
    resumed = watch(workspace, now=later)
    assert [(a.job, a.status) for a in resumed.answers] == [("Skörd", "Klar"), ("Bearbetade", "Klar")]
    (row,) = [r for r in runs_tab(group) if r["Jobb"] == "Skörd"]
    assert row["Status"] == "Klar" and RUN_ID.search(row["Resultat"]).group(1) == claimed
    assert logged_runs(group, "harvest") == {claimed}  # one harvest, under the claimed id
    assert leads_of(workspace / "studerande" / "anna.xlsx") == sorted(c for c in COMPANIES for _ in range(2))

    # Found Kör with its run id already in Ändringslogg: it ran, so it is only marked Klar
    order(group, "Bearbetade", Status="Kör", Resultat=claim_text(claimed, dt.datetime.now()))
    before = rows(group, "Ändringslogg")
    again = watch(workspace, now=later)
    assert [(a.job, a.status) for a in again.answers] == [("Bearbetade", "Klar")]
    assert "avbrott" in again.answers[0].result
    assert logged_runs(group, "harvest") == {claimed} and leads_of(workspace / "studerande" / "bo.xlsx") == \
        sorted(c for c in COMPANIES for _ in range(2))
    new_log = rows(group, "Ändringslogg")[len(before):]
    assert {r["Flik"] for r in new_log} == {"Körningar"}  # only the answer was written


def test_a_claim_whose_lease_runs_out_is_resumed_without_anyone_editing_the_sheet(workspace, monkeypatch):
    group = workspace / "grupper" / "g1.xlsx"
    stale = "20270403-120000-abcd"
    order(group, "Skörd", "möte", Status="Kör", Resultat=claim_text(stale, dt.datetime(2027, 4, 3, 12, 0)))
    order(group, "Bearbetade")
    at = lambda minute: (lambda: dt.datetime(2027, 4, 3, 12, minute))  # noqa: E731
    first = watch(workspace, now=at(5))
    assert first.answers == [] and [r["Status"] for r in runs_tab(group)][-2:] == ["Kör", "Väntar"]
    watch(workspace, now=at(6))  # its own Väntar write: read once more
    resumed = watch(workspace, now=at(11))  # nothing changed in the file, but the lease ran out
    assert [(a.job, a.status) for a in resumed.answers] == [("Skörd", "Klar"), ("Bearbetade", "Klar")]
    assert logged_runs(group, "harvest") == {stale}


def test_check_takes_a_crm_without_korningar_as_one_made_before_it(tmp_path):
    path = tmp_path / "old.xlsx"
    LocalWorkbook(path).create("group")
    wb = openpyxl.load_workbook(path)
    del wb["Körningar"]
    wb.save(path)
    result = cli_run("check", path, "--json")
    findings = [f for f in json.loads(result.stdout)["findings"] if f.get("tab") == "Körningar"]
    assert [(f["level"], f["message"]) for f in findings] == [
        ("info", "tab not there yet; chas-sheets creates it when needed")]


def test_a_harvest_claim_found_in_the_log_is_completed_under_its_id_not_run_again(workspace):
    group = workspace / "grupper" / "g1.xlsx"
    assert cli_run("harvest", group, "--seed", "möte", "--apply").exit_code == 0
    (harvest_id,) = logged_runs(group, "harvest")
    anna = workspace / "studerande" / "anna.xlsx"
    order(group, "Skörd", "möte", Status="Kör", Resultat=claim_text(harvest_id, dt.datetime.now()))
    (answer,) = watch(workspace).answers
    assert answer.status == "Klar" and answer.result.endswith(f"körning {harvest_id}")
    assert "0 ändringar i gruppens CRM, 0 individuella CRM skrivna" in answer.result  # all there already
    assert logged_runs(group, "harvest") == {harvest_id} and logged_runs(anna, "harvest") == {harvest_id}


def test_watch_once_exits_1_when_the_register_cannot_be_read(tmp_path):
    result = CliRunner().invoke(cli, ["watch", str(tmp_path / "nowhere.xlsx"), "--once",
                                      "--state", str(tmp_path / "state.json")])
    assert result.exit_code == 1
    assert "problem:" in result.output and "nowhere.xlsx" in result.output


def test_angra_from_the_sheet_undoes_the_harvest_members_included(workspace):
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Skörd", "möte")
    watch(workspace)
    (row,) = [r for r in runs_tab(group) if r["Jobb"] == "Skörd"]
    harvest_id = RUN_ID.search(row["Resultat"]).group(1)
    order(group, "Ångra", harvest_id)
    result = watch(workspace)
    assert [(a.job, a.status) for a in result.answers] == [("Ångra", "Klar")]
    (undo_row,) = [r for r in runs_tab(group) if r["Jobb"] == "Ångra"]
    assert f"ångrade körning {harvest_id} (harvest) i 3 kalkylblad" in undo_row["Resultat"]
    undo_id = RUN_ID.findall(undo_row["Resultat"])[-1]  # the undo's own id comes last
    assert undo_id in logged_runs(group, "undo")
    for member in ("anna", "bo"):
        assert leads_of(workspace / "studerande" / f"{member}.xlsx") == []
    assert {r["Tilldelad"] for r in rows(group, "Skörd")} == {None}
    # the tab is history: the harvest's row is still there, and still says what it did
    assert [r["Status"] for r in runs_tab(group) if r["Jobb"] == "Skörd"] == ["Klar"]


def test_requests_that_cannot_be_carried_out_are_fel_with_one_line(workspace):
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Ångra", "20270101-120000-abcd")
    order(group, "Skörd")
    order(group, "Baka bullar")
    result = watch(workspace)
    answers = {a.job: a for a in result.answers}
    assert {a.status for a in answers.values()} == {FAILED}
    fel = {r["Jobb"]: r["Resultat"] for r in runs_tab(group) if r["Status"] == "Fel"}
    assert fel["Ångra"].startswith("ingen körning 20270101-120000-abcd i det här kalkylarkets Ändringslogg")
    assert fel["Skörd"].startswith("Skörd behöver fröet")
    assert fel["Baka bullar"].startswith("okänt jobb 'Baka bullar'")
    assert all("\n" not in text for text in fel.values())
    assert not logged_runs(group, "harvest")  # nothing ran
    # answered once: the next poll leaves them
    assert watch(workspace).answers == []


def test_a_skord_in_an_individual_crm_is_fel(workspace):
    anna = workspace / "studerande" / "anna.xlsx"
    order(anna, "Skörd", "möte")
    (answer,) = watch(workspace).answers
    assert answer.status == FAILED and "gruppens CRM" in answer.result


def test_preview_writes_only_its_answer(workspace):
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Förhandsvisa skörd", "möte")
    (answer,) = watch(workspace).answers
    assert answer.status == "Klar" and "förhandsvisning med frö möte" in answer.result
    assert f"{ANNA} 3 företag (6 leads)" in answer.result
    assert leads_of(workspace / "studerande" / "anna.xlsx") == []
    assert not logged_runs(group, "harvest")


def test_a_preview_that_cannot_be_made_is_fel(tmp_path, make_crm):
    group = make_crm("group", "g.xlsx", Leads=LEADS, Körningar=[{"Jobb": "Förhandsvisa skörd"}])
    wb = openpyxl.load_workbook(group)
    del wb["Skörd"]  # never prepared, in a CRM made before the template had the tab
    wb.save(group)
    make_crm("register", "register.xlsx", Grupper=[{"Grupp": "G1", "Gruppens CRM": "g.xlsx"}])
    (answer,) = watch(tmp_path).answers
    assert answer.status == FAILED and answer.result.startswith("Skörd listar inga företag än")
    assert [r["Status"] for r in runs_tab(tmp_path / "g.xlsx")] == ["Fel"]


def test_cli_apply_lists_its_run_and_a_dry_run_does_not(make_crm):
    crm = make_crm("student", Leads=[{"Företag": "Volvo", "Kontaktperson": "Eva"}],
                   Kontaktlogg=[{"Datum": dt.date(2027, 4, 1), "Företag": "Volvo", "Kontaktperson": "Eva",
                                 "Kanal": "Telefon", "Utfall": "Ja"}])
    assert cli_run("mark-processed", crm).exit_code == 0
    assert runs_tab(crm) == []
    result = cli_run("mark-processed", crm, "--apply")
    assert result.exit_code == 0
    (row,) = runs_tab(crm)
    run_id = RUN_ID.search(row["Resultat"]).group(1)
    assert (row["Jobb"], row["Status"], row["Beställd av"]) == ("Bearbetade", "Klar", "(kommandoraden)")
    assert row["Klar"] and run_id in logged_runs(crm, "mark-processed")
    # the summary line counts the job's changes, not its listing, and the log holds no row for it
    assert f"as run {run_id}" in result.output
    assert {r["Flik"] for r in rows(crm, "Ändringslogg")} - {"Leads", "Kontaktlogg"} == set()
    assert cli_run("undo", crm, run_id, "--apply").exit_code == 0
    assert [r["Jobb"] for r in runs_tab(crm)] == ["Bearbetade", "Ångra"]  # history stays


def test_a_crm_without_the_tab_gets_it_from_the_first_listed_run(tmp_path):
    path = tmp_path / "old.xlsx"
    LocalWorkbook(path).create("student")
    wb = openpyxl.load_workbook(path)
    del wb["Körningar"]
    wb.save(path)
    crm = LocalWorkbook(path)
    changes = ChangeSet()
    changes.appends.append(RowAppend("Leads", {"ID": "L-AAAAAA", "Företag": "Volvo"}))
    outcome = execute(crm, changes, "mark-processed", True)
    assert outcome.written == 1
    assert [r["Jobb"] for r in rows(path, "Körningar")] == ["Bearbetade"]
    assert [c.value for c in openpyxl.load_workbook(path)["Körningar"][1]][:7] == HEADERS[:7]


# --- the planner --------------------------------------------------------------------------------

def _request(row, job, status="", argument="", result=""):
    return Request(f"J-{row}", row, job, argument, status, "", result, job in ("Skörd", "Ångra", "Bearbetade"))


def test_the_planner_resumes_claims_and_queues_behind_a_live_one():
    now = dt.datetime(2027, 4, 3, 12, 0)
    live, stale, done = "20270403-115500-aaaa", "20270403-113000-bbbb", "20270403-110000-cccc"
    requests = [_request(2, "Bearbetade", "Kör", result=claim_text(done, now)),
                _request(3, "Bearbetade", "Kör", result=claim_text(stale, now)),
                _request(4, "Skörd", "", argument="möte")]
    steps = plan_poll(requests, "group", {done}, now)
    assert [(s.request.sheet_row, s.action, s.run_id) for s in steps] == [
        (2, "complete", done), (3, "rerun", stale), (4, "run", None)]
    requests.insert(0, _request(1, "Skörd", "Kör", "möte", claim_text(live, now)))
    steps = plan_poll(requests, "group", {done}, now)
    assert [(s.request.sheet_row, s.action) for s in steps] == [(2, "complete"), (3, "rerun"), (4, "wait")]
    answered = [_request(5, "Bearbetade", "Klar"), _request(6, "Skörd", "Fel"), _request(7, "Ångra", "Klart?")]
    assert plan_poll(answered, "group", set(), now) == []  # answered, or a status people typed: left
    assert [s.action for s in plan_poll([_request(6, "Bearbetade", "Kör", result="?")], "group", set(), now)] == ["fail"]


def test_read_requests_takes_the_vocabulary_forgivingly_in_row_order():
    grid = [HEADERS, ["skörd", "x", "", "", "", "", "", "J-AAAAAA"], [], ["BEARBETADE", "", "klar", "", "", "", "", ""],
            ["Baka", "", "", "", "", "", "", ""]]
    table = load_table(RawWorkbook(["Körningar"], {"Körningar": grid}, "test"), "Körningar")
    requests = read_requests(table)
    assert [(r.job, r.status, r.known, r.sheet_row) for r in requests] == [
        ("Skörd", "", True, 2), ("Bearbetade", "Klar", True, 4), ("Baka", "", False, 5)]


def test_only_runs_that_change_a_crms_own_tabs_are_listed():
    assert lists_run(ChangeSet(cells=[CellChange("Leads", "L-1", "Status", None, "Ja")]))
    assert not lists_run(ChangeSet(replacements=[TabReplacement("Att göra", ("A",), ())]))
    assert not lists_run(ChangeSet(cells=[CellChange("Studerande", "a@b.se", "Grupp", None, "G1")]))


# --- on the emulator ----------------------------------------------------------------------------

@pytest.fixture
def ws():
    return EmulatorWorkspace(make_app(), RetryPolicy(total_seconds=30, sleep=lambda seconds: None))


def _google_workspace(ws):
    anna, bo = ws.fill("student", {}), ws.fill("student", {})
    group = ws.fill("group", {
        "Leads": [{**lead, "ID": f"L-{i}AAAAA"} for i, lead in enumerate(LEADS)],
        "Medlemmar": [{"Namn": ANNA, "Individuellt CRM": anna.target}, {"Namn": BO, "Individuellt CRM": bo.target}],
        "Körningar": [{"Jobb": "Skörd", "Argument": "möte"}]})
    register = ws.fill("register", {
        "Grupper": [{"Grupp": "G1", "Gruppens CRM": group.target}],
        "Studerande": [{"Namn": ANNA, "Grupp": "G1", "Individuellt CRM": anna.target},
                       {"Namn": BO, "Grupp": "G1", "Individuellt CRM": bo.target}]})
    changes, _report = plan_prepare(read_tables(group, *GROUP_TABS), TODAY)
    execute(group, changes, "harvest --prepare", True)
    skord = read_tables(group, ["Skörd", "Medlemmar"])["Skörd"]
    wishes = ChangeSet()
    for row_id in skord.df.index:
        for member in (ANNA, BO):
            wishes.set_cell("Skörd", row_id, member, skord.df.at[row_id, member], "x")
    execute(group, wishes, "wishes", True)
    return register, group, anna, bo


def _requests_made(ws, poll):
    before = ws.app.stats()["total"]
    result = poll()
    return result, ws.app.stats()["total"] - before


def _google_rows(backend, tab):
    table = read_tables(backend, [tab])[tab]
    return [{c: table.df.at[r, c] for c in table.df.columns} for r in table.df.index]


def test_on_the_emulator_skord_then_quiet_polls_cost_one_request_then_angra(ws, tmp_path):
    register, group, anna, bo = _google_workspace(ws)
    service = Watch(register.target, ws.open, ws.detector(), tmp_path / "state.json", today=lambda: TODAY)

    first, cost = _requests_made(ws, service.poll)
    assert [(a.job, a.status) for a in first.answers] == [("Skörd", "Klar")]
    (row,) = [r for r in _google_rows(group, "Körningar") if r["Jobb"] == "Skörd"]
    harvest_id = RUN_ID.search(row["Resultat"]).group(1)
    assert f"{ANNA} 3 företag (6 leads)" in row["Resultat"]
    for member in (anna, bo):
        assert sorted(r["Företag"] for r in _google_rows(member, "Leads")) == sorted(c for c in COMPANIES for _ in "12")

    second, cost = _requests_made(ws, service.poll)  # the first poll's own writes: read once more
    assert second.answers == [] and cost == 1 + len(second.read)
    third, cost = _requests_made(ws, service.poll)
    assert third.read == [] and cost == 1  # nothing changed: Drive's changes feed, nothing else

    # A person orders Ångra (typed in the sheet's next row, like fill writes it)
    below = len(_google_rows(group, "Körningar")) + 2
    group._client().post_json(f"https://sheets.googleapis.com/v4/spreadsheets/{group.key}/values:batchUpdate",
                              {"valueInputOption": "RAW",
                               "data": [{"range": f"'Körningar'!A{below}", "values": [["Ångra", harvest_id]]}]})
    fourth, cost = _requests_made(ws, service.poll)
    assert fourth.read == [group.target] and [(a.job, a.status) for a in fourth.answers] == [("Ångra", "Klar")]
    for member in (anna, bo):
        assert [r["Företag"] for r in _google_rows(member, "Leads")] == []
    (undo_row,) = [r for r in _google_rows(group, "Körningar") if r["Jobb"] == "Ångra"]
    assert undo_row["Status"] == "Klar" and f"ångrade körning {harvest_id}" in undo_row["Resultat"]


def test_on_the_emulator_a_claim_left_by_a_stopped_watch_runs_once_after_the_lease(ws, tmp_path, monkeypatch):
    register, group, _anna, bo = _google_workspace(ws)
    service = Watch(register.target, ws.open, ws.detector(), tmp_path / "state.json", today=lambda: TODAY)

    def killed(*args, **kwargs):
        raise SystemExit("stopped")

    monkeypatch.setattr(watch_service, "run_split", killed)
    with pytest.raises(SystemExit):
        service.poll()
    monkeypatch.undo()
    (row,) = [r for r in _google_rows(group, "Körningar") if r["Jobb"] == "Skörd"]
    claimed = RUN_ID.search(row["Resultat"]).group(1)
    assert row["Status"] == "Kör"
    service.now = lambda: dt.datetime.now().replace(microsecond=0) + LEASE + dt.timedelta(seconds=1)
    resumed = service.poll()  # the state was not saved by the stopped poll: all read again
    assert [(a.job, a.status) for a in resumed.answers] == [("Skörd", "Klar")]
    harvests = {r["Körning"] for r in _google_rows(group, "Ändringslogg") if r["Kommando"] == "harvest"}
    assert harvests == {claimed}
    assert {r["Körning"] for r in _google_rows(bo, "Ändringslogg") if r["Kommando"] == "harvest"} == {claimed}
