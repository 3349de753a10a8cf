"""Company identity: which rows name the same company. Pure, reused by every job that matches
companies (the contact log linker, dedupe, the harvest, the nightly counts).

Evidence, strongest first (see ../shared/research/dedupe-and-allocation.md):
1. the same valid organisation number;
2. the same registrable domain of the website or the contact's e-mail (free mail and social
   domains are no evidence);
3. the same normalised name: the same fingerprint (sorted words) or the same words without
   spaces (`Tieto Evry` = `Tietoevry`).

A domain is evidence of one company only where the names on it agree. A group's domain
(`volvo.com`: listed in templates/company_groups.toml, or carried by rows with two organisation
numbers, or by a company whose own domain is another) joins only rows that also bear the same
name; on any other domain, names that disagree strongly (no word in common, not alike, no
initials: a subsidiary writing from its parent's domain, a company renamed) and the domain's
own name against that name with more words (a parent and the subsidiary it named) join apart
and are review pairs.

Clusters form automatically only on that evidence, strongest first, and never across
conflicting evidence: two different valid organisation numbers are two companies, whatever
the names and domains say; two clusters whose domains have nothing in common (`volvo.com` /
`volvocars.com`; `volvocars.se` and `volvocars.com` do share the name `volvocars`) are two
companies whatever the names say. A name is no evidence among clusters whose towns (the `Ort`
column) nothing ties together (no cluster names two of them, no domain name shared): a trading
company's or a sole trader's name is protected only in its county, so 'Anderssons Bygg HB' in
Umeå and in Malmö are two companies as often as one; a company's offices are tied by its
organisation number or domain. When one name or domain points at several conflicting
companies it is no evidence at all: the rows with nothing stronger could be either company, so
they join nothing and become *review* pairs. Weaker matches are only ever review pairs: similar
names (rapidfuzz ratio inside blocks, so cost stays near-linear), a name missing a word or two
of a longer one ('Renosa HB' / 'Renosa Snickeri HB', unless the shorter is within many names),
and one slip of the keyboard in one word (a deletion index), a name against the cluster whose
domain is that name ('Raelni Reklam' / raelnireklam.com); legal forms anywhere in a name are no
words of it for review ('Klarna Bank AB (publ) Software'). A user confirms a pair with
`confirmed=` (a person may overrule different domains, never two organisation numbers, which
are also never offered for review).

Rows of a pandas table become refs like this (the ref is whatever identifies the row)::

    refs = [CompanyRef(ref, name, orgnr, site, mail) for ref, name, orgnr, site, mail
            in zip(df["ID"], df["Företag"], df["Org.nr"], df["Webbplats"], df["E-post"])]
    clusters = cluster_companies(refs)
    df["company"] = [clusters.key_of(ref) for ref in df["ID"]]
"""

from __future__ import annotations

import functools
import itertools
from array import array
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, Postfix, Prefix
from rapidfuzz.process import cpdist

from chas_sheets.company.evidence import (
    city_words,
    company_key,
    core_tokens,
    domain_label,
    is_group_domain,
    name_fingerprint,
    name_tokens,
    ngram_fingerprint,
    normalise_name,
    parse_orgnr,
    places_in,
    registrable_domain,
)
from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import _
from chas_sheets.sheet.values import as_text

__all__ = [
    "CompanyRef", "Cluster", "ReviewPair", "CompanyClusters", "cluster_companies",
    "parse_orgnr", "registrable_domain", "normalise_name", "name_fingerprint",
    "ngram_fingerprint", "company_key", "display_name", "row_name", "repeated_row",
]

# Names with at most this many letters (after normalising) never match fuzzily: Bravo/Brava.
SHORT_NAME_LETTERS = 5
# A one-word name this long or longer within a longer name is a review pair ('Xova' within
# 'Xova Ventilation'), however short: the words a student leaves out are the later ones.
SHORTEST_SUB_NAME = 3
# rapidfuzz ratio on fingerprints (= token_sort_ratio) at or above which a pair is reviewed.
REVIEW_SCORE = 85
# A name within a longer one ('renosa' in 'renosa snickeri') is reviewed when the longer adds at
# most this many words, and scores 90 when they add at most this many letters ('lm ericsson').
MOST_WORDS_MISSING = 2
CONTAINED_EXTRA_LETTERS = 3
# A name within more longer names than this is generic ('anderssons' in 'anderssons bygg',
# 'anderssons maleri', ...): it says nothing about which one was meant, so none is reviewed.
# Up to this many, each is a review pair: one company typed with a different extra word on
# several rows ('saloqu halsa', 'saloqu bygg', ...) or a parent with a few subsidiaries reaches
# four or five longer names by itself (at three, 1 in 20 of the rows missing or adding a word
# lost its company).
MOST_CONTAINING = 5
# A word this long or longer with one slip (a letter missing, extra, wrong or two swapped) is
# a typo of the other: 'saonre' / 'saonru', 'andstrom' / 'sandstrom' (ratio misses both).
TYPO_WORD_LETTERS = 4
# Longer "names" are text pasted into the wrong cell: compared only exactly, never fuzzily
# (scoring two 20,000-letter cells costs as much as a thousand real names).
LONGEST_NAME_LETTERS = 150
# At most this many clusters sharing one name or domain name are paired for review.
MOST_PER_KEY = 20
# Blocks larger than this are compared as a sorted neighbourhood of this width.
BLOCK_WINDOW = 20
# Candidate pairs scored per rapidfuzz call: bounds the memory the name lists take.
SCORED_AT_ONCE = 1 << 19
# Two names on one domain with nothing else in common agree when their letters score this
# (rapidfuzz ratio on the names without spaces): 'finoybil it' / 'fino bil it'.
NAMES_AGREE_SCORE = 75
# A domain with more different names than this is one big company typed every way: its names
# are not compared with each other (that would cost their square).
MOST_NAMES_ON_A_DOMAIN = 60
# A name this short that begins as another name on its domain (or as the domain) is taken for
# its abbreviation ('VCC' / 'Volvo Personvagnar' on volvocars.com), never as disagreeing.
ABBREVIATION_LETTERS = 4


