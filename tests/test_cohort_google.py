"""The cohort commands on Google (the emulator, through the CLI): the same life as locally, and
each spreadsheet shared with exactly its people (plus the account chas-sheets runs as, its owner)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_cohort import GROUPS, TODAY, class_list, write_csv
from test_harvest_google import ws  # noqa: F401 - the emulator workspace served on loopback

from chas_sheets.cli import cli
from chas_sheets.runner import read_tables


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY, *map(str, args)])




def rows(ws, target, tab) -> list[dict]:
    table = read_tables(ws.open(target), [tab])[tab]
    return [{c: table.text(r, c) for c in table.df.columns} for r in table.df.index]


def people(ws, target) -> dict[str, str]:
    """Who may open the spreadsheet: e-mail (or 'owner') -> role; never anyone by link."""
    found = {}
    for p in ws.open(target).list_permissions():
        assert p["type"] in ("user",), p  # no link, domain or group sharing
        found["owner" if p["role"] == "owner" else p["emailAddress"]] = p["role"]
    return found


@pytest.fixture
def started(ws, tmp_path):
    roster = write_csv(tmp_path / "klass.csv", class_list())
    result = run("cohort", "start", roster, "--register", "google:Register 2027", "--apply")
    assert result.exit_code == 0, result.output
    register = result.output.split("the new register: ")[1].split()[0]
    return roster, register


def test_start_on_google_shares_each_group_crm_with_exactly_its_members(ws, started):
    roster, register = started
    groups = rows(ws, register, "Grupper")
    assert [g["Grupp"] for g in groups] == list(GROUPS)
    for group in groups:
        assert group["Gruppens CRM"].startswith("https://docs.google.com/spreadsheets/d/")
        expected = [s for s in class_list() if s["Grupp"] == group["Grupp"]]
        members = rows(ws, group["Gruppens CRM"], "Medlemmar")
        assert [m["E-post"] for m in members] == [s["E-post"] for s in expected]
        assert people(ws, group["Gruppens CRM"]) == {"owner": "owner", **{s["E-post"]: "writer" for s in expected}}
    assert people(ws, register) == {"owner": "owner"}  # backoffice's register: shared with no student
    files = len(ws.app.store.files)
    again = run("cohort", "start", roster, "--register", register, "--apply")
    assert again.exit_code == 0, again.output
    assert "nothing to create" in again.output and len(ws.app.store.files) == files


def test_individual_and_move_on_google(ws, started):
    _, register = started
    files, before = len(ws.app.store.files), ws.app.stats()["total"]
    result = run("cohort", "individual", register, "--all", "--apply")
    assert result.exit_code == 0, result.output
    assert len(ws.app.store.files) == files + 20
    # Creation is per spreadsheet (files.create, template, the student's permission); the rest
    # (finding left-behind CRMs, the register, 3 group CRMs' links) is batched: a few requests.
    assert ws.app.stats()["total"] - before - 3 * 20 <= 16
    students = rows(ws, register, "Studerande")
    for student in students:
        assert people(ws, student["Individuellt CRM"]) == {"owner": "owner", student["E-post"]: "writer"}
    groups = {g["Grupp"]: g["Gruppens CRM"] for g in rows(ws, register, "Grupper")}
    links = {s["E-post"]: s["Individuellt CRM"] for s in students}
    for member in rows(ws, groups["Grupp A"], "Medlemmar"):
        assert member["Individuellt CRM"] == links[member["E-post"]]

    who = "sa0@skola.example.se"
    moved = run("cohort", "move", register, who, "--to", "Grupp C", "--old-access", "read-only", "--apply")
    assert moved.exit_code == 0, moved.output
    assert who not in [m["E-post"] for m in rows(ws, groups["Grupp A"], "Medlemmar")]
    assert [m for m in rows(ws, groups["Grupp C"], "Medlemmar") if m["E-post"] == who][0]["Individuellt CRM"] == links[who]
    assert people(ws, groups["Grupp C"])[who] == "writer"
    assert people(ws, groups["Grupp A"])[who] == "reader"
    run_id = moved.output.split("done as run ")[1].split()[0]
    undone = run("undo", register, run_id, "--apply")
    assert undone.exit_code == 0, undone.output
    assert who in [m["E-post"] for m in rows(ws, groups["Grupp A"], "Medlemmar")]
    assert who not in [m["E-post"] for m in rows(ws, groups["Grupp C"], "Medlemmar")]
    assert [s["Grupp"] for s in rows(ws, register, "Studerande") if s["E-post"] == who] == ["Grupp A"]
    # the access too: editor of the old group's CRM again, none to the new one's
    assert people(ws, groups["Grupp A"])[who] == "writer" and who not in people(ws, groups["Grupp C"])
    expected_a = {"owner": "owner", **{s["E-post"]: "writer" for s in class_list() if s["Grupp"] == "Grupp A"}}
    assert people(ws, groups["Grupp A"]) == expected_a


def test_move_on_google_removes_the_old_access_by_default(ws, started):
    _, register = started
    groups = {g["Grupp"]: g["Gruppens CRM"] for g in rows(ws, register, "Grupper")}
    moved = run("cohort", "move", register, "sb1@skola.example.se", "--to", "Grupp A", "--apply")
    assert moved.exit_code == 0, moved.output
    assert "sb1@skola.example.se" not in people(ws, groups["Grupp B"])
    assert people(ws, groups["Grupp A"])["sb1@skola.example.se"] == "writer"


def sharing_log(ws, target) -> list[tuple[str, str, str, str]]:
    """The sharing rows of a spreadsheet's Ändringslogg: (command, e-mail, before, after)."""
    return [(r["Kommando"], r["Rad-ID"], r["Före"], r["Efter"]) for r in rows(ws, target, "Ändringslogg")
            if r["Kolumn"] == "(delning)"]


