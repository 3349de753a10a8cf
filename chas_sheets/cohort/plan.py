"""What a cohort run creates and writes (pure: tables in, change sets and lists out).

`cohort start`: which groups need a register row or a CRM, which students a `Studerande` row,
and which members each group's `Medlemmar`. `cohort individual`: which students need an
individual CRM, and the links to fill. `cohort move`: the November regrouping as three change
sets (the register, the old group, the new group) that `undo` inverts as one run.

Rows of `Grupper` are found by the group's name and rows of `Studerande` and `Medlemmar` by
e-mail (the contract's `key`), compared forgivingly (case, spaces); nothing here reads a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from chas_sheets.cohort.roster import Roster, RosterStudent, email_key
from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import _
from chas_sheets.sheet.changelog import LOG_TAB, RUN_IN
from chas_sheets.sheet.changes import CellChange, ChangeSet, RowAppend, RowRemoval
from chas_sheets.sheet.tables import Table
from chas_sheets.sheet.values import is_blank
from chas_sheets.text import fold

GROUPS, STUDENTS, MEMBERS = "Grupper", "Studerande", "Medlemmar"


def rows_by_email(table: Table | None) -> dict[str, str]:
    """E-mail key -> row ID (the first row with that address)."""
    rows: dict[str, str] = {}
    if table is not None and table.has("E-post"):
        for row_id in table.df.index:
            key = email_key(table.text(row_id, "E-post"))
            if key:
                rows.setdefault(key, row_id)
    return rows


def rows_by_group(table: Table | None) -> dict[str, str]:
    """Folded group name -> row ID in `Grupper`."""
    rows: dict[str, str] = {}
    if table is not None:
        for row_id in table.df.index:
            name = table.text(row_id, "Grupp")
            if name:
                rows.setdefault(fold(name), row_id)
    return rows


def run_note(reference: str) -> RowAppend:
    """`(körning i)`: this run also wrote `reference` (how `undo` finds it)."""
    return RowAppend(LOG_TAB, {"Kolumn": RUN_IN, "Efter": reference}, "cohort: another spreadsheet of this run")


# --- cohort start ----------------------------------------------------------------------------

@dataclass
class GroupStart:
    name: str  # as in the register when it has the group, else as in the class list
    region: str
    cohort: str
    members: list[RosterStudent]
    row_id: str | None = None  # its Grupper row, when there is one
    crm_ref: str = ""  # the register's Gruppens CRM as typed ('' when one is to be created)

    @property
    def create(self) -> bool:
        return not self.crm_ref


@dataclass
class StartPlan:
    groups: list[GroupStart]
    new_students: list[RosterStudent]
    warnings: list[str] = field(default_factory=list)

    @property
    def nothing_to_create(self) -> bool:
        return not any(g.create or g.row_id is None for g in self.groups) and not self.new_students


def plan_start(roster: Roster, groups: Table | None, students: Table | None) -> StartPlan:
    """What the register lacks for this class list (tables None: a register still to create)."""
    group_rows, student_rows = rows_by_group(groups), rows_by_email(students)
    plan = StartPlan([], [], [])
    for group in roster.groups.values():
        row_id = group_rows.get(fold(group.name))
        name = groups.text(row_id, "Grupp") if row_id else group.name
        ref = groups.text(row_id, "Gruppens CRM") if row_id else ""
        plan.groups.append(GroupStart(name, group.region, group.cohort, list(group.students), row_id, ref))
    for student in roster.students:
        row_id = student_rows.get(student.key)
        if row_id is None:
            plan.new_students.append(student)
            continue
        registered = students.text(row_id, "Grupp")
        if registered and fold(registered) != fold(student.group):
            plan.warnings.append(_("class list row {row}: the register has this student in group {registered}, the "
                                   "class list in {listed}; left as it is (use `chas-sheets cohort move`)").format(
                row=student.row, registered=registered, listed=student.group))
    return plan


def group_name(plan: StartPlan, student: RosterStudent) -> str:
    """The student's group as the register spells it."""
    return next(g.name for g in plan.groups if fold(g.name) == fold(student.group))


