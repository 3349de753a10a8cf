"""The harvest's fair split: "draw, then even out", with a lottery anyone can re-run.

Pure: wishes in, an `Allocation` out; no I/O, no pandas. The rules and their proof follow
../shared/research/dedupe-and-allocation.md, sections 4 (allocation) and 5 (lotteries).

Vocabulary. *Wishes* map each member's name to the companies they want, each with a rank
(1 = most wanted) or None (marked `x`: wanted, unranked). A company is *contested* when more
than `cap` members want it; every other company goes to all who asked.

Verifiability (RFC 3797 in spirit):
- `commitment(wishes)` is the SHA-256 of the frozen wishes, published before the seed is known;
- the seed is agreed at the meeting or announced beforehand (`new_seed()` otherwise);
- each contested company ranks its applicants by SHA-256 of `f"{seed}|{company}|{member}"`,
  so anyone with the seed and the wishes can recompute every draw with `hashlib` alone.
Python's `random` is never used: only `random.random()` is promised to stay reproducible
across Python versions (bpo-23974, bpo-27742).
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import N_, _, sheet_
from chas_sheets.sheet.values import is_blank

ALGORITHM_VERSIONS = {
    1: "dra-och-jämna-ut/1 (draw, then even out; SHA-256 lottery)",
    2: "dra-och-jämna-ut/2 (draw, then even out giving what the giver ranked lowest; SHA-256 lottery)",
}
ALGORITHM_VERSION = ALGORITHM_VERSIONS[2]
# The names above are logged and matched back as written; what people read says it in their language.
_DESCRIBED = {
    ALGORITHM_VERSIONS[1]: N_("draw, then even out; SHA-256 lottery"),
    ALGORITHM_VERSIONS[2]: N_("draw, then even out giving what the giver ranked lowest; SHA-256 lottery"),
}


def algorithm_label(name: str) -> str:
    """An algorithm's logged name as people read it: its id, then what it does in their language."""
    described = _DESCRIBED.get(name)
    return f"{name.split(' (', 1)[0]} ({marked(described)})" if described else name


def marked(message: str, translate: Callable[[str], str] = _) -> str:
    """A constant marked with N_ where it is defined (so in the catalog), translated now."""
    return translate(message)

DEFAULT_CAP = 3

# The rule in one sentence: printed with every split, written above the Skörd table by
# --prepare (`harvest.prepare`), and in the README. Its Swedish is in the harvest catalog.
RULE = N_(
    "Companies with three or fewer requests go to everyone who asked; for the rest lots "
    "are drawn in public; then, if someone holds two or more companies more than you and "
    "has one you asked for, it moves to you: the one they ranked lowest first, and a "
    "company they ranked first and won in the draw only when nothing else can move and you "
    "would otherwise have two or more fewer of your wishes than they hold."
)


class _OneSentence:
    """`ONE_SENTENCE["sv"]` / `["en"]`: the rule in either language, whatever people read."""

    def __getitem__(self, language: str) -> str:
        if language == "en":
            return RULE
        if language == "sv":
            return marked(RULE, sheet_)
        raise KeyError(language)


ONE_SENTENCE = _OneSentence()

# The evening step breaks ties between members by a draw of its own, keyed by the empty
# company key (real company keys are never empty), so no name is favoured by the alphabet.
_EVENING_DRAW_KEY = ""

Rank = int | None
Wishes = Mapping[str, Mapping[str, Rank]]


# --- reading a sheet cell -------------------------------------------------------------------


@dataclass(frozen=True)
class Wish:
    "A marked cell: wanted, with a rank (1 = most wanted) or None for a plain `x`."

    rank: Rank = None


def parse_wish(cell: object) -> Wish | None:
    """`x`/`X` -> Wish(None); `1`, ` 2 `, `1.0`, 3 -> Wish(rank); blank -> None (not wanted).

    Anything else raises InvalidInput naming the value; the caller adds tab, row and column.
    """
    if is_blank(cell):
        return None
    if isinstance(cell, bool):  # a checkbox would be ambiguous (is FALSE blank?): say so
        raise _bad_wish(cell)
    if isinstance(cell, numbers.Real):  # also numpy's numbers, from a DataFrame
        return Wish(_rank_from_number(cell))
    text = str(cell).strip()
    if text.lower() == "x":
        return Wish(None)
    try:
        number = float(text.replace(",", "."))  # Swedish sheets may show 1,0
    except ValueError:
        raise _bad_wish(cell) from None
    try:
        return Wish(_rank_from_number(number))
    except InvalidInput:
        raise _bad_wish(cell) from None


