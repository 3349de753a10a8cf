"""Benchmark company identity (chas_sheets.company.matching): quality and speed.

Builds a labelled set of rows as students type them: real Swedish company names and
synthetic ones, in realistic variants (case, legal forms, `&`/`och`, spacing, typos, missing
and extra words, domains in several forms, free mail, org numbers in several forms, mistyped
org numbers), plus look-alike different companies (AB Volvo / Volvo Personvagnar, Sigma
Technology / Sigma IT, Region Stockholm / Region Skåne, one-letter, other-trade and
place-name siblings, the same name under another org number). Prints pairwise precision and
recall of the automatic merges, the candidate recall (automatic merges and review pairs: what
a person is shown), why the false merges happened, recall per kind of variant, and
time and peak memory for 1,000 / 10,000 / 100,000 rows next to a naive all-pairs fuzzy
baseline on the same data.

    python benchmarks/dedupe_bench.py [--sizes 1000,10000,100000] [--naive-max 10000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import time
from collections import Counter, defaultdict

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

REAL = [  # name as registered, domain, org number when known (else a synthetic valid one)
    ("Volvo Personvagnar AB", "volvocars.com", "556074-3089"),
    ("AB Volvo", "volvogroup.com", "556012-5790"),
    ("Telefonaktiebolaget LM Ericsson", "ericsson.com", "556016-0680"),
    ("Scania CV AB", "scania.com", None), ("SKF AB", "skf.com", None),
    ("H & M Hennes & Mauritz AB", "hm.com", None), ("Spotify AB", "spotify.com", None),
    ("Klarna Bank AB (publ)", "klarna.com", None), ("Tietoevry Sweden AB", "tietoevry.com", None),
    ("Sigma Technology AB", "sigmatechnology.com", None), ("Sigma IT AB", "sigmait.se", None),
    ("Region Stockholm", "regionstockholm.se", None), ("Region Skåne", "skane.se", None),
    ("Region Uppsala", "regionuppsala.se", None), ("Skanska Sverige AB", "skanska.se", None),
    ("NCC Sverige AB", "ncc.se", None), ("Peab AB", "peab.se", None), ("Saab AB", "saab.com", None),
    ("Atlas Copco AB", "atlascopco.com", None), ("Essity AB", "essity.com", None),
    ("Skandinaviska Enskilda Banken AB", "seb.se", None),
    ("Svenska Handelsbanken AB", "handelsbanken.se", None), ("Swedbank AB", "swedbank.se", None),
    ("Telia Sverige AB", "teliacompany.com", None), ("Tele2 Sverige AB", "tele2.se", None),
    ("Axis Communications AB", "axis.com", None), ("Mojang AB", "mojang.com", None),
    ("Paradox Interactive AB", "paradoxinteractive.com", None), ("Einride AB", "einride.tech", None),
    ("Epidemic Sound AB", "epidemicsound.com", None), ("Knowit Sverige AB", "knowit.se", None),
    ("Netlight Consulting AB", "netlight.com", None), ("Capgemini Sverige AB", "capgemini.com", None),
    ("CGI Sverige AB", "cgi.com", None), ("Sogeti Sverige AB", "sogeti.se", None),
    ("Avanza Bank AB", "avanza.se", None), ("Hemnet AB", "hemnet.se", None),
    ("ICA Gruppen AB", "icagruppen.se", None), ("Coop Sverige AB", "coop.se", None),
    ("Systembolaget AB", "systembolaget.se", None), ("PostNord Sverige AB", "postnord.se", None),
    ("SJ AB", "sj.se", None), ("Vattenfall AB", "vattenfall.se", None),
    ("Stockholms stad", "stockholm.se", None), ("Göteborgs Stad", "goteborg.se", None),
    ("Skatteverket", "skatteverket.se", None), ("Trafikverket", "trafikverket.se", None),
    ("Academic Work Sweden AB", "academicwork.se", None), ("Söderberg & Partners AB", "soderbergpartners.se", None),
    ("Åhléns AB", "ahlens.se", None), ("Länsförsäkringar AB", "lansforsakringar.se", None),
]
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
    """The true companies: name, domains, org number; look-alikes are separate companies."""

    def __init__(self, rnd: random.Random, count: int):
        self.rnd = rnd
        self.companies: list[dict] = []
        self.seen: set[str] = set()
        self.orgnrs: set[str] = set()
        for name, domain, orgnr in REAL:
            self.add(name, [domain], orgnr or self.new_orgnr(), "real")
        while len(self.companies) < count:
            kind = rnd.random()
            if kind < 0.06 and self.companies:  # a look-alike of an existing company
                self.lookalike(rnd.choice(self.companies))
            else:
                self.add(self.invent(), None, self.new_orgnr(), "synthetic")

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

    def add(self, name: str, domains, orgnr: str, origin: str) -> bool:
        # Registered names must be clearly distinguishable (Bolagsverket), so two companies
        # never share the same words in another order ("Berg & Holm Bygg" / "Holm & Berg Bygg");
        # only the deliberate `same name twin` look-alikes break this.
        key = slug(name)
        words = " ".join(sorted(set(normalise_name(name).split())))
        if key in self.seen or words in self.seen:
            return False
        self.seen.update((key, words))
        self.orgnrs.add(orgnr)
        if domains is None:
            tld = self.rnd.choice((".se", ".se", ".com", ".nu"))
            domains = [key + tld] + ([key + ".com"] if tld == ".se" and self.rnd.random() < 0.2
                                     else [])
        self.companies.append({"name": name, "domains": domains, "orgnr": orgnr,
                               "origin": origin})
        return True

    def lookalike(self, base: dict) -> None:
        rnd, words = self.rnd, base["name"].split()
        how = rnd.randrange(4)
        if how == 0:  # one letter off: Bravo / Brava
            i = rnd.randrange(len(words[0]))
            words[0] = words[0][:i] + rnd.choice("aeiouy") + words[0][i + 1:]
        elif how == 1:  # another trade: Sigma Technology / Sigma IT
            words = [words[0], rnd.choice(TRADES)] + [w for w in words[2:] if w in LEGAL]
        elif how == 2:  # another place: Region Stockholm / Region Skåne
            words = [w for w in words if w not in PLACES] + [rnd.choice(PLACES)]
        else:  # the same name, another company (another org number, no shared domain)
            self.companies.append({"name": base["name"], "orgnr": self.new_orgnr(),
                                   "domains": [slug(base["name"]) + "-" + rnd.choice(PLACES).lower()
                                               + ".se"], "origin": "same name twin"})
            return
        self.add(" ".join(words), None, self.new_orgnr(), "look-alike")


def variant(rnd: random.Random, name: str) -> tuple[str, str]:
    kind = rnd.choices([k for k, _ in VARIANTS], [w for _, w in VARIANTS])[0]
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


def typed_orgnr(rnd: random.Random, orgnr: str) -> str:
    roll = rnd.random()
    if roll < 0.03:  # a slip of one digit: fails the Luhn check, so it is no evidence
        i = rnd.choice([0, 1, 2, 3, 4, 5, 7, 8, 9, 10])
        return orgnr[:i] + str((int(orgnr[i]) + 1) % 10) + orgnr[i + 1:]
    return rnd.choice((orgnr, orgnr.replace("-", ""), "16" + orgnr, orgnr.replace("-", " ")))


def make_rows(count: int, seed: int):
    """`count` rows and the true company of each, with its variant kind."""
    rnd = random.Random(seed)
    world = World(rnd, max(len(REAL), int(count / 1.8)))
    refs, truth, kinds = [], [], []
    for company_id, company in enumerate(world.companies):
        if len(refs) >= count:
            break
        for copy in range(1 + min(int(rnd.expovariate(1 / 1.5)), 12)):
            name, kind = (company["name"], "first row") if copy == 0 else \
                variant(rnd, company["name"])
            domain = rnd.choice(company["domains"])
            website = rnd.choice((f"https://www.{domain}/", domain, f"www.{domain}",
                                  f"http://{domain}/kontakt")) if rnd.random() < 0.45 else ""
            email = ""
            if rnd.random() < 0.4:
                email = f"kontakt{copy}@" + (domain if rnd.random() < 0.8 else rnd.choice(FREE_MAIL))
            orgnr = typed_orgnr(rnd, company["orgnr"]) if rnd.random() < 0.3 else ""
            refs.append(CompanyRef(len(refs), name, orgnr, website, email))
            truth.append(company_id)
            kinds.append(kind)
    order = list(range(len(refs)))
    rnd.shuffle(order)  # rows of one company are not next to each other in a sheet
    return [refs[i] for i in order[:count]], [truth[i] for i in order[:count]], \
        [kinds[i] for i in order[:count]]


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


def quality(refs, truth, kinds, result) -> None:
    predicted = [result.key_of(ref.ref) for ref in refs]
    precision, recall, tp, made = pairwise(predicted, truth)
    real = pairs_in(Counter(truth).values())
    print(f"automatic merges: precision {precision:.4f}  recall {recall:.4f}  "
          f"({tp} of {made} merged pairs true, {real} true pairs)")
    _, bound, _, _ = pairwise(strong_evidence_bound(refs, truth), truth)
    print(f"  recall bound for automatic merges (strong evidence only, by an oracle): {bound:.4f}; "
          f"the matcher reaches {recall / bound:.1%} of it")
    name_of = {company: normalise_name(ref.name) for ref, company, kind
               in zip(refs, truth, kinds) if kind == "first row"}
    twins = same_typed = 0
    for key, rows in _rows_by_cluster(predicted, truth).items():
        for (a, rows_a), (b, rows_b) in itertools.combinations(rows.items(), 2):
            pairs = len(rows_a) * len(rows_b)
            twins += pairs if name_of.get(a) == name_of.get(b) else 0
            same_typed += pairs if _typed_names(refs, rows_a) & _typed_names(refs, rows_b) else 0
    print(f"  false merged pairs: {made - tp}; {same_typed} of them join two companies each "
          f"typed somewhere with the same normalised name, which the rules merge automatically "
          f"({twins} between companies registered under one name)")
    print(f"  precision leaving out the companies registered under one name: "
          f"{tp / max(1, made - twins):.4f}")
    members = defaultdict(Counter)
    for key, company in zip(predicted, truth):
        members[key][company] += 1
    extra, true_review = 0, 0
    for pair in result.review:
        shared = sum(n * members[pair.b][c] for c, n in members[pair.a].items())
        extra += shared
        true_review += shared > 0
    print(f"review pairs: {len(result.review)}, {true_review} of them true duplicates "
          f"({true_review / max(1, len(result.review)):.0%}); "
          f"candidate recall (automatic merges and every review pair): {(tp + extra) / real:.4f}")
    main = {}
    for company, key_counts in _by_company(predicted, truth).items():
        main[company] = key_counts.most_common(1)[0][0]
    by_kind = defaultdict(lambda: [0, 0])
    for key, company, kind in zip(predicted, truth, kinds):
        by_kind[kind][0] += key == main[company]
        by_kind[kind][1] += 1
    print("rows in their company's main cluster, by variant: " + ", ".join(
        f"{kind} {found / total:.0%}" for kind, (found, total) in sorted(by_kind.items())))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--naive-max", type=int, default=10000,
                        help="largest size the naive all-pairs baseline runs on")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tune_garbage_collector()  # as the chas-sheets command does
    cold_start()
    print(f"start: peak RSS {peak_mb():.0f} MB")
    for size in map(int, args.sizes.split(",")):
        refs, truth, kinds = make_rows(size, args.seed)
        print(f"\n== {len(refs):,} rows, {len(set(truth)):,} companies ==")
        cold_start()
        started, cpu = time.perf_counter(), time.process_time()
        result = cluster_companies(refs)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        # On a shared machine wall time depends on the others' load: CPU time and the load
        # average tell how far it was stretched.
        print(f"cluster_companies: {took:.2f} s ({cpu:.2f} s CPU, load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), {len(result):,} clusters, "
              f"peak RSS so far {peak_mb():.0f} MB")
        quality(refs, truth, kinds, result)
        if size <= args.naive_max:
            names = [normalise_name(ref.name) for ref in refs]
            started = time.perf_counter()
            naive = naive_all_pairs(names)
            naive_took = time.perf_counter() - started
            precision, recall, _, _ = pairwise(naive, truth)
            print(f"naive all-pairs token_sort_ratio>=90 on normalised names: {naive_took:.2f} s "
                  f"(x{naive_took / took:.1f} of cluster_companies), precision {precision:.4f} "
                  f"recall {recall:.4f}, peak RSS so far {peak_mb():.0f} MB")
        else:
            print(f"naive all-pairs: not run ({size:,}² scores would need "
                  f"{size * size / 1e9:.0f} GB as uint8)" + (
                      f"; quadratic, so about x{(size / args.naive_max) ** 2:.0f} the time at "
                      f"{args.naive_max:,} rows" if args.naive_max else ""))


if __name__ == "__main__":
    main()
