"""`chas-sheets selftest google [--shared URL] [--json]`."""

import click

from chas_sheets.cli.click_i18n import group, option
from chas_sheets.cli.common import AppContext, echo_json, echo_lines, info, json_option, pass_app
from chas_sheets.i18n import N_, _


@group()
def selftest():
    """Check, once, what chas-sheets assumes about a service before trusting it with CRMs."""


@selftest.command()
@option("--shared", metavar="URL",
        help=N_("A spreadsheet shared with the account (the register, say): also check that the changes feed "
                "lists an edit to it. Only invisible developer metadata is added and removed; no cell changes."))
@option("--wait", "wait_seconds", type=click.FloatRange(0, 600), default=60.0, show_default=True,
        metavar="SECONDS", help=N_("How long the changes feed may take to list an edit."))
@json_option
@pass_app
def google(app: AppContext, shared: str | None, wait_seconds: float, as_json: bool):
    """Run the Google self-test on the account chas-sheets runs as.

    Creates a scratch spreadsheet the way `init` does, checks each assumption the tool rests
    on (the write lock refuses a second take; new spreadsheets are Swedish and read 11/4 as
    11 April and 1,5 as a number; text stays text; Drive's changes feed lists edits; the
    scopes suffice; a long Ändringslogg is written and read in one request; the log's ID index
    at its largest is kept as metadata; and the rules the write path takes from the API
    reference alone: ranged answers keep the spreadsheet's metadata, deleting metadata that
    matches nothing is no error, deleting a missing tab or naming one in a range refuses the
    whole request, row metadata moves with its row), prints one PASS/FAIL line each with what
    a FAIL means for the school, and deletes the scratch spreadsheet. Exit 0 when everything
    passes, 1 on any FAIL.
    """
    from chas_sheets.backends import google_key
    from chas_sheets.backends.google import Connection
    from chas_sheets.selftest.google import Probe, run_selftest

    shared_key = None
    if shared:
        shared_key = google_key(shared)
        if not shared_key:
            raise click.BadParameter(_("give a Google Sheets URL or key"), param_hint="--shared")
    probe = Probe(Connection(app.credentials), app.today, shared=shared_key, wait_seconds=wait_seconds)
    results = run_selftest(probe)
    if as_json:
        echo_json({"checks": [check.to_dict() for check in results], "notes": probe.notes})
    else:
        echo_lines(check.line() for check in results)
    for note in probe.notes:
        info(_("note: {note}").format(note=note))
    failed = sum(not check.passed for check in results)
    info(_("selftest google: {passed} passed, {failed} failed").format(passed=len(results) - failed, failed=failed))
    if failed:
        raise click.exceptions.Exit(1)