@dataclass(frozen=True)
class CompanyRef:
    """One row naming a company. `ref` identifies the row (lead ID, (sheet, row), ...)."""
    ref: Hashable
    name: object
    orgnr: object = ""
    website: object = ""
    email: object = ""
    city: object = ""  # the town a row names (`Ort`), or ""


@dataclass(frozen=True)
class Cluster:
    """Rows that name one company."""
    key: str                # stable: the orgnr, else a domain, else the name fingerprint
    name: str               # the display name: the most complete, most common spelling
    members: tuple          # refs, in a canonical order
    orgnr: str              # canonical organisation number, or ""
    domains: tuple[str, ...]
    evidence: tuple[str, ...]  # what joined them: "orgnr 556074-3089", "domain volvocars.com"


@dataclass(frozen=True)
class ReviewPair:
    """Two clusters that may be one company: for a person to confirm or reject."""
    a: str                  # cluster keys, a < b
    b: str
    score: int              # 0-100, 100 = same name but conflicting evidence elsewhere
    reason: str


class CompanyClusters:
    """The result of `cluster_companies`."""

    def __init__(self, clusters: tuple[Cluster, ...], review: tuple[ReviewPair, ...]):
        self.clusters = clusters
        self.review = review
        self._by_ref = {ref: cluster for cluster in clusters for ref in cluster.members}
        self._by_key = {cluster.key: cluster for cluster in clusters}

    def key_of(self, ref: Hashable) -> str:
        return self._by_ref[ref].key

    def cluster_of(self, ref: Hashable) -> Cluster:
        return self._by_ref[ref]

    def __getitem__(self, key: str) -> Cluster:
        return self._by_key[key]

    def __len__(self) -> int:
        return len(self.clusters)


@dataclass(slots=True)
class _Row:
    ref: Hashable
    name: str
    tokens: tuple[str, ...]
    orgnr: str
    domains: tuple[str, ...]
    fingerprint: str  # of the tokens ("" without any): computed once per distinct name
    compact: str      # the tokens without spaces
    city: frozenset[str]  # the words of the town the row names ("Västra Frölunda": two)


