"""`chas-sheets clean-comments TARGET [--apply] [--column Kommentar] [--tab Leads] [--explain] [--json]`."""

from __future__ import annotations

import difflib
import os
import re

import click

from chas_sheets.clean.plan import CLEANABLE_TABS, DEFAULT_COLUMN, CleanReport, RowClean, plan_clean_comments
from chas_sheets.clean.rules import load_rules
from chas_sheets.cli.common import AppContext, apply_option, echo_json, finish, json_option, pass_app
from chas_sheets.privacy import mask_text
from chas_sheets.runner import read_tables
from chas_sheets.sheet.schema import contract
from chas_sheets.text import fold

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_INDENT = "  "
_MOST_DIFF_WORK = 4_000_000  # token pairs; ordinary comments are far below


def _marked(before: str, after: str) -> tuple[str, str]:
    """Before with what goes in red, after with anything new in green (word by word)."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    if len(old) * len(new) > _MOST_DIFF_WORK:
        return before, after  # the word diff is quadratic: a 50,000-character comment took minutes
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        gone, came = "".join(old[i1:i2]), "".join(new[j1:j2])
        if op == "equal":
            left.append(gone)
            right.append(came)
            continue
        if gone:
            left.append(click.style(gone, fg="red", strikethrough=True))
        if came:
            right.append(click.style(came, fg="green"))
    return "".join(left), "".join(right)


def _block(label: str, text: str) -> list[str]:
    """`label: text`, with the lines of a multi-line comment under each other."""
    lines = text.split("\n") if text else [click.style("(blank)", dim=True)]
    pad = " " * (len(label) + 2)
    return [f"{_INDENT}{label}: {lines[0]}"] + [f"{_INDENT}{pad}{line}" for line in lines[1:]]


def render_row(row: RowClean, tab: str, explain: bool, writing: bool = False) -> list[str]:
    label = row.label(tab, writing)
    if not row.changed:
        lines = [f"{label}: unchanged"]
    else:
        before, after = _marked(mask_text(row.before), mask_text(row.after))  # contact details never shown
        lines = [label + ":", *_block("before", before), *_block(" after", after)]
    if explain:
        lines += [f"{_INDENT * 2}{decision}" for decision in row.decisions]
    return lines


def render(report: CleanReport, explain: bool, writing: bool = False) -> list[str]:
    lines = [report.headline()]
    for row in report.cleaned:
        if row.changed or explain:
            lines += render_row(row, report.tab, explain, writing)
    return lines


def _tab(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The canonical tab name, matched the forgiving way ('kontaktlogg' is Kontaktlogg)."""
    for name in CLEANABLE_TABS:
        if fold(value) in contract().tab(name).keys:
            return name
    raise click.BadParameter(f"{value!r} is not one of {', '.join(CLEANABLE_TABS)}")


@click.command()
@click.argument("target")
@apply_option
@click.option("--column", default=DEFAULT_COLUMN, show_default=True,
              help="The column to clean: a contract column by name or alias, or a header as typed.")
@click.option("--tab", default="Leads", show_default=True, metavar="|".join(CLEANABLE_TABS), callback=_tab,
              help="The tab whose column is cleaned.")
@click.option("--explain", is_flag=True, help="Show every clause with keep/drop and the rule that decided.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Use the rules in FILE instead of the packaged templates/clean_rules.toml. Nothing is "
                   "merged: FILE replaces them entirely, so start from a copy of the packaged file.")
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
        outcome = finish(backend, changes, "clean-comments", apply_)
        echo_json({**report.to_dict(), **outcome.to_dict()})
        return
    color = False if os.environ.get("NO_COLOR") else None  # None: colour only on a terminal
    for line in render(report, explain, writing=apply_):
        click.echo(line, color=color)
    finish(backend, changes, "clean-comments", apply_)
