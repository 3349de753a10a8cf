"""One language for people: which language is chosen, Click's own words in it, and each
converted package speaking Swedish by default and English when asked (issue #19)."""

from __future__ import annotations

import datetime as dt
import gettext
import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from chas_sheets import i18n
from chas_sheets.cli import cli

TODAY = dt.date(2027, 5, 12)


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


# --------------------------------------------------------------------------- choosing
@pytest.mark.parametrize("environ, language", [
    ({}, "sv"),                                           # nothing set: Swedish
    ({"LANG": "C"}, "sv"),                                # a locale in neither language
    ({"LANG": "C.UTF-8"}, "sv"),
    ({"LANG": "sv_SE.UTF-8"}, "sv"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "en_GB"}, "en"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "sv_SE.UTF-8"}, "en"),   # gettext's order: LC_ALL before LANG
    ({"LANGUAGE": "de:en", "LANG": "sv_SE.UTF-8"}, "en"),       # the first of LANGUAGE's we have
    ({"CHAS_SHEETS_LANG": "en", "LANG": "sv_SE.UTF-8"}, "en"),  # ours before the locale
    ({"CHAS_SHEETS_LANG": "sv", "LANG": "en_US.UTF-8"}, "sv"),
    ({"CHAS_SHEETS_LANG": "klingon", "LANG": "en_US.UTF-8"}, "sv"),
])
def test_the_language_is_chosen_from_the_environment(environ, language):
    assert i18n.choose_language(environ) == language


def _subprocess_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", i18n.LANG_ENV)}
    return {**env, **extra}


@pytest.mark.parametrize("environ, words", [
    ({"LANG": "en_US.UTF-8"}, ("Usage:", "Error: Missing argument")),
    ({"CHAS_SHEETS_LANG": "en"}, ("Usage:", "Error: Missing argument")),
    ({"LANG": "sv_SE.UTF-8"}, ("Användning:", "Fel: Argument saknas")),
    ({"LANG": "C"}, ("Användning:", "Fel: Argument saknas")),
    ({}, ("Användning:", "Fel: Argument saknas")),
])
def test_the_environment_chooses_the_language_of_a_real_run(environ, words):
    """A real process, no --lang: the environment alone decides (English only when it says so)."""
    done = subprocess.run([sys.executable, "-m", "chas_sheets.cli", "check"], capture_output=True, text=True,
                          env=_subprocess_env(**environ), timeout=120)
    assert done.returncode == 2
    for word in words:
        assert word in done.stderr, done.stderr


# --------------------------------------------------------------------------- Click's words
def test_clicks_own_words_come_out_in_swedish_with_lang_sv():
    result = run("--lang", "sv", "check")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Användning: cli check [OPTIONS] TARGET",
        "Prova 'cli check --help' för hjälp.",
        "",
        "Fel: Argument saknas 'TARGET'.",
    ]


def test_clicks_own_words_stay_english_with_lang_en(monkeypatch):
    monkeypatch.setenv(i18n.LANG_ENV, "sv")  # --lang wins over the environment
    result = run("--lang", "en", "check")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Usage: cli check [OPTIONS] TARGET",
        "Try 'cli check --help' for help.",
        "",
        "Error: Missing argument 'TARGET'.",
    ]


def test_help_chrome_and_help_texts_are_swedish():
    # a real process: Click keeps a command's --help option once made, so in this process an
    # earlier test may have made it in English
    done = subprocess.run([sys.executable, "-m", "chas_sheets.cli", "--lang", "sv", "--help"], capture_output=True,
                          text=True, env=_subprocess_env(), timeout=120)
    assert done.returncode == 0
    assert "Användning:" in done.stdout and "Alternativ:" in done.stdout and "Kommandon:" in done.stdout
    assert "Visa det här meddelandet och avsluta." in done.stdout
    assert "Chas Careers Google Sheets som ett fungerande CRM." in done.stdout  # our help too (test_help_language.py)


def test_lang_applies_to_an_error_click_finds_before_reading_lang():
    """Click parses the whole line before any callback: --lang given after an unknown option
    still decides the language of that error."""
    result = run("--bogus", "--lang", "sv", "check", "x")
    assert result.exit_code == 2
    assert "Fel: Inget sådant alternativ: '--bogus'." in result.output
    english = run("--bogus", "--lang", "en", "check", "x")
    assert "Error: No such option '--bogus'." in english.output


