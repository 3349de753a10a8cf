"""The harvest, part 1: the group's warm companies, the `Skörd` tab and the wishes in it (pure).

`plan_prepare` writes or extends `Skörd`: one row per warm company, one column per member,
`Antal leads`, `Senaste kontakt` and `Företagsnyckel` (the stable key addressing the row).
`read_wishes` reads the members' marks back for the split (`harvest.split`), which copies the
leads into the members' CRMs (`harvest.copy_leads`); `harvest.run` does the I/O.

Decisions where the rules are silent:
- Warm: a lead of the company has `Temperatur` `Varm`, or the company's log holds an answer
  (`Svar`/`Ja`) and no `Nej` at all (a `Nej` from one contact person cools the company).
- A company is a cluster of `company.cluster_companies` (org.nr, domain, name), so spelling
  variants are one row. Its `Företagsnyckel` is the cluster key when the row is made and never
  changes: a later read finds the row by that key, or else by the company's name, so a key
  that would change (an org.nr typed in later) does not make a second row.
- A first prepare (no rows in `Skörd` yet) writes the tab whole, member columns between
  `Företag` and `Antal leads`, under one row above the table that says how the split shares
  the companies (`rule_note`): the header is found below it (a title row is allowed above a
  header), so the note never stands where members mark, and a tab without it reads the same. Later prepares only add rows at the end and, for a new member,
  a column at the right end (the foundation cannot insert columns), and update `Antal leads`
  and `Senaste kontakt`; marks are never touched and rows that cooled are kept (reported).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from chas_sheets.company.matching import CompanyRef, cluster_companies, company_key
from chas_sheets.errors import InvalidInput
from chas_sheets.harvest.lottery import RULE, Wishes, marked, parse_wish
from chas_sheets.i18n import _, ngettext, sheet_
from chas_sheets.processed.contactlog import LogLinks, link_log, same_person
from chas_sheets.processed.rules import JA, NEJ, SVAR
from chas_sheets.sheet.changes import ChangeSet, RowAppend, TabReplacement
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import Table, Tables
from chas_sheets.sheet.values import as_text, is_blank
from chas_sheets.text import fold

SKORD = "Skörd"
KEY = "Företagsnyckel"
COMPANY = "Företag"
LEADS_COUNT, LAST_CONTACT, ASSIGNED = "Antal leads", "Senaste kontakt", "Tilldelad"
TOOL_COLUMNS = (LEADS_COUNT, LAST_CONTACT, ASSIGNED, KEY)
WARM = "Varm"


# --- the group's companies -------------------------------------------------------------------


@dataclass(frozen=True)
class Company:
    """One company of the group CRM: its leads, its log rows and whether it is warm."""

    key: str  # the cluster key
    name: str  # the display name (most complete spelling)
    lead_ids: tuple[str, ...]  # in sheet order
    log_row_ids: tuple[str, ...]  # Kontaktlogg rows linked to its leads, in sheet order
    last_contact: dt.date | None
    warm_because: str  # "" when not warm

    @property
    def warm(self) -> bool:
        return bool(self.warm_because)


@dataclass
class GroupCompanies:
    """Every company of the group CRM, and the log links they were built from."""

    companies: dict[str, Company]  # cluster key -> company
    links: LogLinks
    names: dict[str, set[str]] = field(default_factory=dict)  # cluster key -> company_key of each spelling

    @property
    def warm(self) -> list[Company]:
        return [c for c in self.companies.values() if c.warm]

    def find(self, key: str, name: object) -> Company | None:
        """The company a `Skörd` row means: by its key, else by its name (one company only)."""
        if key in self.companies:
            return self.companies[key]
        wanted = company_key(name)
        found = [self.companies[k] for k, spellings in self.names.items() if wanted and wanted in spellings]
        return found[0] if len(found) == 1 else None


def group_companies(tables: Tables, today: dt.date) -> GroupCompanies:
    """Cluster the leads into companies and tell which are warm (module doc). Once per read:
    the harvest asks it for the seed's commitment and again for the split."""
    leads = tables["Leads"]
    return leads.memo(("group_companies", today), tables.get("Kontaktlogg"),
                      lambda: _group_companies(tables, today))


