"""`chas-sheets check TARGET`."""

import click

from chas_sheets.check.report import check_workbook, render, summary_line
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


@command()
@click.argument("target")
@kind_option("group", "student", "individual", "register", individual="student",
             help=N_("What the spreadsheet is (default: guessed from its tabs). "
                     "'student' and 'individual' are the same."))
@register_option
@json_option
@pass_app
def check(app: AppContext, target: str, kind: str | None, register: str | None, as_json: bool):
    """Report a CRM's structure, data quality and volume against the calendar's goal.

    Structure: tabs and headers found, aliases used, unknown columns (kept untouched).
    Quality: rows without a company, organisation numbers failing the check digit,
    malformed e-mail, unknown dropdown values, leads with no way to contact them.
    Volume against the goal for --today: a student's distinct companies (50 by 30 April),
    a group's leads (30 before Big Bang Day, then its Delmål: give --register for the group's
    own); and the next deadline for that kind of CRM. Rows dated after --today are not counted.

    Exit 0 when the sheet is usable (even with warnings), 1 when it cannot be used.
    Reads only; never writes.
    """
    settings = register_settings(app, register, target)
    backend = app.open(target, reading_only=True)
    goals = {"big_bang_day": settings.big_bang_day, "delmal": settings.delmal, "cohort": settings.cohort} \
        if settings else {}
    report = check_workbook(backend.read(), app.today, kind, **goals)
    if as_json:
        echo_json(report.to_dict())
    else:
        echo_lines(render(report))
    info(summary_line(report))
    if not report.usable:
        raise click.exceptions.Exit(1)
