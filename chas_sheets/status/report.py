"""`status`: where a student (or group) stands and what to do next (pure, no I/O).

The calendar for `today`, the goal (a student: distinct companies; a group: leads, as seed
000 counts them, see `calendar.GroupGoal`), processed and open leads,
attempts this week and last, and the day's to-do (`status.todo`, the same list the nightly
writes into the CRM's `Att göra` tab): a yes or an offer with no registered LIA, leads with one
or two unanswered attempts (call again or try a new channel, phone first), dialogues gone quiet
for a week, never-contacted leads in the order the sprint asks for, and companies where nobody
replied (go back to the sources for a new contact person).
Statuses are the ones `mark-processed` would set, whether or not it has run.
Rows dated after `today` do not exist yet (`programme.replay`): a replay sees the day as it was.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field

from chas_sheets.company.matching import company_key
from chas_sheets.i18n import _, ngettext, sheet_
from chas_sheets.processed.contactlog import LogLinks, link_log
from chas_sheets.processed.plan import LeadState, lead_states
from chas_sheets.processed.rules import (
    DIALOG,
    ERBJUDANDE,
    INGEN_RESPONS,
    JA,
    KONTAKTAD,
    NY,
    STATUSES,
    next_channel,
    parse_status,
)
from chas_sheets.programme import calendar
from chas_sheets.programme.replay import hidden_text, tables_as_of
from chas_sheets.sheet.tables import Table, Tables
from chas_sheets.status.todo import (
    FIRST_CONTACTS_SHOWN,
    QUIET_DIALOG_DAYS,
    REGISTER_LIA,
    first_contact_rank,
    sprint_focus,
    todo_sections,
)


@dataclass(frozen=True)
class QueueItem:
    lead_id: str
    sheet_row: int
    lead: str  # company (contact person)
    last_contact: dt.date | None
    days_since: int | None
    attempts: str  # '3/5 Telefon, 6/5 Mejl', or '' when nothing is logged
    next_channel: str | None = None
    company: str = ""
    contact: str = ""
    reason: str = ""  # why it is on the list, in Swedish (the `Att göra` tab's `Varför`)

    def line(self) -> str:
        when = (_("last contact {day} ({ago})").format(day=calendar.format_day(self.last_contact),
                                                       ago=_ago(self.days_since))
                if self.last_contact else _("nothing in Kontaktlogg"))
        tried = _("; tried {attempts}").format(attempts=self.attempts) if self.attempts else ""
        then = _(" -> try {channel}").format(channel=self.next_channel) if self.next_channel else ""
        where = (_("{lead_id}, row {row}").format(lead_id=self.lead_id, row=self.sheet_row) if self.lead_id
                 else _("row {row}").format(row=self.sheet_row))
        return f"{self.lead} [{where}]: {when}{tried}{then}"


def _ago(days: int) -> str:
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("{n} day ago", "{n} days ago", days).format(n=days)


@dataclass(frozen=True)
class NoReplyCompany:
    company: str
    contacts_tried: int
    last_contact: dt.date | None

    def line(self) -> str:
        last = _(", last {day}").format(day=calendar.format_day(self.last_contact)) if self.last_contact else ""
        return ngettext("{company}: {n} contact without reply{last}", "{company}: {n} contacts without reply{last}",
                        self.contacts_tried).format(company=self.company, n=self.contacts_tried, last=last)


@dataclass
class StatusReport:
    target: str
    kind: str  # "individual" or "group"
    today: dt.date
    period: calendar.Period | None
    deadline: calendar.Deadline
    companies: int
    goal: int
    leads: int
    toward_goal: int  # what the goal counts: distinct companies (student) or leads (group)
    goal_since: dt.date | None  # group with a Delmål: only leads added on or after this day count
    processed: int
    by_status: dict[str, int]
    attempts_this_week: int
    attempts_last_week: int
    follow_ups: list[QueueItem] = field(default_factory=list)
    quiet_dialogs: list[QueueItem] = field(default_factory=list)
    new_contact_companies: list[NoReplyCompany] = field(default_factory=list)
    lia_to_register: list[QueueItem] = field(default_factory=list)
    first_contacts: list[QueueItem] = field(default_factory=list)  # the first FIRST_CONTACTS_SHOWN
    more_first_contacts: int = 0  # never-contacted leads beyond those
    lia_registered: dt.date | None = None  # the register's `LIA registrerad` (None: none, or not known)
    list_changes_on: dt.date | None = None  # the first day the to-do changes with no edit (None: never)
    unmatched_log_rows: int = 0
    warnings: int = 0
    cohort: int | None = None
    progress: calendar.GroupProgress | None = None  # a group's goal, as check and nightly give it
    later_rows: str = ""  # rows dated after `today`, not counted

    @property
    def open(self) -> int:
        return self.leads - self.processed

    def to_dict(self) -> dict:
        data = asdict(self)
        data["open"] = self.open
        data["deadline"] = self.deadline._asdict()
        data["progress"] = self.progress.to_dict() if self.progress else None
        return data


def status_report(tables: Tables, today: dt.date, kind: str | None = None,
                  big_bang_day: dt.date | None = None, delmal: object = None,
                  cohort: int | None = None, defaults: bool = False, *,
                  lia_registered: dt.date | None = None, ids_written: bool = False) -> StatusReport:
    """The status of one CRM for `today`; `kind` 'individual' or 'group' (default: from its tabs).

    `lia_registered`: the student's date from the register; a `Ja` or `Erbjudande` is on the
    list until it is set. `ids_written`: the IDs drawn for rows without one are written with
    the plan this report goes with (the nightly), so the list may name them.

    A group's `big_bang_day`, `delmal` and `cohort` are the register's (a group CRM does not
    hold them); without them (`defaults`) the cohort's default Big Bang Day and 30 leads in all
    apply, and the cohort is today's by date.
    """
    kind = kind or ("group" if tables.kind == "group" else "individual")
    tables, hidden = tables_as_of(tables, today)
    leads, log = tables["Leads"], tables.get("Kontaktlogg")
    links = link_log(leads, log, today) if log is not None else LogLinks()
    states = lead_states(leads, links)
    # status only reads: an ID drawn for a row that has none is not in the sheet, so not shown
    unwritten = set() if ids_written else {assignment.new for assignment in leads.id_assignments}
    cohort = calendar.cohort_year_for(today, cohort)
    this_monday = today - dt.timedelta(days=today.weekday())
    last_monday = this_monday - dt.timedelta(days=7)
    dates = [attempt.date for attempt in links.attempts]
    companies = len({company_key(state.company) for state in states} - {""})
    periods = calendar.default_calendar(cohort, big_bang_day)
    period = calendar.period_on(today, periods)
    deadline = calendar.next_deadline(today, kind, big_bang_day=big_bang_day, cohort=cohort)
    first_contacts = _first_contacts(states, leads, sprint_focus(period), today, unwritten)
    progress = None
    if kind == "group":
        progress = calendar.group_progress(today, added_dates(leads), big_bang_day, delmal, cohort, defaults)
        target, since, toward_goal = progress.goal, progress.since, progress.count
    else:
        target, since, toward_goal = calendar.company_goal(kind, today, cohort=cohort), None, companies
    return StatusReport(
        target=tables.source, kind=kind, today=today,
        period=period,
        deadline=deadline,
        companies=companies, goal=target, leads=len(states), toward_goal=toward_goal, goal_since=since,
        processed=sum(state.processed for state in states),
        by_status=_by_status(states),
        attempts_this_week=sum(this_monday <= day < this_monday + dt.timedelta(days=7) for day in dates),
        attempts_last_week=sum(last_monday <= day < this_monday for day in dates),
        follow_ups=_oldest_first(_item(state, today, unwritten, with_channel=True, reason=_unanswered(state))
                                 for state in states if state.status == KONTAKTAD),
        quiet_dialogs=_oldest_first(_item(state, today, unwritten, with_channel=True, reason=_dialog(state))
                                    for state in states if state.status == DIALOG and _quiet(state, today)),
        new_contact_companies=_no_reply_companies(states),
        lia_to_register=[] if lia_registered or kind == "group" else [
            _item(state, today, unwritten, reason=sheet_("{status}: {attempts}; no LIA registered").format(
                status=state.status, attempts=_attempts_or_hand(state)))
            for state in states if parse_status(state.status) in (JA, ERBJUDANDE)],
        first_contacts=first_contacts[:FIRST_CONTACTS_SHOWN],
        more_first_contacts=max(len(first_contacts) - FIRST_CONTACTS_SHOWN, 0),
        lia_registered=lia_registered,
        list_changes_on=_list_changes_on(states, periods, deadline, today),
        unmatched_log_rows=len(links.unmatched),
        warnings=len(links.warnings),
        cohort=cohort, progress=progress, later_rows=hidden_text(hidden, today),
    )


def added_dates(leads: Table) -> list[dt.date | None]:
    """Each lead's `Tillagd` (None when blank or not a date), as the nightly summary reads it."""
    if not leads.has("Tillagd"):
        return [None] * len(leads.df)
    return [calendar.parse_date(value) for value in leads.df["Tillagd"]]


