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

from chas_sheets import i18n
from chas_sheets.cli.click_i18n import HelpCommand, HelpGroup, HelpOption, click_speaks_our_language, group, option
from chas_sheets.cli.common import AppContext, Date, info
from chas_sheets.cli.output import masked_output
from chas_sheets.errors import ChasSheetsError
from chas_sheets.i18n import LANGUAGES, N_, _, set_language
from chas_sheets.text import one_line

# Each command: its module, the command in it, and the first paragraph of its help (what
# `--help` lists). A command's module is imported only when that command runs: importing them
# all cost every command ~1 s of pandas, openpyxl, requests... before it did anything.
# tests/test_startup.py holds each summary to the command's own help, in English and in Swedish
# (each is a msgid of its own: shown in the run's language like every help text).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("chas_sheets.cli.init_cmd", "init", N_("Create a spreadsheet from its template.")),
    "check": ("chas_sheets.cli.check_cmd", "check",
              N_("Report a CRM's structure, data quality and volume against the calendar's goal.")),
    "demo": ("chas_sheets.cli.demo_cmd", "demo",
             N_("Build a realistic local workspace in FOLDER to try every command on.")),
    "mark-processed": ("chas_sheets.cli.processed_cmd", "processed",
                       N_("Apply the processed rule: set Status and Bearbetad of every lead from Kontaktlogg.")),
    "status": ("chas_sheets.cli.status_cmd", "status", N_("Where you stand and what to do next, for --today.")),
    "dedupe": ("chas_sheets.cli.dedupe_cmd", "dedupe",
               N_("Merge duplicate leads in one CRM, or (--across) list over-processed companies.")),
    "clean-comments": ("chas_sheets.cli.clean_cmd", "clean",
                       N_("Clean comments down to facts: keep what happened, drop guesses and chatter.")),
    "harvest": ("chas_sheets.cli.harvest_cmd", "harvest",
                N_("Split the group's warm leads fairly between the members' individual CRMs.")),
    "nightly": ("chas_sheets.cli.nightly_cmd", "nightly", N_("Backoffice's nightly run over every CRM in the REGISTER.")),
    "undo": ("chas_sheets.cli.undo_cmd", "undo", N_("Invert one run logged in Ändringslogg.")),
    "audit-sharing": ("chas_sheets.cli.audit_cmd", "audit",
                      N_("List every CRM in the REGISTER shared wider than its members and backoffice.")),
    "emulator": ("chas_sheets.cli.emulator_cmd", "emulator",
                 N_("Serve a Google Sheets API emulator on your machine, for trying things offline.")),
    "cohort": ("chas_sheets.cli.cohort_cmd", "cohort",
               N_("Start a cohort from its class list, open the individual CRMs, regroup students.")),
    "watch": ("chas_sheets.cli.watch_cmd", "watch", N_("Run the jobs people order in Körningar of the REGISTER's CRMs.")),
    "selftest": ("chas_sheets.cli.selftest_cmd", "selftest",
                 N_("Check, once, what chas-sheets assumes about a service before trusting it with CRMs.")),
}