class _Forest:
    """Union-find whose roots carry the strong evidence, so a merge can be refused when it
    would put two organisation numbers, or two unrelated domains, in one cluster (or join
    two towns by a name alone)."""

    def __init__(self, rows: list[_Row]):
        self.parent = list(range(len(rows)))
        self.orgnr = [row.orgnr for row in rows]
        none: frozenset[str] = frozenset()
        label_sets: dict[tuple[str, ...], frozenset[str]] = {(): none}  # rows share them: one each
        self.labels = [label_sets.get(row.domains) or label_sets.setdefault(
            row.domains, frozenset(map(domain_label, row.domains))) for row in rows]
        self.cities = [row.city for row in rows]
        self.evidence: defaultdict[int, set[str]] = defaultdict(set)  # by root; most have none
        self.review: dict[tuple[int, int], tuple[int, str]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def roots(self) -> list[int]:
        """Every row's root at once (pointer jumping over an array, not a find per row)."""
        parent = np.array(self.parent, dtype=np.int64)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent.tolist()
            parent = grand

    def conflict(self, a: int, b: int, domains_too: bool = True, unproven: bool = False) -> bool:
        """Different orgnrs, or (domains_too) domains with nothing in common. With `unproven`,
        also two clusters that share neither an orgnr nor a domain name (one has only an
        orgnr, the other only a domain): a short name like 'volvo' cannot join those."""
        if self.orgnr[a] and self.orgnr[b] and self.orgnr[a] != self.orgnr[b]:
            return True
        if domains_too and self.labels[a] and self.labels[b] and not self.labels[a] & self.labels[b]:
            return True
        return unproven and not ((self.orgnr[a] and self.orgnr[a] == self.orgnr[b])
                                 or self.labels[a] & self.labels[b])

    def union(self, a: int, b: int) -> int:
        a, b = self.find(a), self.find(b)
        if a == b:
            return a
        a, b = min(a, b), max(a, b)  # the lower index (canonical order) stays root
        self.parent[b] = a
        self.orgnr[a] = self.orgnr[a] or self.orgnr[b]
        self.labels[a] |= self.labels[b]
        if self.cities[b]:
            self.cities[a] |= self.cities[b]
        if b in self.evidence:
            self.evidence[a] |= self.evidence.pop(b)
        return a

    def towns_disagree(self, roots: list[int]) -> bool:
        """The clusters a name would join name towns that nothing ties together: a name is
        then no evidence (see the module docstring). Towns are tied when one cluster names
        both (a company's offices) or clusters naming them share a domain name; so
        'Göteborg' on volvocars.com and 'Stockholm' on volvocars.se are one family, and a
        row naming either joins, while 'Umeå' and 'Malmö' with nothing else shared are two."""
        placed = [r for r in roots if self.cities[r] or self.labels[r]]
        if sum(1 for r in placed if self.cities[r]) < 2:  # most names: one town at most
            return False
        family = list(range(len(placed)))

        def find(n: int) -> int:
            while family[n] != n:
                n = family[n]
            return n

        first: dict[tuple[str, str], int] = {}
        for n, root in enumerate(placed):
            for key in [("town", town) for town in self.cities[root]] + [("label", lb) for lb in self.labels[root]]:
                other = find(first.setdefault(key, n))
                mine = find(n)
                if other != mine:
                    family[max(other, mine)] = min(other, mine)
        return len({find(n) for n, root in enumerate(placed) if self.cities[root]}) > 1

    def add_review(self, a: int, b: int, score: int, reason: str) -> None:
        a, b = self.find(a), self.find(b)
        if a == b or self.conflict(a, b, domains_too=False):  # two orgnrs: never one company
            return
        pair = (min(a, b), max(a, b))
        if pair not in self.review or self.review[pair][0] < score:
            self.review[pair] = (score, reason)

    def join_group(self, members: list[int], evidence: str, domains_too: bool,
                   weak: bool = False) -> None:
        """Join rows sharing one piece of evidence, unless it points at conflicting
        companies: then it is no evidence at all. Rows with nothing stronger of their own
        could belong to either company, so they join none (not even each other) and are
        offered for review against the companies and each other."""
        roots = sorted({self.find(i) for i in members})
        if len(roots) == 1:  # joined already by stronger evidence: nothing can clash
            self.evidence[roots[0]].add(evidence)
            return
        anchored = [r for r in roots if self.orgnr[r] or (domains_too and self.labels[r])]
        clash = any(self.conflict(a, b, domains_too, weak) for a, b in itertools.combinations(
            _distinct_evidence(self, anchored), 2)) or (domains_too and self.towns_disagree(roots))
        if not clash:
            for root in roots[1:]:
                self.union(roots[0], root)
            self.evidence[self.find(roots[0])].add(evidence)
            return
        for a, b in itertools.combinations(roots[:MOST_PER_KEY], 2):
            self.add_review(a, b, 100, _("{evidence}, other evidence differs or is missing").format(evidence=evidence))


def _distinct_evidence(forest: _Forest, roots: list[int]) -> list[int]:
    """One root per distinct (orgnr, labels), so a clash check on many rows stays cheap."""
    seen = {}
    for root in roots:
        seen.setdefault((forest.orgnr[root], forest.labels[root]), root)
    return list(seen.values())


def cluster_companies(refs: Iterable[CompanyRef],
                      confirmed: Iterable[tuple[Hashable, Hashable]] = ()) -> CompanyClusters:
    """Group rows that name the same company; see the module docstring for the rules.

    `confirmed` holds pairs of refs a person has confirmed are one company (from `.review`);
    confirming two rows with conflicting organisation numbers or domains is an error.
    The result does not depend on the order of `refs`.
    """
    return _cluster(refs, confirmed)


def _cluster(refs: Iterable[CompanyRef],
             confirmed: Iterable[tuple[Hashable, Hashable]]) -> CompanyClusters:
    rows = _canonical_rows(refs)
    forest = _Forest(rows)
    # What joined rows and why pairs are reviewed is read by people (dedupe): translated once
    # per clustering, filled in per group.
    _join_by(forest, rows, attrgetter("orgnr"), _("orgnr {key}"), domains_too=False, check=False)
    _join_by_domain(forest, rows)
    _join_by(forest, rows, attrgetter("fingerprint"), _("name '{key}'"), domains_too=True, weak_if_short=True)
    _join_by_compact(forest, rows)
    index = {row.ref: i for i, row in enumerate(rows)}
    for a, b in confirmed:
        _confirm(forest, rows, index, a, b)
    roots = forest.roots()  # no joins after this point: only review pairs
    _fuzzy_review(forest, rows, roots)
    return _result(forest, rows, roots)


def repeated_row(ref: Hashable) -> InvalidInput:
    """The error of a row given twice (also raised by those who gather rows for a clustering)."""
    return InvalidInput(_("the same row was given twice: {row}").format(row=repr(ref)))


def row_name(name: object) -> str:
    """A row's company name as clusters show it."""
    return name.strip() if name.__class__ is str else as_text(name)  # as_text, quicker


@functools.lru_cache(maxsize=1 << 17)
def _fingerprint(tokens: tuple[str, ...]) -> str:
    """OpenRefine's fingerprint of normalised words: sorted, unique (cached: rows repeat names)."""
    return " ".join(sorted(set(tokens)))


_NO_TOWN: frozenset[str] = frozenset()


def _canonical_rows(refs: Iterable[CompanyRef]) -> list[_Row]:
    rows, seen = [], set()
    keys_of: dict[tuple[str, ...], tuple[str, str]] = {(): ("", "")}  # tokens -> fingerprint, compact
    for ref in refs:
        if ref.ref in seen:
            raise repeated_row(ref.ref)
        seen.add(ref.ref)
        name = row_name(ref.name)
        site, mail = registrable_domain(ref.website), registrable_domain(ref.email)
        domains = tuple(sorted({site, mail})) if site and mail else (site,) if site else (mail,) if mail else ()
        tokens = name_tokens(name)
        keys = keys_of.get(tokens)
        if keys is None:
            keys = keys_of[tokens] = (_fingerprint(tokens), "".join(tokens))
        rows.append(_Row(ref.ref, name, tokens, parse_orgnr(ref.orgnr) or "", domains, *keys,
                         city_words(ref.city) if ref.city else _NO_TOWN))
    # Canonical order makes the result independent of input order.
    try:
        rows.sort(key=attrgetter("ref"))
    except TypeError:  # refs of mixed types: order by their text
        rows.sort(key=lambda row: (type(row.ref).__name__, repr(row.ref)))
    return rows


def _join_by(forest: _Forest, rows: list[_Row], key_of, label: str, domains_too: bool,
             check: bool = True, weak_if_short: bool = False) -> None:
    """Join the rows that share a key (`key_of(row)`; "" is none)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(map(key_of, rows)):
        if key:
            groups[key].append(i)
    for key in sorted(key for key, members in groups.items() if len(members) > 1):  # one row joins nothing
        members = groups[key]
        if not check:  # the organisation number outranks everything else
            for i in members[1:]:
                forest.union(members[0], i)
            if len(members) > 1:
                forest.evidence[forest.find(members[0])].add(label.format(key=key))
        else:
            weak = weak_if_short and len(key.replace(" ", "")) <= SHORT_NAME_LETTERS
            forest.join_group(members, label.format(key=key), domains_too, weak)


def _join_by_domain(forest: _Forest, rows: list[_Row]) -> None:
    """Rows sharing a registrable domain, unless the names on it say they are several companies.

    A group's domain (listed, or carried by rows with two organisation numbers) says "one of
    the group": on it only the same name joins, other names are review pairs. On any other
    domain the rows join unless their names disagree strongly (no word in common, not alike,
    no initials or domain name in common: a subsidiary writing from its parent's domain, a
    company renamed): then each family of names joins apart and the families are reviewed."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        for domain in row.domains:
            groups[domain].append(i)
    labels = {domain_label(domain) for domain in groups}
    on_domain, group_domain, disagree = _("domain {domain}"), _("group domain {domain}, names differ"), _(
        "domain {domain}, names disagree")
    for domain in sorted(groups):
        members = groups[domain]
        if len(members) == 1:
            continue
        names = defaultdict(list)
        for i in members:
            names[rows[i].fingerprint].append(i)
        if len(names) == 1 or (len(names) == 2 and "" in names):  # most domains: one name
            forest.join_group(members, on_domain.format(domain=domain), domains_too=False)
            continue
        orgnrs = {forest.orgnr[forest.find(i)] for i in members} - {""}
        label = domain_label(domain)
        if (is_group_domain(domain) or len(orgnrs) > 1
                or any(_another_domains_name(rows[i].tokens, label, labels) for i in members)):
            families = [group for name, group in sorted(names.items()) if name]
            reason = group_domain.format(domain=domain)
        else:
            families = _name_families(sorted(name for name in names if name), label, names)
            reason = disagree.format(domain=domain)
        if len(families) == 1:
            forest.join_group(members, on_domain.format(domain=domain), domains_too=False)
            continue
        for family in families:
            if len(family) > 1:
                forest.join_group(family, on_domain.format(domain=domain), domains_too=False)
        heads = sorted({forest.find(family[0]) for family in families} | {forest.find(i) for i in names.get("", ())})
        for a, b in itertools.combinations(heads[:MOST_PER_KEY], 2):
            forest.add_review(a, b, 90, reason)


def _another_domains_name(tokens: tuple[str, ...], label: str, labels: set[str]) -> bool:
    """The name is another domain's name ('Mitoda Media' writing from mitoda.se while
    mitodamedia.com is in the data): that company writes from a domain it shares."""
    compact = "".join(tokens)
    return compact != label and compact in labels


def _name_families(names: list[str], label: str, rows_of: dict[str, list[int]]) -> list[list[int]]:
    """The rows of each family of names (connected by `_names_agree`) on one domain."""
    if len(names) > MOST_NAMES_ON_A_DOMAIN:  # a big company typed every way: the domain decides
        return [[i for name in names for i in rows_of[name]]]
    parent = list(range(len(names)))

    def find(n: int) -> int:
        while parent[n] != n:
            n = parent[n]
        return n

    for a, b in itertools.combinations(range(len(names)), 2):
        if find(a) != find(b) and _names_agree(names[a], names[b], label):
            parent[max(find(a), find(b))] = min(find(a), find(b))
    families: dict[int, list[int]] = defaultdict(list)
    for n, name in enumerate(names):
        families[find(n)].extend(rows_of[name])
    return list(families.values())


def _names_agree(a: str, b: str, label: str) -> bool:
    """Two names (fingerprints) on one domain that may be one company: a word in common, one
    spelt within the other or alike, initials ('seb' / 'skandinaviska enskilda banken'), or
    both tied to the domain's name ('volvocars'). Not the domain's own name and that name with
    more words ('nimino' / 'nimino el' on nimino.se): a parent and the subsidiary it named,
    as often as one company typed two ways, so a person decides."""
    words_a, words_b = set(a.split()), set(b.split())
    compact_a, compact_b = a.replace(" ", ""), b.replace(" ", "")
    if (compact_a == label and words_a < words_b) or (compact_b == label and words_b < words_a):
        return False  # 'Nimino El' writing from nimino.se: a company the domain's own names
    if words_a & words_b:
        return True
    if compact_a in compact_b or compact_b in compact_a or fuzz.ratio(compact_a, compact_b) >= NAMES_AGREE_SCORE:
        return True
    initials_a, initials_b = "".join(w[0] for w in a.split()), "".join(w[0] for w in b.split())
    if compact_a == initials_b or compact_b == initials_a:
        return True
    short, other = sorted((compact_a, compact_b), key=len)
    if len(short) <= ABBREVIATION_LETTERS and short[0] in (other[0], label[:1]):
        return True  # 'VCC' on volvocars.com: an abbreviation is too short to disagree
    return _tied_to(compact_a, label) and _tied_to(compact_b, label)


def _tied_to(compact: str, label: str) -> bool:
    """The domain's name holds the name's letters, or the name holds the domain's."""
    label = label.replace("-", "")
    return len(min(compact, label, key=len)) >= 3 and (compact in label or label in compact)


def _join_by_compact(forest: _Forest, rows: list[_Row]) -> None:
    """Names equal once spaces are dropped (`tieto evry` / `tietoevry`)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row.compact:
            groups[row.compact].append(i)
    same_names = _("name {spellings}")
    for key in sorted(key for key, members in groups.items() if len(members) > 1):
        spellings = sorted({" ".join(rows[i].tokens) for i in groups[key]})
        if len(spellings) > 1:
            evidence = same_names.format(spellings=" = ".join(f"'{s}'" for s in spellings[:3]))
            forest.join_group(groups[key], evidence, domains_too=True,
                              weak=len(key) <= SHORT_NAME_LETTERS)


def _confirm(forest: _Forest, rows: list[_Row], index: dict, a: Hashable, b: Hashable) -> None:
    missing = [ref for ref in (a, b) if ref not in index]
    if missing:
        raise InvalidInput(_("no such row to merge: {row}").format(row=repr(missing[0])))
    ra, rb = forest.find(index[a]), forest.find(index[b])
    if forest.conflict(ra, rb, domains_too=False):  # a person may overrule domains, not orgnrs
        raise InvalidInput(_("cannot merge {a} and {b}: they have different organisation numbers ({orgnr_a}, "
                             "{orgnr_b})").format(a=repr(a), b=repr(b), orgnr_a=forest.orgnr[ra],
                                                  orgnr_b=forest.orgnr[rb]))
    forest.evidence[forest.union(ra, rb)].add(_("confirmed {a} = {b}").format(a=repr(a), b=repr(b)))


def _fuzzy_review(forest: _Forest, rows: list[_Row], row_roots: list[int]) -> None:
    """Review pairs from similar names, compared only inside blocks (a shared uncommon word,
    the first or last four letters), large blocks as a sorted neighbourhood: cost stays
    near-linear."""
    keys_of: dict[tuple[str, ...], tuple[str, str] | None] = {}
    for row in rows:
        if row.tokens and row.tokens not in keys_of:
            keys_of[row.tokens] = _review_keys(row.tokens)
    names = sorted({keys[0] for keys in keys_of.values() if keys})
    # The pairs of similar names first, while little else is held: their passes take the most memory.
    long_names = [name for name in names if len(name) - name.count(" ") > SHORT_NAME_LETTERS]
    similar = _similar_names(long_names)
    position = {name: n for n, name in enumerate(names)}
    contained = list(_contained_names(long_names, position))
    del position
    typos = list(_typo_names(long_names))
    # name -> the clusters bearing it; lists, not sets: most names are in one (a third the memory)
    roots_of: dict[str, list[int]] = {}
    by_compact: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if not row.tokens:
            continue
        keys = keys_of[row.tokens]
        if keys:
            root = row_roots[i]
            for index, key in ((roots_of, keys[0]), (by_compact, keys[1])):
                found = index.get(key)
                if found is None:
                    index[key] = [root]
                elif found[-1] != root:
                    found.append(root)
    for index in (roots_of, by_compact):
        for key, found in index.items():
            if len(found) > 1:
                index[key] = sorted(set(found))
    del keys_of
    on_label: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, row in enumerate(rows):
        for domain in row.domains:
            on_label[domain_label(domain)].append((row_roots[i], domain))
    by_label: dict[str, dict[int, set[str]]] = {}  # label -> root -> its domains with that label
    for label, found in on_label.items():
        if len({root for root, _ in found}) > 1 or label in by_compact:
            roots: dict[int, set[str]] = defaultdict(set)
            for root, domain in found:
                roots[root].add(domain)
            by_label[label] = roots
    del on_label
    domain_name, endings, same_name = (_("name '{label}' is the domain name of '{domain}'"),
                                       _("domain name '{label}' under different endings"), _("name '{key}'"))
    for label in sorted(by_label.keys() & by_compact.keys()):  # 'Raelni Reklam' / raelnireklam.com
        for a in sorted(by_compact[label])[:MOST_PER_KEY]:
            for b in sorted(by_label[label])[:MOST_PER_KEY]:
                forest.add_review(a, b, 90, domain_name.format(label=label, domain=min(by_label[label][b])))
    for label, roots in sorted(by_label.items()):  # volvocars.com / volvocars.se
        if len(roots) > 1:
            for a, b in itertools.combinations(sorted(roots)[:MOST_PER_KEY], 2):
                if not roots[a] & roots[b]:  # on one domain: reviewed (or not) when joining by domain
                    forest.add_review(a, b, 95, endings.format(label=label))
    for name in names:  # one name in several clusters: those were kept apart by a conflict
        if len(roots_of[name]) > 1:
            for a, b in itertools.combinations(sorted(roots_of[name])[:MOST_PER_KEY], 2):
                forest.add_review(a, b, 100, same_name.format(key=name))
    alike = _("name '{a}' ~ '{b}'")
    for a, b, score in similar:
        _review_names(forest, roots_of, a, b, score, alike)
    within = _("name '{a}' within '{b}'")
    for a, b, score in contained:
        _review_names(forest, roots_of, a, b, score, within)
    typo = _("names '{a}' and '{b}' one typo apart")
    for a, b, score in typos:
        _review_names(forest, roots_of, a, b, score, typo)


def _similar_names(names: list[str]) -> list[tuple[str, str, int]]:
    """(a, b, score) for names sharing a block whose rapidfuzz ratio reaches REVIEW_SCORE,
    unless they are alike only around parts that differ ('alvdigital' / 'koddigital')."""
    similar = []
    codes = _candidate_codes(names)
    as_array = np.array(names, dtype=object)  # gathers 2M names in C: 0.06 s, not 0.3 s
    lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    for start in range(0, len(codes), SCORED_AT_ONCE):  # in slices: memory stays flat
        part = codes[start:start + SCORED_AT_ONCE]
        first, second = part // len(names), part % len(names)
        # ratio = 200 * (longest common subsequence) / (both lengths) is at most 200 * shorter /
        # both: pairs of lengths too far apart cannot reach REVIEW_SCORE, so are not scored.
        can = 200 * np.minimum(lengths[first], lengths[second]) >= REVIEW_SCORE * (lengths[first] + lengths[second])
        first, second = first[can], second[can]
        scores = cpdist(as_array[first].tolist(), as_array[second].tolist(), scorer=fuzz.ratio,
                        score_cutoff=REVIEW_SCORE, dtype=np.uint8, workers=-1)
        hits = scores > 0
        for i, j, score in zip(first[hits].tolist(), second[hits].tolist(), scores[hits].tolist()):
            if not _alike_only_around(names[i], names[j]):
                similar.append((names[i], names[j], score))
    return similar


def _review_keys(tokens: tuple[str, ...]) -> tuple[str, str] | None:
    """The fingerprint and the letters of a name's words without legal forms anywhere in it
    (they are no words of the name), or None for a name too short or too long to compare."""
    if not SHORTEST_SUB_NAME <= sum(map(len, tokens)) <= LONGEST_NAME_LETTERS:
        return None
    core = core_tokens(tokens)
    return _fingerprint(core), "".join(core)


def _contained_names(names: list[str], position: dict[str, int]):
    """(sub, name, score) for names found whole within a longer one that adds at most
    MOST_WORDS_MISSING words ('renosa' in 'renosa snickeri', 'ericsson' in 'ericsson lm'),
    unless the sub-name is generic (within more than MOST_CONTAINING names). Fingerprints are
    sorted words, so dropping words from one gives the fingerprint of the shorter name."""
    within: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for name in names:
        words = name.split()
        if len(words) > 6:  # 7+ words: too many subsets to try, and such names are rare
            continue
        for drop in range(1, min(MOST_WORDS_MISSING, len(words) - 1) + 1):
            for kept in itertools.combinations(words, len(words) - drop):
                sub = " ".join(kept)
                if sub in position:
                    letters = len(name.replace(" ", "")) - len(sub.replace(" ", ""))
                    within[sub].append((name, 90 if letters <= CONTAINED_EXTRA_LETTERS else 80))
    for sub, longer in sorted(within.items()):
        short = len(sub.replace(" ", "")) <= SHORT_NAME_LETTERS
        if (not short or " " not in sub) and len(longer) <= MOST_CONTAINING:
            for name, score in longer:
                yield sub, name, score


def _typo_names(names: list[str]):
    """(a, b, score) for names alike but for one slip in one word of TYPO_WORD_LETTERS or
    more. A deletion index (SymSpell's idea) over the distinct words pairs words one slip
    apart (they share the word itself or the word less one letter); two names are then a
    pair when those words are the only difference: they have the same other words."""
    long_names = [n for n, name in enumerate(names) if len(name) - name.count(" ") > SHORT_NAME_LETTERS]
    by_length: dict[int, set[str]] = defaultdict(set)
    for n in long_names:
        for word in names[n].split():
            if len(word) >= TYPO_WORD_LETTERS - 1:
                by_length[len(word)].add(word)
    alike: dict[str, set[str]] = defaultdict(set)  # word -> the words one slip from it
    shorter: dict[str, set[str]] = {}  # the forms less one letter of the words one letter longer
    for length in sorted(by_length):  # words of one length and the next: memory stays small
        filed: dict[str, list[str]] = defaultdict(list)
        for word in by_length[length]:
            forms = shorter.pop(word, None)  # each word's forms made once, used at both lengths
            if forms is None:
                forms = _deletions(word) - {word}
            filed[word].append(word)
            for form in forms:
                filed[form].append(word)
        shorter.clear()
        for word in by_length.get(length + 1, ()):
            forms = shorter[word] = _deletions(word) - {word}
            for form in forms:
                filed[form].append(word)
        for words in filed.values():
            if 1 < len(words) <= BLOCK_WINDOW:  # more is a generic stem, not a typo
                for word_a, word_b in itertools.combinations(words, 2):
                    alike[word_a].add(word_b)
                    alike[word_b].add(word_a)
    # other words -> word -> the names: names differing in one word share the other words.
    # Most other words are in one name only: kept as a (word, name) tuple, a third the memory.
    by_rest: dict[str, tuple[str, int] | dict[str, list[int]]] = {}
    for n in long_names:
        words = names[n].split()
        for w, word in enumerate(words):
            if word in alike:
                rest = " ".join(words[:w] + words[w + 1:])
                found = by_rest.get(rest)
                if found is None:
                    by_rest[rest] = (word, n)
                elif found.__class__ is tuple:
                    by_rest[rest] = {found[0]: [found[1]]}
                    by_rest[rest].setdefault(word, []).append(n)
                else:
                    found.setdefault(word, []).append(n)
    pairs = set()
    for found in by_rest.values():
        if found.__class__ is tuple or len(found) < 2:
            continue  # most: no other name has the same other words
        for word, members in found.items():
            near = alike[word]
            for other in (near if len(near) < len(found) else found):  # the shorter side
                if other > word and other in near:  # each pair of words once
                    matches = found.get(other)
                    if matches:
                        pairs.update((min(i, j), max(i, j)) for i in members for j in matches)
    for i, j in sorted(pairs):
        a, b = names[i], names[j]
        only_a, only_b = set(a.split()) - set(b.split()), set(b.split()) - set(a.split())
        if len(only_a) == len(only_b) == 1:
            word_a, word_b = only_a.pop(), only_b.pop()
            if (max(len(word_a), len(word_b)) >= TYPO_WORD_LETTERS
                    and DamerauLevenshtein.distance(word_a, word_b, score_cutoff=1) <= 1):
                yield a, b, int(fuzz.ratio(a, b))


def _deletions(word: str) -> set[str]:
    """The word and every form of it less one letter."""
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


def _alike_only_around(a: str, b: str) -> bool:
    """'alvdigital' / 'koddigital': the same ending (or beginning) around parts that have
    nothing in common: two brands of one kind, not a typo."""
    a, b = a.replace(" ", ""), b.replace(" ", "")
    head = Prefix.similarity(a, b)  # the letters in common at the start (os.path.commonprefix, in C)
    tail = Postfix.similarity(a[head:], b[head:])
    rest_a, rest_b = a[head:len(a) - tail], b[head:len(b) - tail]
    return min(len(rest_a), len(rest_b)) >= 2 and fuzz.ratio(rest_a, rest_b) < 50


def _review_names(forest: _Forest, roots_of: dict, a: str, b: str, score: int, how: str) -> None:
    """Offer every cluster named `a` for review against every one named `b`; `how` says why,
    with a place for each name."""
    places_a, places_b = _places(a), _places(b)
    if places_a - places_b and places_b - places_a:
        return  # Region Stockholm / Region Skåne
    reason = how.format(a=a, b=b)
    for ra in roots_of[a]:
        for rb in roots_of[b]:
            forest.add_review(ra, rb, score, reason)


@functools.lru_cache(maxsize=1 << 16)
def _places(name: str) -> frozenset[str]:
    return places_in(tuple(name.split()))


def _candidate_codes(names: list[str]) -> np.ndarray:
    """Pairs (i < j) of names sharing a block, as sorted unique codes i * len(names) + j.

    One sorted-neighbourhood pass over every block at once: each (block, name) entry is
    paired with the next BLOCK_WINDOW entries of the same block, so a block of up to that
    many names gives all its pairs and a larger one a sorted neighbourhood; a common word
    ('bygg') is no block at all: too many names share it to say anything."""
    flat: list[str] = []  # every name's keys, one after another
    counts = array("q")   # how many keys each name has
    extend, count = flat.extend, counts.append
    for name in names:
        compact = name.replace(" ", "")
        keys = {"<" + compact[:4], ">" + compact[-4:], *(word for word in name.split() if len(word) >= 4)}
        extend(keys)
        count(len(keys))
    if not flat:
        return np.empty(0, dtype=np.int64)
    # A number per distinct key, in first-seen order, without a Python step per entry.
    key_ids = dict(zip(dict.fromkeys(flat), itertools.count()))
    key_array = np.fromiter(map(key_ids.__getitem__, flat), dtype=np.int32, count=len(flat))
    del flat
    member_array = np.repeat(np.arange(len(names), dtype=np.int64), np.frombuffer(counts, dtype=np.int64))
    order = np.argsort(key_array, kind="stable")  # a block's names stay in name order
    key_array, member_array = key_array[order], member_array[order]
    del counts, order
    is_word = np.fromiter((key[0] not in "<>" for key in key_ids), dtype=bool, count=len(key_ids))
    keep = ~(is_word & (np.bincount(key_array, minlength=len(key_ids)) > BLOCK_WINDOW))[key_array]
    key_array, member_array = key_array[keep], member_array[keep]
    same_at = []  # per offset: the entries whose block goes on that far
    for offset in range(1, BLOCK_WINDOW + 1):
        same = key_array[offset:] == key_array[:-offset]
        if not same.any():
            break  # no block holds more than `offset` names
        same_at.append(same)
    # Filled in place, offset by offset: no list of pieces and a concatenated copy of them.
    codes = np.empty(sum(int(np.count_nonzero(same)) for same in same_at), dtype=np.int64)
    filled = 0
    for offset, same in enumerate(same_at, start=1):
        first, second = member_array[:-offset][same], member_array[offset:][same]
        codes[filled:filled + len(first)] = np.minimum(first, second) * len(names) + np.maximum(first, second)
        filled += len(first)
    del same_at
    codes.sort()  # sort-based unique: numpy's hashing np.unique is 5x slower on 10M codes
    return codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes


def _result(forest: _Forest, rows: list[_Row], row_roots: list[int]) -> CompanyClusters:
    # A root is the lowest row of its cluster (union keeps the lower index), so the clusters
    # come out of this loop in root order already: the canonical order, no sort.
    members: dict[int, list[int]] = defaultdict(list)
    for i, root in enumerate(row_roots):
        members[root].append(i)
    keys: dict[int, str] = {}
    taken: dict[str, int] = {}
    orgnrs = forest.orgnr
    for root, group in members.items():  # canonical order, so keys do not depend on input order
        if len(group) == 1:  # most clusters: one row (the same answer as _base_key's)
            row = rows[root]
            base = orgnrs[root] or (min(row.domains) if row.domains else row.fingerprint if row.tokens
                                    else f"row {row.ref!r}")
        else:
            base = _base_key(forest, rows, group)
        seen = taken.get(base, 0) + 1
        taken[base] = seen
        keys[root] = base if seen == 1 else f"{base} #{seen}"
    evidence = forest.evidence
    clusters = []
    append = clusters.append
    for root in sorted(members, key=keys.__getitem__):  # clusters in key order (keys are unique)
        group = members[root]
        found = tuple(sorted(evidence[root])) if root in evidence else ()
        if len(group) == 1:  # most clusters: one row, nothing to choose or gather
            row = rows[root]
            append(Cluster(keys[root], row.name, (row.ref,), orgnrs[root], row.domains, found))
            continue
        members_rows = [rows[i] for i in group]
        domains = {d for row in members_rows for d in row.domains}
        append(Cluster(keys[root], _display_name([row.name for row in members_rows]),
                       tuple([row.ref for row in members_rows]), orgnrs[root],
                       tuple(sorted(domains)) if len(domains) > 1 else tuple(domains), found))
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for (a, b), (score, reason) in sorted(forest.review.items()):
        key_a, key_b = keys[row_roots[a]], keys[row_roots[b]]
        if key_a == key_b:
            continue
        pair = (key_a, key_b) if key_a < key_b else (key_b, key_a)
        known = best.get(pair)
        if known is None or known[0] < score:
            best[pair] = (score, reason)
    # Sorted as (-score, a, b) (pairs are unique, so the reason never decides), then made.
    order = sorted((-score, a, b, reason) for (a, b), (score, reason) in best.items())
    review = tuple([ReviewPair(a, b, -score, reason) for score, a, b, reason in order])
    return CompanyClusters(tuple(clusters), review)


def _base_key(forest: _Forest, rows: list[_Row], group: list[int]) -> str:
    root = group[0]
    if forest.orgnr[root]:
        return forest.orgnr[root]
    domains = [d for i in group for d in rows[i].domains]
    if domains:
        return min(domains)
    names = [rows[i].fingerprint for i in group if rows[i].tokens]
    return min(names) if names else f"row {rows[root].ref!r}"


def _display_name(names: list[str]) -> str:
    """The most complete, most common spelling: proper case over SHOUTING, more words, more
    often typed, with diacritics, longer."""
    if names.count(names[0]) == len(names):  # most clusters: nothing to choose
        return names[0]
    counts: dict[str, int] = {}  # a plain dict: Counter() costs more than counting a cluster's few names
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return display_name(counts)


def display_name(counts: Mapping[str, int]) -> str:
    """A cluster's display name from how often each spelling was typed (the name of rows
    counted rather than listed: `_display_name` of the list holding each name `counts[name]` times)."""
    if len(counts) == 1:
        return next(iter(counts))
    counts = {name: n for name, n in counts.items() if name}
    if not counts:
        return ""

    def rank(name: str):  # the best first: minus each of the above, then the name itself
        proper_case = not (name.isupper() or name.islower())
        return (-proper_case, -len(name.split()), -counts[name], -(not name.isascii()), -len(name), name)

    return min(counts, key=rank)
