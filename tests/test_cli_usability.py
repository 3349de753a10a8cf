"""Small things a user trips over: a busy emulator port, a global option after the command, --kind spellings."""

from __future__ import annotations

import errno
import json
import socket

import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli
from chas_sheets.emulator import server

LEADS = [{"Företag": "Volvo AB", "Kontaktperson": "Anna"}, {"Företag": "Scania AB", "Kontaktperson": "Bo"}]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def never_serve(monkeypatch):
    """If the emulator did get its port, fail instead of serving forever: the test must not hang."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"the emulator bound port {self.server_port} and would serve")

    monkeypatch.setattr(server._ThreadingServer, "serve_forever", refuse)


@pytest.fixture
def busy_port():
    """A loopback port held (bound and listening) by this test for its whole duration."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# 1. The emulator's port is taken.

def test_emulator_on_a_busy_port_says_so_in_one_line(never_serve, busy_port):
    result = run("emulator", "--port", busy_port)
    assert result.exit_code == 1
    assert result.output == f"Error: port {busy_port} is in use (another emulator?): choose another with --port\n"


def test_emulator_on_an_address_not_of_this_machine_says_so_in_one_line(never_serve):
    result = run("emulator", "--host", "192.0.2.1", "--port", 0)  # TEST-NET-1: never a local address
    assert result.exit_code == 1
    assert result.output == "Error: 192.0.2.1 is not an address of this machine: use --host 127.0.0.1\n"


def test_emulator_on_a_privileged_port_says_so(monkeypatch):
    # Tests may run as root, where port 80 binds; so the refusal comes from a stand-in serve().
    def refused(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("chas_sheets.emulator.serve", refused)
    result = run("emulator", "--port", 80)
    assert (result.exit_code, result.output) == (
        1, "Error: port 80 needs administrator rights: choose one above 1023 with --port\n")


def test_emulator_does_not_disguise_other_os_errors(monkeypatch):
    def broken(**kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("chas_sheets.emulator.serve", broken)
    result = run("emulator")
    assert isinstance(result.exception, OSError) and result.exception.errno == errno.ENOSPC


# 2. A global option given after the command.

# Every option of the group except -h/--help (each command has its own), with what the user
# typed after the command and what the hint should put before it.
GLOBAL_AFTER_COMMAND = [
    (["--today", "2027-05-12"], "--today 2027-05-12"),
    (["--today=2027-05-12"], "--today 2027-05-12"),
    (["--today"], "--today YYYY-MM-DD"),
    (["--credentials", "my key.json"], "--credentials 'my key.json'"),
    (["--credentials", "--json"], "--credentials FILE"),
    (["-v"], "-v"),
    (["--verbose"], "--verbose"),
    (["--version"], "--version"),
    (["--lang", "en"], "--lang en"),
]


def test_the_table_covers_every_global_option():
    ctx = cli.make_context("chas-sheets", ["check", "x"], resilient_parsing=True)
    names = {name for p in cli.get_params(ctx) for name in (*p.opts, *p.secondary_opts)} - {"-h", "--help"}
    assert names == {typed[0].split("=")[0] for typed, _ in GLOBAL_AFTER_COMMAND}


@pytest.mark.parametrize("command", ["check", "status"])
@pytest.mark.parametrize("typed, hint", GLOBAL_AFTER_COMMAND)
def test_a_global_option_after_the_command_says_where_it_goes(command, typed, hint):
    result = run(command, "crm.xlsx", *typed)
    assert result.exit_code == 2
    option = typed[0].split("=")[0]
    assert result.output.splitlines()[-1] == (
        f"Error: No such option {option!r} for {command}: {option} belongs to cli itself and goes "
        f"before the command: cli {hint} {command} ...")


def test_the_hint_names_the_program_as_installed():
    result = CliRunner().invoke(cli, ["check", "crm.xlsx", "--today", "2027-05-12"], prog_name="chas-sheets")
    assert "goes before the command: chas-sheets --today 2027-05-12 check ..." in result.output


def test_an_option_nobody_has_keeps_clicks_own_error():
    result = run("check", "crm.xlsx", "--nope")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: No such option '--nope'."


def test_the_global_option_before_the_command_still_works(make_crm):
    path = make_crm(Leads=LEADS)
    assert run("--today", "2027-05-12", "check", path).exit_code == 0


# 3. --kind: 'student' and 'individual' both name one person's CRM, in check and in status.

@pytest.mark.parametrize("command", ["check", "status"])
def test_help_shows_both_spellings(command):
    result = run(command, "--help")
    assert "student" in result.output and "individual" in result.output and "group" in result.output


@pytest.mark.parametrize("command, own_word, other_word", [("check", "student", "individual"),
                                                          ("status", "individual", "student")])
def test_both_commands_take_both_spellings(make_crm, today, command, own_word, other_word):
    path = make_crm(Leads=LEADS)
    reports = {}
    for kind in (own_word, other_word, "group"):
        result = run("--today", today, command, path, "--kind", kind, "--json")
        assert result.exit_code == 0, result.output
        reports[kind] = json.loads(result.stdout)
    assert reports[other_word] == reports[own_word] and reports[own_word]["kind"] == own_word
    assert reports["group"]["kind"] == "group" and reports["group"] != reports[own_word]  # group keeps its meaning


@pytest.mark.parametrize("command", ["check", "status"])
def test_an_unknown_kind_lists_the_accepted_ones(command):
    result = run(command, "crm.xlsx", "--kind", "person")
    assert result.exit_code == 2
    assert "'student'" in result.output and "'individual'" in result.output


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
@pytest.mark.parametrize("command", ["status", "check", "nightly", "dedupe"])
def test_a_today_outside_the_century_is_a_usage_error_not_a_traceback(day, command, tmp_path):
    result = CliRunner().invoke(cli, ["--today", day, command, str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert f"{day} is outside 2000-2099" in result.output
    assert "Traceback" not in result.output


def test_counts_of_one_read_in_the_singular():
    from chas_sheets.runner import summary_line
    from chas_sheets.text import counted

    assert counted(1, "change", "changes") == "1 change" and counted(0, "change", "changes") == "0 changes"
    assert "wrote 1 change as run R-1 " in summary_line("crm.xlsx", "1 cell", True, 1, "R-1", 0)
    assert "wrote 2 changes as run R-1 " in summary_line("crm.xlsx", "2 cells", True, 2, "R-1", 0)


def test_a_bad_init_kind_names_the_argument_and_the_kinds():
    from click.testing import CliRunner

    from chas_sheets.cli import cli

    result = CliRunner().invoke(cli, ["init", "foo", "x.xlsx"])
    assert result.exit_code == 2
    assert "Invalid value for 'KIND': 'foo' is not one of 'group', 'student', 'register'" in result.output
    assert "{group|student|register}" not in result.output.splitlines()[-1]
