"""Contact details never leave the sheet: reports, logs, --json and errors mask them.

Students' CRMs hold the phone numbers and e-mail addresses of company contacts. Output shows
enough to tell two values apart (`070-*** ** 67`, `a***@volvocars.com`), never the value.
"""

from __future__ import annotations

import re

from chas_sheets.sheet.values import as_text, is_blank

# Columns whose values are contact details (canonical names of the contract).
PRIVATE_COLUMNS = frozenset({"Telefon", "E-post"})

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_DATE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)")
_PHONE = re.compile(r"(?<![\w@])(\+?\d[\d\s\-()]{6,}\d)(?![\w@])")


def mask_email(value: object) -> str:
    """'anna.svensson@volvocars.com' -> 'a***@volvocars.com' (the domain names the company)."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", as_text(value))


def mask_phone(value: object) -> str:
    """'070-123 45 67' -> '070-*** ** 67': the first three and last two digits stay."""

    def hide(match: re.Match) -> str:
        text = match.group(0)
        digits = sum(ch.isdigit() for ch in text)
        seen, out = 0, []
        for ch in text:
            if ch.isdigit():
                seen += 1
                out.append(ch if seen <= 3 or seen > digits - 2 else "*")
            else:
                out.append(ch)
        return "".join(out)

    # Dates next to a number must not read as one long phone number: mask between them only.
    parts = _DATE.split(as_text(value))
    return "".join(part if i % 2 else _PHONE.sub(hide, part) for i, part in enumerate(parts))


def mask_text(value: object) -> str:
    """Free text (a comment, an error message) with any e-mail address or phone number masked."""
    return mask_phone(mask_email(value))


def shown(column: str, value: object) -> str:
    """How a cell may be shown in output: contact columns masked, the rest as read."""
    if is_blank(value):
        return ""
    if column in PRIVATE_COLUMNS:
        return mask_text(value)
    return as_text(value)
