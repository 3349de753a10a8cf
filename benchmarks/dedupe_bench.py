"""Benchmark company identity (chas_sheets.company.matching): quality and speed.

Builds a labelled set of rows as students type them, where names and domains disagree as they
do in real data: real Swedish company names and synthetic ones in realistic variants (case,
legal forms, `&`/`och`, spacing, typos, missing and extra words, the old name of a renamed
company), with the domain evidence a row carries (the company's domain, its domain under
another ending (.se/.com/.nu), the domain its group shares (AB Volvo and Volvo Lastvagnar AB
on volvo.com; a parent's subsidiaries writing from its domain), only a free-mail address, or
none), org numbers in several forms and mistyped, plus look-alike different companies (AB
Volvo / Volvo Personvagnar, Sigma Technology / Sigma IT, Region Stockholm / Region Skåne,
one-letter, other-trade and place-name siblings, the same name under another org number in
another town, never for two aktiebolag), and the town (`Ort`) a row names: the company's, one
of its other offices', now and then another town, or none.

Prints pairwise precision and recall of the automatic merges, the candidate recall (automatic
merges and review pairs: what a person is shown), why the false merges happened, and per name
kind and per domain kind the rows in their company's main cluster or in a review pair with
it. Each size runs in a fresh process (peak memory is that size's own), next to a naive
all-pairs fuzzy baseline on the same data; with --baseline-src (e.g. a checkout of main) the
same labelled set runs through that tree's matcher first, and the summary prints every figure
as a ratio: to the bars (candidate recall 0.95, precision 0.99, 5 s, 400 MB) and to the
baseline measured in the same run.

    python benchmarks/dedupe_bench.py [--sizes 1000,10000,100000] [--naive-max 10000]
                                      [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from chas_sheets.cli import tune_garbage_collector
from chas_sheets.company import evidence as company_evidence
from chas_sheets.company import matching as company_module
from chas_sheets.company.matching import (
    CompanyRef,
    cluster_companies,
    company_key,
    name_fingerprint,
    normalise_name,
    parse_orgnr,
    registrable_domain,
)

REAL = [  # name as registered, own domains, org number when known (else a synthetic valid one)
    ("Volvo Personvagnar AB", ["volvocars.com", "volvocars.se"], "556074-3089"),
    ("AB Volvo", ["volvogroup.com"], "556012-5790"),
    ("Telefonaktiebolaget LM Ericsson", ["ericsson.com"], "556016-0680"),
    ("Scania CV AB", ["scania.com"], None), ("SKF AB", ["skf.com"], None),
    ("H & M Hennes & Mauritz AB", ["hm.com"], None), ("Spotify AB", ["spotify.com"], None),
    ("Klarna Bank AB (publ)", ["klarna.com"], None), ("Tietoevry Sweden AB", ["tietoevry.com"], None),
    ("Sigma Technology AB", ["sigmatechnology.com"], None), ("Sigma IT AB", ["sigmait.se"], None),
    ("Region Stockholm", ["regionstockholm.se"], None), ("Region Skåne", ["skane.se"], None),
    ("Region Uppsala", ["regionuppsala.se"], None), ("Skanska Sverige AB", ["skanska.se"], None),
    ("NCC Sverige AB", ["ncc.se"], None), ("Peab AB", ["peab.se"], None), ("Saab AB", ["saab.com", "saab.se"], None),
    ("Atlas Copco AB", ["atlascopco.com"], None), ("Essity AB", ["essity.com", "essity.se"], None),
    ("Skandinaviska Enskilda Banken AB", ["seb.se"], None),
    ("Svenska Handelsbanken AB", ["handelsbanken.se"], None), ("Swedbank AB", ["swedbank.se"], None),
    ("Telia Sverige AB", ["telia.se", "teliacompany.com"], None), ("Tele2 Sverige AB", ["tele2.se", "tele2.com"], None),
    ("Axis Communications AB", ["axis.com"], None), ("Mojang AB", ["mojang.com"], None),
    ("Paradox Interactive AB", ["paradoxinteractive.com"], None), ("Einride AB", ["einride.tech"], None),
    ("Epidemic Sound AB", ["epidemicsound.com"], None), ("Knowit Sverige AB", ["knowit.se"], None),
    ("Netlight Consulting AB", ["netlight.com"], None), ("Capgemini Sverige AB", ["capgemini.com", "capgemini.se"], None),
    ("CGI Sverige AB", ["cgi.com", "cgi.se"], None), ("Sogeti Sverige AB", ["sogeti.se"], None),
    ("Avanza Bank AB", ["avanza.se"], None), ("Hemnet AB", ["hemnet.se"], None),
    ("ICA Gruppen AB", ["icagruppen.se"], None), ("Coop Sverige AB", ["coop.se"], None),
    ("Systembolaget AB", ["systembolaget.se"], None), ("PostNord Sverige AB", ["postnord.se", "postnord.com"], None),
    ("SJ AB", ["sj.se"], None), ("Vattenfall AB", ["vattenfall.se", "vattenfall.com"], None),
    ("Stockholms stad", ["stockholm.se"], None), ("Göteborgs Stad", ["goteborg.se"], None),
    ("Skatteverket", ["skatteverket.se"], None), ("Trafikverket", ["trafikverket.se"], None),
    ("Academic Work Sweden AB", ["academicwork.se"], None),
    ("Söderberg & Partners AB", ["soderbergpartners.se"], None),
    ("Åhléns AB", ["ahlens.se"], None), ("Länsförsäkringar AB", ["lansforsakringar.se"], None),
]
# Companies of one group whose staff write from the group's shared domain (the group domain is
# each member's e-mail domain some of the time; every member has its own org number).
GROUPS = [
    ("volvo.com", ["AB Volvo", "Volvo Lastvagnar AB", "Volvo Construction Equipment AB", "Volvo Bussar AB"]),
    ("ericsson.com", ["Telefonaktiebolaget LM Ericsson", "Ericsson AB"]),
    ("ica.se", ["ICA Gruppen AB", "ICA Banken AB", "ICA Fastigheter AB"]),
    ("skanska.se", ["Skanska Sverige AB", "Skanska Industrial Solutions AB", "Skanska Fastigheter Göteborg AB"]),
    ("peab.se", ["Peab AB", "Peab Bostad AB", "Peab Anläggning AB"]),
    ("hm.com", ["H & M Hennes & Mauritz AB", "H & M Hennes & Mauritz GBC AB"]),
    ("teliacompany.com", ["Telia Sverige AB", "Telia Finance AB"]),
]
# Real renames: (former name, name today); the domain stayed or the org number did.
RENAMED = {"Tietoevry Sweden AB": "Tieto Sweden AB", "Telia Sverige AB": "TeliaSonera Sverige AB",
           "PostNord Sverige AB": "Posten Meddelande AB", "Essity AB": "SCA Hygiene Products AB"}
SURNAMES = ("Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
            "Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson "
            "Magnusson Olofsson Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg "
            "Lundgren Lundqvist Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg "
            "Sjöberg Wallin Engström Eklund Danielsson Lundin Håkansson Björk Bergman Gunnarsson "
            "Holm Wikström Samuelsson Isaksson Fransson Bergqvist Nyström Holmberg Arvidsson "
            "Löfgren Söderberg Nyberg Blomqvist Claesson Nordström Mårtensson Lundström Viklund "
            "Björklund Eliasson Pålsson Berggren Sandström Lund Nordin Ström Åberg Hermansson "
            "Ekström Falk Holmgren Hellström Dahlberg Hedlund Sundberg Sjögren Ek Blom Abrahamsson "
            "Martinsson Öberg Andreasson Strömberg Månsson Åkesson Hansen Norberg Lindholm").split()
TRADES = ("Bygg Måleri El VVS Fastigheter Konsult Data IT Teknik Transport Logistik Redovisning "
          "Design Media Solutions Systems Software Innovation Energi Miljö Städ Service Mekaniska "
          "Verkstad Snickeri Tak Mark Anläggning Ekonomi Revision Juridik Advokatbyrå Tandvård "
          "Vård Hälsa Fysio Bil Däck Trafikskola Café Restaurang Bageri Blommor Frisör Foto Film "
          "Event Rekrytering Bemanning Analys Automation Robotik Säkerhet Larm Elektronik Optik "
          "Spedition Åkeri Grafiska Tryck Reklam Kommunikation Ventilation Kyla Rör Plåt Glas "
          "Trädgård Golv Kakel Sten Smide Möbler Inredning Arkitekter Ingenjörer").split()
PLACES = ("Stockholm Göteborg Malmö Uppsala Linköping Västerås Örebro Umeå Lund Gävle Borås "
          "Växjö Karlstad Sundsvall Luleå Kalmar Halmstad Jönköping Norrköping Skövde").split()
SYLLABLES = "no va lu mi ra ke to sa vi da lo re ni ka ze ly ta be xo fi qu ar el on is ex om".split()
LEGAL = ["AB", "Aktiebolag", "AB (publ)", "HB", "Handelsbolag", "KB", "Ek. för.", "", ""]
FREE_MAIL = ["gmail.com", "hotmail.com", "outlook.com", "live.se", "icloud.com", "yahoo.com"]
VARIANTS = [("exact", 25), ("case", 15), ("legal form", 22), ("filler word", 8),
            ("punctuation/spacing", 10), ("typo", 10), ("missing/extra word", 10)]


def luhn_orgnr(rnd: random.Random) -> str:
    digits = [5, 5, 6] + [rnd.randrange(10) for _ in range(6)]
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d
                for i, d in enumerate(digits))
    text = "".join(map(str, digits)) + str((10 - total % 10) % 10)
    return f"{text[:6]}-{text[6:]}"


def slug(name: str) -> str:
    return normalise_name(name).replace(" ", "") or "x"


class World:
    """The true companies: name, own domains (the first is the main one; a second under
    another ending is a country domain), org number, the group's shared domain when the
    company belongs to a group, and its former name when it was renamed. Look-alikes and
    companies of one group are separate companies."""

    def __init__(self, rnd: random.Random, count: int):
        self.rnd = rnd
        self.companies: list[dict] = []
        self.seen: set[str] = set()
        self.orgnrs: set[str] = set()
        for name, domains, orgnr in REAL:
            self.add(name, domains, orgnr or self.new_orgnr(), "real", former=RENAMED.get(name))
        by_name = {company["name"]: company for company in self.companies}
        for group_domain, members in GROUPS:
            for name in members:
                if name not in by_name and self.add(name, [slug(name) + ".se"], self.new_orgnr(), "group member"):
                    by_name[name] = self.companies[-1]
                if name in by_name:
                    by_name[name]["group_domain"] = group_domain
        while len(self.companies) < count:
            kind = rnd.random()
            if kind < 0.06 and self.companies:  # a look-alike of an existing company
                self.lookalike(rnd.choice(self.companies))
            elif kind < 0.09:  # a group: a parent and subsidiaries writing from its domain
                self.group()
            else:
                former = self.invent() if rnd.random() < 0.04 else None  # renamed since
                self.add(self.invent(), None, self.new_orgnr(), "synthetic", former=former)

    def invent(self) -> str:
        rnd = self.rnd
        brand = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice((2, 3)))).capitalize()
        pattern = rnd.randrange(6)
        words = {0: [rnd.choice(SURNAMES) + "s", rnd.choice(TRADES)],
                 1: [rnd.choice(SURNAMES), "&", rnd.choice(SURNAMES), rnd.choice(TRADES)],
                 2: [brand, rnd.choice(TRADES)],
                 3: [brand],
                 4: [rnd.choice(PLACES), rnd.choice(TRADES), rnd.choice(TRADES)],
                 5: [brand, rnd.choice(TRADES), rnd.choice(TRADES)]}[pattern]
        legal = rnd.choice(LEGAL)
        return " ".join(words + ([legal] if legal else []))

    def new_orgnr(self) -> str:
        """A valid org number no other company has: Bolagsverket never gives one twice (drawn
        at random, 50,000 companies would share about 1,200 numbers by the birthday bound)."""
        while True:
            orgnr = luhn_orgnr(self.rnd)
            if orgnr not in self.orgnrs:
                self.orgnrs.add(orgnr)
                return orgnr

    def add(self, name: str, domains, orgnr: str, origin: str, former: str | None = None,
            group_domain: str | None = None) -> bool:
        # Registered names must be clearly distinguishable (Bolagsverket), so two companies
        # never share the same words in another order ("Berg & Holm Bygg" / "Holm & Berg Bygg");
        # only the deliberate `same name twin` look-alikes break this.
        key = slug(name)
        words = " ".join(sorted(set(normalise_name(name).split())))
        if key in self.seen or words in self.seen:
            return False
        self.seen.update((key, words))
        self.orgnrs.add(orgnr)
        towns = self.towns(name, origin)
        if domains is None:
            tld = self.rnd.choice((".se", ".se", ".com", ".nu"))
            other = self.rnd.choice((".com", ".nu", ".se"))
            domains = [key + tld] + ([key + other] if other != tld and self.rnd.random() < 0.25 else [])
        if former and slug(former) in self.seen:
            former = None
        self.companies.append({"name": name, "domains": domains, "orgnr": orgnr, "origin": origin,
                               "former": former, "group_domain": group_domain, "towns": towns})
        return True

    def towns(self, name: str, origin: str) -> list[str]:
        """Where the company is (the first town) and its other offices: a place in its name
        is its town; the real (large) organisations have two to four offices, one small
        company in ten a second one."""
        rnd = self.rnd
        home = next((word for word in name.split() if word in PLACES), None) or rnd.choice(PLACES)
        offices = rnd.randint(1, 3) if origin == "real" else int(rnd.random() < 0.1)
        return [home] + [town for town in rnd.sample(PLACES, offices) if town != home]

    def group(self) -> None:
        """A parent ("Novare Group AB" on novare.se) and one to three subsidiaries: some bear
        the parent's brand ("Novare Fastigheter AB"), some kept the name they were bought with;
        all have their own org number and write from the parent's domain part of the time."""
        rnd = self.rnd
        brand = "".join(rnd.choice(SYLLABLES) for _ in range(3)).capitalize()
        group_domain = slug(brand) + ".se"
        parent = f"{brand} {rnd.choice(('Group', 'Holding', 'Koncern', ''))} AB".replace("  ", " ")
        if not self.add(parent, [group_domain], self.new_orgnr(), "group parent", group_domain=group_domain):
            return
        for _ in range(rnd.randint(1, 3)):
            name = (f"{brand} {rnd.choice(TRADES)} AB" if rnd.random() < 0.6 else self.invent())
            self.add(name, None, self.new_orgnr(), "group member", group_domain=group_domain)

    def lookalike(self, base: dict) -> None:
        rnd, words = self.rnd, base["name"].split()
        # Two companies registered under one name exist (a handelsbolag or a sole trader's
        # firm is protected only in its county), but never two aktiebolag: an aktiebolag's name
        # is registered for the whole country, and Bolagsverket refuses a name identical to an
        # older one for the same kind of business (lag (2018:1653) om företagsnamn 2 kap. 3 §),
        # which a twin here is (its name carries the trade). Nor do the real organisations
        # above have a namesake. So a twin is made only of another company.
        twin_allowed = base["origin"] != "real" and not {"AB", "Aktiebolag"} & set(words)
        how = rnd.randrange(4 if twin_allowed else 3)
        if how == 0:  # one letter off: Bravo / Brava
            i = rnd.randrange(len(words[0]))
            words[0] = words[0][:i] + rnd.choice("aeiouy") + words[0][i + 1:]
        elif how == 1:  # another trade: Sigma Technology / Sigma IT
            words = [words[0], rnd.choice(TRADES)] + [w for w in words[2:] if w in LEGAL]
        elif how == 2:  # another place: Region Stockholm / Region Skåne
            words = [w for w in words if w not in PLACES] + [rnd.choice(PLACES)]
        else:  # the same name, another company (another org number, no shared domain) elsewhere
            town = rnd.choice([place for place in PLACES if place not in base["towns"]])
            self.companies.append({"name": base["name"], "orgnr": self.new_orgnr(),
                                   "domains": [slug(base["name"]) + "-" + town.lower() + ".se"],
                                   "origin": "same name twin", "former": None, "group_domain": None,
                                   "towns": [town]})
            return
        self.add(" ".join(words), None, self.new_orgnr(), "look-alike")


