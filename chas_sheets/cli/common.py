"""What every command shares: the context, --apply/--json, and the dry-run/apply flow."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import click
from click.core import ParameterSource

from chas_sheets.cli.click_i18n import option
from chas_sheets.i18n import N_, _

if TYPE_CHECKING:  # the backends and the runner bring pandas and openpyxl: imported where used
    from chas_sheets.backends import Backend
    from chas_sheets.runner import Outcome
    from chas_sheets.sheet.changes import ChangeSet


@dataclass
class AppContext:
    today: dt.date
    credentials: str | None = None
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.credentials:  # once per run, whatever the command does with them
            from chas_sheets.backends.google_http import unused_credentials_note  # gspread is slow to import

            note = unused_credentials_note(_credentials_as_given(self.credentials))
            if note:
                info(note)

    def open(self, target: str, *, reading_only: bool = False) -> Backend:
        """The spreadsheet `target` names; `reading_only` for a command that never writes it: a
        local workbook is then read without importing openpyxl where that reads it exactly
        (backends.local_read)."""
        from chas_sheets.backends import open_spreadsheet

        backend = open_spreadsheet(target, credentials=self.credentials)
        if reading_only:
            from chas_sheets.backends.local import LocalWorkbook

            if type(backend) is LocalWorkbook:
                return LocalWorkbook(backend.target, reading_only=True)
        return backend


pass_app = click.make_pass_decorator(AppContext)


def _credentials_as_given(path: str) -> str:
    """'--credentials key.json', or 'GOOGLE_APPLICATION_CREDENTIALS=key.json' when it came from there."""
    from chas_sheets.backends.google_auth import CREDENTIALS_ENV

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source("credentials") is ParameterSource.ENVIRONMENT:
        return f"{CREDENTIALS_ENV}={path}"
    return f"--credentials {path}"


apply_option = option(
    "--apply", "apply_", is_flag=True, help=N_("Write the changes (default: a dry run that only shows them).")
)
json_option = option("--json", "as_json", is_flag=True, help=N_("Print machine-readable JSON on stdout."))


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def info(message: str) -> None:
    """Chatter and progress go to stderr; stdout is for data."""
    click.echo(message, err=True)


def progress(items: Iterable, label: str, length: int | None = None):
    """A progress bar on stderr when it is a terminal; silent otherwise (cron, CI, tests)."""
    if not sys.stderr.isatty():
        return _NullBar(items)
    return click.progressbar(items, label=label, length=length, file=sys.stderr)


class _NullBar:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


def echo_lines(lines: Iterable[str], color: bool | None = None) -> None:
    """A renderer's lines on stdout (ANSI styles kept only on a terminal unless `color` says)."""
    for line in lines:
        click.echo(line, color=color)


def finish(backend: Backend, changes: ChangeSet, command: str, apply_: bool, lines: Iterable[str] = ()) -> Outcome:
    """Show the plan's `lines`, write it with --apply, and end with one summary line on stderr."""
    from chas_sheets.runner import execute

    echo_lines(lines)
    outcome = execute(backend, changes, command, apply_)
    for note in outcome.notes(backend.display_name):
        info(note)
    return outcome


def finish_json(backend: Backend, changes: ChangeSet, command: str, apply_: bool, report: Any) -> Outcome:
    """`finish` for --json: the report and what writing did, as one object on stdout."""
    outcome = finish(backend, changes, command, apply_)
    echo_json({**report.to_dict(), **outcome.to_dict()})
    return outcome


def kind_option(*kinds: str, individual: str, help: str):  # noqa: A002 - Click's own name
    """--kind taking `kinds`, where 'student' and 'individual' both mean `individual` (one person's CRM).

    `check` has always said student, `status` individual; each accepts both now (`help`, one
    msgid, says so).
    """
    return option("--kind", type=_KindChoice(kinds, individual), help=help)


class _KindChoice(click.Choice):
    def __init__(self, kinds, individual: str):
        super().__init__(kinds)
        self.individual = individual

    def convert(self, value, param, ctx):
        kind = super().convert(value, param, ctx)
        return self.individual if kind in INDIVIDUAL_SPELLINGS else kind


INDIVIDUAL_SPELLINGS = ("student", "individual")


FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


class Date(click.ParamType):
    """A day given on the command line: YYYY-MM-DD, within the century the calendar knows."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(_("{value} is not a date like 2027-04-15").format(value=repr(value)), param, ctx)
        # The calendar counts cohorts a year around this date: year 1 and 9999 have no
        # neighbour, and no run of this tool belongs outside this century anyway.
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(_("{value} is outside {first}-{last}: give a date like 2027-04-15").format(
                value=value, first=FIRST_DAY.year, last=LAST_DAY.year), param, ctx)
        return day


register_option = option(
    "--register", "register", metavar="REGISTER",
    help=N_("The backoffice register naming this CRM: its group's Big Bang Day, Delmål and Kull set the goal "
            "(the same goal nightly's Dashboard shows). Without it: the cohort's defaults."))


def register_settings(app: AppContext, register: str | None, target: str):
    """The register's settings for `target` (None without --register); an error when the
    register names no such CRM, so a goal is never silently the default one."""
    if not register:
        return None
    from chas_sheets.backends.references import google_key
    from chas_sheets.errors import InvalidInput
    from chas_sheets.programme.register import read_register, settings_for

    def same(reference: str) -> bool:
        key = google_key(target)
        if key is not None or google_key(reference) is not None:
            return key == google_key(reference)
        from pathlib import Path

        return Path(reference).expanduser().resolve() == Path(target).expanduser().resolve()

    reg, _read = read_register(app.open(register, reading_only=True), app.today)
    found = settings_for(reg, same, app.today)
    if found is None:
        raise InvalidInput(_("register {register}: no row in Grupper or Studerande names {target} as its CRM").format(
            register=register, target=target))
    return found
