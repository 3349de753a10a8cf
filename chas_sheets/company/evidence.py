"""The evidence a company row carries: organisation number, registrable domain, matching name.

Pure functions, no network. The word lists (legal forms, filler words, places, shared domains)
live in `templates/company_words.toml`, the domains several companies of one group share in
`templates/company_groups.toml`, so backoffice can tune them. Every function here is for
*matching only*: the values people typed are never rewritten with them.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources

from rapidfuzz.distance import DamerauLevenshtein

from chas_sheets.sheet.values import as_text
from chas_sheets.text import strip_diacritics

# Letters NFKD does not decompose; ø is Nordic ö, so it folds like ö.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "ð": "d",
                          "þ": "th", "œ": "oe", "ı": "i"})
_APOSTROPHES = re.compile(r"['’`´]")
_AMPERSAND_IN_WORD = re.compile(r"(?<=[0-9a-z])&(?=[0-9a-z])")  # H&M, AT&T: one word
_NOT_ALNUM = re.compile(r"[\W_]+")  # letters of every script count (Яндекс, شركة)
# The same for lowercase ASCII text, as a table: every character but a-z and 0-9 to a space.
_ASCII_NOT_ALNUM = bytes(code if chr(code).isdigit() or "a" <= chr(code) <= "z" else 32 for code in range(256))
_CONJUNCTIONS = frozenset({"och", "and", "und"})  # '&' is punctuation and already gone
# A name typed as a web address ("Hemnet.se", "www.klarna.com"): keep only the name part.
_NAME_AS_DOMAIN = re.compile(r"(?:https?://)?(?:www\.)?([0-9a-z][0-9a-z.\-]*?)"
                             r"\.(?:se|com|nu|io|net|org|eu|ai|app|dk|no|fi|tech)/?")
# Compound legal forms at an end of the name: Telefonaktiebolaget, Försäkringsaktiebolaget ...
# and legal forms glued to the last word by a missed space ("Xolore Handelsbolag").
_COMPOUND_ENDINGS = ("aktiebolag", "aktiebolaget", "handelsbolag", "handelsbolaget",
                     "kommanditbolag", "kommanditbolaget", "bostadsrattsforening",
                     "bostadsrattsforeningen")
# A word this long that is one slip (a letter missing, extra, wrong or swapped) from a legal
# form is that legal form misspelt: no Swedish word or name is that close to "aktiebolag".
_MISSPELT_FORM_LETTERS = 8
_COMPOUND_LEGAL_FORM = re.compile(rf"[a-z]*(?:{'|'.join(_COMPOUND_ENDINGS)})")
_COMPOUND_SUFFIX = re.compile(rf"(?:{'|'.join(_COMPOUND_ENDINGS)})$")
_ORGNR_SEPARATORS = re.compile(r"[\s\-.+/]")


def _folded(text: str) -> str:
    lowered = text.lower()
    # ASCII has nothing to decompose (half the names): skip the per-letter NFKD filter, and
    # most other names hold only Latin letters with marks (å, ä, ö, é): one table does those.
    if lowered.isascii():
        return lowered
    lowered = lowered.translate(_FOLD)
    return lowered if lowered.isascii() else strip_diacritics(lowered)


# What strip_diacritics makes of each Latin letter with marks (U+00C0-U+024F): the same answer,
# letter by letter, as its NFKD filter (which drops only combining marks, each after its letter).
_LATIN_MARKS = str.maketrans({chr(code): strip_diacritics(chr(code)) for code in range(0xC0, 0x250)
                              if strip_diacritics(chr(code)) != chr(code)})
# Both tables in one pass (_LETTERS' letters have no marks to strip, so the order is moot).
_FOLD = {**_LATIN_MARKS, **_LETTERS}


def _phrases(words: list[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(_NOT_ALNUM.split(_folded(word).strip())) for word in words)


@functools.cache
def _words() -> dict[str, frozenset]:
    data = tomllib.loads(
        resources.files("chas_sheets.templates").joinpath("company_words.toml").read_text("utf-8"))
    places = _phrases(data["places"])
    legal_forms = _phrases(data["legal_forms"])
    long_forms = frozenset(form[0] for form in legal_forms
                           if len(form) == 1 and len(form[0]) >= _MISSPELT_FORM_LETTERS)
    return {
        "legal_forms": legal_forms,
        "long_legal_forms": long_forms,
        "strip": legal_forms | _phrases(data["filler_words"]),
        "places": places | {(*place[:-1], place[-1] + "s") for place in places},
        "compound_legal_stems": tuple(_folded(stem) for stem in data["compound_legal_stems"]),
        "shared_domains": frozenset(domain.strip().lower() for domain in data["shared_domains"]),
        "group_domains": frozenset(domain.strip().lower() for domain in tomllib.loads(
            resources.files("chas_sheets.templates").joinpath("company_groups.toml").read_text("utf-8"))
            ["group_domains"]),
    }


# ---------------------------------------------------------------- organisation numbers

def parse_orgnr(value: object) -> str | None:
    """Canonical `NNNNNN-NNNN` for a valid Swedish organisation number, else None.

    Accepts `5560743089`, `556074-3089`, `556074 3089`, the 12-digit `16`/`19`/`20` forms and
    the VAT form `SE556074308901`. Valid means 10 digits passing the Luhn check
    (python-stdnum `se.orgnr`); a sole trader's personnummer is their organisation number.
    """
    if value is None or value.__class__ is str and not value:
        return None
    return _parse_orgnr(value.strip() if value.__class__ is str else as_text(value))  # as_text, quicker


@functools.lru_cache(maxsize=1 << 16)
def _parse_orgnr(typed: str) -> str | None:
    text = _ORGNR_SEPARATORS.sub("", typed).upper()
    if text.startswith("SE") and len(text) == 14 and text.endswith("01"):
        text = text[2:12]
    if len(text) == 12 and text[:2] in ("16", "19", "20"):
        text = text[2:]
    # What stdnum.se.orgnr.is_valid checks once separators are gone: 10 digits, Luhn.
    return _canonical_orgnr(text) if len(text) == 10 and text.isdigit() else None


@functools.lru_cache(maxsize=1 << 16)
def _canonical_orgnr(digits: str) -> str | None:
    """One Luhn check per number, however many ways it was typed."""
    return f"{digits[:6]}-{digits[6:]}" if _luhn_valid(digits) else None


def _luhn_valid(digits: str) -> bool:
    """The Luhn check python-stdnum's `luhn.is_valid` makes, without its exceptions (the
    numbers here are ten digits already): every second digit from the right doubled."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += (digit * 2 - 9 if digit > 4 else digit * 2) if position % 2 else digit
    return total % 10 == 0