def variant(rnd: random.Random, name: str, former: str | None = None) -> tuple[str, str]:
    kind = rnd.choices([k for k, _ in VARIANTS], [w for _, w in VARIANTS])[0]
    if former and rnd.random() < 0.3:  # typed from an old list or an old e-mail signature
        return former, "renamed"
    words = name.split()
    if kind == "case":
        name = rnd.choice((name.upper(), name.lower(), name.title()))
    elif kind == "legal form":
        core = [w for w in words if w not in ("AB", "Aktiebolag", "(publ)", "HB", "KB", "Ek.",
                                               "för.", "Handelsbolag")] or words
        name = " ".join(rnd.choice(([], ["AB"], ["Aktiebolag"])) + core +
                        rnd.choice(([], ["AB"], ["AB", "(publ)"], ["Sverige", "AB"])))
    elif kind == "filler word":
        name = name + rnd.choice((" Group", " Sweden", " Nordic", " i Sverige"))
    elif kind == "punctuation/spacing":
        if "&" in name:
            name = name.replace("&", rnd.choice(("och", "and", "&amp;".replace("amp;", ""))))
        elif len(words) > 1:
            i = rnd.randrange(len(words) - 1)
            name = " ".join(words[:i] + [words[i] + rnd.choice(("", "-")) + words[i + 1]]
                            + words[i + 2:])
        else:
            name = name + "."
    elif kind == "typo":
        i = rnd.randrange(len(name))
        op = rnd.randrange(3)
        letter = rnd.choice("abcdefghijklmnopqrstuvwxyzåäö")
        name = (name[:i] + letter + name[i + 1:], name[:i] + name[i + 1:],
                name[:i] + letter + name[i:])[op]
    elif kind == "missing/extra word":
        if len(words) > 1 and rnd.random() < 0.5:
            del words[rnd.randrange(1, len(words))]
        else:
            words.append(rnd.choice(TRADES + ["Sverige", "Nordic"]))
        name = " ".join(words)
    return name, kind


