"""The harvest, part 3: one member's copy of the companies they got (pure).

Only appends: the member's own rows are never touched (not even given IDs). A lead already in
the member's CRM (the same company by `company.cluster_companies` and the same contact person,
or both without one) is not added again, and neither is a log row already there (same date,
company, contact person, channel and outcome), so re-running after a crash completes the copy
without duplicates. Nor is a row this same split already added to the member's CRM once
(`copied_before`: the member's `Ändringslogg`), even if the member has deleted it since:
completing a split copies what it never wrote, it does not undo the member's deletions.
What a copied lead gets:
- a new `ID` (never one the member's CRM has used, its `Ändringslogg` included);
- `Temperatur` `Varm`; `Källa` `Skörd <group>` with the original source in brackets;
- `Kommentar` cleaned to facts (`clean.clean_comment`), as is each log row's `Anteckning`;
- `Ansvarig` the member; `Tillagd` today where the group's row has no date; every other
  contract column as it stands in the group CRM.
Log rows point at the copied (or already present) lead through `Lead-ID` where the group's
row was linked to exactly one lead.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

from chas_sheets.clean.rules import CleanRules, clean_comment
from chas_sheets.company.matching import CompanyRef, cluster_companies, company_key
from chas_sheets.i18n import sheet_
from chas_sheets.processed.contactlog import same_person
from chas_sheets.sheet.changelog import HARVEST_AUDIT, LOG_TAB, NEW_ROW, UNDOES, decode_row, log_entries
from chas_sheets.sheet.changes import ChangeSet, RowAppend
from chas_sheets.sheet.tables import Tables, new_id_factory
from chas_sheets.sheet.values import as_text, is_blank
from chas_sheets.text import fold_words

WARM = "Varm"
COMMITMENT = "åtagande"  # the note's word, as in the group's audit: `åtagande: <SHA-256 of the wishes>`


def split_note(commitment: str) -> RowAppend:
    """The note that says in the member's `Ändringslogg` which split a copy belongs to, so a
    later run completing the same split (another run id) knows what it already wrote."""
    return RowAppend(LOG_TAB, {"Kolumn": HARVEST_AUDIT, "Efter": f"{COMMITMENT}: {commitment}"},
                     "harvest: the split this copy belongs to")


def copied_before(member_tables: Tables, commitment: str, first_run: str = "") -> dict[str, list[dict]]:
    """Tab -> the rows (as logged) that this split already added to the member's CRM: under its
    first run id (`first_run`, the group's audit) or any run whose note names the same
    commitment; a run undone since (and not redone) does not count, its rows are gone."""
    entries = log_entries(member_tables.get(LOG_TAB))
    undoers: dict[str, list[str]] = {}
    for entry in entries:
        if entry.column == UNDOES:
            undoers.setdefault(as_text(entry.after), []).append(entry.run_id)

    def undone(run_id: str, depth: int = 0) -> bool:
        return depth < 20 and any(not undone(u, depth + 1) for u in undoers.get(run_id, ()))

    note = f"{COMMITMENT}: {commitment}"
    runs = {e.run_id for e in entries if e.column == HARVEST_AUDIT and as_text(e.after) == note}
    runs |= {first_run} if first_run else set()
    rows: dict[str, list[dict]] = {}
    for entry in entries:
        if entry.column == NEW_ROW and entry.run_id in runs and not undone(entry.run_id):
            try:
                rows.setdefault(entry.tab, []).append(decode_row(as_text(entry.after))[0])
            except (ValueError, TypeError):
                continue  # a damaged log cell: that row counts as never copied
    return rows


def _clean(value: object, rules: CleanRules | None) -> object:
    cleaned = clean_comment(value, rules).text
    return None if is_blank(cleaned) else cleaned


def _taken_ids(tables: Tables) -> set[str]:
    taken = {as_text(i) for table in tables.tables.values() for i in table.df.index}
    log = tables.get(LOG_TAB)
    if log is not None and log.has("Rad-ID"):
        taken |= {as_text(v) for v in log.df["Rad-ID"] if not is_blank(v)}
    return taken


def _same_contact(a: object, b: object) -> bool:
    if is_blank(a) and is_blank(b):
        return True
    return same_person(a, b)


def _log_fingerprint(row: Mapping[str, object]) -> tuple[str, ...]:
    return (as_text(row.get("Datum")), company_key(row.get("Företag")), fold_words(row.get("Kontaktperson")),
            fold_words(row.get("Kanal")), fold_words(row.get("Utfall")))


def plan_copy(member_tables: Tables, company_leads: Mapping[str, Sequence[Mapping]],
              log_rows: Mapping[str, Sequence[Mapping]], group_name: str, today: dt.date, *,
              member: str = "", rules: CleanRules | None = None,
              copied: Mapping[str, Sequence[Mapping]] | None = None) -> ChangeSet:
    """RowAppends to the member's `Leads` and `Kontaktlogg` (module doc); `copied`: what this
    split already added to them (`copied_before`), not added again."""
    copied = copied or {}
    changes = ChangeSet()
    leads = member_tables["Leads"]
    log = member_tables.get("Kontaktlogg")
    make_lead_id = new_id_factory("L", taken := _taken_ids(member_tables))
    make_log_id = new_id_factory("K", taken)

    incoming = [(key, n, lead) for key, rows in company_leads.items() for n, lead in enumerate(rows)]
    own = [lead_id for lead_id in leads.df.index if leads.text(lead_id, "Företag")]
    refs = [CompanyRef(("own", lead_id), leads.text(lead_id, "Företag"), leads.text(lead_id, "Org.nr"),
                       leads.text(lead_id, "Webbplats"), leads.text(lead_id, "E-post"), leads.text(lead_id, "Ort"))
            for lead_id in own]
    refs += [CompanyRef(("new", key, n), as_text(lead.get("Företag")), as_text(lead.get("Org.nr")),
                        as_text(lead.get("Webbplats")), as_text(lead.get("E-post")), as_text(lead.get("Ort")))
             for key, n, lead in incoming]
    earlier = list(copied.get("Leads", ()))
    refs += [CompanyRef(("copied", n), as_text(lead.get("Företag")), as_text(lead.get("Org.nr")),
                        as_text(lead.get("Webbplats")), as_text(lead.get("E-post")), as_text(lead.get("Ort")))
             for n, lead in enumerate(earlier)]
    clusters = cluster_companies(refs)
    own_by_cluster: dict[str, list[str]] = {}
    for lead_id in own:
        own_by_cluster.setdefault(clusters.key_of(("own", lead_id)), []).append(lead_id)
    copied_by_cluster: dict[str, list[Mapping]] = {}
    for n, lead in enumerate(earlier):
        copied_by_cluster.setdefault(clusters.key_of(("copied", n)), []).append(lead)

    member_lead: dict[str, str] = {}  # group lead ID -> the member's lead ID
    for key, n, lead in incoming:
        cluster = clusters.key_of(("new", key, n))
        same = [lead_id for lead_id in own_by_cluster.get(cluster, [])
                if _same_contact(leads.text(lead_id, "Kontaktperson"), lead.get("Kontaktperson"))]
        if same:
            member_lead[as_text(lead.get("ID"))] = same[0]
            continue
        gone = [row for row in copied_by_cluster.get(cluster, [])
                if _same_contact(row.get("Kontaktperson"), lead.get("Kontaktperson"))]
        if gone:  # copied by this split once, deleted by the member since: theirs to delete
            member_lead[as_text(lead.get("ID"))] = as_text(gone[0].get("ID"))
            continue
        new_id = make_lead_id()
        member_lead[as_text(lead.get("ID"))] = new_id
        source = as_text(lead.get("Källa"))
        values = {**{c: v for c, v in lead.items() if not is_blank(v)},
                  "ID": new_id, "Temperatur": WARM,
                  "Källa": (sheet_("harvest {group} ({source})") if source else sheet_("harvest {group}")).format(
                      group=group_name, source=source),
                  "Kommentar": _clean(lead.get("Kommentar"), rules)}
        if is_blank(lead.get("Tillagd")):
            values["Tillagd"] = today
        if member:
            values["Ansvarig"] = member
        changes.appends.append(RowAppend("Leads", values, f"harvest: {member or 'member'} got {key}"))

    present = set()
    if log is not None:
        present = {_log_fingerprint({c: log.df.at[r, c] for c in log.df.columns}) for r in log.df.index}
    present |= {_log_fingerprint(row) for row in copied.get("Kontaktlogg", ())}
    for key, rows in log_rows.items():
        for row in rows:
            fingerprint = _log_fingerprint(row)
            if fingerprint in present:
                continue
            present.add(fingerprint)
            values = {**{c: v for c, v in row.items() if not is_blank(v)}, "ID": make_log_id(),
                      "Lead-ID": member_lead.get(as_text(row.get("Lead-ID"))),
                      "Anteckning": _clean(row.get("Anteckning"), rules)}
            changes.appends.append(RowAppend("Kontaktlogg", values, f"harvest: history of {key}"))
    return changes
