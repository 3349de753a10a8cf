"""`nightly`: backoffice's figures and tabs from the register and the CRM summaries (pure).

Input: the parsed register and, per CRM, its `CrmSummary` (or the one-line reason it could
not be read). Output: the tabs the run owns in the register, each rewritten whole —
`Dashboard` (a row per group and per student, with the run's date and a status ok / behind /
error with its reason, and a chart of the count against the goal), `Överbearbetning`,
`Placering`, `Medlemsbidrag`, `Gruppbild` (regrouping evidence) and `Dialoger` (the groups'
open dialogues) — and every figure for `--json`.

Decisions where the seeds are silent (also in the README):
- "the last 7 days" is today and the 6 days before it; "the last 28 days" likewise.
- Key dates come from the calendar (the register's Kalender, else the defaults): the LIA
  search starts when `Sprint 1` starts, the company goal is due when it ends, the soft and
  hard deadlines are the ends of `Sprint 2` and `Sprint 4`.
- A student is *behind*: after the hard deadline without a LIA or a placement; during Sprint
  1 with fewer companies than the goal pro rata (50 × days gone / days in the sprint); after
  it with fewer than 50; in a reach-out period (its focus says reachout or last push) with no
  attempt in the last 7 days. A registered or placed LIA is always *ok*. Before the LIA
  search individual figures are shown but not judged.
- Every group and student is judged by its own cohort's calendar (`Register.cohort_of_group`,
  `cohort_of_student`): one register holds the cohort in its last sprints and the next one in
  Fas 1 side by side.
- A group is *behind* with fewer leads than its goal (30 before its Big Bang Day, then its
  Delmål counted in leads added since that day, an undated lead counting as older: see
  `calendar.group_progress`, the one goal `check` and `status` give too), or in Fas 2 with
  neither new nor processed leads in the last 7 days. From the start of its cohort's LIA
  search the group phase is over (the seeds: groups work in the first two phases) and a group
  is no longer judged. From Big Bang Day on, its 30-lead result on that day stays in `Orsak`.
- `Placering`: a student with neither a registered LIA nor a placement, once their cohort's
  hard deadline has passed, stays on it until one of the two is recorded, whatever the date,
  with the days waited since the deadline. Before the hard deadline (from the start of the
  LIA search): students at risk, with no dialogue and under the company goal.
- Findings beyond the company goal are said in `Orsak` and put a student behind (never with
  a registered LIA or a placement): the soft deadline passed without a LIA (from 1 July to the
  hard deadline), a phase-1 goal (`CV design`, `CV ATS`, `LinkedIn`) not ticked once Fas 1
  has ended, `Commitmentavtal` not ticked after the group's Big Bang Day (`student_findings`;
  a column absent, or blank for every student, is not tracked). A group's composition (6-8
  members, one region, from Fas 2 two to three researchers and one project lead) is a warning
  in `Varningar`, its status unchanged. Live offers (leads at Erbjudande, Intervju,
  Arbetsprov) are counted in `Levande erbjudanden`, noted in `Orsak` and, with no LIA
  registered, listed on `Placering` as `Levande erbjudande` (before `Risk`).
- A summary's rows dated after `today` do not exist yet (`crm_summary` reads the CRM as it
  stood on `today`; the register's dates likewise), so a replay with --today is faithful.
- A CRM that could not be read tonight is an error row in `Dashboard`; in the tabs that
  aggregate over CRMs (`Överbearbetning`, `Medlemsbidrag`) its summary from the last night it
  was read stands in for it (`CrmOutcome.stand_in`), as an unchanged CRM's does: one bad
  night (network down) must not empty tabs backoffice reads. When a CRM whose data those tabs
  held has no such summary, the run keeps the tab's rows as they were (`kept_tabs`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import SHEET_LANGUAGE, _, in_language, language, ngettext, sheet_
from chas_sheets.nightly.crm_summary import CrmSummary
from chas_sheets.nightly.overprocessing import CompanyTally, Contact, Holding, OverprocessedCompany
from chas_sheets.privacy import mask_output
from chas_sheets.processed.contactlog import same_person
from chas_sheets.programme import calendar
from chas_sheets.programme.calendar import (
    Deadline,
    Period,
    cohort_year_for,
    company_goal,
    default_calendar,
    group_progress,
    period_on,
    phase_one_dates,
)
from chas_sheets.programme.register import Register, RegisterGroup, RegisterStudent
from chas_sheets.sheet.changes import TabReplacement
from chas_sheets.sheet.values import as_text, is_blank
from chas_sheets.text import fold, fold_words

OK, BEHIND, ERROR = "ok", "behind", "error"
STATUS_WORDS = {OK: "OK", BEHIND: "Efter", ERROR: "Fel"}
RECENT_DAYS = 7
MONTH_DAYS = 28

DASHBOARD = "Dashboard"
OVERPROCESSING = "Överbearbetning"
PLACEMENT = "Placering"
MEMBERS = "Medlemsbidrag"
GROUP_PICTURE = "Gruppbild"
DIALOGUES = "Dialoger"
OWNED_TABS = (DASHBOARD, OVERPROCESSING, PLACEMENT, MEMBERS, GROUP_PICTURE, DIALOGUES)
RISK = "Risk"
LIVE = "Levande erbjudande"

DASHBOARD_HEADERS = (
    "Datum", "Typ", "Namn", "Grupp", "Status", "Orsak", "Period", "Företag", "Leads", "Mot mål", "Mål",
    "I fas", "Nya leads 7 d", "Bearbetade 7 d", "Balans 7 d", "Event", "Långa rekryteringar", "Försök 7 d",
    "Försök 28 d", "Dialoger", "Levande erbjudanden", "Varningar", "Bearbetade", "LIA registrerad",
    "Dagar till deadline",
    "Kvalitetsvarningar",
    "Dubbletter", "Senaste aktivitet", "CRM",
)
OVERPROCESSING_HEADERS = ("Datum", "Företag", "Nyckel", "Antal CRM", "I CRM hos", "Antal kontaktare",
                          "Kontaktad av", "Från", "Till", "Orsak")
PLACEMENT_HEADERS = ("Datum", "Lista", "Namn", "Grupp", "E-post", "Orsak", "Företag", "Dialoger",
                     "Levande erbjudanden", "Försök 28 d", "Senaste aktivitet", "LIA-företag", "LIA registrerad",
                     "Placerad")
MEMBER_HEADERS = ("Datum", "Grupp", "Namn", "Medlem", "Leads tillagda", "Leads tillagda 28 d", "Försök",
                  "Försök 28 d")
GROUP_PICTURE_HEADERS = ("Datum", "Kull", "Grupp", "Typ", "Namn", "Medlem", "Commitmentavtal", "Leads tillagda",
                         "Försök", "Bearbetade", "Andel input", "Andel output", "Input mot snitt",
                         "Output mot snitt")
DIALOGUE_HEADERS = ("Datum", "Grupp", "Företag", "Kontaktperson", "Status", "Senaste kontakt", "Av")

# The chart spec both backends draw (xlsx: backends/xlsx_chart.py; Google: addChart in
# backends/google_format.py): a bar per row, the category column against the series columns.
# A group's bar is its leads; from its Big Bang Day with a Delmål, the leads added since then.
DASHBOARD_CHART = {"type": "bar",
                   "title": sheet_("Companies (groups: leads; with a Delmål, new since Big Bang Day) against the goal"),
                   "category": "Namn",
                   "series": ["Mot mål", "Mål"]}


# --------------------------------------------------------------------------- calendar
@dataclass(frozen=True)
class Milestones:
    lia_start: dt.date
    goal_day: dt.date
    soft_deadline: dt.date
    hard_deadline: dt.date

    def next_deadline(self, today: dt.date) -> Deadline | None:
        for when, name in ((self.goal_day, _("Goal: {n} companies").format(n=calendar.INDIVIDUAL_GOAL)),
                           (self.soft_deadline, _("Soft deadline: LIA registered")),
                           (self.hard_deadline, _("Hard deadline: LIA registered"))):
            if when >= today:
                return Deadline(name, when, (when - today).days)
        return None


def milestones(periods: Iterable[Period], today: dt.date, cohort: int | None = None) -> Milestones:
    """Key dates from the calendar's sprints; a sprint the calendar lacks keeps its cohort's default."""
    defaults = {fold(p.name): p for p in default_calendar(cohort_year_for(today, cohort))}
    found = {fold(p.name): p for p in periods}
    sprint = lambda n: found.get(f"sprint{n}") or defaults[f"sprint{n}"]  # noqa: E731
    return Milestones(sprint(1).start, sprint(1).end, sprint(2).end, sprint(4).end)


def _reach_out(period: Period | None) -> bool:
    words = fold_words(period.focus) if period else ""
    return "reachout" in words.replace(" ", "") or "last push" in words


def _recent(day: dt.date | None, today: dt.date, days: int) -> bool:
    return day is not None and 0 <= (today - day).days < days


def _last_activity(summary: CrmSummary, today: dt.date) -> dt.date | None:
    days = [d for d, _ in summary.attempt_dates()] + [d for d, _ in summary.added_dates() if d]
    days = [d for d in days if d <= today]  # a date ahead of today is a typo, not activity
    return max(days, default=None)


# --------------------------------------------------------------------------- figures
@dataclass
class GroupFigures:
    name: str
    crm: str
    status: str
    reason: str
    period: str
    cohort: int | None = None
    goal: int | None = None
    goal_since: dt.date | None = None  # with a Delmål: only leads added on or after this day count
    big_bang_day: dt.date | None = None
    big_bang_leads: int | None = None  # from Big Bang Day on: the leads before it (the 30-lead goal)
    big_bang_met: bool | None = None
    companies: int | None = None
    leads: int | None = None
    toward_goal: int | None = None  # the leads the goal counts
    on_track: bool | None = None
    new_leads_7: int | None = None
    processed_7: int | None = None
    balance_7: int | None = None
    events: int | None = None
    attempts_7: int | None = None
    attempts_28: int | None = None
    dialogues: int | None = None  # the programme lead follows these up (seed 001)
    live_offers: int | None = None
    duplicates: int | None = None
    quality_warnings: int | None = None
    last_activity: dt.date | None = None
    warnings: list[str] = field(default_factory=list)  # the group's composition (not its status)


@dataclass
class StudentFigures:
    name: str
    group: str
    email: str
    crm: str
    status: str
    reason: str
    period: str
    goal: int
    cohort: int | None = None
    lia_start: dt.date | None = None
    hard_deadline: dt.date | None = None
    lia_company: str = ""
    lia_registered: dt.date | None = None
    placed: dt.date | None = None
    days_to_deadline: int | None = None
    has_crm: bool = False
    companies: int | None = None
    leads: int | None = None
    long_recruitment: int | None = None
    attempts_7: int | None = None
    attempts_28: int | None = None
    dialogues: int | None = None
    offers: int | None = None  # leads at Erbjudande
    interviews: int | None = None  # leads at Intervju or Arbetsprov
    processed: int | None = None
    duplicates: int | None = None
    quality_warnings: int | None = None
    last_activity: dt.date | None = None

    @property
    def live_offers(self) -> int | None:
        return None if self.offers is None else self.offers + (self.interviews or 0)

    def live_offer_text(self) -> str:
        """'1 offer, 2 interviews/work tests' ('' when none)."""
        parts = [ngettext("{n} offer", "{n} offers", self.offers).format(n=self.offers) if self.offers else "",
                 ngettext("{n} interview/work test", "{n} interviews/work tests", self.interviews).format(
                     n=self.interviews) if self.interviews else ""]
        return ", ".join(p for p in parts if p)


def group_figures(group: RegisterGroup, summary: CrmSummary | None, error: str | None, today: dt.date,
                  register: Register) -> GroupFigures:
    cohort = register.cohort_of_group(group, today)
    periods = _calendar(register, today, group.big_bang_day, cohort)
    period = period_on(today, periods)
    figures = GroupFigures(group.name, group.crm_ref, ERROR, "", period.name if period else "", cohort)
    added = summary.added_dates() if summary is not None else []
    try:
        progress = group_progress(today, (day for day, _ in added), group.big_bang_day, group.delmal, cohort)
    except InvalidInput as exc:
        figures.reason = _("Delmål: {error}").format(error=exc)
        return figures
    figures.goal, figures.goal_since, figures.big_bang_day = progress.goal, progress.since, progress.big_bang_day
    if error or summary is None:
        figures.reason = error or _("no link to the group's CRM in the register")
        return figures
    new = sum(_recent(day, today, RECENT_DAYS) for day, _ in added)
    done = sum(_recent(day, today, RECENT_DAYS) for day in summary.processed_dates())
    figures.companies, figures.leads = summary.companies, summary.leads
    figures.toward_goal, figures.on_track = progress.count, progress.met
    figures.big_bang_leads, figures.big_bang_met = progress.big_bang_count, progress.big_bang_met
    figures.new_leads_7, figures.processed_7, figures.balance_7 = new, done, new - done
    figures.events = len(summary.events)
    # Seed 001: the programme lead "Följer upp på Career-gruppernas dialoger med branschen, för
    # att hålla kontakterna varma": the group's contacts and open dialogues, as for a student.
    attempts = [day for day, _ in summary.attempt_dates()]
    figures.attempts_7 = sum(_recent(day, today, RECENT_DAYS) for day in attempts)
    figures.attempts_28 = sum(_recent(day, today, MONTH_DAYS) for day in attempts)
    figures.dialogues, figures.live_offers = summary.dialogues, summary.live_offers
    figures.duplicates, figures.quality_warnings = len(summary.duplicates), summary.quality_warnings
    figures.last_activity = _last_activity(summary, today)
    lia_start = milestones(_calendar(register, today, None, cohort), today, cohort).lia_start
    record = progress.big_bang_text()  # the 30-lead goal stays visible once Big Bang Day has come
    # a Kalender may list only some periods: the cohort begins no later than its default Fas 1
    begins = min((p.start for p in periods), default=today)
    begins = min(begins, default_calendar(cohort)[0].start)
    if today < begins:  # a group of the next cohort, listed before its Fas 1: nothing to judge yet
        figures.status, figures.reason = OK, _("Fas 1 starts {day} (Kull {cohort})").format(day=begins.isoformat(),
                                                                                             cohort=cohort)
    elif today >= lia_start:  # from Sprint 1 the students work alone: the group is not judged
        ended = _("the group phase ended {day}").format(day=(lia_start - dt.timedelta(days=1)).isoformat())
        figures.status, figures.reason = OK, "; ".join(p for p in (ended, record) if p)
    elif not figures.on_track:
        figures.status, figures.reason = BEHIND, _with_record(group_goal_text(progress, today), progress)
    elif period is not None and fold(period.name) == "fas2" and not new and not done:
        figures.status, figures.reason = BEHIND, _with_record(
            ngettext("no new or processed leads in the last {n} day", "no new or processed leads in the last {n} days",
                     RECENT_DAYS).format(n=RECENT_DAYS), progress)
    else:  # a Delmål reached is said, so no one reads the total in `Leads` as its count
        figures.status, figures.reason = OK, _with_record(group_goal_text(progress, today) if progress.since else "",
                                                          progress)
    if begins <= today < lia_start:  # the composition matters while the group works as one
        fas2 = today > phase_one_dates(periods, cohort, group.big_bang_day).last_day
        figures.warnings = composition_warnings(group, summary, register, fas2)
    return figures


# Seed 002: "Varje Career-grupp består av sex till åtta studerande från olika utbildningar, men
# bosatta i samma region"; "Två till tre personer i gruppen jobbar som researchers"; roles come
# "Till Fas 2" (in Fas 1 everyone is a researcher), and "Projektledaren" is one person.
GROUP_SIZE = (6, 8)
RESEARCHERS = (2, 3)


def composition_warnings(group: RegisterGroup, summary: CrmSummary | None, register: Register,
                         fas2: bool) -> list[str]:
    """Warnings on a group's composition (its status stands: composing groups is backoffice's
    work): its size (the register's students of the group, else its Medlemmar), one region
    (the group's and its students' `Region`), and from Fas 2 its roles (Medlemmar `Roll`).
    What the register and CRM do not say (no Region, no Roll) gives no warning."""
    warnings = []
    students = register.members_of(group.name)
    size = len(students) or len(summary.members if summary else ())
    if size and not GROUP_SIZE[0] <= size <= GROUP_SIZE[1]:
        warnings.append(ngettext("{n} member, should be {low}-{high}", "{n} members, should be {low}-{high}", size)
                        .format(n=size, low=GROUP_SIZE[0], high=GROUP_SIZE[1]))
    if group.region:
        away = [f"{s.name} ({s.region})" for s in students if s.region and fold(s.region) != fold(group.region)]
        if away:
            warnings.append(_("not living in the group's region {region}: {names}").format(region=group.region,
                                                                                              names=", ".join(away)))
    else:
        regions = sorted({fold(s.region): s.region for s in students if s.region}.values())
        if len(regions) > 1:
            warnings.append(_("members in several regions: {regions}").format(regions=", ".join(regions)))
    roles = [fold(role) for role in (summary.roles.values() if summary else ()) if role]
    if fas2 and roles:
        researchers, leads = roles.count("researcher"), roles.count("projektledare")
        if not RESEARCHERS[0] <= researchers <= RESEARCHERS[1]:
            warnings.append(ngettext("{n} researcher, should be {low}-{high}", "{n} researchers, should be {low}-{high}",
                                     researchers).format(n=researchers, low=RESEARCHERS[0], high=RESEARCHERS[1]))
        if leads > 1:
            warnings.append(_("{n} project leads, should be one").format(n=leads))
    return warnings


def _with_record(text: str, progress: calendar.GroupProgress) -> str:
    record = progress.big_bang_text()
    return "; ".join(p for p in (text, record) if p)


def group_goal_text(progress: calendar.GroupProgress, today: dt.date) -> str:
    """'12 of 30 leads (before Big Bang Day)', '25 of 20 leads added since Big Bang Day 2026-12-08 (Delmål)'."""
    if progress.since:
        return _("{count} of {goal} leads added since Big Bang Day {day} (Delmål)").format(
            count=progress.count, goal=progress.goal, day=progress.since.isoformat())
    text = (_("{count} of {goal} leads (before Big Bang Day)") if today < progress.big_bang_day
            else _("{count} of {goal} leads (no Delmål set)"))
    return text.format(count=progress.count, goal=progress.goal)


def student_figures(student: RegisterStudent, summary: CrmSummary | None, error: str | None, today: dt.date,
                    register: Register) -> StudentFigures:
    cohort = register.cohort_of_student(student, today)
    periods = _calendar(register, today, None, cohort)
    period = period_on(today, periods)
    dates = milestones(periods, today, cohort)
    deadline = dates.next_deadline(today)
    f = StudentFigures(student.name, student.group, student.email, student.crm_ref, OK, "",
                       period.name if period else "", company_goal("individual", today, cohort=cohort),
                       cohort, dates.lia_start, dates.hard_deadline,
                       student.lia_company, student.lia_registered, student.placed,
                       deadline.days_left if deadline else None, has_crm=summary is not None)
    if summary is not None:
        attempts = [day for day, by in summary.attempt_dates()
                    if contacted_by(student.name, by) == student.name]  # not copied history
        f.companies, f.leads, f.long_recruitment = summary.companies, summary.leads, summary.long_recruitment
        f.attempts_7 = sum(_recent(day, today, RECENT_DAYS) for day in attempts)
        f.attempts_28 = sum(_recent(day, today, MONTH_DAYS) for day in attempts)
        f.dialogues, f.processed = summary.dialogues, summary.processed
        f.offers, f.interviews = summary.offers, summary.interviews
        f.duplicates, f.quality_warnings = len(summary.duplicates), summary.quality_warnings
        f.last_activity = _last_activity(summary, today)
    return judge_student(f, student, error, today, register)


def judge_student(f: StudentFigures, student: RegisterStudent, error: str | None, today: dt.date,
                  register: Register) -> StudentFigures:
    """`f`'s status and its reason, worded in the current language, from its figures alone (so
    a second wording costs no recount)."""
    cohort = f.cohort if f.cohort is not None else register.cohort_of_student(student, today)
    periods = _calendar(register, today, None, cohort)
    period = period_on(today, periods)
    dates = milestones(periods, today, cohort)
    f.status, f.reason = _student_status(f, error, student, today, dates, period)
    behind, notes = student_findings(f, student, today, dates, register, cohort)
    if f.lia_registered or f.placed:  # a LIA is always ok: nothing left to chase
        behind = []
    if behind and f.status == OK:
        f.status = BEHIND
    f.reason = "; ".join(p for p in (f.reason, *behind, *notes) if p)
    return f


# A phase-1 checkbox counts as done when it holds anything but a no (TRUE, Ja, x, a date...).
NOT_DONE = {"false", "nej", "no", "0", "falskt"}


def done(value: str | None) -> bool:
    return not is_blank(value) and fold(value) not in NOT_DONE


def tracked_phase1_columns(register: Register) -> set[str]:
    """The phase-1 columns backoffice fills in: present, and not blank for every student."""
    return {c for c in register.phase1_columns if any(not is_blank(s.phase1_value(c)) for s in register.students)}


def student_findings(f: StudentFigures, student: RegisterStudent, today: dt.date, dates: Milestones,
                     register: Register, cohort: int) -> tuple[list[str], list[str]]:
    """A student's findings beyond the company goal: (those that put them behind, notes).

    - The soft deadline (seed 001: "I slutet av juni infaller Soft Deadline. Målet är att ha
      säkrat och registrerat din LIA senast då"): from the day after it, no LIA is behind (after
      the hard deadline the placement rule speaks instead).
    - The phase-1 individual goals (seed 000, "Fasens mål på individnivå: Du ska ha två
      välfungerande CV-versioner (design + ATS) på plats. Du ska ha en välfungerande
      LinkedIn-profil på plats."): the Career Workshops carry no date in the seeds ("Under
      fasen deltar du i två Career Workshops"), so the goals are due when Fas 1 ends.
    - The commitment agreement is signed on Big Bang Day (seed 000: "Ni klargör också vilka
      förväntningar ni ställer på varandra genom att signera ett standardiserat
      commitmentavtal"): due from the day after the group's Big Bang Day.
    A column the register lacks, or one no student has filled in (the template has them all:
    a register that does not track a goal), gives no finding. Live offers are a note."""
    behind, notes = [], []
    no_lia = not (f.lia_registered or f.placed)
    if no_lia and dates.soft_deadline < today <= dates.hard_deadline:
        behind.append(_("soft deadline passed without a LIA ({day})").format(day=dates.soft_deadline.isoformat()))
    group = register.group_named(student.group)
    big_bang_day = group.big_bang_day if group else None
    try:
        phase1 = phase_one_dates(_calendar(register, today, big_bang_day, cohort), cohort, big_bang_day)
    except InvalidInput:  # a Big Bang Day outside the cohort: the default one
        phase1 = phase_one_dates(_calendar(register, today, None, cohort), cohort)
    tracked = tracked_phase1_columns(register)
    if today > phase1.last_day:
        missing = [c for c in ("CV design", "CV ATS", "LinkedIn") if c in tracked
                   and not done(student.phase1_value(c))]
        if missing:
            behind.append(_("Fas 1 goals missing: {columns} (Fas 1 ended {day})").format(
                columns=", ".join(missing), day=phase1.last_day.isoformat()))
    if today > phase1.big_bang_day and "Commitmentavtal" in tracked \
            and not done(student.phase1_value("Commitmentavtal")):
        behind.append(_("Commitmentavtal not signed (Big Bang Day {day})").format(day=phase1.big_bang_day.isoformat()))
    if no_lia and f.live_offers:
        notes.append(_("live offer: {offers}").format(offers=f.live_offer_text()))
    return behind, notes


def _student_status(f: StudentFigures, error: str | None, student: RegisterStudent, today: dt.date,
                    dates: Milestones, period: Period | None) -> tuple[str, str]:
    if error:
        return ERROR, error
    if f.lia_registered:
        return OK, _("LIA registered {day}").format(day=f.lia_registered.isoformat())
    if f.placed:
        return OK, _("placed {day}").format(day=f.placed.isoformat())
    if today > dates.hard_deadline:
        return BEHIND, _("no LIA after the hard deadline {day}: placement").format(day=dates.hard_deadline.isoformat())
    if today < dates.lia_start:
        return OK, _("the LIA search starts {day}").format(day=dates.lia_start.isoformat())
    if not student.crm:
        return BEHIND, _("no individual CRM in the register")
    if f.companies is None:
        return BEHIND, _("the individual CRM is missing")
    if today <= dates.goal_day:
        sprint_days = (dates.goal_day - dates.lia_start).days + 1
        expected = math.ceil(f.goal * ((today - dates.lia_start).days + 1) / sprint_days)
        if f.companies < expected:
            return BEHIND, _("{companies} of {goal} companies; {expected} expected today ({goal} by {day})").format(
                companies=f.companies, goal=f.goal, expected=expected, day=dates.goal_day.isoformat())
    elif f.companies < f.goal:
        return BEHIND, _("{companies} of {goal} companies (goal {day})").format(
            companies=f.companies, goal=f.goal, day=dates.goal_day.isoformat())
    if _reach_out(period) and not f.attempts_7:
        return BEHIND, ngettext("no contact attempts in the last {n} day ({period}: reach-out)",
                                "no contact attempts in the last {n} days ({period}: reach-out)",
                                RECENT_DAYS).format(n=RECENT_DAYS, period=period.name)
    return OK, ""


def days_waiting(hard_deadline: dt.date, today: dt.date) -> int:
    """Days a student without a LIA has waited for a placement: since the hard deadline."""
    return (today - hard_deadline).days


def _calendar(register: Register, today: dt.date, big_bang_day: dt.date | None, cohort: int) -> list[Period]:
    try:
        return register.calendar_for(today, big_bang_day, cohort)
    except InvalidInput:  # a Big Bang Day outside the cohort: the default calendar without it
        return register.calendar_for(today, cohort=cohort)


# --------------------------------------------------------------------------- over-processing
@dataclass(frozen=True)
class CrmOwner:
    """Whose a CRM is, as the register says: a group or a student."""

    target: str
    kind: str  # "group" or "individual"
    owner: str  # the group's or the student's name


def contacted_by(owner: str, by: str) -> str:
    """Who made a contact logged in `owner`'s individual CRM: the owner, unless `Av` names someone
    else (the history the harvest copies in from the group CRM keeps its `Av`), so a copied
    contact counts once, for the person who made it, in every CRM it was copied to."""
    return by if by and not same_person(by, owner) else owner


def overprocessing(owners: Iterable[CrmOwner], summaries: Mapping[str, CrmSummary],
                   today: dt.date) -> list[OverprocessedCompany]:
    """Companies over-processed across every CRM read (group CRMs count for contacts, by `Av`).
    One CRM's summary at a time: what is kept of it is `CompanyTally`'s few integers per lead."""
    tally = CompanyTally()
    seen = set()
    lead_ids: dict[str, str] = {}  # one string per lead ID, however many CRMs use it (L-1, L-2, ...)
    for crm in owners:
        summary = summaries.get(crm.target)
        if summary is None or crm.target in seen:
            continue
        seen.add(crm.target)
        individual = crm.kind == "individual"
        group = _("{group} (group)").format(group=crm.owner)
        holdings = (Holding((crm.target, lead_ids.setdefault(lead_id, lead_id)), crm.owner, individual, company,
                            orgnr, web, mail) for lead_id, company, orgnr, web, mail, *_rest in summary.lead_rows)
        contacts = (Contact((crm.target, lead_id), contacted_by(crm.owner, by) if individual else (by or group),
                            dt.date.fromisoformat(day))
                    for day, by, ids in summary.attempts for lead_id in ids)
        tally.add(holdings, contacts)
    return tally.result(today)


# --------------------------------------------------------------------------- placement
@dataclass(frozen=True)
class PlacementRow:
    list: str  # "Placering", "Egen LIA efter placering", "Levande erbjudande", "Risk"
    student: StudentFigures
    reason: str
    days_waiting: int | None = None  # Placering: days since the student's hard deadline


def placement(students: Iterable[StudentFigures], dates: Milestones, today: dt.date) -> list[PlacementRow]:
    """Each student's own cohort decides (`dates` stands in for a student without one): once its
    hard deadline has passed a student with no LIA and no placement stays listed until one is
    recorded, longest waiting first (seed 002, Sprint 5: backoffice places those without LIA)."""
    rows = []
    for s in students:
        hard_deadline, lia_start = s.hard_deadline or dates.hard_deadline, s.lia_start or dates.lia_start
        if s.placed and s.lia_registered and s.lia_registered > s.placed:
            rows.append(PlacementRow("Egen LIA efter placering", s,
                                     _("LIA registered {registered} after placement {placed}: backoffice may refuse "
                                       "it").format(registered=s.lia_registered.isoformat(),
                                                    placed=s.placed.isoformat())))
        elif s.lia_registered or s.placed:
            continue
        elif today > hard_deadline:
            waited = days_waiting(hard_deadline, today)
            if s.live_offers:
                reason = ngettext("no LIA registered after the hard deadline {day}: waited {n} day; live offer: "
                                  "{offers}",
                                  "no LIA registered after the hard deadline {day}: waited {n} days; live offer: "
                                  "{offers}", waited)
            else:
                reason = ngettext("no LIA registered after the hard deadline {day}: waited {n} day",
                                  "no LIA registered after the hard deadline {day}: waited {n} days", waited)
            rows.append(PlacementRow("Placering", s, reason.format(day=hard_deadline.isoformat(), n=waited,
                                                                    offers=s.live_offer_text()), waited))
        elif s.live_offers:  # seed 001: an offer is to be registered; backoffice follows it up
            rows.append(PlacementRow(LIVE, s, _("{offers}, no LIA registered").format(offers=s.live_offer_text())))
        elif today >= lia_start and s.status != ERROR and not s.dialogues and (s.companies or 0) < s.goal:
            reason = (_("no dialogue, {companies} of {goal} companies").format(companies=s.companies, goal=s.goal)
                      if s.has_crm else _("no dialogue, no individual CRM"))
            rows.append(PlacementRow(RISK, s, reason))
    order = {"Egen LIA efter placering": 0, "Placering": 1, LIVE: 2, RISK: 3}
    return sorted(rows, key=lambda row: (order[row.list], -(row.days_waiting or 0)))


# --------------------------------------------------------------------------- members
@dataclass
class MemberFigures:
    group: str
    name: str
    member: bool  # in the group's Medlemmar tab or the register's Studerande for the group
    leads_added: int = 0
    leads_added_28: int = 0
    attempts: int = 0
    attempts_28: int = 0
    phase1: dict[str, str] = field(default_factory=dict)
    # leads processed, credited to whoever logged the lead's last attempt (a lead closed by hand
    # with no attempt logged is credited to no one)
    processed: int = 0


def member_figures(group: RegisterGroup, summary: CrmSummary, register: Register,
                   today: dt.date) -> list[MemberFigures]:
    """Each member's input (leads by `Tillagd av`) and output (attempts by `Av`), all time and
    the last 28 days. A name matching no member, or several, gets a row of its own."""
    students = register.members_of(group.name)
    names: list[str] = []
    for name in [*summary.members, *(s.name for s in students)]:
        if not any(same_person(name, known) and len(fold_words(name).split()) == len(fold_words(known).split())
                   for known in names):
            names.append(name)
    rows = {name: MemberFigures(group.name, name, True) for name in names}
    for name, row in rows.items():
        student = next((s for s in students if same_person(s.name, name)), None)
        row.phase1 = {column: value for column, value in (student.phase1 if student else ())}
        if not student:
            row.phase1 = {column: "" for column in register.phase1_columns}

    def credit(who: str) -> MemberFigures:
        matches = [name for name in names if who and same_person(who, name)]
        key = matches[0] if len(matches) == 1 else (who or _("(no name)"))
        if key not in rows:
            rows[key] = MemberFigures(group.name, key, False, phase1={c: "" for c in register.phase1_columns})
        return rows[key]

    for day, who in summary.added_dates():
        row = credit(who)
        row.leads_added += 1
        row.leads_added_28 += _recent(day, today, MONTH_DAYS)
    last_by: dict[str, tuple[str, str]] = {}  # lead ID -> (date, by) of its last attempt
    for day, by, lead_ids in summary.attempts:
        for lead_id in lead_ids:
            if day >= last_by.get(lead_id, ("", ""))[0]:
                last_by[lead_id] = (day, by)
    for day, who in summary.attempt_dates():
        row = credit(who)
        row.attempts += 1
        row.attempts_28 += _recent(day, today, MONTH_DAYS)
    for lead_id, *_rest, processed in summary.lead_rows:
        if processed and dt.date.fromisoformat(processed) <= today and lead_id in last_by:
            credit(last_by[lead_id][1]).processed += 1
    return list(rows.values())


# --------------------------------------------------------------------------- Gruppbild, Dialoger
@dataclass
class PictureRow:
    """A `Gruppbild` row: a group's totals among its cohort's groups, or a member within the group."""

    cohort: int
    group: str
    kind: str  # "Grupp" or "Medlem"
    name: str
    member: bool | None
    commitment: bool | None  # the register's Commitmentavtal (None: no such column, or a group row)
    leads_added: int
    attempts: int
    processed: int
    share_input: float | None  # of the group's (a member) or the cohort's (a group) leads added
    share_output: float | None  # likewise of attempts
    input_vs_average: float | None  # 1.0 = the cohort's average member (a member) or group (a group)
    output_vs_average: float | None


def _ratio(part: float, whole: float | None) -> float | None:
    return round(part / whole, 2) if whole else None


def group_picture(register: Register, members: Sequence[MemberFigures], today: dt.date) -> list[PictureRow]:
    """The regrouping evidence (seed 000: backoffice builds and rebuilds the groups "tills de
    består av studerande med liknande nivåer av commitment och mindset"; "under november görs
    eventuella justeringar"): per group in its group phase (before its cohort's LIA search),
    each member's input (leads added) and output (attempts; leads processed) as a share of the
    group's, against the cohort's average member, and each group's totals against its
    cohort's groups; with the commitment agreement where the register tracks it."""
    by_group: dict[str, list[MemberFigures]] = {}
    for m in members:
        by_group.setdefault(m.group, []).append(m)
    cohorts: dict[int, list[str]] = {}
    for g in register.groups:
        cohort = register.cohort_of_group(g, today)
        if g.name in by_group and g.name not in cohorts.get(cohort, []) and \
                today < milestones(_calendar(register, today, None, cohort), today, cohort).lia_start:
            cohorts.setdefault(cohort, []).append(g.name)
    rows = []
    for cohort, names in sorted(cohorts.items()):
        totals = {n: tuple(sum(getattr(m, f) for m in by_group[n]) for f in ("leads_added", "attempts", "processed"))
                  for n in names}
        cohort_in, cohort_out = sum(t[0] for t in totals.values()), sum(t[1] for t in totals.values())
        people = [m for n in names for m in by_group[n] if m.member]
        person_in = sum(m.leads_added for m in people) / len(people) if people else None
        person_out = sum(m.attempts for m in people) / len(people) if people else None
        for n in names:
            total_in, total_out, total_done = totals[n]
            rows.append(PictureRow(cohort, n, "Grupp", n, None, None, total_in, total_out, total_done,
                                   _ratio(total_in, cohort_in), _ratio(total_out, cohort_out),
                                   _ratio(total_in, cohort_in / len(names)),
                                   _ratio(total_out, cohort_out / len(names))))
            students = register.members_of(n)
            for m in by_group[n]:
                student = next((s for s in students if same_person(s.name, m.name)), None)
                signed = None
                if "Commitmentavtal" in tracked_phase1_columns(register):
                    signed = done(student.phase1_value("Commitmentavtal")) if student else False
                rows.append(PictureRow(cohort, n, "Medlem", m.name, m.member, signed, m.leads_added, m.attempts,
                                       m.processed, _ratio(m.leads_added, total_in), _ratio(m.attempts, total_out),
                                       _ratio(m.leads_added, person_in), _ratio(m.attempts, person_out)))
    return rows


@dataclass(frozen=True)
class DialogueRow:
    group: str
    company: str
    contact: str
    status: str
    last_contact: dt.date | None
    by: str


def open_dialogues(register: Register, summaries: Mapping[str, CrmSummary]) -> list[DialogueRow]:
    """Each group CRM's open dialogues (seed 001: the programme lead "Följer upp på
    Career-gruppernas dialoger med branschen, för att hålla kontakterna varma"), the longest
    without contact first (never contacted: first of all)."""
    rows, seen = [], set()
    for g in register.groups:
        summary = summaries.get(g.crm) if g.crm else None
        if summary is None or g.crm in seen:
            continue
        seen.add(g.crm)
        found = [DialogueRow(g.name, company, contact, status, dt.date.fromisoformat(when) if when else None, by)
                 for company, contact, status, when, by in summary.open_dialogues]
        rows += sorted(found, key=lambda r: r.last_contact or dt.date.min)
    return rows


# --------------------------------------------------------------------------- the report
@dataclass
class CrmOutcome:
    """What happened to one CRM tonight."""

    target: str
    summary: CrmSummary | None = None
    error: str | None = None  # in the sheet language: the Dashboard's reason (and --json's)
    reader_error: str | None = None  # the same, as the reader's language words it (when not the sheet's)
    skipped: bool = False  # unchanged since it was last read: figures from the kept summary
    stand_in: CrmSummary | None = None  # could not be read: its last summary, for cross-CRM tabs
    last_read: str = ""  # ISO date of the night the stand-in was read
    planned: int = 0
    written: int = 0
    warnings: list[str] = field(default_factory=list)
    digests: tuple[str, str] | None = None  # a local write: the bytes it was verified against, and left

    def error_in(self, lang: str) -> str | None:
        """The error worded in `lang`: the reader's wording when one was kept, else the sheet's."""
        return self.reader_error if lang != SHEET_LANGUAGE and self.reader_error else self.error


@dataclass
class NightlyReport:
    today: dt.date
    groups: list[GroupFigures]
    students: list[StudentFigures]
    overprocessed: list[OverprocessedCompany]
    placement: list[PlacementRow]
    members: list[MemberFigures]
    milestones: Milestones
    phase1_columns: tuple[str, ...] = ()
    crms: dict[str, CrmOutcome] = field(default_factory=dict)
    kept_tabs: list[str] = field(default_factory=list)  # not rewritten: last night's rows kept
    picture: list[PictureRow] = field(default_factory=list)  # Gruppbild
    dialogues: list[DialogueRow] = field(default_factory=list)  # Dialoger
    # The same night worded for whoever runs the tool when their language is not the sheets'
    # (`build_report`); None: this report's words are theirs too.
    reader: NightlyReport | None = field(default=None, repr=False)
    wording: str = SHEET_LANGUAGE  # the language of its reasons and of the note it gives

    def for_reader(self) -> NightlyReport:
        """The report worded in the language of whoever runs the tool (for the terminal)."""
        return self.reader or self

    @property
    def unread(self) -> list[CrmOutcome]:
        """CRMs that could not be read tonight (no summary of tonight's)."""
        return [o for o in self.crms.values() if o.summary is None and o.error]

    @property
    def errors(self) -> int:
        return sum(row.status == ERROR for row in [*self.groups, *self.students])

    def counts(self) -> dict[str, int]:
        rows = [*self.groups, *self.students]
        return {status: sum(row.status == status for row in rows) for status in (OK, BEHIND, ERROR)}

    def tabs(self) -> list[TabReplacement]:
        """The run's tabs, in the sheet language (this report is worded in it: `build_report`)."""
        with in_language(SHEET_LANGUAGE):
            return [dashboard_tab(self), overprocessing_tab(self), placement_tab(self), members_tab(self),
                    group_picture_tab(self), dialogues_tab(self)]

    def summary_line(self) -> str:
        """The run's one summary line, in the language of whoever reads it (made when asked)."""
        c = self.counts()
        read = sum(not o.skipped and o.summary is not None for o in self.crms.values())
        skipped = sum(o.skipped for o in self.crms.values())
        written = sum(o.written for o in self.crms.values())
        planned = sum(o.planned for o in self.crms.values())
        return _("nightly {day}: {groups}, {students}: {ok} ok, {behind} behind, {error} error; CRMs: {read} read, "
                 "{unchanged} unchanged, {written} of {planned} planned changes written; {overprocessed}; "
                 "{placement} on Placering{unread}").format(
            day=self.today.isoformat(),
            groups=ngettext("{n} group", "{n} groups", len(self.groups)).format(n=len(self.groups)),
            students=ngettext("{n} student", "{n} students", len(self.students)).format(n=len(self.students)),
            ok=c[OK], behind=c[BEHIND], error=c[ERROR], read=read, unchanged=skipped, written=written,
            planned=planned,
            overprocessed=ngettext("{n} over-processed company", "{n} over-processed companies",
                                   len(self.overprocessed)).format(n=len(self.overprocessed)),
            placement=len(self.placement), unread=self._unread_clause())

    def _unread_clause(self) -> str:
        unread = self.unread
        if not unread:
            return ""
        parts = [_("{n} counted from their last read").format(n=sum(o.stand_in is not None for o in unread))]
        if self.kept_tabs:
            parts.append(_("{tabs} not updated (last night's rows kept)").format(tabs=", ".join(self.kept_tabs)))
        return ngettext("; {n} CRM could not be read ({what})", "; {n} CRMs could not be read ({what})",
                        len(unread)).format(n=len(unread), what="; ".join(parts))

    def note(self) -> str:
        """What tonight could not update, and why, in this report's language: `Nattkörning`'s
        note (sheet content) from the report itself, a warning from `for_reader()`."""
        with in_language(self.wording):
            return self._note()

    def _note(self) -> str:
        unread = self.unread
        if not unread:
            return ""
        stand_ins = sorted({o.last_read for o in unread if o.stand_in is not None})
        parts = [ngettext("{day}: {n} CRM could not be read (see Dashboard, Status Fel)",
                          "{day}: {n} CRMs could not be read (see Dashboard, Status Fel)", len(unread)).format(
            day=self.today.isoformat(), n=len(unread))]
        if stand_ins:
            parts.append(_("{n} of them counted in {overprocessing} and {members} with their figures from the last "
                           "read ({dates})").format(n=sum(o.stand_in is not None for o in unread),
                                                    overprocessing=OVERPROCESSING, members=MEMBERS,
                                                    dates=", ".join(stand_ins)))
        if self.kept_tabs:
            parts.append(_("{tabs} not updated: last night's rows kept").format(tabs=", ".join(self.kept_tabs)))
        parts.append(_("read again next night"))
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "today": self.today, "counts": self.counts(), "milestones": asdict(self.milestones),
            "groups": [asdict(g) for g in self.groups],
            "students": [asdict(s) for s in self.students],
            "overprocessing": [c.to_dict() for c in self.overprocessed],
            "placement": [{"list": r.list, "name": r.student.name, "group": r.student.group, "reason": r.reason,
                           "days_waiting": r.days_waiting} for r in self.placement],
            "members": [asdict(m) for m in self.members],
            "group_picture": [asdict(r) for r in self.picture],
            "dialogues": [asdict(r) for r in self.dialogues],
            "kept_tabs": self.kept_tabs,
            "crms": {t: {"read": not o.skipped and o.summary is not None, "unchanged": o.skipped, "error": o.error,
                         "counted_from": o.last_read if o.stand_in is not None else None,
                         "planned": o.planned, "written": o.written, "warnings": o.warnings,
                         "duplicates": o.summary.duplicates if o.summary else []}
                     for t, o in self.crms.items()},
        }


def build_report(register: Register, outcomes: Mapping[str, CrmOutcome], today: dt.date) -> NightlyReport:
    """Every figure of the night from the register and what each CRM gave, worded in the sheet
    language (its reasons are the tabs' cells; `--json` gives them as the tabs hold them). When
    whoever runs the tool reads another language, `reader` holds the night worded for them
    (`reworded`: no read, no recount); both share `kept_tabs`."""
    with in_language(SHEET_LANGUAGE):
        report = _build_report(register, outcomes, today)
    if language() != SHEET_LANGUAGE:
        report.reader = reworded(report, register, today)
    return report


def reworded(report: NightlyReport, register: Register, today: dt.date) -> NightlyReport:
    """`report` worded in the current language, for the terminal: the rows' reasons, Placering's
    and the over-processed companies' (the figures are not counted again; the tabs the terminal
    does not show, and the lists the run adds to, are the report's own)."""
    outcome = _outcomes(report.crms)
    groups = [group_figures(g, *outcome(g.crm), today, register) for g in register.groups]
    students = [judge_student(replace(f), s, outcome(s.crm)[1], today, register)
                for s, f in zip(register.students, report.students)]
    return replace(report, groups=groups, students=students, placement=placement(students, report.milestones, today),
                   overprocessed=[c.reworded() for c in report.overprocessed], reader=None, wording=language())


def _outcomes(outcomes: Mapping[str, CrmOutcome]) -> Callable[[str], tuple[CrmSummary | None, str | None]]:
    """What a CRM gave tonight: (its summary, its error, with the night it was last read)."""
    def outcome(target: str) -> tuple[CrmSummary | None, str | None]:
        found = outcomes.get(target) if target else None
        if not found:
            return None, None
        error = found.error_in(language())  # the Dashboard's in the sheet language, the terminal's in the reader's
        if error and found.stand_in is not None:
            return found.summary, _("{error} (last read {day})").format(error=error, day=found.last_read)
        return found.summary, error
    return outcome


def _build_report(register: Register, outcomes: Mapping[str, CrmOutcome], today: dt.date) -> NightlyReport:
    outcome = _outcomes(outcomes)
    groups = [group_figures(g, *outcome(g.crm), today, register) for g in register.groups]
    students = [student_figures(s, *outcome(s.crm), today, register) for s in register.students]
    summaries = {t: o.summary or o.stand_in for t, o in outcomes.items() if (o.summary or o.stand_in) is not None}
    owners = [*(CrmOwner(g.crm, "group", g.name) for g in register.groups if g.crm),
              *(CrmOwner(s.crm, "individual", s.name) for s in register.students if s.crm)]
    members = [m for g in register.groups if g.crm in summaries
               for m in member_figures(g, summaries[g.crm], register, today)]
    cohort = register.default_cohort(today)
    dates = milestones(register.calendar_for(today, cohort=cohort), today, cohort)
    return NightlyReport(today, groups, students, overprocessing(owners, summaries, today),
                         placement(students, dates, today), members, dates, register.phase1_columns, dict(outcomes),
                         picture=group_picture(register, members, today),
                         dialogues=open_dialogues(register, summaries))


# --------------------------------------------------------------------------- tabs
# Each row is built as a record keyed by its tab's headers and laid out under them only when
# the tab is made, so a value cannot silently land under another column.
def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, str):
        # The register's tabs are output too (printed, shared, exported to PDF): they pass the
        # same masking step as everything the command line prints.
        return mask_output(value)
    return value


def laid_out(headers: Sequence[str], record: Mapping[str, Any]) -> tuple[Any, ...]:
    """`record`'s values in the order of `headers`; every header must have a value (None for a
    blank cell) and every value a header, else the tab's code and its headers have drifted."""
    if set(record) != set(headers):
        missing, extra = [h for h in headers if h not in record], [k for k in record if k not in headers]
        raise ValueError(f"row does not match its headers: no value for {missing}, no header for {extra}")
    return tuple(_cell(record[h]) for h in headers)


def _tab(tab: str, headers: Sequence[str], records: Iterable[Mapping[str, Any]],
         chart: Mapping[str, Any] | None = None) -> TabReplacement:
    return TabReplacement(tab, tuple(headers), tuple(laid_out(headers, record) for record in records), chart)


def group_record(today: dt.date, g: GroupFigures) -> dict[str, Any]:
    """A group's `Dashboard` row (a group has no student's columns: those are blank)."""
    return {
        "Datum": today, "Typ": "Grupp", "Namn": g.name, "Grupp": g.name, "Status": STATUS_WORDS[g.status],
        "Orsak": g.reason, "Varningar": "; ".join(g.warnings) or None, "Period": g.period,
        "Företag": g.companies, "Leads": g.leads,
        "Mot mål": g.toward_goal, "Mål": g.goal, "I fas": g.on_track,
        "Nya leads 7 d": g.new_leads_7, "Bearbetade 7 d": g.processed_7, "Balans 7 d": g.balance_7,
        "Event": g.events, "Långa rekryteringar": None,
        "Försök 7 d": g.attempts_7, "Försök 28 d": g.attempts_28, "Dialoger": g.dialogues,
        "Levande erbjudanden": g.live_offers, "Bearbetade": None, "LIA registrerad": None, "Dagar till deadline": None,
        "Kvalitetsvarningar": g.quality_warnings, "Dubbletter": g.duplicates,
        "Senaste aktivitet": g.last_activity, "CRM": g.crm,
    }


def student_record(today: dt.date, s: StudentFigures) -> dict[str, Any]:
    """A student's `Dashboard` row (a student has no group's weekly lead columns: those are blank)."""
    return {
        "Datum": today, "Typ": "Studerande", "Namn": s.name, "Grupp": s.group, "Status": STATUS_WORDS[s.status],
        "Orsak": s.reason, "Varningar": None, "Period": s.period, "Företag": s.companies,
        "Leads": s.leads,
        "Mot mål": s.companies if s.has_crm else 0, "Mål": s.goal,
        "I fas": None if s.companies is None else s.companies >= s.goal,
        "Nya leads 7 d": None, "Bearbetade 7 d": None, "Balans 7 d": None,
        "Event": None, "Långa rekryteringar": s.long_recruitment,
        "Försök 7 d": s.attempts_7, "Försök 28 d": s.attempts_28, "Dialoger": s.dialogues,
        "Levande erbjudanden": s.live_offers, "Bearbetade": s.processed, "LIA registrerad": s.lia_registered,
        "Dagar till deadline": s.days_to_deadline,
        "Kvalitetsvarningar": s.quality_warnings, "Dubbletter": s.duplicates,
        "Senaste aktivitet": s.last_activity, "CRM": s.crm,
    }


def dashboard_tab(report: NightlyReport) -> TabReplacement:
    records = [*(group_record(report.today, g) for g in report.groups),
               *(student_record(report.today, s) for s in report.students)]
    return _tab(DASHBOARD, DASHBOARD_HEADERS, records, chart=DASHBOARD_CHART)


def overprocessing_record(today: dt.date, c: OverprocessedCompany) -> dict[str, Any]:
    return {
        "Datum": today, "Företag": c.name, "Nyckel": c.key,
        "Antal CRM": len(c.holders), "I CRM hos": ", ".join(c.holders) or None,
        "Antal kontaktare": len(c.contacters), "Kontaktad av": ", ".join(c.contacters) or None,
        "Från": c.window[0] if c.window else None, "Till": c.window[1] if c.window else None,
        "Orsak": "; ".join(c.reasons),
    }


def overprocessing_tab(report: NightlyReport) -> TabReplacement:
    return _tab(OVERPROCESSING, OVERPROCESSING_HEADERS, (overprocessing_record(report.today, c)
                                                         for c in report.overprocessed))


def placement_record(today: dt.date, r: PlacementRow) -> dict[str, Any]:
    s = r.student
    return {
        "Datum": today, "Lista": r.list, "Namn": s.name, "Grupp": s.group or None, "E-post": s.email or None,
        "Orsak": r.reason, "Företag": s.companies, "Dialoger": s.dialogues, "Levande erbjudanden": s.live_offers,
        "Försök 28 d": s.attempts_28,
        "Senaste aktivitet": s.last_activity, "LIA-företag": s.lia_company or None,
        "LIA registrerad": s.lia_registered, "Placerad": s.placed,
    }


def placement_tab(report: NightlyReport) -> TabReplacement:
    return _tab(PLACEMENT, PLACEMENT_HEADERS, (placement_record(report.today, r) for r in report.placement))


def member_record(today: dt.date, m: MemberFigures, phase1_columns: Sequence[str]) -> dict[str, Any]:
    """A member's `Medlemsbidrag` row; the register's phase-1 columns follow the fixed ones."""
    return {
        "Datum": today, "Grupp": m.group, "Namn": m.name, "Medlem": m.member,
        "Leads tillagda": m.leads_added, "Leads tillagda 28 d": m.leads_added_28,
        "Försök": m.attempts, "Försök 28 d": m.attempts_28,
        **{column: m.phase1.get(column) or None for column in phase1_columns},
    }


def members_tab(report: NightlyReport) -> TabReplacement:
    headers = (*MEMBER_HEADERS, *report.phase1_columns)
    return _tab(MEMBERS, headers, (member_record(report.today, m, report.phase1_columns) for m in report.members))


def group_picture_record(today: dt.date, r: PictureRow) -> dict[str, Any]:
    return {
        "Datum": today, "Kull": r.cohort, "Grupp": r.group, "Typ": r.kind, "Namn": r.name, "Medlem": r.member,
        "Commitmentavtal": r.commitment, "Leads tillagda": r.leads_added, "Försök": r.attempts,
        "Bearbetade": r.processed, "Andel input": r.share_input, "Andel output": r.share_output,
        "Input mot snitt": r.input_vs_average, "Output mot snitt": r.output_vs_average,
    }


def group_picture_tab(report: NightlyReport) -> TabReplacement:
    return _tab(GROUP_PICTURE, GROUP_PICTURE_HEADERS, (group_picture_record(report.today, r) for r in report.picture))


def dialogue_record(today: dt.date, r: DialogueRow) -> dict[str, Any]:
    return {"Datum": today, "Grupp": r.group, "Företag": r.company, "Kontaktperson": r.contact or None,
            "Status": r.status, "Senaste kontakt": r.last_contact, "Av": r.by or None}


def dialogues_tab(report: NightlyReport) -> TabReplacement:
    return _tab(DIALOGUES, DIALOGUE_HEADERS, (dialogue_record(report.today, r) for r in report.dialogues))


def old_rows(grid: Sequence[Sequence[Any]] | None, headers: Sequence[str],
             keep: Callable[[dict[str, str]], bool]) -> tuple[tuple[Any, ...], ...]:
    """The rows of a tab's last content (`grid`, header row first) that `keep` accepts (given
    the row as text by header), laid out under `headers` (a column it lacks is empty)."""
    if not grid:
        return ()
    at = {as_text(cell): i for i, cell in enumerate(grid[0]) if as_text(cell)}
    value = lambda row, h: row[at[h]] if h in at and at[h] < len(row) else None  # noqa: E731
    return tuple(tuple(value(row, h) for h in headers) for row in grid[1:]
                 if any(cell not in (None, "") for cell in row)
                 and keep({h: as_text(value(row, h)) for h in at}))