def row_domains(rnd: random.Random, company: dict, copy: int, renamed: bool) -> tuple[str, str, str]:
    """The website and e-mail a student typed for the company, and the kind of domain evidence
    the row carries: the company's main domain, its domain under another ending (country
    domain), its group's shared domain, only a free-mail address, or none."""
    own = company["domains"]
    website = rnd.choice(own) if rnd.random() < 0.45 else ""
    email = ""
    if rnd.random() < 0.4:
        roll = rnd.random()
        email = (company["group_domain"] if company["group_domain"] and roll < 0.4 else
                 rnd.choice(FREE_MAIL) if roll > 0.8 else rnd.choice(own))
    if renamed and not website and (not email or email not in own):
        website = own[0]  # an old name is recognisable only by the domain the company kept
    kind = ("group domain" if email and email == company["group_domain"] else
            "country domain" if website and website != own[0] or email and email in own[1:] else
            "company domain" if website or email and email not in FREE_MAIL else
            "free mail" if email else "no domain")
    typed_site = rnd.choice((f"https://www.{website}/", website, f"www.{website}",
                             f"http://{website}/kontakt")) if website else ""
    return typed_site, (f"kontakt{copy}@{email}" if email else ""), kind


TOWN_KINDS = ["company's town", "another office", "another town", "no town"]


