"""Över­bearbetning gathered one CRM at a time (`CompanyTally`: a few integers per lead, only the
distinct company spellings clustered) says exactly what clustering every lead at once said.

The reference below is the aggregation as it was before the tally (every lead of every CRM
clustered in one call): it is the oracle, on generated multi-CRM workspaces whose spellings
repeat across CRMs, conflict (one name, two organisation numbers), have no name at all, share
domains and differ only in case (so the display name depends on how often each was typed)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from chas_sheets.backends import open_spreadsheet
from chas_sheets.company.matching import CompanyRef, cluster_companies
from chas_sheets.i18n import _
from chas_sheets.nightly import report as report_module
from chas_sheets.nightly.crm_summary import CrmSummary
from chas_sheets.nightly.overprocessing import (
    Contact,
    Holding,
    OverprocessedCompany,
    busiest_window,
    find_overprocessing,
    reasons,
)
from chas_sheets.nightly.report import OVERPROCESSING, CrmOwner, contacted_by, overprocessing
from chas_sheets.nightly.run import run_nightly
from chas_sheets.nightly.state import Everything, PackedSummary

TODAY = dt.date(2027, 5, 12)

# (company, org.nr, website domain, e-mail domain): names repeated across CRMs, a name under two
# organisation numbers and blank beside them (those blank rows join nothing), no name at all,
# a shared domain, spellings differing in case only, a group domain.
SPELLINGS = [
    ("Volvo Personvagnar AB", "", "", ""), ("VOLVO PERSONVAGNAR AB", "", "", ""), ("volvo personvagnar ab", "", "", ""),
    ("Spotify AB", "556703-7485", "spotify.com", ""), ("Spotify", "", "spotify.com", ""), ("Spotify AB", "", "", ""),
    ("Nordbygg AB", "556036-0793", "", ""), ("Nordbygg AB", "556677-8899", "", ""), ("Nordbygg AB", "", "", ""),
    ("", "", "", ""), ("  ", "", "", ""), ("", "", "", "gmail.com"),
    ("Klarna", "", "klarna.com", "klarna.com"), ("Klarna Bank AB", "", "", "klarna.com"),
    ("Tieto Evry", "", "", ""), ("Tietoevry", "", "", ""), ("Ericsson", "", "ericsson.com", ""),
    ("Ericsson AB", "", "ericsson.se", ""), ("Saab", "", "", ""), ("SAAB AB", "", "", ""),
    ("Volvo Cars", "", "volvo.com", ""), ("Volvo Lastvagnar", "", "volvo.com", ""),
    *((f"Firma {n} AB", "", "", "") for n in range(25)),
]


def all_at_once(holdings: list[Holding], contacts: list[Contact], today: dt.date | None) -> list[OverprocessedCompany]:
    """The aggregation before the tally: every lead clustered in one call."""
    clusters = cluster_companies(CompanyRef(h.ref, h.company, h.orgnr, h.website, h.email) for h in holdings)
    holders: dict[str, set[str]] = defaultdict(set)
    for holding in holdings:
        if holding.individual:
            holders[clusters.key_of(holding.ref)].add(holding.student)
    known = {holding.ref for holding in holdings}
    contacted: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for contact in contacts:
        if contact.ref in known and (today is None or contact.date <= today):
            contacted[clusters.key_of(contact.ref)].append((contact.date, contact.student))
    found = []
    for key in sorted(set(holders) | set(contacted)):
        crms = holders.get(key, set())
        people, window = busiest_window(contacted.get(key, ()))
        said = reasons(len(crms), len(people), window)
        if said:
            found.append(OverprocessedCompany(key, clusters[key].name, tuple(sorted(crms)), tuple(sorted(people)),
                                              window, said))
    return sorted(found, key=lambda c: (-(c.last_contact or dt.date.min).toordinal(), c.name.lower(), c.key))


def old_overprocessing(owners, summaries, today):
    """`report.overprocessing` before the tally: every CRM's leads and contacts held at once."""
    holdings, contacts, seen = [], [], set()
    for crm in owners:
        summary = summaries.get(crm.target)
        if summary is None or crm.target in seen:
            continue
        seen.add(crm.target)
        individual = crm.kind == "individual"
        for lead_id, company, orgnr, web, mail, *_rest in summary.lead_rows:
            holdings.append(Holding((crm.target, lead_id), crm.owner, individual, company, orgnr, web, mail))
        for day, by, lead_ids in summary.attempts:
            who = contacted_by(crm.owner, by) if individual else (by or _("{group} (group)").format(group=crm.owner))
            contacts += [Contact((crm.target, lead_id), who, dt.date.fromisoformat(day)) for lead_id in lead_ids]
    return all_at_once(holdings, contacts, today)


