"""The day's to-do of one CRM (pure): the list `status` prints and the nightly run writes into
each individual CRM's tool-owned `Att göra` tab. One list, one order, from `StatusReport`.

In order: a `Ja` or `Erbjudande` with no registered LIA (register it: the point of it all),
leads with 1-2 unanswered attempts (oldest first, with the channel to try next, phone first),
dialogues quiet for 7 days, never-contacted leads in the order the current sprint asks for
(`first_contact_rank`), and companies where nobody replied (find a new contact person). Only
the first `FIRST_CONTACTS_SHOWN` never-contacted leads are listed: a day's list, not the CRM.

Decisions where the seeds are silent:
- Never-contacted leads: warm ones first, always (the harvest's leads are the warmest). In
  Sprint 1 and 2 (April-June: "varma leads och företag med långa rekryteringsprocesser") the
  long-recruitment companies next; from Sprint 3 on (July: "små och medelstora företag,
  startups, scaleups", contacted in Sprint 4) the small and mid-size ones next; sheet order
  breaks ties. Before Sprint 1 only warmth counts.
- The tab holds no day counts that change by themselves except the days to the deadline,
  which `same_todo` ignores: a quiet night (nothing new in the CRM) leaves the tab as it is,
  so the nightly does not rewrite every CRM every night for a number. The row says which
  day it was counted on.
"""

from __future__ import annotations

from typing import Any, Sequence

from chas_sheets.i18n import N_, _, sheet_, sheet_ngettext
from chas_sheets.programme import calendar
from chas_sheets.sheet.changes import TabReplacement
from chas_sheets.sheet.values import as_text, is_blank
from chas_sheets.text import fold

TODO_TAB = "Att göra"
# The tab's words are the sheet's (sheet_: Swedish whatever the command line's language), fixed
# at import: the nightly compares what a CRM holds with them.
NOTICE = sheet_("Rewritten every night by chas-sheets; notes here are not kept.")
COLUMNS = ("Vad", "Företag", "Kontaktperson", "Senast", "Försök nu med", "Varför", "Lead-ID")
GOAL_ROW, DEADLINE_ROW = sheet_("Goal"), sheet_("Next deadline")
FIRST_CONTACTS_SHOWN = 10
QUIET_DIALOG_DAYS = 7

# What to do, per queue (the tab's `Vad`), in the list's order.
REGISTER_LIA, FOLLOW_UP, QUIET_DIALOG, FIRST_CONTACT, NEW_CONTACT = (
    sheet_("Register LIA"), sheet_("Follow up"), sheet_("Wake the dialogue"), sheet_("First contact"),
    sheet_("New contact person"))
# Each queue's title as `status` prints it (the language people read).
SECTIONS = (
    (REGISTER_LIA, "lia_to_register", N_("Register your LIA: a yes or an offer, and no LIA registered")),
    (FOLLOW_UP, "follow_ups", N_("Follow up: 1-2 attempts without reply, oldest first")),
    (QUIET_DIALOG, "quiet_dialogs", N_("Dialogues with no contact for {days}+ days")),
    (FIRST_CONTACT, "first_contacts", N_("First contact: never contacted, in this sprint's order")),
    (NEW_CONTACT, "new_contact_companies", N_("Nobody replied: go back to your sources for a new contact person at")),
)

# The seeds' long-recruitment companies (Sprint 1): large consultancies, large product
# companies, heavy industry and the public sector. "Large" is the EU's large enterprise (250
# employees or more); a blank size is unknown, not large: the company is not counted (a lead
# without a size said nothing about its recruitment, and counting it inflated the figure).
LONG_RECRUITMENT_TYPES = ("Konsultbolag", "Produktbolag", "Industri", "Offentlig sektor")
LARGE_COMPANY_EMPLOYEES = 250
LONG_RECRUITMENT_SPRINTS = ("Sprint 1", "Sprint 2")
SMALL_COMPANY_SPRINTS = ("Sprint 3", "Sprint 4", "Sprint 5")


def _employees(size: object) -> int | None:
    digits = "".join(ch for ch in as_text(size) if ch.isdigit())
    return int(digits) if digits and not is_blank(size) else None


def is_long_recruitment(typ: object, size: object) -> bool:
    from chas_sheets.sheet.schema import contract

    word = contract().tab("Leads").column("Typ").canonical_value(typ)
    if word not in LONG_RECRUITMENT_TYPES:
        return False
    employees = _employees(size)
    return employees is not None and employees >= LARGE_COMPANY_EMPLOYEES


def is_small_or_mid(typ: object, size: object) -> bool:
    """A startup, or fewer than 250 employees (a blank size: not known to be small)."""
    from chas_sheets.sheet.schema import contract

    if contract().tab("Leads").column("Typ").canonical_value(typ) == "Startup":
        return True
    employees = _employees(size)
    return employees is not None and employees < LARGE_COMPANY_EMPLOYEES


