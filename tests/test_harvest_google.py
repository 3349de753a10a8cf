"""The harvest of a group CRM in Google Sheets (the emulator, through the CLI): the copied
leads' `Källa` names the group by its title, and a relative link in `Medlemmar` (meaningless
inside a spreadsheet) is reported as unreachable without creating any file. A local group
keeps resolving relative links against its own folder."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace

from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.emulator import make_app, make_emulator_server
from chas_sheets.harvest.prepare import rule_note
from chas_sheets.harvest.run import read_group
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import ChangeSet

TODAY = "2027-04-03"
ANNA, BO = "Anna Pettersson", "Bo Ek"
RELATIVE = "../studerande/anna-pettersson.xlsx"
LEADS = [{"ID": f"L-{c[0]}{n}AAAAA", "Företag": c, "Kontaktperson": f"{who} {c}", "Temperatur": "Varm",
          "Källa": "Mässa", "Telefon": "070-123 45 67"}
         for c in ("Volvo", "Saab") for n, who in enumerate(("Eva", "Olle"))]
PROBLEM = (f"{ANNA}: the link '{RELATIVE}' is a relative path, which a Google spreadsheet cannot resolve: "
           "put the CRM's URL (or an absolute path) in its place")


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY, *map(str, args)])


@pytest.fixture
def ws(monkeypatch):
    """An emulator workspace, also served on loopback for the CLI (CHAS_SHEETS_API_URL)."""
    app = make_app()
    server = make_emulator_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CHAS_SHEETS_API_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    yield EmulatorWorkspace(app, RetryPolicy(total_seconds=30, sleep=lambda seconds: None))
    server.shutdown()
    server.server_close()


def mark_everything(backend) -> None:
    """Every member wants every company (what the members do by hand in Skörd)."""
    skord = read_tables(backend, ["Skörd", "Medlemmar"])["Skörd"]
    wishes = ChangeSet()
    for row_id in skord.df.index:
        for member in (ANNA, BO):
            wishes.set_cell("Skörd", row_id, member, skord.df.at[row_id, member], "x")
    execute(backend, wishes, "wishes", apply=True)


def google_group(ws, title: str, anna_link: str):
    """A Google group CRM titled `title`; Bo's CRM is a Google one, Anna's link as given."""
    bo = ws.fill("student", {})
    group = ws.fill("group", {"Leads": LEADS, "Medlemmar": [{"Namn": ANNA, "Individuellt CRM": anna_link},
                                                             {"Namn": BO, "Individuellt CRM": bo.target}]})
    group._client().post_json(f"https://sheets.googleapis.com/v4/spreadsheets/{group.key}:batchUpdate", {
        "requests": [{"updateSpreadsheetProperties": {"properties": {"title": title}, "fields": "title"}}]})
    assert run("harvest", group.target, "--prepare", "--apply").exit_code == 0
    mark_everything(group)
    return group, bo


def member_rows(backend, tab: str) -> list[dict]:
    table = read_tables(backend, [tab])[tab]
    return [{c: table.df.at[r, c] for c in table.df.columns} for r in table.df.index]


def test_a_google_group_is_named_by_its_title_in_kalla_and_the_log(ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    anna = ws.fill("student", {})
    group, bo = google_group(ws, "stockholm-1", anna.target)
    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 0, result.output
    copied = [r for r in member_rows(bo, "Leads") if r["Företag"]]
    assert sorted(r["Företag"] for r in copied) == ["Saab", "Saab", "Volvo", "Volvo"]
    assert {r["Källa"] for r in copied} == {"Skörd stockholm-1 (Mässa)"}
    logged = [json.loads(r["Efter"]) for r in member_rows(bo, "Ändringslogg")
              if r["Flik"] == "Leads" and r["Kolumn"] == "(ny rad)"]
    assert [row["Källa"] for row in logged] == ["Skörd stockholm-1 (Mässa)"] * 4
    # Anna's CRM got the same text: the name is the group's, not the member's
    assert {r["Källa"] for r in member_rows(anna, "Leads") if r["Företag"]} == {"Skörd stockholm-1 (Mässa)"}


def test_a_relative_link_in_a_google_group_is_unreachable_and_nothing_is_created(ws, tmp_path, monkeypatch):
    workdir = tmp_path / "work" / "here"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    group, bo = google_group(ws, "stockholm-1", RELATIVE)

    dry = run("harvest", group.target, "--seed", "möte")
    assert dry.exit_code == 1
    assert f"  {PROBLEM}\n" in dry.output

    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if RELATIVE in line]
    assert lines == [f"  {PROBLEM}"]  # one clear line, nothing about a template
    assert "created from the template" not in result.output
    assert f"failed: {ANNA} (the others were written" in result.output
    assert list(tmp_path.rglob("*.xlsx")) == []  # neither next to the cwd nor anywhere else
    assert not (tmp_path / "work" / "studerande").exists()
    # Bo was still written, and the group got its split
    assert {r["Företag"] for r in member_rows(bo, "Leads") if r["Företag"]} == {"Volvo", "Saab"}
    skord = member_rows(group, "Skörd")
    assert all(r["Tilldelad"] == f"{ANNA}, {BO}" for r in skord)
    # the link the run could not follow is not named as a CRM it writes (for undo)
    run_in = [r["Efter"] for r in member_rows(group, "Ändringslogg") if r["Kolumn"] == "(körning i)"]
    assert RELATIVE not in run_in and bo.target in run_in


def test_an_absolute_path_in_a_google_group_is_followed(ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    anna_path = tmp_path / "studerande" / "anna-pettersson.xlsx"
    group, _ = google_group(ws, "stockholm-1", str(anna_path))
    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 0, result.output
    assert "(created from the template)" in result.output
    copied = member_rows(LocalWorkbook(anna_path), "Leads")
    assert {r["Källa"] for r in copied if r["Företag"]} == {"Skörd stockholm-1 (Mässa)"}


def test_a_local_group_resolves_relative_links_against_its_folder(make_crm, tmp_path, monkeypatch):
    (tmp_path / "grupper").mkdir()
    path = make_crm("group", "grupper/stockholm-1.xlsx", Leads=LEADS,
                    Medlemmar=[{"Namn": ANNA, "Individuellt CRM": RELATIVE},
                               {"Namn": BO, "Individuellt CRM": "bo.xlsx"}])
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # the cwd must not matter
    assert run("harvest", path, "--prepare", "--apply").exit_code == 0
    mark_everything(LocalWorkbook(path))
    result = run("harvest", path, "--seed", "möte", "--apply")
    assert result.exit_code == 0, result.output
    anna, bo = tmp_path / "studerande" / "anna-pettersson.xlsx", tmp_path / "grupper" / "bo.xlsx"
    for crm in (anna, bo):
        copied = [r for r in member_rows(LocalWorkbook(crm), "Leads") if r["Företag"]]
        assert sorted(r["Företag"] for r in copied) == ["Saab", "Saab", "Volvo", "Volvo"]
        assert {r["Källa"] for r in copied} == {"Skörd stockholm-1 (Mässa)"}
    assert list(elsewhere.parent.rglob("*.xlsx")) == []


def test_the_title_costs_no_request(ws):
    """The group's title comes with the one read of the group (spreadsheets.get)."""
    group, _ = google_group(ws, "göteborg-2", RELATIVE)
    before = ws.app.stats()["bySpreadsheet"].get(group.key, 0)
    tables, name = read_group(ws.open(group.target))
    assert name == "göteborg-2" and "Skörd" in tables
    assert ws.app.stats()["bySpreadsheet"].get(group.key, 0) - before == 1