def test_our_usage_errors_and_hints_follow_lang():
    result = run("--lang", "sv", "undo", "crm.xlsx", "L-1", "--list")
    assert "Fel: ange antingen RUN_ID eller --list" in result.output
    hint = run("--lang", "sv", "check", "crm.xlsx", "--today", "2027-05-12")
    assert hint.output.splitlines()[-1] == (
        "Fel: Inget alternativ '--today' för check: --today hör till cli självt och står före kommandot: "
        "cli --today 2027-05-12 check ...")


def test_a_language_set_by_the_program_holds_when_no_lang_is_given():
    """A program (or a test) that fixed the language with set_language keeps it through a run."""
    i18n.set_language("sv")
    assert "Fel: Argument saknas" in run("check").output
    assert i18n.chosen_language() == "sv"


def test_the_run_leaves_the_process_as_it_found_it():
    """Click's gettext names and our chosen language are put back when the command line returns:
    nothing outside the run changes language."""
    import click.core
    import click.exceptions

    run("--lang", "sv", "check")
    assert click.core._ is gettext.gettext and click.exceptions._ is gettext.gettext
    assert click.exceptions.ngettext is gettext.ngettext
    assert i18n.chosen_language() is None
    with pytest.raises(click.UsageError) as caught:
        raise click.UsageError("x")
    assert caught.value.format_message() == "x"


# --------------------------------------------------------------------------- each package
def _demo(tmp_path):
    result = run("--today", TODAY, "demo", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    return tmp_path / "demo"


@pytest.mark.parametrize("language, words", [
    ("sv", ("Struktur", "Volym", "Kvalitet:", "(gruppens CRM)", "användbart,")),
    ("en", ("Structure", "Volume", "Quality:", "(group CRM)", "usable,")),
])
def test_check_speaks_the_chosen_language(tmp_path, language, words):
    demo = _demo(tmp_path)
    group = sorted((demo / "grupper").glob("*.xlsx"))[0]
    result = run("--lang", language, "--today", TODAY, "check", group)
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.output


@pytest.mark.parametrize("language, words", [
    ("sv", ("Nu: ", "Kontaktförsök: ", "Företag: ", "mot målet")),
    ("en", ("Now: ", "Attempts: ", "Companies: ", "toward the goal")),
])
def test_status_speaks_the_chosen_language(tmp_path, language, words):
    demo = _demo(tmp_path)
    student = sorted((demo / "studerande").glob("*.xlsx"))[0]
    result = run("--lang", language, "--today", TODAY, "status", student)
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.output


@pytest.mark.parametrize("language, words", [
    ("sv", ("utan svar:", "Varför:", "torrkörning; skriv med --apply")),
    ("en", ("unanswered:", "Why:", "dry run; add --apply to write")),
])
def test_mark_processed_speaks_the_chosen_language(tmp_path, language, words):
    demo = _demo(tmp_path)
    group = sorted((demo / "grupper").glob("*.xlsx"))[0]
    result = run("--lang", language, "--today", TODAY, "mark-processed", group)
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.output


def test_the_summary_line_of_a_write_counts_in_the_right_number():
    from chas_sheets.runner import summary_line

    i18n.set_language("sv")
    assert summary_line("crm.xlsx", "1 cells", True, 1, "R-1", 0) == \
        "crm.xlsx: skrev 1 ändring som körning R-1 (loggad i Ändringslogg)"
    assert summary_line("crm.xlsx", "2 cells", True, 2, "R-1", 1) == \
        "crm.xlsx: skrev 2 ändringar som körning R-1, 1 överhoppad (loggade i Ändringslogg)"
    i18n.set_language("en")
    assert summary_line("crm.xlsx", "1 cells", True, 1, "R-1", 0) == \
        "crm.xlsx: wrote 1 change as run R-1 (logged in Ändringslogg)"


def test_the_todo_tab_is_swedish_whatever_the_language(tmp_path):
    """`Att göra` is read by the student in the sheet: the sheet's language, not the command line's."""
    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.runner import read_tables
    from chas_sheets.status.report import status_report
    from chas_sheets.status.todo import todo_tab

    demo = _demo(tmp_path)
    student = sorted((demo / "studerande").glob("*.xlsx"))[0]
    tables = read_tables(LocalWorkbook(student), ["Leads"], ["Kontaktlogg", "Medlemmar"])
    # The nightly builds the status report in the sheet's language (tests/test_i18n_nightly.py
    # holds it to that); the tab's own words must be sheet text whatever the reader's language.
    with i18n.in_language(i18n.SHEET_LANGUAGE):
        report = status_report(tables, TODAY)
    tabs = {}
    for language in ("en", "sv"):
        i18n.set_language(language)
        tabs[language] = todo_tab(report)
    assert tabs["en"] == tabs["sv"]
    assert tabs["en"].headers == ("Skrivs om varje natt av chas-sheets; anteckningar här sparas inte.",)
    cells = [cell for row in tabs["en"].rows for cell in row]
    assert "Mål" in cells and "Nästa deadline" in cells
    assert any("företag i ditt CRM" in str(cell) for cell in cells)


# --------------------------------------------------------------------------- summary lines
@pytest.mark.parametrize("command", [["check"], ["status"], ["undo", "--list"]])
def test_reading_commands_end_with_one_summary_line_on_stderr(tmp_path, command):
    demo = _demo(tmp_path)
    group = sorted((demo / "grupper").glob("*.xlsx"))[0]
    for json_flag in ([], ["--json"]):
        result = run("--today", TODAY, command[0], group, *command[1:], *json_flag)
        assert result.exit_code == 0, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{group}: "), result.stderr
        if json_flag:
            json.loads(result.stdout)  # stdout stays data
        else:
            assert lines[0] not in result.stdout


def test_dedupe_across_ends_with_one_summary_line_on_stderr(tmp_path):
    demo = _demo(tmp_path)
    result = run("--today", TODAY, "dedupe", "--across", demo / "register.xlsx")
    assert result.exit_code == 0, result.output
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"{demo / 'register.xlsx'}: ") and "over-processed in" in last
    assert "nothing written" in last
    as_json = run("--today", TODAY, "dedupe", "--across", demo / "register.xlsx", "--json")
    json.loads(as_json.stdout)
    assert as_json.stderr.splitlines()[-1] == last


