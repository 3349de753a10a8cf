"""Sharing changes in `Ändringslogg`, and their undo: who got, lost or changed access.

A run that grants, changes or takes away a person's access to a Google spreadsheet logs one
row per person in THAT spreadsheet's `Ändringslogg`, in the log's usual columns:
`Kolumn` = `(delning)`, `Rad-ID` = the person's e-mail, `Före`/`Efter` = Drive's role before
and after (`writer`, `reader`; blank = no access). To the rest of the tool the row is a note
(`changelog.LogEntry.is_note`: any other `(…)`), so the cell and row undo leave it alone and
`undo` hands it to this module (`attach` plans, `carry_out` does it).

The rows are written with the spreadsheet's other changes of the run, before Drive is asked;
a row whose change never happened (the run stopped in between) is harmless: its undo finds
the access already as it was. The undo is compare-and-set like a cell's: access is restored
only where it is still what the run left; access a person changed since is left and reported.
The undo logs its own rows, so undoing the undo gives the access back again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chas_sheets.i18n import _, ngettext
from chas_sheets.sheet.changelog import LOG_TAB, UNDOES, log_entries
from chas_sheets.sheet.changes import ChangeSet, RowAppend
from chas_sheets.sheet.values import as_text

if TYPE_CHECKING:
    from chas_sheets.backends import Backend
    from chas_sheets.sheet.tables import Table

SHARING = "(delning)"  # Kolumn of a sharing row
NO_ACCESS = ""
_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}


def _key(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class AccessChange:
    email: str
    before: str  # Drive role; "" = no access
    after: str


def role_of(permissions: list[dict], email: str) -> str:
    """A person's access as Drive's permissions show it (their highest role; "" = none)."""
    roles = [p.get("role", "") for p in permissions
             if p.get("type") == "user" and _key(p.get("emailAddress") or "") == _key(email)]
    return max(roles, key=lambda r: _RANK.get(r, 0), default=NO_ACCESS)


def change_to(permissions: list[dict], email: str, role: str) -> AccessChange | None:
    """What giving `email` exactly `role` ("" = taking access away) changes; None when nothing.
    An owner stays an owner."""
    current = role_of(permissions, email)
    if current == role or current == "owner":
        return None
    return AccessChange(email, current, role)


def log_rows(changes: list[AccessChange], reason: str) -> list[RowAppend]:
    """The Ändringslogg rows of `changes` (stamped with the run when written)."""
    return [RowAppend(LOG_TAB, {"Rad-ID": c.email, "Kolumn": SHARING, "Före": c.before, "Efter": c.after}, reason)
            for c in changes]


def carry_out(sheet: Backend, changes: list[AccessChange], permissions: list[dict] | None = None,
              notify: bool = True) -> None:
    """Make the changes on Drive: a role changes as remove + invite (the emulator and Google both
    accept it; an owner is never touched). `permissions`: a fresh list_permissions answer."""
    for change in changes:
        if change.before:
            sheet.unshare(change.email, permissions)
        if change.after:
            sheet.share([change.email], role=change.after, notify=notify and not change.before)


def words(role: str) -> str:
    """A Drive role in the words people read ("" = no access)."""
    return {"": _("no access"), "reader": _("read-only"), "commenter": _("commenter"), "writer": _("editor"),
            "owner": _("owner")}.get(role, role)


# --- undo --------------------------------------------------------------------------------

def logged(log_table: Table | None, run_id: str) -> list[tuple[int, AccessChange]]:
    """The run's sharing rows, one per person: (the first log row, first Före -> last Efter)."""
    found: dict[str, tuple[int, AccessChange]] = {}
    for entry in log_entries(log_table):
        if entry.run_id != run_id or entry.column != SHARING or not entry.row_id:
            continue
        before, after = as_text(entry.before), as_text(entry.after)
        first = found.get(_key(entry.row_id))
        if first is None:
            found[_key(entry.row_id)] = (entry.log_row, AccessChange(entry.row_id, before, after))
        else:
            found[_key(entry.row_id)] = (first[0], AccessChange(first[1].email, first[1].before, after))
    return list(found.values())


@dataclass
class AccessUndo:
    """The sharing part of one spreadsheet's undo."""

    changes: list[AccessChange] = field(default_factory=list)
    permissions: list[dict] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    already: int = 0


def plan_restore(entries: list[tuple[int, AccessChange]], permissions: list[dict]) -> AccessUndo:
    """Pure: put each person's access back to `Före` where it is still the run's `Efter`.
    Lines name the Ändringslogg row, never the person."""
    plan = AccessUndo(permissions=permissions)
    for log_row, change in entries:
        current = role_of(permissions, change.email)
        where = _("sharing (Ändringslogg row {row})").format(row=log_row)
        if current == change.before:
            plan.already += 1
        elif current == change.after and current != "owner":
            plan.changes.append(AccessChange(change.email, current, change.before))
            plan.planned.append(f"{where}: {words(current)} -> {words(change.before)}")
        else:
            plan.left.append(_("{where}: access changed after the run (the run left {left}, now {now})").format(
                where=where, left=words(change.after), now=words(current)))
    return plan


def attach(sheet: Any, log_table: Table | None, run_id: str) -> None:
    """The undo's hook: plan the sharing undo of `sheet` (a restore.SheetUndo with its backend
    and report), add its log rows to the sheet's changes and its lines to the report."""
    entries = logged(log_table, run_id)
    if not entries or sheet.report is None or sheet.backend is None:
        return
    if not hasattr(sheet.backend, "list_permissions"):
        sheet.report.not_undone.append(ngettext(
            "sharing: {n} change logged, but this spreadsheet is not on Google Drive",
            "sharing: {n} changes logged, but this spreadsheet is not on Google Drive", len(entries)).format(
                n=len(entries)))
        return
    plan = plan_restore(entries, sheet.backend.list_permissions())
    sheet.access = plan
    sheet.report.planned += plan.planned
    sheet.report.left += plan.left
    sheet.report.already += plan.already
    if plan.changes:
        changes: ChangeSet = sheet.changes
        changes.appends += log_rows(plan.changes, f"undo of run {run_id}")
        if not any(a.tab == LOG_TAB and a.values.get("Kolumn") == UNDOES for a in changes.appends):
            changes.appends.append(RowAppend(LOG_TAB, {"Kolumn": UNDOES, "Efter": run_id}, "undo note"))


def finish(sheet: Any) -> None:
    """The undo's hook after the spreadsheet's log rows are written: change the access."""
    plan: AccessUndo | None = getattr(sheet, "access", None)
    if plan is not None and plan.changes and sheet.backend is not None:
        carry_out(sheet.backend, plan.changes, plan.permissions, notify=False)