def row_town(rnd: random.Random, company: dict) -> tuple[str, str]:
    """The town (`Ort`) a student typed for the company, and its kind: blank half the time;
    else where the company is, or one of its other offices (the contact's), or now and then
    another town altogether (the student's own, a contact's home, a neighbouring town), in any
    case as typed."""
    if rnd.random() < 0.5:
        return "", "no town"
    towns = company["towns"]
    roll = rnd.random()
    if roll < 0.04:
        town, kind = rnd.choice([place for place in PLACES if place not in towns]), "another town"
    elif len(towns) > 1 and roll < 0.34:
        town, kind = rnd.choice(towns[1:]), "another office"
    else:
        town, kind = towns[0], "company's town"
    return rnd.choice((town, town, town.lower(), town.upper(), f" {town} ")), kind


def typed_orgnr(rnd: random.Random, orgnr: str) -> str:
    roll = rnd.random()
    if roll < 0.03:  # a slip of one digit: fails the Luhn check, so it is no evidence
        i = rnd.choice([0, 1, 2, 3, 4, 5, 7, 8, 9, 10])
        return orgnr[:i] + str((int(orgnr[i]) + 1) % 10) + orgnr[i + 1:]
    return rnd.choice((orgnr, orgnr.replace("-", ""), "16" + orgnr, orgnr.replace("-", " ")))