def register_changes(plan: StartPlan, refs: dict[str, str], groups: Table | None,
                     big_bang_day: dt.date | None, cohort: str) -> ChangeSet:
    """Rows for the register: a Grupper row per new group (its CRM from `refs`, by group name),
    the CRM of a listed group that had none, and a Studerande row per new student."""
    changes = ChangeSet()
    for group in plan.groups:
        ref = refs.get(group.name, "")
        if group.row_id is None:
            changes.appends.append(RowAppend(GROUPS, _present({
                "Grupp": group.name, "Region": group.region, "Gruppens CRM": ref,
                "Big Bang Day": big_bang_day, "Kull": group.cohort or cohort}), "cohort start: new group"))
        elif group.create and ref:
            changes.cells.append(CellChange(GROUPS, group.row_id, "Gruppens CRM", groups.df.at[group.row_id, "Gruppens CRM"]
                                            if groups.has("Gruppens CRM") else None, ref, "cohort start: the group's CRM"))
    for student in plan.new_students:
        changes.appends.append(RowAppend(STUDENTS, _present({
            "Namn": student.name, "E-post": student.email, "Grupp": group_name(plan, student),
            "Utbildning": student.programme}), "cohort start: new student"))
    return changes


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not is_blank(v)}


def member_changes(members: Table | None, students: list[RosterStudent]) -> tuple[ChangeSet, list[RosterStudent]]:
    """`Medlemmar` rows for the students a group CRM does not list yet: by e-mail, or by name for
    a row typed by hand without one."""
    by_email = rows_by_email(members)
    unaddressed = {fold(members.text(r, "Namn")) for r in members.df.index
                   if not members.text(r, "E-post")} if members is not None else set()
    changes, added = ChangeSet(), []
    for student in students:
        if student.key in by_email or fold(student.name) in unaddressed:
            continue
        changes.appends.append(RowAppend(MEMBERS, _present({
            "Namn": student.name, "E-post": student.email, "Utbildning": student.programme}), "cohort: new member"))
        added.append(student)
    return changes, added


def missing_editors(permissions: list[dict], emails: list[str]) -> list[str]:
    """Of `emails`, those the spreadsheet is not shared with as editor yet (sharing is by name only)."""
    editors = {email_key(p.get("emailAddress")) for p in permissions if p.get("role") in ("writer", "owner")}
    return [e for e in dict.fromkeys(emails) if email_key(e) not in editors]


# --- cohort individual -----------------------------------------------------------------------

@dataclass(frozen=True)
class IndividualStudent:
    name: str
    email: str
    group: str
    row_id: str  # Studerande
    crm_ref: str  # as in the register; '' when one is to be created


def plan_individual(students: Table, group: str | None) -> tuple[list[IndividualStudent], list[str]]:
    """The students of `group` (all when None) with their CRMs, and problems (a student who cannot
    get one: no address to share it with)."""
    chosen, problems = [], []
    for row_id in students.df.index:
        text = lambda column: students.text(row_id, column).strip()  # noqa: E731
        if not text("Namn") or (group is not None and fold(text("Grupp")) != fold(group)):
            continue
        if not text("E-post") or row_id != students.text(row_id, "E-post"):
            problems.append(_("Studerande row {row}: no E-post of its own; add the student's address (the CRM is "
                              "shared with it) and run again").format(row=students.sheet_rows[row_id]))
            continue
        chosen.append(IndividualStudent(text("Namn"), text("E-post"), text("Grupp"), row_id, text("Individuellt CRM")))
    if group is not None and not chosen and not problems:
        raise InvalidInput(_("no student of group '{group}' in Studerande; check the name (Grupp column)").format(
            group=group))
    return chosen, problems


