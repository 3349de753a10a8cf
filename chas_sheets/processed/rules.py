"""The processed rule (bearbetad) from a lead's contact log: pure, no I/O.

From the seeds: a lead is processed after a `Ja`, a `Nej`, or three contact attempts without a
reply. A yes goes on as the last sprint's pipeline (`Möte bokat`, `Intervju`, `Arbetsprov`,
`Erbjudande`: each a yes to something). In date order (ties keep sheet order): the latest
`Ja`/pipeline step/`Nej` decides (a yes keeps the date of the first yes since the last `Nej`); otherwise three
`Inget svar` on three different days since the last answer make `Ingen respons` (processed on
the third; several unanswered attempts on one day are one attempt, `one_per_day`); an answer
(`Svar`) makes `Dialog`; one or two unanswered attempts with no answer make `Kontaktad`.
With no usable log rows the hand-set `Status` stands.

Vocabulary: log values are recognised by whole value, folded (`INGET SVAR`, `Nej.`, `e-post`),
against the aliases below. There is deliberately no prefix or fuzzy matching: free text such as
"Nej, svarade inte" could mean either `Nej` or `Inget svar`, and a wrong `Nej` would close a
lead. Such values are warnings and the row is not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence

from chas_sheets.i18n import _, sheet_
from chas_sheets.programme.calendar import date_spellings, format_day, parse_date
from chas_sheets.sheet.values import is_blank
from chas_sheets.text import fold

# Outcomes (Utfall)
INGET_SVAR, SVAR, JA, NEJ = "Inget svar", "Svar", "Ja", "Nej"
# After a yes, the LIA pipeline of the last sprint ("boka möten, intervjuer och arbetsprov"):
# each step is a yes to something, so the lead is processed, and its story goes on.
MOTE_BOKAT, INTERVJU, ARBETSPROV, ERBJUDANDE = "Möte bokat", "Intervju", "Arbetsprov", "Erbjudande"
PIPELINE = (MOTE_BOKAT, INTERVJU, ARBETSPROV, ERBJUDANDE)
POSITIVE = (JA, *PIPELINE)
# Channels (Kanal)
TELEFON, MEJL, LINKEDIN, BESOK, ANNAT = "Telefon", "Mejl", "LinkedIn", "Besök", "Annat"
# Lead statuses (Leads.Status)
NY, KONTAKTAD, DIALOG, INGEN_RESPONS = "Ny", "Kontaktad", "Dialog", "Ingen respons"
STATUSES = (NY, KONTAKTAD, DIALOG, JA, *PIPELINE, NEJ, INGEN_RESPONS)
# A hand-set `Ingen respons` also counts: it is the rule's own word for a closed lead.
PROCESSED_STATUSES = frozenset({*POSITIVE, NEJ, INGEN_RESPONS})
LIVE_OFFER = ERBJUDANDE  # a lead with an offer: the student should register the LIA
UNANSWERED_TO_CLOSE = 3
# The seeds recommend the phone first; then the written channels.
PREFERRED_CHANNELS = (TELEFON, MEJL, LINKEDIN)

OUTCOME_ALIASES: dict[str, tuple[str, ...]] = {
    INGET_SVAR: (
        "inget svar", "ingen svar", "ej svar", "inte svar", "inget svar ännu", "inget svar än",
        "ej svarat", "inte svarat", "svarar inte", "svarade inte", "obesvarad", "obesvarat",
        "upptaget", "röstbrevlåda", "ingen respons", "no answer", "no reply", "no response",
    ),
    SVAR: ("svar", "svarat", "svarade", "besvarad", "fick svar", "answered", "replied", "reply"),
    JA: ("ja", "yes", "ja tack", "japp"),
    NEJ: ("nej", "no", "nej tack", "nej tyvärr", "avböjt", "avböjde", "avslag", "declined"),
    MOTE_BOKAT: ("möte", "bokat möte", "möte inbokat", "mötesbokning", "meeting", "meeting booked"),
    INTERVJU: ("intervju bokad", "bokad intervju", "intervjuad", "interview"),
    ARBETSPROV: ("arbetsprov bokat", "kodtest", "case", "testuppgift", "work test", "test"),
    ERBJUDANDE: ("erbjudande om lia", "lia-erbjudande", "lia erbjudande", "fick erbjudande", "offer"),
}
CHANNEL_ALIASES: dict[str, tuple[str, ...]] = {
    TELEFON: ("telefon", "tel", "tfn", "ring", "ringde", "ringt", "samtal", "telefonsamtal", "phone", "call"),
    MEJL: ("mejl", "mail", "e-post", "epost", "email", "e-mail", "mejlat", "mailat", "mejla", "maila"),
    LINKEDIN: ("linkedin", "linked in", "li", "linkedin-meddelande", "linkedin meddelande", "inmail"),
    BESOK: ("besök", "besökte", "studiebesök", "möte", "fysiskt möte", "mässa", "på plats", "visit"),
    ANNAT: ("annat", "övrigt", "other", "sms", "teams", "zoom"),
}


def _lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(alias): canonical for canonical, words in aliases.items() for alias in (canonical, *words)}


_OUTCOMES = _lookup(OUTCOME_ALIASES)
_CHANNELS = _lookup(CHANNEL_ALIASES)
_STATUSES = _lookup({status: () for status in STATUSES})


def parse_outcome(value: object) -> str | None:
    """'INGET SVAR', 'Nej.', 'ej svar' -> the canonical outcome; None when unknown or blank."""
    return _OUTCOMES.get(fold(value))


def parse_channel(value: object) -> str | None:
    """'tel', 'ringde', 'e-post', 'LinkedIn-meddelande' -> the canonical channel; None when unknown."""
    return _CHANNELS.get(fold(value))


def parse_status(value: object) -> str | None:
    """A `Status` cell's canonical word ('ingen respons' -> 'Ingen respons'), None when unknown."""
    return _STATUSES.get(fold(value))


