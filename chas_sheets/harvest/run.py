"""The harvest's I/O: one read and one write per CRM, one run id for all of them (no Click).

Order matters for crash safety. The group CRM is written first (`Tilldelad` and the audit with
the seed), then each member's CRM. If the run stops half-way, running `harvest --apply` again
finds the logged seed of the same wishes, makes the same split and copies only what is still
missing: what this split never wrote into a member's CRM (its `Ändringslogg` says what it
wrote), so a lead the member has deleted since stays deleted. A member CRM that cannot be
reached is reported and the others are still written.

Links in `Medlemmar`: a relative path is relative to a local group CRM's folder; inside a
Google group CRM it means nothing (there is no folder), so that member is reported as not
reachable and nothing is created (a path resolved against the working directory would write a
file outside any workspace). The copied leads' `Källa` names the group by a human name: the
file's stem, or the Google spreadsheet's title.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Callable

from chas_sheets.backends import Backend, is_google_reference, not_openable
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.errors import ChasSheetsError, InvalidInput
from chas_sheets.harvest.copy_leads import copied_before, plan_copy, split_note
from chas_sheets.harvest.lottery import commitment, new_seed
from chas_sheets.harvest.prepare import SKORD, group_companies, member_names, read_wishes, skord_rows
from chas_sheets.harvest.seed_source import check_seed, fixed_source
from chas_sheets.harvest.split import CopyPlan, SplitReport, plan_split, previous_splits
from chas_sheets.i18n import _, ngettext
from chas_sheets.runner import listed, read_tables, summary_line, written
from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.layout import layout_for
from chas_sheets.sheet.tables import RawWorkbook, Tables, load_tables
from chas_sheets.sheet.writeplan import RunInfo

COMMAND = "harvest"
GROUP_TABS = (["Leads", "Medlemmar"], ["Kontaktlogg", SKORD, LOG_TAB])
LOGGED_IN = "logged in run "  # a seed source: the seed of the split logged for the same wishes
MEMBER_TABS = (["Leads"], ["Kontaktlogg", LOG_TAB])


@dataclass
class MemberCopy:
    """What happened (or would happen) to one member's individual CRM."""

    member: str
    target: str = ""
    companies: int = 0
    leads: int = 0  # leads added
    log_rows: int = 0  # log rows added
    leads_present: int = 0  # leads already there (not added again)
    leads_deleted: int = 0  # leads this split copied before and the member deleted since (not added again)
    created: bool = False
    written: bool = False
    problem: str = ""  # why nothing was written: no CRM, unreachable, ...
    failed: bool = False

    def line(self, applied: bool) -> str:
        if self.failed and not self.target:  # the link leads nowhere: the problem names member and link
            return self.problem
        who = f"{self.member} -> {self.target or _('(no individual CRM)')}"
        if self.failed:
            return _("{who}: FAILED: {problem}").format(who=who, problem=self.problem)
        if self.problem:
            return f"{who}: {self.problem}"
        if self.created:
            who += _(" (created from the template)") if applied else _(" (would be created from the template)")
        counts = {"leads": self.leads, "log_rows": self.log_rows, "companies": self.companies}
        line = (ngettext("{who}: added {leads} leads and {log_rows} log rows of {companies} company",
                         "{who}: added {leads} leads and {log_rows} log rows of {companies} companies", self.companies)
                if applied else
                ngettext("{who}: would add {leads} leads and {log_rows} log rows of {companies} company",
                         "{who}: would add {leads} leads and {log_rows} log rows of {companies} companies",
                         self.companies)).format(who=who, **counts)
        if self.leads_present:
            line += ngettext("; {n} lead already there", "; {n} leads already there",
                             self.leads_present).format(n=self.leads_present)
        if self.leads_deleted:
            line += ngettext("; {n} lead copied before and deleted since, not copied again",
                             "; {n} leads copied before and deleted since, not copied again",
                             self.leads_deleted).format(n=self.leads_deleted)
        return line

    def to_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class HarvestRun:
    report: SplitReport
    seed_source: str  # "given", "generated", "logged in run ..."
    applied: bool
    run: RunInfo | None = None
    group_planned: int = 0
    group_written: int = 0
    group_skipped: list[str] = field(default_factory=list)
    members: list[MemberCopy] = field(default_factory=list)

    @property
    def failed(self) -> list[MemberCopy]:
        return [m for m in self.members if m.failed]

    def render(self) -> list[str]:
        """The split, then one line per member's individual CRM (stdout)."""
        return [*self.report.render(), _("Individual CRMs (written):") if self.applied else
                _("Individual CRMs (dry run):"),
                *(f"  {member.line(self.applied)}" for member in self.members)]

    def notes(self, target: str) -> list[str]:
        """What goes to stderr after the split or its JSON: skipped cells, where the seed came
        from, the summary line and the members' CRMs that failed."""
        notes = [_("skipped: {warning}").format(warning=warning) for warning in self.group_skipped]
        if self.seed_source == "generated" and not self.applied:
            notes.append(_("seed generated: to apply exactly this split run with --seed {seed} --apply").format(
                seed=self.report.allocation.seed))
        elif self.seed_source.startswith(LOGGED_IN):
            notes.append(_("seed logged in run {run}").format(run=self.seed_source[len(LOGGED_IN):]))
        notes.append(self.summary_line(target))
        if self.failed:
            failed = ", ".join(m.member for m in self.failed)
            notes.append((_("failed: {members} (the others were written; fix and run again to complete the split)")
                          if self.applied else
                          _("failed: {members} (the others were planned; fix and run again to complete the split)"))
                         .format(members=failed))
        return notes

    def summary_line(self, target: str) -> str:
        """The closing line every writing command ends with, counting the members' CRMs too.
        Skipped group cells are listed one by one above it, so not counted in it."""
        written = sum(m.written for m in self.members)
        copies = sum(bool(m.leads or m.log_rows) for m in self.members)
        planned = None if self.applied and not (self.group_written or written) else \
            ngettext("{n} changes and copy into {copies} individual CRM", "{n} changes and copy into {copies} individual "
                     "CRMs", copies).format(n=self.group_planned, copies=copies)
        return summary_line(target, planned, self.applied, self.group_written, self.run.run_id if self.run else None,
                            0, nothing=_("nothing new to write; this split is complete"),
                            also=ngettext("; {n} individual CRM written", "; {n} individual CRMs written",
                                          written).format(n=written))

    def to_dict(self) -> dict:
        return {**self.report.to_dict(), "seed_source": self.seed_source, "applied": self.applied,
                "run_id": self.run.run_id if self.run else None,
                "group_planned": self.group_planned, "group_written": self.group_written,
                "group_skipped": self.group_skipped, "members": [m.to_dict() for m in self.members],
                "failed": [m.member for m in self.failed]}


