"""Över­bearbetning: companies that too many students work at once (pure, no I/O).

From the seeds (Sprint 1, step 1): a company may stand in several CRMs, but at most 3 people
per company is recommended, so that companies do not get many requests at once. A company is
listed when it stands in more than 3 individual CRMs, or when more than 3 students contacted
it within 14 days (any 14 consecutive days: the first contact's day and the 13 after it).
What is one company is decided by `company.cluster_companies` (organisation number, domain,
name), over every CRM at once. Reused by `nightly` and by `dedupe --across`.

The night gives it one CRM at a time (`CompanyTally`), and what it keeps of a lead is a few
machine integers: which distinct company spelling (name, org.nr, domains) it names, whose
individual CRM holds it, and per contact the day and who. Students hold the same companies, so
the distinct spellings are far fewer than the leads, and only they are clustered (each with
up to two of its leads: see `CompanyTally._clusters`). The answer is the one clustering every
lead at once would give.
"""

from __future__ import annotations

import bisect
import datetime as dt
from array import array
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Hashable, Iterable

import numpy as np

from chas_sheets.company.matching import (
    CompanyClusters,
    CompanyRef,
    cluster_companies,
    display_name,
    repeated_row,
    row_name,
)
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
    tally = CompanyTally()
    tally.add(holdings, contacts)
    return tally.result(today, most_crms, most_students, window_days)


