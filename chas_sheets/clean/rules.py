"""Clean CRM comments down to facts: keep what happened, drop guesses and chatter.

Pure text in, text out. The word lists and patterns live in `templates/clean_rules.toml`
so that backoffice can tune them without code; `load_rules` compiles them once.

A comment is split into lines (a bullet marker stays with its line), sentences and clauses.
Each clause is kept or dropped, and the decision names the rule that made it. What is kept
is copied from the input (whitespace trimmed, doubled punctuation collapsed, laughter and
emoji removed), in the original order, so cleaning never adds text and is idempotent.
Hedge words are never cut out of a kept clause: that would make a guess read like a fact.
A guess is no fact because it names a role or a number ("Chefen verkar trevlig", "Tror att de
har 50 anställda"); what a named person said on a date is ("Tror de ringer tillbaka, sa Anna
12/5"), hedge included. Which rule outweighs which is data in the rules file (see its header).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Iterable

from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import _
from chas_sheets.privacy import mask_text

# Rule names for decisions that come from the code rather than from the rules file.
NO_SPECULATION = "ingen_spekulation"
BARE_QUESTION_MARK = "bara_frågetecken"
QUESTION = "fråga_utan_fakta"
FOLLOWS_DROPPED = "fortsätter_släppt_sats"

_BULLET = re.compile(r"^\s*(?:[-*•–·]|\d{1,2}[.)])\s+")
# Sentence ends: a run of . ! ? … holding ! or ? anywhere, a run of dots before whitespace,
# , ; a dash or the end. Clause ends: , ; and a free-standing dash. URLs and e-mail addresses are protected
# from both (see `atomic`).
_DELIMITER = re.compile(
    r"(?P<end>[.…]*[!?][.!?…]*|[.…]+(?=[\s,;\-–—]|$))|(?P<mid>,*;[,;]*|,+(?=[\s\-–—]|$)|(?<![^\s.!?…,;])[-–—]+(?=[\s.!?…,;]|$))"
)
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_SPACES = re.compile(r"[ \t\u00a0]{2,}|[\t]")


@dataclass(frozen=True)
class Rule:
    "One named group of the rules file, compiled into one regex."

    name: str
    regex: re.Pattern[str]
    strength: str = ""  # facts: "hard" survives a hedge, "soft" only when it comes first, "weak" never
    beats: frozenset[str] = frozenset()  # drops: fact rules this one overrules (a guessed number)
    vouches_for: frozenset[str] = frozenset()  # facts: a "sa Anna 12/5" tail brings back the clause before
    strip: bool = False  # drops: also cut out of kept clauses (laughter, emoji)
    atomic: bool = False  # facts: never split inside a match (URLs, e-mail)
    verbatim: bool = False  # facts: whitespace inside a match kept as typed (phone numbers)


@dataclass(frozen=True)
class CleanRules:
    "Compiled rules: build once with `load_rules`, share across every comment."

    facts: tuple[Rule, ...]
    drops: tuple[Rule, ...]
    abbreviations: frozenset[str]
    conjunction_split: re.Pattern[str]
    continuing: re.Pattern[str]
    leading_conjunction: re.Pattern[str]
    atomic: re.Pattern[str] | None
    verbatim: re.Pattern[str] | None
    strip: tuple[Rule, ...]


@dataclass(frozen=True)
class Decision:
    "Why one clause was kept or dropped (for `--explain`)."

    clause: str
    keep: bool
    rule: str
    match: str = ""
    overruled: str = ""  # kept: a drop rule that matched but lost; dropped: a fact rule that lost

    def __str__(self) -> str:
        # --explain output: contact details masked. Rule names are the rules file's own words.
        why = f"{self.rule}: {mask_text(self.match)!r}" if self.match else self.rule
        if self.overruled:
            why += _(" (outweighs {rule})").format(rule=self.overruled)
        clause = repr(mask_text(self.clause))
        return (_("keep {clause}  [{why}]") if self.keep else _("drop {clause}  [{why}]")).format(clause=clause, why=why)


@dataclass(frozen=True)
class CleanResult:
    original: object
    text: object
    decisions: tuple[Decision, ...] = ()

    @property
    def changed(self) -> bool:
        return self.text != self.original


# --- rules -----------------------------------------------------------------------------------


def _words_pattern(words: Iterable[str]) -> str:
    """Whole words and phrases as one regex; spaces match any whitespace.

    The alternatives are folded into a trie ("tror|tror att|troligen" -> "tro(?:r(?:\\s+att)?|ligen)")
    because Python's regex engine tries a flat alternation one branch at a time.
    """
    trie: dict = {}
    for word in sorted({w.strip() for w in words if w.strip()}):
        node = trie
        for unit in re.findall(r"\s+|.", word):
            node = node.setdefault(r"\s+" if unit.isspace() else re.escape(unit), {})
        node[""] = {}  # a word ends here
    return r"(?<![\w-])" + _trie_regex(trie) + r"(?![\w-])"


def _trie_regex(node: dict) -> str:
    ends_here = "" in node
    branches = [unit + _trie_regex(child) for unit, child in node.items() if unit]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        # Longest first: try the longer word, else stop here ("tror att" before "tror").
        return f"(?:{body})?" if len(branches) == 1 else f"{body}?"
    return body


def _compile_group(group: dict, kind: str, source: str) -> Rule:
    name = group.get("name")
    if not name:
        raise InvalidInput(_("{source}: a [[{kind}]] group has no name").format(source=source, kind=kind))
    parts = list(group.get("patterns", []))
    if group.get("words"):
        parts.append(_words_pattern(group["words"]))
    if not parts:
        raise InvalidInput(_("{source}: [[{kind}]] {name} has neither words nor patterns").format(
            source=source, kind=kind, name=repr(name)))
    flags = 0 if group.get("case_sensitive") else re.IGNORECASE
    try:
        regex = re.compile("|".join(f"(?:{p})" for p in parts), flags)
    except re.error as error:
        raise InvalidInput(_("{source}: [[{kind}]] {name} has a bad pattern: {error}").format(
            source=source, kind=kind, name=repr(name), error=error)) from None
    strength = group.get("strength", "hard" if kind == "fact" else "")
    if kind == "fact" and strength not in ("hard", "soft", "weak"):
        raise InvalidInput(_("{source}: [[fact]] {name}: strength must be 'hard', 'soft' or 'weak'").format(
            source=source, name=repr(name)))
    return Rule(
        name=name,
        regex=regex,
        strength=strength,
        beats=frozenset(group.get("beats", ())),
        vouches_for=frozenset(group.get("vouches_for", ())),
        strip=bool(group.get("strip")),
        atomic=bool(group.get("atomic")),
        verbatim=bool(group.get("verbatim")),
    )


def _union(rules: Iterable[Rule]) -> re.Pattern[str] | None:
    patterns = [r.regex for r in rules]
    if not patterns:
        return None
    # Each group keeps its own flags by inlining them as a scoped group.
    return re.compile(
        "|".join(
            f"(?{'i' if p.flags & re.IGNORECASE else '-i'}:{p.pattern})" for p in patterns
        )
    )


def _conjunctions(words: Iterable[str]) -> str:
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)


_SECTIONS = {"split": ("abbreviations", "contrasting", "continuing"), "fact": (), "drop": ()}
_TOML_WHERE = re.compile(r"^(?P<reason>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")


def packaged_rules_path() -> str:
    "Where the packaged rules file is installed: the file to copy when tuning."
    return str(_packaged_rules())


def _packaged_rules():
    return resources.files("chas_sheets.templates") / "clean_rules.toml"


def _toml_error(source: str, error: tomllib.TOMLDecodeError) -> InvalidInput:
    """'rules.toml, line 3: not valid TOML: Expected ...' (tomllib puts the place at the end)."""
    found = _TOML_WHERE.match(str(error))
    if not found:
        return InvalidInput(_("{source}: not valid TOML: {error}").format(source=source, error=error))
    if found["line"] is None:
        return InvalidInput(_("{source}, at the end: not valid TOML: {reason}").format(source=source,
                                                                                       reason=found["reason"]))
    return InvalidInput(_("{source}, line {line}: not valid TOML: {reason} (column {column})").format(
        source=source, line=found["line"], reason=found["reason"], column=found["column"]))


def _check_layout(data: dict, source: str) -> None:
    """Refuse what would otherwise be ignored without a word: a misspelt section or key, [fact] for [[fact]]."""
    unknown = [_("section {name}").format(name=repr(name)) for name in data if name not in _SECTIONS]
    split = data.get("split", {})
    if not isinstance(split, dict):
        raise InvalidInput(_("{source}: split must be one [split] section").format(source=source))
    unknown += [_("key {key} in [split]").format(key=repr(key)) for key in split if key not in _SECTIONS["split"]]
    if unknown:
        raise InvalidInput(_("{source}: unknown {unknown}; a rules file has [split] ({keys}), [[fact]] and [[drop]] "
                             "only").format(source=source, unknown=", ".join(unknown),
                                            keys=", ".join(_SECTIONS["split"])))
    for kind in ("fact", "drop"):
        groups = data.get(kind, [])
        if not isinstance(groups, list) or not all(isinstance(group, dict) for group in groups):
            raise InvalidInput(_("{source}: {kind} must be [[{kind}]] groups (double brackets)").format(
                source=source, kind=kind))


def _check_not_empty(facts: tuple[Rule, ...], drops: tuple[Rule, ...], source: str) -> None:
    """A file with no facts would drop dated clauses; one with no drops would clean nothing.

    Either is most likely a file written to add to the packaged rules, which it replaces.
    """
    missing = [f"[[{kind}]]" for kind, rules in (("fact", facts), ("drop", drops)) if not rules]
    if not missing:
        return
    message = (_("{source} defines no rules: no [[fact]] and no [[drop]] groups; a rules file replaces the packaged "
                 "rules entirely, so start from a copy of {packaged}") if len(missing) == 2 else
               _("{source} has no {kind} groups; a rules file replaces the packaged rules entirely, so start from a "
                 "copy of {packaged}"))
    raise InvalidInput(message.format(source=source, kind=missing[0], packaged=packaged_rules_path()))


def _check_references(facts: tuple[Rule, ...], drops: tuple[Rule, ...], source: str) -> None:
    "`beats` must name [[fact]] groups and `vouches_for` [[drop]] groups: a typo would silently do nothing."
    fact_names, drop_names = {r.name for r in facts}, {r.name for r in drops}
    for rule in drops:
        if unknown := sorted(rule.beats - fact_names):
            raise InvalidInput(_("{source}: [[drop]] {name}: beats names no [[fact]] group: {unknown}").format(
                source=source, name=repr(rule.name), unknown=", ".join(unknown)))
    for rule in facts:
        if unknown := sorted(rule.vouches_for - drop_names):
            raise InvalidInput(_("{source}: [[fact]] {name}: vouches_for names no [[drop]] group: {unknown}").format(
                source=source, name=repr(rule.name), unknown=", ".join(unknown)))


def load_rules(path: str | Path | None = None) -> CleanRules:
    """Read and compile the rules file (the packaged `clean_rules.toml` by default).

    A file given replaces the packaged rules entirely: nothing is merged, so a file must hold
    both [[fact]] and [[drop]] groups (an InvalidInput names what is missing).
    """
    if path is None:
        source, raw = "clean_rules.toml", _packaged_rules().read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInput(_("cannot read rules file {source}: {error}").format(source=source,
                                                                                   error=error.strerror)) from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(source, error) from None
    _check_layout(data, source)

    facts = tuple(_compile_group(g, "fact", source) for g in data.get("fact", []))
    all_drops = tuple(_compile_group(g, "drop", source) for g in data.get("drop", []))
    _check_not_empty(facts, all_drops, source)
    _check_references(facts, all_drops, source)
    split = data.get("split", {})
    contrasting = split.get("contrasting", [])
    continuing = split.get("continuing", [])
    conjunctions = _conjunctions([*contrasting, *continuing]) or r"(?!)"
    single_words = [w for w in [*contrasting, *continuing] if " " not in w.strip()]
    return CleanRules(
        facts=facts,
        drops=tuple(r for r in all_drops if not r.strip),
        abbreviations=frozenset(a.lower().rstrip(".") for a in split.get("abbreviations", [])),
        conjunction_split=re.compile(rf"\s+(?=(?:{conjunctions})\s)", re.IGNORECASE),
        continuing=re.compile(rf"^(?:{_conjunctions(continuing) or '(?!)'})\s", re.IGNORECASE),
        leading_conjunction=re.compile(
            rf"^(?:{_conjunctions(single_words) or '(?!)'})\s+", re.IGNORECASE
        ),
        atomic=_union(r for r in facts if r.atomic),
        verbatim=_union(r for r in facts if r.verbatim),
        strip=tuple(r for r in all_drops if r.strip),
    )


@functools.lru_cache(maxsize=1)
def default_rules() -> CleanRules:
    "The packaged rules, compiled once per process."
    return load_rules()


# --- splitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sentence:
    clauses: tuple[tuple[str, str], ...]  # (clause text, the delimiter after it)
    terminator: str


def _spans(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)] if pattern else []


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _is_abbreviation(body: str, dot: int, rules: CleanRules) -> bool:
    word = _WORD_BEFORE.search(body, max(0, dot - 40), dot)  # near the dot: the whole body made long texts quadratic
    if not word:
        return False
    token = word.group(1).lower()
    return token in rules.abbreviations or (len(token) == 1 and token.isalpha())


def split_sentences(body: str, rules: CleanRules) -> list[_Sentence]:
    """One line into sentences of clauses; delimiters inside URLs and e-mails do not count."""
    protected = _spans(rules.atomic, body)
    sentences: list[_Sentence] = []
    clauses: list[tuple[str, str]] = []
    start = 0
    for m in _DELIMITER.finditer(body):
        if _inside(m.start(), protected):
            continue
        if m.group("end"):
            end, terminator = m.start(), m.group()
            if terminator[0] == "." and _is_abbreviation(body, end, rules):
                if terminator == ".":
                    continue
                end, terminator = end + 1, terminator[1:]  # "t.ex.!": the dot stays with t.ex
            clauses.append((body[start:end], ""))
            sentences.append(_Sentence(tuple(clauses), terminator))
            clauses = []
        else:
            clauses.append((body[start : m.start()], m.group()))
        start = m.end()
    if body[start:].strip() or clauses:
        clauses.append((body[start:], ""))
        sentences.append(_Sentence(tuple(clauses), ""))
    return sentences


def _squeeze(text: str, rules: CleanRules) -> str:
    "Trim and collapse runs of spaces, except inside phone numbers (kept as typed)."
    keep = _spans(rules.verbatim, text)
    out, last = [], 0
    for start, end in keep:
        out.append(_SPACES.sub(" ", text[last:start]))
        out.append(text[start:end])
        last = end
    out.append(_SPACES.sub(" ", text[last:]))
    return "".join(out).strip()


# --- judging ---------------------------------------------------------------------------------


def _first(rules: Iterable[Rule], text: str) -> tuple[Rule, re.Match[str]] | None:
    "The earliest match among the rules (ties: the first rule in the file)."
    best = None
    for rule in rules:
        m = rule.regex.search(text)
        if m and (best is None or m.start() < best[1].start()):
            best = (rule, m)
    return best


def _judge(part: str, rules: CleanRules, is_question: bool, follows_dropped: bool) -> Decision:
    drop = _first(rules.drops, part)
    # A guess overrules what it guesses about ("tror de har 50 anställda"); a role is only a
    # noun, so it never saves a clause that holds a guess or an opinion ("chefen verkar trevlig").
    beaten = frozenset().union(*(r.beats for r in rules.drops if r.beats and r.regex.search(part)))
    if drop:
        beaten |= {r.name for r in rules.facts if r.strength == "weak"}
    lost = _first((r for r in rules.facts if r.name in beaten), part) if drop else None
    facts = [r for r in rules.facts if r.name not in beaten]
    hard = _first((r for r in facts if r.strength == "hard"), part)
    soft = _first((r for r in facts if r.strength != "hard"), part)
    fact = hard or soft
    if hard and drop:
        return Decision(part, True, hard[0].name, hard[1].group(), overruled=drop[0].name)
    if hard:
        return Decision(part, True, hard[0].name, hard[1].group())
    if follows_dropped and rules.continuing.match(part):
        return Decision(part, False, FOLLOWS_DROPPED)
    if drop and soft and soft[1].start() < drop[1].start():
        return Decision(part, True, soft[0].name, soft[1].group(), overruled=drop[0].name)
    if drop:
        return Decision(part, False, drop[0].name, drop[1].group(), overruled=lost[0].name if lost else "")
    if fact:
        return Decision(part, True, fact[0].name, fact[1].group())
    if is_question:
        return Decision(part + "?", False, QUESTION)
    return Decision(part, True, NO_SPECULATION)


def _strip_tokens(text: str, rules: CleanRules) -> tuple[str, list[Decision]]:
    removed: list[Decision] = []
    for rule in rules.strip:
        found = rule.regex.findall(text)
        if found:
            removed.append(Decision(" ".join(found), False, rule.name))
            text = rule.regex.sub(" ", text)
    return text, removed


def _judge_clause(
    text: str, rules: CleanRules, is_question: bool
) -> tuple[list[tuple[str, bool]], list[Decision]]:
    """A clause into parts (kept?) and decisions; mixed clauses split at conjunctions."""
    text = _squeeze(text, rules)
    if not any(ch.isalnum() for ch in text):
        # Punctuation alone carries nothing; a lone "???" is worth a line in --explain.
        return [], [Decision(text, False, BARE_QUESTION_MARK)] if "?" in text else []
    whole = _judge(text, rules, is_question, follows_dropped=False)
    parts = rules.conjunction_split.split(text) if whole.overruled or not whole.keep else [text]
    if len(parts) == 1:
        return [(text, whole.keep)], [whole]
    judged: list[tuple[str, bool]] = []
    decisions: list[Decision] = []
    follows_dropped = False
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        decision = _judge(part, rules, is_question and last, follows_dropped)
        decisions.append(decision)
        judged.append((part, decision.keep))
        follows_dropped = not decision.keep
    return judged, decisions


def _join_delimiter(delimiter: str) -> str:
    mark = delimiter.strip()[:1]
    return f" {mark} " if mark in "-–—" else f"{mark} "


def _voucher(clause: str, decisions: list[Decision], rules: CleanRules) -> tuple[Rule, str] | None:
    """A dated "sa Anna 12/5" tail: a vouching rule at its start, kept whole on a hard fact."""
    text = _squeeze(clause, rules)
    hard = {r.name for r in rules.facts if r.strength == "hard"}
    for rule in rules.facts:
        found = rule.vouches_for and rule.regex.match(text)
        if found and decisions and all(d.keep for d in decisions) and any(d.rule in hard for d in decisions):
            return rule, found.group()
    return None


def _vouch(voucher: tuple[Rule, str], fragments: list[_Fragment], decisions: list[Decision],
           first_fragment: int, first_decision: int) -> None:
    """Bring back the clause before a dated "sa Anna": what she said is the fact, her hedge with it.

    Only when every part of it was dropped by a rule the voucher names (a guess, not an opinion).
    """
    rule, match = voucher
    clause = decisions[first_decision:]
    if not clause or len(clause) != len(fragments) - first_fragment:
        return
    if any(d.keep or d.rule not in rule.vouches_for for d in clause):
        return
    for offset, decision in enumerate(clause):
        decisions[first_decision + offset] = Decision(decision.clause, True, rule.name, match, overruled=decision.rule)
        fragments[first_fragment + offset] = replace(fragments[first_fragment + offset], kept=True)


@dataclass(frozen=True)
class _Fragment:
    text: str
    kept: bool
    separator: str  # what joins it to the next kept fragment
    owns_terminator: bool  # the sentence's last clause: the terminator is its own


def _clean_sentence(sentence: _Sentence, rules: CleanRules) -> tuple[str, list[Decision]]:
    terminator = sentence.terminator.strip()[:1]
    last_clause = len(sentence.clauses) - 1
    decisions: list[Decision] = []
    fragments: list[_Fragment] = []
    previous: tuple[int, int] = (0, 0)  # where the clause before starts in fragments, decisions
    for index, (clause, delimiter) in enumerate(sentence.clauses):
        is_question = terminator == "?" and index == last_clause
        parts, clause_decisions = _judge_clause(clause, rules, is_question)
        voucher = _voucher(clause, clause_decisions, rules)
        if voucher and index > 0:
            _vouch(voucher, fragments, decisions, *previous)
        previous = (len(fragments), len(decisions))
        decisions += clause_decisions
        for number, (part, kept) in enumerate(parts):
            last_part = number == len(parts) - 1
            separator = _join_delimiter(delimiter) if last_part else " "
            fragments.append(_Fragment(part, kept, separator, last_part and index == last_clause))
    if not fragments and not decisions and terminator == "?":
        decisions.append(Decision(sentence.terminator, False, BARE_QUESTION_MARK))
    kept = [(index, f) for index, f in enumerate(fragments) if f.kept]
    if not kept:
        return "", decisions
    pieces = []
    for order, (index, fragment) in enumerate(kept):
        text = fragment.text
        if order == 0 and index > 0:
            text = rules.leading_conjunction.sub("", text)
        pieces.append(text)
        if order < len(kept) - 1:
            pieces.append(fragment.separator)
    # A "?" or "!" belongs to its own clause; a full stop may close what is left.
    if kept[-1][1].owns_terminator or terminator == ".":
        pieces.append(terminator)
    return "".join(pieces).strip(), decisions


_MOST_PASSES = 4


def clean_comment(text: object, rules: CleanRules | None = None) -> CleanResult:
    """Keep the facts of a comment, drop speculation and chatter; see the module docstring.

    Anything that is not a string (None, numbers) passes through unchanged.
    """
    if not isinstance(text, str):
        return CleanResult(text, text)
    rules = rules or default_rules()
    cleaned, decisions = _clean_once(text, rules)
    # A clause is judged in its context ('vet ej men Bra ställe' keeps what follows 'men'; '?0)'
    # is no list item). Once that context is cut away it reads alone and may be judged
    # otherwise, so clean again until the text is stable: a cleaned comment cleans to itself,
    # and the nightly's re-cleaning never changes what it already cleaned.
    for _pass in range(_MOST_PASSES if cleaned != text else 0):  # unchanged text is stable already
        again, more = _clean_once(cleaned, rules)
        if again == cleaned:
            break
        decisions += [d for d in more if not d.keep]
        cleaned = again
    return CleanResult(text, cleaned, tuple(decisions))


def _clean_once(text: str, rules: CleanRules) -> tuple[str, list[Decision]]:
    decisions: list[Decision] = []
    lines = []
    for line in text.splitlines():
        bullet = _BULLET.match(line)
        prefix = bullet.group().strip() + " " if bullet else ""
        body = line[bullet.end() :] if bullet else line
        # Laughter and emoji go before splitting, so that a second run splits the same way.
        body, stripped = _strip_tokens(body, rules)
        sentences = []
        for sentence in split_sentences(body, rules):
            cleaned, sentence_decisions = _clean_sentence(sentence, rules)
            decisions += sentence_decisions
            if cleaned:
                sentences.append(cleaned)
        decisions += stripped
        if sentences:
            lines.append(prefix + " ".join(sentences))
    return "\n".join(lines), decisions


# --- evaluation against a labelled corpus (tests, benchmark, tuning the rules) --------------


@dataclass(frozen=True)
class Evaluation:
    "How a rule set does on labelled comments: facts kept, speculation removed."

    facts: int
    speculation: int
    lost: tuple[tuple[str, str], ...]  # (comment, fact fragment that did not survive)
    stayed: tuple[tuple[str, str], ...]  # (comment, speculation fragment still there)

    @property
    def facts_kept(self) -> float:
        return 1 - len(self.lost) / self.facts if self.facts else 1.0

    @property
    def speculation_removed(self) -> float:
        return 1 - len(self.stayed) / self.speculation if self.speculation else 1.0


def evaluate(corpus: Iterable[dict], rules: CleanRules | None = None) -> Evaluation:
    """Score entries {text, keep: [...], drop: [...]}: a fragment counts as kept when the
    cleaned text contains it verbatim."""
    facts = speculation = 0
    lost: list[tuple[str, str]] = []
    stayed: list[tuple[str, str]] = []
    for entry in corpus:
        text = entry["text"]
        result = clean_comment(text, rules).text
        facts += len(entry.get("keep", []))
        speculation += len(entry.get("drop", []))
        lost += [(text, fragment) for fragment in entry.get("keep", []) if fragment not in result]
        stayed += [(text, fragment) for fragment in entry.get("drop", []) if fragment in result]
    return Evaluation(facts, speculation, tuple(lost), tuple(stayed))
