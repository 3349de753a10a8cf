"""The account running the sharing audit is backoffice itself: never flagged as outside the
domain (on the emulator its own service account owns every file), while others still are."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from emulator_workspace import EmulatorWorkspace
from test_google_backend import loopback  # noqa: F401 - the emulator on a loopback port
from test_nightly import BO_LEADS

from chas_sheets.cli import cli
from chas_sheets.emulator import make_app
from chas_sheets.sharing.audit import running_account, with_running_account

OUTSIDER = "kalle.private@gmail.com"


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def school(app, loopback):  # noqa: F811 - the fixture imported above
    """Nord's CRM shared with a member only; Syd's also with an account outside the school."""
    ws = EmulatorWorkspace(app)
    nord, syd = ws.fill("group", {"Leads": BO_LEADS}), ws.fill("group", {"Leads": BO_LEADS})
    register = ws.fill("register", {
        "Grupper": [{"Grupp": "Nord", "Gruppens CRM": nord.target}, {"Grupp": "Syd", "Gruppens CRM": syd.target}]})
    nord.share(["anna@school.se"], notify=False)
    syd.share(["bo@school.se", OUTSIDER], notify=False)
    owners = {p["emailAddress"] for p in nord.list_permissions() if p["role"] == "owner"}
    return register, owners


def test_the_running_account_owns_the_crms_and_is_not_flagged(school):
    register, owners = school
    assert owners == {running_account()}  # the emulator's account: outside school.se
    result = CliRunner().invoke(cli, ["audit-sharing", register.target, "--domain", "school.se", "--json"])
    data = json.loads(result.stdout)
    found = {c["owner"]: [f["detail"] for f in c["findings"]] for c in data["crms"]}
    assert found == {"Nord": [], "Syd": ["user k***@gmail.com outside school.se"]}
    assert result.exit_code == 1  # the outsider is still a finding


def test_allow_still_accepts_other_accounts(school):
    register, _ = school
    result = CliRunner().invoke(cli, ["audit-sharing", register.target, "--domain", "school.se", "--allow", "gmail.com"])
    assert result.exit_code == 0, result.output
    assert "WIDE" not in result.stdout


def test_the_nightly_audit_allows_the_running_account_too(school):
    register, _ = school
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "nightly", register.target, "--domain", "school.se",
                                      "--json"])
    sharing = json.loads(result.stdout)["sharing"]
    assert {c["owner"]: len(c["findings"]) for c in sharing["crms"]} == {"Nord": 0, "Syd": 1}


def test_a_service_account_key_names_the_running_account(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAS_SHEETS_API_URL", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "client_email": "nightly@proj.iam.gserviceaccount.com"}))
    assert running_account(str(key)) == "nightly@proj.iam.gserviceaccount.com"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    assert with_running_account(("partner.se",)) == ("partner.se", "nightly@proj.iam.gserviceaccount.com")


def test_a_login_or_no_credentials_adds_nobody(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAS_SHEETS_API_URL", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    client = tmp_path / "client.json"
    client.write_text(json.dumps({"installed": {"client_id": "x"}}))
    assert running_account(str(client)) is None
    assert running_account(str(tmp_path / "missing.json")) is None
    assert with_running_account(("a@b.se",)) == ("a@b.se",)