def sprint_focus(period: calendar.Period | None) -> str:
    """'long', 'small' or '' (warmth only): what the period asks to contact first."""
    name = fold(period.name) if period else ""
    if name in {fold(p) for p in LONG_RECRUITMENT_SPRINTS}:
        return "long"
    if name in {fold(p) for p in SMALL_COMPANY_SPRINTS}:
        return "small"
    return ""


def first_contact_rank(focus: str, warm: bool, typ: object, size: object) -> tuple[int, str]:
    """(rank, why in the sheet's language): 0 warm, 1 what the sprint asks for, 2 the rest."""
    if warm:
        return 0, sheet_("Warm lead")
    if focus == "long" and is_long_recruitment(typ, size):
        return 1, sheet_("Long recruitment process: the sprint's focus")
    if focus == "small" and is_small_or_mid(typ, size):
        return 1, sheet_("Small or mid-size company: the sprint's focus")
    return 2, sheet_("Never contacted")


# --------------------------------------------------------------------------- one list
# `report` below is a status.report.StatusReport (not imported: that module imports this one).
def todo_sections(report: Any) -> list[tuple[str, str, list]]:
    """(Vad, title, items) per queue, in the list's order: what `status` prints."""
    return [(what, _(title).format(days=QUIET_DIALOG_DAYS), getattr(report, key)) for what, key, title in SECTIONS]


def todo_rows(report: Any) -> list[tuple[str, ...]]:
    """The items as the tab's rows (COLUMNS), in the order `status` prints them. No day counts
    ('3 days ago'): a row stays the same until the CRM changes."""
    rows = []
    for what, _title, items in todo_sections(report):
        for item in items:
            if what == NEW_CONTACT:
                last = item.last_contact.isoformat() if item.last_contact else ""
                why = sheet_ngettext("{n} contact person without reply: find a new one in your sources",
                                     "{n} contact persons without reply: find a new one in your sources",
                                     item.contacts_tried).format(n=item.contacts_tried)
                rows.append((what, item.company, "", last, "", why, ""))
                continue
            rows.append((what, item.company, item.contact,
                         item.last_contact.isoformat() if item.last_contact else "",
                         item.next_channel or "", item.reason, item.lead_id))
        if what == FIRST_CONTACT and report.more_first_contacts:
            rows.append((what, "", "", "", "", sheet_("and {n} more with status Ny in Leads").format(
                n=report.more_first_contacts), ""))
    return rows


def goal_text(report: Any) -> str:
    to_go = report.goal - report.toward_goal
    mark = sheet_("goal reached") if to_go <= 0 else sheet_("{n} to go").format(n=to_go)
    return sheet_("{count} of {goal} companies in your CRM ({mark})").format(
        count=report.toward_goal, goal=report.goal, mark=mark)


def deadline_cells(report: Any) -> tuple[str, str, str]:
    """(date, what, days): the days are counted on `report.today` (the one volatile cell)."""
    d = report.deadline
    if d.passed:
        days = sheet_ngettext("passed {n} day ago on {day}", "passed {n} days ago on {day}", -d.days_left)
    else:
        days = sheet_ngettext("{n} day left on {day}", "{n} days left on {day}", d.days_left)
    days = days.format(n=abs(d.days_left), day=report.today.isoformat())
    return d.date.isoformat(), d.name, days


def todo_tab(report: Any) -> TabReplacement:
    """`Att göra`: the notice, the goal and deadline, then the list under COLUMNS."""
    items = todo_rows(report) or [(sheet_("Nothing on the list today"), "", "", "", "", "", "")]
    rows = ((GOAL_ROW, goal_text(report)), (DEADLINE_ROW, *deadline_cells(report)), (), COLUMNS, *items)
    return TabReplacement(TODO_TAB, (NOTICE,), tuple(tuple(row) for row in rows))


def _trimmed(cells: Sequence[Any]) -> list[str]:
    text = [as_text(cell) for cell in cells]
    while text and not text[-1]:
        text.pop()
    return text


def _stable(rows: list[list[str]]) -> list[list[str]]:
    """The rows without the deadline's day count (it changes every day by itself)."""
    out = []
    for row in rows:
        if row[:1] == [DEADLINE_ROW] and len(row) > 3:
            row = row[:3]
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def same_todo(grid: Sequence[Sequence[Any]] | None, tab: TabReplacement) -> bool:
    """Whether a CRM's `Att göra` (its cells as read) already says what `tab` says, the
    deadline's day count aside: then it is not rewritten."""
    if grid is None:
        return False
    wanted = [_trimmed(tab.headers), *(_trimmed(row) for row in tab.rows)]
    return _stable([_trimmed(row) for row in grid]) == _stable(wanted)

