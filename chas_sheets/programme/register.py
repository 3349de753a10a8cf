"""The backoffice register: its groups and students with their CRMs, and its calendar (pure).

`parse_register` turns one raw read of the register into plain records; CRM references
(a local path or a Google URL/key) are resolved by the caller's `resolve` (the backend's
`resolve_relative`: paths are relative to the register's folder). Reused by `nightly` and by
`dedupe --across`. Blank rows are skipped; a row without a name is skipped with a warning.

Cohorts: one register may hold overlapping cohorts (a new cohort's groups form in September
while the previous one is in its last sprints), so each group and student is judged by the
calendar of its own cohort (`cohort_of_group`, `cohort_of_student`), named by the year whose
April starts its LIA search. It comes from, in order: the row's `Kull`; a student's group's
cohort; a group's `Big Bang Day` (it falls in the cohort's Fas 1-2); the cohort of a Kalender
without `Kull`; else the date alone (`calendar.cohort_year_for`, today's single-cohort rule).
`Kalender` rows with a `Kull` belong to that cohort; rows without one to the cohort their dates
describe (`calendar.kalender_cohort`); a cohort with no rows of its own has the defaults.
With --today, dates after it do not exist yet (`replay`): a later `LIA registrerad` or
`Placerad` is read as blank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from chas_sheets.errors import ChasSheetsError, InvalidInput
from chas_sheets.i18n import _
from chas_sheets.programme.calendar import (
    Period,
    calendar_from_rows,
    cohort_of_big_bang_day,
    cohort_year_for,
    default_calendar,
    kalender_cohort,
    parse_date,
    parse_kull,
)
from chas_sheets.programme.replay import table_as_of
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, Table, load_table
from chas_sheets.sheet.values import as_text, is_blank

if TYPE_CHECKING:  # only a type here: the register's rules stay free of I/O
    from chas_sheets.backends import Backend

REGISTER_TABS = ("Grupper", "Studerande", "Kalender")
# The phase-1 individual goals (Fas 1, individnivå) the register may track as checkboxes.
PHASE1_COLUMNS = ("CV design", "CV ATS", "LinkedIn", "Commitmentavtal")


@dataclass(frozen=True)
class RegisterGroup:
    name: str
    sheet_row: int
    region: str
    crm_ref: str  # as typed in the register
    crm: str  # resolved: an absolute path or a Google URL/key; '' when not given
    big_bang_day: dt.date | None
    delmal: object  # as typed; calendar.company_goal checks it
    kull: int | None = None  # the register's `Kull` (None: not given)


@dataclass(frozen=True)
class RegisterStudent:
    name: str
    sheet_row: int
    email: str
    group: str
    programme: str
    crm_ref: str
    crm: str
    lia_company: str
    lia_registered: dt.date | None
    placed: dt.date | None
    phase1: tuple[tuple[str, str], ...] = ()  # (column, value as typed) for the columns present
    kull: int | None = None  # the register's `Kull` (None: not given)
    region: str = ""  # the register's optional `Region` (seed 002: a group lives in one region)

    def phase1_value(self, column: str) -> str | None:
        """The phase-1 cell as typed; None when the register has no such column."""
        return next((value for name, value in self.phase1 if name == column), None)


@dataclass
class Register:
    source: str
    groups: list[RegisterGroup]
    students: list[RegisterStudent]
    calendar: list[Period] | None  # from the Kalender tab; None: the defaults apply
    phase1_columns: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)

    def default_cohort(self, today: dt.date) -> int:
        """The cohort of a row that names none: a Kalender's without `Kull`, else by date."""
        undated = [p for p in self.calendar or () if p.kull is None]
        found = kalender_cohort(undated)
        return found if found is not None else cohort_year_for(today)

    def cohort_of_group(self, group: RegisterGroup, today: dt.date) -> int:
        if group.kull is not None:
            return group.kull
        if group.big_bang_day is not None:
            return cohort_of_big_bang_day(group.big_bang_day)
        return self.default_cohort(today)

    def cohort_of_student(self, student: RegisterStudent, today: dt.date) -> int:
        if student.kull is not None:
            return student.kull
        group = next((g for g in self.groups if g.name == student.group), None) if student.group else None
        return self.cohort_of_group(group, today) if group is not None else self.default_cohort(today)

    def calendar_for(self, today: dt.date, big_bang_day: dt.date | None = None,
                     cohort: int | None = None) -> list[Period]:
        """The Kalender's periods of `cohort` (default: the register's own) when it has any,
        else the seeds' defaults for that cohort (with the group's `big_bang_day`)."""
        cohort = self.default_cohort(today) if cohort is None else cohort
        if self.calendar is not None:
            undated = kalender_cohort([p for p in self.calendar if p.kull is None])
            own = [p for p in self.calendar if (p.kull if p.kull is not None else undated) == cohort]
            if own:
                return own
        return default_calendar(cohort, big_bang_day)

    def group_named(self, name: str) -> RegisterGroup | None:
        return next((g for g in self.groups if g.name == name), None) if name else None

    def members_of(self, group: str) -> list[RegisterStudent]:
        return [student for student in self.students if student.group == group]