def test_move_logs_the_sharing_where_it_happened_and_undo_and_redo_follow_it(ws, started):
    _, register = started
    groups = {g["Grupp"]: g["Gruppens CRM"] for g in rows(ws, register, "Grupper")}
    who = "sb1@skola.example.se"
    moved = run("cohort", "move", register, who, "--to", "Grupp A", "--apply")
    assert moved.exit_code == 0, moved.output
    assert sharing_log(ws, groups["Grupp B"])[-1] == ("cohort move", who, "writer", "")
    assert sharing_log(ws, groups["Grupp A"])[-1] == ("cohort move", who, "", "writer")
    assert not sharing_log(ws, register)  # the register's own access did not change
    run_id = moved.output.split("done as run ")[1].split()[0]

    undone = run("undo", register, run_id, "--apply")
    assert undone.exit_code == 0, undone.output
    assert people(ws, groups["Grupp B"])[who] == "writer" and who not in people(ws, groups["Grupp A"])
    assert sharing_log(ws, groups["Grupp B"])[-1] == ("undo", who, "", "writer")
    again = run("undo", register, run_id, "--apply")  # twice: nothing more to do, access as it is
    assert again.exit_code == 0, again.output
    assert people(ws, groups["Grupp B"])[who] == "writer" and who not in people(ws, groups["Grupp A"])

    undo_id = undone.output.split(" as run ")[1].split()[0]
    redone = run("undo", register, undo_id, "--apply")  # undoing the undo moves the student again
    assert redone.exit_code == 0, redone.output
    assert people(ws, groups["Grupp A"])[who] == "writer" and who not in people(ws, groups["Grupp B"])


