"""audit-sharing: CRMs shared wider than members and backoffice, on the emulator and locally."""

from __future__ import annotations

import json
import os

import gspread
import pytest
from click.testing import CliRunner
from test_google_backend import loopback  # noqa: F401 - the emulator on a loopback port
from workbooks import write_rows

from chas_sheets.backends import google_key
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.cli import cli
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.programme.register import read_register
from chas_sheets.sharing.audit import (
    ANYONE,
    DOMAIN,
    FILE_MODE,
    OUTSIDE,
    audit_register,
    file_mode_findings,
    sharing_findings,
)

SERVICE = "emulator@chas-sheets-emulator.iam.gserviceaccount.com"  # the emulator's file owner


def user(email, role="writer"):
    return {"id": str(abs(hash(email))), "type": "user", "role": role, "emailAddress": email}


# The pure rules --------------------------------------------------------------------------
def test_anyone_and_domain_links_are_always_findings():
    found = sharing_findings([{"id": "1", "type": "anyone", "role": "reader"},
                              {"id": "2", "type": "anyone", "role": "reader", "allowFileDiscovery": True},
                              {"id": "3", "type": "domain", "role": "writer", "domain": "school.se"}])
    assert [f.kind for f in found] == [ANYONE, ANYONE, DOMAIN]
    assert "findable in search" in found[1].detail and found[2].role == "writer"


def test_accounts_outside_the_domain_are_findings_masked_and_allowed_ones_are_not():
    perms = [user("anna@school.se"), user("bo@elev.school.se"), user("kalle.private@gmail.com"),
             user(SERVICE, "owner"), {"id": "g", "type": "group", "role": "reader", "emailAddress": "all@partner.se"}]
    found = sharing_findings(perms, "school.se", allowed=[SERVICE, "partner.se"])
    assert [(f.kind, f.detail) for f in found] == [(OUTSIDE, "user k***@gmail.com outside school.se")]
    assert "kalle.private" not in json.dumps([f.to_dict() for f in found])


def test_without_a_domain_only_links_are_flagged():
    assert sharing_findings([user("x@gmail.com")]) == []


def test_file_modes():
    assert file_mode_findings(0o100600) == []
    assert "everyone on this machine" in file_mode_findings(0o100644)[0].detail
    assert file_mode_findings(0o100640)[0].kind == FILE_MODE


# On the emulator -------------------------------------------------------------------------
@pytest.fixture
def app():
    return make_app()


def fast_retry() -> RetryPolicy:
    return RetryPolicy(total_seconds=30, sleep=lambda seconds: None)


@pytest.fixture
def school(app):
    """A register on the emulator naming two group CRMs and two students' CRMs (one missing)."""
    session = emulator_session(app)
    new = lambda kind: GoogleSpreadsheet.new(kind, session=session, retry=fast_retry())  # noqa: E731
    register, tidy, leaky, student = new("register"), new("group"), new("group"), new("student")
    gc = gspread.Client(auth=None, session=session)
    book = gc.open_by_key(register.key)

    def fill(tab, rows):
        ws = book.worksheet(tab)
        headers = ws.row_values(1)
        ws.update([[row.get(h, "") for h in headers] for row in rows], "A2", raw=True)

    fill("Grupper", [{"Grupp": "Nord", "Gruppens CRM": tidy.target}, {"Grupp": "Syd", "Gruppens CRM": leaky.target}])
    fill("Studerande", [{"Namn": "Anna", "Grupp": "Nord", "E-post": "anna@school.se", "Individuellt CRM": student.target},
                        {"Namn": "Bo", "Grupp": "Syd", "E-post": "bo@school.se",
                         "Individuellt CRM": "https://docs.google.com/spreadsheets/d/" + "x" * 44}])
    tidy.share(["anna@school.se"], notify=False)
    leaky.share(["bo@school.se", "bo.privat@gmail.com"], notify=False)
    http = gc.http_client
    http.request("post", f"https://www.googleapis.com/drive/v3/files/{leaky.key}/permissions",
                 json={"type": "anyone", "role": "reader"})
    http.request("post", f"https://www.googleapis.com/drive/v3/files/{student.key}/permissions",
                 json={"type": "domain", "role": "reader", "domain": "school.se"})
    return {"register": register, "tidy": tidy, "leaky": leaky, "student": student, "session": session}


def test_audit_register_on_the_emulator(app, school):
    reg, _ = read_register(school["register"])
    opened = lambda ref: GoogleSpreadsheet(google_key(ref), session=school["session"], retry=fast_retry())  # noqa: E731
    report = audit_register(reg, opened, "school.se", allowed=[SERVICE])
    by_owner = {c.owner: c for c in report.crms}
    assert by_owner["Nord"].findings == [] and not by_owner["Nord"].error
    assert sorted(f.kind for f in by_owner["Syd"].findings) == [ANYONE, OUTSIDE]
    assert [f.kind for f in by_owner["Anna"].findings] == [DOMAIN]
    assert by_owner["Bo"].error and not by_owner["Bo"].findings  # unreachable: reported, the rest went on
    assert "bo.privat" not in json.dumps(report.to_dict())


def test_the_command_lists_findings_exits_1_and_masks_e_mails(app, school, loopback):
    args = ["audit-sharing", school["register"].target, "--domain", "school.se", "--allow", SERVICE]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "anyone with the link (reader)" in result.output
    assert "b***@gmail.com outside school.se" in result.output
    assert "everyone in school.se with the link" in result.output
    assert "bo.privat@gmail.com" not in result.output
    data = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert data["flagged"] == 2 and data["errors"] == 1


def test_the_account_running_the_audit_is_not_flagged(app, school, loopback):
    # The emulator's own account owns every CRM and runs the audit: it is backoffice itself
    # (tests/test_audit_self.py covers service-account keys and --allow).
    result = CliRunner().invoke(cli, ["audit-sharing", school["register"].target, "--domain", "school.se", "--json"])
    nord = next(c for c in json.loads(result.stdout)["crms"] if c["owner"] == "Nord")
    assert nord["findings"] == []


# Locally ---------------------------------------------------------------------------------
def test_local_crms_readable_by_others_are_findings(make_crm):
    register = make_crm("register", name="register.xlsx")
    group = make_crm("group", name="nord.xlsx")
    student = make_crm("student", name="anna.xlsx")
    write_rows(register, "Grupper", [{"Grupp": "Nord", "Gruppens CRM": "nord.xlsx"}])
    write_rows(register, "Studerande", [{"Namn": "Anna", "Grupp": "Nord", "Individuellt CRM": "anna.xlsx"},
                                        {"Namn": "Cia", "Grupp": "Nord", "Individuellt CRM": "saknas.xlsx"}])
    os.chmod(group, 0o644)
    os.chmod(student, 0o600)
    result = CliRunner().invoke(cli, ["audit-sharing", str(register), "--json"])
    assert result.exit_code == 1
    crms = {c["owner"]: c for c in json.loads(result.stdout)["crms"]}
    assert [f["kind"] for f in crms["Nord"]["findings"]] == [FILE_MODE]
    assert crms["Anna"]["findings"] == [] and not crms["Anna"]["error"]
    assert "cannot read the file" in crms["Cia"]["error"]
    os.chmod(group, 0o600)
    write_rows(register, "Studerande", [])
    clean = CliRunner().invoke(cli, ["audit-sharing", str(group.parent / "register.xlsx")])
    assert "Cia" in clean.output  # still the missing file; the rest is clean
    assert "WIDE" not in clean.output
