"""The cohort commands' I/O: read the register (and class list), plan, create, write, share (no Click).

Order is for crash safety: new spreadsheets are created first, then the group (or individual)
CRMs are written, and the register last, with a `(körning i)` note per other spreadsheet the
run wrote, so `undo REGISTER RUN` walks them all. A local CRM whose file is already where it
belongs (a run stopped before the register was written) is used, not created twice; every
write is compare-and-set, so running again completes an interrupted run.

Sharing (Google) is by name only, never by link: a group CRM with exactly its members as
editors, an individual CRM with its student; the account chas-sheets runs as owns them.
A group CRM's sharing (start, move) is logged in its own Ändringslogg with the run's other
changes there (sharing.access_log), so `undo` of a move gives the old group its access back
and takes the new one's away. An individual CRM's sharing with its student is part of its
creation (like its template) and not logged: logging it would cost a write per student.

Google CRMs are created with Drive appProperties naming the register and what the CRM is for
(`Places.create`): a run that stopped between creating one and writing its URL into the
register leaves no orphan, the next run finds it (one files.list) and uses it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from chas_sheets.backends import Backend, is_google_reference
from chas_sheets.cohort.plan import (
    GROUPS,
    MEMBERS,
    STUDENTS,
    StartPlan,
    find_student,
    link_changes,
    member_changes,
    missing_editors,
    plan_individual,
    plan_move,
    plan_start,
    register_changes,
    rows_by_group,
    run_note,
)
from chas_sheets.cohort.roster import TAB, Roster, email_key, parse_roster
from chas_sheets.errors import CorruptSpreadsheet, InvalidInput, SpreadsheetNotFound
from chas_sheets.i18n import _, ngettext
from chas_sheets.runner import read_tables
from chas_sheets.sharing.access_log import carry_out, change_to, log_rows, words
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.layout import layout_for
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, Tables, load_tables
from chas_sheets.sheet.writeplan import RunInfo
from chas_sheets.text import fold

REGISTER_TABS = ([GROUPS, STUDENTS], [])
GROUP_FOLDER, STUDENT_FOLDER = "grupper", "studerande"


# --- the class list --------------------------------------------------------------------------

def read_roster(path: str) -> Roster:
    """A class list from a .csv (comma or semicolon, as Excel saves it) or an .xlsx (its
    `Klasslista` tab, else the first)."""
    file = Path(path)
    if not file.is_file():
        raise SpreadsheetNotFound(_("{path}: no such class list (.csv or .xlsx)").format(path=path))
    if file.suffix.lower() == ".xlsx":
        from chas_sheets.backends.local import LocalWorkbook

        raw = LocalWorkbook(file).read()
        title = contract().find_tab_title(TAB, raw.titles) or raw.titles[0]
        return parse_roster(raw.grids.get(title, []), path)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = file.read_bytes().decode("cp1252")  # Excel's "CSV" on a Swedish Windows
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return parse_roster([row for row in csv.reader(io.StringIO(text), dialect)], path)
    except csv.Error as exc:
        raise CorruptSpreadsheet(_("{path}: not a readable class list ({error})").format(path=path, error=exc)) from exc


# --- where new CRMs go -----------------------------------------------------------------------

def _file_name(name: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name).strip(" .")
    return (cleaned or "namnlös") + ".xlsx"


@dataclass
class Places:
    """Creates CRMs beside the register: files in a folder, or Google spreadsheets in a Drive folder."""

    register: Backend
    folder: str | None = None  # local: where new CRMs go (default: grupper/ or studerande/ beside the register)
    drive_folder: str | None = None
    credentials: str | None = None
    open_backend: Callable[[str], Backend] = None  # type: ignore[assignment]
    created: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)  # CRMs an interrupted run created, found and used
    register_is_new: bool = False  # created by this run: nothing can be left behind for it
    found: dict[str, str] | None = None

    @property
    def google(self) -> bool:
        return is_google_reference(self.register.target) or isinstance(self.register, NewGoogleRegister)

    def local_path(self, subfolder: str, name: str, taken: set[str]) -> Path:
        base = Path(self.folder) if self.folder else Path(self.register.target).parent / subfolder
        path = base / _file_name(name)
        number = 2
        while os.path.normcase(os.path.abspath(path)) in taken:
            path = base / _file_name(f"{name} {number}")
            number += 1
        return path

    def reference(self, target: str, seen_from: str) -> str:
        """How a spreadsheet `seen_from` names `target`: a URL, or a path relative to its folder."""
        if is_google_reference(target) or is_google_reference(seen_from):
            return target
        start = Path(seen_from).parent
        try:
            return Path(os.path.relpath(target, start)).as_posix()
        except ValueError:  # another drive (Windows)
            return str(Path(target).resolve())

    def create(self, kind: str, title: str, path: Path | None, share: list[str], identity: str = "") -> Backend:
        """A new CRM, or the one an interrupted run created for the same `identity` (Google: a
        spreadsheet made but never written into the register; local: the file already there)."""
        if self.google:
            from chas_sheets.backends.google import GoogleSpreadsheet

            if self.drive_folder is None and not isinstance(self.register, NewGoogleRegister):
                self.drive_folder = _drive_parent(self.register) or ""  # asked once per run
            found = self._left_behind().get(identity) if identity else None
            if found:
                return self._adopt(GoogleSpreadsheet(found, self.credentials), kind, share)
            sheet = GoogleSpreadsheet.new(kind, title=title, folder_id=self.drive_folder or None,
                                          credentials=self.credentials, share=share,
                                          app_properties=self._origin(identity) if identity else None)
            self.created.append(sheet.target)
            return sheet
        backend = self.open_backend(str(path))
        if not backend.exists():  # a file already there: a run stopped before the register knew it
            backend.create(kind)
            self.created.append(str(path))
        return backend

    # Google: each new CRM carries who made it for what (Drive appProperties, private to the
    # tool, set in the files.create itself), so a run that stopped between creating it and
    # writing its URL into the register leaves no orphan: the next run finds it and uses it.
    def _origin(self, identity: str) -> dict[str, str]:
        return {ORIGIN_REGISTER: self.register.key, ORIGIN_FOR: identity}

    def _left_behind(self) -> dict[str, str]:
        """identity -> file id of CRMs made for this register (one files.list a run, only when
        something is to be created, and none for a register this run created)."""
        if self.found is None:
            self.found = {}
            if not self.register_is_new:
                from chas_sheets.backends.google import find_created

                for file in find_created(ORIGIN_REGISTER, self.register.key, credentials=self.credentials):
                    identity = (file.get("appProperties") or {}).get(ORIGIN_FOR)
                    if identity:
                        self.found.setdefault(identity, file["id"])  # oldest first: an extra copy is ignored
        return self.found

    def _adopt(self, sheet: Backend, kind: str, share: list[str]) -> Backend:
        raw = sheet.read()
        if not any(raw.grids.values()):  # stopped before its template was built
            sheet.create(kind)
        if share:
            sheet.share(missing_editors(sheet.list_permissions(), share))
        self.adopted.append(sheet.target)
        return sheet


ORIGIN_REGISTER, ORIGIN_FOR = "chasSheetsRegister", "chasSheetsFor"


def identity(kind: str, name: str) -> str:
    """What a CRM is for, as stored in its appProperties: no name or address in clear text
    (`kind` group: the folded group name; student: the e-mail key)."""
    import hashlib

    return f"{kind}:" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


class NewGoogleRegister:
    """`--register google:TITLE`: a register to create on Google, named but not there yet."""

    def __init__(self, title: str):
        self.title = title
        self.target = self.display_name = f"google:{title}"
        self.identity = identity("register", fold(title))

    def exists(self) -> bool:
        return False


def _drive_parent(register: Backend) -> str | None:
    """The register's Drive folder (new CRMs go beside it)."""
    return register.parent_folder()


