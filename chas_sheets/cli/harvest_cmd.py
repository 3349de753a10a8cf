"""`chas-sheets harvest GROUP_CRM --prepare [--apply]` and `harvest GROUP_CRM [--seed TEXT] [--apply]`."""

import click

from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import (
    AppContext,
    apply_option,
    echo_json,
    echo_lines,
    finish,
    finish_json,
    info,
    json_option,
    pass_app,
)
from chas_sheets.harvest.prepare import plan_prepare
from chas_sheets.harvest.run import COMMAND, GROUP_TABS, run_split
from chas_sheets.harvest.seed_source import source_note
from chas_sheets.i18n import N_, _
from chas_sheets.runner import read_tables


@command()
@click.argument("group_crm")
@option("--prepare", is_flag=True,
        help=N_("Write or extend the Skörd tab (warm companies x members) for the members to mark."))
@option("--seed", default=None, metavar="TEXT",
        help=N_("The lottery seed agreed at the meeting (default: the seed logged for these wishes, else a new one)."))
@option("--seed-source", default=None, metavar="TEXT",
        help=N_("With --prepare: fix where the seed will come from (e.g. 'Lotto 2027-04-05') while members "
                "still mark; every split then takes only a seed starting with it. Cannot be changed once fixed."))
@apply_option
@json_option
@pass_app
@click.pass_context
def harvest(ctx: click.Context, app: AppContext, group_crm: str, prepare: bool, seed: str | None,
            seed_source: str | None, apply_: bool, as_json: bool):
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
            raise click.UsageError(_("--seed belongs to the split; run --prepare without it"))
        tables = read_tables(backend, *GROUP_TABS)
        changes, report = plan_prepare(tables, app.today)
        if seed_source is not None:
            changes.appends.extend(source_note(tables, seed_source))
            report.seed_source = _("Seed source: {source} (no other source can be used after this)").format(
                source=" ".join(seed_source.split()))
        if as_json:
            finish_json(backend, changes, f"{COMMAND} --prepare", apply_, report)
        else:
            finish(backend, changes, f"{COMMAND} --prepare", apply_, report.render())
        return

    if seed_source is not None:
        raise click.UsageError(_("--seed-source is fixed with --prepare, before the wishes close"))
    result = run_split(backend, seed, app.today, apply_, app.open)
    if as_json:
        echo_json(result.to_dict())
    else:
        echo_lines(result.render())
    for note in result.notes(backend.display_name):
        info(note)
    if result.failed:
        ctx.exit(1)
