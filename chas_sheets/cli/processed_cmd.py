"""`chas-sheets mark-processed TARGET [--apply] [--json]`."""

import click

from chas_sheets.cli.click_i18n import command
from chas_sheets.cli.common import AppContext, apply_option, finish, finish_json, json_option, pass_app
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.runner import read_tables


@command()
@click.argument("target")
@apply_option
@json_option
@pass_app
def processed(app: AppContext, target: str, apply_: bool, as_json: bool):
    """Apply the processed rule: set Status and Bearbetad of every lead from Kontaktlogg.

    A lead is processed after a Ja, a Nej, or three attempts without a reply, counted from
    the log in date order. Log rows are linked to leads by Lead-ID, else by company and
    contact person (forgiving), and Lead-ID is filled in where the match is unique. A lead
    with no log rows keeps its hand-set Status; a hand-set Ja/Nej the log does not show is
    kept too, with a warning. Only cells whose value changes are written.

    Works on group and individual CRMs, local or Google. Dry run unless --apply.
    """
    backend = app.open(target)
    tables = read_tables(backend, ["Leads"], ["Kontaktlogg"])
    changes, report = plan_mark_processed(tables, app.today)
    if as_json:
        finish_json(backend, changes, "mark-processed", apply_, report)
    else:
        finish(backend, changes, "mark-processed", apply_, report.render())