def _template_tables(kind: str, required: list[str], source: str) -> Tables:
    layout = layout_for(kind)
    raw = RawWorkbook([t.title for t in layout.tabs], {t.title: [list(t.headers)] for t in layout.tabs}, source)
    return load_tables(raw, required)


def _write(backend: Backend, changes: ChangeSet, run: RunInfo | None) -> int:
    if run is None or not changes:
        return 0
    return len(backend.apply(changes, run).applied)


# --- cohort start ----------------------------------------------------------------------------

@dataclass
class CohortReport:
    applied: bool
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    run: RunInfo | None = None
    register: str = ""
    changes: int = 0
    adopted: list[str] = field(default_factory=list)  # made by an interrupted run, found and used

    def to_dict(self) -> dict:
        return {"applied": self.applied, "register": self.register, "run_id": self.run.run_id if self.run else None,
                "created": self.created, "adopted": self.adopted, "changes": self.changes, "lines": self.lines,
                "warnings": self.warnings}


def start_cohort(roster: Roster, register: Backend, places: Places, *, today: dt.date, apply: bool,
                 big_bang_day: dt.date | None = None) -> CohortReport:
    """`cohort start`: the register, its rows, a group CRM per group with its members, shared."""
    from chas_sheets.programme.calendar import default_big_bang_day

    if roster.problems:
        raise InvalidInput(ngettext("the class list has {n} problem (above); nothing was created",
                                    "the class list has {n} problems (above); nothing was created",
                                    len(roster.problems)).format(n=len(roster.problems)))
    report = CohortReport(apply, warnings=list(roster.warnings))
    run = RunInfo.new("cohort start") if apply else None
    report.run = run
    earlier = _earlier_register(register, places, apply) if isinstance(register, NewGoogleRegister) else None
    if earlier is not None:
        report.lines.append(_("the register {name} was created by an earlier run; used it").format(
            name=register.display_name))
        register = places.register = earlier
        places.adopted.append(earlier.target)
    if not register.exists():
        report.lines.append((_("created the register {name}") if apply else _("would create the register {name}"))
                            .format(name=register.display_name))
        if apply:
            register = _create_register(register, places)
            places.register, places.register_is_new = register, True
            report.created.append(register.target)
    tables = read_tables(register, *REGISTER_TABS) if register.exists() or apply else \
        _template_tables("register", [GROUPS, STUDENTS], register.target)
    plan: StartPlan = plan_start(roster, tables[GROUPS], tables[STUDENTS])
    report.warnings += plan.warnings
    cohort_year = starting_cohort_year(today)
    refs: dict[str, str] = {}
    notes = ChangeSet()
    taken = _referenced_paths(register, tables)
    shared = members_added = 0
    for group in plan.groups:
        emails = [s.email for s in group.members]
        fresh = False  # a CRM this run created: shared with nobody yet (no need to ask Drive)
        if group.create:
            path = None if places.google else places.local_path(GROUP_FOLDER, group.name, taken)
            if path is not None:
                taken.add(os.path.normcase(os.path.abspath(path)))
            where = str(path) if path else _("Google Drive ('Gruppens CRM {group}')").format(group=group.name)
            report.lines.append((_("group {group}: created its CRM {where}") if apply
                                 else _("group {group}: would create its CRM {where}")).format(group=group.name,
                                                                                               where=where))
            if not apply:
                crm, members = None, _template_tables("group", [MEMBERS], where)[MEMBERS]
            else:
                # Shared after its Medlemmar are written, so the sharing is logged with them.
                crm = places.create("group", f"Gruppens CRM {group.name}", path, [],
                                    identity("group", fold(group.name)))
                if crm.target in places.adopted:
                    report.lines[-1] = _("group {group}: found its CRM, created by a run that stopped before the "
                                         "register named it; used it, none created").format(group=group.name)
                else:
                    report.created.append(crm.target)
                    fresh = places.google
                members = read_tables(crm, [MEMBERS])[MEMBERS]
            refs[group.name] = places.reference(crm.target if crm else str(path or ""), register.target) \
                if (crm or path) else ""
        else:
            crm = places.open_backend(register.resolve_relative(group.crm_ref))
            members = read_tables(crm, [MEMBERS])[MEMBERS]
        changes, added = member_changes(members, group.members)
        if added:
            members_added += 1
            report.lines.append((ngettext("group {group}: added {n} member to Medlemmar",
                                          "group {group}: added {n} members to Medlemmar", len(added)) if apply
                                 else ngettext("group {group}: would add {n} member to Medlemmar",
                                               "group {group}: would add {n} members to Medlemmar", len(added)))
                                .format(group=group.name, n=len(added)))
        access, permissions = [], []
        if places.google:
            permissions = [] if crm is None or fresh else crm.list_permissions()
            access = [c for e in emails if (c := change_to(permissions, e, "writer"))]
        if access:
            shared += len(access)
            report.lines.append((ngettext("group {group}: shared with {n} member as editor",
                                          "group {group}: shared with {n} members as editors", len(access)) if apply
                                 else ngettext("group {group}: would share with {n} member as editor",
                                               "group {group}: would share with {n} members as editors", len(access)))
                                .format(group=group.name, n=len(access)))
            changes.appends += log_rows(access, "cohort start: sharing")
        if crm is not None and _write(crm, changes, run):
            notes.appends.append(run_note(refs.get(group.name) or group.crm_ref))
        if crm is not None and run is not None and access:
            carry_out(crm, access, permissions)
    big_bang = big_bang_day or default_big_bang_day(cohort_year)
    changes = register_changes(plan, refs, tables[GROUPS], big_bang, str(cohort_year))
    new_groups = sum(a.tab == GROUPS for a in changes.appends)
    if new_groups or plan.new_students:
        groups_text = ngettext("{n} group", "{n} groups", new_groups).format(n=new_groups)
        students_text = ngettext("{n} student", "{n} students", len(plan.new_students)).format(
            n=len(plan.new_students))
        report.lines.append((_("register: added {groups} (Big Bang Day {day}) and {students}") if apply
                             else _("register: would add {groups} (Big Bang Day {day}) and {students}"))
                            .format(groups=groups_text, day=big_bang.isoformat(), students=students_text))
    report.changes = len(changes) + shared + members_added
    if run is not None and (changes or notes):
        register.apply(changes.extend(notes), run)
    if run is not None and not (changes or notes or report.created):
        report.run = None  # nothing was written: no run to undo
    if not report.lines:
        report.lines.append(_("everything on the class list is already there; nothing to create"))
    report.register = register.target
    report.adopted = list(places.adopted)
    return report