@dataclass
class Labelled:
    """The rows, each row's true company, its kinds of variant (name, domain, town), and
    the true companies."""
    refs: list
    truth: list
    kinds: list
    companies: list
    towns: list  # each row's town as typed (also when the matcher measured takes no towns)


def make_rows(count: int, seed: int) -> Labelled:
    """`count` rows and the true company of each, with its variant kinds."""
    rnd = random.Random(seed)
    world = World(rnd, max(len(REAL), int(count / 1.8)))
    refs, truth, kinds, towns = [], [], [], []
    for company_id, company in enumerate(world.companies):
        if len(refs) >= count:
            break
        for copy in range(1 + min(int(rnd.expovariate(1 / 1.5)), 12)):
            name, kind = (company["name"], "first row") if copy == 0 else \
                variant(rnd, company["name"], company["former"])
            website, email, domain_kind = row_domains(rnd, company, copy, kind == "renamed")
            orgnr = typed_orgnr(rnd, company["orgnr"]) if rnd.random() < 0.3 else ""
            town, town_kind = row_town(rnd, company)
            # A baseline matcher from before towns were evidence gets the same rows without them.
            refs.append(CompanyRef(len(refs), name, orgnr, website, email, *([town] if TOWNS_ARE_EVIDENCE else [])))
            towns.append(town)
            truth.append(company_id)
            kinds.append((kind, domain_kind, town_kind))
    order = list(range(len(refs)))
    rnd.shuffle(order)  # rows of one company are not next to each other in a sheet
    order = order[:count]
    return Labelled([refs[i] for i in order], [truth[i] for i in order], [kinds[i] for i in order],
                    world.companies, [towns[i] for i in order])


def pairs_in(groups) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def pairwise(predicted: list, truth: list) -> tuple[float, float, int, int]:
    """Pairwise precision and recall, true positive and predicted pair counts."""
    both = Counter(zip(predicted, truth))
    tp = pairs_in(both.values())
    made = pairs_in(Counter(predicted).values())
    real = pairs_in(Counter(truth).values())
    return (tp / made if made else 1.0), (tp / real if real else 1.0), tp, made


def naive_all_pairs(names: list[str]) -> list[int]:
    """The baseline: every pair of normalised names scored (token_sort_ratio >= 90), then
    connected components. A copy of the list goes to cdist (the research's 8x pitfall)."""
    matrix = process.cdist(names, list(names), scorer=fuzz.token_sort_ratio, score_cutoff=90,
                           dtype=np.uint8, workers=-1)
    return components(len(names), ((i, j) for i, j in zip(*np.nonzero(matrix)) if i < j))


def components(size: int, links) -> list[int]:
    """Connected components (union-find): a representative per item."""
    parent = list(range(size))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in links:
        parent[find(i)] = find(j)
    return [find(i) for i in range(size)]


def strong_evidence_bound(refs, truth) -> list[int]:
    """The most automatic merges can find under the issue's rules: an oracle joins rows of
    the SAME true company that share a valid org number, a domain, a name fingerprint or a
    compact name (never across companies). Rows linked only by a typo or a missing word
    are beyond it: those are review candidates by design."""
    groups = defaultdict(list)
    for i, (ref, company) in enumerate(zip(refs, truth)):
        keys = [("orgnr", parse_orgnr(ref.orgnr)), ("name", name_fingerprint(ref.name)),
                ("compact", company_key(ref.name))]
        keys += [("domain", registrable_domain(v)) for v in (ref.website, ref.email)]
        for kind, key in keys:
            if key:
                groups[(company, kind, key)].append(i)
    return components(len(refs), ((members[0], j) for members in groups.values() for j in members[1:]))