def goal_line(kind: str, toward_goal: int, goal: int, since: dt.date | None) -> str:
    """'Companies: 12 of 50 (38 to go)'; a group's leads (with a Delmål: those added since Big Bang Day)."""
    to_go = goal - toward_goal
    mark = _("goal reached") if to_go <= 0 else _("{n} to go").format(n=to_go)
    if kind != "group":
        return _("Companies: {count} of {goal} ({mark})").format(count=toward_goal, goal=goal, mark=mark)
    if since is not None:
        return _("Goal: {count} of {goal} leads added since Big Bang Day {day} (Delmål; {mark})").format(
            count=toward_goal, goal=goal, day=since.isoformat(), mark=mark)
    return _("Goal: {count} of {goal} leads ({mark})").format(count=toward_goal, goal=goal, mark=mark)


def progress_lines(progress: calendar.GroupProgress | None) -> list[str]:
    """A group's 30-lead result on Big Bang Day once the day has come, and where its goal came from."""
    if progress is None:
        return []
    lines = []
    if progress.big_bang_count is not None:
        mark = _("met") if progress.big_bang_met else _("missed")
        lines.append(_("Big Bang Day {day}: {count} of {goal} leads before it ({mark})").format(
            day=progress.big_bang_day.isoformat(), count=progress.big_bang_count,
            goal=calendar.GROUP_GOAL_BEFORE_BIG_BANG, mark=mark))
    if progress.defaults:
        lines.append(_("  (the cohort's default Big Bang Day and no Delmål: pass --register for the group's own)"))
    return lines


