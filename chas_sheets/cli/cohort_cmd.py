"""`chas-sheets cohort start|individual|move`: a cohort's life from the class list."""

from __future__ import annotations

import click

from chas_sheets.cli.click_i18n import group, option
from chas_sheets.cli.common import AppContext, Date, apply_option, echo_json, info, json_option, pass_app
from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import N_, _, ngettext


@group()
def cohort():
    """Start a cohort from its class list, open the individual CRMs, regroup students."""


def _places(app: AppContext, register, folder, drive_folder):
    from chas_sheets.cohort.run import Places

    if folder and drive_folder:
        raise click.UsageError(_("--folder is for a local register, --drive-folder for a Google one; give one"))
    return Places(register, folder=folder, drive_folder=drive_folder, credentials=app.credentials,
                  open_backend=app.open)


def _show(report, as_json: bool, target: str) -> None:
    if as_json:
        echo_json(report.to_dict())
    else:
        for line in report.lines:
            click.echo(line)
    for warning in report.warnings:
        info(_("warning: {warning}").format(warning=warning))
    if report.applied and report.run:
        info(_("{target}: done as run {run_id} (logged in Ändringslogg; "
               "`chas-sheets undo {target} {run_id}` takes it back)").format(target=target, run_id=report.run.run_id))
    elif report.applied:
        info(_("{target}: nothing written").format(target=target))
    else:
        info(_("{target}: dry run; add --apply to create and write").format(target=target))


folder_options = [
    option("--folder", type=click.Path(file_okay=False), default=None,
           help=N_("Local: the folder for new CRMs (default: grupper/ or studerande/ beside the register).")),
    option("--drive-folder", default=None, metavar="ID",
           help=N_("Google: the Drive folder for new CRMs (default: the register's folder).")),
]


def _with_folders(f):
    for folder_option in reversed(folder_options):
        f = folder_option(f)
    return f


@cohort.command()
@click.argument("roster", type=click.Path(dir_okay=False))
@option("--register", "register_target", required=True,
        help=N_("The backoffice register (.xlsx path or Google URL; google:TITLE creates one on Google)."))
@_with_folders
@option("--big-bang-day", type=Date(), default=None, help=N_("The cohort's Big Bang Day (default: the calendar's)."))
@apply_option
@json_option
@pass_app
def start(app: AppContext, roster, register_target, folder, drive_folder, big_bang_day, apply_, as_json):
    """Create what the class list ROSTER (.csv or .xlsx) needs and the register lacks.

    The register (if new), a Grupper row per group, a Studerande row per student, one group
    CRM per group with Medlemmar filled; on Google each group CRM is shared as editor with
    exactly its members, never by link. Running it again creates nothing; a student added to
    the class list later is added where they belong. The class list's problems are listed
    (row and what to do) and nothing is created.
    """
    from chas_sheets.cohort.run import read_roster, start_cohort

    parsed = read_roster(roster)
    for problem in parsed.problems:
        info(_("problem: {problem}").format(problem=problem))
    if parsed.problems:
        for warning in parsed.warnings:
            info(_("warning: {warning}").format(warning=warning))
        raise InvalidInput(ngettext("{roster}: {n} problem in the class list (above); "
                                    "nothing was created: fix it and run again",
                                    "{roster}: {n} problems in the class list (above); "
                                    "nothing was created: fix them and run again",
                                    len(parsed.problems)).format(roster=roster, n=len(parsed.problems)))
    from chas_sheets.cohort.run import NewGoogleRegister

    new_google = register_target.startswith("google:")
    register = NewGoogleRegister(register_target.removeprefix("google:")) if new_google else app.open(register_target)
    report = start_cohort(parsed, register, _places(app, register, folder, drive_folder), today=app.today,
                          apply=apply_, big_bang_day=big_bang_day)
    _show(report, as_json, report.register or register_target)
    if new_google and apply_:
        info(_("the new register: {register} (give this address next time)").format(register=report.register))


@cohort.command()
@click.argument("register_target", metavar="REGISTER")
@option("--group", default=None, help=N_("Only this group's students."))
@option("--all", "all_", is_flag=True, help=N_("Every student in Studerande."))
@_with_folders
@apply_option
@json_option
@pass_app
def individual(app: AppContext, register_target, group, all_, folder, drive_folder, apply_, as_json):
    """One individual CRM per student who has none, linked in Studerande and in the group's
    Medlemmar, shared with that student only. Students who have one keep it."""
    from chas_sheets.cohort.run import open_individual

    if bool(group) == bool(all_):
        raise click.UsageError(_("give --group NAME or --all"))
    register = app.open(register_target)
    report = open_individual(register, _places(app, register, folder, drive_folder), group=group, apply=apply_)
    _show(report, as_json, register_target)


@cohort.command()
@click.argument("register_target", metavar="REGISTER")
@click.argument("student")
@option("--to", "to_group", required=True, help=N_("The group the student moves to."))
@option("--old-access", type=click.Choice(["removed", "read-only"]), default="removed", show_default=True,
        help=N_("Google: the student's access to the old group's CRM."))
@apply_option
@json_option
@pass_app
def move(app: AppContext, register_target, student, to_group, old_access, apply_, as_json):
    """Move STUDENT (e-mail, or a name only one student has) to another group: the register's
    Grupp, the row between the two Medlemmar, sharing along; the leads they added stay with
    the old group. Undone as one run by `chas-sheets undo REGISTER RUN`."""
    from chas_sheets.cohort.run import move_student

    register = app.open(register_target)
    report = move_student(register, _places(app, register, None, None), student, to_group, apply=apply_,
                          old_access=old_access)
    _show(report, as_json, register_target)
