"""Link `Kontaktlogg` rows to their leads and parse them into attempts (pure, no I/O).

Reused by `mark-processed`, `status`, `nightly` and the harvest. A log row finds its lead(s):
1. by `Lead-ID`, when the cell names a lead that exists;
2. else by company (`company.company_key`: case, spaces, legal forms, diacritics forgiven) and,
   when the row names a contact person, by that person (forgiving: 'anna svensson',
   'Anna Svensson', 'Anna', 'A. Svensson'). A named person who is none of the company's leads
   falls back to the company's leads without a contact person, if any.
A row matching several leads of one company counts for each; `Lead-ID` is filled only when the
match is unique. A row matching no lead is reported and left as it is.

Same-day attempts are put in a fixed order (unanswered, answer, Nej, Ja; then channel) rather
than sheet order, so that sorting the log never changes a lead's outcome: a reply logged the
same day as an unanswered call is a reply to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chas_sheets.company.matching import company_key
from chas_sheets.i18n import _
from chas_sheets.processed.rules import INGET_SVAR, JA, NEJ, SVAR, Attempt, parse_attempt
from chas_sheets.sheet.tables import Table
from chas_sheets.sheet.values import is_blank
from chas_sheets.text import fold_words

_SAME_DAY_ORDER = {INGET_SVAR: 0, SVAR: 1, NEJ: 2, JA: 3}

# How a row was linked (LogRow.how).
BY_LEAD_ID, BY_PERSON, BY_COMPANY, UNMATCHED = "Lead-ID", "company and person", "company", "unmatched"


@dataclass(frozen=True)
class LogRow:
    """One `Kontaktlogg` row: where it stands, what it says, which leads it counts for."""

    row_id: str
    sheet_row: int
    company: str
    contact: str
    date_text: str
    attempt: Attempt | None  # None: blank, unparseable date or unknown outcome (not counted)
    lead_ids: tuple[str, ...]
    how: str
    note: str = ""  # why it matched nothing, or how a Lead-ID was not usable

    def to_dict(self) -> dict:
        return {"sheet_row": self.sheet_row, "company": self.company, "contact": self.contact,
                "date": self.date_text, "leads": list(self.lead_ids), "how": self.how, "note": self.note}


@dataclass(frozen=True)
class LeadIdFill:
    """A `Lead-ID` cell to fill: the log row matched exactly one lead."""

    log_row_id: str
    sheet_row: int
    old: object
    lead_id: str


@dataclass
class LogLinks:
    rows: list[LogRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def unmatched(self) -> list[LogRow]:
        return [row for row in self.rows if row.how == UNMATCHED]

    @property
    def attempts(self) -> list[Attempt]:
        """Every counted attempt once, whichever leads it counts for."""
        return [row.attempt for row in self.rows if row.attempt is not None]

    def attempts_of(self, lead_id: str) -> list[Attempt]:
        """The lead's attempts in date order, same-day ties in the fixed order (module doc)."""
        found = [row.attempt for row in self.rows if row.attempt is not None and lead_id in row.lead_ids]
        return sorted(found, key=attempt_order)

    def by_lead(self) -> dict[str, list[Attempt]]:
        grouped: dict[str, list[Attempt]] = {}
        for row in self.rows:
            if row.attempt is not None:
                for lead_id in row.lead_ids:
                    grouped.setdefault(lead_id, []).append(row.attempt)
        return {lead_id: sorted(found, key=attempt_order) for lead_id, found in grouped.items()}

    def lead_id_fills(self, log: Table) -> list[LeadIdFill]:
        """Blank `Lead-ID` cells of rows that matched exactly one lead."""
        fills = []
        for row in self.rows:
            if row.how in (BY_PERSON, BY_COMPANY) and len(row.lead_ids) == 1:
                old = log.value(row.row_id, "Lead-ID")
                if is_blank(old):
                    fills.append(LeadIdFill(row.row_id, row.sheet_row, old, row.lead_ids[0]))
        return fills


def attempt_order(attempt: Attempt) -> tuple:
    return attempt.date, _SAME_DAY_ORDER.get(attempt.outcome, 9), attempt.channel or ""


def same_person(a: object, b: object) -> bool:
    """Forgiving: case, spaces, diacritics; a first name alone or an initial matches the full name."""
    words_a, words_b = fold_words(a).split(), fold_words(b).split()
    if not words_a or not words_b:
        return False
    shorter, longer = sorted((words_a, words_b), key=len)
    return all(any(_same_word(word, other) for other in longer) for word in shorter)


def _same_word(word: str, other: str) -> bool:
    return word == other or (len(word) == 1 and other.startswith(word)) or (len(other) == 1 and word.startswith(other))


def link_log(leads: Table, log: Table, today: dt.date) -> LogLinks:
    """Every `Kontaktlogg` row with its attempt and its lead(s); see the module doc.

    Linked once per read: the nightly asks it for mark-processed, status and the CRM summary
    of one CRM (a fifth of a night's CPU when each linked again). The result is shared."""
    return log.memo(("link_log", today), leads, lambda: _link_log(leads, log, today))


def _link_log(leads: Table, log: Table, today: dt.date) -> LogLinks:
    by_company: dict[str, list[str]] = {}
    for lead_id in leads.df.index:
        key = company_key(leads.text(lead_id, "Företag"))
        if key:
            by_company.setdefault(key, []).append(lead_id)
    known_ids = set(leads.df.index)
    links = LogLinks()
    for row_id in log.df.index:
        sheet_row = log.sheet_rows[row_id]
        attempt, warnings = parse_attempt(log.value(row_id, "Datum"), log.value(row_id, "Kanal"),
                                          log.value(row_id, "Utfall"), sheet_row, today)
        links.warnings.extend(_("Kontaktlogg {warning}").format(warning=warning) for warning in warnings)
        company, contact = log.text(row_id, "Företag"), log.text(row_id, "Kontaktperson")
        if attempt is None and not company:
            continue  # a blank or half-typed row: nothing to link
        lead_ids, how, note = _match(leads, by_company, known_ids, log.text(row_id, "Lead-ID"), company, contact)
        if note and how != UNMATCHED:
            links.warnings.append(_("Kontaktlogg row {row}: {note}").format(row=sheet_row, note=note))
        links.rows.append(LogRow(row_id, sheet_row, company, contact, log.text(row_id, "Datum"),
                                 attempt, tuple(lead_ids), how, note))
    return links


def _match(leads: Table, by_company: dict[str, list[str]], known_ids: set[str], lead_id: str,
           company: str, contact: str) -> tuple[list[str], str, str]:
    note = ""
    if lead_id:
        if lead_id in known_ids:
            return [lead_id], BY_LEAD_ID, ""
        note = _("Lead-ID {lead_id} is no lead; matched by company instead (the cell is left as it is)").format(
            lead_id=repr(lead_id))
    candidates = by_company.get(company_key(company), [])
    if not candidates:
        return [], UNMATCHED, (note + "; " if note else "") + _("no lead with this company")
    if not contact:
        return candidates, BY_COMPANY, note
    persons = [lead for lead in candidates if same_person(contact, leads.text(lead, "Kontaktperson"))]
    if persons:
        return persons, BY_PERSON, note
    nameless = [lead for lead in candidates if not leads.text(lead, "Kontaktperson")]
    if nameless:
        return nameless, BY_COMPANY, note
    return [], UNMATCHED, (note + "; " if note else "") + _(
        "no lead at this company with contact person {contact}").format(contact=repr(contact))