def _by_status(states: list[LeadState]) -> dict[str, int]:
    counts = Counter(state.status or NY for state in states)
    known = {status: counts.pop(status, 0) for status in STATUSES}
    return {**known, **counts}  # unknown hand-typed values last, as typed


def _quiet(state: LeadState, today: dt.date) -> bool:
    return state.last_contact is None or (today - state.last_contact).days >= QUIET_DIALOG_DAYS


def _item(state: LeadState, today: dt.date, unwritten: set[str], with_channel: bool = False,
          reason: str = "") -> QueueItem:
    last = state.last_contact
    return QueueItem(
        "" if state.lead_id in unwritten else state.lead_id, state.sheet_row, state.label(), last,
        (today - last).days if last else None,
        ", ".join(attempt.describe() for attempt in state.attempts),
        next_channel(state.attempts) if with_channel else None,
        state.company, state.contact, reason)


def _list_changes_on(states: list[LeadState], periods: list[calendar.Period], deadline: calendar.Deadline,
                     today: dt.date) -> dt.date | None:
    """The first day after `today` on which the to-do would change with nothing new in the CRM:
    a dialogue turns quiet, a period (the sprint's order) begins or ends, the deadline passes.
    Until then a nightly need not read an unchanged CRM again for its `Att göra`."""
    quiet = (state.last_contact + dt.timedelta(days=QUIET_DIALOG_DAYS) for state in states
             if state.status == DIALOG and state.last_contact is not None)
    bounds = (day for p in periods for day in (p.start, p.end + dt.timedelta(days=1)))
    passes = [deadline.date + dt.timedelta(days=1)] if not deadline.passed else []
    return min((day for day in (*quiet, *bounds, *passes) if day > today), default=None)


# The reasons below are the `Att göra` tab's `Varför` cells: the sheet's language (sheet_).
def _attempts_or_hand(state: LeadState) -> str:
    return ", ".join(a.describe(sheet=True) for a in state.attempts) if state.attempts else sheet_("set by hand")


def _unanswered(state: LeadState) -> str:
    if not state.attempts:
        return sheet_("Kontaktad (set by hand), nothing in Kontaktlogg")
    return sheet_("No reply: {attempts}").format(attempts=_attempts_or_hand(state))


def _dialog(state: LeadState) -> str:
    if state.last_contact is None:
        return sheet_("Dialog (set by hand), nothing in Kontaktlogg")
    return sheet_("Dialog, no contact since {day}").format(day=state.last_contact.isoformat())


