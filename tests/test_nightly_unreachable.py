"""A night on which CRMs cannot be read (files gone, Google unreachable) must not erase what
the register's tabs knew: the state keeps those CRMs (to be read again), the cross-CRM tabs
keep their rows, Dashboard has a Fel row each, the exit code is 1; a good night after it
updates everything as usual."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket

import openpyxl
import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace
from test_google_backend import loopback  # noqa: F401 - the emulator on a loopback port
from test_nightly import (
    ANNA_LEADS,
    ANNA_LOG,
    BO_LEADS,
    GROUP_LEADS,
    GROUP_LOG,
    GROUP_MEMBERS,
    TODAY,
    records,
    run,
    tab,  # noqa: F401 - the workspace fixture
    workspace,
)

from chas_sheets.cli import cli
from chas_sheets.emulator import make_app
from chas_sheets.nightly.report import MEMBERS, OVERPROCESSING, PLACEMENT
from chas_sheets.nightly.sharing import SHARING
from chas_sheets.nightly.state import REREAD, STATE_TAB

NEXT = TODAY + dt.timedelta(days=1)
CROSS = (OVERPROCESSING, MEMBERS)


def state(register) -> dict[str, dict]:
    return {r["CRM"]: r for r in records(register, STATE_TAB) if not r["CRM"].startswith("(")}


def without_date(rows: list[list]) -> list[list]:
    return [row[1:] for row in rows]


# Local CRMs: the files are gone for a night --------------------------------------------
def test_a_night_with_every_crm_gone_keeps_the_tabs_and_the_state(workspace):
    register = workspace / "register.xlsx"
    run(workspace, "--apply")
    first = {t: tab(register, t) for t in CROSS}
    assert len(first[OVERPROCESSING]) > 1 and len(first[MEMBERS]) > 1
    read_before = state(register)
    for folder in ("studerande", "grupper"):
        shutil.move(workspace / folder, workspace / f"{folder}.away")
    bad = run(workspace, "--apply", "--json", today=NEXT)
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    # the cross-CRM tabs: recounted for the new day from the CRMs' last summaries
    for t in CROSS:
        assert without_date(tab(register, t)) == without_date(first[t]) and tab(register, t)[1][0].date() == NEXT
    kept = state(register)
    assert set(kept) == set(read_before)  # nothing forgotten
    assert all(kept[t]["Version"] == REREAD and kept[t]["Sammanfattning"] == read_before[t]["Sammanfattning"]
               for t in kept)
    dashboard = {r["Namn"]: r for r in records(register, "Dashboard")}
    assert all(dashboard[n]["Status"] == "Fel" for n in ("G1", "Anna Berg", "Bo Ström"))
    assert f"senast läst {TODAY.isoformat()}" in dashboard["Anna Berg"]["Orsak"]
    assert "could not be read" in bad.stderr and "counted from their last read" in bad.stderr
    assert data["crms"][str(workspace / "studerande/anna.xlsx")]["counted_from"] == TODAY.isoformat()
    note = [r for r in records(register, STATE_TAB) if r["CRM"] == "(Obs)"]
    assert note and "kunde inte läsas" in note[0]["Sammanfattning"]
    # the files come back: every CRM is read again (never skipped on the kept summary)
    for folder in ("studerande", "grupper"):
        shutil.move(workspace / f"{folder}.away", workspace / folder)
    good = json.loads(run(workspace, "--apply", "--json", today=NEXT).stdout)
    readable = [t for t, o in good["crms"].items() if t in read_before]
    assert readable and all(good["crms"][t]["read"] for t in readable)
    assert all(r["Version"] != REREAD for r in state(register).values())
    [note] = [r["Sammanfattning"] for r in records(register, STATE_TAB) if r["CRM"] == "(Obs)"]
    assert "2 CRM kunde inte läsas" in note  # only the missing and the corrupt CRM of the fixture
    assert good["kept_tabs"] == []


def test_some_crms_gone_keep_their_risk_row_and_count_in_the_tabs(workspace):
    register = workspace / "register.xlsx"
    run(workspace, "--apply")
    first = {t: tab(register, t) for t in (*CROSS, PLACEMENT)}
    risk = [r for r in records(register, PLACEMENT) if r["Namn"] == "Bo Ström"]
    assert risk and risk[0]["Lista"] == "Risk"
    (workspace / "studerande/bo.xlsx").rename(workspace / "bo.away")
    (workspace / "grupper/g1.xlsx").rename(workspace / "g1.away")
    bad = run(workspace, "--apply")
    assert bad.exit_code == 1
    for t in CROSS:
        assert tab(register, t) == first[t]
    again = json.loads(run(workspace, "--apply", "--json").stdout)
    assert again["register"]["tabs_changed"] == []  # the same bad night twice: the same tabs
    assert [r for r in records(register, PLACEMENT) if r["Namn"] == "Bo Ström"] == risk
    assert state(register)[str(workspace / "studerande/bo.xlsx")]["Version"] == REREAD
    assert state(register)[str(workspace / "studerande/anna.xlsx")]["Version"] != REREAD


def test_without_a_summary_to_stand_in_the_cross_crm_tabs_keep_last_nights_rows(workspace):
    register = workspace / "register.xlsx"
    run(workspace, "--apply")
    first = {t: tab(register, t) for t in CROSS}
    wb = openpyxl.load_workbook(register)  # the state lost (a damaged tab): nothing to stand in
    del wb[STATE_TAB]
    wb.save(register)
    shutil.move(workspace / "grupper", workspace / "grupper.away")
    bad = run(workspace, "--apply", "--json", today=NEXT)
    assert bad.exit_code == 1
    assert {t: tab(register, t) for t in CROSS} == first  # last night's rows, dates and all
    assert json.loads(bad.stdout)["kept_tabs"] == [OVERPROCESSING, MEMBERS]
    assert "not updated" in bad.stderr
    shutil.move(workspace / "grupper.away", workspace / "grupper")
    good = run(workspace, "--apply", "--json", today=NEXT)
    assert json.loads(good.stdout)["kept_tabs"] == []
    assert tab(register, OVERPROCESSING)[1][0].date() == NEXT


# Google CRMs, the API unreachable ------------------------------------------------------
@pytest.fixture
def app():
    return make_app()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mixed(app, loopback, make_crm, tmp_path):  # noqa: F811 - the fixture imported above
    """A local register whose CRMs are Google spreadsheets; one shared with anyone."""
    ws = EmulatorWorkspace(app)
    group = ws.fill("group", {"Leads": GROUP_LEADS, "Kontaktlogg": GROUP_LOG,
                              "Medlemmar": [{"Namn": n} for n in GROUP_MEMBERS]})
    anna = ws.fill("student", {"Leads": ANNA_LEADS, "Kontaktlogg": ANNA_LOG})
    bo = ws.fill("student", {"Leads": BO_LEADS})
    bo._client().post_json(f"https://www.googleapis.com/drive/v3/files/{bo.key}/permissions",
                           {"type": "anyone", "role": "reader"})
    make_crm("register", "register.xlsx", Grupper=[
        {"Grupp": "G1", "Gruppens CRM": group.target, "Big Bang Day": dt.date(2026, 12, 8), "Delmål": 45}],
        Studerande=[{"Namn": "Anna Berg", "Grupp": "G1", "Individuellt CRM": anna.target},
                    {"Namn": "Bo Ström", "Grupp": "G1", "Individuellt CRM": bo.target}])
    return tmp_path / "register.xlsx"


def night(register, *args, today=TODAY):
    return CliRunner().invoke(cli, ["--today", today.isoformat(), "nightly", str(register), "--apply", *args])


def test_google_unreachable_for_a_night(mixed, monkeypatch):
    assert night(mixed).exit_code == 0
    first = {t: tab(mixed, t) for t in (*CROSS, SHARING)}
    assert len(first[OVERPROCESSING]) == 2 and len(first[SHARING]) == 2  # Spotify; Bo's link
    crms = set(state(mixed))
    good_api = os.environ["CHAS_SHEETS_API_URL"]
    monkeypatch.setenv("CHAS_SHEETS_API_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("CHAS_SHEETS_RETRY_SECONDS", "0.5")
    bad = night(mixed, "--json", today=NEXT)
    assert bad.exit_code == 1
    for t in CROSS:
        assert without_date(tab(mixed, t)) == without_date(first[t])
    assert set(state(mixed)) == crms and all(r["Version"] == REREAD for r in state(mixed).values())
    assert all(r["Status"] == "Fel" for r in records(mixed, "Dashboard"))
    sharing = records(mixed, SHARING)
    assert [r["Fynd"] for r in sharing].count("Kunde inte kontrolleras") == 3
    assert [r for r in sharing if r["Fynd"] == "Alla med länken"]  # last night's finding kept
    monkeypatch.setenv("CHAS_SHEETS_API_URL", good_api)
    good = night(mixed, "--json", today=NEXT)
    assert good.exit_code == 0, good.output
    assert all(o["read"] for o in json.loads(good.stdout)["crms"].values())
    assert without_date(tab(mixed, SHARING)) == without_date(first[SHARING])
    assert all(r["Version"] != REREAD for r in state(mixed).values())
