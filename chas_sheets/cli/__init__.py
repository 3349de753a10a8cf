"""The command line: one Click group, `chas-sheets`, with one module per command.

Command modules only parse options, call the library and format output. The library raises
ChasSheetsError subclasses; the group turns them into a one-line `Error: ...` and exit 1
(usage errors exit 2). `--verbose` shows the traceback instead.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import shlex
import sys

import click

from chas_sheets.cli.common import AppContext
from chas_sheets.errors import ChasSheetsError
from chas_sheets.text import one_line

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
    ("cohort", "cohort_cmd"),
)


class ChasGroup(click.Group):
    """Turns the library's errors into one line for the user, and says where a global option goes."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        cmd_name, cmd, rest = super().resolve_command(ctx, args)
        ctx.meta["chas_sheets.command_args"] = list(rest)  # a copy: the parser pops its list
        return cmd_name, cmd, rest

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ChasSheetsError as exc:
            if ctx.obj is not None and getattr(ctx.obj, "verbose", False):
                raise
            raise click.ClickException(one_line(exc)) from exc  # names people typed may hold line breaks
        except click.NoSuchOption as exc:
            own = self._own_option(ctx, exc.option_name)
            if own is None or exc.ctx is None:
                raise
            hint = _global_option_hint(own, exc.option_name, ctx.meta.get("chas_sheets.command_args", []), ctx)
            raise click.NoSuchOption(
                exc.option_name,
                f"No such option {exc.option_name!r} for {exc.ctx.info_name}: {exc.option_name} belongs to "
                f"{ctx.info_name} itself and goes before the command: "
                f"{ctx.command_path} {hint} {exc.ctx.info_name} ...",
                ctx=exc.ctx,
            ) from exc

    def _own_option(self, ctx: click.Context, name: str) -> click.Option | None:
        """The group's option spelt `name` (not --help: every command has its own)."""
        for param in self.get_params(ctx):
            if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts) \
                    and name not in ctx.help_option_names:
                return param
        return None


def _global_option_hint(option: click.Option, name: str, args: list[str], ctx: click.Context) -> str:
    """`name` with the value the user gave it after the command (its metavar when none), quoted for a shell."""
    if option.is_flag or option.count:
        return name
    for i, token in enumerate(args):
        if token.startswith(name + "="):
            return f"{name} {shlex.quote(token[len(name) + 1:])}"
        if token == name and i + 1 < len(args) and not args[i + 1].startswith("-"):
            return f"{name} {shlex.quote(args[i + 1])}"
    return f"{name} {option.make_metavar(ctx)}"


def kind_option(*kinds: str, individual: str, help: str):  # noqa: A002 - Click's own name
    """--kind taking `kinds`, where 'student' and 'individual' both mean `individual` (one person's CRM).

    `check` has always said student, `status` individual; each accepts both now.
    Defined above _register(): the command modules import it while this module loads.
    """
    return click.option("--kind", type=_KindChoice(kinds, individual),
                        help=f"{help} 'student' and 'individual' are the same.")


class _KindChoice(click.Choice):
    def __init__(self, kinds, individual: str):
        super().__init__(kinds)
        self.individual = individual

    def convert(self, value, param, ctx):
        kind = super().convert(value, param, ctx)
        return self.individual if kind in INDIVIDUAL_SPELLINGS else kind


INDIVIDUAL_SPELLINGS = ("student", "individual")


FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2027-04-15", param, ctx)
        # The calendar counts cohorts a year around this date: year 1 and 9999 have no
        # neighbour, and no run of this tool belongs outside this century anyway.
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(f"{value} is outside {FIRST_DAY.year}-{LAST_DAY.year}: give a date like 2027-04-15",
                      param, ctx)
        return day


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


# Batch work allocates millions of small objects and no cycles (clustering 100,000 company
# rows: the default collector thresholds made it 1.7x slower). The process owner tunes the
# collector once; the library never touches process-wide state.
GC_THRESHOLDS = (100_000, 50, 100)


def tune_garbage_collector() -> None:
    gc.freeze()  # what imports made lives for the whole process: never scan it again
    gc.set_threshold(*GC_THRESHOLDS)


def safe_console() -> None:
    """Never crash on a character the console cannot show: a Windows console redirected to a
    file writes in the ANSI code page (cp1252), which lacks some of what people type."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="replace")


def main() -> None:
    safe_console()
    tune_garbage_collector()
    cli(prog_name="chas-sheets")
