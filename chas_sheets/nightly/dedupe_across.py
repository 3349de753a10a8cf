"""`dedupe --across REGISTER`: over-processed companies across every CRM the register names.

Exactly the nightly run's `Överbearbetning` list, computed now and only reported: the register
is read by `register.read_register`, each CRM once (`programme.register.crm_jobs`), summarised by
`nightly.crm_summary.plan_crm` and judged by `nightly.overprocessing` (which asks
`overprocessing.find_overprocessing`), so the two can never disagree. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from chas_sheets.backends import Backend
from chas_sheets.errors import ChasSheetsError
from chas_sheets.nightly.crm_summary import CrmSummary, plan_crm
from chas_sheets.nightly.overprocessing import MOST_CRMS, MOST_STUDENTS, WINDOW_DAYS, OverprocessedCompany
from chas_sheets.nightly.report import CrmOwner, overprocessing
from chas_sheets.programme.register import crm_jobs, read_register
from chas_sheets.text import one_line


@dataclass
class AcrossReport:
    register: str
    crms_read: int = 0
    leads: int = 0
    companies: list[OverprocessedCompany] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (whose CRM, what went wrong)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"register": self.register, "crms_read": self.crms_read, "leads": self.leads,
                "overprocessed": [company.to_dict() for company in self.companies],
                "errors": [{"crm": who, "error": error} for who, error in self.errors],
                "warnings": self.warnings}

    def render(self) -> list[str]:
        lines = [f"{self.register}: {self.crms_read} CRMs read, {self.leads} leads; "
                 f"{len(self.companies)} companies over-processed (more than {MOST_CRMS} individual CRMs, "
                 f"or more than {MOST_STUDENTS} students within {WINDOW_DAYS} days)"]
        for company in self.companies:
            lines.append(f"{company.name} [{company.key}]: {'; '.join(company.reasons)}")
            if company.holders:
                lines.append(f"  in the CRMs of: {', '.join(company.holders)}")
            if company.contacters:
                lines.append(f"  contacted by: {', '.join(company.contacters)}")
        lines += [f"error: {who}: {error}" for who, error in self.errors]
        lines += [f"warning: {warning}" for warning in self.warnings]
        return lines


def report_across(register_backend: Backend, open_backend: Callable[[str], Backend], today: dt.date) -> AcrossReport:
    """Read the register and every CRM it names once; a CRM that cannot be read is reported."""
    register, _ = read_register(register_backend, today)
    report = AcrossReport(register_backend.display_name, warnings=list(register.warnings))
    owners = [*(CrmOwner(g.crm, "group", g.name) for g in register.groups if g.crm),
              *(CrmOwner(s.crm, "individual", s.name) for s in register.students if s.crm)]
    summaries: dict[str, CrmSummary] = {}
    for job in crm_jobs(register):
        try:
            summary = plan_crm(open_backend(job.target).read(None), job.kind, today).summary
        except ChasSheetsError as exc:
            report.errors.append((job.owner, one_line(str(exc), most=300)))
            continue
        summaries[job.target] = summary
        report.crms_read += 1
        report.leads += summary.leads
    report.companies = overprocessing(owners, summaries, today)
    return report
