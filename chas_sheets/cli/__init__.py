"""The command line: one Click group, `chas-sheets`, with one module per command.

Command modules only parse options, call the library and format output. The library raises
ChasSheetsError subclasses; the group turns them into a one-line `Error: ...` and exit 1
(usage errors exit 2). `--verbose` shows the traceback instead.
"""

from __future__ import annotations

import datetime as dt
import gc
import shlex
import sys

import click

from chas_sheets.cli import (
    audit_cmd,
    check_cmd,
    clean_cmd,
    cohort_cmd,
    dedupe_cmd,
    demo_cmd,
    emulator_cmd,
    harvest_cmd,
    init_cmd,
    nightly_cmd,
    processed_cmd,
    selftest_cmd,
    status_cmd,
    undo_cmd,
)
from chas_sheets.cli.common import AppContext, Date
from chas_sheets.cli.output import masked_output
from chas_sheets.errors import ChasSheetsError
from chas_sheets.text import one_line


class ChasGroup(click.Group):
    """Turns the library's errors into one line for the user, and says where a global option goes."""

    def main(self, *args, **kwargs):
        with masked_output():  # one masking step for all that is printed, errors included
            return super().main(*args, **kwargs)

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


@click.group(cls=ChasGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chas-sheets")
@click.option("--today", type=Date(), default=None,
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


for name, command in (
    ("init", init_cmd.init),
    ("check", check_cmd.check),
    ("demo", demo_cmd.demo),
    ("mark-processed", processed_cmd.processed),
    ("status", status_cmd.status),
    ("dedupe", dedupe_cmd.dedupe),
    ("clean-comments", clean_cmd.clean),
    ("harvest", harvest_cmd.harvest),
    ("nightly", nightly_cmd.nightly),
    ("undo", undo_cmd.undo),
    ("audit-sharing", audit_cmd.audit),
    ("emulator", emulator_cmd.emulator),
    ("cohort", cohort_cmd.cohort),
    ("selftest", selftest_cmd.selftest),
):
    cli.add_command(command, name)


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