def starting_cohort_year(today: dt.date) -> int:
    """The cohort a class list starts: from July on, the one whose LIA search is next spring
    (the calendar's cohort_year_for still counts September and October to the cohort ending)."""
    return today.year + 1 if today.month >= 7 else today.year


def _create_register(register: Backend, places: Places) -> Backend:
    if isinstance(register, NewGoogleRegister):
        from chas_sheets.backends.google import GoogleSpreadsheet

        return GoogleSpreadsheet.new("register", title=register.title, folder_id=places.drive_folder,
                                     credentials=places.credentials, app_properties={ORIGIN_FOR: register.identity})
    register.create("register")
    return register


def _earlier_register(register: NewGoogleRegister, places: Places, apply: bool) -> Backend | None:
    """The register an earlier `--register google:TITLE` run created (it may have stopped
    before saying where), so giving the same title again never makes a second one."""
    from chas_sheets.backends.google import GoogleSpreadsheet, find_created

    found = [f for f in find_created(ORIGIN_FOR, register.identity, credentials=places.credentials)
             if not places.drive_folder or places.drive_folder in (f.get("parents") or [])]
    if not found:
        return None
    sheet = GoogleSpreadsheet(found[0]["id"], places.credentials)
    if not any(sheet.read().grids.values()):  # that run stopped before its template was built
        if not apply:
            return None
        sheet.create("register")
    return sheet


