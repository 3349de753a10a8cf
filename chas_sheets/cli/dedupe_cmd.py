"""`chas-sheets dedupe TARGET [--apply] [--merge ID,ID ...] [--json]` and `dedupe --across REGISTER`."""

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
from chas_sheets.dedupe.plan import plan_dedupe
from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import N_, _, ngettext
from chas_sheets.runner import read_tables


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if len(ids) != 2:
            raise InvalidInput(_("--merge takes two lead IDs like L-7KQ2M9,L-3XP4RT, not {value}").format(
                value=repr(value)))
        pairs.append((ids[0], ids[1]))
    return pairs


def _across_summary(report) -> str:
    """The closing line of `dedupe --across` (stderr): what was found, and that nothing was written."""
    crms, found = report.crms_read + report.crms_kept, len(report.companies)
    return ngettext("{register}: {n} company over-processed in {crms} CRMs (--across only reports: nothing written)",
                    "{register}: {n} companies over-processed in {crms} CRMs (--across only reports: nothing written)",
                    found).format(register=report.register, n=found, crms=crms)


@command()
@click.argument("target")
@option("--across", is_flag=True,
        help=N_("TARGET is the register: report companies over-processed across every CRM it names."))
@option("--merge", "merges", multiple=True, metavar="ID,ID",
        help=N_("Confirm that two leads' companies are one (a review pair); repeatable."))
@option("--full", is_flag=True,
        help=N_("With --across: read every CRM, not only those changed since the nightly run summarised them."))
@apply_option
@json_option
@pass_app
def dedupe(app: AppContext, target: str, across: bool, merges: tuple[str, ...], full: bool, apply_: bool,
           as_json: bool):
    """Merge duplicate leads in one CRM, or (--across) list over-processed companies.

    Two rows are one lead when they are the same company (same organisation number, website
    or e-mail domain, or the same name once case, legal forms and spacing are forgiven) and
    their contact persons do not differ. The oldest row is kept, its blank cells filled from
    the others and their comments joined; removed rows are logged whole in Ändringslogg and
    Kontaktlogg rows are re-pointed to the kept lead. Rows of one company with different
    contact persons are kept, with the company spelled one way. Similar names are only listed
    for review: confirm a pair with --merge ID,ID. Dry run unless --apply.

    With --across, TARGET is the register: every CRM it names is read once, and companies in
    more than 3 individual CRMs or contacted by more than 3 students within 14 days are listed.
    A CRM unchanged since the nightly run summarised it is judged from that summary instead of
    read again (--full reads every one).
    """
    if full and not across:
        raise click.UsageError(_("--full goes with --across"))
    if across:
        if apply_ or merges:
            raise click.UsageError(_("--across only reports: it takes neither --apply nor --merge"))
        from chas_sheets.nightly.dedupe_across import report_across  # noqa: PLC0415 — only this mode needs the register
        from chas_sheets.nightly.state import detector_for  # noqa: PLC0415

        detector = None if full else detector_for({"credentials": app.credentials})
        report = report_across(app.open(target), app.open, app.today, detector)
        if as_json:
            echo_json(report.to_dict())
        else:
            echo_lines(report.render())
        info(_across_summary(report))
        return
    backend = app.open(target)
    tables = read_tables(backend, ["Leads"], ["Kontaktlogg"])
    changes, report = plan_dedupe(tables, _pairs(merges), app.today)
    if as_json:
        finish_json(backend, changes, "dedupe", apply_, report)
    else:
        finish(backend, changes, "dedupe", apply_, report.render(applied=apply_))
