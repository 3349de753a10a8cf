"""`dedupe`: merge duplicate leads of one CRM (pure planner, no I/O).

Two `Leads` rows are the same lead when they are the same company (`company.cluster_companies`
over Företag, Org.nr, Webbplats and the E-post domain) and their contact persons do not differ
(the same name, e-mail or phone, or one side blank). Per company:
- each lead's rows merge into the survivor, the oldest row (by `Tillagd`, then sheet order):
  its blank cells are filled from the others, distinct comments are joined, `Temperatur`
  `Varm` wins (there has been a dialogue), and any other value that differs is noted in the
  comment; the removed rows go whole to Ändringslogg (`RowRemoval`), so nothing is lost;
- rows of one company with different contact persons are separate leads and are kept, but
  when the company is spelled several ways every row gets the most complete spelling, so that
  companies count right;
- `Kontaktlogg` rows pointing at a removed lead are re-pointed to its survivor, and rows that
  found a changed lead by company name get its `Lead-ID`, so renaming never unlinks them.
Weaker (fuzzy) matches are only listed for review and merged when the user confirms a pair.
A lead whose joined comment would be longer than a cell holds is not merged (reported): its
rows stay as they are, nothing cut.

A second run must change nothing. Renaming a row can change the evidence its company was
found by (a name shared by two conflicting companies), so the plan is checked by planning
again on the rows as they would be after it; a company whose renaming would not settle keeps
the names as typed (reported).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from chas_sheets.company.matching import (
    CompanyRef,
    cluster_companies,
    company_key,
    name_fingerprint,
    parse_orgnr,
    registrable_domain,
)
from chas_sheets.i18n import _, ngettext, sheet_
from chas_sheets.privacy import PRIVATE_COLUMNS, mask_text, shown
from chas_sheets.processed.contactlog import link_log, same_person
from chas_sheets.programme.calendar import parse_date
from chas_sheets.sheet.changes import ChangeSet, RowRemoval
from chas_sheets.sheet.tables import Table, Tables
from chas_sheets.sheet.values import as_text, is_blank

COMMENT = "Kommentar"
TEMPERATURE, WARM = "Temperatur", "Varm"
# Columns not merged cell by cell: the name is unified, the survivor is the oldest row, and
# comments are joined.
_NOT_MERGED = frozenset({"ID", "Företag", "Tillagd", COMMENT})
# An .xlsx cell holds 32,767 characters, a Google cell 50,000 (longer is refused whole): a lead
# whose joined comment would not fit either is not merged; cutting it would lose a person's text.
MOST_CELL_CHARACTERS = 32_767


@dataclass(frozen=True)
class _Lead:
    """One Leads row as the planner sees it: its ID, age and cells (label -> value)."""

    lead_id: str
    order: tuple  # (Tillagd or date.max, sheet row): oldest first
    values: Mapping[str, object]

    def text(self, column: str) -> str:
        return as_text(self.values.get(column))


@dataclass(frozen=True)
class LeadMerge:
    """Rows of one lead merged into the survivor."""

    company: str  # the company's display name
    company_key: str
    evidence: tuple[str, ...]
    survivor: str
    removed: tuple[str, ...]
    merged: Mapping[str, object]  # the survivor's cells after the merge
    filled: tuple[str, ...]  # columns filled from the removed rows

    def to_dict(self) -> dict:
        return {"company": self.company, "key": self.company_key, "evidence": list(self.evidence),
                "survivor": self.survivor, "removed": list(self.removed), "filled": list(self.filled),
                "merged": {column: shown_cell(column, value) for column, value in self.merged.items()
                           if not is_blank(value)}}


@dataclass(frozen=True)
class Rename:
    lead_id: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class ReviewCandidate:
    """Two companies that may be one: merged only when the user confirms (`--merge A,B`)."""

    a: tuple[str, ...]  # lead IDs of each side
    b: tuple[str, ...]
    name_a: str
    name_b: str
    score: int
    reason: str

    @property
    def merge_option(self) -> str:
        return f"--merge {self.a[0]},{self.b[0]}"

    def to_dict(self) -> dict:
        return {"a": list(self.a), "b": list(self.b), "name_a": self.name_a, "name_b": self.name_b,
                "score": self.score, "reason": self.reason, "merge": self.merge_option}


@dataclass
class DedupeReport:
    target: str
    leads: int = 0
    companies: int = 0
    merges: list[LeadMerge] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    repointed: list[tuple[int, str, str]] = field(default_factory=list)  # (log sheet row, old, new)
    review: list[ReviewCandidate] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # companies whose merging would not settle
    unnamed: dict[str, int] = field(default_factory=dict)  # ID drawn by this plan -> sheet row
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"target": self.target, "leads": self.leads, "companies": self.companies,
                "merges": [m.to_dict() for m in self.merges],
                "renames": [vars(r) for r in self.renames],
                "repointed": [{"log_row": row, "old": old, "new": new} for row, old, new in self.repointed],
                "review": [c.to_dict() for c in self.review], "left_alone": self.left_alone,
                "warnings": self.warnings}

    def render(self, applied: bool = False) -> list[str]:
        """Lines for people. In a dry run a row that has no ID yet is named by its sheet row:
        the ID it will get is drawn when the plan is written (`applied` shows it)."""
        def name(lead_id: str) -> str:
            return lead_id if applied or lead_id not in self.unnamed else _("row {row}").format(
                row=self.unnamed[lead_id])

        def names(ids) -> str:
            return ", ".join(map(name, ids))

        removed = sum(len(m.removed) for m in self.merges)
        lines = [ngettext("{target}: {leads} leads, {companies} companies; {merges} duplicate leads ({removed} rows to "
                          "merge), {renames} company names to unify, {pairs} pair to review",
                          "{target}: {leads} leads, {companies} companies; {merges} duplicate leads ({removed} rows to "
                          "merge), {renames} company names to unify, {pairs} pairs to review", len(self.review)).format(
            target=self.target, leads=self.leads, companies=self.companies, merges=len(self.merges), removed=removed,
            renames=len(self.renames), pairs=len(self.review))]
        for merge in self.merges:
            lines.append(_("{company}: {ids} are one lead (joined by {evidence})").format(
                company=merge.company, ids=names((merge.survivor, *merge.removed)),
                evidence="; ".join(merge.evidence) or _("the same name")))
            keep = _("keep {id} (oldest), remove {removed}").format(id=name(merge.survivor), removed=names(merge.removed))
            if merge.filled:
                keep += _(", filling {columns}").format(columns=", ".join(merge.filled))
            lines.append(f"  {keep}")
            for column, value in merge.merged.items():
                if not is_blank(value) and column != "ID":
                    text = shown_cell(column, value)
                    for removed_id in merge.removed:  # the comment's note (sheet text) names a removed row
                        text = text.replace(duplicate_note(removed_id), duplicate_note(name(removed_id)))
                    lines.append(f"    {column}: {' / '.join(text.splitlines())}")
        if self.merges:  # the plan reads values only: the notes themselves are seen when writing
            lines.append(_("notes and links on a removed row's cells go onto the same cells of the row kept (a note "
                           "below its own note, a link where it has none) and, with the whole row, into Ändringslogg"))
        for rename in self.renames:
            lines.append(_("Leads {id}: Företag {old} -> {new} ({reason})").format(
                id=name(rename.lead_id), old=repr(rename.old), new=repr(rename.new), reason=rename.reason))
        for row, old, new in self.repointed:
            target = new if name(new) == new else _("the lead in Leads {row}").format(row=name(new))
            lines.append(_("Kontaktlogg row {row}: Lead-ID {old} -> {new}").format(
                row=row, old=old or _("(blank)"), new=target))
        if self.review:
            lines.append(_("To review (merged only when you confirm with --merge ID,ID):"))
        for c in self.review:
            hint = c.merge_option if applied or not set(c.a[:1] + c.b[:1]) & set(self.unnamed) else \
                _("no IDs yet: --apply gives them theirs, then confirm with --merge")
            lines.append("  " + _("{name_a} [{ids_a}] ~ {name_b} [{ids_b}]: score {score}, {reason}; {hint}").format(
                name_a=c.name_a, ids_a=names(c.a), name_b=c.name_b, ids_b=names(c.b), score=c.score, reason=c.reason,
                hint=hint))
        lines += [_("left as they are: {company}: merging or renaming its rows would change which company other rows "
                    "with the same name, website or org number belong to; review by hand").format(company=company)
                  for company in self.left_alone]
        lines += [_("warning: {warning}").format(warning=w) for w in self.warnings]
        return lines


def duplicate_note(lead_id: str) -> str:
    """How a merged lead's comment names a removed row whose values differed (sheet text)."""
    return sheet_("Duplicate {id}:").format(id=lead_id)


