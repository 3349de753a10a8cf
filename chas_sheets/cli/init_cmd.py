"""`chas-sheets init {group,student,register} TARGET`."""

import click

from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import AppContext, info, pass_app
from chas_sheets.i18n import N_, _


@command()
@click.argument("kind", type=click.Choice(["group", "student", "register"]), metavar="KIND")
@click.argument("target")
@option("--share", "share", multiple=True, metavar="EMAIL",
        help=N_("Google only: share the new spreadsheet with this person (repeatable). Never 'anyone with the link'."))
@pass_app
def init(app: AppContext, kind: str, target: str, share: tuple[str, ...]):
    """Create a spreadsheet from its template.

    KIND is group (Gruppens CRM), student (Individuellt CRM) or register (backoffice).
    TARGET is a new .xlsx path, or google:TITLE to create a Google spreadsheet.
    Every tab gets its headers in bold on a frozen row, dropdowns for the vocabularies,
    sensible widths, and (Leads) processed rows grey and warm leads green.
    An existing workbook is never overwritten.
    """
    if target.startswith("google:"):
        from chas_sheets.backends.google import check_share_addresses, create_spreadsheet
        from chas_sheets.backends.google_http import api_url_from_env

        check_share_addresses(share)  # before credentials or a request: a refusal creates nothing
        title = target.removeprefix("google:")
        url = create_spreadsheet(title, kind, credentials=app.credentials, share=share)
        click.echo(url)  # stdout: the one thing a script needs
        emulator = api_url_from_env()
        if emulator:  # a docs.google.com URL that no browser can open: say what it is for
            info(_("created '{title}' ({kind}) on the emulator at {api}: give the URL above as TARGET; "
                   "it does not open in a browser").format(title=title, kind=kind, api=emulator))
        else:
            info(_("created '{title}' ({kind}): open the URL above, or give it as TARGET").format(
                title=title, kind=kind))
        return
    if share:
        raise click.UsageError(_("--share is for Google spreadsheets (TARGET google:TITLE)"))
    backend = app.open(target)
    backend.create(kind)
    info(_("created {target} ({kind})").format(target=target, kind=kind))