def cold_start() -> None:
    """Empty the matcher's per-name, per-host and per-number caches (making the rows and the
    smaller sizes filled them), then load the word lists again: each size is timed as a
    fresh process would run it."""
    for module in (company_module, company_evidence):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    cluster_companies([CompanyRef(0, "Warm Up AB", website="warmup.se")])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


TOWNS_ARE_EVIDENCE = "city" in CompanyRef.__dataclass_fields__
NAME_KINDS = ["first row"] + [kind for kind, _ in VARIANTS] + ["renamed"]
DOMAIN_KINDS = ["company domain", "country domain", "group domain", "free mail", "no domain"]
KIND_COLUMNS = ((0, NAME_KINDS), (1, DOMAIN_KINDS), (2, TOWN_KINDS))


def quality(data: Labelled, result) -> dict:
    """Print the quality figures; return them for the summary."""
    refs, truth, kinds = data.refs, data.truth, data.kinds
    predicted = [result.key_of(ref.ref) for ref in refs]
    precision, recall, tp, made = pairwise(predicted, truth)
    real = pairs_in(Counter(truth).values())
    print(f"automatic merges: precision {precision:.4f}  recall {recall:.4f}  "
          f"({tp} of {made} merged pairs true, {real} true pairs)")
    _, bound, _, _ = pairwise(strong_evidence_bound(refs, truth), truth)
    print(f"  recall bound for automatic merges (strong evidence only, by an oracle): {bound:.4f}; "
          f"the matcher reaches {recall / bound:.1%} of it")
    name_of = {company: normalise_name(ref.name) for ref, company, (kind, *_) in zip(refs, truth, kinds)
               if kind == "first row"}
    group_of = {i: c["group_domain"] for i, c in enumerate(data.companies) if c["group_domain"]}
    twins = same_typed = one_group = 0
    by_evidence: Counter = Counter()
    for rows in _rows_by_cluster(predicted, truth).values():
        evidence = {company: _evidence(refs, members) for company, members in rows.items()} if len(rows) > 1 else {}
        for (a, rows_a), (b, rows_b) in itertools.combinations(rows.items(), 2):
            pairs = len(rows_a) * len(rows_b)
            twins += pairs if name_of.get(a) == name_of.get(b) else 0
            same_typed += pairs if _typed_names(refs, rows_a) & _typed_names(refs, rows_b) else 0
            one_group += pairs if a in group_of and group_of[a] == group_of.get(b) else 0
            by_evidence[_evidence_between(evidence[a], evidence[b])] += pairs
    print(f"  false merged pairs: {made - tp}; {same_typed} of them join two companies each typed somewhere "
          f"with the same normalised name ({twins} between companies registered under one name); "
          f"{one_group} join two companies of one group")
    print("  false merged pairs by the evidence the two companies' rows in the cluster carry: " + "; ".join(
        f"{kind} {by_evidence[kind]}" for kind in EVIDENCE_KINDS))
    registered = Counter(name_of[c] for c in set(truth) if c in name_of)
    shared = [c for c in set(truth) if registered[name_of.get(c)] > 1]
    limited = [c for c in shared if {"AB", "Aktiebolag"} & set(data.companies[c]["name"].split())]
    without_twins = tp / (made - twins) if made > twins else 1.0
    print(f"  {len(shared)} companies ({len(shared) / len(set(truth)):.1%}) are registered under a name another "
          f"company in the set bears too, {len(limited)} of them aktiebolag (none should be: an aktiebolag's "
          f"name is registered for the whole country); precision without the pairs of companies registered under one name: {without_twins:.4f}")
    members = defaultdict(Counter)
    for key, company in zip(predicted, truth):
        members[key][company] += 1
    extra, true_review = 0, 0
    for pair in result.review:
        shared = sum(n * members[pair.b][c] for c, n in members[pair.a].items())
        extra += shared
        true_review += shared > 0
    candidate = (tp + extra) / real
    print(f"review pairs: {len(result.review)} ({len(result.review) / max(1, real):.2f} per true pair), "
          f"{true_review} of them true duplicates ({true_review / max(1, len(result.review)):.0%}); "
          f"candidate recall (automatic merges and every review pair): {candidate:.4f}")
    per_kind = _per_kind(data, predicted, {(p.a, p.b) for p in result.review})
    print("rows of companies with two or more rows, in their company's main cluster (automatic) or in a "
          "review pair with it (candidate):")
    for label, order, column in (("name", NAME_KINDS, 0), ("domain", DOMAIN_KINDS, 1), ("town", TOWN_KINDS, 2)):
        print(f"  by {label}: " + "; ".join(
            f"{kind} {per_kind[column][kind][1] / per_kind[column][kind][0]:.1%} automatic, "
            f"{per_kind[column][kind][2] / per_kind[column][kind][0]:.1%} candidate "
            f"({per_kind[column][kind][0]})" for kind in order if per_kind[column][kind][0]))
    return {"precision": precision, "recall": recall, "candidate": candidate, "review": len(result.review),
            "true_pairs": real, "group_false_pairs": one_group, "precision_without_twins": without_twins,
            "false_by_evidence": dict(by_evidence),
            "kinds": {kind: per_kind[column][kind][2] / per_kind[column][kind][0]
                      for column, order in KIND_COLUMNS for kind in order
                      if per_kind[column][kind][0]},
            "automatic_kinds": {kind: per_kind[column][kind][1] / per_kind[column][kind][0]
                                for column, order in KIND_COLUMNS for kind in order
                                if per_kind[column][kind][0]}}