class AlreadySplit(InvalidInput):
    """Another seed for wishes already split: `seed` and `run` name the logged split (so the
    watch can give the advice in the sheet's own terms)."""

    def __init__(self, message: str, seed: str, run: str):
        super().__init__(message)
        self.seed, self.run = seed, run


def read_group(group: Backend) -> tuple[Tables, str]:
    """The group's tables and its human name (file name or spreadsheet title), in one read."""
    tables = read_tables(group, *GROUP_TABS)
    return tables, group.title


def link_problem(group: Backend, reference: str) -> str | None:
    """Why a member's link in this group cannot be followed (a relative path in a Google
    spreadsheet), if it cannot."""
    return not_openable(group.resolve_relative(reference))


def choose_seed(tables: Tables, given: str | None, apply: bool, today: dt.date) -> tuple[str, str]:
    """The seed and where it came from. Without --seed, a split already logged for the same
    wishes keeps its seed (so a re-run completes it); else a new one is drawn."""
    wishes = {}
    if SKORD in tables:
        rows = skord_rows(tables[SKORD], group_companies(tables, today))
        wishes = read_wishes(tables[SKORD], member_names(tables), rows)
    if not any(wishes.values()):  # nothing to split: plan_split says what is missing, before any seed talk
        return (given, "given") if given is not None else (new_seed(), "generated")
    previous = previous_splits(tables).get(commitment(wishes)) if wishes else None
    fixed = fixed_source(tables)
    if given is not None or not previous:
        check_seed(fixed, given)
    if given is not None:
        if apply and previous and previous[0] != given:
            raise AlreadySplit(_("these wishes were already split with seed {seed} (run {run}); run with --seed "
                                 "{seed} to complete that split, or change the wishes first").format(
                seed=previous[0], run=previous[1]), previous[0], previous[1])
        return given, "given"
    if previous:
        return previous[0], f"{LOGGED_IN}{previous[1]}"
    return new_seed(), "generated"