def _group_companies(tables: Tables, today: dt.date) -> GroupCompanies:
    leads, log = tables["Leads"], tables.get("Kontaktlogg")
    refs = [CompanyRef(lead_id, leads.text(lead_id, "Företag"), leads.text(lead_id, "Org.nr"),
                       leads.text(lead_id, "Webbplats"), leads.text(lead_id, "E-post"), leads.text(lead_id, "Ort"))
            for lead_id in leads.df.index if leads.text(lead_id, "Företag")]
    clusters = cluster_companies(refs)
    links = link_log(leads, log, today) if log is not None else LogLinks()
    key_of = {ref.ref: clusters.key_of(ref.ref) for ref in refs}
    rows_of: dict[str, list] = {}
    for row in links.rows:
        for key in dict.fromkeys(key_of[lead] for lead in row.lead_ids if lead in key_of):
            rows_of.setdefault(key, []).append(row)
    order = {lead: n for n, lead in enumerate(leads.df.index)}
    temperature = contract().tab("Leads").column("Temperatur")
    companies, names = {}, {}
    for cluster in clusters.clusters:
        rows = rows_of.get(cluster.key, [])
        attempts = [row.attempt for row in rows if row.attempt is not None]
        outcomes = {attempt.outcome for attempt in attempts}
        warm_leads = [lead for lead in cluster.members
                      if leads.has("Temperatur") and temperature.canonical_value(leads.df.at[lead, "Temperatur"]) == WARM]
        if warm_leads:
            why = _("Temperatur Varm")
        elif outcomes & {SVAR, JA} and NEJ not in outcomes:
            answered = max(a.date for a in attempts if a.outcome in (SVAR, JA))
            why = _("an answer in Kontaktlogg {date}").format(date=answered.isoformat())
        else:
            why = ""
        companies[cluster.key] = Company(
            cluster.key, cluster.name, tuple(sorted(cluster.members, key=order.__getitem__)),
            tuple(row.row_id for row in rows), max((a.date for a in attempts), default=None), why)
        names[cluster.key] = {company_key(leads.text(lead, "Företag")) for lead in cluster.members}
    return GroupCompanies(companies, links, names)


# --- members and the Skörd columns -----------------------------------------------------------


def member_names(tables: Tables) -> list[str]:
    """`Medlemmar.Namn` in sheet order; two members whose names fold alike are an error."""
    members = tables["Medlemmar"]
    names, seen = [], {}
    for row_id in members.df.index:
        name = members.text(row_id, "Namn")
        if not name:
            continue
        if fold(name) in seen:
            raise InvalidInput(_("tab '{tab}': the name '{name}' is there twice (rows {first} and {second}); members "
                                 "must differ by name").format(tab=members.title, name=name, first=seen[fold(name)],
                                                               second=members.sheet_rows[row_id]))
        seen[fold(name)] = members.sheet_rows[row_id]
        names.append(name)
    return names


def _matches(label: str, member: str) -> bool:
    return fold(label) == fold(member) or same_person(label, member)


