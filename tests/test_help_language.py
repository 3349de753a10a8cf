"""`--help` speaks the language of the run: Swedish by default, English with `--lang en`,
`CHAS_SHEETS_LANG=en` or an English locale, like every other message (issue #19).

Click builds each command's help from its docstring and each option's `help=` at import time;
chas_sheets.cli.click_i18n looks them up in the catalogs when they are shown. These tests walk
the real command tree (every command, group and subcommand the group can load), so a command
or option added without going through the catalogs fails here.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from functools import lru_cache

import click
import pytest
from click.testing import CliRunner

from chas_sheets import i18n
from chas_sheets.cli import cli
from chas_sheets.cli.click_i18n import HelpCommand

babel_pofile = pytest.importorskip("babel.messages.pofile")

LOCALE_VARIABLES = ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", i18n.LANG_ENV)


def command_tree() -> list[tuple[tuple[str, ...], click.Command]]:
    """(path, command) for the group and everything under it, as `chas-sheets PATH --help` reaches it."""
    found = []

    def walk(path: tuple[str, ...], command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=path[-1] if path else "chas-sheets")
            for name in command.list_commands(ctx):
                walk((*path, name), command.get_command(ctx, name))

    walk((), cli)
    return found


@lru_cache(maxsize=None)
def swedish() -> dict[str, str]:
    """msgid -> Swedish, from every Swedish catalog (the help texts are in `cli`, Click's own in `click`)."""
    found = {}
    for po in sorted((i18n.LOCALE_DIR / "sv" / "LC_MESSAGES").glob("*.po")):
        with open(po, "rb") as handle:
            for message in babel_pofile.read_po(handle, locale="sv"):
                if message.id and isinstance(message.id, str) and message.string:
                    found[message.id] = message.string
    return found


def help_texts(command: click.Command, ctx: click.Context) -> list[tuple[str, str | None]]:
    """(what, text) of everything `--help` shows a person: the command's help, short help and
    epilog, and every parameter's help (Click's --help option included), as read now."""
    texts = [("help", command.help), ("short help", command.short_help), ("epilog", command.epilog)]
    texts += [(f"{param.name} help", getattr(param, "help", None)) for param in command.get_params(ctx)]
    return [(what, text) for what, text in texts if text]


def _paths() -> list[str]:
    return [" ".join(path) or "chas-sheets" for path, _command in command_tree()]


def test_the_tree_is_walked_not_listed():
    """The walk reaches the subcommands of the groups (cohort's and selftest's), not just the top."""
    paths = _paths()
    assert {"chas-sheets", "check", "cohort", "cohort start", "cohort move", "selftest google"} <= set(paths)
    assert len(paths) >= 20


@pytest.mark.parametrize("path", _paths())
def test_every_help_text_is_in_the_catalog_and_shown_in_swedish(path):
    """Each text is a msgid with a Swedish translation, and reading it under Swedish gives that
    translation (the command or option looks it up when shown, not at import)."""
    command = dict((" ".join(p) or "chas-sheets", c) for p, c in command_tree())[path]
    ctx = click.Context(command, info_name=path.split()[-1])
    english = help_texts(command, ctx)
    assert english, f"{path}: no help at all"
    missing = [f"{what}: {text!r}" for what, text in english if i18n.help_msgid(text) not in swedish()]
    assert missing == [], f"{path}: help not in the catalogs (mark it N_(), or run catalogs update cli):\n" + \
        "\n".join(missing)
    i18n.set_language("sv")
    shown = dict(help_texts(command, ctx))
    for what, text in english:
        assert shown[what] == inspect.cleandoc(swedish()[i18n.help_msgid(text)]), f"{path}: {what} not translated"


def test_a_command_outside_the_translating_classes_fails_the_walk():
    """The check above is not vacuous: a plain Click command with a catalogued docstring stays
    English under Swedish, and an unmarked help is not in the catalogs."""
    msgid = "Invert one run logged in Ändringslogg."
    plain = click.Command("plain", help=msgid)
    ours = HelpCommand("ours", help=msgid)
    i18n.set_language("sv")
    assert ours.help == swedish()[msgid] != plain.help
    assert i18n.help_msgid("Frobnicate every lead.") not in swedish()


# --------------------------------------------------------------------------- which language
def _clean_env(monkeypatch, **variables):
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def help_of(*args) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


SWEDISH_CHECK = ("Användning:", "Granska ett CRM: struktur, datakvalitet och volym mot kalenderns mål.",
                 "Skriv ut maskinläsbar JSON på stdout.", "Visa det här meddelandet och avsluta.")
ENGLISH_CHECK = ("Usage:", "Report a CRM's structure, data quality and volume against the calendar's",
                 "Print machine-readable JSON on stdout.", "Show this message and exit.")


def _says(output: str, phrases) -> bool:
    flat = " ".join(output.split())  # Click wraps the lines
    return all(" ".join(phrase.split()) in flat for phrase in phrases)


def test_help_is_swedish_by_default(monkeypatch):
    _clean_env(monkeypatch)
    output = help_of("check", "--help")
    assert _says(output, SWEDISH_CHECK), output
    assert not _says(output, ENGLISH_CHECK[1:2])


@pytest.mark.parametrize("args, env", [
    (("--lang", "en", "check", "--help"), {}),
    (("--lang=en", "check", "--help"), {i18n.LANG_ENV: "sv"}),  # --lang wins over the environment
    (("check", "--help"), {i18n.LANG_ENV: "en"}),
    (("check", "--help"), {"LANG": "en_US.UTF-8"}),
])
def test_help_is_english_when_asked_for(monkeypatch, args, env):
    _clean_env(monkeypatch, **env)
    output = help_of(*args)
    assert _says(output, ENGLISH_CHECK), output
    assert "Granska" not in output


def test_swedish_after_english_in_one_process(monkeypatch):
    """Nothing is fixed at the first showing: Click keeps a command's --help option once made, and
    the commands stay loaded; each run still shows its own language."""
    _clean_env(monkeypatch)
    assert _says(help_of("--lang", "en", "check", "--help"), ENGLISH_CHECK)
    assert _says(help_of("check", "--help"), SWEDISH_CHECK)
    assert _says(help_of("--lang", "en", "check", "--help"), ENGLISH_CHECK)


def test_the_list_of_commands_is_swedish(monkeypatch):
    _clean_env(monkeypatch)
    output = help_of("--help")
    assert "Kommandon:" in output
    assert _says(output, ["Chas Careers Google Sheets som ett fungerande CRM.",
                          "init Skapa ett kalkylark från dess mall.",
                          "undo Ångra en körning som loggats i Ändringslogg.",
                          "--version Visa versionen och avsluta."]), output
    subgroup = help_of("cohort", "--help")
    assert _says(subgroup, ["Starta en kull från klasslistan", "move Flytta STUDENT"]), subgroup


def test_lang_after_the_command_is_answered_in_the_language_asked_for(monkeypatch):
    """`--lang` is the group's option: Click takes it only before the command. After it, the
    answer says where it goes, in the language it asked for."""
    _clean_env(monkeypatch)
    result = CliRunner().invoke(cli, ["check", "--help", "--lang", "en"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: No such option '--lang' for check: --lang belongs to cli itself and goes before the command: "
        "cli --lang en check ...")
    nested = CliRunner().invoke(cli, ["cohort", "move", "--lang=en"])
    assert nested.output.splitlines()[-1].endswith("goes before the command: cli --lang en cohort move ...")
    swedish_asked = CliRunner().invoke(cli, ["check", "--help", "--lang", "sv"], env={i18n.LANG_ENV: "en"})
    assert swedish_asked.output.splitlines()[-1].startswith("Fel: Inget alternativ '--lang' för check")


def test_a_no_rewrap_paragraph_survives_translation(monkeypatch):
    """Click's \\b paragraph (the emulator's example command line) is kept whole, unwrapped, in
    both languages: the msgid and its translation keep the marker."""
    _clean_env(monkeypatch)
    example = "    CHAS_SHEETS_API_URL=http://127.0.0.1:8765 chas-sheets check SPREADSHEET_KEY"
    for args in (("emulator", "--help"), ("--lang", "en", "emulator", "--help")):
        lines = help_of(*args).splitlines()
        assert "  " + example in lines, "\n".join(lines)
    assert "Peka chas-sheets mot den med" in " ".join(help_of("emulator", "--help").split())


def test_a_real_process_shows_swedish_help_and_english_with_lang_en():
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARIABLES}
    sv = subprocess.run([sys.executable, "-m", "chas_sheets.cli", "status", "--help"], capture_output=True,
                        text=True, env=env, timeout=120)
    en = subprocess.run([sys.executable, "-m", "chas_sheets.cli", "--lang", "en", "status", "--help"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert _says(sv.stdout, ["Var du står och vad du ska göra härnäst, för --today."]), sv.stdout
    assert _says(en.stdout, ["Where you stand and what to do next, for --today."]), en.stdout