def test_undo_leaves_access_a_person_changed_since_the_move(ws, started):
    _, register = started
    groups = {g["Grupp"]: g["Gruppens CRM"] for g in rows(ws, register, "Grupper")}
    who = "sc2@skola.example.se"
    moved = run("cohort", "move", register, who, "--to", "Grupp B", "--old-access", "read-only", "--apply")
    assert moved.exit_code == 0, moved.output
    assert sharing_log(ws, groups["Grupp C"])[-1] == ("cohort move", who, "writer", "reader")
    ws.open(groups["Grupp C"]).unshare(who)  # backoffice took the read-only access away by hand
    run_id = moved.output.split("done as run ")[1].split()[0]
    undone = run("undo", register, run_id, "--apply")
    assert undone.exit_code == 0, undone.output
    assert "access changed after the run (the run left read-only, now no access)" in undone.output
    assert "left as it is: sharing (Ändringslogg row " in undone.output  # said once, as what undo did
    assert who not in people(ws, groups["Grupp C"])  # left as the person made it
    assert who not in people(ws, groups["Grupp B"])  # the new group's access, as the run left it: undone
    assert who not in undone.output  # lines name log rows, not people


class Stop(Exception):
    """The run stopping (a crash, a power cut) at a chosen point."""


def stop_at(monkeypatch, method: str, kind: str, nth: int) -> dict:
    """Make the `nth` call of GoogleSpreadsheet.<method> for `kind` stop the run: `new` right
    after the file and its template exist, `_format` right after the bare files.create."""
    from chas_sheets.backends.google import GoogleSpreadsheet

    state = {"on": True, "calls": 0}
    if method == "new":
        original = GoogleSpreadsheet.new.__func__

        def new(cls, kind_, **kwargs):
            sheet = original(cls, kind_, **kwargs)
            if state["on"] and kind_ == kind:
                state["calls"] += 1
                if state["calls"] == nth:
                    raise Stop(sheet.target)
            return sheet
        monkeypatch.setattr(GoogleSpreadsheet, "new", classmethod(new))
    else:
        original_format = GoogleSpreadsheet._format

        def _format(self, layout, old):
            if state["on"] and layout.kind == kind:
                state["calls"] += 1
                if state["calls"] == nth:
                    raise Stop(self.target)
            return original_format(self, layout, old)
        monkeypatch.setattr(GoogleSpreadsheet, "_format", _format)
    return state


def spreadsheets(ws) -> int:
    return len(ws.app.store.files)


def check_started(ws, register):
    """The register names 3 group CRMs, each with exactly its members in Medlemmar and as editors."""
    groups = rows(ws, register, "Grupper")
    assert [g["Grupp"] for g in groups] == list(GROUPS)
    assert len({g["Gruppens CRM"] for g in groups}) == 3
    for group in groups:
        expected = [s["E-post"] for s in class_list() if s["Grupp"] == group["Grupp"]]
        assert [m["E-post"] for m in rows(ws, group["Gruppens CRM"], "Medlemmar")] == expected
        assert people(ws, group["Gruppens CRM"]) == {"owner": "owner", **{e: "writer" for e in expected}}
    assert len(rows(ws, register, "Studerande")) == 20


@pytest.mark.parametrize("method, nth", [("new", 2), ("_format", 2)],
                         ids=["stopped-after-a-crm-was-made", "stopped-before-its-template"])
def test_a_start_that_stopped_after_creating_leaves_no_orphan(ws, tmp_path, monkeypatch, method, nth):
    roster = write_csv(tmp_path / "klass.csv", class_list())
    state = stop_at(monkeypatch, method, "group", nth)
    stopped = run("cohort", "start", roster, "--register", "google:Register 2027", "--apply")
    assert isinstance(stopped.exception, Stop)
    assert spreadsheets(ws) == 3  # the register and two group CRMs, none in the register yet
    state["on"] = False
    # Given the same google:TITLE (the stopped run never said where its register is)
    result = run("cohort", "start", roster, "--register", "google:Register 2027", "--apply")
    assert result.exit_code == 0, result.output
    assert "the register google:Register 2027 was created by an earlier run; used it" in result.output
    assert result.output.count("found its CRM, created by a run that stopped before the register named it") == 2
    assert spreadsheets(ws) == 4  # register + 3 group CRMs: nothing made twice
    register = result.output.split("the new register: ")[1].split()[0]
    check_started(ws, register)
    again = run("cohort", "start", roster, "--register", register, "--apply")
    assert again.exit_code == 0 and "nothing to create" in again.output and spreadsheets(ws) == 4