# --------------------------------------------------------------------------- a closed stdout
def test_a_closed_stdout_does_not_stop_a_write(tmp_path):
    """`chas-sheets mark-processed X --apply | head -1`: the reader goes away before the plan is
    printed. The write still happens whole and is logged, the summary reaches stderr, exit 0."""
    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.undo.restore import list_runs, read_log

    demo = _demo(tmp_path)
    group = sorted((demo / "grupper").glob("*.xlsx"))[0]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write to stdout fails
    try:
        done = subprocess.run([sys.executable, "-m", "chas_sheets.cli", "--lang", "en", "--today", str(TODAY),
                               "mark-processed", str(group), "--apply"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, env=_subprocess_env(), timeout=180)
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert "wrote " in done.stderr and "(logged in Ändringslogg)" in done.stderr, done.stderr
    assert "the output stopped being read" in done.stderr
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr
    runs = list_runs(read_log(LocalWorkbook(group).read()))
    assert [run.command for run in runs] == ["mark-processed"] and runs[0].changes > 0
    again = run("--today", TODAY, "mark-processed", group)
    assert "nothing to change" in again.stderr  # the whole plan was written


def test_head_closing_the_pipe_after_one_line_exits_0(tmp_path):
    """The shell's own `| head -1`: whatever the timing, the run ends with exit 0 and its log."""
    demo = _demo(tmp_path)
    group = sorted((demo / "grupper").glob("*.xlsx"))[0]
    command = (f"{sys.executable} -m chas_sheets.cli --lang en --today {TODAY} mark-processed '{group}' --apply "
               "| head -1; exit ${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=_subprocess_env(),
                          timeout=180)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert "(logged in Ändringslogg)" in done.stderr


CLICK_WORDS = ["Usage:", "Error: {message}", "Options", "Commands", "Show this message and exit.",
               "No such option {name!r}.", "Missing argument", "Try '{command} {option}' for help.",
               "Invalid value for {param_hint}: {message}", "No such command {name!r}."]


def test_clicks_catalog_translates_what_people_meet():
    """The words Click prints on a usage error or --help are in the installed Click and in our
    `click` catalog, translated (scripts/click_catalog.py brings the catalog in step with Click)."""
    babel = pytest.importorskip("babel.messages.pofile")
    from pathlib import Path

    source = " ".join(p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py"))
    with open(i18n.LOCALE_DIR / "sv" / "LC_MESSAGES" / "click.po", "rb") as handle:
        catalog = babel.read_po(handle, locale="sv")
    assert all(message.string for message in catalog if message.id)
    for word in CLICK_WORDS:
        assert repr(word)[1:-1] in source or word in source, f"Click no longer says {word!r}"
        assert catalog.get(word) is not None and catalog.get(word).string, word
        assert i18n.translation("sv").gettext(word) != word