# ---------------------------------------------------------------- domains


@functools.cache
def _extractor():
    """The Public Suffix List snapshot bundled with tldextract: no URL to fetch, no cache on disk.
    Made on first use: tldextract brings requests, which names-only work (check) never needs."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


_EMAIL_DOMAIN = re.compile(r"@([^\s<>()\[\]@,;:/?#\"']+)")
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/\s]*@)?([^/\s?#:]+)")


def registrable_domain(url_or_email: object) -> str | None:
    """The registrable domain of a web address or e-mail address, else None.

    `https://www.volvocars.com/se/` -> `volvocars.com`, `anna@volvocars.se` -> `volvocars.se`.
    Shared domains (free mail, social networks, site builders, directories) say nothing about
    the company and give None. Internationalised domains come back in Unicode (`åhlens.se`).
    """
    if url_or_email is None or url_or_email.__class__ is str and not url_or_email:  # most rows: quick
        return None
    text = (url_or_email.strip() if url_or_email.__class__ is str else as_text(url_or_email)).lower()
    if not text:
        return None
    email = _EMAIL_DOMAIN.search(text) if "://" not in text else None
    host_match = _HOST.match(email.group(1) if email else text.split()[0])
    return _domain_of_host(host_match.group(1).strip(".")) if host_match else None


# Endings most addresses have, under which the Public Suffix List has no wildcard: the
# registrable domain is the last label before them, unless that pair is itself a suffix.
_PLAIN_ENDINGS = frozenset(("se", "com", "nu", "net", "org"))


@functools.cache
def _suffixes() -> frozenset[str]:
    return frozenset(_extractor().tlds)


@functools.lru_cache(maxsize=1 << 17)
def _domain_of_host(host: str) -> str | None:
    """Cached per host: many addresses (anna@, erik@, https://www.) share one."""
    head, _, ending = host.rpartition(".")
    if ending in _PLAIN_ENDINGS and host.isascii() and "xn--" not in host:
        label = head.rpartition(".")[2]  # a quick path, the same answer as tldextract's
        if label and f"{label}.{ending}" not in _suffixes():
            domain = f"{label}.{ending}"
            return None if domain in _words()["shared_domains"] else domain
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain or parts.ipv4 or parts.ipv6:
        return None
    domain = parts.top_domain_under_public_suffix
    try:
        domain = domain.encode("ascii").decode("idna")  # xn--hlens-gra.se -> åhlens.se
    except UnicodeError:
        pass
    return None if domain in _words()["shared_domains"] else domain


def is_group_domain(domain: str) -> bool:
    """A domain several companies of one group share (`volvo.com`): listed in
    `templates/company_groups.toml`. Such a domain says "one of the group", not which company."""
    return domain in _words()["group_domains"]


def domain_label(domain: str) -> str:
    """`volvocars.com` -> `volvocars`: the name part, the same under .se and .com."""
    return domain.split(".", 1)[0]


# ---------------------------------------------------------------- names

@functools.lru_cache(maxsize=1 << 17)
def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a name in matching form; see `normalise_name`."""
    text = _folded(name.strip())
    as_domain = _NAME_AS_DOMAIN.fullmatch(text) if "." in text else None
    if as_domain:
        text = as_domain.group(1)
    if text.isascii():
        # Most names: every other character is a space, and str.split is many times quicker
        # than the Unicode-aware pattern (the same words). Apostrophes go first, then '&'
        # inside a word, as below ('Berg & Holm' is one name in six: it takes this path too).
        if "'" in text or "`" in text:
            text = text.replace("'", "").replace("`", "")
        if "&" in text:
            text = _AMPERSAND_IN_WORD.sub("", text)
        spaced = text.encode("ascii").translate(_ASCII_NOT_ALNUM).decode("ascii")
        tokens = [token for token in spaced.split() if token not in _CONJUNCTIONS]
    else:
        text = _AMPERSAND_IN_WORD.sub("", _APOSTROPHES.sub("", text))
        tokens = [token for token in _NOT_ALNUM.split(text) if token and token not in _CONJUNCTIONS]
    # Legal forms first, so "Group AB" keeps "group" rather than "ab".
    words = _words()
    return tuple(_strip_ends(_strip_ends(tokens, words["legal_forms"]), words["strip"]))


def _strip_ends(tokens: list[str], strip: frozenset[tuple[str, ...]]) -> list[str]:
    """Drop the given phrases at both ends, but never the last word."""
    first_words, last_words = _end_words(strip)
    if ((len(tokens) > 1 and tokens[0] not in first_words and tokens[-1] not in last_words
            and not _is_compound_legal(tokens[0]) and not _is_compound_legal(tokens[-1])
            and not _unglued(tokens[-1])) or not tokens):
        return tokens  # most names: nothing at either end to strip, so skip the search
    longest = min(4, _longest(strip))
    changed = True
    while changed:
        changed = False
        glued = _unglued(tokens[-1])
        if glued:  # "Arda TryckAktiebolag" keeps its own part, even as the only word
            tokens, changed = tokens[:-1] + [glued], True
            continue
        # A phrase at an end begins (ends) with one of the phrases' first (last) words:
        # without one, no phrase of any size is tried at that end.
        front, back = tokens[0] in first_words, tokens[-1] in last_words
        # Without a phrase word at either end only a one-word compound legal form can go.
        sizes = range(min(longest, len(tokens) - 1), 0, -1) if front or back else range(min(1, len(tokens) - 1), 0, -1)
        for size in sizes:
            if (front and tuple(tokens[:size]) in strip) or (size == 1 and _is_compound_legal(tokens[0])):
                tokens, changed = tokens[size:], True
                break
            if (back and tuple(tokens[-size:]) in strip) or (size == 1 and _is_compound_legal(tokens[-1])):
                tokens, changed = tokens[:-size], True
                break
    return tokens


@functools.lru_cache(maxsize=1 << 16)
def _unglued(token: str) -> str:
    """The word a legal form was glued to ("trycka" in "TryckaAktiebolag"), else "". A known
    compound ("Försäkringsaktiebolag", "Telefonaktiebolaget") is a legal form, not glued."""
    if not token.endswith(_COMPOUND_ENDINGS):
        return ""
    stem = _COMPOUND_SUFFIX.sub("", token)
    return "" if stem.endswith(_words()["compound_legal_stems"]) else stem


@functools.cache
def _longest(phrases: frozenset[tuple[str, ...]]) -> int:
    return max(map(len, phrases), default=0)


@functools.cache
def _end_words(phrases: frozenset[tuple[str, ...]]) -> tuple[frozenset[str], frozenset[str]]:
    """The words the phrases begin with, and those they end with."""
    return frozenset(p[0] for p in phrases), frozenset(p[-1] for p in phrases)


@functools.lru_cache(maxsize=1 << 16)  # asked of a name's end words at every step of stripping
def _is_compound_legal(token: str) -> bool:
    """A legal form written as one word ("Telefonaktiebolaget"), or misspelt ("Aktiebolg");
    not a word with a legal form glued to it ("TryckAktiebolag")."""
    # The suffix test first: it rules out nearly every word without running the pattern.
    return (token.endswith(_COMPOUND_ENDINGS) and _COMPOUND_LEGAL_FORM.fullmatch(token) is not None
            and not _unglued(token)) or (len(token) >= _MISSPELT_FORM_LETTERS - 1 and _is_misspelt_legal_form(token))


@functools.lru_cache(maxsize=1 << 16)
def _is_misspelt_legal_form(token: str) -> bool:
    """`Aktiebolg`, `Handelsbwolag`: a long legal form with one slip of the keyboard."""
    if len(token) < _MISSPELT_FORM_LETTERS - 1:
        return False
    return any(DamerauLevenshtein.distance(token, form, score_cutoff=1) <= 1
               for form in _words()["long_legal_forms"])


@functools.lru_cache(maxsize=1 << 17)
def core_tokens(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a name without legal forms and filler words anywhere in it, for review
    only: "Klarna Bank AB (publ) Software" -> ("klarna", "bank", "software"). Never empty
    when the name is not."""
    words = _words()
    strip, (first_words, _) = words["strip"], _end_words(words["strip"])
    if first_words.isdisjoint(tokens):  # most names: no word begins a legal form or filler
        return tokens
    kept, i = [], 0
    while i < len(tokens):
        if tokens[i] in first_words:
            size = next((size for size in (3, 2, 1) if tuple(tokens[i:i + size]) in strip), 0)
            if size:
                i += size
                continue
        kept.append(tokens[i])
        i += 1
    return tuple(kept) if kept else tokens


def normalise_name(name: object) -> str:
    """The matching form of a company name.

    Lowercase, diacritics folded, `&`/`och`/`and` unified (dropped between words, kept inside
    `H&M` as `hm`), punctuation read as spaces, legal forms and filler words stripped at both
    ends: `Volvo Personvagnar AB` -> `volvo personvagnar`, `AB Volvo (publ)` -> `volvo`,
    `Telefonaktiebolaget LM Ericsson` -> `lm ericsson`, `Tele2 Sverige AB` -> `tele2`.
    """
    return " ".join(name_tokens(as_text(name)))


def name_fingerprint(name: object) -> str:
    """OpenRefine's fingerprint of the normalised name: its sorted unique words."""
    return " ".join(sorted(set(name_tokens(as_text(name)))))


def ngram_fingerprint(name: object, size: int = 2) -> str:
    """OpenRefine's n-gram fingerprint: sorted unique character n-grams, spaces removed.

    Not used for automatic merges: on short names it collides (`Anna AB` / `Nanna AB`).
    """
    compact = company_key(name)
    return "".join(sorted({compact[i:i + size] for i in range(len(compact) - size + 1)}))


def company_key(name: object) -> str:
    """A quick forgiving key to match a company by name alone: the normalised name without
    spaces (`Tieto Evry` = `TietoEVRY` = `Tietoevry AB` -> `tietoevry`)."""
    return "".join(name_tokens(as_text(name)))


@functools.lru_cache(maxsize=1 << 12)
def city_words(value: object) -> frozenset[str]:
    """The words of a town as typed, in matching form: `Göteborg` and `GOTEBORG` -> {"goteborg"},
    `Stockholm/Solna` -> {"stockholm", "solna"}, `-` -> nothing. Two rows' towns agree when they
    share a word."""
    text = _folded(as_text(value))
    return frozenset(word for word in _NOT_ALNUM.split(text) if word)


def places_in(tokens: tuple[str, ...]) -> frozenset[str]:
    """The place names among a name's words (one- and two-word places)."""
    places = _words()["places"]
    if _end_words(places)[0].isdisjoint(tokens):  # most names: no word a place begins with
        return frozenset()
    found = {" ".join(words) for size in (1, 2) for words in _windows(tokens, size)
             if words in places}
    return frozenset(found)


def _windows(tokens: tuple[str, ...], size: int):
    return (tokens[i:i + size] for i in range(len(tokens) - size + 1))
