"""`chas-sheets clean-comments TARGET [--apply] [--column Kommentar] [--tab Leads] [--explain] [--json]`."""

from __future__ import annotations

import os

import click

from chas_sheets.clean.plan import CLEANABLE_TABS, DEFAULT_COLUMN, plan_clean_comments
from chas_sheets.clean.rules import load_rules
from chas_sheets.cli.click_i18n import command, option
from chas_sheets.cli.common import AppContext, apply_option, echo_lines, finish, finish_json, json_option, pass_app
from chas_sheets.i18n import N_, _
from chas_sheets.runner import read_tables
from chas_sheets.sheet.schema import contract
from chas_sheets.text import fold


def _tab(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The canonical tab name, matched the forgiving way ('kontaktlogg' is Kontaktlogg)."""
    for name in CLEANABLE_TABS:
        if fold(value) in contract().tab(name).keys:
            return name
    raise click.BadParameter(_("{value} is not one of {tabs}").format(value=repr(value),
                                                                   tabs=", ".join(CLEANABLE_TABS)))


@command()
@click.argument("target")
@apply_option
@option("--column", default=DEFAULT_COLUMN, show_default=True,
        help=N_("The column to clean: a contract column by name or alias, or a header as typed."))
@option("--tab", default="Leads", show_default=True, metavar="|".join(CLEANABLE_TABS), callback=_tab,
        help=N_("The tab whose column is cleaned."))
@option("--explain", is_flag=True, help=N_("Show every clause with keep/drop and the rule that decided."))
@option("--rules", "rules_path", type=click.Path(dir_okay=False), metavar="FILE",
        help=N_("Use the rules in FILE instead of the packaged templates/clean_rules.toml. Nothing is "
                "merged: FILE replaces them entirely, so start from a copy of the packaged file."))
@json_option
@pass_app
def clean(app: AppContext, target: str, apply_: bool, column: str, tab: str, explain: bool,
          rules_path: str | None, as_json: bool):
    """Clean comments down to facts: keep what happened, drop guesses and chatter.

    Each comment is split into sentences and clauses; a clause is kept when it carries a
    fact (a date, a number with a unit, a phone number, an e-mail, a URL, a named person or
    role, a record of what happened) and dropped when it is speculation or chatter (hedges,
    opinions, laughter, emoji, "vet ej"). The rules live in templates/clean_rules.toml,
    or in the file given with --rules, which replaces them entirely.

    The dry run shows before -> after per row. --apply writes only the comments that change;
    each original comment is logged whole in Ändringslogg, so `undo` can restore it. A second
    run changes nothing.
    """
    rules = load_rules(rules_path) if rules_path else None
    backend = app.open(target)
    tables = read_tables(backend, [tab])
    changes, report = plan_clean_comments(tables, column, rules, tab=tab)
    if as_json:
        finish_json(backend, changes, "clean-comments", apply_, report)
        return
    color = False if os.environ.get("NO_COLOR") else None  # None: colour only on a terminal
    echo_lines(report.render(explain, writing=apply_), color=color)
    finish(backend, changes, "clean-comments", apply_)