def _rank_from_number(number: numbers.Real) -> int:
    if not math.isfinite(number) or number != int(number) or number < 1:
        raise _bad_wish(number)
    return int(number)


def _bad_wish(value: object) -> InvalidInput:
    return InvalidInput(
        _("the wish {value} is not understood: write x, a rank 1, 2, 3 … (1 = most wanted) "
          "or leave it blank").format(value=repr(value))
    )


# --- commitment and lottery ------------------------------------------------------------------


def canonical_wishes(wishes: Wishes) -> str:
    """The wishes as the one canonical text the commitment hashes.

    JSON of {member: {company: rank or null}}, keys sorted by code point
    (`json.dumps(w, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`), encoded as
    UTF-8 for hashing. Names and keys are taken exactly as given; ranks are integers; members
    without wishes appear with `{}`. Row and column order therefore cannot change it.
    """
    normal = _validated(wishes)
    return json.dumps(normal, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def commitment(wishes: Wishes) -> str:
    "SHA-256 (hex) of `canonical_wishes(wishes)` in UTF-8: publish it before the seed."
    return hashlib.sha256(canonical_wishes(wishes).encode("utf-8")).hexdigest()


def new_seed() -> str:
    "A fresh unpredictable seed (128 bits, hex) for when the group has not agreed one."
    return secrets.token_hex(16)


def lottery_ticket(seed: str, company_key: str, member: str) -> str:
    "SHA-256 hex of `seed|company|member`: the lower the ticket, the earlier in the draw."
    return hashlib.sha256(f"{seed}|{company_key}|{member}".encode("utf-8")).hexdigest()


def lottery_order(seed: str, company_key: str, members: Iterable[str]) -> list[str]:
    "The members ranked by their ticket for this company (ties, never seen in practice, by name)."
    return sorted(set(members), key=lambda m: (lottery_ticket(seed, company_key, m), m))


# --- the split -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    "One contested company: everyone who asked in lottery order, the draw's winners, the end."

    company: str
    ranked_applicants: tuple[str, ...]
    winners: tuple[str, ...]  # the first `cap` in lottery order
    holders: tuple[str, ...]  # after evening out, in lottery order


@dataclass(frozen=True)
class Move:
    """One company moved by the evening step; moves of one chain share `chain`. `why` is in
    the sheet language (the audit in Ändringslogg); `reason()` in the language people read."""

    chain: int
    from_member: str
    to_member: str
    company: str
    why: str
    receiver: str = ""  # the member the chain evened out, and what it and the first giver held
    receiver_had: int = 0
    giver: str = ""
    giver_had: int = 0
    path: tuple[str, ...] = ()  # receiver <- ... <- last giver, for a chain of two or more moves
    protected: bool = False  # the giver's rank-1 company won in the draw

    def reason(self, translate=_) -> str:
        return move_reason(translate, self.receiver, self.receiver_had, self.giver, self.giver_had, self.path,
                           self.from_member if self.protected else "")


_EVENED = N_("evening out: {receiver} had {had} and {giver} {giver_had} companies")
_CHAIN = N_(" (chain {path})")
_PROTECTED = N_("; {giver}'s first choice from the draw: nothing else could move and without it the split was unfair")


def move_reason(translate, receiver: str, had: int, giver: str, giver_had: int, path: tuple[str, ...],
                protected_giver: str = "") -> str:
    """Why a company moved, in the language of `translate` (`_` or `sheet_`)."""
    why = translate(_EVENED).format(receiver=receiver, had=had, giver=giver, giver_had=giver_had)
    if len(path) > 2:
        why += translate(_CHAIN).format(path=" ← ".join(path))
    if protected_giver:
        why += translate(_PROTECTED).format(giver=protected_giver)
    return why


@dataclass(frozen=True)
class Envy:
    "Not EF1: `member` wanted `wanted_of_other` of `other`'s companies, 2+ more than its `own`."

    member: str
    other: str
    own: int
    wanted_of_other: int

    def __str__(self) -> str:
        return _("{member} holds {own} companies but wanted {wanted} of {other}'s (more than one more)").format(
            member=self.member, own=self.own, wanted=self.wanted_of_other, other=self.other)


@dataclass(frozen=True)
class FairnessReport:
    "The check printed after a split: EF1, the cap and that only those who asked hold a company."

    ef1: bool
    envies: tuple[Envy, ...]
    other_violations: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.ef1 and not self.other_violations

    def __str__(self) -> str:
        if self.ok:
            return _(
                "Fairness check: OK (nobody wanted more than one company more of anyone else's "
                "than of their own; no company with more members than the cap; only with those who wanted it)"
            )
        lines = [_("Fairness check: FAILED")]
        lines += [f"- {envy}" for envy in self.envies]
        lines += [f"- {problem}" for problem in self.other_violations]
        return "\n".join(lines)


@dataclass(frozen=True)
class Allocation:
    "The result of `allocate`, with everything needed to print, log and re-check it."

    seed: str
    commitment: str
    cap: int
    wishes: Mapping[str, Mapping[str, Rank]]
    bundles: Mapping[str, tuple[str, ...]]  # member -> companies, most wanted first
    draws: Mapping[str, Draw]  # contested company -> its draw
    moves: tuple[Move, ...]
    algorithm_version: str = ALGORITHM_VERSION

    @property
    def bundle_sizes(self) -> dict[str, int]:
        return {member: len(companies) for member, companies in self.bundles.items()}

    @property
    def holders(self) -> dict[str, tuple[str, ...]]:
        "Company -> its members sorted by name (the `Tilldelad` column)."
        result: dict[str, list[str]] = {}
        for member in sorted(self.bundles):
            for company in self.bundles[member]:
                result.setdefault(company, []).append(member)
        return {company: tuple(result[company]) for company in sorted(result)}

    @property
    def won_by_lottery(self) -> dict[str, tuple[str, ...]]:
        "Member -> contested companies they hold and won in the draw itself."
        return {
            member: tuple(c for c in bundle if c in self.draws and member in self.draws[c].winners)
            for member, bundle in self.bundles.items()
        }

    @property
    def received_by_evening(self) -> dict[str, tuple[str, ...]]:
        "Member -> contested companies they hold but did not win in the draw (moved to them)."
        return {
            member: tuple(
                c for c in bundle if c in self.draws and member not in self.draws[c].winners
            )
            for member, bundle in self.bundles.items()
        }

    def fairness_report(self) -> FairnessReport:
        return fairness_report(self.wishes, self.bundles, self.cap)


def allocate(wishes: Wishes, seed: str, cap: int = DEFAULT_CAP, *, version: int = 2) -> Allocation:
    """Split the companies: all who asked where at most `cap` did; else draw, then even out.

    1. Draw: each contested company ranks its applicants by `lottery_order`; the first `cap` win.
    2. Even out: repeatedly take a member i (fewest companies first, ties by the evening draw)
       for whom a chain i <- k1 <- ... <- j exists, in which each member takes from the next a
       contested company it asked for and lacks, ending at a member j holding at least
       |A_i| + 2; apply the shortest such chain and log its moves. Stop when no member has one.
       Ranks count on both sides (version 2): a giver gives the company it ranked lowest first
       (an unranked `x` before any ranked one), the taker's own ranks break ties; and a company
       the giver ranked 1 and won in the draw is given only when no chain without such a move
       exists for any member and keeping it would break EF1 (a direct move from a member of
       whose companies the receiver wanted 2+ more than it holds). Version 1
       (the taker's ranks only, no protection) is kept to re-check splits logged under it.

    Why it is right (research section 4):
    - Cap and wanting: a move hands a company from a holder to a member who wanted and lacked
      it, so no company gains a holder and only members who asked ever hold one.
    - Termination: along a chain, i gains one company, j loses one, every middle member gives
      one and gets one. So sum(|A|^2) changes by 2(|A_i| - |A_j|) + 2 <= -2: it strictly falls,
      and it is a non-negative integer, so the loop ends (after at most sum(|A|^2)/2 chains).
    - EF1 (counting only wanted companies) at the end: suppose i wanted at least |A_i| + 2 of
      j's companies. Then |A_j| >= |A_i| + 2, and at most |A_i| of those are i's own, so j holds
      a company i wants and lacks; it is contested (else i would hold it too). That is a chain
      of one step, so the loop would not have stopped. Hence no such i and j exist.
      (Every member is tried, not only those with the global minimum: a member with no wishes
      holds nothing and can never receive, and must not stop the others' evening out.)
    - Order independence: every choice is made by sorted keys, ranks and lottery tickets, never
      by the order of rows, columns or dict entries.
    """
    normal = _validated(wishes)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise InvalidInput(_("the cap must be a whole number above 0, not {cap}").format(cap=repr(cap)))
    if version not in ALGORITHM_VERSIONS:
        raise InvalidInput(_("no algorithm version {version} (there are: {known})").format(
            version=repr(version), known=sorted(ALGORITHM_VERSIONS)))
    if not isinstance(seed, str) or not seed:
        raise InvalidInput(_("the seed must not be empty"))

    applicants: dict[str, list[str]] = {}
    for member in sorted(normal):
        for company in normal[member]:
            applicants.setdefault(company, []).append(member)

    bundles: dict[str, set[str]] = {member: set() for member in normal}
    ranked: dict[str, tuple[str, ...]] = {}
    winners: dict[str, tuple[str, ...]] = {}
    for company in sorted(applicants):
        if len(applicants[company]) <= cap:
            chosen: Iterable[str] = applicants[company]
        else:
            ranked[company] = tuple(lottery_order(seed, company, applicants[company]))
            chosen = winners[company] = ranked[company][:cap]
        for member in chosen:
            bundles[member].add(company)

    protected = {(member, company) for company, won in winners.items() for member in won
                 if version >= 2 and normal[member][company] == 1}
    moves = _even_out(normal, bundles, set(ranked), seed, protected, giver_ranks=version >= 2)

    draws = {
        company: Draw(
            company=company,
            ranked_applicants=ranked[company],
            winners=winners[company],
            holders=tuple(m for m in ranked[company] if company in bundles[m]),
        )
        for company in sorted(ranked)
    }
    return Allocation(
        seed=seed,
        commitment=commitment(normal),
        cap=cap,
        wishes=normal,
        bundles={
            member: tuple(sorted(bundles[member], key=_preference_key(normal, member, seed)))
            for member in sorted(normal)
        },
        draws=draws,
        moves=tuple(moves),
        algorithm_version=ALGORITHM_VERSIONS[version],
    )


def _even_out(
    wishes: dict[str, dict[str, Rank]],
    bundles: dict[str, set[str]],
    contested: set[str],
    seed: str,
    protected: set[tuple[str, str]] = frozenset(),
    giver_ranks: bool = True,
) -> list[Move]:
    """The evening step, in place on `bundles`; returns the moves in the order applied.

    `protected` holds (member, company) pairs moved only when no other chain exists and EF1
    needs the move: a company the member ranked first and won in the draw. Why both rules: without them the
    richest holder gives first whatever it ranked, so a member who held uncontested companies
    lost the contested one it ranked first in every seed, and the draw it won counted for
    nothing."""
    priority = {m: n for n, m in enumerate(lottery_order(seed, _EVENING_DRAW_KEY, wishes))}
    preference = {member: _preference_key(wishes, member, seed) for member in wishes}
    holders: dict[str, set[str]] = {company: set() for company in contested}
    for member, bundle in bundles.items():
        for company in bundle & contested:
            holders[company].add(member)

    def richest_first(member: str) -> tuple[int, int]:
        return (-len(bundles[member]), priority[member])

    def gives_first(giver: str, company: str) -> tuple[bool, int]:
        "What the giver ranked lowest first: an unranked `x`, then rank 5 before rank 2."
        rank = wishes[giver][company]
        return (rank is not None, -(rank or 0)) if giver_ranks else (False, 0)

    def chain_from(receiver: str, allow_protected: bool) -> list[tuple[str, str, str]] | None:
        """Breadth-first: the shortest chain to a member with |A_i| + 2 companies or more.

        Each taker considers every (company, holder) it could take, in the order: what the
        holder ranked lowest, then what the taker wants most, then the holder with the most
        companies; returns [(giver, taker, company), ...].
        """
        target = len(bundles[receiver]) + 2
        came_from: dict[str, tuple[str, str]] = {}  # giver -> (taker, company)
        seen = {receiver}
        queue = deque([receiver])
        while queue:
            taker = queue.popleft()
            lacking = (wishes[taker].keys() & contested) - bundles[taker]
            options = [(company, giver) for company in lacking for giver in holders[company]
                       if allow_protected or (giver, company) not in protected]
            options.sort(key=lambda o: (gives_first(o[1], o[0]), preference[taker](o[0]), richest_first(o[1])))
            for company, giver in options:
                if giver in seen:
                    continue
                seen.add(giver)
                came_from[giver] = (taker, company)
                if len(bundles[giver]) >= target:
                    steps = []
                    while giver != receiver:
                        taker_of, company_of = came_from[giver]
                        steps.append((giver, taker_of, company_of))
                        giver = taker_of
                    return steps
                queue.append(giver)
        return None

    def envy_step(receiver: str) -> list[tuple[str, str, str]] | None:
        """When no chain spares protected companies: a direct move from a member of whose
        companies the receiver wanted 2+ more than it holds (EF1 broken without it), giving
        what that member ranked lowest, a protected company only if it has nothing else."""
        own = len(bundles[receiver])
        for giver in sorted(wishes, key=richest_first):
            if giver == receiver or len(bundles[giver] & wishes[receiver].keys()) < own + 2:
                continue
            lacking = (bundles[giver] & contested & wishes[receiver].keys()) - bundles[receiver]
            company = min(lacking, key=lambda c: ((giver, c) in protected, gives_first(giver, c),
                                                  preference[receiver](c)))
            return [(giver, receiver, company)]
        return None

    moves: list[Move] = []
    while True:
        order = sorted(wishes, key=lambda m: (len(bundles[m]), priority[m]))
        steps, receiver = _first_chain(order, chain_from, envy_step if protected else None)
        if not steps:
            return moves
        chain = len({move.chain for move in moves}) + 1
        first_giver = steps[0][0]
        had, giver_had = len(bundles[receiver]), len(bundles[first_giver])
        path = tuple([receiver] + [giver for giver, _taker, _company in reversed(steps)]) if len(steps) > 1 else ()
        for giver, taker, company in steps:  # all from the state before the chain
            bundles[giver].discard(company)
            bundles[taker].add(company)
            holders[company].discard(giver)
            holders[company].add(taker)
            kept_first = (giver, company) in protected
            because = move_reason(sheet_, receiver, had, first_giver, giver_had, path, giver if kept_first else "")
            moves.append(Move(chain, giver, taker, company, because, receiver, had, first_giver, giver_had, path,
                              kept_first))


def _first_chain(order, chain_from, envy_step) -> tuple[list | None, str | None]:
    """The first receiver's chain; when companies are protected, first every chain that
    spares them, then (second pass) only a direct move that EF1 needs."""
    for receiver in order:
        steps = chain_from(receiver, envy_step is None)
        if steps:
            return steps, receiver
    if envy_step is not None:
        for receiver in order:
            steps = envy_step(receiver)
            if steps:
                return steps, receiver
    return None, None


def _preference_key(wishes: Mapping[str, Mapping[str, Rank]], member: str, seed: str):
    "Sort key: ranked companies by rank, then unranked (`x`); ties by the member's ticket."
    own = wishes[member]

    def key(company: str) -> tuple[bool, int, str, str]:
        rank = own.get(company)
        return (rank is None, rank or 0, lottery_ticket(seed, company, member), company)

    return key


# --- fairness --------------------------------------------------------------------------------


def envies(wishes: Wishes, bundles: Mapping[str, Iterable[str]]) -> list[Envy]:
    "Every pair where a member wanted 2+ more of another's companies than it holds (not EF1)."
    normal = _validated(wishes)
    held = {member: set(bundles.get(member, ())) for member in normal}
    found = []
    for member in sorted(normal):
        own = len(held[member] & normal[member].keys())
        for other in sorted(normal):
            wanted = len(held[other] & normal[member].keys())
            if other != member and wanted >= own + 2:
                found.append(Envy(member, other, own, wanted))
    return found


def fairness_report(
    wishes: Wishes, bundles: Mapping[str, Iterable[str]], cap: int = DEFAULT_CAP
) -> FairnessReport:
    "EF1 (counting only wanted companies), the cap, and that only those who asked hold one."
    normal = _validated(wishes)
    problems = []
    counts: dict[str, int] = {}
    for member in sorted(bundles):
        for company in sorted(set(bundles[member])):
            counts[company] = counts.get(company, 0) + 1
            if company not in normal.get(member, {}):
                problems.append(_("{company} went to {member}, who did not want it").format(
                    company=company, member=member))
    problems += [
        _("{company} went to {n} members, more than the cap {cap}").format(company=company, n=n, cap=cap)
        for company, n in sorted(counts.items())
        if n > cap
    ]
    found = envies(normal, bundles)
    return FairnessReport(ef1=not found, envies=tuple(found), other_violations=tuple(problems))


# --- input checks ----------------------------------------------------------------------------


def _validated(wishes: Wishes) -> dict[str, dict[str, Rank]]:
    "A plain copy of the wishes, after checking names, keys and ranks."
    normal: dict[str, dict[str, Rank]] = {}
    for member, wanted in wishes.items():
        if not isinstance(member, str) or not member.strip():
            raise InvalidInput(_("the member name {member} is empty or not text").format(member=repr(member)))
        normal[member] = {}
        for company, rank in wanted.items():
            if not isinstance(company, str) or not company:
                raise InvalidInput(_("{member}: the company key {company} is empty or not text").format(
                    member=member, company=repr(company)))
            is_rank = isinstance(rank, int) and not isinstance(rank, bool) and rank >= 1
            if rank is not None and not is_rank:
                raise InvalidInput(_("{member}: the rank {rank} for {company} is not 1, 2, 3 …").format(
                    member=member, rank=repr(rank), company=company))
            normal[member][company] = rank
    return normal