def member_columns(skord: Table, members: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Skörd column label -> member, and the columns that match no member.

    A column matches the member whose `Namn` folds the same ('nora LARSSON'), else the one
    member it names forgivingly (a first name alone, an initial); a column that could be two
    members is an error naming both.
    """
    tool = {COMPANY, *TOOL_COLUMNS}
    matched: dict[str, str] = {}
    unmatched: list[str] = []
    for label in skord.df.columns:
        if label in tool:
            continue
        exact = [m for m in members if fold(m) == fold(label)]
        found = exact or [m for m in members if _matches(label, m)]
        if len(found) > 1:
            raise InvalidInput(_("tab '{tab}', column '{column}': could be {members}; write the member's full name "
                                 "as in Medlemmar").format(tab=skord.title, column=label,
                                                           members=_(" or ").join(found)))
        if found:
            if found[0] in matched.values():
                other = next(k for k, v in matched.items() if v == found[0])
                raise InvalidInput(_("tab '{tab}': columns '{first}' and '{second}' are both {member}; keep one")
                                   .format(tab=skord.title, first=other, second=label, member=found[0]))
            matched[label] = found[0]
        else:
            unmatched.append(label)
    return matched, unmatched


# --- prepare ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedRow:
    key: str
    name: str
    leads: int
    last_contact: dt.date | None
    why: str
    new: bool


@dataclass
class PrepareReport:
    target: str
    rows: list[PreparedRow] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    new_member_columns: list[str] = field(default_factory=list)
    rewritten: bool = False
    warnings: list[str] = field(default_factory=list)
    seed_source: str = ""  # the seed source this run fixes, described

    def to_dict(self) -> dict:
        return {"target": self.target, "rewritten": self.rewritten, "members": self.members,
                "seed_source": self.seed_source,
                "new_member_columns": self.new_member_columns, "warnings": self.warnings,
                "companies": [vars(row) for row in self.rows]}

    def render(self) -> list[str]:
        new = sum(row.new for row in self.rows)
        head = ngettext("Skörd: {n} warm company ({new} new), {members} members",
                        "Skörd: {n} warm companies ({new} new), {members} members", len(self.rows)).format(
            n=len(self.rows), new=new, members=len(self.members))
        if self.new_member_columns:
            head += ngettext(" ({n} new column: {columns})", " ({n} new columns: {columns})",
                             len(self.new_member_columns)).format(n=len(self.new_member_columns),
                                                                  columns=", ".join(self.new_member_columns))
        lines = [head]
        for row in self.rows:
            values = {"name": row.name, "key": row.key, "n": row.leads, "why": row.why,
                      "date": row.last_contact.isoformat() if row.last_contact else ""}
            line = (ngettext("{name} [{key}]: {n} lead, last contact {date}; {why}",
                             "{name} [{key}]: {n} leads, last contact {date}; {why}", row.leads)
                    if row.last_contact else
                    ngettext("{name} [{key}]: {n} lead, no contact logged; {why}",
                             "{name} [{key}]: {n} leads, no contact logged; {why}", row.leads)).format(**values)
            lines.append(f"{'+' if row.new else ' '} {line}")
        if self.seed_source:
            lines.append(self.seed_source)
        lines += [_("warning: {warning}").format(warning=warning) for warning in self.warnings]
        return lines


def rule_note() -> str:
    """The split's rule in one sentence, in the sheet language: the row above the Skörd table."""
    return sheet_("How the harvest is split: {rule}").format(rule=marked(RULE, sheet_))


def _has_data(table: Table | None) -> bool:
    return table is not None and not table.df.map(is_blank).all().all()


def plan_prepare(group_tables: Tables, today: dt.date) -> tuple[ChangeSet, PrepareReport]:
    """The change set that writes or extends `Skörd` (module doc) and what it shows."""
    changes = group_tables.id_changes()
    report = PrepareReport(group_tables.source)
    companies = group_companies(group_tables, today)
    members = report.members = member_names(group_tables)
    skord = group_tables.get(SKORD)

    existing: dict[str, Company | None] = {}  # Skörd key -> company
    typed_by_hand: set[str] = set()  # companies on rows without a key (the split keys them)
    if skord is not None:
        for key in skord.df.index:
            if not skord.text(key, KEY) or key in skord.unkeyed_cells:
                if not skord.text(key, COMPANY):
                    continue
                company = companies.find("", skord.text(key, COMPANY))
                if company is None:
                    report.warnings.append(_("Skörd row {row} ({company}): no lead of this company in Leads; its "
                                             "marks are left out of the split").format(
                        row=skord.sheet_rows[key], company=skord.text(key, COMPANY)))
                else:  # typed by hand: the split reads it by the company's identity
                    typed_by_hand.add(company.key)
                continue
            existing[key] = companies.find(key, skord.text(key, COMPANY))
    covered = {company.key for company in existing.values() if company is not None} | typed_by_hand
    new = sorted((c for c in companies.warm if c.key not in covered), key=lambda c: (fold(c.name), c.key))
    for company in new:
        if company.key in existing:  # the key is taken by a row that now means another company
            report.warnings.append(_("{company}: its key {key} addresses another Skörd row; not added").format(
                company=company.name, key=company.key))
    new = [c for c in new if c.key not in existing]

    for key, company in existing.items():
        if company is None:
            report.warnings.append(_("Skörd row {row} ({company}) matches no company in Leads any more; kept as it "
                                     "is").format(row=skord.sheet_rows[key], company=skord.text(key, COMPANY)))
            continue
        report.rows.append(PreparedRow(key, skord.text(key, COMPANY) or company.name, len(company.lead_ids),
                                       company.last_contact, company.warm_because or _("no longer warm (kept)"),
                                       False))
        for column, value in ((LEADS_COUNT, len(company.lead_ids)), (LAST_CONTACT, company.last_contact)):
            old = skord.df.at[key, column] if skord.has(column) else None
            if as_text(old) != as_text(value):
                changes.set_cell(SKORD, key, column, old, value, "harvest --prepare")
    for company in new:
        report.rows.append(PreparedRow(company.key, company.name, len(company.lead_ids), company.last_contact,
                                       company.warm_because, True))

    if not _has_data(skord):
        report.rewritten = True
        extra = [label for label in (skord.header.headers if skord else []) if label
                 and not contract().tab(SKORD).has_column(label) and not any(_matches(label, m) for m in members)]
        headers = (COMPANY, *members, LEADS_COUNT, LAST_CONTACT, ASSIGNED, KEY, *extra)
        noted = skord is not None and skord.header.row > 1  # a row above the table: the note written before
        if not new and noted and tuple(h for h in skord.header.headers if h) == headers:
            return changes, report  # nothing to add, the layout stands: a second run writes nothing
        rows = tuple((c.name, *[None] * len(members), len(c.lead_ids), c.last_contact, None, c.key, *[None] * len(extra))
                     for c in new)
        changes.replacements.append(TabReplacement(SKORD, (rule_note(),), (headers, *rows)))
        return changes, report

    matched, _unmatched = member_columns(skord, members)
    anchor = next(iter(existing), None)
    for member in members:
        if member not in matched.values():
            report.new_member_columns.append(member)
            if anchor is not None:  # a no-op cell of an existing row makes resolve add the header
                changes.set_cell(SKORD, anchor, member, None, None, f"new member column {member}")
    if report.new_member_columns and anchor is None:
        report.warnings.append(_("Skörd has no row made by --prepare to anchor new member columns; add the columns "
                                 "{columns} by hand").format(columns=", ".join(report.new_member_columns)))
    for company in new:
        changes.appends.append(RowAppend(SKORD, {
            COMPANY: company.name, LEADS_COUNT: len(company.lead_ids), LAST_CONTACT: company.last_contact,
            KEY: company.key}, f"warm: {company.warm_because}"))
    return changes, report


# --- wishes ----------------------------------------------------------------------------------


def skord_keys(skord: Table) -> list[str]:
    """The row keys of `Skörd` rows made by --prepare; a key on two rows is an error."""
    keys = [key for key in skord.df.index if skord.text(key, KEY) and key not in skord.unkeyed_cells]
    doubles = sorted({key for key in keys if keys.count(key) > 1})
    if doubles:
        raise InvalidInput(_("tab '{tab}': {column} {key} stands on more than one row; move the marks to one of "
                             "them and delete the other").format(tab=skord.title, column=KEY, key=repr(doubles[0])))
    return keys


@dataclass
class SkordRows:
    """Which company each `Skörd` row means: a row made by --prepare by its `Företagsnyckel`;
    a row typed by hand (the sheet contract's `Företag` and one column per member, no key) by
    the company's identity in `Leads`, as --prepare finds it. `new_keys` are the hand rows'
    keys the split writes into `Företagsnyckel`; `unknown` the hand rows naming a company
    with no lead at all (their marks cannot be split: nothing to copy)."""

    keys: dict[str, str]  # row key -> the company key the wishes use
    new_keys: dict[str, str] = field(default_factory=dict)  # hand row key -> its new company key
    unknown: list[str] = field(default_factory=list)  # what to tell people, row by row


def skord_rows(skord: Table, companies: GroupCompanies) -> SkordRows:
    """Every `Skörd` row's company (class doc); a company on two rows is an error naming both."""
    prepared = set(skord_keys(skord))
    found = SkordRows({key: key for key in prepared})
    where: dict[str, int] = {}
    for key in skord.df.index:
        name = skord.text(key, COMPANY)
        if key in prepared or not name:
            if key in prepared:
                company = companies.find(key, name)
                where[company.key if company else key] = skord.sheet_rows[key]
            continue
        company = companies.find("", name)
        if company is None:
            found.unknown.append(_("Skörd row {row} ({company}): no lead of this company in Leads; its marks are left "
                                   "out of the split (add its leads, or remove the row)").format(
                row=skord.sheet_rows[key], company=name))
            continue
        if company.key in where:
            raise InvalidInput(_("tab '{tab}' rows {first} and {second} are both {company}; move the marks to one of "
                                 "them and delete the other").format(tab=skord.title, first=where[company.key],
                                                                     second=skord.sheet_rows[key], company=company.name))
        where[company.key] = skord.sheet_rows[key]
        found.keys[key] = found.new_keys[key] = company.key
    return found


def read_wishes(skord_table: Table, members: Iterable[str], rows: SkordRows | None = None) -> Wishes:
    """{member: {company key: rank or None}} from the marks, every member included.

    `rows` says which company each row means (`skord_rows`); without it only rows made by
    --prepare count. Errors name tab, row and column: a cell that is not `x`, a rank or blank;
    a column that matches no member but holds marks; marks on a row that names no company.
    """
    skord, members = skord_table, list(members)
    matched, unmatched = member_columns(skord, members)
    where = lambda key, label: _("tab '{tab}' row {row} ({company}), column '{column}'").format(  # noqa: E731
        tab=skord.title, row=skord.sheet_rows[key], company=skord.text(key, COMPANY) or _("no company"), column=label)
    for label in unmatched:
        for key in skord.df.index:
            try:
                marked = parse_wish(skord.df.at[key, label]) is not None
            except InvalidInput:
                marked = False
            if marked:
                raise InvalidInput(_("{where}: the column matches no member in Medlemmar ({members}); write the name "
                                     "as it stands there").format(where=where(key, label), members=", ".join(members)))
    keys = rows.keys if rows is not None else {key: key for key in skord_keys(skord)}
    left_out = set() if rows is None else {k for k in skord.df.index if k not in keys and skord.text(k, COMPANY)}
    wishes: dict[str, dict] = {member: {} for member in members}
    for key in skord.df.index:
        for label, member in matched.items():
            try:
                wish = parse_wish(skord.df.at[key, label])
            except InvalidInput as exc:
                raise InvalidInput(f"{where(key, label)}: {exc}") from None  # both parts translated
            if wish is None or key in left_out:  # left out: reported by skord_rows
                continue
            if key not in keys:
                raise InvalidInput(_("{where}: the row names no company; write the company in '{column}' or remove "
                                     "the marks").format(where=where(key, label), column=COMPANY))
            wishes[member][keys[key]] = wish.rank
    return wishes