def _noted(column: str, value: str) -> str:
    """A differing value as the merged comment notes it. A contact detail is not copied into
    free text (that would spread it where no column says it is personal): the note names the
    column, and the removed row, whole in Ändringslogg, still holds the value."""
    if column in PRIVATE_COLUMNS:
        return sheet_("{column} differs (see Ändringslogg)").format(column=column)
    return f"{column} {value}"


def shown_cell(column: str, value: object) -> str:
    """A cell as output may show it: contact columns masked, and comments too (people type
    phone numbers and e-mail addresses into them)."""
    return mask_text(value) if column == COMMENT else shown(column, value)


# ---------------------------------------------------------------------------- who is who

def _phone_digits(value: object) -> str:
    digits = re.sub(r"\D", "", as_text(value))
    for prefix in ("0046", "46"):
        if digits.startswith(prefix) and len(digits) >= len(prefix) + 8:
            return "0" + digits[len(prefix):]
    return digits


def contacts_differ(a: _Lead, b: _Lead) -> bool:
    """Whether two rows name different contact persons. They are the same person when the
    name (forgiving), the e-mail or the phone agrees; they differ when some detail is on
    both rows and disagrees; otherwise one side is blank and they do not differ."""
    pairs = [(same_person(a.values.get("Kontaktperson"), b.values.get("Kontaktperson")),
              a.text("Kontaktperson"), b.text("Kontaktperson")),
             (a.text("E-post").lower() == b.text("E-post").lower(), a.text("E-post"), b.text("E-post")),
             (_phone_digits(a.values.get("Telefon")) == _phone_digits(b.values.get("Telefon")),
              a.text("Telefon"), b.text("Telefon"))]
    if any(same and x and y for same, x, y in pairs):
        return False
    return any(x and y for _, x, y in pairs)


