"""Start-up: a command pays only for the libraries it uses.

Every run used to import every command module (and with them pandas, numpy, openpyxl,
requests, tldextract): about a second before `--help` printed a line. The group now imports a
command's module when that command runs, and `--help` lists the commands from short summaries
kept beside the group. These tests run in a fresh interpreter, where `sys.modules` shows what
was really imported.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import click
import click.testing
import pytest

from chas_sheets import i18n
from chas_sheets.cli import COMMANDS, ChasGroup, cli

HEAVY = ("pandas", "numpy", "openpyxl", "requests", "tldextract", "gspread")


def _imported_after(code: str) -> dict:
    """Run `code` in a fresh interpreter (with `cli` and `runner` set up) and report which heavy
    libraries and command modules it imported, with what the command printed."""
    program = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from chas_sheets.cli import cli\n"
        "runner = CliRunner()\n"
        f"{code}\n"
        "print(json.dumps({'heavy': sorted(m for m in sys.modules if m.split('.')[0] in %r),\n"
        "                  'commands': sorted(m for m in sys.modules if m.endswith('_cmd')),\n"
        "                  'output': result.output, 'exit_code': result.exit_code}))\n" % (HEAVY,)
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_no_heavy_library_and_no_command_module():
    seen = _imported_after("result = runner.invoke(cli, ['--help'])")
    assert seen["exit_code"] == 0
    assert all(f"  {name} " in seen["output"] for name in COMMANDS), seen["output"]
    assert seen["heavy"] == []
    assert seen["commands"] == []


def test_the_console_script_help_imports_no_heavy_library():
    program = ("import runpy, sys\n"
               "sys.argv = ['chas-sheets', '--help']\n"
               "try:\n"
               "    runpy.run_module('chas_sheets.cli', run_name='__main__')\n"
               "except SystemExit:\n"
               "    pass\n"
               f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    assert "Commands:" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_command_imports_only_its_own_module(tmp_path):
    crm = tmp_path / "crm.xlsx"
    assert click.testing.CliRunner().invoke(cli, ["init", "group", str(crm)]).exit_code == 0
    seen = _imported_after(f"result = runner.invoke(cli, ['--today', '2027-03-10', 'check', {str(crm)!r}])")
    assert seen["exit_code"] == 0, seen["output"]
    assert seen["commands"] == ["chas_sheets.cli.check_cmd"]
    # check only reads a local workbook: pandas plans, python-calamine reads (backends.local_read);
    # neither openpyxl nor the HTTP stack is imported
    assert "pandas" in {m.split(".")[0] for m in seen["heavy"]}
    assert not {"openpyxl", "requests", "tldextract", "gspread"} & {m.split(".")[0] for m in seen["heavy"]}


def _fresh_group() -> ChasGroup:
    """A group like `cli` with nothing loaded yet (tests in this process may have run commands)."""
    with i18n.in_language("en"):  # the help as written (its msgid), whatever language the test shows
        help_text = cli.help
    return ChasGroup(name=cli.name, params=cli.params, callback=cli.callback, help=help_text,
                     context_settings=cli.context_settings)


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("width", [50, 80, 200])
def test_help_lists_what_the_commands_themselves_say(width, language):
    i18n.set_language(language)  # each summary is a msgid of its own: its translation must match too
    group = _fresh_group()
    lazy = group.get_help(click.Context(group, info_name="chas-sheets", terminal_width=width))
    assert group.commands == {}  # listing loaded nothing
    for name in COMMANDS:
        group.get_command(None, name)
    loaded = group.get_help(click.Context(group, info_name="chas-sheets", terminal_width=width))
    assert lazy == loaded


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_first_paragraph_of_the_commands_help(name, language):
    i18n.set_language(language)
    command = _fresh_group().get_command(None, name)
    first_paragraph = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
    assert i18n._(COMMANDS[name][2]) == first_paragraph, \
        f"update the summary of {name} in chas_sheets/cli/__init__.py (or its translation in cli.po)"


def test_an_unknown_command_is_still_a_usage_error():
    result = click.testing.CliRunner().invoke(cli, ["chekc", "x.xlsx"])
    assert result.exit_code == 2
    assert "No such command 'chekc'" in result.output
