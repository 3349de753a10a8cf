"""The class list backoffice gets each September, read and checked (pure: a grid in, records out).

Headers match like the contract's (`Klasslista` in templates/contract.toml): `Namn`, `E-post`,
`Grupp`, `Utbildning`, optional `Region` and `Kull`. Problems that would create the wrong
spreadsheets or share one with the wrong person (no group, no or a bad address, one address
twice) are errors naming the row and what to do; a group of unusual size is only a warning.
Messages name rows and groups, never a student's name or address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chas_sheets.i18n import _, ngettext
from chas_sheets.sheet.tables import Grid, RawWorkbook, load_table
from chas_sheets.text import fold

TAB = "Klasslista"
USUAL_GROUP_SIZE = (6, 8)
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def email_key(value: object) -> str:
    """How two addresses are compared: case and surrounding spaces do not matter."""
    return str(value or "").strip().lower()


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value.strip()))


@dataclass(frozen=True)
class RosterStudent:
    name: str
    email: str  # as typed, trimmed
    group: str  # the group's spelling first seen in the list
    programme: str
    row: int  # the class list's row

    @property
    def key(self) -> str:
        return email_key(self.email)


@dataclass
class RosterGroup:
    name: str
    region: str = ""
    cohort: str = ""
    students: list[RosterStudent] = field(default_factory=list)


@dataclass
class Roster:
    source: str
    groups: dict[str, RosterGroup]  # by the group name as first spelt, in list order
    problems: list[str] = field(default_factory=list)  # errors: nothing may be created
    warnings: list[str] = field(default_factory=list)

    @property
    def students(self) -> list[RosterStudent]:
        return [s for g in self.groups.values() for s in g.students]


def parse_roster(grid: Grid, source: str) -> Roster:
    """Read and check one class list; MissingColumn when a needed column is not there."""
    table = load_table(RawWorkbook([TAB], {TAB: grid}, source), TAB)
    roster = Roster(source, {})
    spelling: dict[str, str] = {}  # folded group name -> first spelling
    seen: dict[str, int] = {}  # e-mail key -> first row
    for row_id in table.df.index:
        row = table.sheet_rows[row_id]
        text = lambda column: table.text(row_id, column).strip()  # noqa: E731
        name, email, group = text("Namn"), text("E-post"), text("Grupp")
        if not name:
            roster.problems.append(_("class list row {row}: no Namn; write the student's name, or delete the row")
                                   .format(row=row))
            continue
        if not email:
            roster.problems.append(_("class list row {row}: no E-post; write the student's address (their CRMs are "
                                     "shared with it)").format(row=row))
        elif not is_email(email):
            roster.problems.append(_("class list row {row}: E-post is not one e-mail address; write the student's "
                                     "own address").format(row=row))
        elif email_key(email) in seen:
            roster.problems.append(_("class list row {row}: the same E-post as row {first}; each student needs their "
                                     "own address (fix one of the two rows)").format(row=row,
                                                                                     first=seen[email_key(email)]))
        else:
            seen[email_key(email)] = row
        if not group:
            roster.problems.append(_("class list row {row}: no Grupp; write the student's career group").format(row=row))
            continue
        group = spelling.setdefault(fold(group), group)
        entry = roster.groups.setdefault(group, RosterGroup(group))
        for attr, column in (("region", "Region"), ("cohort", "Kull")):
            value = text(column)
            if value and not getattr(entry, attr):
                setattr(entry, attr, value)
            elif value and fold(value) != fold(getattr(entry, attr)):
                roster.warnings.append(_("class list row {row}: {column} differs from the group's first row "
                                         "({group}); the first is used").format(row=row, column=column, group=group))
        entry.students.append(RosterStudent(name, email, group, text("Utbildning"), row))
    low, high = USUAL_GROUP_SIZE
    for group in roster.groups.values():
        if not low <= len(group.students) <= high:
            roster.warnings.append(ngettext(
                "group {group} has {n} student (usually {low}-{high}); check the class list if that is not meant",
                "group {group} has {n} students (usually {low}-{high}); check the class list if that is not meant",
                len(group.students)).format(group=group.name, n=len(group.students), low=low, high=high))
    return roster
