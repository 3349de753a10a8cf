"""`dedupe --across REGISTER`: over-processed companies across every CRM the register names.

Exactly the nightly run's `Överbearbetning` list, computed now and only reported: the register
is read by `register.read_register`, each CRM that changed since the nightly run once (the
others from the summaries the nightly kept in `Nattkörning`, found unchanged by the same change
detection; `--full` reads every one) (`programme.register.crm_jobs`), summarised by
`nightly.crm_summary.plan_crm` and judged by `nightly.overprocessing` (which asks
`overprocessing.find_overprocessing`), so the two can never disagree. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from chas_sheets.backends import Backend
from chas_sheets.errors import ChasSheetsError
from chas_sheets.i18n import _, ngettext
from chas_sheets.nightly.crm_summary import CrmSummary, plan_crm
from chas_sheets.nightly.overprocessing import MOST_CRMS, MOST_STUDENTS, WINDOW_DAYS, OverprocessedCompany
from chas_sheets.nightly.report import CrmOwner, overprocessing
from chas_sheets.nightly.state import STATE_TAB, ChangeDetector, NightState, PackedSummary, parse_state
from chas_sheets.programme.register import crm_jobs, read_register
from chas_sheets.text import one_line


@dataclass
class AcrossReport:
    register: str
    crms_read: int = 0
    crms_kept: int = 0  # unchanged since the nightly summarised them: not read again
    leads: int = 0
    companies: list[OverprocessedCompany] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (whose CRM, what went wrong)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"register": self.register, "crms_read": self.crms_read, "crms_unchanged": self.crms_kept,
                "leads": self.leads,
                "overprocessed": [company.to_dict() for company in self.companies],
                "errors": [{"crm": who, "error": error} for who, error in self.errors],
                "warnings": self.warnings}

    def render(self) -> list[str]:
        crms = self.crms_read + self.crms_kept
        crms_text = (ngettext("{n} CRM ({kept} unchanged since the nightly run, from its summaries)",
                              "{n} CRMs ({kept} unchanged since the nightly run, from its summaries)", crms)
                     if self.crms_kept else ngettext("{n} CRM", "{n} CRMs", crms)).format(n=crms, kept=self.crms_kept)
        lines = [ngettext("{register}: {crms}, {leads} leads; {n} company over-processed (more than {most_crms} "
                          "individual CRMs, or more than {most_students} students within {days} days)",
                          "{register}: {crms}, {leads} leads; {n} companies over-processed (more than {most_crms} "
                          "individual CRMs, or more than {most_students} students within {days} days)",
                          len(self.companies)).format(
            register=self.register, crms=crms_text, leads=self.leads, n=len(self.companies), most_crms=MOST_CRMS,
            most_students=MOST_STUDENTS, days=WINDOW_DAYS)]
        for company in self.companies:
            lines.append(f"{company.name} [{company.key}]: {'; '.join(company.reasons)}")
            if company.holders:
                lines.append("  " + _("in the CRMs of: {names}").format(names=", ".join(company.holders)))
            if company.contacters:
                lines.append("  " + _("contacted by: {names}").format(names=", ".join(company.contacters)))
        lines += [_("error: {crm}: {error}").format(crm=who, error=error) for who, error in self.errors]
        lines += [_("warning: {warning}").format(warning=warning) for warning in self.warnings]
        return lines


def report_across(register_backend: Backend, open_backend: Callable[[str], Backend], today: dt.date,
                  detector: ChangeDetector | None = None) -> AcrossReport:
    """Read the register and every CRM it names that changed since the last nightly run (all of
    them without a `detector`); an unchanged CRM is judged from the summary the nightly kept
    in `Nattkörning`, as the nightly itself does. A CRM that cannot be read is reported."""
    register, raw = read_register(register_backend, today, extra_tabs=(STATE_TAB,))
    report = AcrossReport(register_backend.display_name, warnings=list(register.warnings))
    owners = [*(CrmOwner(g.crm, "group", g.name) for g in register.groups if g.crm),
              *(CrmOwner(s.crm, "individual", s.name) for s in register.students if s.crm)]
    summaries: dict[str, CrmSummary | PackedSummary] = {}  # kept encoded: one decoded at a time
    jobs = crm_jobs(register)
    unchanged = _unchanged(detector, [job.target for job in jobs], parse_state(raw.grids.get(STATE_TAB)), report)
    for job in jobs:
        if job.target in unchanged:
            summaries[job.target] = unchanged[job.target]
            report.crms_kept += 1
            report.leads += unchanged[job.target].leads
            continue
        try:
            summary = plan_crm(open_backend(job.target).read(None), job.kind, today).summary
        except ChasSheetsError as exc:
            report.errors.append((job.owner, one_line(str(exc), most=300)))
            continue
        summaries[job.target] = PackedSummary.of(summary)
        report.crms_read += 1
        report.leads += summary.leads
    report.companies = overprocessing(owners, summaries, today)
    return report


def _unchanged(detector: ChangeDetector | None, targets: list[str], state: NightState,
               report: AcrossReport) -> dict[str, PackedSummary]:
    """The kept summaries of the CRMs nobody changed since they were summarised."""
    if detector is None or not state.entries:
        return {}
    try:
        detection = detector.detect(targets, state)
    except ChasSheetsError as exc:  # the feed failing only costs a full read
        report.warnings.append(_("change detection failed ({error}); every CRM is read").format(
            error=one_line(str(exc), most=200)))
        return {}
    kept = {}
    for target in detection.unchanged:
        summary = PackedSummary.from_text(state.entries[target].summary)
        if summary is not None:
            kept[target] = summary
    return kept
