"""The nightly run's sharing audit: `audit_register` run over the night's register, its
findings as the register's own `Delning` tab and as lines for the terminal.

One row per finding (CRM, owner, kind, what, role) and one per CRM that could not be
checked. The rows come from `chas_sheets.sharing.audit`, which masks every e-mail. Findings are not
failures of the run and never change its exit code: fixing a share is backoffice's job, and
a CRM that cannot be opened is already an error row in `Dashboard`.

Costs: one Drive `permissions.list` per Google CRM (Drive quota, not the Sheets quota the
pacer guards) and a `stat` per local CRM.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from chas_sheets.backends import Backend
from chas_sheets.i18n import _
from chas_sheets.sheet.changes import TabReplacement

if TYPE_CHECKING:  # types only: the audit itself is loaded when a night asks for it
    from chas_sheets.programme.register import Register
    from chas_sheets.sharing.audit import AuditReport

SHARING = "Delning"
SHARING_HEADERS = ("Datum", "Typ", "Namn", "Fynd", "Vad", "Roll", "CRM")
KIND_WORDS = {"anyone": "Alla med länken", "domain": "Hela domänen", "outside": "Konto utanför domänen",
              "file-mode": "Filen läsbar för andra"}
NOT_CHECKED = "Kunde inte kontrolleras"
OWNER_WORDS = {"group": "Grupp", "individual": "Studerande"}
ROLE_WORDS = {"owner": "ägare", "organizer": "ägare", "fileOrganizer": "organisatör", "writer": "redigerare",
              "commenter": "kommentator", "reader": "läsare"}


@dataclass(frozen=True)
class SharingOptions:
    """What `nightly --domain/--allow` pass on to the audit (as `audit-sharing` takes them)."""

    domain: str | None = None
    allowed: tuple[str, ...] = ()


@dataclass
class SharingOutcome:
    report: AuditReport
    requests: int  # Drive requests the audit sent (permissions.list)


def run_sharing_audit(register: Register, open_backend: Callable[[str], Backend],
                      options: SharingOptions) -> SharingOutcome:
    """`audit_register` with the night's opener, counting the Drive requests it sends."""
    from chas_sheets.sharing.audit import audit_register  # see the TYPE_CHECKING note above

    opened: list[Backend] = []

    def counted(target: str) -> Backend:
        backend = open_backend(target)
        opened.append(backend)
        return backend

    # Each finding carries its text in both languages (the reader's and `Delning`'s); an error
    # is worded once, in the reader's language, as the sharing audit's own command shows it.
    report = audit_register(register, counted, options.domain, options.allowed)
    return SharingOutcome(report, sum(int(getattr(b, "requests_sent", 0) or 0) for b in opened))


def sharing_rows(report: AuditReport, today: dt.date, for_sheet: bool = True) -> tuple[tuple, ...]:
    """`Delning`'s rows: a finding's text in the sheet's language (`for_sheet`) or the reader's."""
    rows = []
    for crm in report.crms:
        owner = (OWNER_WORDS.get(crm.kind, crm.kind), crm.owner)
        if crm.error:
            rows.append((today, *owner, NOT_CHECKED, crm.error, None, crm.crm))
        for finding in crm.findings:
            detail = (finding.sheet_detail or finding.detail) if for_sheet else finding.detail
            rows.append((today, *owner, KIND_WORDS.get(finding.kind, finding.kind), detail,
                         ROLE_WORDS.get(finding.role, finding.role) or None, crm.crm))
    return tuple(rows)


def sharing_tab(report: AuditReport, today: dt.date) -> TabReplacement:
    return TabReplacement(SHARING, SHARING_HEADERS, sharing_rows(report, today))


def sharing_lines(report: AuditReport | None, today: dt.date, why_not: str = "--no-audit") -> list[str]:
    """The `Delning (n)` block of the text output: one line per row of the tab."""
    if report is None:
        return [_("{tab}: not checked ({why})").format(tab=SHARING, why=why_not)]
    rows = sharing_rows(report, today, for_sheet=False)
    lines = [f"{SHARING} ({len(rows)})"]
    lines += [f"  {kind}: {kind_of_owner.lower()} {name}: {what}{f' ({role})' if role else ''} — {crm}"
              for _day, kind_of_owner, name, kind, what, role, crm in rows] or ["  " + _("(none)")]
    return lines


def summary_line(report: AuditReport | None, why_not: str = "--no-audit") -> str:
    if report is None:
        return _("sharing: not checked ({why})").format(why=why_not)
    return _("sharing: {summary}").format(summary=report.summary_line())

