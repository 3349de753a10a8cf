"""`chas-sheets demo DIR`."""

from pathlib import Path

import click

from chas_sheets.cli.click_i18n import command
from chas_sheets.cli.common import AppContext, info, pass_app
from chas_sheets.demo.workspace import build_demo
from chas_sheets.i18n import _


@command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_app
def demo(app: AppContext, folder: Path):
    """Build a realistic local workspace in FOLDER to try every command on.

    A backoffice register (register.xlsx) with 3 career groups and 20 students, each
    group's CRM in grupper/ and each student's individual CRM in studerande/, dated
    around --today. The data is messy like real sheets: aliased headers, a title row,
    one company spelled three ways, speculative comments, unanswered calls.
    FOLDER must be new or empty: nothing is overwritten.
    """
    paths = build_demo(folder, app.today)
    groups = sorted(p.name for p in paths["groups"].glob("*.xlsx"))
    students = sorted(paths["students"].glob("*.xlsx")) if paths["students"].exists() else []
    click.echo(f"{paths['register']}")
    for name in groups:
        click.echo(f"{paths['groups'] / name}")
    info(_("demo workspace for {today}: register, {groups} group CRMs, {students} individual CRMs in {folder}").format(
        today=app.today, groups=len(groups), students=len(students), folder=folder))
    info(_("try: {command}").format(command=f"chas-sheets --today {app.today} check {paths['groups'] / groups[0]}"))