def _leads_of_company(rows: list[_Lead]) -> list[list[_Lead]]:
    """Rows of one company grouped into leads, oldest first. A row fits a lead when it
    differs from none of its rows; a row that fits several leads and names its contact by
    no shared detail joins none of them (it is kept and merges nothing)."""
    leads: list[list[_Lead]] = []
    for row in sorted(rows, key=lambda r: r.order):
        fits = [lead for lead in leads if not any(contacts_differ(row, other) for other in lead)]
        if len(fits) == 1:
            fits[0].append(row)
        else:
            leads.append([row])
    return leads


# ---------------------------------------------------------------------------- merging

def _same_value(column: str, a: object, b: object) -> bool:
    if column == "Org.nr" and parse_orgnr(a) and parse_orgnr(a) == parse_orgnr(b):
        return True
    if column == "Webbplats" and registrable_domain(a) and registrable_domain(a) == registrable_domain(b):
        return True  # one site, typed with or without www. and a page
    if column == "Telefon":
        return _phone_digits(a) == _phone_digits(b)
    return " ".join(as_text(a).casefold().split()) == " ".join(as_text(b).casefold().split())


def _join_comments(texts: Iterable[str]) -> str:
    """Distinct comments in order; one already contained in another is dropped."""
    kept: list[str] = []
    for text in texts:
        key = " ".join(text.casefold().split())
        if key and not any(key in " ".join(k.casefold().split()) for k in kept):
            kept = [k for k in kept if " ".join(k.casefold().split()) not in key] + [text]
    return "\n".join(kept)


