"""The programme calendar: phases, sprints, deadlines and company goals (pure, no I/O).

A cohort is named by the year Y whose April starts its LIA search. Its default calendar,
from the seeds (see crm-schema.md, "Default calendar"):

    Fas 1                      1 Sep Y-1 .. the day before Big Bang Day
    Fas 1, efter Big Bang Day  Big Bang Day .. 31 Dec Y-1
    Fas 2                      1 Jan Y .. 31 Mar Y
    Sprint 1..5                April; May-June; July; August-September; October

Decisions where the seeds are silent (documented here and in the README):
- Fas 1 ends with the autumn term, 31 December Y-1: groups are set in September, adjusted in
  November "inför nästa fas", and Big Bang Day falls "mot slutet av Fas 1".
- The default Big Bang Day is 1 December Y-1; a group's own date (the register's
  `Big Bang Day`) replaces it. A Big Bang Day after 31 December moves the end of Fas 1 to it.
- Cohorts overlap (a new cohort's Fas 1 runs beside the old one's Sprints 4-5), so every rule
  takes the cohort of the group or student it judges (the register's `Kull`, see
  programme/register.py). Only when nothing names a cohort does the date decide: 1 Sep-31 Oct Y
  is cohort Y (Sprints 4-5), from 1 November Y it is cohort Y+1 (Fas 1).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal, Mapping, NamedTuple, Sequence

from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import N_, _, language, ngettext
from chas_sheets.sheet.values import SERIAL_EPOCH, as_text, is_blank
from chas_sheets.text import fold, fold_words, strip_diacritics

DEFAULT_BIG_BANG = (12, 1)  # (month, day) in the autumn of Y-1
INDIVIDUAL_GOAL = 50  # distinct companies in an individual CRM by 30 April
GROUP_GOAL_BEFORE_BIG_BANG = 30  # leads in the group CRM before Big Bang Day

# How far past `today` a yearless `d/m` may lie and still be this year: a date logged a few
# days ahead is a typo or a planned call, one months ahead is last year's.
YEARLESS_MARGIN_DAYS = 7


@dataclass(frozen=True)
class Period:
    name: str
    start: dt.date
    end: dt.date  # inclusive
    focus: str = ""
    goal: str = ""
    kull: int | None = None  # a Kalender row's `Kull`: the cohort it belongs to (None: not said)

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class Deadline(NamedTuple):
    name: str
    date: dt.date
    days_left: int  # negative once passed
    passed: bool = False  # the cohort's last deadline is behind us: nothing comes next


# --------------------------------------------------------------------------- dates in cells

_MONTHS = {
    "jan": 1, "januari": 1, "feb": 2, "februari": 2, "mar": 3, "mars": 3, "apr": 4, "april": 4,
    "maj": 5, "jun": 6, "juni": 6, "jul": 7, "juli": 7, "aug": 8, "augusti": 8,
    "sep": 9, "sept": 9, "september": 9, "okt": 10, "oktober": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
# 3/5, 3/5/2025, 3/5-25, 3/5 2025 (Swedish day/month order)
_DAY_MONTH = re.compile(r"(\d{1,2})/(\d{1,2})(?:\s*[/ -]\s*(\d{2}|\d{4}))?")
# 12.05.2027, a common Swedish spelling; only with a four-digit year ('12.5' is a number)
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DAY_MONTHNAME = re.compile(r"(\d{1,2})\s+([a-z]+)(?:\s+(\d{2}|\d{4}))?")
# 12-05-2027: day first, as Swedes write it (only with a four-digit year: '12-05' is not a date)
_DASHED = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
# What people write around a date in a contact log, taken away before reading it again:
# a weekday ('måndag 12/5', 'mån 12/5'), 'den' ('den 12 maj'), an ordinal ('12:e maj', '1:a
# maj') and a time ('12/5 kl 10', '12/5 kl. 10.30', '12/5 10:30'). Matched on text without
# diacritics, lower case.
_WEEKDAY = r"(?:mandag|tisdag|onsdag|torsdag|fredag|lordag|sondag|man|tis|ons|tors|tor|fre|lor|son)\.?"
_AROUND_PREFIX = re.compile(rf"^(?:{_WEEKDAY}\s*,?\s*)?(?:den\s+)?")
_AROUND_TIME = re.compile(r"(?:\s*,?\s*(?:kl\.?|klockan)\s*\d{1,2}(?:[:.]\d{2})?|\s+\d{1,2}[:.]\d{2})$")
_ORDINAL = re.compile(r"^(\d{1,2}):?[ae](?=\s)")
# Spreadsheet serial days taken as dates: 2000-01-01 .. 2099.
_SERIAL_RANGE = (36526, 73050)


def parse_date(value: object, today: dt.date | None = None) -> dt.date | None:
    """A cell's date, or None when it is blank or not a date.

    Accepts date/datetime objects, spreadsheet serial numbers (an unformatted Google read),
    ISO text ('2025-05-03', with or without a time), Swedish 'd/m/yyyy', 'd/m-yy', 'dd.mm.yyyy',
    'dd-mm-yyyy', 'd maj 2025' and, only when `today` is given, yearless 'd/m' / 'd maj': the
    most recent such date not after today + YEARLESS_MARGIN_DAYS, within a year (29/2 in a year
    with no 29 February and none the year before is no date: guessing a year further back
    would count a call years old). A weekday, 'den', an ordinal ('12:e') or a time ('kl 10')
    around the date are read past.
    """
    if is_blank(value):  # also NaN / NaT from pandas
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return SERIAL_EPOCH.date() + dt.timedelta(days=int(value))
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    parsed = _parse_text(text, today)
    if parsed is None:
        bare = _bare_date(text)
        if bare != text:
            parsed = _parse_text(bare, today)
    return parsed


def _bare_date(text: str) -> str:
    """'Måndag den 12:e maj kl 10' -> '12 maj': the words around a date taken away."""
    bare = strip_diacritics(text).lower().strip()
    bare = _AROUND_TIME.sub("", _AROUND_PREFIX.sub("", bare, count=1), count=1).strip()
    return _ORDINAL.sub(r"\1", bare, count=1)


def _parse_text(text: str, today: dt.date | None) -> dt.date | None:
    if match := _ISO.fullmatch(text):
        return _checked(int(match[1]), int(match[2]), int(match[3]))
    if match := _DAY_MONTH.fullmatch(text):
        return _day_month(int(match[1]), int(match[2]), match[3], today)
    if match := _DOTTED.fullmatch(text) or _DASHED.fullmatch(text):
        return _checked(int(match[3]), int(match[2]), int(match[1]))
    if (match := _DAY_MONTHNAME.fullmatch(fold_words(text))) and match[2] in _MONTHS:
        return _day_month(int(match[1]), _MONTHS[match[2]], match[3], today)
    return None


def _checked(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _day_month(day: int, month: int, year_text: str | None, today: dt.date | None) -> dt.date | None:
    if year_text:
        year = int(year_text)
        return _checked(year + 2000 if year < 100 else year, month, day)
    if today is None:
        return None
    latest = today + dt.timedelta(days=YEARLESS_MARGIN_DAYS)
    for year in (latest.year, latest.year - 1):  # within a year: 29/2 typed in 2027 is no date
        candidate = _checked(year, month, day)
        if candidate is not None and candidate <= latest:
            return candidate
    return None


def format_day(day: dt.date) -> str:
    """'3/5': how Swedish students write a date in a log."""
    return f"{day.day}/{day.month}"


# --------------------------------------------------------------------------- calendars

def cohort_year_for(today: dt.date, kull: int | None = None) -> int:
    """The cohort to judge by: `kull` when the register names one, else the cohort `today`
    falls in by date alone (its calendar runs 1 Sep Y-1 .. 31 Oct Y, see module doc)."""
    if kull is not None:
        return kull
    return today.year if today.month <= 10 else today.year + 1


def cohort_of_big_bang_day(day: dt.date) -> int:
    """The cohort whose Big Bang Day `day` can be: it falls in Fas 1-2 (Sep Y-1 .. Mar Y)."""
    return day.year + 1 if day.month >= 9 else day.year


_KULL = re.compile(r"(?:kull|cohort|argang)?\s*(\d{4})(?: 0+)?")


def parse_kull(value: object) -> int | None:
    """A `Kull` cell as a year ('2027', 2027, 'Kull 2027'); None when blank; InvalidInput when
    it names no year (a wrong cohort would judge a person by another cohort's dates)."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        year = int(value)
    elif isinstance(value, str) and (match := _KULL.fullmatch(fold_words(value).strip())):
        year = int(match[1])
    else:
        year = 0
    if not 2000 <= year <= 2099:
        raise InvalidInput(_("Kull {value!r} is not a year (write the year whose April starts the LIA search, "
                             "e.g. 2027)").format(value=as_text(value)))
    return year


def default_big_bang_day(cohort_year: int) -> dt.date:
    return dt.date(cohort_year - 1, *DEFAULT_BIG_BANG)


def default_calendar(cohort_year: int, big_bang_day: dt.date | None = None) -> list[Period]:
    """The seeds' calendar for the cohort whose LIA search starts in April `cohort_year`."""
    return list(_default_calendar(cohort_year, big_bang_day, language()))


@lru_cache(maxsize=256)  # asked for per group and student, and worded once per language
def _default_calendar(cohort_year: int, big_bang_day: dt.date | None, lang: str) -> tuple[Period, ...]:
    y = cohort_year
    fas1_start, fas2_end = dt.date(y - 1, 9, 1), dt.date(y, 3, 31)
    bbd = big_bang_day or default_big_bang_day(y)
    if not fas1_start < bbd < fas2_end:
        raise InvalidInput(_("Big Bang Day {day} is outside Fas 1-2 of the {year} cohort ({start} .. {end})").format(
            day=bbd.isoformat(), year=y, start=fas1_start.isoformat(), end=fas2_end.isoformat()))
    fas1_end = max(dt.date(y - 1, 12, 31), bbd)
    day = dt.timedelta(days=1)
    # The names are the Kalender's (contract words); focus and goal are read by people. A focus
    # that says "Reachout" or "Last push" (in either language) marks a reach-out period.
    return (
        Period("Fas 1", fas1_start, bbd - day, _("Research, the group's CRM"),
               _("At least {n} leads in the group's CRM before Big Bang Day").format(n=GROUP_GOAL_BEFORE_BIG_BANG)),
        Period("Fas 1, efter Big Bang Day", bbd, fas1_end, _("Research"),
               _("The group's own Delmål")),
        Period("Fas 2", fas1_end + day, fas2_end,
               _("Roles; balance between input (new leads) and output (processed leads)"), ""),
        Period("Sprint 1", dt.date(y, 4, 1), dt.date(y, 4, 30),
               _("Research: harvest, individual CRM, companies with long recruitment processes"),
               _("At least {n} companies in your CRM, warm leads included").format(n=INDIVIDUAL_GOAL)),
        Period("Sprint 2", dt.date(y, 5, 1), dt.date(y, 6, 30),
               _("Reachout: warm leads and companies with long recruitment processes"),
               _("LIA registered by 30 June (soft deadline)")),
        Period("Sprint 3", dt.date(y, 7, 1), dt.date(y, 7, 31),
               _("Research: small and medium-sized companies, startups, scaleups, large IT departments"), ""),
        Period("Sprint 4", dt.date(y, 8, 1), dt.date(y, 9, 30), _("Reachout at a higher pace"),
               _("LIA registered by 30 September (hard deadline)")),
        Period("Sprint 5", dt.date(y, 10, 1), dt.date(y, 10, 31),
               _("Last push; backoffice places students without a LIA"), ""),
    )


def period_on(today: dt.date, calendar: Iterable[Period]) -> Period | None:
    """The period `today` falls in; where periods overlap, the one that started last wins."""
    current = [period for period in calendar if today in period]
    return max(current, key=lambda period: period.start, default=None)


class PhaseOneDates(NamedTuple):
    big_bang_day: dt.date
    last_day: dt.date  # the last day of Fas 1 (its individual goals are due by then)


def phase_one_dates(periods: Iterable[Period], cohort: int, big_bang_day: dt.date | None = None) -> PhaseOneDates:
    """A cohort's Big Bang Day and the last day of its Fas 1: from the calendar's `Fas 1, efter
    Big Bang Day` (else `Fas 1`) period, else the defaults (with the group's `big_bang_day`)."""
    found = {fold(p.name): p for p in periods}
    after, before = found.get("fas1efterbigbangday"), found.get("fas1")
    defaults = {fold(p.name): p for p in default_calendar(cohort, big_bang_day)}
    day = big_bang_day or (after.start if after else defaults["fas1efterbigbangday"].start)
    last = (after or before or defaults["fas1efterbigbangday"]).end
    return PhaseOneDates(day, max(last, day))


_KALENDER_COLUMNS = {"period": "Period", "start": "Start", "slut": "Slut", "fokus": "Fokus", "mal": "Mål",
                     "kull": "Kull", "cohort": "Kull", "argang": "Kull"}
_REQUIRED = ("Period", "Start", "Slut")


def calendar_from_rows(rows: Sequence[Mapping[str, object]]) -> list[Period]:
    """Periods from a `Kalender` tab's rows (header names matched the forgiving way).

    Rows are numbered as in the sheet (header = row 1) in error messages. Blank rows are
    skipped; a row missing a name or a date, or ending before it starts, is an error.
    """
    periods = []
    for number, row in enumerate(rows, start=2):
        cells = {_KALENDER_COLUMNS[fold(key)]: value for key, value in row.items() if fold(key) in _KALENDER_COLUMNS}
        if all(is_blank(value) for value in cells.values()):
            continue
        for column in _REQUIRED:
            if is_blank(cells.get(column)):
                raise InvalidInput(_("Kalender row {number}: '{column}' is empty").format(number=number, column=column))
        name = str(cells["Period"]).strip()
        start, end = (_required_date(cells[column], column, number, name) for column in ("Start", "Slut"))
        if end < start:
            raise InvalidInput(_("Kalender row {number} ({name}): Slut {end} is before Start {start}").format(
                number=number, name=name, end=end.isoformat(), start=start.isoformat()))
        try:
            kull = parse_kull(cells.get("Kull"))
        except InvalidInput as exc:
            raise InvalidInput(_("Kalender row {number} ({name}): {error}").format(
                number=number, name=name, error=exc)) from None
        periods.append(Period(name, start, end, as_text(cells.get("Fokus")), as_text(cells.get("Mål")), kull))
    if not periods:
        raise InvalidInput(_("Kalender has no periods"))
    return periods


def _required_date(value: object, column: str, number: int, name: str) -> dt.date:
    parsed = parse_date(value)
    if parsed is None:
        raise InvalidInput(_("Kalender row {number} ({name}): {column} {value!r} is not a date (use 2025-04-01 or "
                             "1/4/2025)").format(number=number, name=name, column=column, value=value))
    return parsed


# --------------------------------------------------------------------------- deadlines, goals

Kind = Literal["individual", "group"]


def _checked_kind(kind: str) -> None:
    if kind not in ("individual", "group"):
        raise InvalidInput(_("unknown CRM kind {kind!r} (expected 'individual' or 'group')").format(kind=kind))


def kalender_cohort(periods: Sequence[Period]) -> int | None:
    """The cohort a Kalender without `Kull` describes, from its own dates: the year its first
    sprint starts in (sprints run April-October of the cohort's year), else the cohort of its
    earliest start (September-December start the next cohort's Fas 1)."""
    if not periods:
        return None
    sprints = [p.start for p in periods if fold(p.name).startswith("sprint")]
    if sprints:
        return min(sprints).year
    first = min(p.start for p in periods)
    return first.year + 1 if first.month >= 9 else first.year


def _period_named(name: str, periods: Sequence[Period] | None, today: dt.date,
                  big_bang_day: dt.date | None, cohort: int | None = None) -> Period:
    """The calendar's period `name` (matched the forgiving way), else the cohort's default one."""
    for period in periods or ():
        if fold(period.name) == fold(name):
            return period
    defaults = default_calendar(cohort_year_for(today, cohort), big_bang_day)
    return next(period for period in defaults if fold(period.name) == fold(name))


def next_deadline(today: dt.date, kind: Kind = "individual", periods: Sequence[Period] | None = None,
                  big_bang_day: dt.date | None = None, cohort: int | None = None) -> Deadline:
    """The next deadline of the `cohort` (default: today's by date) for a student's or a group's CRM.

    Dates come from `periods` (a Kalender tab), else the default calendar (with the group's
    `big_bang_day`). Individual: the goal (end of Sprint 1), the soft (Sprint 2) and the hard
    deadline (Sprint 4); once that has passed the deadline is "Hard Deadline passerad" (seed
    002, Sprint 5: "Hard Deadline har passerats"), never the next cohort's goal. Group: its
    Big Bang Day (seed 000: "Minst 30 leads i CRM innan Big Bang Day infaller", so the day
    itself is already too late), the end of Fas 1 (its Delmål: "fram till fasen tar slut") and
    the end of Fas 2; after that "Gruppfasen avslutad" (the groups work in the first two phases).
    A passed deadline has `passed` set and a negative `days_left`.
    """
    _checked_kind(kind)
    period = lambda name: _period_named(name, periods, today, big_bang_day, cohort)  # noqa: E731
    if kind == "group":
        after_bbd = period("Fas 1, efter Big Bang Day")
        bbd = big_bang_day or after_bbd.start
        candidates = [
            (bbd - dt.timedelta(days=1), bbd,
             _("Big Bang Day: at least {n} leads").format(n=GROUP_GOAL_BEFORE_BIG_BANG)),
            (after_bbd.end, after_bbd.end, _("Fas 1 ends: the group's Delmål")),
            (period("Fas 2").end, period("Fas 2").end, _("Fas 2 ends: the group phase is over")),
        ]
        passed = _("The group phase is over")
    else:
        candidates = [(day, day, name) for day, name in (
            (period("Sprint 1").end, _("Goal: {n} companies").format(n=INDIVIDUAL_GOAL)),
            (period("Sprint 2").end, _("Soft deadline: LIA registered")),
            (period("Sprint 4").end, _("Hard deadline: LIA registered")),
        )]
        passed = _("Hard deadline passed")
    for last_day, when, name in candidates:
        if today <= last_day:
            return Deadline(name, when, (when - today).days)
    when = candidates[-1][1]
    return Deadline(passed, when, (when - today).days, passed=True)


def describe_deadline(deadline: Deadline) -> str:
    """'next deadline: Hard deadline: LIA registrerad, 2027-09-30 (12 days)', or once passed
    'deadline: Hard Deadline passerad 2027-09-30 (5 days ago)'."""
    if deadline.passed:
        days = -deadline.days_left
        return ngettext("deadline: {name} {date} ({n} day ago)", "deadline: {name} {date} ({n} days ago)",
                        days).format(name=deadline.name, date=deadline.date.isoformat(), n=days)
    return ngettext("next deadline: {name}, {date} ({n} day)", "next deadline: {name}, {date} ({n} days)",
                    deadline.days_left).format(name=deadline.name, date=deadline.date.isoformat(),
                                               n=deadline.days_left)


class GroupGoal(NamedTuple):
    """What a group CRM is judged on today: `target` leads, counted from `since` when set.

    Seed 000, "Fasens mål på gruppnivå": "Minst 30 leads i CRM innan Big Bang Day infaller"
    (every lead counts) and "Ytterligare leads från Big Bang Day fram till fasen tar slut
    (gruppen sätter delmålet själva)": the Delmål counts only the leads *added* (`Tillagd`)
    on or after Big Bang Day. Leads added after Fas 1 has ended still count: a group that
    missed its Delmål can catch up in Fas 2.
    """

    target: int
    big_bang_day: dt.date  # the group's, else the cohort's default
    delmal: bool = False  # the group's own Delmål is the goal (from its Big Bang Day on)

    @property
    def since(self) -> dt.date | None:
        """Only leads added on or after this day count (None: every lead)."""
        return self.big_bang_day if self.delmal else None

    def count(self, added: Iterable[dt.date | None]) -> int:
        """The leads that count toward the goal, given each lead's `Tillagd` (None if blank).

        A lead without a readable `Tillagd` counts as added before Big Bang Day: nothing
        shows it was found since, and counting it would let undated leads from the first
        30 fill the Delmål too.
        """
        days = list(added)
        if self.since is None:
            return len(days)
        return sum(day is not None and day >= self.since for day in days)


def group_goal(today: dt.date, big_bang_day: dt.date | None = None, delmal: object = None,
               cohort: int | None = None) -> GroupGoal:
    """30 leads before the group's Big Bang Day (default: its cohort's); from that day its
    `Delmål`, counted in leads added since; with no Delmål set, 30 leads in all still holds."""
    bbd = big_bang_day or default_big_bang_day(cohort_year_for(today, cohort))
    if today < bbd:
        return GroupGoal(GROUP_GOAL_BEFORE_BIG_BANG, bbd)
    target = _delmal(delmal)
    return GroupGoal(target, bbd, True) if target else GroupGoal(GROUP_GOAL_BEFORE_BIG_BANG, bbd)


def company_goal(
    kind: Kind,
    today: dt.date,
    big_bang_day: dt.date | None = None,
    delmal: object = None,
    cohort: int | None = None,
) -> int:
    """The goal's number in today's phase: 50 companies for a student (by 30 April); for a
    group, leads as `group_goal` says (which also says which leads count)."""
    _checked_kind(kind)
    if kind == "individual":
        return INDIVIDUAL_GOAL
    return group_goal(today, big_bang_day, delmal, cohort).target


@dataclass(frozen=True)
class GroupProgress:
    """A group's goal and where it stands on one day: the one answer `check`, `status` and
    `nightly` give (they differ only in wording).

    `count` of `goal` leads (counted from `since` when the Delmål is the goal), `met` when
    reached. From Big Bang Day on, the 30-lead goal of seed 000 ("Minst 30 leads i CRM innan
    Big Bang Day infaller") is kept as a record: `big_bang_count` leads added before the day
    (an undated lead counts as added before it, as `GroupGoal.count` says), `big_bang_met`.
    """

    count: int
    goal: int
    since: dt.date | None
    met: bool
    big_bang_day: dt.date
    big_bang_count: int | None = None  # None until Big Bang Day has come
    big_bang_met: bool | None = None
    defaults: bool = False  # the group's own Big Bang Day and Delmål were not known: the cohort's

    def big_bang_text(self) -> str:
        """'Big Bang Day 2026-12-01: 31 av 30 leads (uppnått)', '' before the day."""
        if self.big_bang_count is None:
            return ""
        text = (_("Big Bang Day {day}: {count} of {goal} leads (reached)") if self.big_bang_met
                else _("Big Bang Day {day}: {count} of {goal} leads (missed)"))
        return text.format(day=self.big_bang_day.isoformat(), count=self.big_bang_count,
                           goal=GROUP_GOAL_BEFORE_BIG_BANG)

    def to_dict(self) -> dict:
        return {"count": self.count, "goal": self.goal, "since": self.since, "met": self.met,
                "big_bang_day": self.big_bang_day, "big_bang_count": self.big_bang_count,
                "big_bang_met": self.big_bang_met, "defaults": self.defaults}


def group_progress(today: dt.date, added: Iterable[dt.date | None], big_bang_day: dt.date | None = None,
                   delmal: object = None, cohort: int | None = None, defaults: bool = False) -> GroupProgress:
    """A group's goal and progress on `today`, given each lead's `Tillagd` (None if blank).

    Leads added after `today` do not exist yet (a replay with --today sees the day as it was).
    Raises InvalidInput for a Delmål that is not a positive whole number.
    """
    days = [day for day in added if day is None or day <= today]
    goal = group_goal(today, big_bang_day, delmal, cohort)
    count = goal.count(days)
    record = met = None
    if today >= goal.big_bang_day:
        record = sum(day is None or day < goal.big_bang_day for day in days)
        met = record >= GROUP_GOAL_BEFORE_BIG_BANG
    return GroupProgress(count, goal.target, goal.since, count >= goal.target, goal.big_bang_day, record, met,
                         defaults)


def _delmal(value: object) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    raise InvalidInput(_("Delmål {value!r} is not a positive whole number").format(value=value))


# What a person is told when a date cell is not understood: the spellings that work.
# DATE_SPELLINGS is the English wording, kept for callers that format it into an English line;
# `date_spellings()` says it in the reader's language.
DATE_SPELLINGS = N_("2027-05-12, 12/5, 12/5 2027, 12.05.2027, 12-05-2027, 12 maj or den 12:e maj (a weekday "
                    "or kl 10 may stand beside it)")


def date_spellings() -> str:
    """The date spellings that work, in the reader's language."""
    return _(DATE_SPELLINGS)
