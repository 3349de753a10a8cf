"""Contact details never leave the sheet: reports, logs, --json and errors mask them.

Students' CRMs hold the phone numbers and e-mail addresses of company contacts. Output shows
enough to tell two values apart (`070-*** ** 67`, `a***@volvocars.com`), never the value.
"""

from __future__ import annotations

import re

from chas_sheets.sheet.values import as_text, is_blank

# Columns whose values are contact details (canonical names of the contract).
PRIVATE_COLUMNS = frozenset({"Telefon", "E-post", "LinkedIn"})

# An address: a local part and a domain of letters of any script (åsa.öberg@räksmörgås.se),
# a malformed one too (anna@gmailcom). A masked one ('a***@x.se') does not match again.
_EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)*)")
# ISO dates (2027-05-03) next to a number must not read as part of a phone number: a date that
# can be one, anywhere, and any date-shaped text that does not follow other digits ('0001-01-01'
# typed as a date); digits inside a longer number ('0046 7081-1-7 478') are that number.
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])"
                   r"|(?<!\d[\s.\-/\u2010-\u2015])\d{4}-\d{1,2}-\d{1,2})(?!\d)")
# A phone number as people type it: it starts with +, 00 or 0 (Swedish numbers always do,
# so org numbers 556036-0793 and run ids 20270512-... are not phones), 7 to 15 digits apart
# by up to four of space, dot, dash, en or em dash, slash and parentheses (and colour codes).
_PHONE_SEPARATORS = r"[\s.\-\u2010-\u2015/()\ue000]"  # \ue000: where a colour code stood
# Also: glued to a word that says it is a phone number ('Tel0701234567', 'mobil:070...'); a
# Swedish number written with its country code but no plus ('46 70 123 45 67', '46701234567':
# 46 and eight to ten more digits); and a mobile number that lost its leading zero when a
# spreadsheet stored it as a number ('701234567': nine digits, 70/72/73/76/79, no separators).
_PHONE_WORD = r"(?:(?<=(?i:tel))|(?<=(?i:tfn))|(?<=(?i:mob))|(?<=(?i:nr))|(?<=(?i:mobil))|(?<=(?i:telefon)))"
_PHONE = re.compile(rf"(?:{_PHONE_WORD}|(?<![\w@+*]))(?:\+\s?\d|\(?0)(?:{_PHONE_SEPARATORS}{{0,4}}\d){{6,14}}(?![\w@])"
                    rf"|(?<![\w@+*.,/=#\-])46(?:{_PHONE_SEPARATORS}{{0,4}}\d){{8,10}}(?![\w@])"
                    rf"|(?<![\w@+*.,/=#\-])7[02369]\d{{7}}(?![\w@]|[.,/\-]\d)")  # not a link's gid=...
# A profile address names a person: linkedin.com/in/NAME, /pub/NAME, /profile/view?id=ID, and
# LinkedIn's short links lnkd.in/CODE.
_LINKEDIN_PROFILE = re.compile(r"((?:linkedin\.com/(?:in|pub)/|linkedin\.com/profile/view\?id=|lnkd\.in/))"
                               r"([^\s/?#&\"',;)]+)", re.IGNORECASE)


# A service account is a machine, not a person, and people must copy its address to share a
# sheet with it ("share it with crm@skola.iam.gserviceaccount.com"): shown whole.
_MACHINE_DOMAINS = (".gserviceaccount.com",)


def _hide_email(match: re.Match) -> str:
    if match.group(2).lower().endswith(_MACHINE_DOMAINS):
        return match.group(0)
    return f"{match.group(1)}***@{match.group(2)}"


def mask_email(value: object) -> str:
    """'anna.svensson@volvocars.com' -> 'a***@volvocars.com' (the domain names the company)."""
    return _EMAIL.sub(_hide_email, as_text(value))


def _hide_digits(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    seen, out = 0, []
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 3 or seen > digits - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _hide_phone(match: re.Match) -> str:
    return _hide_digits(match.group(0))


def mask_phone(value: object) -> str:
    """'070-123 45 67' -> '070-*** ** 67': the first three and last two digits stay."""
    parts = _DATE.split(as_text(value))  # dates next to a number must not read as one long phone number
    return "".join(part if i % 2 else _PHONE.sub(_hide_phone, part) for i, part in enumerate(parts))


def mask_profile(value: object) -> str:
    """'linkedin.com/in/anna-svensson-123' -> 'linkedin.com/in/a***': a profile names a person."""
    return _LINKEDIN_PROFILE.sub(lambda m: f"{m.group(1)}{m.group(2)[:1]}***", as_text(value))


def mask_text(value: object) -> str:
    """Free text (a comment, an error message) with any e-mail address, phone number or profile
    address masked. Idempotent: masking masked text changes nothing."""
    return mask_output(as_text(value))


# Set aside while masking, put back after: colour codes, and escapes in JSON text ('\n' before
# a number would make it look glued to the letter n).
_ASIDE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\\+(?:u[0-9a-fA-F]{4}|.)", re.S)  # \\n: a repr, in JSON
_COLOUR_MARK = "\ue000"  # a private-use character: never typed, never a word character


def mask_output(text: str) -> str:
    """`mask_text` for text as it is written out: spaces and line ends stay exactly as given.

    Colour codes (a diff on a terminal) and JSON escapes (`\n` in --json) are set aside while
    masking, so a number coloured word by word or following a line break is still seen."""
    if "\x1b" not in text and "\\" not in text:
        return _mask_plain(text)
    codes = iter(_ASIDE.findall(text))
    masked = _mask_plain(_ASIDE.sub(_COLOUR_MARK, text))
    return re.sub(_COLOUR_MARK, lambda m: next(codes), masked)


def _mask_plain(text: str) -> str:
    text = _LINKEDIN_PROFILE.sub(lambda m: f"{m.group(1)}{m.group(2)[:1]}***", text)
    text = _EMAIL.sub(_hide_email, text)
    parts = _DATE.split(text)  # dates next to a number must not read as one long phone number
    return "".join(part if i % 2 else _PHONE.sub(_hide_phone, part) for i, part in enumerate(parts))


def shown(column: str, value: object) -> str:
    """How a cell may be shown in output: contact columns masked, the rest as read."""
    if is_blank(value):
        return ""
    if column in PRIVATE_COLUMNS:
        return mask_contact(column, value)
    return as_text(value)


def mask_contact(column: str, value: object) -> str:
    """A value of a contact column masked whatever its shape: the column says it is personal,
    so a phone number stored as a number (701234567: the spreadsheet dropped the 0) or typed
    with a word ('Tel 0701234567') is masked although free text would not read it as one.
    A checkbox (the register's LinkedIn column) is not personal and is shown."""
    if isinstance(value, bool):
        return as_text(value)
    text = mask_text(value)
    if column == "Telefon" or (text == as_text(value) and sum(ch.isdigit() for ch in text) >= 5):
        return _hide_digits(text)
    if text == as_text(value) and column in ("E-post", "LinkedIn") and len(text) > 1 and "***" not in text:
        return text[:1] + "***"  # not an address free text knows: still the person's
    return text