def test_a_member_spreadsheet_costs_at_most_three_requests(ws, tmp_path, monkeypatch):
    """Read, verify and write: no request to ask whether it exists first."""
    monkeypatch.chdir(tmp_path)
    anna = ws.fill("student", {})
    group, bo = google_group(ws, "stockholm-1", anna.target)
    before = {key: ws.app.stats()["bySpreadsheet"].get(key, 0) for key in (anna.key, bo.key)}
    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 0, result.output
    sent = {key: ws.app.stats()["bySpreadsheet"].get(key, 0) - before[key] for key in before}
    assert sent == {anna.key: 3, bo.key: 3}


def test_a_member_spreadsheet_that_is_gone_is_reported_and_the_others_written(ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    group, bo = google_group(ws, "stockholm-1", "x" * 44)  # a key no spreadsheet has
    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 1
    assert "not found, or no access" in result.output
    assert {r["Företag"] for r in member_rows(bo, "Leads") if r["Företag"]} == {"Volvo", "Saab"}


def test_the_rule_stands_above_skord_on_google_and_the_split_reads_below_it(ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    anna = ws.fill("student", {})
    bo = ws.fill("student", {})
    group = ws.fill("group", {"Leads": LEADS, "Medlemmar": [{"Namn": ANNA, "Individuellt CRM": anna.target},
                                                             {"Namn": BO, "Individuellt CRM": bo.target}]})
    assert run("harvest", group.target, "--prepare", "--apply").exit_code == 0
    grid = group.read(["Skörd"]).grids["Skörd"]
    assert grid[0][0] == rule_note() and not any(grid[0][1:])  # Swedish, alone in the row above the table
    assert grid[1][:3] == ["Företag", ANNA, BO]

    empty = run("harvest", group.target, "--seed", "möte", "--apply")  # nobody has marked anything yet
    assert empty.exit_code == 1
    assert empty.output.startswith("Error: nobody has entered wishes in Skörd (2 companies, 2 members)")
    assert group.read(["Skörd"]).grids["Skörd"] == grid  # the refusal wrote nothing

    mark_everything(group)
    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 0, result.output
    assert all(r["Tilldelad"] == f"{ANNA}, {BO}" for r in member_rows(group, "Skörd"))
    assert group.read(["Skörd"]).grids["Skörd"][0][0] == rule_note()
    assert "nothing to change" in run("harvest", group.target, "--prepare", "--apply").output