def link_changes(table: Table | None, tab: str, refs: dict[str, str]) -> ChangeSet:
    """Fill `Individuellt CRM` where blank, for the rows whose e-mail key `refs` names."""
    changes = ChangeSet()
    for key, row_id in rows_by_email(table).items():
        ref = refs.get(key)
        current = table.df.at[row_id, "Individuellt CRM"] if table.has("Individuellt CRM") else None
        if ref and is_blank(current):
            changes.cells.append(CellChange(tab, row_id, "Individuellt CRM", current, ref, "cohort individual"))
    return changes


# --- cohort move -----------------------------------------------------------------------------

def find_student(students: Table, who: str) -> str:
    """The Studerande row of `who` (an e-mail, or a name that only one student has)."""
    if "@" in who:
        row_id = rows_by_email(students).get(email_key(who))
        if row_id is None:
            raise InvalidInput(_("no student with that e-mail in Studerande; check the address"))
        return row_id
    matches = [r for r in students.df.index if fold(students.text(r, "Namn")) == fold(who)]
    if not matches:
        raise InvalidInput(_("no student of that name in Studerande; give the name as written there, or the e-mail"))
    if len(matches) > 1:
        rows = ", ".join(str(students.sheet_rows[r]) for r in matches)
        raise InvalidInput(_("Studerande rows {rows} have that name; give the student's e-mail instead").format(
            rows=rows))
    return matches[0]


@dataclass
class MovePlan:
    student: str
    email: str
    old_group: str
    new_group: str
    register: ChangeSet
    old: ChangeSet
    new: ChangeSet
    leads_kept: int  # leads the student added in the old group's CRM: the group's work, they stay
    notes: list[str] = field(default_factory=list)


def plan_move(students: Table, row_id: str, new_group: str, old_members: Table | None, new_members: Table | None,
              old_leads: Table | None, rebase: Callable[[str], str] = lambda ref: ref) -> MovePlan:
    """Move one student: register `Grupp`, the row out of the old `Medlemmar` and into the new one
    (`rebase` turns its `Individuellt CRM` into a link valid from the new group CRM)."""
    name, email = students.text(row_id, "Namn"), students.text(row_id, "E-post")
    old_group = students.text(row_id, "Grupp")
    plan = MovePlan(name, email, old_group, new_group, ChangeSet(), ChangeSet(), ChangeSet(), 0)
    if fold(old_group) != fold(new_group):
        plan.register.cells.append(CellChange(STUDENTS, row_id, "Grupp", students.df.at[row_id, "Grupp"], new_group,
                                              "cohort move"))
    row: dict[str, Any] = {"Namn": name, "E-post": email, "Utbildning": students.text(row_id, "Utbildning"),
                           "Individuellt CRM": students.text(row_id, "Individuellt CRM")}
    old_row = rows_by_email(old_members).get(email_key(email)) if old_members is not None else None
    if old_row is not None:
        values = {c: old_members.df.at[old_row, c] for c in old_members.df.columns
                  if not is_blank(old_members.df.at[old_row, c])}
        plan.old.removals.append(RowRemoval(MEMBERS, old_row, values, "cohort move: to " + new_group))
        row.update({c: v for c, v in values.items() if c in ("Namn", "Roll", "Utbildning")})
        if values.get("Individuellt CRM"):
            row["Individuellt CRM"] = rebase(str(values["Individuellt CRM"]))
    elif old_members is not None:
        plan.notes.append(_("not in the old group's Medlemmar; nothing to remove there"))
    if new_members is not None and email_key(email) not in rows_by_email(new_members):
        plan.new.appends.append(RowAppend(MEMBERS, _present(row), "cohort move: from " + old_group))
    if old_leads is not None and old_leads.has("Tillagd av"):
        plan.leads_kept = sum(fold(old_leads.text(r, "Tillagd av")) == fold(name) for r in old_leads.df.index)
    return plan
