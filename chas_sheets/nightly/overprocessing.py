"""Över­bearbetning: companies that too many students work at once (pure, no I/O).

From the seeds (Sprint 1, step 1): a company may stand in several CRMs, but at most 3 people
per company is recommended, so that companies do not get many requests at once. A company is
listed when it stands in more than 3 individual CRMs, or when more than 3 students contacted
it within 14 days (any 14 consecutive days: the first contact's day and the 13 after it).
What is one company is decided by `company.cluster_companies` (organisation number, domain,
name), over every CRM at once. Reused by `nightly` and by `dedupe --across`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Hashable, Iterable

from chas_sheets.company.matching import CompanyRef, cluster_companies
from chas_sheets.i18n import ngettext

MOST_CRMS = 3  # more individual CRMs than this holding one company is over-processing
MOST_STUDENTS = 3  # more students than this contacting one company within WINDOW_DAYS is too
WINDOW_DAYS = 14


@dataclass(frozen=True)
class Holding:
    """One lead of a company in someone's CRM. `ref` identifies the lead across all CRMs."""

    ref: Hashable
    student: str  # whose CRM (for a group CRM: the group's name)
    individual: bool  # an individual CRM (only those count towards the CRM limit)
    company: str
    orgnr: object = ""
    website: object = ""
    email: object = ""


@dataclass(frozen=True)
class Contact:
    """One contact attempt at the lead `ref`, by `student`, on `date`."""

    ref: Hashable
    student: str
    date: dt.date


@dataclass(frozen=True)
class OverprocessedCompany:
    key: str  # the company cluster's key (orgnr, domain or name fingerprint)
    name: str
    holders: tuple[str, ...]  # students whose individual CRM holds the company, sorted
    contacters: tuple[str, ...]  # the most students within one window, sorted
    window: tuple[dt.date, dt.date] | None  # first and last contact of that window
    reasons: tuple[str, ...]

    @property
    def last_contact(self) -> dt.date | None:
        return self.window[1] if self.window else None

    def reworded(self) -> OverprocessedCompany:
        """The same finding, its reasons worded in the current language (the default limits)."""
        return replace(self, reasons=reasons(len(self.holders), len(self.contacters), self.window))

    def to_dict(self) -> dict:
        return {"key": self.key, "company": self.name, "crms": list(self.holders),
                "contacted_by": list(self.contacters),
                "window": [day.isoformat() for day in self.window] if self.window else None,
                "reasons": list(self.reasons)}


def busiest_window(contacts: Iterable[tuple[dt.date, str]], days: int = WINDOW_DAYS
                   ) -> tuple[frozenset[str], tuple[dt.date, dt.date] | None]:
    """The most distinct people within `days` consecutive days, and that window's first and
    last contact (the earliest such window)."""
    ordered = sorted(contacts)
    dates = [day for day, _ in ordered]
    best: frozenset[str] = frozenset()
    span = None
    for i, start in enumerate(dates):
        end = bisect.bisect_left(dates, start + dt.timedelta(days=days), lo=i)
        people = frozenset(who for _, who in ordered[i:end])
        if len(people) > len(best):
            best, span = people, (start, dates[end - 1])
    return best, span


def reasons(crms: int, people: int, window: tuple[dt.date, dt.date] | None, most_crms: int = MOST_CRMS,
            most_students: int = MOST_STUDENTS, window_days: int = WINDOW_DAYS) -> tuple[str, ...]:
    """Why a company held in `crms` individual CRMs, contacted by `people` within `window`, is
    over-processed (empty: it is not), in the current language."""
    said = []
    if crms > most_crms:
        said.append(ngettext("in {n} individual CRM (at most {most})", "in {n} individual CRMs (at most {most})",
                             crms).format(n=crms, most=most_crms))
    if people > most_students and window:
        first, last = window
        said.append(ngettext("contacted by {n} student {first}–{last} (at most {most} within {days} days)",
                             "contacted by {n} students {first}–{last} (at most {most} within {days} days)",
                             people).format(n=people, first=first.isoformat(), last=last.isoformat(),
                                            most=most_students, days=window_days))
    return tuple(said)


def find_overprocessing(holdings: Iterable[Holding], contacts: Iterable[Contact], today: dt.date | None = None,
                        most_crms: int = MOST_CRMS, most_students: int = MOST_STUDENTS,
                        window_days: int = WINDOW_DAYS) -> list[OverprocessedCompany]:
    """Every over-processed company, most recent contact first, then by name.

    Contacts dated after `today` (typos) and contacts at leads not among `holdings` are left out.
    """
    holdings = list(holdings)
    clusters = cluster_companies(CompanyRef(h.ref, h.company, h.orgnr, h.website, h.email) for h in holdings)
    holders: dict[str, set[str]] = defaultdict(set)
    for holding in holdings:
        if holding.individual:
            holders[clusters.key_of(holding.ref)].add(holding.student)
    known = {holding.ref for holding in holdings}
    contacted: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for contact in contacts:
        if contact.ref in known and (today is None or contact.date <= today):
            contacted[clusters.key_of(contact.ref)].append((contact.date, contact.student))
    found = []
    for key in sorted(set(holders) | set(contacted)):
        crms = holders.get(key, set())
        people, window = busiest_window(contacted.get(key, ()), window_days)
        said = reasons(len(crms), len(people), window, most_crms, most_students, window_days)
        if said:
            found.append(OverprocessedCompany(key, clusters[key].name, tuple(sorted(crms)), tuple(sorted(people)),
                                              window, said))
    return sorted(found, key=lambda c: (-(c.last_contact or dt.date.min).toordinal(), c.name.lower(), c.key))
