"""`chas-sheets undo TARGET RUN_ID [--apply] [--json]` and `chas-sheets undo TARGET --list`."""

import click

from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import AppContext, apply_option, echo_json, echo_lines, info, json_option, pass_app
from chas_sheets.i18n import N_, _, ngettext
from chas_sheets.undo.restore import list_note, list_runs, read_log, summaries_json, undo_run


@command()
@click.argument("target")
@click.argument("run_id", required=False)
@option("--list", "list_", is_flag=True, help=N_("List the runs logged in Ändringslogg (id, time, command, changes)."))
@apply_option
@json_option
@pass_app
def undo(app: AppContext, target: str, run_id: str | None, list_: bool, apply_: bool, as_json: bool):
    """Invert one run logged in Ändringslogg.

    Cells the run set go back to their old value unless a person changed them since (those
    are left and reported); rows it removed are re-inserted whole; rows it added are removed
    while still as it wrote them. New IDs are kept. The undo is itself a logged run, so it can
    be undone. A harvest is undone from the group CRM, members' CRMs included.
    Dry run unless --apply. Undoing a run twice changes nothing the second time.
    """
    backend = app.open(target)
    if list_ or run_id is None:
        if run_id is not None:
            raise click.UsageError(_("give either RUN_ID or --list"))
        runs = list_runs(read_log(backend.read()))
        if as_json:
            echo_json(summaries_json(runs))
        else:
            echo_lines(run.line() for run in runs)
        info(list_note(backend.display_name, runs, list_))  # the closing line, --json or not
        return

    result = undo_run(backend, run_id, apply_, app.open)
    if as_json:
        echo_json(result.to_dict())
    for sheet in result.sheets:  # each spreadsheet's plan, then its notes, like one command each
        if not as_json:
            echo_lines(sheet.render())
        for note in result.notes(sheet):
            info(note)
    if result.failed:
        raise click.ClickException(ngettext(
            "{n} spreadsheet could not be undone (see above); run the same undo again once it can be reached",
            "{n} spreadsheets could not be undone (see above); run the same undo again once they can be reached",
            len(result.failed)).format(n=len(result.failed)))