def merge_rows(rows: list[_Lead]) -> tuple[dict[str, object], tuple[str, ...]]:
    """The survivor's (rows[0]'s) cells after merging the others into it, and the columns
    filled from them. Values that differ from the survivor's are noted in the comment."""
    survivor, others = rows[0], rows[1:]
    merged = dict(survivor.values)
    filled, notes = [], []
    for column in merged:
        if column in _NOT_MERGED:
            continue
        for other in others:
            value = other.values.get(column)
            if is_blank(value):
                continue
            if is_blank(merged[column]):
                merged[column] = value
                filled.append(column)
            elif column == TEMPERATURE:
                if as_text(value).casefold() == WARM.casefold():
                    merged[column] = value
            elif not _same_value(column, merged[column], value):
                notes.append((other.lead_id, column, as_text(value)))
    if COMMENT in merged:
        noted: dict[str, list[str]] = {}
        for lead_id, column, value in notes:
            noted.setdefault(lead_id, []).append(_noted(column, value))
        texts = [r.text(COMMENT) for r in rows] + [f"{duplicate_note(lead_id)} {'; '.join(parts)}"
                                                  for lead_id, parts in noted.items()]
        joined = _join_comments(texts)
        if joined != survivor.text(COMMENT):
            merged[COMMENT] = joined
            if survivor.text(COMMENT) == "" and COMMENT not in filled:
                filled.append(COMMENT)
    return merged, tuple(dict.fromkeys(filled))


# ---------------------------------------------------------------------------- planning

@dataclass
class _Decision:
    merges: list[LeadMerge]
    renames: list[Rename]
    review: list[ReviewCandidate]
    companies: int
    survivor_of: dict[str, str]  # removed lead ID -> survivor
    key_of: dict[str, str]  # lead ID -> its company's cluster key
    names: dict[str, str] = field(default_factory=dict)  # cluster key -> display name
    too_long: list[tuple[tuple[str, ...], int]] = field(default_factory=list)  # (lead IDs, joined comment length)


def _decide(rows: list[_Lead], confirmed: list[tuple[str, str]], kept: set[str]) -> _Decision:
    refs = [CompanyRef(r.lead_id, r.values.get("Företag"), r.values.get("Org.nr"), r.values.get("Webbplats"),
                       r.values.get("E-post"), r.values.get("Ort") or "") for r in rows if r.text("Företag")]
    clusters = cluster_companies(refs, confirmed)
    by_id = {r.lead_id: r for r in rows}
    decision = _Decision([], [], [], len(clusters), {}, {})
    for cluster in clusters.clusters:
        members = [by_id[ref] for ref in cluster.members]
        decision.key_of.update({ref: cluster.key for ref in cluster.members})
        decision.names[cluster.key] = cluster.name
        leads = _leads_of_company(members)
        rename = len({m.text("Företag") for m in members}) > 1 and cluster.key not in kept
        for lead in leads:
            if len(lead) > 1 and cluster.key not in kept:
                merged, filled = merge_rows(lead)
                if len(as_text(merged.get(COMMENT))) > MOST_CELL_CHARACTERS:
                    decision.too_long.append((tuple(r.lead_id for r in lead), len(as_text(merged.get(COMMENT)))))
                    continue
                if rename:
                    merged["Företag"] = cluster.name
                decision.merges.append(LeadMerge(cluster.name, cluster.key, cluster.evidence, lead[0].lead_id,
                                                 tuple(r.lead_id for r in lead[1:]), merged, filled))
                decision.survivor_of.update({r.lead_id: lead[0].lead_id for r in lead[1:]})
        if rename:
            reason = _("one company, one lead") if len(leads) == 1 else _(
                "one company, {n} contact persons").format(n=len(leads))
            decision.renames += [Rename(lead[0].lead_id, lead[0].text("Företag"), cluster.name, reason)
                                 for lead in leads if lead[0].text("Företag") != cluster.name]
    for pair in clusters.review:
        a, b = clusters[pair.a], clusters[pair.b]
        decision.review.append(ReviewCandidate(tuple(map(str, a.members)), tuple(map(str, b.members)),
                                               a.name, b.name, pair.score, pair.reason))
    return decision


