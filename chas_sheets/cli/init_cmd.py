"""`chas-sheets init {group,student,register} TARGET`."""

import click

from chas_sheets.cli.common import AppContext, info, pass_app
from chas_sheets.i18n import _


@click.command()
@click.argument("kind", type=click.Choice(["group", "student", "register"]), metavar="KIND")
@click.argument("target")
@click.option("--share", "share", multiple=True, metavar="EMAIL",
              help="Google only: share the new spreadsheet with this person (repeatable). Never 'anyone with the link'.")
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

        check_share_addresses(share)  # before credentials or a request: a refusal creates nothing
        url = create_spreadsheet(target.removeprefix("google:"), kind, credentials=app.credentials, share=share)
        click.echo(url)
        return
    if share:
        raise click.UsageError(_("--share is for Google spreadsheets (TARGET google:TITLE)"))
    backend = app.open(target)
    backend.create(kind)
    info(_("created {target} ({kind})").format(target=target, kind=kind))
