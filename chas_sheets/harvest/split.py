"""The harvest, part 2: the split of the marked `Skörd` and its audit trail (pure).

`plan_split` runs `harvest.lottery.allocate` on the wishes, fills `Tilldelad`, and appends the audit
to the group's `Ändringslogg` as note rows (`Flik` Skörd, `Kolumn` `(skörd)`; the foundation
stamps them with the run and does not log them twice): the algorithm, the frozen wishes as
canonical JSON and their SHA-256 (so anyone can check the commitment later, even after the
marks were edited), the seed, each contested company's ranked applicants, every evening move
and each member's result. It also returns one `CopyPlan` per member for `harvest.copy_leads`.

A second split of the same wishes with the same seed plans no new audit rows and no cells,
so applying twice, or again after a crash, adds nothing to the group CRM.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable

from chas_sheets.errors import InvalidInput, MissingTab
from chas_sheets.harvest.lottery import (
    ALGORITHM_VERSION,
    ALGORITHM_VERSIONS,
    ONE_SENTENCE,
    RULE,
    Allocation,
    algorithm_label,
    allocate,
    canonical_wishes,
    commitment,
    marked,
)
from chas_sheets.harvest.prepare import (
    ASSIGNED,
    COMPANY,
    SKORD,
    group_companies,
    member_names,
    read_wishes,
    skord_rows,
)
from chas_sheets.harvest.seed_source import fixed_source
from chas_sheets.i18n import _, sheet_
from chas_sheets.sheet.changelog import HARVEST_AUDIT, LOG_TAB, RUN_IN
from chas_sheets.sheet.changes import ChangeSet, IdAssignment, RowAppend
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import Tables
from chas_sheets.sheet.values import as_text

CURRENT_VERSION = max(ALGORITHM_VERSIONS)

AUDIT_COLUMN = HARVEST_AUDIT
_SEED, _COMMITMENT, _WISHES = "frö", "åtagande", "önskningar"
_NOTE = re.compile(r"^(?P<what>[^:]+): (?P<value>.*)$", re.S)


@dataclass(frozen=True)
class CopyPlan:
    """What one member receives: the companies, every lead of each, their log rows."""

    member: str
    reference: str  # `Individuellt CRM` as typed; "" when the member has none yet
    companies: tuple[str, ...]  # Skörd keys, most wanted first
    company_leads: dict[str, list[dict]]  # key -> lead rows (contract columns, group ID in "ID")
    log_rows: dict[str, list[dict]]  # key -> Kontaktlogg rows ("Lead-ID": the group lead, if one)


@dataclass
class SplitReport:
    target: str
    allocation: Allocation
    names: dict[str, str]  # Skörd key -> company as written in Skörd
    members: list[str]
    already_logged: str = ""  # run id of an earlier split with the same wishes and seed
    warnings: list[str] = field(default_factory=list)
    # What the split does not hand out, so the group decides instead of losing it silently.
    unclaimed: list[str] = field(default_factory=list)  # warm companies in Skörd nobody marked
    cold: list[str] = field(default_factory=list)  # the group's other companies (its research)
    seed_source: str = ""  # the seed source fixed before the wishes closed, described

    def name(self, key: str) -> str:
        return self.names.get(key, key)

    def to_dict(self) -> dict:
        a = self.allocation
        return {
            "target": self.target, "sentence": ONE_SENTENCE["sv"], "commitment": a.commitment, "seed": a.seed,
            "algorithm": a.algorithm_version, "already_logged": self.already_logged,
            "bundles": {m: [{"key": k, "company": self.name(k), "lottery": k in a.won_by_lottery[m],
                             "evened": k in a.received_by_evening[m]} for k in a.bundles[m]] for m in self.members},
            "draws": [{"key": d.company, "company": self.name(d.company), "ranked": list(d.ranked_applicants),
                       "winners": list(d.winners), "holders": list(d.holders)} for d in a.draws.values()],
            "moves": [vars(move) for move in a.moves],
            "bundle_sizes": a.bundle_sizes, "fair": a.fairness_report().ok,
            "fairness": str(a.fairness_report()), "warnings": self.warnings,
            "unclaimed": self.unclaimed, "cold": self.cold, "seed_source": self.seed_source,
        }

    def render(self) -> list[str]:
        a = self.allocation
        lines = [_("How the harvest is split: {rule}").format(rule=marked(RULE)), "",
                 _("Commitment (SHA-256 of the wishes): {commitment}").format(commitment=a.commitment),
                 *([self.seed_source] if self.seed_source else []), _("Seed: {seed}").format(seed=a.seed),
                 _("Algorithm: {algorithm}").format(algorithm=algorithm_label(a.algorithm_version)), "",
                 _("Per member (* = won in the draw, + = received when evening out):")]
        width = max((len(m) for m in self.members), default=0)
        for member in self.members:
            marks = [self.name(k) + ("*" if k in a.won_by_lottery[member] else "+" if k in a.received_by_evening[member]
                                     else "") for k in a.bundles[member]]
            got = ", ".join(marks) or _("(no wishes)")
            lines.append(f"  {member:<{width}}  {len(marks):>2}: {got}")
        if a.draws:
            lines.append(_("Companies drawn by lot (more than three wanted them):"))
            for draw in a.draws.values():
                ranked = ", ".join(f"{n}. {m}" for n, m in enumerate(draw.ranked_applicants, 1))
                lines.append("  " + _("{company}: draw order {ranked}; goes to: {holders}").format(
                    company=self.name(draw.company), ranked=ranked, holders=", ".join(draw.holders)))
        if a.moves:
            lines.append(_("Evening out:"))
            lines += ["  " + _("chain {chain}: {company} from {giver} to {taker} ({why})").format(
                chain=m.chain, company=self.name(m.company), giver=m.from_member, taker=m.to_member, why=m.reason())
                for m in a.moves]
        lines.append(_("Companies each: {sizes}").format(
            sizes=", ".join(f"{m} {a.bundle_sizes[m]}" for m in self.members)))
        lines.append(str(a.fairness_report()))
        lines += _listed(_("Warm companies nobody wanted ({n}): they stay in the group's CRM; decide who takes them")
                         .format(n=len(self.unclaimed)), self.unclaimed)
        lines += _listed(_("The group's other companies ({n}, cold research): they stay in the group's CRM; "
                           "share them as you like").format(n=len(self.cold)), self.cold)
        if self.already_logged:
            lines.append(_("The same wishes and seed are already logged by run {run}.").format(run=self.already_logged))
        lines += [_("warning: {warning}").format(warning=warning) for warning in self.warnings]
        return lines


def _listed(title: str, names: list[str], most: int = 12) -> list[str]:
    if not names:
        return []
    more = _(" … and {n} more").format(n=len(names) - most) if len(names) > most else ""
    return [f"{title}:", "  " + ", ".join(names[:most]) + more]


def previous_splits(tables: Tables) -> dict[str, tuple[str, str]]:
    """Commitment -> (seed, run id) of every split logged in the group's `Ändringslogg`."""
    log = tables.get(LOG_TAB)
    if log is None:
        return {}
    notes: dict[str, dict[str, str]] = {}
    for row_id in log.df.index:
        if log.text(row_id, "Kolumn") != AUDIT_COLUMN:
            continue
        match = _NOTE.match(log.text(row_id, "Efter"))
        if match:
            notes.setdefault(log.text(row_id, "Körning"), {})[match["what"]] = match["value"]
    return {note[_COMMITMENT]: (note[_SEED], run) for run, note in notes.items() if _COMMITMENT in note and _SEED in note}