def _after(rows: list[_Lead], decision: _Decision) -> list[_Lead]:
    """The rows as they would be once the decision is written."""
    merged = {m.survivor: m.merged for m in decision.merges}
    names = {r.lead_id: r.new for r in decision.renames}
    result = []
    for row in rows:
        if row.lead_id in decision.survivor_of:
            continue
        values = dict(merged.get(row.lead_id, row.values))
        if row.lead_id in names:
            values["Företag"] = names[row.lead_id]
        result.append(replace(row, values=values))
    return result


def _settled(rows: list[_Lead], confirmed: list[tuple[str, str]]) -> tuple[_Decision, set[str]]:
    """Decide, then decide again on the rows as they would be after it. Where the second
    decision would change more (a merge or a new spelling removed or added evidence that
    other rows were matched by), the companies sharing any evidence with the rows that would
    change are left as they are, and the user is told; a later run finds the same and leaves
    them too. Returns the decision and the cluster keys left alone."""
    kept: set[str] = set()
    evidence = {r.lead_id: _evidence_keys(r) for r in rows}
    while True:
        decision = _decide(rows, confirmed, kept)
        survivors = decision.survivor_of
        again = _decide(_after(rows, decision),
                        [(survivors.get(a, a), survivors.get(b, b)) for a, b in confirmed
                         if survivors.get(a, a) != survivors.get(b, b)], kept)
        moved = {r.lead_id for r in again.renames} | {i for m in again.merges for i in (m.survivor, *m.removed)}
        if not moved:
            return decision, kept
        keys = set().union(*(evidence.get(i, ()) for i in moved))
        unsettled = {decision.key_of[i] for i in evidence if evidence[i] & keys and i in decision.key_of}
        if unsettled <= kept:  # cannot happen while clustering is a function of the rows; be safe
            return decision, kept
        kept |= unsettled


def _evidence_keys(row: _Lead) -> frozenset[str]:
    """What a row can be matched by: org number, domains and their names, name keys."""
    domains = {registrable_domain(row.values.get(c)) for c in ("Webbplats", "E-post")} - {None}
    keys = {f"orgnr {parse_orgnr(row.values.get('Org.nr'))}", f"fingerprint {name_fingerprint(row.text('Företag'))}",
            f"compact {company_key(row.text('Företag'))}"}
    keys |= {f"domain {d}" for d in domains} | {f"label {d.split('.', 1)[0]}" for d in domains}
    return frozenset(keys - {"orgnr None", "fingerprint ", "compact "})


def _rows(leads: Table) -> list[_Lead]:
    rows = []
    for lead_id in leads.df.index:
        values = {column: leads.df.at[lead_id, column] for column in leads.df.columns}
        added = parse_date(values.get("Tillagd")) or dt.date.max
        rows.append(_Lead(str(lead_id), (added, leads.sheet_rows[lead_id]), values))
    return rows


