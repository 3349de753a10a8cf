"""The nightly run includes the sharing audit: the `Delning` tab, `--json` "sharing" and the
`Delning (n)` block, e-mails masked; `--no-audit` skips it (no Drive permissions requests,
Delning kept as it was); findings never change the exit code; running twice gives the same tabs."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace
from test_google_backend import loopback  # noqa: F401 - the emulator on a loopback port
from test_nightly import BO_LEADS, TODAY, records, tab

from chas_sheets.backends import open_spreadsheet
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.demo.workspace import build_demo
from chas_sheets.emulator import make_app
from chas_sheets.nightly.report import OWNED_TABS
from chas_sheets.nightly.sharing import SHARING, SHARING_HEADERS, SharingOptions, run_sharing_audit
from chas_sheets.programme.register import read_register

SERVICE = "emulator@chas-sheets-emulator.iam.gserviceaccount.com"  # the emulator's file owner
OUTSIDER = "bo.privat@gmail.com"
DRIVE = "https://www.googleapis.com/drive/v3/files"
LIST_PERMISSIONS = "drive.permissions.list"


def nightly(register: str, *args: str):
    return CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "nightly", register, *args])


# On the emulator -------------------------------------------------------------------------
@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def school(app, loopback):  # noqa: F811 - the fixture imported above
    """A register naming three Google CRMs: Nord's shared inside the school only, Syd's with
    anyone with the link and an outside account, Anna's with its owner only."""
    ws = EmulatorWorkspace(app)
    nord, syd = ws.fill("group", {"Leads": BO_LEADS}), ws.fill("group", {"Leads": BO_LEADS})
    anna = ws.fill("student", {"Leads": BO_LEADS})
    register = ws.fill("register", {
        "Grupper": [{"Grupp": "Nord", "Gruppens CRM": nord.target}, {"Grupp": "Syd", "Gruppens CRM": syd.target}],
        "Studerande": [{"Namn": "Anna Berg", "Grupp": "Nord", "Individuellt CRM": anna.target}]})
    nord.share(["anna@school.se"], notify=False)
    syd.share(["bo@school.se", OUTSIDER], notify=False)
    anyone = syd._client().post_json(f"{DRIVE}/{syd.key}/permissions", {"type": "anyone", "role": "reader"})
    return {"ws": ws, "register": register, "syd": syd, "anyone": anyone["id"], "crms": [nord, syd, anna]}


def delning(school) -> list[list]:
    return school["ws"].open(school["register"].target).read([SHARING]).grids.get(SHARING, [])


def audited(school, *args: str):
    return nightly(school["register"].target, "--domain", "school.se", "--allow", SERVICE, *args)


def test_the_findings_are_in_the_tab_and_the_json_masked_and_do_not_fail_the_run(app, school):
    result = audited(school, "--apply", "--json")
    assert result.exit_code == 0, result.output  # every CRM readable: findings are no failure
    data = json.loads(result.stdout)
    sharing = data["sharing"]
    assert sharing["domain"] == "school.se" and sharing["flagged"] == 1 and sharing["errors"] == 0
    syd = next(c for c in sharing["crms"] if c["owner"] == "Syd")
    assert sorted(f["kind"] for f in syd["findings"]) == ["anyone", "outside"]
    assert SHARING in data["register"]["tabs_changed"]
    grid = delning(school)
    assert tuple(grid[0][:len(SHARING_HEADERS)]) == SHARING_HEADERS
    rows = [dict(zip(SHARING_HEADERS, row)) for row in grid[1:]]
    assert {(r["Typ"], r["Namn"], r["Fynd"]) for r in rows} == {
        ("Grupp", "Syd", "Alla med länken"), ("Grupp", "Syd", "Konto utanför domänen")}
    outside = next(r for r in rows if r["Fynd"] == "Konto utanför domänen")
    assert "b***@gmail.com" in outside["Vad"] and outside["Roll"] == "redigerare"
    assert all(r["CRM"] == school["syd"].target and r["Datum"] == TODAY for r in rows)
    assert OUTSIDER not in result.stdout and OUTSIDER not in str(grid)


def test_the_text_output_has_a_delning_block(app, school):
    result = audited(school)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    block = lines[lines.index("Delning (2)"):]
    assert any("Alla med länken: grupp Syd: anyone with the link (läsare)" in line for line in block)
    assert any("b***@gmail.com outside school.se" in line for line in block)
    assert OUTSIDER not in result.output
    assert "sharing: 3 CRMs checked: 2 findings in 1 CRMs" in result.stderr


