"""`mark-processed`: the processed rule applied to every lead of a CRM (pure planner, no I/O).

Starts from the ID assignments every plan carries, links the contact log (`contactlog`), asks
`processed.decide` per lead and sets `Status` and `Bearbetad` only where the value changes,
so a second run plans nothing. Also fills `Lead-ID` of log rows that matched one lead.

Decisions where the rule is silent:
- A hand-set `Ja`/`Nej` whose log holds no `Ja`/`Nej` stands (a warning asks for the answer
  to be logged): people often record the answer in the lead before they log it, and a `Nej`
  turned back into `Kontaktad` would have the company called again.
- With no log rows at all, the hand-set status stands and nothing is written.
Reports name companies, contact persons, dates and channels; never phone numbers or e-mail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chas_sheets.i18n import _, ngettext
from chas_sheets.processed.contactlog import LogLinks, LogRow, link_log
from chas_sheets.processed.rules import JA, NEJ, PROCESSED_STATUSES, Attempt, Decision, decide, parse_status
from chas_sheets.programme.calendar import parse_date
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.tables import Table, Tables
from chas_sheets.sheet.values import as_text, is_blank

_ANSWERS = (JA, NEJ)


@dataclass(frozen=True)
class LeadState:
    """One lead as the rule sees it: its attempts, the rule's decision, the status that holds."""

    lead_id: str
    sheet_row: int
    company: str
    contact: str
    cell_status: object  # Status as read
    cell_processed: object  # Bearbetad as read
    attempts: tuple[Attempt, ...]
    decision: Decision
    status: str | None  # what holds after the rule (canonical where known)
    kept_by_hand: bool = False  # a hand-set Ja/Nej the log does not show

    @property
    def processed(self) -> bool:
        return parse_status(self.status) in PROCESSED_STATUSES

    @property
    def writes(self) -> bool:
        """Whether the rule, not the hand-set status, sets this lead's cells."""
        return self.decision.from_log and not self.kept_by_hand

    @property
    def last_contact(self) -> dt.date | None:
        return self.attempts[-1].date if self.attempts else None

    def label(self) -> str:
        return f"{self.company or _('(no company)')}" + (f" ({self.contact})" if self.contact else "")


def lead_states(leads: Table, links: LogLinks, today: dt.date | None = None) -> list[LeadState]:
    """Every lead in sheet order with the status the rule gives it; with `today`, as of that
    day (a log row dated after it does not exist yet: a replay, a typo or a planned call)."""
    by_lead = links.by_lead()
    states = []
    for lead_id in leads.df.index:
        attempts = [a for a in by_lead.get(lead_id, []) if today is None or a.date <= today]
        cell_status = leads.value(lead_id, "Status")
        decision = decide(attempts, cell_status)
        hand = parse_status(cell_status)
        kept = decision.from_log and hand in _ANSWERS and decision.status not in _ANSWERS
        states.append(LeadState(
            lead_id, leads.sheet_rows[lead_id], leads.text(lead_id, "Företag"), leads.text(lead_id, "Kontaktperson"),
            cell_status, leads.value(lead_id, "Bearbetad"),
            tuple(attempts), decision, hand if kept else decision.status, kept))
    return states


@dataclass(frozen=True)
class LeadChange:
    lead_id: str
    sheet_row: int
    lead: str  # company (contact person)
    old_status: str
    new_status: str
    old_processed: str
    new_processed: str
    reason: str

    def line(self) -> str:
        parts = []
        blank = _("(blank)")
        if self.old_status != self.new_status:
            parts.append(f"Status {self.old_status or blank} -> {self.new_status or blank}")
        if self.old_processed != self.new_processed:
            parts.append(f"Bearbetad {self.old_processed or blank} -> {self.new_processed or blank}")
        return _("Leads row {row} {lead_id} {lead}: {changes}. Why: {reason}").format(
            row=self.sheet_row, lead_id=self.lead_id, lead=self.lead, changes="; ".join(parts), reason=self.reason)