def _first_contacts(states: list[LeadState], leads: Table, focus: str, today: dt.date,
                    unwritten: set[str]) -> list[QueueItem]:
    """Never-contacted leads (`Ny`, nothing logged), in the order the sprint asks for."""
    ranked = []
    for state in states:
        if (state.status or NY) != NY or state.attempts or not state.company:
            continue
        typ, size = leads.value(state.lead_id, "Typ"), leads.value(state.lead_id, "Storlek")
        warm = leads.has("Temperatur") and leads.text(state.lead_id, "Temperatur").strip().lower() == "varm"
        rank, why = first_contact_rank(focus, warm, typ, size)
        ranked.append((rank, state.sheet_row, _item(state, today, unwritten, with_channel=True, reason=why)))
    return [item for _rank, _row, item in sorted(ranked, key=lambda entry: entry[:2])]


def _oldest_first(items) -> list[QueueItem]:
    """Nothing logged first (the most overdue), then by the last contact; sheet order breaks ties."""
    return sorted(items, key=lambda item: (item.last_contact or dt.date.min, item.sheet_row))


def _no_reply_companies(states: list[LeadState]) -> list[NoReplyCompany]:
    """Companies whose every lead ended without a reply: worth a new contact person."""
    by_company: dict[str, list[LeadState]] = {}
    for state in states:
        key = company_key(state.company)
        if key:
            by_company.setdefault(key, []).append(state)
    found = []
    for group in by_company.values():
        if all(state.status == INGEN_RESPONS for state in group):
            lasts = [state.last_contact for state in group if state.last_contact]
            found.append(NoReplyCompany(group[0].company, len(group), max(lasts, default=None)))
    return sorted(found, key=lambda company: (company.last_contact or dt.date.min, company.company))


def render(report: StatusReport) -> list[str]:
    """The report as terminal lines (no phone numbers or e-mail: leads are named by company)."""
    if report.kind == "group":
        title = _("{target} (group CRM), {today}")
    else:
        title = _("{target} (individual CRM), {today}")
    lines = [title.format(target=report.target, today=report.today.isoformat()), ""]
    if report.period:
        p = report.period
        lines.append(_("Now: {period} ({start} .. {end})").format(
            period=p.name, start=p.start.isoformat(), end=p.end.isoformat()))
        lines += [_("  focus: {focus}").format(focus=p.focus)] if p.focus else []
        lines += [_("  goal:  {goal}").format(goal=p.goal)] if p.goal else []
    else:
        lines.append(_("Now: outside the programme calendar"))
    d = report.deadline
    lines.append(f"  {calendar.describe_deadline(d)}")
    lines += ["", goal_line(report.kind, report.toward_goal, report.goal, report.goal_since)]
    lines += progress_lines(report.progress)
    counts = ", ".join(f"{status} {n}" for status, n in report.by_status.items() if n)
    lines.append(_("Leads: {leads}: {processed} processed, {open} open ({counts})").format(
        leads=report.leads, processed=report.processed, open=report.open, counts=counts or _("none")))
    lines.append(_("Attempts: {this_week} this week, {last_week} last week").format(
        this_week=report.attempts_this_week, last_week=report.attempts_last_week))
    if report.later_rows:
        lines.append(_("Not counted: {rows}").format(rows=report.later_rows))
    if report.unmatched_log_rows or report.warnings:
        lines.append(_("Kontaktlogg: {unmatched}, {warnings} (see `chas-sheets mark-processed`)").format(
            unmatched=ngettext("{n} row matches no lead", "{n} rows match no lead",
                               report.unmatched_log_rows).format(n=report.unmatched_log_rows),
            warnings=ngettext("{n} warning", "{n} warnings", report.warnings).format(n=report.warnings)))
    for what, title, items in todo_sections(report):
        if what == REGISTER_LIA and not items:
            continue  # no yes waiting for its LIA: nothing to say
        lines += ["", f"{title} ({len(items)})"]
        lines += [f"  {item.line()}" for item in items] or ["  " + _("(none)")]
        if items is report.first_contacts and report.more_first_contacts:
            lines.append(_("  ... and {n} more with status Ny").format(n=report.more_first_contacts))
    return lines


def summary_line(report: StatusReport) -> str:
    """The one closing line on stderr, as every command ends: the goal and the day's list."""
    listed = sum(len(items) for _what, _title, items in todo_sections(report)) + report.more_first_contacts
    return ngettext("{target}: {count} of {goal} toward the goal, {n} thing on today's list "
                    "(status only reads: nothing written)",
                    "{target}: {count} of {goal} toward the goal, {n} things on today's list "
                    "(status only reads: nothing written)", listed).format(
        target=report.target, count=report.toward_goal, goal=report.goal, n=listed)
