"""One CRM in the nightly run: its change set and the summary its figures need (pure).

From one raw read: the IDs to fill and the processed rule (exactly `mark-processed`'s plan),
the counts `status` computes (distinct companies, processed leads, dialogues), the CRM
quality warnings `check` finds, duplicate leads (reported, never merged at night), and a
`CrmSummary`: small, JSON-able, so that the figures of a CRM that has not changed can be
recomputed for a new day from the summary kept in `Nattkörning` without reading the CRM again.
The run keeps only summaries, one CRM's tables at a time.

The summary is of the CRM as it stood on `today` (`programme.replay`: rows dated later do not
exist yet), so `--today` replays a past night faithfully; the change set is planned on the
full tables, so a write never drops a later row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from chas_sheets.check.report import check_workbook
from chas_sheets.company.matching import CompanyRef, cluster_companies, company_key, registrable_domain
from chas_sheets.processed.contactlog import LogLinks, link_log, same_person
from chas_sheets.processed.plan import MarkReport, lead_states, plan_mark_processed
from chas_sheets.processed.rules import ARBETSPROV, DIALOG, ERBJUDANDE, INTERVJU, POSITIVE, parse_status
from chas_sheets.programme.calendar import parse_date
from chas_sheets.programme.replay import tables_as_of
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, Table, load_tables
from chas_sheets.status.report import status_report
from chas_sheets.status.todo import TODO_TAB, is_long_recruitment, same_todo, todo_tab


@dataclass
class CrmSummary:
    """What the nightly figures need from one CRM (dates as ISO text, '' when unknown)."""

    kind: str  # "group" or "individual"
    leads: int = 0
    companies: int = 0  # distinct, as `status` counts them
    processed: int = 0
    dialogues: int = 0  # leads whose status is Dialog
    long_recruitment: int = 0  # distinct companies of the long-recruitment kinds
    quality_warnings: int = 0
    unmatched_log_rows: int = 0
    # [lead ID, company, org.nr, website domain, e-mail domain, added (ISO), added by, processed (ISO)]
    lead_rows: list[list[str]] = field(default_factory=list)
    # one per counted log row: [date (ISO), by, [lead IDs]]
    attempts: list[list] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # each event's date ('' when none)
    members: list[str] = field(default_factory=list)  # group CRM: Medlemmar names
    duplicates: list[list[str]] = field(default_factory=list)  # [lead ID, lead ID, label]
    later_rows: int = 0  # rows dated after the day it was read as of: not in it
    # An individual CRM's `Att göra` as written: the day it goes stale with no edit (ISO, '' never)
    # and the `LIA registrerad` it was planned with (a new one in the register changes the list).
    todo_until: str = ""
    todo_lia: str = ""
    # The LIA pipeline after a yes (processed/rules.py): leads whose status is an offer, and
    # those at an interview or a work test; a summary kept from before they existed reads 0.
    offers: int = 0
    interviews: int = 0  # Intervju or Arbetsprov
    # Open dialogues (status Dialog, Ja or a pipeline step), most recently contacted first, at
    # most OPEN_DIALOGUES_KEPT: [company, contact person, status, last contact (ISO), by]
    open_dialogues: list[list[str]] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # group CRM: Medlemmar name -> Roll

    @property
    def live_offers(self) -> int:
        """Leads with an offer, an interview or a work test: the student may soon have a LIA."""
        return self.offers + self.interviews

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CrmSummary":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    # dates, parsed once per use ------------------------------------------------------------
    def added_dates(self) -> list[tuple[dt.date | None, str]]:
        return [(_iso(row[5]), row[6]) for row in self.lead_rows]

    def processed_dates(self) -> list[dt.date]:
        return [day for day in (_iso(row[7]) for row in self.lead_rows) if day]

    def attempt_dates(self) -> list[tuple[dt.date, str]]:
        return [(day, row[1]) for row in self.attempts if (day := _iso(row[0]))]


# Fields a summary kept by an earlier version lacks: such a summary still reads (as 0 / empty),
# but an unchanged CRM is read again once rather than showing no offers or dialogues for good.
LATER_FIELDS = ("offers", "interviews", "open_dialogues", "roles")


def reusable_on(summary: dict, read_on: str, today: dt.date) -> bool:
    """Whether a kept summary (read as of `read_on`) of an unchanged CRM stands for `today`: not
    when it was read as of a later day (a replay: it holds rows that did not exist yet), nor
    when it left out rows dated after its day and `today` is later (they may exist now), nor
    when it was kept by an earlier version (LATER_FIELDS missing)."""
    day = today.isoformat()
    return (read_on <= day and (read_on == day or not summary.get("later_rows"))
            and all(name in summary for name in LATER_FIELDS))


def todo_current(summary: dict, today: dt.date, lia_registered: dt.date | None) -> bool:
    """Whether the `Att göra` an unchanged individual CRM holds still says what today's list
    would: not once the day it goes stale has come, nor when the register's `LIA registrerad`
    differs from the one it was planned with, nor when it was never planned (an older summary)."""
    if summary.get("kind") != "individual":
        return True
    if "todo_until" not in summary:
        return False
    until = summary["todo_until"]
    return (not until or today.isoformat() < until) and summary.get("todo_lia", "") == (
        lia_registered.isoformat() if lia_registered else "")


def _iso(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@dataclass
class CrmPlan:
    changes: ChangeSet
    report: MarkReport
    summary: CrmSummary


CRM_TABS = ("Leads", "Kontaktlogg", "Event", "Medlemmar")
OPEN_DIALOGUES_KEPT = 50  # per CRM: the summary is kept in a cell of `Nattkörning`
OPEN_STATUSES = (DIALOG, *POSITIVE)


def plan_crm(raw: RawWorkbook, kind: str, today: dt.date, *, lia_registered: dt.date | None = None,
             cohort: int | None = None) -> CrmPlan:
    """The night's work on one CRM read (`kind`: 'group' or 'individual'); an individual CRM's
    `Att göra` is rewritten when what it should say differs from what it holds (`lia_registered`,
    `cohort`: the student's, from the register)."""
    tables = load_tables(raw, ["Leads"], CRM_TABS[1:])
    read = tables.tables  # as read: `check` shares them rather than build them again
    changes, report = plan_mark_processed(tables, today)  # writes: the full tables
    tables, hidden = tables_as_of(tables, today)  # figures: the CRM as it stood on `today`
    status = status_report(tables, today, kind, cohort=cohort, lia_registered=lia_registered, ids_written=True)
    leads, log = tables["Leads"], tables.get("Kontaktlogg")
    links = link_log(leads, log, today) if log is not None else LogLinks()
    summary = CrmSummary(
        kind=kind, leads=status.leads, companies=status.companies, processed=status.processed,
        dialogues=status.by_status.get(DIALOG, 0), long_recruitment=_long_recruitment(leads),
        quality_warnings=check_workbook(raw, today, "group" if kind == "group" else "student",
                                        loaded=read).count("warning"),
        unmatched_log_rows=status.unmatched_log_rows,
        lead_rows=_lead_rows(leads, links),
        attempts=_attempt_rows(log, links),
        events=_event_dates(tables.get("Event"), today),
        members=_members(tables.get("Medlemmar")),
        duplicates=find_duplicate_leads(leads),
        later_rows=sum(hidden.values()),
    )
    summary.offers, summary.interviews, summary.open_dialogues = _pipeline(leads, log, links)
    summary.roles = _roles(tables.get("Medlemmar"))
    if kind == "individual":
        todo = todo_tab(status)
        title = contract().find_tab_title(TODO_TAB, raw.grids.keys())
        if not same_todo(raw.grids.get(title) if title else None, todo):
            changes.replacements.append(todo)
        summary.todo_until = status.list_changes_on.isoformat() if status.list_changes_on else ""
        summary.todo_lia = lia_registered.isoformat() if lia_registered else ""
    return CrmPlan(changes, report, summary)


def _lead_rows(leads: Table, links: LogLinks) -> list[list[str]]:
    rows = []
    for state in lead_states(leads, links):
        lead_id = state.lead_id
        processed = state.decision.processed_date if state.writes else parse_date(state.cell_processed)
        if not state.processed:
            processed = None
        rows.append([
            lead_id, state.company, leads.text(lead_id, "Org.nr"),
            registrable_domain(leads.text(lead_id, "Webbplats")) or "",
            registrable_domain(leads.text(lead_id, "E-post")) or "",
            _date_text(leads, lead_id, "Tillagd"), leads.text(lead_id, "Tillagd av"),
            processed.isoformat() if processed else "",
        ])
    return rows


def _date_text(table: Table, row_id: str, column: str) -> str:
    if not table.has(column):
        return ""
    day = parse_date(table.value(row_id, column))
    return day.isoformat() if day else ""


def _attempt_rows(log: Table | None, links: LogLinks) -> list[list]:
    if log is None:
        return []
    return [[row.attempt.date.isoformat(), log.text(row.row_id, "Av"), list(row.lead_ids)]
            for row in links.rows if row.attempt is not None]


def _event_dates(events: Table | None, today: dt.date) -> list[str]:
    if events is None:
        return []
    out = []
    for row_id in events.df.index:
        day = parse_date(events.value(row_id, "Datum"), today) if events.has("Datum") else None
        out.append(day.isoformat() if day else "")
    return out


def _pipeline(leads: Table, log: Table | None, links: LogLinks) -> tuple[int, int, list[list[str]]]:
    """Offers, interviews/work tests and the open dialogues of the leads as they stand."""
    last: dict[str, tuple[str, str]] = {}  # lead ID -> (last contact ISO, by)
    for row in links.rows:
        if row.attempt is None:
            continue
        by = log.text(row.row_id, "Av") if log is not None else ""
        for lead_id in row.lead_ids:
            if row.attempt.date.isoformat() >= last.get(lead_id, ("", ""))[0]:
                last[lead_id] = (row.attempt.date.isoformat(), by)
    offers = interviews = 0
    open_rows = []
    for state in lead_states(leads, links):  # the status that holds after the processed rule
        lead_id, status = state.lead_id, parse_status(state.status)
        offers += status == ERBJUDANDE
        interviews += status in (INTERVJU, ARBETSPROV)
        if status in OPEN_STATUSES:
            when, by = last.get(lead_id, ("", ""))
            open_rows.append([state.company, state.contact, status, when,
                              by or leads.text(lead_id, "Ansvarig")])
    open_rows.sort(key=lambda row: row[3], reverse=True)
    return offers, interviews, open_rows[:OPEN_DIALOGUES_KEPT]


def _roles(members: Table | None) -> dict[str, str]:
    if members is None or not members.has("Roll"):
        return {}
    return {name: members.text(row_id, "Roll") for row_id in members.df.index
            if (name := members.text(row_id, "Namn"))}


def _members(members: Table | None) -> list[str]:
    if members is None:
        return []
    return [name for name in (members.text(row_id, "Namn") for row_id in members.df.index) if name]


def _long_recruitment(leads: Table) -> int:
    keys = set()
    for lead_id in leads.df.index:
        if is_long_recruitment(leads.value(lead_id, "Typ"), leads.value(lead_id, "Storlek")):
            keys.add(company_key(leads.text(lead_id, "Företag")))
    return len(keys - {""})


def find_duplicate_leads(leads: Table) -> list[list[str]]:
    """Pairs of leads that are the same lead: the same company (company module) and contact
    persons that do not differ (the same person, or both blank). Reported, never merged here."""
    refs = [CompanyRef(lead_id, leads.text(lead_id, "Företag"), leads.text(lead_id, "Org.nr"),
                       leads.text(lead_id, "Webbplats"), leads.text(lead_id, "E-post"), leads.text(lead_id, "Ort"))
            for lead_id in leads.df.index if leads.text(lead_id, "Företag")]
    if not refs:
        return []
    clusters = cluster_companies(refs)
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        by_cluster[clusters.key_of(ref.ref)].append(ref.ref)
    order = {lead_id: n for n, lead_id in enumerate(leads.df.index)}
    pairs = []
    for key, members in by_cluster.items():
        for a, b in itertools.combinations(sorted(members, key=order.get), 2):
            ca, cb = leads.text(a, "Kontaktperson"), leads.text(b, "Kontaktperson")
            if (not ca and not cb) or same_person(ca, cb):
                label = clusters[key].name + (f" ({ca or cb})" if ca or cb else "")
                pairs.append([a, b, label])
    return pairs