def logged_version(group_tables: Tables, wishes_commitment: str, seed: str) -> int:
    """The algorithm version of the split already logged for these wishes and seed: a re-run
    that completes a split made before an upgrade gives every member the same companies."""
    log = group_tables.get(LOG_TAB)
    previous = previous_splits(group_tables).get(wishes_commitment)
    if log is None or not previous or previous[0] != seed:
        return CURRENT_VERSION
    for row_id in log.df.index:
        if log.text(row_id, "Körning") == previous[1] and log.text(row_id, "Kolumn") == AUDIT_COLUMN:
            match = _NOTE.match(log.text(row_id, "Efter"))
            if match and match["what"] == "algoritm":
                return next((n for n, name in ALGORITHM_VERSIONS.items() if name == match["value"]), CURRENT_VERSION)
    return CURRENT_VERSION


def _note(row_id: str, what: str, value: str) -> RowAppend:
    return RowAppend(LOG_TAB, {"Flik": SKORD, "Rad-ID": row_id, "Kolumn": AUDIT_COLUMN, "Efter": f"{what}: {value}"},
                     "harvest audit")


def audit_notes(allocation: Allocation, names: dict[str, str], members: list[str]) -> list[RowAppend]:
    a, name = allocation, (lambda key: f"{names.get(key, key)} [{key}]")
    notes = [_note("", "algoritm", a.algorithm_version),
             _note("", _WISHES, canonical_wishes(a.wishes)),
             _note("", _COMMITMENT, a.commitment),
             _note("", _SEED, a.seed)]
    # The notes' kinds ("lottning", ...) are the log's words, read back; their text is for people.
    for draw in a.draws.values():
        ranked = ", ".join(f"{n}. {m}" for n, m in enumerate(draw.ranked_applicants, 1))
        notes.append(_note(draw.company, "lottning", sheet_("{company}: {ranked}; winners {winners}; after evening "
                                                            "out {holders}").format(
            company=name(draw.company), ranked=ranked, winners=", ".join(draw.winners),
            holders=", ".join(draw.holders))))
    for move in a.moves:
        notes.append(_note(move.company, "utjämning", sheet_("chain {chain}: {company} from {giver} to {taker} "
                                                             "({why})").format(
            chain=move.chain, company=name(move.company), giver=move.from_member, taker=move.to_member,
            why=move.why)))
    for member in members:
        notes.append(_note("", "resultat", sheet_("{member}: {n} companies: {companies}").format(
            member=member, n=len(a.bundles[member]), companies=", ".join(name(k) for k in a.bundles[member]))))
    return notes


