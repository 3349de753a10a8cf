"""`chas-sheets watch REGISTER [--interval SECONDS] [--once] [--state FILE]`."""

import time
from pathlib import Path

import click

from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import AppContext, info, pass_app
from chas_sheets.i18n import N_
from chas_sheets.nightly.state import detector_for
from chas_sheets.watch.service import Watch, default_state_path


@command()
@click.argument("register")
@option("--interval", type=click.IntRange(min=10), default=120, show_default=True, metavar="SECONDS",
        help=N_("Seconds between polls."))
@option("--once", is_flag=True, help=N_("Poll once, run what is asked for, and exit (cron, tests)."))
@option("--state", "state_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
        help=N_("Where the watch remembers what it has seen (default: a file per register under "
                "~/.cache/chas-sheets). Losing it costs one poll that reads every CRM."))
@pass_app
@click.pass_context
def watch(ctx: click.Context, app: AppContext, register: str, interval: int, once: bool, state_file: str | None):
    """Run the jobs people order in Körningar of the REGISTER's CRMs.

    A person picks a Jobb (Skörd, Förhandsvisa skörd, Bearbetade, Rensa kommentarer,
    Dubbletter, Ångra) and its Argument (the seed, the run id to undo); the watch runs it as
    --apply (Förhandsvisa skörd as the dry run) and writes Status, Klar and Resultat. A poll
    where nothing changed costs one request (Drive's changes feed); a changed CRM costs one
    read of Körningar. Runs until stopped, or once with --once (exit code 1 if a CRM or the
    register could not be read).
    """
    given_today = ctx.parent is not None and ctx.parent.params.get("today") is not None
    service = Watch(register, app.open, detector_for({"credentials": app.credentials}),
                    Path(state_file) if state_file else default_state_path(register),
                    today=(lambda: app.today) if given_today else None)
    while True:
        result = service.poll()
        for line in result.lines():
            info(line)
        if once:
            if result.problems:
                ctx.exit(1)
            return
        time.sleep(interval)
