"""Read once, plan, write once: the flow every command shares (no Click here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from chas_sheets.backends import ApplyResult, Backend
from chas_sheets.i18n import _, ngettext
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.tables import Tables, load_tables
from chas_sheets.sheet.writeplan import RunInfo
from chas_sheets.watch.requests import RUNS_TAB, changes_summary, listing_row, lists_run


def read_tables(backend: Backend, required: Sequence[str], optional: Sequence[str] = ()) -> Tables:
    """One read of the tabs a command needs. Ändringslogg only when the command names it (undo,
    the harvest's audit): it grows with every run, and a new ID is checked against it when
    written (`writeplan.resolve`), not when planned."""
    raw = backend.read([*required, *optional])
    return load_tables(raw, required, optional)


@dataclass
class Outcome:
    changes: ChangeSet
    applied: bool
    run: RunInfo | None = None
    result: ApplyResult | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Changes written, the run's own row in Körningar not counted (it is the listing, not the job)."""
        return written(self.result) if self.result else 0

    def summary_line(self, target: str) -> str:
        return summary_line(target, self.changes.summary() if self.changes else None, self.applied,
                            self.written, self.run.run_id if self.run else None, len(self.skipped))

    def notes(self, target: str) -> list[str]:
        """What goes to stderr after the plan: each change skipped, then the summary line."""
        return [*(_("skipped: {warning}").format(warning=warning) for warning in self.skipped),
                self.summary_line(target)]

    def to_dict(self) -> dict:
        return {
            "applied": self.applied,
            "run_id": self.run.run_id if self.run else None,
            "planned": len(self.changes),
            "written": self.written,
            "skipped": self.skipped,
        }


def summary_line(target: str, planned: str | None, applied: bool, written: int, run_id: str | None,
                 skipped: int, *, nothing: str | None = None, would: str | None = None,
                 wrote: str | None = None, also: str = "") -> str:
    """The one closing line of every writing command (stderr), dry run or applied.

    The line is one catalog message each way. A command with its own words passes them
    translated already: `nothing` (the whole clause after the target), `would` ("undo would
    make") and `wrote` ("undid"); `also` goes after the run id on the applied line (the harvest
    counts the members' CRMs there)."""
    if planned is None:
        return _("{target}: {nothing}").format(target=target, nothing=nothing or _("nothing to change"))
    if not applied:
        if would is None:
            return _("{target}: would make {planned} (dry run; add --apply to write)").format(
                target=target, planned=planned)
        return _("{target}: {would} {planned} (dry run; add --apply to write)").format(
            target=target, would=would, planned=planned)
    note = ngettext(", {n} skipped", ", {n} skipped", skipped).format(n=skipped) if skipped else ""
    if wrote is None:
        line = ngettext("{target}: wrote {n} change as run {run_id}{skipped}{also} (logged in Ändringslogg)",
                        "{target}: wrote {n} changes as run {run_id}{skipped}{also} (logged in Ändringslogg)",
                        written)
        return line.format(target=target, n=written, run_id=run_id, skipped=note, also=also)
    line = ngettext("{target}: {wrote} {n} change as run {run_id}{skipped}{also} (logged in Ändringslogg)",
                    "{target}: {wrote} {n} changes as run {run_id}{skipped}{also} (logged in Ändringslogg)",
                    written)
    return line.format(target=target, wrote=wrote, n=written, run_id=run_id, skipped=note, also=also)


def written(result: ApplyResult) -> int:
    """Changes a write made, the run's own row in Körningar not counted (the listing, not the job)."""
    return sum(getattr(item, "tab", None) != RUNS_TAB for item in result.applied)


def listed(changes: ChangeSet, run: RunInfo, listing: ChangeSet | None = None, argument: str = "") -> ChangeSet:
    """`changes` with the run listed in Körningar, in the same write (no request of its own).

    The one place every --apply run is listed: a run from the command line gets a new row
    (Jobb, Status Klar, the time, Resultat = the summary and run id) when it changes a CRM's
    own tabs; a run `watch` makes for a row of the tab passes that row's answer as `listing`
    instead (possibly empty, when the job's answer needs what happens after this write).
    A new Körningar tab is created by the write like Ändringslogg is."""
    if listing is None:
        if not lists_run(changes):
            return changes
        listing = ChangeSet(appends=[listing_row(run.command, run.run_id, run.started, changes_summary(changes),
                                                 argument)])
    if not listing:
        return changes
    return ChangeSet().extend(changes).extend(listing)


def execute(backend: Backend, changes: ChangeSet, command: str, apply: bool, *, run: RunInfo | None = None,
            listing: ChangeSet | None = None) -> Outcome:
    """Write `changes` when asked to; a dry run touches nothing. `run`: the run id chosen before
    (a request `watch` claimed); `listing`: see `listed`."""
    if not apply or not changes:
        return Outcome(changes, applied=False)
    run = run or RunInfo.new(command)
    result = backend.apply(listed(changes, run, listing), run)
    return Outcome(changes, applied=True, run=run, result=result, skipped=list(result.skipped))
