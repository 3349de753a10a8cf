"""`--credentials FILE` while CHAS_SHEETS_API_URL points at the emulator: the file is never
read, and the CLI says so in one line on stderr instead of passing over it in silence."""

import threading

import pytest
from click.testing import CliRunner

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.cli import cli
from chas_sheets.emulator import emulator_session, make_app, make_emulator_server


@pytest.fixture
def emulator(monkeypatch):
    """(emulator URL, key of a student CRM in it), with CHAS_SHEETS_API_URL pointing at it."""
    app = make_app()
    key = GoogleSpreadsheet.new("student", session=emulator_session(app)).key
    server = make_emulator_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("CHAS_SHEETS_API_URL", url)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    yield url, key
    server.shutdown()
    server.server_close()


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def notes(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("note:")]


def test_credentials_given_with_the_emulator_are_named_as_unused_once(emulator):
    url, key = emulator
    result = run("--credentials", "nope.json", "clean-comments", key)
    assert result.exit_code == 0, result.output
    assert key in result.stdout  # the command ran against the emulator's spreadsheet
    assert notes(result) == [
        f"note: --credentials nope.json is not used: CHAS_SHEETS_API_URL sends requests to the emulator at {url}"
    ]
    assert "note:" not in result.stdout  # chatter stays off the data stream


def test_credentials_from_the_environment_are_named_as_such(emulator, monkeypatch):
    url, key = emulator
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "key.json")
    result = run("clean-comments", key)
    assert result.exit_code == 0, result.output
    assert notes(result) == [f"note: GOOGLE_APPLICATION_CREDENTIALS=key.json is not used: "
                             f"CHAS_SHEETS_API_URL sends requests to the emulator at {url}"]


def test_no_note_without_credentials(emulator):
    _, key = emulator
    result = run("clean-comments", key)
    assert result.exit_code == 0, result.output
    assert key in result.stdout and notes(result) == []


def test_no_note_without_the_emulator(make_crm, monkeypatch):
    monkeypatch.delenv("CHAS_SHEETS_API_URL", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    result = run("--credentials", "nope.json", "clean-comments", make_crm())
    assert result.exit_code == 0, result.output
    assert notes(result) == []