def _per_kind(data: Labelled, predicted: list, reviewed: set) -> tuple[dict, dict, dict]:
    """Per name kind, per domain kind and per town kind: [rows, in the main cluster, in it or reviewed with it].
    A company's main cluster holds most of its rows (ties: the one with its first row)."""
    counts = _by_company(predicted, data.truth)
    first = {company: key for key, company, (kind, *_) in zip(predicted, data.truth, data.kinds)
             if kind == "first row"}
    main = {company: max(keys, key=lambda k: (keys[k], k == first.get(company), k))
            for company, keys in counts.items()}
    tallies = (defaultdict(lambda: [0, 0, 0]), defaultdict(lambda: [0, 0, 0]), defaultdict(lambda: [0, 0, 0]))
    for key, company, kinds in zip(predicted, data.truth, data.kinds):
        if sum(counts[company].values()) < 2:
            continue
        home = main[company]
        found = key == home
        candidate = found or (min(key, home), max(key, home)) in reviewed
        for column, kind in enumerate(kinds):
            tally = tallies[column][kind]
            tally[0] += 1
            tally[1] += found
            tally[2] += candidate
    return tallies


EVIDENCE_KINDS = ("disagreeing (two org numbers, or domains with nothing in common)",
                  "the name alone on one side", "an org number on one side, a domain on the other",
                  "a shared domain name (a group's)")


def _evidence(refs, rows) -> tuple[set, set]:
    """The valid org numbers and the registrable domains the rows carry."""
    orgnrs = {parse_orgnr(refs[i].orgnr) for i in rows} - {None}
    domains = {registrable_domain(value) for i in rows for value in (refs[i].website, refs[i].email)} - {None}
    return orgnrs, domains


def _evidence_between(one: tuple[set, set], other: tuple[set, set]) -> str:
    """How the evidence of two companies merged into one cluster compares (EVIDENCE_KINDS)."""
    (orgnrs_a, domains_a), (orgnrs_b, domains_b) = one, other
    labels_a, labels_b = {d.split(".")[0] for d in domains_a}, {d.split(".")[0] for d in domains_b}
    if (orgnrs_a and orgnrs_b and not orgnrs_a & orgnrs_b) or (labels_a and labels_b and not labels_a & labels_b):
        return EVIDENCE_KINDS[0]
    if not (orgnrs_a or domains_a) or not (orgnrs_b or domains_b):
        return EVIDENCE_KINDS[1]
    return EVIDENCE_KINDS[3] if labels_a & labels_b or orgnrs_a & orgnrs_b else EVIDENCE_KINDS[2]


def _rows_by_cluster(predicted, truth):
    """cluster key -> true company -> row positions."""
    rows = defaultdict(lambda: defaultdict(list))
    for i, (key, company) in enumerate(zip(predicted, truth)):
        rows[key][company].append(i)
    return rows


def _typed_names(refs, rows) -> set[str]:
    """The normalised names (fingerprint and compact form) the rows were typed with."""
    return {key for i in rows for key in (name_fingerprint(refs[i].name), company_key(refs[i].name))}


def _by_company(predicted, truth):
    counts = defaultdict(Counter)
    for key, company in zip(predicted, truth):
        counts[company][key] += 1
    return counts


def current_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def one_size(size: int, seed: int, naive_max: int) -> dict:
    """Everything for one size, in a fresh process (so peak memory is this size's own)."""
    tune_garbage_collector()  # as the chas-sheets command does
    data = make_rows(size, seed)
    fingerprint = hashlib.sha256(repr([(r.name, r.orgnr, r.website, r.email, town, t) for r, t, town
                                       in zip(data.refs, data.truth, data.towns)]).encode()).hexdigest()[:12]
    cold_start()
    before = current_mb()
    print(f"\n== {len(data.refs):,} rows, {len(set(data.truth)):,} companies (labelled set {fingerprint}; "
          f"code {os.path.dirname(os.path.dirname(company_module.__file__))}; towns "
          f"{'are' if TOWNS_ARE_EVIDENCE else 'are not'} evidence) ==")
    started, cpu = time.perf_counter(), time.process_time()
    result = cluster_companies(data.refs)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_mb()
    # On a shared machine wall time depends on the others' load: CPU time and the load
    # average tell how far it was stretched.
    print(f"cluster_companies: {took:.2f} s ({cpu:.2f} s CPU, load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores), {len(result):,} clusters; peak RSS {peak:.0f} MB "
          f"(the process held {before:.0f} MB with the rows made)")
    figures = quality(data, result)
    del result
    naive_size = min(size, naive_max)
    names = [normalise_name(ref.name) for ref in data.refs[:naive_size]]
    started = time.perf_counter()
    naive = naive_all_pairs(names)
    naive_took = time.perf_counter() - started
    precision, recall, _, _ = pairwise(naive, data.truth[:naive_size])
    print(f"naive all-pairs token_sort_ratio>=90 on the first {naive_size:,} rows' normalised names: "
          f"{naive_took:.2f} s; cluster_companies on all {size:,} rows took x{took / naive_took:.2f} of it; "
          f"naive precision {precision:.4f} recall {recall:.4f}")
    return {"size": size, "set": fingerprint, "seconds": took, "cpu": cpu, "peak_mb": peak, "rows_mb": before,
            "naive_seconds": naive_took, "naive_size": naive_size, **figures}