def _date(table: Table, row_id: str, column: str, today: dt.date | None, warnings: list[str]) -> dt.date | None:
    if not table.has(column):
        return None
    value = table.df.at[row_id, column]
    if is_blank(value):
        return None
    parsed = parse_date(value, today)
    if parsed is None:
        warnings.append(_("{tab} row {row}: {column} {value!r} is not a date; ignored").format(
            tab=table.title, row=table.sheet_rows[row_id], column=column, value=as_text(value)))
    return parsed


MOST_REFERENCE_CHARACTERS = 255  # the longest file name most systems take; URLs are far shorter


def _reference(table: Table, row_id: str, column: str, warnings: list[str]) -> str:
    """A CRM cell as a path or an address; a note pasted there is named by row, never shown."""
    ref = table.text(row_id, column)
    if "\n" in ref or len(ref) > MOST_REFERENCE_CHARACTERS:
        warnings.append(_("{tab} row {row}: {column} holds text, not a path or a Google Sheets address; ignored "
                          "(put the CRM's path or URL there)").format(
            tab=table.title, row=table.sheet_rows[row_id], column=column))
        return ""
    return ref


def _kull(table: Table, row_id: str, warnings: list[str]) -> int | None:
    if not table.has("Kull"):
        return None
    try:
        return parse_kull(table.df.at[row_id, "Kull"])
    except InvalidInput as exc:
        warnings.append(_("{tab} row {row}: {error}; the cohort is taken from the dates").format(
            tab=table.title, row=table.sheet_rows[row_id], error=exc))
        return None