def _referenced_paths(register: Backend, tables: Tables) -> set[str]:
    """Local CRMs the register already names (a new one must not take their file)."""
    paths = set()
    for tab, column in ((GROUPS, "Gruppens CRM"), (STUDENTS, "Individuellt CRM")):
        table = tables.get(tab)
        for row_id in (table.df.index if table is not None else ()):
            ref = table.text(row_id, column)
            if ref and not is_google_reference(ref):
                paths.add(os.path.normcase(os.path.abspath(register.resolve_relative(ref))))
    return paths


# --- cohort individual -----------------------------------------------------------------------

def open_individual(register: Backend, places: Places, *, group: str | None, apply: bool) -> CohortReport:
    """`cohort individual`: a CRM per student who has none, linked in Studerande and Medlemmar."""
    tables = read_tables(register, *REGISTER_TABS)
    students, problems = plan_individual(tables[STUDENTS], group)
    report = CohortReport(apply, warnings=problems, register=register.target)
    run = RunInfo.new("cohort individual") if apply else None
    report.run = run
    refs: dict[str, str] = {}  # e-mail key -> the CRM as a register reference
    targets: dict[str, str] = {}  # e-mail key -> the CRM itself (a path or a URL)
    taken = _referenced_paths(register, tables)
    made = found = 0
    for student in students:
        if student.crm_ref:
            refs[email_key(student.email)] = student.crm_ref
            targets[email_key(student.email)] = register.resolve_relative(student.crm_ref)
            continue
        path = None if places.google else places.local_path(STUDENT_FOLDER, student.name, taken)
        if path is not None:
            taken.add(os.path.normcase(os.path.abspath(path)))
        made += 1
        if not apply:
            row = tables[STUDENTS].sheet_rows[student.row_id]
            report.lines.append(
                _("would create the individual CRM of Studerande row {row} ({group}): {path}").format(
                    row=row, group=student.group, path=path) if path else
                _("would create the individual CRM of Studerande row {row} ({group}): on Google Drive, shared with "
                  "the student only").format(row=row, group=student.group))
            target = str(path) if path else ""
        else:
            crm = places.create("student", f"Individuellt CRM {student.name}", path, [student.email],
                                identity("student", email_key(student.email)))
            if crm.target in places.adopted:
                made -= 1
                found += 1
            else:
                report.created.append(crm.target)
            target = crm.target
        if target:
            refs[email_key(student.email)] = places.reference(target, register.target)
            targets[email_key(student.email)] = target
    notes = ChangeSet()
    group_rows = rows_by_group(tables[GROUPS])
    for name in dict.fromkeys(s.group for s in students):
        row_id = group_rows.get(fold(name))
        ref = tables[GROUPS].text(row_id, "Gruppens CRM") if row_id else ""
        if not ref:
            report.warnings.append(_("group {group}: no Gruppens CRM in Grupper; its Medlemmar not linked").format(
                group=name))
            continue
        crm = places.open_backend(register.resolve_relative(ref))
        members = read_tables(crm, [MEMBERS])[MEMBERS]
        seen_from = {k: places.reference(t, crm.target) for k, t in targets.items()}
        changes = link_changes(members, MEMBERS, seen_from)
        if changes:
            report.lines.append((ngettext("group {group}: linked {n} individual CRM in Medlemmar",
                                          "group {group}: linked {n} individual CRMs in Medlemmar", len(changes))
                                 if apply else
                                 ngettext("group {group}: would link {n} individual CRM in Medlemmar",
                                          "group {group}: would link {n} individual CRMs in Medlemmar", len(changes)))
                                .format(group=name, n=len(changes)))
        if _write(crm, changes, run):
            notes.appends.append(run_note(ref))
    changes = link_changes(tables[STUDENTS], STUDENTS, refs)
    report.changes = len(changes)
    if run is not None and (changes or notes):
        register.apply(changes.extend(notes), run)
    if run is not None and not (changes or notes or report.created):
        report.run = None
    report.adopted = list(places.adopted)
    if found:  # created by a run that stopped before the register named them
        report.lines.insert(0, ngettext("found {n} individual CRM an interrupted run had created; used it",
                                        "found {n} individual CRMs an interrupted run had created; used them",
                                        found).format(n=found))
    if not made and not found:
        report.lines.insert(0, _("every student chosen already has an individual CRM; none created"))
    elif made:
        report.lines.insert(0, (ngettext("created {n} individual CRM", "created {n} individual CRMs", made) if apply
                                else ngettext("would create {n} individual CRM", "would create {n} individual CRMs",
                                              made)).format(n=made))
    return report