BARS = {"candidate": 0.95, "precision": 0.99, "seconds": 5.0, "peak_mb": 400.0}


def run_child(size: int, args, source: str | None) -> dict:
    """One size in a fresh interpreter, with the matcher from `source` (a source tree) or this one."""
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = os.path.abspath(source) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, os.path.abspath(__file__), "--one-size", str(size), "--seed", str(args.seed),
               "--naive-max", str(args.naive_max)]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    lines = output.splitlines()
    print("\n".join(line for line in lines if not line.startswith("RESULT ")), flush=True)
    return json.loads(next(line for line in lines if line.startswith("RESULT "))[len("RESULT "):])


def compare(summaries: list[tuple[dict, dict | None]]) -> None:
    """Each size: the figures, the bars as ratios, and this code against the baseline's."""
    print("\n== summary: figures, as ratios to the bars and (with --baseline-src) to the baseline "
          "measured in this run ==")
    for mine, base in summaries:
        kinds = ", ".join(f"{k} {v:.3f}" for k, v in mine["kinds"].items())
        lowest = min(mine["kinds"].items(), key=lambda item: item[1])
        print(f"{mine['size']:,} rows: {mine['seconds']:.2f} s ({mine['cpu']:.2f} s CPU) = "
              f"x{mine['seconds'] / mine['naive_seconds']:.2f} of naive all-pairs on {mine['naive_size']:,} rows, "
              f"x{mine['seconds'] / BARS['seconds']:.2f} of the 5 s bar; peak RSS {mine['peak_mb']:.0f} MB = "
              f"x{mine['peak_mb'] / BARS['peak_mb']:.2f} of the 400 MB bar")
        print(f"  automatic precision {mine['precision']:.4f} (x{mine['precision'] / BARS['precision']:.3f} of 0.99; "
              f"{mine['precision_without_twins']:.4f} without the pairs of companies registered under one name), "
              f"recall {mine['recall']:.4f}; candidate recall {mine['candidate']:.4f}; review pairs "
              f"{mine['review']:,} ({mine['review'] / mine['true_pairs']:.2f} per true pair); group false pairs "
              f"{mine['group_false_pairs']}")
        print(f"  candidate recall by kind (lowest {lowest[0]} {lowest[1]:.3f} = x{lowest[1] / BARS['candidate']:.3f} "
              f"of 0.95): {kinds}")
        if base:
            same = "same labelled set" if base["set"] == mine["set"] else "DIFFERENT labelled sets"
            print(f"  against the baseline ({same}): time x{mine['seconds'] / base['seconds']:.2f} "
                  f"(CPU x{mine['cpu'] / base['cpu']:.2f}), peak RSS x{mine['peak_mb'] / base['peak_mb']:.2f}, "
                  f"precision {base['precision']:.4f} -> {mine['precision']:.4f}, recall {base['recall']:.4f} -> "
                  f"{mine['recall']:.4f}, candidate {base['candidate']:.4f} -> {mine['candidate']:.4f}, review pairs "
                  f"x{mine['review'] / max(1, base['review']):.2f}, group false pairs {base['group_false_pairs']} -> "
                  f"{mine['group_false_pairs']}")
            print("  candidate recall by kind, baseline -> this: " + ", ".join(
                f"{k} {base['kinds'].get(k, 0):.3f} -> {v:.3f}" for k, v in mine["kinds"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--naive-max", type=int, default=10000,
                        help="largest number of rows the naive all-pairs baseline runs on")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-src", help="a source tree (e.g. main's) whose matcher runs on the same "
                                               "labelled set first, for before/after ratios")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        print("RESULT " + json.dumps(one_size(args.one_size, args.seed, args.naive_max)))
        return
    summaries = []
    for size in map(int, args.sizes.split(",")):
        base = run_child(size, args, args.baseline_src) if args.baseline_src else None
        summaries.append((run_child(size, args, None), base))
    compare(summaries)


if __name__ == "__main__":
    main()