def _template_tables(source: str) -> Tables:
    """The tables of a new individual CRM, for a dry run of one that does not exist yet."""
    layout = layout_for("student")
    raw = RawWorkbook([t.title for t in layout.tabs], {t.title: [list(t.headers)] for t in layout.tabs}, source)
    return load_tables(raw, *MEMBER_TABS)


def copy_to_member(group: Backend, plan: CopyPlan, name: str, today: dt.date, run: RunInfo | None,
                   open_backend: Callable[[str], Backend], commitment: str = "", first_run: str = "") -> MemberCopy:
    """Plan and (with a run) write one member's copy; library errors become a reported failure.
    `commitment` and `first_run`: the split (its wishes' SHA-256, the run that logged it), to
    find what it already wrote into this member's CRM."""
    result = MemberCopy(plan.member, companies=len(plan.companies))
    problem = link_problem(group, plan.reference) if plan.companies and plan.reference else None
    if problem:
        result.failed, result.problem = True, f"{plan.member}: {problem}"
        return result
    target = group.resolve_relative(plan.reference) if plan.reference else ""
    result.target = target if not target or is_google_reference(target) else os.path.normpath(target)
    if not plan.companies:
        result.problem = _("no companies (no wishes), nothing to copy")
        return result
    if not plan.reference:
        result.problem = _("no 'Individuellt CRM' in Medlemmar; skipped (add it and run again)")
        return result
    try:
        backend = open_backend(result.target)
        # A missing local CRM is made from the template; a Google one is read at once (its
        # answer says if it is missing or unshared): no request to ask first, so a member's
        # spreadsheet costs read, verify and write, 3 requests.
        if isinstance(backend, LocalWorkbook) and not backend.exists():
            result.created = True
            if run is not None:
                backend.create("student")
                tables = read_tables(backend, *MEMBER_TABS)
            else:
                tables = _template_tables(result.target)
        else:
            tables = read_tables(backend, *MEMBER_TABS)
        copied = copied_before(tables, commitment, first_run) if commitment else {}
        changes: ChangeSet = plan_copy(tables, plan.company_leads, plan.log_rows, name, today, member=plan.member,
                                       copied=copied)
        result.leads = sum(a.tab == "Leads" for a in changes.appends)
        result.log_rows = sum(a.tab == "Kontaktlogg" for a in changes.appends)
        if copied.get("Leads"):  # how many of those not added are gone from the member's rows
            anyway = plan_copy(tables, plan.company_leads, plan.log_rows, name, today, member=plan.member)
            result.leads_deleted = sum(a.tab == "Leads" for a in anyway.appends) - result.leads
        result.leads_present = sum(map(len, plan.company_leads.values())) - result.leads - result.leads_deleted
        if run is not None and changes:
            if commitment:  # which split wrote these rows, for a later run that completes it
                changes.appends.append(split_note(commitment))
            backend.apply(changes, run)
            result.written = True
    except ChasSheetsError as exc:
        result.failed, result.problem = True, str(exc)
    return result


def run_split(group: Backend, seed: str | None, today: dt.date, apply: bool,
              open_backend: Callable[[str], Backend], *, run: RunInfo | None = None,
              listing: ChangeSet | None = None) -> HarvestRun:
    """Read the group CRM once, split, write it once, then each member's CRM once. `run` and
    `listing`: a run id chosen before and the Körningar answer (`runner.listed`)."""
    tables, name = read_group(group)
    seed, source = choose_seed(tables, seed, apply, today)
    changes, plans, report = plan_split(tables, seed, today, lambda ref: link_problem(group, ref) is None)
    run = (run or RunInfo.new(COMMAND)) if apply else None
    result = HarvestRun(report, source, apply, run)
    if run is not None and changes:
        applied = group.apply(listed(changes, run, listing, seed), run)
        result.group_written, result.group_skipped = written(applied), list(applied.skipped)
    result.group_planned = len(changes)
    for plan in plans:
        result.members.append(copy_to_member(group, plan, name, today, run, open_backend,
                                             report.allocation.commitment, report.already_logged))
    return result