def parse_log_date(value: object, today: dt.date) -> dt.date | None:
    """A `Datum` cell: date objects, serial days, ISO, d/m/yyyy, d/m-yy, yearless d/m.

    A yearless 'd/m' is the most recent such date not after today + 7 days (see
    chas_sheets.programme.calendar.parse_date). None means unparseable: warn and skip the row.
    """
    return parse_date(value, today)


@dataclass(frozen=True)
class Attempt:
    date: dt.date
    channel: str | None  # canonical, or None when blank or unknown (still counts)
    outcome: str  # canonical
    source_row: object = None  # whatever the caller uses to point at the log row

    def describe(self, sheet: bool = False) -> str:
        """'3/5 Telefon'; `sheet`: in the sheet's language (a cell), else in the one people read."""
        unknown = sheet_("unknown channel") if sheet else _("unknown channel")
        return f"{format_day(self.date)} {self.channel or unknown}"


def parse_attempt(
    date_value: object, channel_value: object, outcome_value: object, source_row: object, today: dt.date
) -> tuple[Attempt | None, list[str]]:
    """One `Kontaktlogg` row as an Attempt, plus warnings; never raises.

    The row is left out of the rule (None) when its date is unparseable or its `Utfall` is blank
    or unknown: counting a guess could close a lead. An unknown `Kanal` is only a warning.
    A wholly blank row is None with no warning.
    """
    if all(is_blank(value) for value in (date_value, channel_value, outcome_value)):
        return None, []
    warnings = []
    date = parse_log_date(date_value, today)
    if date is None:
        warnings.append(_("row {row}: Datum {value} is not a date (write {spellings}); the row is not counted").format(
            row=source_row, value=repr(date_value), spellings=date_spellings()))
    outcome = parse_outcome(outcome_value)
    if outcome is None:
        if is_blank(outcome_value):
            warnings.append(_("row {row}: Utfall is empty; the row is not counted").format(row=source_row))
        else:
            warnings.append(_("row {row}: Utfall {value} is not one of {values}; the row is not counted").format(
                row=source_row, value=repr(outcome_value), values=", ".join(OUTCOME_ALIASES)))
    channel = parse_channel(channel_value)
    if channel is None:
        if is_blank(channel_value):
            warnings.append(_("row {row}: Kanal is empty").format(row=source_row))
        else:
            warnings.append(_("row {row}: Kanal {value} is not one of {values}").format(
                row=source_row, value=repr(channel_value), values=", ".join(CHANNEL_ALIASES)))
    if date is None or outcome is None:
        return None, warnings
    return Attempt(date, channel, outcome, source_row), warnings


@dataclass(frozen=True)
class Decision:
    """What the rule says about one lead.

    from_log False: there were no usable attempts, the hand-set status stands and the caller
    writes nothing (`Status` and `Bearbetad` keep what is there). from_log True: `status` and
    `processed_date` are the values `Status` and `Bearbetad` should hold (None: blank).
    """

    status: str | None
    processed_date: dt.date | None
    reason: str
    from_log: bool = True

    @property
    def processed(self) -> bool:
        return parse_status(self.status) in PROCESSED_STATUSES