@dataclass
class MarkReport:
    target: str
    leads: int = 0
    log_rows: int = 0
    linked: int = 0
    processed: int = 0
    changes: list[LeadChange] = field(default_factory=list)
    lead_ids_filled: int = 0
    unmatched: list[LogRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "target": self.target, "leads": self.leads, "processed": self.processed,
            "log_rows": self.log_rows, "linked": self.linked, "lead_ids_filled": self.lead_ids_filled,
            "changes": [vars(change) for change in self.changes],
            "unmatched": [row.to_dict() for row in self.unmatched],
            "warnings": self.warnings,
        }

    def render(self) -> list[str]:
        leads = ngettext("{n} lead ({processed} processed)", "{n} leads ({processed} processed)",
                         self.leads).format(n=self.leads, processed=self.processed)
        rows = ngettext("{n} log row ({linked} linked to a lead)", "{n} log rows ({linked} linked to a lead)",
                        self.log_rows).format(n=self.log_rows, linked=self.linked)
        lines = [f"{self.target}: {leads}, {rows}"]
        lines += [change.line() for change in self.changes]
        if self.lead_ids_filled:
            lines.append(ngettext("Kontaktlogg: Lead-ID filled in on {n} row that matches one lead",
                                  "Kontaktlogg: Lead-ID filled in on {n} rows that match one lead",
                                  self.lead_ids_filled).format(n=self.lead_ids_filled))
        lines += [_("Kontaktlogg row {row} {company}, {date}: {note}; left as it is").format(
                  row=row.sheet_row, company=row.company or _("(no company)"), date=row.date_text or _("(no date)"),
                  note=row.note) for row in self.unmatched]
        lines += [_("warning: {warning}").format(warning=warning) for warning in self.warnings]
        return lines


def plan_mark_processed(tables: Tables, today: dt.date) -> tuple[ChangeSet, MarkReport]:
    """The change set that brings `Status`, `Bearbetad` and `Lead-ID` in line with the log."""
    changes = tables.id_changes()
    leads, log = tables["Leads"], tables.get("Kontaktlogg")
    report = MarkReport(tables.source, leads=len(leads.df))
    links = link_log(leads, log, today) if log is not None else LogLinks()
    if log is None:
        report.warnings.append(_("no Kontaktlogg tab: every hand-set Status stands"))
    else:
        fills = links.lead_id_fills(log)
        for fill in fills:
            changes.set_cell("Kontaktlogg", fill.log_row_id, "Lead-ID", fill.old, fill.lead_id,
                             _("the row matches exactly one lead"))
        report.lead_ids_filled = len(fills)
    report.log_rows = sum(row.attempt is not None for row in links.rows)
    report.linked = sum(row.attempt is not None and bool(row.lead_ids) for row in links.rows)
    report.unmatched = links.unmatched
    report.warnings.extend(links.warnings)
    later = sum(1 for row in links.rows if row.attempt is not None and row.attempt.date > today)
    if later:
        report.warnings.append(ngettext(
            "Kontaktlogg: {n} row dated after {day} is not counted (it has not happened yet)",
            "Kontaktlogg: {n} rows dated after {day} are not counted (they have not happened yet)",
            later).format(n=later, day=today.isoformat()))
    for state in lead_states(leads, links, today):
        report.processed += state.processed
        if state.kept_by_hand:
            report.warnings.append(_(
                "Leads row {row} {lead_id} {lead}: Status {status} was set by hand but the log has no Ja/Nej "
                "({reason}); left as it is, log the answer in Kontaktlogg").format(
                row=state.sheet_row, lead_id=state.lead_id, lead=state.label(), status=repr(as_text(state.cell_status)),
                reason=state.decision.reason))
        if state.writes:
            _plan_lead(changes, report, state)
    return changes, report


def _plan_lead(changes: ChangeSet, report: MarkReport, state: LeadState) -> None:
    decision = state.decision
    status_changes = parse_status(state.cell_status) != decision.status
    processed_changes = parse_date(state.cell_processed) != decision.processed_date or (
        decision.processed_date is None and not is_blank(state.cell_processed))
    if not (status_changes or processed_changes):
        return
    if status_changes:
        changes.set_cell("Leads", state.lead_id, "Status", state.cell_status, decision.status, decision.reason)
    if processed_changes:
        changes.set_cell("Leads", state.lead_id, "Bearbetad", state.cell_processed, decision.processed_date,
                         decision.reason)
    old_status, old_processed = as_text(state.cell_status), as_text(state.cell_processed)
    report.changes.append(LeadChange(
        state.lead_id, state.sheet_row, state.label(),
        old_status, (decision.status or "") if status_changes else old_status,
        old_processed, as_text(decision.processed_date) if processed_changes else old_processed,
        decision.reason))