def workspace(seed: int, crms: int, leads: int) -> tuple[list[CrmOwner], dict[str, CrmSummary]]:
    """Summaries of `crms` CRMs (every fifth a group's), their spellings drawn from SPELLINGS."""
    rng = random.Random(seed)
    owners, summaries = [], {}
    for n in range(crms):
        kind = "group" if n % 5 == 4 else "individual"
        owner = f"Grupp {n}" if kind == "group" else f"Studerande {n:03}"
        target = f"crm/{rng.randrange(10**6):06}-{n}.xlsx"  # the ref order is not the CRMs' order
        rows = []
        for i in range(leads):
            company, orgnr, web, mail = rng.choice(SPELLINGS)
            rows.append([f"L-{rng.randrange(1, 10**4)}-{i}", company, orgnr, web, mail, "2027-05-01", owner, ""])
        attempts = []
        for _attempt in range(leads):
            day = (TODAY - dt.timedelta(days=rng.randrange(-3, 40))).isoformat()  # some after today
            by = rng.choice(["", "", owner, f"Studerande {rng.randrange(crms):03}", "Lärare Lund"])
            ids = rng.sample([row[0] for row in rows], rng.choice([1, 1, 2])) + rng.choice([[], [], ["L-gone"]])
            attempts.append([day, by, ids])
        owners.append(CrmOwner(target, kind, owner))
        summaries[target] = CrmSummary(kind, leads=leads, lead_rows=rows, attempts=attempts)
    owners.append(owners[0])  # a CRM named twice counts once
    owners.append(CrmOwner("crm/never-read.xlsx", "individual", "Ingen"))  # no summary: nothing
    return owners, summaries


@pytest.mark.parametrize("seed", range(6))
def test_the_tally_finds_what_clustering_every_lead_at_once_found(seed):
    owners, summaries = workspace(seed, crms=30, leads=12)
    before = old_overprocessing(owners, summaries, TODAY)
    assert len(before) >= 5  # the workspace does over-process: the comparison says something
    assert any(" #" in c.key for c in before) or seed % 2  # blank rows beside two orgnrs: numbered keys
    assert overprocessing(owners, summaries, TODAY) == before
    # and from summaries kept as their cell text, as the night holds them
    packed = {target: PackedSummary.of(summary) for target, summary in summaries.items()}
    assert overprocessing(owners, packed, TODAY) == before


def test_leads_without_a_company_name_stay_a_company_each():
    """Their two first leads stay apart: every lead of the spelling is then clustered alone."""
    holdings = [Holding((f"S{n}", "L-1"), f"S{n}", True, "") for n in range(5)]
    contacts = [Contact((f"S{n}", "L-1"), f"S{n}", TODAY) for n in range(5)]
    assert find_overprocessing(holdings, contacts, TODAY) == all_at_once(holdings, contacts, TODAY) == []
    grouped = [Holding(("G", f"L-{n}"), "G", False, "") for n in range(3)]
    by_many = [Contact(("G", "L-0"), f"P{n}", TODAY) for n in range(5)]  # one lead, five people
    [found] = find_overprocessing(grouped, by_many, TODAY)
    assert found == all_at_once(grouped, by_many, TODAY)[0] and found.key == "row ('G', 'L-0')"


def test_the_display_name_counts_every_lead_of_a_spelling():
    """Two leads of a spelling stand for all of them in the clustering; its name still counts each."""
    names = ["SAAB Ab"] * 2 + ["Saab AB"] * 3  # proper case both: the more often typed wins (a tie: 'SAAB Ab')
    holdings = [Holding((f"S{n}", "L-1"), f"S{n}", True, name) for n, name in enumerate(names)]
    [found] = find_overprocessing(holdings, [])
    assert found.name == "Saab AB" == all_at_once(holdings, [], None)[0].name


def test_the_nightlys_tabs_are_those_of_the_old_aggregation(make_crm, monkeypatch):
    """A generated workspace through the whole night (dry run): Överbearbetning and Dashboard
    with the tally are the tabs the all-at-once aggregation gave."""
    rng = random.Random("tabs")
    students = []
    for n in range(12):
        leads, log = [], []
        for i, (company, orgnr, web, _mail) in enumerate(rng.sample(SPELLINGS[:22], 8)):
            leads.append({"Företag": company or None, "Org.nr": orgnr or None,
                          "Webbplats": f"https://www.{web}" if web else None, "Kontaktperson": f"Person {i}",
                          "Tillagd": dt.date(2027, 5, 1)})
            if company.strip() and rng.random() < 0.7:
                log.append({"Datum": TODAY - dt.timedelta(days=rng.randrange(0, 20)), "Företag": company,
                            "Kontaktperson": f"Person {i}", "Kanal": "Telefon", "Utfall": "Inget svar"})
        make_crm("student", f"s{n}.xlsx", Leads=leads, Kontaktlogg=log)
        students.append({"Namn": f"Studerande {n}", "Grupp": "G1", "Individuellt CRM": f"s{n}.xlsx"})
    register = make_crm("register", "register.xlsx", Studerande=students)

    def night():
        return run_nightly(open_spreadsheet(str(register)), TODAY, apply=False, open_backend=open_spreadsheet,
                           detector=Everything()).report

    tally = night()
    monkeypatch.setattr(report_module, "overprocessing", old_overprocessing)
    before = night()
    assert len(before.overprocessed) >= 3
    assert tally.overprocessed == before.overprocessed
    tabs, old_tabs = ({t.tab: t for t in r.tabs()} for r in (tally, before))
    assert tabs[OVERPROCESSING] == old_tabs[OVERPROCESSING]
    assert tabs["Dashboard"] == old_tabs["Dashboard"]
