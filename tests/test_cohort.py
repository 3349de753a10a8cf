"""`cohort start`, `cohort individual`, `cohort move` on local workbooks: the issue's "Done when"."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.cohort.roster import parse_roster
from chas_sheets.runner import read_tables

TODAY = "2026-09-01"
GROUPS = {"Grupp A": 7, "Grupp B": 7, "Grupp C": 6}


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY, *map(str, args)])


def class_list() -> list[dict]:
    rows = []
    for group, size in GROUPS.items():
        for n in range(size):
            name = f"Student {group[-1]}{n}"
            rows.append({"Namn": name, "E-post": f"s{group[-1].lower()}{n}@skola.example.se", "Grupp": group,
                         "Utbildning": "Javautvecklare", "Region": "Stockholm"})
    return rows


def write_csv(path: Path, rows: list[dict], headers=("Namn", "E-post", "Grupp", "Utbildning", "Region")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(h.replace("Mejl", "E-post").replace("Karriärgrupp", "Grupp"), "") for h in headers])
    return path


def rows(target, tab) -> list[dict]:
    table = read_tables(LocalWorkbook(target), [tab])[tab]
    return [{c: table.text(r, c) for c in table.df.columns} for r in table.df.index]


@pytest.fixture
def started(tmp_path):
    roster = write_csv(tmp_path / "klass.csv", class_list())
    register = tmp_path / "register.xlsx"
    result = run("cohort", "start", roster, "--register", register, "--apply")
    assert result.exit_code == 0, result.output
    return tmp_path, roster, register


def test_class_list_problems_are_reported_with_rows_and_nothing_is_created(tmp_path):
    students = class_list()
    students[3]["Grupp"] = ""  # a student in no group (sheet row 5)
    students[10]["E-post"] = students[2]["E-post"]  # a duplicate e-mail (sheet rows 4 and 12)
    roster = write_csv(tmp_path / "klass.csv", students)
    result = run("cohort", "start", roster, "--register", tmp_path / "register.xlsx", "--apply")
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem:")]
    assert problems == [
        "problem: class list row 5: no Grupp; write the student's career group",
        "problem: class list row 12: the same E-post as row 4; each student needs their own address "
        "(fix one of the two rows)"]
    assert "Error:" in result.output and "nothing was created" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["klass.csv"]
    assert students[2]["E-post"] not in result.output  # rows are named, never addresses


def test_a_bad_address_is_a_problem_and_an_unusual_group_size_a_warning():
    grid = [["Name", "Mejl", "Karriärgrupp"], ["A", "a@x.se", "G1"], ["B", "not-an-address", "G1"]]
    roster = parse_roster(grid, "k.csv")
    assert roster.problems == ["class list row 3: E-post is not one e-mail address; write the student's own address"]
    assert roster.warnings == ["group G1 has 2 students (usually 6-8); check the class list if that is not meant"]


def test_start_creates_the_register_and_a_group_crm_per_group_with_its_members(started):
    folder, _, register = started
    groups = rows(register, "Grupper")
    assert [g["Grupp"] for g in groups] == list(GROUPS)
    assert [g["Gruppens CRM"] for g in groups] == [f"grupper/{g}.xlsx" for g in GROUPS]
    assert {g["Big Bang Day"] for g in groups} == {"2026-12-01"} and {g["Kull"] for g in groups} == {"2027"}
    students = rows(register, "Studerande")
    assert len(students) == 20
    for group in GROUPS:
        members = rows(folder / "grupper" / f"{group}.xlsx", "Medlemmar")
        expected = [s for s in class_list() if s["Grupp"] == group]
        assert [(m["Namn"], m["E-post"]) for m in members] == [(s["Namn"], s["E-post"]) for s in expected]


def test_a_second_run_creates_nothing_and_says_so(started):
    folder, roster, register = started
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*.xlsx")}
    result = run("cohort", "start", roster, "--register", register, "--apply")
    assert result.exit_code == 0, result.output
    assert "already there; nothing to create" in result.output and "nothing written" in result.output
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.xlsx")} == before


def test_a_student_added_to_the_class_list_later_is_added_where_they_belong(started):
    folder, roster, register = started
    late = {"Namn": "Sen Student", "E-post": "sen@skola.example.se", "Grupp": "grupp b", "Utbildning": "Java"}
    write_csv(roster, [*class_list(), late])
    result = run("cohort", "start", roster, "--register", register, "--apply")
    assert result.exit_code == 0, result.output
    assert "group Grupp B: added 1 member to Medlemmar" in result.output
    assert rows(register, "Studerande")[-1]["Grupp"] == "Grupp B"
    assert rows(folder / "grupper" / "Grupp B.xlsx", "Medlemmar")[-1]["E-post"] == "sen@skola.example.se"
    assert len(list((folder / "grupper").glob("*.xlsx"))) == 3


def test_individual_all_creates_20_crms_and_fills_both_link_columns(started):
    folder, _, register = started
    dry = run("cohort", "individual", register, "--all")
    assert dry.exit_code == 0 and "would create 20 individual CRMs" in dry.output
    assert not (folder / "studerande").exists()
    result = run("cohort", "individual", register, "--all", "--apply")
    assert result.exit_code == 0, result.output
    assert len(list((folder / "studerande").glob("*.xlsx"))) == 20
    links = {s["E-post"]: s["Individuellt CRM"] for s in rows(register, "Studerande")}
    assert all(link.startswith("studerande/") for link in links.values()) and len(set(links.values())) == 20
    for group in GROUPS:
        for member in rows(folder / "grupper" / f"{group}.xlsx", "Medlemmar"):
            # seen from grupper/: the same file as the register's link
            assert member["Individuellt CRM"] == "../" + links[member["E-post"]]
            assert (folder / "grupper" / member["Individuellt CRM"]).is_file()
    again = run("cohort", "individual", register, "--all", "--apply")
    assert "already has an individual CRM; none created" in again.output
    assert len(list((folder / "studerande").glob("*.xlsx"))) == 20


def test_move_moves_one_student_and_undo_moves_them_back(started):
    folder, _, register = started
    who = "sa0@skola.example.se"
    result = run("cohort", "move", register, who, "--to", "Grupp C", "--apply")
    assert result.exit_code == 0, result.output
    assert "moved from Grupp A to Grupp C" in result.output and "the 0 leads the student added stay" in result.output
    student = next(s for s in rows(register, "Studerande") if s["E-post"] == who)
    assert student["Grupp"] == "Grupp C"
    a = [m["E-post"] for m in rows(folder / "grupper" / "Grupp A.xlsx", "Medlemmar")]
    c = [m["E-post"] for m in rows(folder / "grupper" / "Grupp C.xlsx", "Medlemmar")]
    assert who not in a and len(a) == 6 and c[-1] == who and len(c) == 7
    run_id = result.output.split("done as run ")[1].split()[0]
    undone = run("undo", register, run_id, "--apply")
    assert undone.exit_code == 0, undone.output
    student = next(s for s in rows(register, "Studerande") if s["E-post"] == who)
    assert student["Grupp"] == "Grupp A"
    assert who in [m["E-post"] for m in rows(folder / "grupper" / "Grupp A.xlsx", "Medlemmar")]
    assert who not in [m["E-post"] for m in rows(folder / "grupper" / "Grupp C.xlsx", "Medlemmar")]


def test_move_counts_the_leads_the_student_leaves_with_the_group(started):
    from chas_sheets.runner import execute
    from chas_sheets.sheet.changes import ChangeSet, RowAppend

    folder, _, register = started
    group_a = LocalWorkbook(folder / "grupper" / "Grupp A.xlsx")
    leads = ChangeSet(appends=[RowAppend("Leads", {"Företag": f"Bolag {n}", "Tillagd av": "Student A1"})
                               for n in range(3)])
    execute(group_a, leads, "test", apply=True)
    result = run("cohort", "move", register, "Student A1", "--to", "Grupp B")
    assert result.exit_code == 0, result.output
    assert "would move from Grupp A to Grupp B" in result.output
    assert "the 3 leads the student added stay in Grupp A's CRM" in result.output
    assert len(rows(folder / "grupper" / "Grupp A.xlsx", "Leads")) == 3


def test_move_to_an_unknown_group_is_one_line(started):
    _, _, register = started
    result = run("cohort", "move", register, "sa0@skola.example.se", "--to", "Grupp Z")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no group 'Grupp Z' in Grupper; known: Grupp A, Grupp B, Grupp C"


def test_big_bang_day_given_lands_in_every_new_group(tmp_path):
    roster = write_csv(tmp_path / "klass.csv", class_list())
    register = tmp_path / "register.xlsx"
    result = run("cohort", "start", roster, "--register", register, "--big-bang-day", "2026-11-24", "--apply")
    assert result.exit_code == 0, result.output
    assert "Big Bang Day 2026-11-24" in result.output
    assert [g["Big Bang Day"] for g in rows(register, "Grupper")] == ["2026-11-24"] * 3
    stored = read_tables(LocalWorkbook(register), ["Grupper"])["Grupper"].df["Big Bang Day"]
    assert all(isinstance(day, dt.date) and day.isoformat()[:10] == "2026-11-24" for day in stored)  # a date, not text


@pytest.mark.parametrize("typed", ["24/11", "2026-11-31", "0001-01-01"])
def test_a_bad_big_bang_day_is_a_one_line_usage_error_and_nothing_is_created(tmp_path, typed):
    roster = write_csv(tmp_path / "klass.csv", class_list())
    result = run("cohort", "start", roster, "--register", tmp_path / "register.xlsx", "--big-bang-day", typed,
                 "--apply")
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0] == result.output.splitlines()[-1]
    assert errors[0].startswith("Error: Invalid value for '--big-bang-day': ") and typed in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["klass.csv"]