class NoWishes(InvalidInput):
    """A split with no wish to split: `companies` in Skörd (0: the tab was never prepared),
    `members`, and `problem`, why the marks there cannot count, if that is why."""

    def __init__(self, message: str, companies: int = 0, members: int = 0, problem: str = ""):
        super().__init__(message)
        self.companies, self.members, self.problem = companies, members, problem


class SkordMissing(MissingTab):
    "The group CRM has no Skörd tab: the split was ordered before the tab was prepared."


def require_wishes(wishes: dict[str, dict], companies: int, left_out: list[str] = ()) -> None:
    """Refuse a split with no wish at all: it would hand out nothing, yet give IDs, log an
    audit and report success, and the group would not learn what it forgot. `left_out`: the
    rows whose marks cannot count (`SkordRows.unknown`), named rather than "nobody"."""
    if any(wishes.values()):
        return
    if left_out:
        raise NoWishes(_("no wish in Skörd can be split: {problem}").format(problem=left_out[0]), companies,
                       len(wishes), left_out[0])
    if not companies:
        raise NoWishes(_("nobody has entered wishes in Skörd: it lists no companies yet; run `chas-sheets harvest "
                         "--prepare` to list the group's warm companies there, then each member marks the ones "
                         "they want in their own column (x, or 1, 2, 3 … most wanted first) before the split"),
                       0, len(wishes))
    raise NoWishes(_("nobody has entered wishes in Skörd ({companies} companies, {members} members): each member "
                     "marks the companies they want in their own column (x, or 1, 2, 3 … most wanted first), "
                     "then run the split again").format(companies=companies, members=len(wishes)),
                   companies, len(wishes))


