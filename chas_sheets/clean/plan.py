"""`clean-comments`: every comment of one column cleaned down to facts (pure planner, no I/O).

Starts from the ID assignments every plan carries and asks `clean.clean_comment` per row.
A row whose comment changes gets one CellChange whose `old` is the whole comment as read, so
Ändringslogg keeps it whole and `undo` can put it back. Cleaning is idempotent, so a second
run plans nothing. A comment cleaned down to nothing becomes a blank cell (still logged).

The column is found the forgiving way: a contract column by its name or an alias
(`Anteckningar` is `Kommentar` on Leads, `Kommentar` is `Anteckning` on Kontaktlogg), else a
header people added, as typed. Only free text is cleaned: IDs, dates, phone numbers and
vocabulary columns are refused. Reports name the row number, ID and company; the comment
itself is the user's own text and is shown, nothing else from the row.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from chas_sheets.clean.rules import CleanRules, Decision, clean_comment, default_rules
from chas_sheets.errors import InvalidInput, MissingColumn
from chas_sheets.i18n import _, ngettext
from chas_sheets.privacy import mask_text
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.tables import Table, Tables
from chas_sheets.sheet.values import as_text, is_blank
from chas_sheets.text import fold

# Tabs whose rows have an ID and a free-text column; the tab a command reads by default first.
CLEANABLE_TABS = ("Leads", "Kontaktlogg", "Event")
DEFAULT_COLUMN = "Kommentar"
# The column that names a row for people, per tab (never phone or e-mail).
_ROW_NAME = {"Leads": "Företag", "Kontaktlogg": "Företag", "Event": "Namn"}
REASON = "clean-comments: kept the facts"

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_INDENT = "  "
_MOST_DIFF_WORK = 4_000_000  # token pairs; ordinary comments are far below
# ANSI styles, byte for byte what click.style writes; the CLI strips them off a non-terminal.
_RED, _GREEN, _DIM, _STRIKETHROUGH, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[2m", "\x1b[9m", "\x1b[0m"


def resolve_column(table: Table, wanted: str) -> str:
    """The label of column `wanted` in `table`: contract name or alias, else a header as typed.

    Raises MissingColumn (naming tab, column and the header) or InvalidInput (not free text).
    """
    key = fold(wanted)
    for column in table.spec.columns:
        if key in column.keys:
            if column.tool_owned or column.vocabulary or column.kind != "text":
                raise InvalidInput(_("tab '{tab}': column '{column}' is not free text; clean-comments only cleans "
                                     "comments").format(tab=table.title, column=column.name))
            if table.has(column.name):
                return column.name
            break
    for label in table.header.unknown:
        if fold(label) == key:
            return label
    headers = ", ".join(h for h in table.header.headers if h) or _("nothing")
    raise MissingColumn(_("tab '{tab}' has no column '{column}' (header row {row} has: {headers})").format(
        tab=table.title, column=wanted, row=table.header.row, headers=headers))


@dataclass(frozen=True)
class RowClean:
    """One comment: where it stands, before and after, and why each clause went or stayed."""

    row_id: str
    sheet_row: int
    name: str  # company (Leads, Kontaktlogg) or event name
    before: str
    after: str
    decisions: tuple[Decision, ...]
    new_id: bool = False  # the row had no usable ID: this one is written with --apply

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def label(self, tab: str, writing: bool = False) -> str:
        """'Leads row 5 L-7KQ2M9 Volvo AB'; a new ID is random per run, so only shown when written."""
        row_id = self.row_id if not self.new_id else _("(new ID {id})").format(id=self.row_id) if writing \
            else _("(no ID yet)")
        return _("{tab} row {row} {id}").format(tab=tab, row=self.sheet_row, id=row_id) + (
            f" {self.name}" if self.name else "")

    def render(self, tab: str, explain: bool, writing: bool = False) -> list[str]:
        """The row's label, before and after marked word by word, and (explain) each clause's decision."""
        label = self.label(tab, writing)
        if not self.changed:
            lines = [_("{row}: unchanged").format(row=label)]
        else:
            before, after = _marked(mask_text(self.before), mask_text(self.after))  # contact details never shown
            names = _("before"), _("after")
            width = max(map(len, names))  # the two texts start under each other
            lines = [label + ":", *_block(names[0].rjust(width), before), *_block(names[1].rjust(width), after)]
        if explain:
            lines += [f"{_INDENT * 2}{decision}" for decision in self.decisions]
        return lines

    def to_dict(self) -> dict:
        """For --json: phone numbers and e-mails inside the comments are masked (privacy)."""
        return {
            "row_id": self.row_id, "new_id": self.new_id, "sheet_row": self.sheet_row, "name": self.name,
            "before": mask_text(self.before), "after": mask_text(self.after), "changed": self.changed,
            "decisions": [{"clause": mask_text(d.clause), "keep": d.keep, "rule": d.rule, "match": mask_text(d.match),
                           "overruled": d.overruled} for d in self.decisions],
        }


@dataclass
class CleanReport:
    target: str
    tab: str
    column: str
    rows: int = 0
    comments: int = 0  # non-blank cells in the column
    cleaned: list[RowClean] = field(default_factory=list)  # every non-blank comment, in sheet order

    @property
    def changed(self) -> list[RowClean]:
        return [row for row in self.cleaned if row.changed]

    @property
    def emptied(self) -> int:
        return sum(row.changed and not row.after for row in self.cleaned)

    def headline(self) -> str:
        line = ngettext("{target}: {tab}, column '{column}': {comments} comments in {rows} row, {n} to clean",
                        "{target}: {tab}, column '{column}': {comments} comments in {rows} rows, {n} to clean",
                        self.rows).format(target=self.target, tab=self.tab, column=self.column,
                                          comments=self.comments, rows=self.rows, n=len(self.changed))
        return line + (_(" ({n} down to nothing)").format(n=self.emptied) if self.emptied else "")

    def render(self, explain: bool = False, writing: bool = False) -> list[str]:
        """The dry run (or --apply) for a terminal: the headline, then each changed row (every row
        with `explain`). `writing`: new IDs are shown, since these are the ones written."""
        lines = [self.headline()]
        for row in self.cleaned:
            if row.changed or explain:
                lines += row.render(self.tab, explain, writing)
        return lines

    def to_dict(self) -> dict:
        return {
            "target": self.target, "tab": self.tab, "column": self.column, "rows": self.rows,
            "comments": self.comments, "changed": len(self.changed), "emptied": self.emptied,
            "rows_changed": [row.to_dict() for row in self.changed],
        }


def _styled(text: str, *styles: str) -> str:
    return "".join(styles) + text + _RESET


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
            left.append(_styled(gone, _RED, _STRIKETHROUGH))
        if came:
            right.append(_styled(came, _GREEN))
    return "".join(left), "".join(right)


def _block(label: str, text: str) -> list[str]:
    """`label: text`, with the lines of a multi-line comment under each other."""
    lines = text.split("\n") if text else [_styled(_("(blank)"), _DIM)]
    pad = " " * (len(label) + 2)
    return [f"{_INDENT}{label}: {lines[0]}"] + [f"{_INDENT}{pad}{line}" for line in lines[1:]]


def plan_clean_comments(
    tables: Tables, column: str = DEFAULT_COLUMN, rules: CleanRules | None = None, tab: str = "Leads"
) -> tuple[ChangeSet, CleanReport]:
    """The change set that cleans every comment of `column` in `tab` down to its facts."""
    changes = tables.id_changes()
    table = tables[tab]
    label = resolve_column(table, column)
    rules = rules or default_rules()
    report = CleanReport(tables.source, tab, label, rows=len(table.df))
    name_column = _ROW_NAME.get(tab, "")
    new_ids = {assignment.new for assignment in table.id_assignments}
    for row_id in table.df.index:
        value = table.df.at[row_id, label]
        if is_blank(value):
            continue
        report.comments += 1
        result = clean_comment(value, rules)
        before = value if isinstance(value, str) else as_text(value)  # numbers, dates pass through
        after = result.text if isinstance(result.text, str) else before
        report.cleaned.append(RowClean(row_id, table.sheet_rows[row_id], table.text(row_id, name_column),
                                       before, after, result.decisions, row_id in new_ids))
        if result.changed:
            changes.set_cell(tab, row_id, label, value, after or None, REASON)
    return changes, report
