"""`chas-sheets [--today DATE] status TARGET [--json]`."""

import click

from chas_sheets.cli.click_i18n import command
from chas_sheets.cli.common import (
    AppContext,
    echo_json,
    echo_lines,
    info,
    json_option,
    kind_option,
    pass_app,
    register_option,
    register_settings,
)
from chas_sheets.i18n import N_
from chas_sheets.runner import read_tables
from chas_sheets.status.report import render, status_report, summary_line


@command()
@click.argument("target")
@kind_option("individual", "student", "group", individual="individual",
             help=N_("Whose goals to use (default: a CRM with a Medlemmar tab is a group's). "
                     "'student' and 'individual' are the same."))
@register_option
@json_option
@pass_app
def status(app: AppContext, target: str, kind: str | None, register: str | None, as_json: bool):
    """Where you stand and what to do next, for --today.

    The calendar period with its focus and goal, days to the next deadline (or the one that
    has passed), the goal (a student: distinct companies; a group: leads), processed and open leads, attempts this week and last week,
    and the day's to-do, the list the nightly run writes into a student's `Att göra` tab: a
    Ja or Erbjudande with no LIA registered (--register knows the student's `LIA
    registrerad`), leads with 1-2 unanswered attempts (with the channel to try next),
    dialogues with no contact for 7 days, never-contacted leads in the order the sprint asks
    for (the first 10), and companies where nobody replied (find a new contact person there).
    Statuses are the ones mark-processed would set. Reads only.
    """
    backend = app.open(target, reading_only=True)
    tables = read_tables(backend, ["Leads"], ["Kontaktlogg", "Medlemmar"])
    settings = register_settings(app, register, target)
    if settings is None:
        report = status_report(tables, app.today, kind, defaults=(kind or tables.kind) == "group")
    else:
        report = status_report(tables, app.today, kind, settings.big_bang_day, settings.delmal, settings.cohort,
                               lia_registered=settings.lia_registered)
    if as_json:
        echo_json(report.to_dict())
    else:
        echo_lines(render(report))
    info(summary_line(report))