def decide(attempts: Iterable[Attempt], hand_status: object = None) -> Decision:
    """Apply the processed rule. Give attempts in sheet order: ties on a date keep it."""
    ordered = sorted(attempts, key=lambda attempt: attempt.date)  # stable: ties keep sheet order
    if not ordered:
        status = None if is_blank(hand_status) else parse_status(hand_status) or str(hand_status).strip()
        return Decision(status, None, _("no log rows: the hand-set status stands"), from_log=False)
    answers = [attempt for attempt in ordered if attempt.outcome in (NEJ, *POSITIVE)]
    if answers:
        last = answers[-1]
        if last.outcome == NEJ:
            return Decision(NEJ, last.date, f"{NEJ}: {last.describe()}")
        # A yes and the pipeline after it: the latest step is the status; the lead was
        # processed on the first yes of this run (a later step does not move `Bearbetad`).
        run = [a for a in answers[answers.index(_last_no(answers)) + 1 if _last_no(answers) else 0:]]
        if len(run) > 1:
            return Decision(last.outcome, run[0].date, _("{outcome}: {attempt} (yes since {first})").format(
                outcome=last.outcome, attempt=last.describe(), first=run[0].describe()))
        return Decision(last.outcome, run[0].date, f"{last.outcome}: {last.describe()}")
    last_svar, unanswered = _since_last_answer(ordered)
    unanswered = one_per_day(unanswered)
    if len(unanswered) >= UNANSWERED_TO_CLOSE:
        closing = unanswered[:UNANSWERED_TO_CLOSE]
        if last_svar:
            why = _("{n} unanswered since Svar {answer}: {attempts}").format(
                n=len(closing), answer=last_svar.describe(), attempts=_listed(closing))
        else:
            why = _("{n} unanswered: {attempts}").format(n=len(closing), attempts=_listed(closing))
        return Decision(INGEN_RESPONS, closing[-1].date, why)
    if last_svar:
        if unanswered:
            return Decision(DIALOG, None, _("Svar: {answer}; then {n} unanswered: {attempts}").format(
                answer=last_svar.describe(), n=len(unanswered), attempts=_listed(unanswered)))
        return Decision(DIALOG, None, _("Svar: {answer}").format(answer=last_svar.describe()))
    return Decision(KONTAKTAD, None, _("{n} unanswered: {attempts}").format(
        n=len(unanswered), attempts=_listed(unanswered)))


def next_channel(attempts: Iterable[Attempt]) -> str | None:
    """The channel to try next for an open lead: the first of Telefon, Mejl, LinkedIn not yet
    tried without reply since the last answer (phone first, as the seeds recommend).
    None when the lead is processed: find a new contact person at the company instead."""
    attempts = list(attempts)
    if decide(attempts).processed:
        return None
    _last_svar, unanswered = _since_last_answer(sorted(attempts, key=lambda attempt: attempt.date))
    tried = {attempt.channel for attempt in unanswered}
    return next((channel for channel in PREFERRED_CHANNELS if channel not in tried), PREFERRED_CHANNELS[0])


def _last_no(answers: Sequence[Attempt]) -> Attempt | None:
    return next((a for a in reversed(answers) if a.outcome == NEJ), None)


def one_per_day(unanswered: Sequence[Attempt]) -> list[Attempt]:
    """Unanswered attempts on different days: the seeds' "tre kontaktförsök utan svar", and
    their advice to call again another day or try another channel, read as three occasions.
    Three calls in one afternoon are one attempt (the first of the day stands for it), so a
    lead is never closed in a day. Attempts must be in date order."""
    days: set[dt.date] = set()
    kept = []
    for attempt in unanswered:
        if attempt.date not in days:
            days.add(attempt.date)
            kept.append(attempt)
    return kept


def _since_last_answer(ordered: Sequence[Attempt]) -> tuple[Attempt | None, list[Attempt]]:
    """The last `Svar` (or None) and the `Inget svar` attempts after it, in date order."""
    last_svar_at = max((i for i, attempt in enumerate(ordered) if attempt.outcome == SVAR), default=-1)
    last_svar = ordered[last_svar_at] if last_svar_at >= 0 else None
    return last_svar, [attempt for attempt in ordered[last_svar_at + 1:] if attempt.outcome == INGET_SVAR]


def _listed(attempts: Iterable[Attempt]) -> str:
    return ", ".join(attempt.describe() for attempt in attempts)
