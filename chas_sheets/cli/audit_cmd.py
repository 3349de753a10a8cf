"""`chas-sheets audit-sharing REGISTER [--domain school.se] [--allow ACCOUNT] [--json]`."""

import click

from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import AppContext, echo_json, echo_lines, info, json_option, pass_app
from chas_sheets.i18n import N_, _
from chas_sheets.programme.register import read_register
from chas_sheets.sharing.audit import audit_register, with_running_account


@command()
@click.argument("register")
@option("--domain", metavar="DOMAIN", help=N_("The school's domain: accounts outside it are flagged (e.g. school.se)."))
@option("--allow", "allowed", multiple=True, metavar="ACCOUNT",
        help=N_("An account or domain outside --domain that may have access (backoffice's service account). Repeatable."))
@json_option
@pass_app
def audit(app: AppContext, register: str, domain: str | None, allowed: tuple, as_json: bool):
    """List every CRM in the REGISTER shared wider than its members and backoffice.

    Google CRMs: shared with "anyone with the link", with a whole domain, or with an account
    outside --domain other than the one running the audit (backoffice's service account). Local CRMs: a file readable by the group or others. Account e-mails are
    shown masked, with the permission's role. Reads only; never changes any sharing.

    Exit 0 when nothing is wider than it should be, 1 when something is (or a CRM could not
    be checked).
    """
    backend = app.open(register)
    reg, _read = read_register(backend, app.today)
    report = audit_register(reg, app.open, domain, with_running_account(allowed, app.credentials))
    if as_json:
        echo_json(report.to_dict())
    else:
        echo_lines(report.render())
    for warning in reg.warnings:
        info(_("warning: {warning}").format(warning=warning))
    info(report.summary_line())
    if report.flagged or report.errors:
        raise click.exceptions.Exit(1)