def test_individual_that_stopped_midway_uses_the_crms_it_made(ws, started, monkeypatch):
    _, register = started
    files = spreadsheets(ws)
    state = stop_at(monkeypatch, "new", "student", 5)
    stopped = run("cohort", "individual", register, "--all", "--apply")
    assert isinstance(stopped.exception, Stop) and spreadsheets(ws) == files + 5
    state["on"] = False
    result = run("cohort", "individual", register, "--all", "--apply")
    assert result.exit_code == 0, result.output
    assert "found 5 individual CRMs an interrupted run had created; used them" in result.output
    assert "created 15 individual CRMs" in result.output
    assert spreadsheets(ws) == files + 20
    students = rows(ws, register, "Studerande")
    assert len({s["Individuellt CRM"] for s in students}) == 20
    for student in students:
        assert people(ws, student["Individuellt CRM"]) == {"owner": "owner", student["E-post"]: "writer"}


def test_drive_finds_files_by_app_property_only_as_google_documents_it(ws):
    from chas_sheets.backends.google import DRIVE_URL, GoogleSpreadsheet, find_created
    from chas_sheets.emulator import emulator_session

    mine = GoogleSpreadsheet.new("student", app_properties={"chasSheetsFor": "x'1"}, session=ws.session())
    GoogleSpreadsheet.new("student", app_properties={"chasSheetsFor": "x'2"}, session=ws.session())
    GoogleSpreadsheet.new("student", session=ws.session())
    assert [f["id"] for f in find_created("chasSheetsFor", "x'1")] == [mine.key]
    assert find_created("chasSheetsFor", "nobody") == []
    session = emulator_session(ws.app)
    answer = session.get(f"{DRIVE_URL}/files", params={"q": "appProperties has { key='chasSheetsFor' }"})
    assert answer.status_code == 400  # Google wants key and value


def test_class_list_problems_on_google_create_nothing(ws, tmp_path):
    students = class_list()
    students[3]["Grupp"] = ""
    students[10]["E-post"] = students[2]["E-post"]
    roster = write_csv(tmp_path / "klass.csv", students)
    result = run("cohort", "start", roster, "--register", "google:Register 2027", "--apply")
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("problem:")] == [
        "problem: class list row 5: no Grupp; write the student's career group",
        "problem: class list row 12: the same E-post as row 4; each student needs their own address "
        "(fix one of the two rows)"]
    assert spreadsheets(ws) == 0 and ws.app.stats()["total"] == 0  # not even a request


def test_undo_of_a_start_takes_the_members_access_away_with_their_rows(ws, tmp_path):
    roster = write_csv(tmp_path / "klass.csv", class_list())
    result = run("cohort", "start", roster, "--register", "google:Register 2027", "--apply")
    assert result.exit_code == 0, result.output
    register = result.output.split("the new register: ")[1].split()[0]
    groups = {g["Grupp"]: g["Gruppens CRM"] for g in rows(ws, register, "Grupper")}
    assert sharing_log(ws, groups["Grupp C"]) == [("cohort start", s["E-post"], "", "writer")
                                                  for s in class_list() if s["Grupp"] == "Grupp C"]
    run_id = result.output.split("done as run ")[1].split()[0]
    undone = run("undo", register, run_id, "--apply")
    assert undone.exit_code == 0, undone.output
    for crm in groups.values():
        assert rows(ws, crm, "Medlemmar") == [] and people(ws, crm) == {"owner": "owner"}
    assert rows(ws, register, "Studerande") == []
