"""`nightly`'s report for a terminal: one line per group and student, then the two lists (pure).

Worded for whoever runs the tool (`NightlyReport.for_reader`): the tabs are the sheets' words,
the terminal is theirs. The status words are the Dashboard's in Swedish (OK, Efter, Fel).
"""

from __future__ import annotations

from chas_sheets.i18n import _, ngettext
from chas_sheets.nightly.report import BEHIND, OK, OVERPROCESSING, NightlyReport


def render(report: NightlyReport) -> list[str]:
    """The dashboard for a terminal: one line per group and student, then the two lists."""
    report = report.for_reader()
    lines = [_("Dashboard {day}").format(day=report.today.isoformat())]
    for g in report.groups:
        figures = ""
        if g.leads is not None:
            figures = (_("{n} leads added since Big Bang Day / goal {goal}, +{new} new, {processed} processed (7 d)")
                       if g.goal_since else
                       _("{n} leads / goal {goal}, +{new} new, {processed} processed (7 d)")).format(
                n=g.toward_goal if g.goal_since else g.leads, goal=g.goal, new=g.new_leads_7, processed=g.processed_7)
        lines.append(_row(g.status, _("group"), g.name, figures, g.reason))
    for s in report.students:
        figures = (_("{companies}/{goal} companies, {attempts} attempts (7 d), dialogues {dialogues}").format(
            companies=s.companies, goal=s.goal, attempts=s.attempts_7, dialogues=s.dialogues)
            if s.companies is not None else "")
        lines.append(_row(s.status, _("student"), s.name, figures, s.reason))
    if OVERPROCESSING in report.kept_tabs:
        lines += ["", ngettext("{tab}: not updated ({n} CRM could not be read); last night's rows kept",
                               "{tab}: not updated ({n} CRMs could not be read); last night's rows kept",
                               len(report.unread)).format(tab=OVERPROCESSING, n=len(report.unread))]
    else:
        lines += ["", f"{OVERPROCESSING} ({len(report.overprocessed)})"]
        lines += [f"  {c.name}: {'; '.join(c.reasons)}" for c in report.overprocessed] or ["  " + _("(none)")]
    lines += ["", f"Placering ({len(report.placement)})"]
    lines += [f"  {r.list}: {r.student.name} ({r.student.group}): {r.reason}" for r in report.placement] \
        or ["  " + _("(none)")]
    return lines


def _status_word(status: str) -> str:
    """The Dashboard's status word in the reader's language (Swedish: exactly the Dashboard's)."""
    if status == OK:
        return _("OK")
    return _("Behind") if status == BEHIND else _("Error")


def _row(status: str, kind: str, name: str, figures: str, reason: str) -> str:
    tail = " — ".join(part for part in (figures, reason) if part)
    return f"  {_status_word(status):6} {kind:10} {name:20} {tail}"
