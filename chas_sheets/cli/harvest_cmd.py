"""`chas-sheets harvest GROUP_CRM --prepare [--apply]` and `harvest GROUP_CRM [--seed TEXT] [--apply]`."""

import click

from chas_sheets.cli.common import AppContext, apply_option, echo_json, finish, finish_json, info, json_option, pass_app
from chas_sheets.harvest.prepare import plan_prepare
from chas_sheets.harvest.run import COMMAND, GROUP_TABS, run_split
from chas_sheets.runner import read_tables


@click.command()
@click.argument("group_crm")
@click.option("--prepare", is_flag=True,
              help="Write or extend the Skörd tab (warm companies x members) for the members to mark.")
@click.option("--seed", default=None, metavar="TEXT",
              help="The lottery seed agreed at the meeting (default: the seed logged for these wishes, else a new one).")
@apply_option
@json_option
@pass_app
@click.pass_context
def harvest(ctx: click.Context, app: AppContext, group_crm: str, prepare: bool, seed: str | None,
            apply_: bool, as_json: bool):
    """Split the group's warm leads fairly between the members' individual CRMs.

    First `--prepare`: Skörd gets one row per warm company (Temperatur Varm, or an answer in
    Kontaktlogg and no Nej) and one column per member. Members mark wanted companies with x or
    a rank 1, 2, ... (1 = most wanted). Then the split (without --prepare): companies with three
    or fewer wishes go to all who asked; the rest are drawn by a SHA-256 lottery anyone can
    re-run from the printed seed, then evened out. --apply fills Tilldelad, logs the seed and
    every draw in Ändringslogg, and copies each company's leads and contact log into the
    members' individual CRMs (a missing local one is created). Exit code 1 if a CRM failed.
    """
    backend = app.open(group_crm)
    if prepare:
        if seed is not None:
            raise click.UsageError("--seed belongs to the split; run --prepare without it")
        tables = read_tables(backend, *GROUP_TABS)
        changes, report = plan_prepare(tables, app.today)
        if as_json:
            finish_json(backend, changes, f"{COMMAND} --prepare", apply_, report)
        else:
            finish(backend, changes, f"{COMMAND} --prepare", apply_, report.render())
        return

    result = run_split(backend, seed, app.today, apply_, app.open)
    if as_json:
        echo_json(result.to_dict())
    else:
        for line in result.report.render():
            click.echo(line)
        click.echo(f"Individuella CRM ({'skrivna' if apply_ else 'torrkörning'}):")
        for member in result.members:
            click.echo(f"  {member.line(apply_)}")
    for warning in result.group_skipped:
        info(f"skipped: {warning}")
    if result.seed_source == "generated" and not apply_:
        info(f"seed generated: to apply exactly this split run with --seed {result.report.allocation.seed} --apply")
    elif result.seed_source != "given":
        info(f"seed {result.seed_source}")
    written = sum(m.written for m in result.members)
    if apply_ and not (result.group_written or written):
        info(f"{backend.display_name}: nothing new to write; this split is complete")
    elif apply_:
        info(f"{backend.display_name}: wrote {result.group_written} changes as run {result.run.run_id}; "
             f"{written} individual CRMs written (logged in Ändringslogg)")
    else:
        info(f"{backend.display_name}: would make {result.group_planned} changes and copy into "
             f"{sum(bool(m.leads or m.log_rows) for m in result.members)} individual CRMs (dry run; add --apply to write)")
    if result.failed:
        info(f"failed: {', '.join(m.member for m in result.failed)} (the others were "
             f"{'written' if apply_ else 'planned'}; fix and run again to complete the split)")
        ctx.exit(1)