def plan_split(group_tables: Tables, seed: str, today: dt.date,
               reachable: Callable[[str], bool] = lambda reference: True,
               ) -> tuple[ChangeSet, list[CopyPlan], SplitReport]:
    """Split the marked companies; fill `Tilldelad`, log the audit, plan each member's copy.

    `reachable` tells a CRM link the run can follow; the others are not named for `undo`.
    """
    skord = group_tables.get(SKORD)
    if skord is None:
        raise SkordMissing(_("{target} has no tab '{tab}': run `chas-sheets harvest --prepare` first").format(
            target=group_tables.source, tab=SKORD))
    members = member_names(group_tables)
    companies = group_companies(group_tables, today)
    rows = skord_rows(skord, companies)
    wishes = read_wishes(skord, members, rows)
    require_wishes(wishes, len(rows.keys) + len(rows.unknown), rows.unknown)
    allocation = allocate(wishes, seed, version=logged_version(group_tables, commitment(wishes), seed))
    keys = list(rows.keys.values())
    names = {company_key: skord.text(row, COMPANY) for row, company_key in rows.keys.items()}
    report = SplitReport(group_tables.source, allocation, names, members)
    report.warnings += rows.unknown
    fixed = fixed_source(group_tables)
    report.seed_source = fixed.describe() if fixed else ""
    in_skord = set(keys)
    report.unclaimed = [names[k] for k in keys if k not in allocation.holders]
    report.cold = sorted((c.name for c in companies.companies.values()
                          if c.key not in in_skord and not c.warm), key=str.casefold)

    changes = group_tables.id_changes()
    for row, company_key in rows.new_keys.items():  # a row typed by hand gets its company's key
        changes.ids.append(IdAssignment(SKORD, skord.sheet_rows[row], skord.unkeyed_cells[row], None, company_key))
    holders = allocation.holders
    for row, key in rows.keys.items():
        new = ", ".join(holders.get(key, ())) or None
        old = skord.df.at[row, ASSIGNED] if skord.has(ASSIGNED) else None
        if as_text(old) != as_text(new):
            changes.set_cell(SKORD, key, ASSIGNED, old, new, "harvest split")
    leads, log = group_tables["Leads"], group_tables.get("Kontaktlogg")
    lead_columns = [c for c in contract().tab("Leads").headers if leads.has(c)]
    log_columns = [c for c in contract().tab("Kontaktlogg").headers if log is not None and log.has(c)]
    link_of = {row.row_id: row for row in companies.links.rows}
    company_leads: dict[str, list[dict]] = {}
    log_rows: dict[str, list[dict]] = {}
    for key in (k for k in keys if k in holders):
        company = companies.find(key, names[key])
        if company is None:
            report.warnings.append(_("Skörd row {row} ({company}) matches no company in Leads any more: "
                                     "nothing to copy for it").format(row=skord.sheet_rows[key], company=names[key]))
            continue
        company_leads[key] = [{c: leads.df.at[lead, c] for c in lead_columns} for lead in company.lead_ids]
        log_rows[key] = []
        for row_id in company.log_row_ids:
            row = {c: log.df.at[row_id, c] for c in log_columns}
            linked = [lead for lead in link_of[row_id].lead_ids if lead in company.lead_ids]
            row["Lead-ID"] = linked[0] if len(linked) == 1 else None
            log_rows[key].append(row)

    medlemmar = group_tables["Medlemmar"]
    reference = {medlemmar.text(r, "Namn"): medlemmar.text(r, "Individuellt CRM") for r in medlemmar.df.index}
    plans = [CopyPlan(member, reference.get(member, ""), allocation.bundles[member],
                      {k: company_leads[k] for k in allocation.bundles[member] if k in company_leads},
                      {k: log_rows[k] for k in allocation.bundles[member] if k in log_rows})
             for member in members]
    previous = previous_splits(group_tables).get(allocation.commitment)
    if previous and previous[0] == seed:
        report.already_logged = previous[1]
    else:
        changes.appends.extend(audit_notes(allocation, names, members))
        # The CRMs this run will write too, for `undo` (its multi-spreadsheet convention).
        changes.appends.extend(RowAppend(LOG_TAB, {"Kolumn": RUN_IN, "Efter": plan.reference}, "harvest copies here")
                               for plan in plans if plan.companies and plan.reference and reachable(plan.reference))
    return changes, plans, report


__all__ = ["ALGORITHM_VERSION", "AUDIT_COLUMN", "CopyPlan", "NoWishes", "SkordMissing", "SplitReport", "audit_notes",
           "plan_split", "previous_splits"]
