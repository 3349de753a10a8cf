"""Students run Windows laptops: nothing the login, the token or a local write does may need a
POSIX-only call. The calls Windows lacks (on Python 3.11 and 3.12) are removed for each test."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import webbrowser

import pytest
from test_google_backend import FakeFlow

from chas_sheets.backends import google_auth
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import CellChange, ChangeSet

POSIX_ONLY = ("fchmod", "fchown", "chown", "getuid", "geteuid", "getgid", "getpgid", "killpg", "setsid",
              "fork", "sync", "lchown")
CLIENT = {"installed": {"client_id": "id", "client_secret": "s", "auth_uri": "https://a", "token_uri": "https://t"}}


@pytest.fixture
def windows_os(monkeypatch):
    for name in POSIX_ONLY:
        if hasattr(os, name):
            monkeypatch.delattr(os, name)


def test_the_login_saves_its_token_without_posix_calls(tmp_path, monkeypatch, windows_os):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    FakeFlow.runs = 0
    google_auth.user_login(CLIENT, [google_auth.SPREADSHEETS], flow_factory=FakeFlow)
    token = tmp_path / "chas-sheets" / "token.json"
    assert json.loads(token.read_text())["refresh_token"] == "refresh-secret"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600  # still private where modes exist
    google_auth.user_login(CLIENT, [google_auth.SPREADSHEETS], flow_factory=FakeFlow)
    assert FakeFlow.runs == 1  # the token was kept: no second consent


def test_the_token_lives_in_appdata_on_windows(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setattr(google_auth, "on_windows", lambda: True)
    assert google_auth.config_dir() == tmp_path / "Roaming" / "chas-sheets"


def test_without_a_browser_the_login_prints_the_address_instead(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))

    def no_browser(*args, **kwargs):
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    asked = {}

    class Flow(FakeFlow):
        def run_local_server(self, **options):
            asked.update(options)
            return super().run_local_server(**options)

    google_auth.user_login(CLIENT, [google_auth.SPREADSHEETS], flow_factory=Flow)
    assert asked["open_browser"] is False
    assert "{url}" in asked["authorization_prompt_message"]


def test_a_local_write_under_the_lock_needs_no_posix_call(make_crm, windows_os):
    path = make_crm(Leads=[{"ID": "L-1", "Företag": "Acme AB", "Status": "Ny"}])
    backend = LocalWorkbook(path)
    tables = read_tables(backend, ["Leads"])
    outcome = execute(backend, ChangeSet(cells=[CellChange("Leads", "L-1", "Status", "Ny", "Kontaktad")]),
                      "test", apply=True)
    assert outcome.written == 1 and tables["Leads"].text("L-1", "Status") == "Ny"
    assert read_tables(LocalWorkbook(path), ["Leads"])["Leads"].text("L-1", "Status") == "Kontaktad"


def test_output_a_cp1252_console_cannot_show_does_not_crash(tmp_path):
    """A Windows console redirected to a file writes cp1252; the CLI replaces what it cannot show."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    code = ("from chas_sheets.cli import safe_console; import sys; safe_console(); "
            "print('Företag Åsa → Ωmega'); print('klar', file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("cp1252").strip() == "Företag Åsa ? ?mega"
