"""`nightly`'s report for a terminal: one line per group and student, then the two lists (pure)."""

from __future__ import annotations

from chas_sheets.nightly.report import OK, OVERPROCESSING, STATUS_WORDS, NightlyReport


def render(report: NightlyReport) -> list[str]:
    """The dashboard for a terminal: one line per group and student, then the two lists."""
    lines = [f"Dashboard {report.today.isoformat()}"]
    for g in report.groups:
        toward = f"{g.toward_goal} leads added since Big Bang Day" if g.goal_since else f"{g.leads} leads"
        figures = f"{toward} / goal {g.goal}, +{g.new_leads_7} new, {g.processed_7} processed (7 d)" \
            if g.leads is not None else ""
        lines.append(_row(g.status, "group", g.name, figures, g.reason))
    for s in report.students:
        figures = (f"{s.companies}/{s.goal} companies, {s.attempts_7} attempts (7 d), dialogues {s.dialogues}"
                   if s.companies is not None else "")
        lines.append(_row(s.status, "student", s.name, figures, s.reason))
    if OVERPROCESSING in report.kept_tabs:
        lines += ["", f"{OVERPROCESSING}: not updated ({len(report.unread)} CRMs could not be read); "
                      "last night's rows kept"]
    else:
        lines += ["", f"{OVERPROCESSING} ({len(report.overprocessed)})"]
        lines += [f"  {c.name}: {'; '.join(c.reasons)}" for c in report.overprocessed] or ["  (none)"]
    lines += ["", f"Placering ({len(report.placement)})"]
    lines += [f"  {r.list}: {r.student.name} ({r.student.group}): {r.reason}" for r in report.placement] or ["  (none)"]
    return lines


def _row(status: str, kind: str, name: str, figures: str, reason: str) -> str:
    word = STATUS_WORDS[status] if status != OK else "OK"
    tail = " — ".join(part for part in (figures, reason) if part)
    return f"  {word:5} {kind:7} {name:20} {tail}"
