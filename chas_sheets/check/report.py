"""`check`: structure, quality and volume of one CRM, as feedback for students (pure).

Reads nothing itself: it gets the raw workbook a backend read. Findings never show a
contact's phone number or e-mail: they name the sheet row and the column instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from stdnum.se import orgnr as se_orgnr

from chas_sheets.errors import ChasSheetsError
from chas_sheets.i18n import N_, _, ngettext
from chas_sheets.programme import calendar
from chas_sheets.programme.replay import hidden_text, table_as_of
from chas_sheets.sheet.changelog import LOG_TAB, RUNS_TAB
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, Table, load_table
from chas_sheets.sheet.values import as_text, is_blank

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
CONTACT_WAYS = ("Telefon", "E-post", "LinkedIn")


@dataclass
class Finding:
    level: str  # "error" (unusable), "warning" (data to fix), "info"
    message: str
    tab: str | None = None
    row: int | None = None
    column: str | None = None

    def line(self) -> str:
        row = _("row {row}").format(row=self.row) if self.row else ""
        where = " ".join(p for p in (self.tab or "", row, f"[{self.column}]" if self.column else "") if p)
        label = _(LEVELS[self.level]) if self.level in LEVELS else self.level.upper()
        return f"{label:7} {where + ': ' if where else ''}{self.message}"


# A finding's level as printed (its `level` stays English: --json's value)
LEVELS = {"error": N_("ERROR"), "warning": N_("WARNING"), "info": N_("INFO")}


@dataclass
class TabStructure:
    tab: str
    title: str | None
    header_row: int | None = None
    columns: list[str] = field(default_factory=list)
    aliases_used: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass
class CheckReport:
    target: str
    kind: str
    today: dt.date
    structure: list[TabStructure] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    volume: dict = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def count(self, level: str) -> int:
        return sum(f.level == level for f in self.findings)

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "kind": self.kind,
            "today": self.today.isoformat(),
            "usable": self.usable,
            "structure": [asdict(s) for s in self.structure],
            "findings": [asdict(f) for f in self.findings],
            "volume": self.volume,
        }


def guess_kind(titles: list[str]) -> str:
    c = contract()
    if c.find_tab_title("Grupper", titles) or c.find_tab_title("Studerande", titles):
        return "register"
    return "group" if c.find_tab_title("Medlemmar", titles) else "student"


def check_workbook(raw: RawWorkbook, today: dt.date, kind: str | None = None, *,
                   big_bang_day: dt.date | None = None, delmal: object = None,
                   cohort: int | None = None, loaded: Mapping[str, Table] | None = None) -> CheckReport:
    """`big_bang_day`, `delmal`, `cohort`: the register's for this CRM (None: the defaults).
    `loaded`: tables already built from this very read (the nightly's plan), used as they are
    rather than built again."""
    kind = kind or guess_kind(raw.titles)
    report = CheckReport(raw.source, kind, today)
    tables: dict[str, Table] = {}
    for name in contract().kinds[kind].tabs:
        table = _check_tab(raw, name, kind, report, (loaded or {}).get(name))
        if table is not None:
            tables[name] = table
    if kind != "register":
        _check_leads(tables.get("Leads"), report)
        _check_log_dates(tables.get("Kontaktlogg"), today, report)
        _check_vocabulary(tables, report)
        leads = tables.get("Leads")
        if leads is not None:  # volume as of `today`: a lead added later does not exist yet
            leads, later = table_as_of(leads, today)
            if later:
                report.findings.append(Finding("info", hidden_text({"Leads": later}, today), "Leads"))
        report.volume = _volume(leads, kind, today, big_bang_day, delmal, cohort)
    _check_locale(raw, tables, report)
    return report


def _check_tab(raw: RawWorkbook, name: str, kind: str, report: CheckReport, loaded: Table | None = None) -> Table | None:
    spec = contract().tab(name)
    title = contract().find_tab_title(name, raw.titles)
    structure = TabStructure(name, title)
    report.structure.append(structure)
    essential = name in ("Leads", "Grupper", "Studerande")
    if title is None:
        # a tab only the tool writes (every column tool-owned: Ändringslogg, Att göra), Skörd, Körningar
        if name in (LOG_TAB, "Skörd", RUNS_TAB) or all(column.tool_owned for column in spec.columns):
            report.findings.append(Finding("info", _("tab not there yet; chas-sheets creates it when needed"), name))
        else:
            report.findings.append(Finding("error" if essential else "warning", _("tab missing"), name))
        return None
    try:
        table = loaded if loaded is not None else load_table(raw, name)
    except ChasSheetsError as exc:
        report.findings.append(Finding("error" if essential else "warning", str(exc), name))
        return None
    header = table.header
    structure.header_row = header.row
    structure.columns = [h for h in header.headers if h]
    structure.aliases_used = dict(header.aliases_used)
    structure.unknown_columns = list(header.unknown)
    structure.missing_columns = [c.name for c in spec.columns if c.name not in header.positions]
    structure.rows = len(table.df)
    if header.row > 1:
        report.findings.append(Finding("info", _("header found on row {row} (rows above it are left alone)").format(
            row=header.row), name))
    for dup in header.duplicates:
        report.findings.append(Finding("warning", _("column '{column}' appears twice; the first one is used").format(
            column=dup), name))
    owned = [c for c in structure.missing_columns if spec.column(c).tool_owned]
    if owned:
        report.findings.append(Finding("info", _("chas-sheets will add its columns: {columns}").format(
            columns=", ".join(owned)), name))
    if table.id_assignments:
        n = len(table.id_assignments)
        report.findings.append(Finding("info", ngettext(
            "{n} row without a unique ID (chas-sheets gives it one on the next write)",
            "{n} rows without a unique ID (chas-sheets gives them one on the next write)", n).format(n=n), name))
    return table


SHOWN_DATE_CELLS = 3  # the locale warning names this many date cells, then counts the rest
LOCALE_FIX = N_("File > Settings > Locale: Sweden (Arkiv > Inställningar > Språkkod: Sverige)")


def _check_locale(raw: RawWorkbook, tables: dict[str, Table], report: CheckReport) -> None:
    """Google reads a typed `11/4` by the spreadsheet's locale: 11 April in sv_SE, 4 November
    in en_US (what a spreadsheet made outside chas-sheets' init may have). The cell then holds
    another day than the one a person meant, and the processed rule counts from it. Google
    does not read such a cell again when the locale changes: a month-first date left from
    before stays 4 November in a Swedish spreadsheet. An xlsx file has no locale (None)."""
    if raw.locale is None:
        return
    swedish = raw.locale.lower().startswith("sv")
    cells = [(title, row, col) for title, found in raw.locale_dates.items() for row, col, order in found
             if (not swedish or order == "month_first") and not _is_header(title, row, tables)]
    if not cells:
        if not swedish:
            report.findings.append(Finding("info", _(
                "the spreadsheet's locale is {locale}, not Swedish: a date typed as 11/4 is not read as "
                "11 April; fix: {fix}").format(locale=raw.locale, fix=_(LOCALE_FIX))))
        return
    shown = ", ".join(_("{tab} row {row}").format(tab=title, row=row)
                      + (f" [{name}]" if (name := _column_name(title, col, tables)) else "")
                      for title, row, col in cells[:SHOWN_DATE_CELLS])
    rest = len(cells) - SHOWN_DATE_CELLS
    more = _(" and {n} more").format(n=rest) if rest > 0 else ""
    n = len(cells)
    if swedish:
        message = ngettext(
            "{n} date shows the month before the day (typed while the locale was not Swedish: 11/4 there is "
            "4 November, not 11 April): {cells}{more}; fix: retype it",
            "{n} dates show the month before the day (typed while the locale was not Swedish: 11/4 there is "
            "4 November, not 11 April): {cells}{more}; fix: retype them", n).format(n=n, cells=shown, more=more)
    else:
        meaning = _(" (11/4 is 4 November, not 11 April)") if raw.locale == "en_US" else ""
        message = ngettext(
            "the spreadsheet's locale is {locale}, not Swedish: {n} date typed like 11/4 read the {locale} "
            "way{meaning}: {cells}{more}; fix: {fix}, then retype it",
            "the spreadsheet's locale is {locale}, not Swedish: {n} dates typed like 11/4 read the {locale} "
            "way{meaning}: {cells}{more}; fix: {fix}, then retype those dates", n).format(
            locale=raw.locale, n=n, meaning=meaning, cells=shown, more=more, fix=_(LOCALE_FIX))
    report.findings.append(Finding("warning", message))


def _table_for(title: str, tables: dict[str, Table]) -> Table | None:
    return next((t for t in tables.values() if t.title == title), None)


def _is_header(title: str, row: int, tables: dict[str, Table]) -> bool:
    table = _table_for(title, tables)
    return table is not None and row <= table.header.row


def _column_name(title: str, col: int, tables: dict[str, Table]) -> str:
    table = _table_for(title, tables)
    if table is None or col >= len(table.header.headers):
        return ""
    return table.header.headers[col]


def _check_leads(leads: Table | None, report: CheckReport) -> None:
    if leads is None:
        return
    df = leads.df
    for row_id, row in df.iterrows():
        sheet_row = leads.sheet_rows[row_id]
        if is_blank(row.get("Företag")):
            report.findings.append(Finding("warning", _("lead without a company name"), "Leads", sheet_row, "Företag"))
        value = row.get("Org.nr") if "Org.nr" in df.columns else None
        if not is_blank(value) and not se_orgnr.is_valid(as_text(value)):
            report.findings.append(Finding("warning", _(
                "organisation number {number} fails the check digit (expected NNNNNN-NNNN)").format(
                number=repr(as_text(value))), "Leads", sheet_row, "Org.nr"))
        mail = row.get("E-post") if "E-post" in df.columns else None
        if not is_blank(mail) and not _EMAIL.match(as_text(mail)):
            report.findings.append(Finding("warning", _("malformed e-mail address"), "Leads", sheet_row, "E-post"))
        phone = row.get("Telefon") if "Telefon" in df.columns else None
        if isinstance(phone, (int, float)) and not isinstance(phone, bool) and not is_blank(phone):
            # Never the number itself: the row and column are enough to find it.
            report.findings.append(Finding("warning", _(
                "phone number stored as a number (its leading 0 or + is gone): format the column as text "
                "(Format > Number > Plain text) and type the number again"), "Leads", sheet_row, "Telefon"))
        if all(is_blank(row.get(c)) for c in CONTACT_WAYS if c in df.columns):
            report.findings.append(Finding("warning", _("no way to contact this lead (no phone, e-mail or LinkedIn)"),
                                           "Leads", sheet_row))


def _check_log_dates(log: Table | None, today: dt.date, report: CheckReport) -> None:
    """A contact whose Datum is no date counts for nothing (not as an attempt, not for the
    processed rule): say so where it can still be fixed, rather than only at mark-processed."""
    if log is None or "Datum" not in log.df.columns:
        return
    for row_id, value in log.df["Datum"].items():
        if not is_blank(value) and calendar.parse_date(value, today) is None:
            report.findings.append(Finding("warning", _(
                "{value} is not a date, so this contact is not counted; write it like {spellings}").format(
                value=repr(as_text(value)), spellings=calendar.date_spellings()),
                "Kontaktlogg", log.sheet_rows[row_id], "Datum"))


def _check_vocabulary(tables: dict[str, Table], report: CheckReport) -> None:
    for table in tables.values():
        if table.name == RUNS_TAB:  # answered in the tab itself (an unknown Jobb is Fel); command-line
            continue               # runs are listed by their command's name
        for col in table.spec.columns:
            if not col.vocabulary or col.name not in table.df.columns:
                continue
            for row_id, value in table.df[col.name].items():
                if not is_blank(value) and col.canonical_value(value) is None and not _known_variant(table.name, col.name, value):
                    report.findings.append(Finding(
                        "warning", _("unknown value {value} (expected one of: {values})").format(
                            value=repr(as_text(value)), values=", ".join(col.vocabulary)),
                        table.name, table.sheet_rows[row_id], col.name))


def _known_variant(tab: str, column: str, value: object) -> bool:
    """Log vocabulary has more variants than the dropdown ('inget svar ännu', 'mail')."""
    if tab != "Kontaktlogg":
        return False
    from chas_sheets.processed.rules import parse_channel, parse_outcome

    parser = {"Kanal": parse_channel, "Utfall": parse_outcome}.get(column)
    return bool(parser and parser(value))


def _volume(leads: Table | None, kind: str, today: dt.date, big_bang_day: dt.date | None = None,
            delmal: object = None, cohort: int | None = None) -> dict:
    """Volume against the goal: a student's distinct companies (50 by 30 April), a group's leads
    (seed 000: "Minst 30 leads i CRM innan Big Bang Day infaller"), as `status` and `nightly` count
    (`calendar.group_progress`: the one goal of a group on a day)."""
    if leads is None:
        return {}
    from chas_sheets.company.evidence import company_key  # not .matching: check needs no clustering

    names = [as_text(v) for v in leads.df["Företag"] if not is_blank(v)]
    companies = len({company_key(n) for n in names} - {""})
    whose = "group" if kind == "group" else "individual"
    # a group CRM holds neither its Big Bang Day nor its Delmål (the register does): without
    # them, the cohort's default day and 30 leads in all
    progress = None
    if whose == "group":
        from chas_sheets.status.report import added_dates

        defaults = big_bang_day is None and delmal is None and cohort is None
        progress = calendar.group_progress(today, added_dates(leads), big_bang_day, delmal, cohort, defaults)
        goal, toward_goal = progress.goal, progress.count
    else:
        goal, toward_goal = calendar.company_goal(whose, today, cohort=cohort), companies
    counts = "leads" if whose == "group" else "companies"
    deadline = calendar.next_deadline(today, whose, big_bang_day=big_bang_day, cohort=cohort)
    return {
        "leads": len(leads.df),
        "companies": companies,
        "counts": counts,
        "toward_goal": toward_goal,
        "goal": goal,
        "on_track": toward_goal >= goal,
        "next_deadline": {"name": deadline.name, "date": deadline.date.isoformat(), "days_left": deadline.days_left,
                          "passed": deadline.passed},
        "progress": progress.to_dict() if progress else None,
    }


def render(report: CheckReport) -> list[str]:
    if report.kind == "register":
        title = _("{target} (register)").format(target=report.target)
    elif report.kind == "group":
        title = _("{target} (group CRM)").format(target=report.target)
    else:
        title = _("{target} (individual CRM)").format(target=report.target)
    lines = [title, "", _("Structure")]
    for s in report.structure:
        if s.title is None:
            lines.append(f"  {s.tab:13} " + _("missing"))
            continue
        if s.header_row is None:
            lines.append(f"  {s.tab:13} " + _("unusable (see below)"))
            continue
        extra = []
        if s.title != s.tab:
            extra.append(_("tab named '{title}'").format(title=s.title))
        if s.aliases_used:
            extra.append(_("aliases: {aliases}").format(
                aliases=", ".join(f"{v} = {k}" for k, v in s.aliases_used.items())))
        if s.unknown_columns:
            extra.append(_("kept as they are: {columns}").format(columns=", ".join(s.unknown_columns)))
        rows = ngettext("{n} row", "{n} rows", s.rows).format(n=s.rows)
        lines.append(f"  {s.tab:13} {rows}" + (f"; {'; '.join(extra)}" if extra else ""))
    if report.volume:
        v = report.volume
        mark = _("on track") if v["on_track"] else _("{n} to go").format(n=v["goal"] - v["toward_goal"])
        since = (v.get("progress") or {}).get("since")
        if v["counts"] == "leads":
            counted = ngettext("{leads} lead ({companies} distinct companies); goal {goal} leads",
                               "{leads} leads ({companies} distinct companies); goal {goal} leads", v["leads"]).format(
                leads=v["leads"], companies=v["companies"], goal=v["goal"])
            if since:
                counted += _(", {n} added since Big Bang Day {day} (Delmål)").format(
                    n=v["toward_goal"], day=_iso(since))
        else:
            counted = ngettext("{companies} distinct companies in {leads} lead; goal {goal}",
                               "{companies} distinct companies in {leads} leads; goal {goal}", v["leads"]).format(
                companies=v["companies"], leads=v["leads"], goal=v["goal"])
        deadline = calendar.Deadline(**{**v["next_deadline"], "date": dt.date.fromisoformat(v["next_deadline"]["date"])})
        lines += ["", _("Volume"), f"  {counted} ({mark})",
                  f"  {calendar.describe_deadline(deadline)}"]
        lines += [f"  {line.strip()}" for line in _progress_lines(v.get("progress"))]
    issues = [f for f in report.findings if f.level != "info"]
    notes = [f for f in report.findings if f.level == "info"]
    errors, warnings = report.count("error"), report.count("warning")
    lines += ["", _("Quality: {errors}, {warnings}").format(
        errors=ngettext("{n} error", "{n} errors", errors).format(n=errors),
        warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings))]
    lines += [f"  {f.line()}" for f in issues]
    lines += [f"  {f.line()}" for f in notes]
    return lines


def _iso(day: object) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)


def _progress_lines(progress: dict | None) -> list[str]:
    """The group's 30-lead result on Big Bang Day, in the words `status` uses."""
    from chas_sheets.status.report import progress_lines

    return progress_lines(calendar.GroupProgress(**progress)) if progress else []


def summary_line(report: CheckReport) -> str:
    """The one closing line on stderr, as every command ends: usable or not, and the counts."""
    errors, warnings = report.count("error"), report.count("warning")
    counts = {"target": report.target, "errors": ngettext("{n} error", "{n} errors", errors).format(n=errors),
              "warnings": ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings)}
    if report.usable:
        return _("{target}: usable, {errors}, {warnings} (check only reads: nothing written)").format(**counts)
    return _("{target}: not usable, {errors}, {warnings} (check only reads: nothing written)").format(**counts)