# --- cohort move -----------------------------------------------------------------------------

def move_student(register: Backend, places: Places, who: str, to_group: str, *, apply: bool,
                 old_access: str = "removed") -> CohortReport:
    """`cohort move`: one student from their group to `to_group`, in the register and both CRMs."""
    tables = read_tables(register, *REGISTER_TABS)
    students, groups = tables[STUDENTS], tables[GROUPS]
    row_id = find_student(students, who)
    group_rows = rows_by_group(groups)
    new_row = group_rows.get(fold(to_group))
    if new_row is None:
        raise InvalidInput(_("no group '{group}' in Grupper; known: {known}").format(
            group=to_group, known=", ".join(groups.text(r, "Grupp") for r in groups.df.index)))
    new_name = groups.text(new_row, "Grupp")
    old_name = students.text(row_id, "Grupp")
    old_row = group_rows.get(fold(old_name))
    report = CohortReport(apply, register=register.target)
    old_ref = groups.text(old_row, "Gruppens CRM") if old_row else ""
    new_ref = groups.text(new_row, "Gruppens CRM")
    if not new_ref:
        raise InvalidInput(_("group {group} has no Gruppens CRM in Grupper; run `chas-sheets cohort start` first")
                           .format(group=new_name))
    old_crm = places.open_backend(register.resolve_relative(old_ref)) if old_ref else None
    new_crm = places.open_backend(register.resolve_relative(new_ref))
    old_tables = read_tables(old_crm, [MEMBERS], ["Leads"]) if old_crm is not None else None
    new_tables = read_tables(new_crm, [MEMBERS])

    def rebase(ref: str) -> str:
        if old_crm is None:
            return ref
        return places.reference(old_crm.resolve_relative(ref), new_crm.target)

    plan = plan_move(students, row_id, new_name, old_tables[MEMBERS] if old_tables else None, new_tables[MEMBERS],
                     old_tables.get("Leads") if old_tables else None, rebase)
    run = RunInfo.new("cohort move") if apply else None
    report.run = run
    report.lines.append((_("Studerande row {row}: moved from {old} to {new}") if apply
                         else _("Studerande row {row}: would move from {old} to {new}")).format(
        row=students.sheet_rows[row_id], old=old_name or _("(no group)"), new=new_name))
    report.lines.append(ngettext("the {n} lead the student added stays in {group}'s CRM (the group's work)",
                                 "the {n} leads the student added stay in {group}'s CRM (the group's work)",
                                 plan.leads_kept).format(n=plan.leads_kept, group=old_name))
    report.warnings += plan.notes
    # Sharing follows (Google): planned from who has access now, logged with each CRM's
    # Medlemmar change (so `undo` of the run gives the access back), done after the writes.
    access: list[tuple[Backend, list, list[dict]]] = []
    if places.google and plan.email:
        wanted = [(new_crm, new_name, "writer", plan.new)]
        if old_crm is not None and fold(old_name) != fold(new_name):
            wanted.append((old_crm, old_name, "reader" if old_access == "read-only" else "", plan.old))
        for crm, name, role, changes in wanted:
            permissions = crm.list_permissions()
            change = change_to(permissions, plan.email, role)
            if change is None:
                continue
            access.append((crm, [change], permissions))
            changes.appends += log_rows([change], "cohort move: sharing")
            what = words(role) if role else _("removed")
            report.lines.append((_("group {group}: the student's access is now {what}") if apply
                                 else _("group {group}: the student's access would be {what}")).format(
                group=name, what=what))
    notes = ChangeSet()
    for crm, ref, changes in ((old_crm, old_ref, plan.old), (new_crm, new_ref, plan.new)):
        if crm is not None and _write(crm, changes, run):
            notes.appends.append(run_note(ref))
    report.changes = len(plan.register) + len(plan.old) + len(plan.new)
    if run is not None and (plan.register or notes):
        register.apply(plan.register.extend(notes), run)
    if run is not None:
        for crm, changes, permissions in access:
            carry_out(crm, changes, permissions)
    if not report.changes:
        report.lines.append(_("already in that group everywhere; nothing to change"))
        report.run = None
    return report