def test_no_audit_sends_no_permissions_request_and_keeps_the_tab(app, school):
    app.stats_counter.reset()
    audited(school, "--apply")
    assert app.stats()["byMethod"].get(LIST_PERMISSIONS) == len(school["crms"])  # one per Google CRM
    before = delning(school)
    syd = school["syd"]
    syd._client().request("delete", f"{DRIVE}/{syd.key}/permissions/{school['anyone']}")
    app.stats_counter.reset()
    skipped = audited(school, "--apply", "--json", "--no-audit")
    assert skipped.exit_code == 0, skipped.output
    assert LIST_PERMISSIONS not in app.stats()["byMethod"]
    assert json.loads(skipped.stdout)["sharing"] is None
    assert delning(school) == before  # not checked tonight: last night's findings stay
    audited(school, "--apply")
    assert [row[3] for row in delning(school)[1:]] == ["Konto utanför domänen"]  # the fixed link is gone


def test_running_twice_gives_the_same_tabs_on_google(app, school):
    audited(school, "--apply")
    titles = [*OWNED_TABS, SHARING]  # Nattkörning moves on while written CRMs are read again
    first = school["ws"].open(school["register"].target).read(titles).grids
    second = json.loads(audited(school, "--apply", "--json").stdout)
    assert SHARING not in second["register"]["tabs_changed"]
    assert school["ws"].open(school["register"].target).read(titles).grids == first


# Locally ---------------------------------------------------------------------------------
@pytest.fixture
def local(make_crm, tmp_path) -> Path:
    """Nord's CRM readable by everyone on the machine, Anna's private, Cia's missing."""
    make_crm("group", "nord.xlsx", Leads=BO_LEADS)
    make_crm("student", "anna.xlsx", Leads=BO_LEADS)
    os.chmod(tmp_path / "nord.xlsx", 0o644)
    os.chmod(tmp_path / "anna.xlsx", 0o600)
    make_crm("register", "register.xlsx", Grupper=[{"Grupp": "Nord", "Gruppens CRM": "nord.xlsx"}], Studerande=[
        {"Namn": "Anna Berg", "Grupp": "Nord", "Individuellt CRM": "anna.xlsx"},
        {"Namn": "Cia Holm", "Grupp": "Nord", "Individuellt CRM": "finns-inte.xlsx"}])
    return tmp_path


def test_a_world_readable_local_crm_is_flagged_and_the_missing_one_not_checked(local):
    result = nightly(str(local / "register.xlsx"), "--apply", "--json")
    assert result.exit_code == 1  # Cia's missing CRM: the Dashboard's error row, as before
    data = json.loads(result.stdout)
    assert data["sharing"]["flagged"] == 1 and data["sharing"]["errors"] == 1
    rows = {r["Namn"]: r for r in records(local / "register.xlsx", SHARING)}
    assert set(rows) == {"Nord", "Cia Holm"}
    assert rows["Nord"]["Fynd"] == "Filen läsbar för andra" and "läge 0644" in rows["Nord"]["Vad"]  # the tab is Swedish
    assert rows["Cia Holm"]["Fynd"] == "Kunde inte kontrolleras"
    # the night wrote both CRMs (IDs): the atomic save kept each file's mode
    assert stat.S_IMODE((local / "nord.xlsx").stat().st_mode) == 0o644
    assert stat.S_IMODE((local / "anna.xlsx").stat().st_mode) == 0o600


def test_running_twice_gives_the_same_tabs_locally(local):
    register = local / "register.xlsx"
    nightly(str(register), "--apply")
    titles = [*OWNED_TABS, SHARING]  # Nattkörning moves on while written CRMs are read again
    first = {t: tab(register, t) for t in titles}
    assert len(first[SHARING]) == 3  # headers and two rows
    second = json.loads(nightly(str(register), "--apply", "--json").stdout)
    assert SHARING not in second["register"]["tabs_changed"]
    assert {t: tab(register, t) for t in titles} == first
    os.chmod(local / "nord.xlsx", 0o600)  # backoffice fixes it: the next night drops the row
    nightly(str(register), "--apply")
    assert [r["Namn"] for r in records(register, SHARING)] == ["Cia Holm"]


def test_a_new_day_rewrites_the_tab_with_its_date(local):
    register = local / "register.xlsx"
    nightly(str(register), "--apply")
    CliRunner().invoke(cli, ["--today", (TODAY + dt.timedelta(days=1)).isoformat(), "nightly", str(register), "--apply"])
    assert {r["Datum"].date() for r in records(register, SHARING)} == {TODAY + dt.timedelta(days=1)}


def test_the_demo_writes_private_workbooks_that_the_audit_does_not_flag(tmp_path):
    paths = build_demo(tmp_path / "demo", TODAY)
    workbooks = list((tmp_path / "demo").rglob("*.xlsx"))
    assert {stat.S_IMODE(p.stat().st_mode) for p in workbooks} == {0o600}
    register, _ = read_register(LocalWorkbook(paths["register"]), TODAY)
    audit = run_sharing_audit(register, open_spreadsheet, SharingOptions()).report
    assert len(audit.crms) > 10 and not audit.flagged and not audit.errors