class LazyGroup(HelpGroup):
    """A group whose commands are imported on first use (Click's documented LazyGroup pattern);
    its `--help` lists them from COMMANDS without importing any."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute, _summary = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        self.add_command(command, cmd_name)  # loaded once per process
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Click's own listing, fed stand-ins that carry only the summary: the same text (in the
        # run's language, as HelpCommand shows it), no import
        commands = [(name, self.commands.get(name) or HelpCommand(name, help=COMMANDS[name][2]))
                    for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in commands)
        with formatter.section(_("Commands")):  # Click's own word, in our language
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])


class ChasGroup(LazyGroup):
    """Turns the library's errors into one line for the user, and says where a global option goes."""

    def main(self, args=None, *more, **kwargs):
        # --lang is the group's eager option, but Click parses the whole line before any
        # callback runs: a parsing error would be reported before --lang was seen. So it is
        # read first here; the language is put back when the run ends (a test, or a program
        # calling main, keeps its own).
        before = i18n.chosen_language()
        given = given_language(sys.argv[1:] if args is None else args)
        if given:
            set_language(given)
        try:
            # one masking step for all that is printed, errors included; Click's words in our language
            with masked_output() as streams, click_speaks_our_language():
                try:
                    return super().main(args, *more, **kwargs)
                finally:
                    if streams.stdout_closed:
                        info(_("the output stopped being read (a closed pipe): the run went on to its end "
                               "and what it wrote is logged"))
        finally:
            set_language(before)

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
            args = ctx.meta.get("chas_sheets.command_args", [])
            hint = _global_option_hint(own, exc.option_name, args, ctx)
            if own.name == "lang":
                # `check --help --lang en`: --lang is the group's, as Click wants every group option
                # before the command; the answer that says so is at least in the language asked for
                # (main puts the run's language back when it ends)
                asked = _value_after(exc.option_name, args)
                if asked in LANGUAGES:
                    set_language(asked)
            raise click.NoSuchOption(
                exc.option_name,
                _("No such option {option} for {command}: {name} belongs to {program} itself and goes "
                  "before the command: {usage}").format(
                    option=repr(exc.option_name), command=exc.ctx.info_name, name=exc.option_name,
                    program=ctx.info_name, usage=f"{ctx.command_path} {hint} {_below(ctx, exc.ctx)} ..."),
                ctx=exc.ctx,
            ) from exc

    def _own_option(self, ctx: click.Context, name: str) -> click.Option | None:
        """The group's option spelt `name` (not --help: every command has its own)."""
        for param in self.get_params(ctx):
            if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts) \
                    and name not in ctx.help_option_names:
                return param
        return None


def given_language(args: list[str]) -> str | None:
    """The --lang given before the command in `args` (None: not given, or not a language we
    have: Click then says so, in the default language)."""
    for i, token in enumerate(args):
        if token in COMMANDS or token == "--":
            return None
        value = token[len("--lang="):] if token.startswith("--lang=") else \
            args[i + 1] if token == "--lang" and i + 1 < len(args) else None
        if value in LANGUAGES:
            return value
    return None


def _below(ctx: click.Context, sub: click.Context) -> str:
    """The command line from the group to `sub`'s command: 'check', 'cohort move'."""
    return sub.command_path.removeprefix(ctx.command_path).strip() or str(sub.info_name)


def _value_after(name: str, args: list[str]) -> str | None:
    """The value given to option `name` in `args` (`--lang en` or `--lang=en`), None without one."""
    for i, token in enumerate(args):
        if token.startswith(name + "="):
            return token[len(name) + 1:]
        if token == name and i + 1 < len(args):
            return args[i + 1]
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


@group(cls=ChasGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chas-sheets", cls=HelpOption)  # Click's help text, translated when shown
@option("--today", type=Date(), default=None,
        help=N_("The date every calendar rule uses (default: today). Replay any day: --today 2027-04-15."))
@option("--credentials", type=click.Path(dir_okay=False), envvar="GOOGLE_APPLICATION_CREDENTIALS",
        help=N_("Google service-account key file (or GOOGLE_APPLICATION_CREDENTIALS). "
                "Without it, Google targets use your own login."))
@option("-v", "--verbose", is_flag=True, help=N_("Show tracebacks instead of one-line errors."))
@option("--lang", type=click.Choice(LANGUAGES), default=None, is_eager=True, expose_value=False,
        callback=lambda _ctx, _param, value: value and set_language(value),  # none given: as it was
        help=N_("Language of messages and help (default: CHAS_SHEETS_LANG, else the locale; Swedish unless it "
                "says English)."))
@click.pass_context
def cli(ctx: click.Context, today, credentials, verbose):
    """Chas Career's Google Sheets as a working CRM.

    A TARGET is a local workbook (crm.xlsx) or a Google Sheets URL or key.
    Commands that write only show what they would do unless given --apply.
    """
    ctx.obj = AppContext(today=today or dt.date.today(), credentials=credentials, verbose=verbose)


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