def parse_register(raw: RawWorkbook, resolve: Callable[[str], str], today: dt.date | None = None) -> Register:
    """Groups, students and calendar of a register read; raises MissingTab/MissingColumn
    when Grupper or Studerande is unusable (an invalid Kalender is an error too: it drives
    every date rule, so guessing would mislead). With `today`, the register as it stood then."""
    warnings: list[str] = []
    groups_table = load_table(raw, "Grupper")
    students_table = load_table(raw, "Studerande")
    if today is not None:  # read-only: nothing here writes Studerande back
        students_table, _hidden = table_as_of(students_table, today)
    groups = []
    for row_id in groups_table.df.index:
        text = lambda column: groups_table.text(row_id, column)  # noqa: E731
        if not text("Grupp"):
            warnings.append(_("{tab} row {row}: no group name; skipped").format(
                tab=groups_table.title, row=groups_table.sheet_rows[row_id]))
            continue
        ref = _reference(groups_table, row_id, "Gruppens CRM", warnings)
        groups.append(RegisterGroup(
            text("Grupp"), groups_table.sheet_rows[row_id], text("Region"), ref, resolve(ref) if ref else "",
            _date(groups_table, row_id, "Big Bang Day", today, warnings),
            groups_table.df.at[row_id, "Delmål"] if groups_table.has("Delmål") else None,
            _kull(groups_table, row_id, warnings)))
    phase1 = tuple(column for column in PHASE1_COLUMNS if students_table.has(column))
    students = []
    for row_id in students_table.df.index:
        text = lambda column: students_table.text(row_id, column)  # noqa: E731
        if not text("Namn"):
            warnings.append(_("{tab} row {row}: no name; skipped").format(
                tab=students_table.title, row=students_table.sheet_rows[row_id]))
            continue
        ref = _reference(students_table, row_id, "Individuellt CRM", warnings)
        students.append(RegisterStudent(
            text("Namn"), students_table.sheet_rows[row_id], text("E-post"), text("Grupp"), text("Utbildning"),
            ref, resolve(ref) if ref else "", text("LIA-företag"),
            _date(students_table, row_id, "LIA registrerad", today, warnings),
            _date(students_table, row_id, "Placerad", today, warnings),
            tuple((column, text(column)) for column in phase1), _kull(students_table, row_id, warnings),
            text("Region")))
    return Register(raw.source, groups, students, _calendar(raw), phase1, warnings)


def _calendar(raw: RawWorkbook) -> list[Period] | None:
    title = contract().find_tab_title("Kalender", raw.grids.keys())
    if title is None:
        return None
    table = load_table(raw, "Kalender")
    rows = [{label: table.df.at[row_id, label] for label in table.df.columns} for row_id in table.df.index]
    if not rows:
        return None  # an empty Kalender tab (the template's): the defaults apply
    return calendar_from_rows(rows)


def read_register(backend: Backend, today: dt.date | None = None,
                  extra_tabs: Sequence[str] = ()) -> tuple[Register, RawWorkbook]:
    """One read of the register (plus `extra_tabs`, e.g. the tabs a run owns), parsed."""
    raw = backend.read([*REGISTER_TABS, *extra_tabs])
    try:
        return parse_register(raw, backend.resolve_relative, today), raw
    except ChasSheetsError as exc:
        raise type(exc)(_("register {name}: {error}").format(name=backend.display_name, error=exc)) from exc


@dataclass(frozen=True)
class CrmJob:
    target: str  # resolved reference
    kind: str  # "group" or "individual"
    owner: str


def crm_jobs(register: Register) -> list[CrmJob]:
    """Each CRM the register names once (a CRM named twice is read once)."""
    jobs: dict[str, CrmJob] = {}
    for g in register.groups:
        if g.crm:
            jobs.setdefault(g.crm, CrmJob(g.crm, "group", g.name))
    for s in register.students:
        if s.crm:
            jobs.setdefault(s.crm, CrmJob(s.crm, "individual", s.name))
    return list(jobs.values())


@dataclass(frozen=True)
class CrmSettings:
    """What the register says about one CRM: whose it is and the dates its goals follow."""

    kind: str  # "group" or "individual"
    owner: str
    cohort: int
    big_bang_day: dt.date | None = None
    delmal: object = None
    lia_registered: dt.date | None = None  # a student's `LIA registrerad`


def settings_for(register: Register, same: Callable[[str], bool], today: dt.date) -> CrmSettings | None:
    """The settings of the CRM the register names where `same(resolved reference)` holds (its
    group row first, a group CRM being shared by no student); None when no row names it."""
    for g in register.groups:
        if g.crm and same(g.crm):
            return CrmSettings("group", g.name, register.cohort_of_group(g, today), g.big_bang_day, g.delmal)
    for s in register.students:
        if s.crm and same(s.crm):
            return CrmSettings("individual", s.name, register.cohort_of_student(s, today),
                               lia_registered=s.lia_registered)
    return None