class CompanyTally:
    """Över­bearbetning gathered batch by batch (the night: one CRM at a time), then judged once.

    Kept per lead: its ref, its distinct company spelling and the individual CRM's holder, as
    machine integers in arrays (a ref of two parts, as the night's (CRM, lead ID), is kept as the
    numbers of its interned parts: a CRM's name once, `L-1` once however many CRMs use it); per
    contact its lead, day and who; per distinct spelling its count. People's names are interned."""

    def __init__(self) -> None:
        self._spellings: dict[tuple, int] = {}  # (company, orgnr, website, email) -> spelling id
        self._count = array("q")  # leads per spelling
        self._parts: dict[Hashable, int] = {}  # interned parts of two-part refs
        self._ref_first, self._ref_second = array("i"), array("i")  # per lead: its ref's parts (-1: see _odd_refs)
        self._odd_refs: dict[int, Hashable] = {}  # lead -> a ref that is not a pair
        self._spelling_of = array("i")  # per lead
        self._holder = array("i")  # per lead: the student of an individual CRM, -1 for a group CRM
        self._people: dict[str, int] = {}
        self._contact_lead, self._contact_day, self._contact_who = array("i"), array("i"), array("i")

    def _person(self, name: str) -> int:
        return self._people.setdefault(name, len(self._people))

    def _keep_ref(self, ref: Hashable) -> None:
        if ref.__class__ is tuple and len(ref) == 2:
            self._ref_first.append(self._parts.setdefault(ref[0], len(self._parts)))
            self._ref_second.append(self._parts.setdefault(ref[1], len(self._parts)))
        else:
            self._odd_refs[len(self._ref_first)] = ref
            self._ref_first.append(-1)
            self._ref_second.append(-1)

    def _ref(self, lead: int, parts: list[Hashable]) -> Hashable:
        a = self._ref_first[lead]
        return (parts[a], parts[self._ref_second[lead]]) if a >= 0 else self._odd_refs[lead]

    def add(self, holdings: Iterable[Holding], contacts: Iterable[Contact]) -> None:
        """One batch of leads and the contacts at them (a contact at a lead of another batch, or at
        no lead, is left out)."""
        lead_of: dict[Hashable, int] = {}
        for holding in holdings:
            if holding.ref in lead_of:
                raise repeated_row(holding.ref)
            lead_of[holding.ref] = len(self._spelling_of)
            key = (holding.company, holding.orgnr, holding.website, holding.email)
            spelling = self._spellings.get(key)
            if spelling is None:
                spelling = self._spellings[key] = len(self._count)
                self._count.append(0)
            self._count[spelling] += 1
            self._keep_ref(holding.ref)
            self._spelling_of.append(spelling)
            self._holder.append(self._person(holding.student) if holding.individual else -1)
        for contact in contacts:
            lead = lead_of.get(contact.ref)
            if lead is not None:
                self._contact_lead.append(lead)
                self._contact_day.append(contact.date.toordinal())
                self._contact_who.append(self._person(contact.student))

    def result(self, today: dt.date | None = None, most_crms: int = MOST_CRMS, most_students: int = MOST_STUDENTS,
               window_days: int = WINDOW_DAYS) -> list[OverprocessedCompany]:
        """Every over-processed company, as `find_overprocessing` of every batch's leads at once."""
        clusters, keys, of_spelling, apart = self._clusters()
        people = list(self._people)
        # Each cluster's holders as sorted codes (cluster * people + person), not a set of names
        # per cluster: a company every student holds would hold every name.
        width = max(len(people), 1)
        holder = np.frombuffer(self._holder, dtype=np.int32) if self._holder else np.empty(0, np.int32)
        held = holder >= 0
        codes = np.unique(keys[held] * width + holder[held])
        holder_starts = np.searchsorted(codes, np.arange(len(clusters) + 1) * width)
        days = np.frombuffer(self._contact_day, dtype=np.int32) if self._contact_day else np.empty(0, np.int32)
        leads = np.frombuffer(self._contact_lead, dtype=np.int32) if self._contact_lead else np.empty(0, np.int32)
        who = np.frombuffer(self._contact_who, dtype=np.int32) if self._contact_who else np.empty(0, np.int32)
        if today is not None:
            days, leads, who = (part[days <= today.toordinal()] for part in (days, leads, who))
        contact_key = keys[leads] if len(leads) else np.empty(0, np.int64)
        order = np.argsort(contact_key, kind="stable")
        contact_key, days, who = contact_key[order], days[order], who[order]
        del order
        starts = np.searchsorted(contact_key, np.arange(len(clusters) + 1))
        found = []
        for n in np.unique(np.concatenate((codes // width, contact_key))).tolist():  # clusters are in key order
            crms = [people[code % width] for code in codes[holder_starts[n]:holder_starts[n + 1]].tolist()]
            start, end = starts[n], starts[n + 1]
            window_contacts = [(dt.date.fromordinal(day), people[person])
                               for day, person in zip(days[start:end].tolist(), who[start:end].tolist())]
            contacted, window = busiest_window(window_contacts, window_days)
            said = reasons(len(crms), len(contacted), window, most_crms, most_students, window_days)
            if said:
                found.append((n, tuple(sorted(crms)), tuple(sorted(contacted)), window, said))
        names = self._names(keys, of_spelling, apart, {n for n, *_ in found})
        companies = [OverprocessedCompany(clusters.clusters[n].key, names[n], crms, contacted, window, said)
                     for n, crms, contacted, window, said in found]
        return sorted(companies, key=lambda c: (-(c.last_contact or dt.date.min).toordinal(), c.name.lower(), c.key))

    def _clusters(self) -> tuple[CompanyClusters, np.ndarray, np.ndarray, set[int]]:
        """The clustering of every lead, each lead's and each spelling's cluster (its index in key
        order), and the spellings whose leads are each a company of their own.

        Leads of one spelling are alike in every piece of evidence, so the clustering treats two of
        them as it treats any number: both join their company, or (when all their evidence points
        at conflicting companies, or there is none: no name) each stays a company of its own. So
        each spelling is clustered as its first lead in ref order (the clustering's canonical
        order, which names a cluster's key) and, when it has more, its second; when those two
        stay apart, every lead of the spelling is clustered on its own, as the whole would be."""
        parts = list(self._parts)
        firsts, seconds = self._first_two(parts)
        spellings = list(self._spellings)
        rows = [CompanyRef(self._ref(lead, parts), *spellings[s]) for s, lead in enumerate(firsts)]
        rows += [CompanyRef(self._ref(lead, parts), *spellings[s]) for s, lead in enumerate(seconds) if lead >= 0]
        clusters = cluster_companies(rows)
        apart = {s for s, lead in enumerate(seconds) if lead >= 0 and clusters.key_of(
            self._ref(lead, parts)) != clusters.key_of(self._ref(firsts[s], parts))}
        if apart:
            taken = {firsts[s] for s in apart} | {seconds[s] for s in apart}
            rows += [CompanyRef(self._ref(lead, parts), *spellings[self._spelling_of[lead]])
                     for lead in self._leads_of(apart) if lead not in taken]
            clusters = cluster_companies(rows)
        del rows
        index = {cluster.key: n for n, cluster in enumerate(clusters.clusters)}
        of_spelling = np.array([index[clusters.key_of(self._ref(lead, parts))] for lead in firsts], dtype=np.int64)
        lead_key = of_spelling[np.frombuffer(self._spelling_of, dtype=np.int32)] if self._spelling_of else of_spelling
        for lead in self._leads_of(apart):
            lead_key[lead] = index[clusters.key_of(self._ref(lead, parts))]
        return clusters, lead_key, of_spelling, apart

    def _leads_of(self, spellings: set[int]) -> list[int]:
        if not spellings:
            return []
        of = np.frombuffer(self._spelling_of, dtype=np.int32)
        return np.flatnonzero(np.isin(of, np.fromiter(spellings, dtype=np.int32, count=len(spellings)))).tolist()

    def _first_two(self, parts: list[Hashable]) -> tuple[list[int], list[int]]:
        """Each spelling's first and second lead in the clustering's canonical order of their refs
        (-1: no second lead)."""
        if not self._spelling_of:
            return [], []
        try:
            rank = self._ref_ranks(parts)
        except TypeError:  # refs of mixed types: ordered by their text, as the clustering does
            rank = self._ref_ranks(parts, lambda ref: (type(ref).__name__, repr(ref)))
        spelling = np.frombuffer(self._spelling_of, dtype=np.int32)
        order = np.lexsort((rank, spelling))  # by spelling, then by ref
        ordered = spelling[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        firsts = [-1] * len(self._count)
        seconds = [-1] * len(self._count)
        for s, at in zip(ordered[starts].tolist(), starts.tolist()):
            firsts[s] = int(order[at])
            if at + 1 < len(order) and ordered[at + 1] == s:
                seconds[s] = int(order[at + 1])
        return firsts, seconds

    def _ref_ranks(self, parts: list[Hashable], text: Callable[[Hashable], object] | None = None) -> np.ndarray:
        """Each lead's place in the order of the refs (pairs by their parts' places, no pair made)."""
        if text is None and not self._odd_refs:
            places = []
            for column in (self._ref_first, self._ref_second):  # each part's place among the parts of its column
                ids = np.frombuffer(column, dtype=np.int32)
                used = np.unique(ids)
                place = np.empty(len(parts), dtype=np.int64)
                place[used] = np.argsort(np.argsort(np.array([parts[p] for p in used.tolist()], dtype=object)))
                places.append(place[ids])
            return places[0] * len(parts) + places[1]
        refs = [self._ref(lead, parts) for lead in range(len(self._spelling_of))]  # odd refs: rare, not the night's
        order = sorted(range(len(refs)), key=lambda lead: refs[lead] if text is None else text(refs[lead]))
        rank = np.empty(len(refs), dtype=np.int64)
        rank[order] = np.arange(len(refs))
        return rank

    def _names(self, keys: np.ndarray, of_spelling: np.ndarray, apart: set[int], wanted: set[int]) -> dict[int, str]:
        """The display names of the clusters `wanted`, from how many leads typed each spelling (a
        spelling whose leads are apart names each of their clusters alone)."""
        counts: dict[int, Counter] = {n: Counter() for n in wanted}
        spellings = list(self._spellings)
        for s, n in enumerate(of_spelling.tolist()):
            if s not in apart and n in counts:
                counts[n][row_name(spellings[s][0])] += self._count[s]
        for lead in self._leads_of(apart):
            n = int(keys[lead])
            if n in counts:
                counts[n][row_name(spellings[self._spelling_of[lead]][0])] += 1
        return {n: display_name(c) for n, c in counts.items()}

