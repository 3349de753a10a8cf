"""`chas-sheets [--today DATE] nightly REGISTER [--apply] [--json] [--full] [--domain DOMAIN]
[--allow ACCOUNT]... [--no-audit]`."""

import click

from chas_sheets.backends.request_log import RememberingPacer, request_log
from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import AppContext, apply_option, echo_json, info, json_option, pass_app, progress
from chas_sheets.i18n import N_, _
from chas_sheets.nightly.render import render
from chas_sheets.nightly.run import NightlyResult, RequestPacer, run_nightly
from chas_sheets.nightly.sharing import SharingOptions, sharing_lines, summary_line
from chas_sheets.nightly.state import Everything, detector_for
from chas_sheets.sharing.audit import with_running_account


@command()
@click.argument("register")
@apply_option
@json_option
@option("--full", is_flag=True, help=N_("Read every CRM, even those unchanged since the last night."))
@option("--domain", metavar="DOMAIN",
        help=N_("Sharing audit: the school's domain; accounts outside it are flagged (as audit-sharing)."))
@option("--allow", "allowed", multiple=True, metavar="ACCOUNT",
        help=N_("Sharing audit: an account or domain outside --domain that may have access. Repeatable."))
@option("--no-audit", is_flag=True, help=N_("Skip the sharing audit (Delning is then left as it was)."))
@pass_app
def nightly(app: AppContext, register: str, apply_: bool, as_json: bool, full: bool, domain: str | None,
            allowed: tuple, no_audit: bool):
    """Backoffice's nightly run over every CRM in the REGISTER.

    For each group CRM (Grupper) and individual CRM (Studerande): fill missing IDs, link the
    contact log and apply the processed rule (as mark-processed), find duplicate leads
    (reported, not merged) and compute the figures; in an individual CRM, rewrite the
    tool-owned `Att göra` tab (the student's to-do, the list `status` prints) when it changed;
    one read per CRM, one write only if something changed. Then rewrites the register's own tabs: Dashboard (a row per group and
    per student with status ok / behind / error and why, and a chart against the goal),
    Överbearbetning, Placering, Medlemsbidrag, Delning and Nattkörning (what the next night
    needs to skip unchanged CRMs). Never the tabs people edit.

    Delning is the sharing audit (as audit-sharing, e-mails masked): a row per CRM shared
    wider than its members and backoffice, and per CRM that could not be checked. It costs one
    Drive request per Google CRM; --no-audit skips it. Findings do not change the exit code.

    A CRM that is missing, broken or unreachable gets an error row and the run goes on; the
    exit code is then 1. It is not forgotten: it is read again next night, and meanwhile its
    figures from the last night it was read count in Överbearbetning and Medlemsbidrag (a tab
    that would lose data it cannot recount keeps last night's rows). Dry run unless --apply.
    """
    backend = app.open(register)
    detector = Everything() if full else detector_for({"credentials": app.credentials})
    # the quota is the account's, per minute: start with what the last minute spent (other runs too)
    pacer = RememberingPacer(RequestPacer(), request_log(app.credentials))
    pacer.before(1)  # the register's read comes first: after a busy minute, wait rather than meet a 429
    result = run_nightly(
        backend, app.today, apply=apply_, open_backend=app.open, detector=detector, pacer=pacer,
        progress=lambda jobs: progress(jobs, _("CRMs"), length=len(jobs)),
        sharing=None if no_audit else SharingOptions(domain, with_running_account(allowed, app.credentials)))
    pacer.settle(result.requests)
    report = result.report
    audit = result.sharing.report if result.sharing else None
    why_not = "--no-audit" if no_audit else _("the audit failed: see the warning")
    if as_json:
        echo_json({**report.to_dict(), "sharing": _sharing_json(result), "register": {
            "tabs_changed": result.tabs_changed, "applied": bool(result.register_outcome and result.register_outcome.applied),
            "warnings": result.warnings}, "requests": result.requests, "exit_code": result.exit_code})
    else:
        for line in [*render(report), "", *sharing_lines(audit, report.today, why_not)]:
            click.echo(line)
    for warning in result.warnings:
        info(_("warning: {warning}").format(warning=warning))
    info(result.detection_note)
    if result.register_outcome and result.register_outcome.applied:
        info(_("register: rewrote {tabs}").format(tabs=", ".join(result.tabs_changed)))
    elif result.tabs_changed:
        info(_("register: would rewrite {tabs} (dry run; add --apply to write)").format(
            tabs=", ".join(result.tabs_changed)))
    else:
        info(_("register: its tabs are up to date"))
    info(report.summary_line())
    info(summary_line(audit, why_not))
    if result.exit_code:
        raise click.exceptions.Exit(result.exit_code)


def _sharing_json(result: NightlyResult) -> dict | None:
    """The audit as `audit-sharing --json` gives it, plus its Drive requests; null when skipped."""
    if result.sharing is None:
        return None
    return {**result.sharing.report.to_dict(), "requests": result.sharing.requests}

