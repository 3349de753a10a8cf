"""`chas-sheets undo TARGET RUN_ID [--apply] [--json]` and `chas-sheets undo TARGET --list`."""

import click

from chas_sheets.cli.common import AppContext, apply_option, echo_json, info, json_option, pass_app
from chas_sheets.runner import summary_line
from chas_sheets.undo.restore import list_runs, read_log, summaries_json, undo_run


@click.command()
@click.argument("target")
@click.argument("run_id", required=False)
@click.option("--list", "list_", is_flag=True, help="List the runs logged in Ändringslogg (id, time, command, changes).")
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
            raise click.UsageError("give either RUN_ID or --list")
        runs = list_runs(read_log(backend.read()))
        if as_json:
            echo_json(summaries_json(runs))
        else:
            for run in runs:
                click.echo(run.line())
            info(f"{backend.display_name}: {len(runs)} runs logged" + ("" if list_ else "; give a RUN_ID to undo one"))
        return

    result = undo_run(backend, run_id, apply_, app.open)
    if as_json:
        echo_json(result.to_dict())
    for sheet in result.sheets:
        if not as_json:
            for line in sheet.report.render() if sheet.report else []:
                click.echo(line)
        for warning in sheet.skipped:
            info(f"skipped: {warning}")
        if sheet.problem:
            info(f"{sheet.target}: FAILED: {sheet.problem}")
        elif sheet.report is not None:
            info(_summary(sheet, result))
    if result.failed:
        raise click.ClickException(f"{len(result.failed)} spreadsheets could not be undone (see above); "
                                   f"run the same undo again once they can be reached")


def _summary(sheet, result) -> str:
    return summary_line(sheet.target, sheet.report.summary() if sheet.changes else None, result.applied,
                        sheet.written, result.run.run_id if result.run else None, len(sheet.skipped),
                        nothing="nothing to undo", would="undo would make", wrote="undid")
