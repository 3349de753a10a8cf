"""The command line: one Click group, `chas-sheets`, with one module per command.

Command modules only parse options, call the library and format output. The library raises
ChasSheetsError subclasses; the group turns them into a one-line `Error: ...` and exit 1
(usage errors exit 2). `--verbose` shows the traceback instead.
"""

from __future__ import annotations

import datetime as dt
import importlib

import click

from ..errors import ChasSheetsError
from ..schema import one_line
from .common import AppContext

# Command modules, each defining one Click command object named like the module.
COMMANDS = (
    ("init", "init_cmd"),
    ("check", "check_cmd"),
    ("demo", "demo_cmd"),
    ("mark-processed", "processed_cmd"),
    ("status", "status_cmd"),
    ("dedupe", "dedupe_cmd"),
    ("clean-comments", "clean_cmd"),
    ("harvest", "harvest_cmd"),
    ("nightly", "nightly_cmd"),
    ("undo", "undo_cmd"),
    ("audit-sharing", "audit_cmd"),
    ("emulator", "emulator_cmd"),
)


class ChasGroup(click.Group):
    """Turns the library's errors into one line for the user."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ChasSheetsError as exc:
            if ctx.obj is not None and getattr(ctx.obj, "verbose", False):
                raise
            raise click.ClickException(one_line(exc)) from exc  # names people typed may hold line breaks


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2027-04-15", param, ctx)


@click.group(cls=ChasGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chas-sheets")
@click.option("--today", type=_Date(), default=None,
              help="The date every calendar rule uses (default: today). Replay any day: --today 2027-04-15.")
@click.option("--credentials", type=click.Path(dir_okay=False), envvar="GOOGLE_APPLICATION_CREDENTIALS",
              help="Google service-account key file (or GOOGLE_APPLICATION_CREDENTIALS). "
                   "Without it, Google targets use your own login.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, today, credentials, verbose):
    """Chas Career's Google Sheets as a working CRM.

    A TARGET is a local workbook (crm.xlsx) or a Google Sheets URL or key.
    Commands that write only show what they would do unless given --apply.
    """
    ctx.obj = AppContext(today=today or dt.date.today(), credentials=credentials, verbose=verbose)


def _register() -> None:
    for name, module_name in COMMANDS:
        try:
            module = importlib.import_module(f".{module_name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{module_name}":
                continue  # that job is not built yet
            raise
        cli.add_command(getattr(module, module_name.removesuffix("_cmd")), name)


_register()


def main() -> None:
    cli(prog_name="chas-sheets")