def plan_dedupe(tables: Tables, confirmed_pairs: Iterable[tuple[str, str]] = (),
                today: dt.date | None = None) -> tuple[ChangeSet, DedupeReport]:
    """The change set that merges duplicate leads, unifies company names and re-points the log."""
    changes = tables.id_changes()
    leads, log = tables["Leads"], tables.get("Kontaktlogg")
    report = DedupeReport(tables.source, leads=len(leads.df))
    rows = _rows(leads)
    known = {r.lead_id for r in rows}
    confirmed = []
    for a, b in confirmed_pairs:
        missing = [i for i in (a, b) if i not in known]
        if missing:
            report.warnings.append(_("--merge {a},{b}: no lead {id} in Leads (already merged?); ignored").format(
                a=a, b=b, id=missing[0]))
        else:
            confirmed.append((a, b))
    decision, kept = _settled(rows, confirmed)
    report.left_alone = sorted({decision.names[key] for key in kept if key in decision.names})
    report.companies, report.merges, report.renames = decision.companies, decision.merges, decision.renames
    report.review = decision.review
    for ids, length in decision.too_long:
        report.warnings.append(_("Leads rows {rows}: one lead, but its comments joined would be {n} characters, more "
                                 "than a cell holds ({most}); not merged: shorten a Kommentar or merge the rows by "
                                 "hand").format(rows=", ".join(str(leads.sheet_rows[i]) for i in ids), n=length,
                                                most=MOST_CELL_CHARACTERS))
    by_id = {r.lead_id: r for r in rows}
    new_ids = {a.new: a.old for a in leads.id_assignments}
    report.unnamed = {a.new: a.sheet_row for a in leads.id_assignments}
    for merge in decision.merges:
        survivor = by_id[merge.survivor]
        for column, value in merge.merged.items():
            if column != "Företag" and not _identical(survivor.values.get(column), value):
                changes.set_cell("Leads", merge.survivor, column, survivor.values.get(column), value,
                                 f"merged with {', '.join(merge.removed)}")
        for removed in merge.removed:
            values = dict(by_id[removed].values)
            if removed in new_ids:  # the sheet has no ID there yet: compare what it holds
                values["ID"] = new_ids[removed]
            # its cells' notes and links go onto the same cells of the row kept (when writing: the
            # plan reads values only), and with the row into Ändringslogg
            changes.removals.append(RowRemoval("Leads", removed, values, f"duplicate of {merge.survivor}",
                                               keep_on=merge.survivor))
    for rename in decision.renames:
        changes.set_cell("Leads", rename.lead_id, "Företag", by_id[rename.lead_id].values.get("Företag"),
                         rename.new, rename.reason)
    if log is not None:
        _repoint_log(changes, report, leads, log, decision, today)
    return changes, report


def _identical(a: object, b: object) -> bool:
    return (is_blank(a) and is_blank(b)) or (type(a) is type(b) and a == b)


def _repoint_log(changes: ChangeSet, report: DedupeReport, leads: Table, log: Table, decision: _Decision,
                 today: dt.date | None) -> None:
    """Lead-ID of log rows: a removed lead's survivor; filled where the row found a changed
    lead by its company name (the name may not find it after the change)."""
    survivor_of = decision.survivor_of
    names = {r.lead_id: r.new for r in decision.renames}
    changed = set(survivor_of) | set(names) | {m.survivor for m in decision.merges}
    if not changed:
        return
    links = link_log(leads, log, today or dt.date.today())
    for row in links.rows:
        cell = log.df.at[row.row_id, "Lead-ID"] if log.has("Lead-ID") else None
        current = as_text(cell)
        if current in survivor_of:
            new = survivor_of[current]
        elif not current and set(row.lead_ids) & changed:
            targets = {survivor_of.get(i, i) for i in row.lead_ids}
            if len(targets) > 1 and all(company_key(names.get(i, leads.text(i, "Företag"))) == company_key(row.company)
                                        for i in targets):
                continue  # its company name still finds the same leads
            if len(targets) != 1:
                report.warnings.append(_("Kontaktlogg row {row} ({company}): matches several leads; set its Lead-ID by "
                                         "hand so it keeps counting after the change").format(
                    row=row.sheet_row, company=row.company))
                continue
            new = targets.pop()
        else:
            continue
        changes.set_cell("Kontaktlogg", row.row_id, "Lead-ID", cell, new, "the lead was merged or renamed")
        report.repointed.append((row.sheet_row, current, new))
