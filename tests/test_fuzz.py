"""Fuzz: random workbooks built from the contract's pieces, through every command's planner.

Tabs under their names or aliases in any case, headers as aliases in random order and case,
extra columns, title rows, cells of every kind (text, numbers, dates, blanks, formula-looking
text, vocabulary variants, garbage). Whatever comes in, a planner either plans or raises one
of the project's own errors (a one-line message for the user): never anything else. The plan
is then resolved against the same grids (the write plan's compare-and-set) for the same
guarantee, and every new ID is unique.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chas_sheets.check.report import check_workbook
from chas_sheets.clean.plan import plan_clean_comments
from chas_sheets.dedupe.plan import plan_dedupe
from chas_sheets.errors import ChasSheetsError
from chas_sheets.harvest.prepare import plan_prepare
from chas_sheets.harvest.run import GROUP_TABS
from chas_sheets.harvest.split import plan_split
from chas_sheets.nightly.crm_summary import plan_crm
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, load_tables
from chas_sheets.sheet.writeplan import RunInfo, resolve
from chas_sheets.status.report import status_report

TODAY = dt.date(2027, 5, 12)
MOSTLY = st.sampled_from([True, True, True, True, False])
CRM_TABS = ("Leads", "Kontaktlogg", "Event", "Medlemmar", "Skörd", "Ändringslogg")


def _vocabulary() -> list[str]:
    words = [w for spec in contract().tabs.values() for c in spec.columns for w in c.vocabulary]
    return sorted(set(words))


def _case(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.upper(), text.lower(), f" {text} ", f"{text}.", text.replace("-", "")])


garbage = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
words = st.sampled_from(["Volvo", "Volvo AB", "AB Volvo", "Saab", "Klarna", "Anna", "Bo", "Fatima", "x", "1", "2",
                         "Ringde 3/5, svar", "kanske lol 😂", "0701234567", "+46 70 123 45 67", "556036-0793",
                         "anna@volvo.se", "https://volvo.se", "Stockholm", "L-ABCDEF", "L-ABCDEF ", "شركة", "Яндекс"])
cells = st.one_of(
    st.none(), st.just(""), words, garbage,
    st.sampled_from(_vocabulary()).flatmap(_case),
    st.integers(-10, 10**10), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2035, 12, 31)),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", "=HYPERLINK(\"x\")", "+46", "-", "#N/A", "#REF!"]),
    st.booleans(),
)


@st.composite
def grid(draw, tab: str) -> list[list]:
    spec = contract().tab(tab)
    columns = draw(st.lists(st.sampled_from(spec.columns), max_size=len(spec.columns) + 2))
    # Mostly with the required columns, so the planners get past the header and see the rows.
    columns += [c for c in spec.required if draw(MOSTLY)]
    headers = [draw(st.sampled_from([c.name, *c.aliases]).flatmap(_case)) for c in columns]
    headers += draw(st.lists(st.one_of(words, garbage, st.none()), max_size=3))  # unknown or blank headers
    headers = draw(st.permutations(headers))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(headers) + 2), max_size=12))
    title_rows = draw(st.lists(st.lists(st.one_of(st.none(), words), max_size=3), max_size=2))
    return [*title_rows, headers, *rows]


@st.composite
def workbooks(draw) -> RawWorkbook:
    tabs = [tab for tab in ("Leads", "Kontaktlogg", "Medlemmar") if draw(MOSTLY)]
    tabs += draw(st.lists(st.sampled_from(CRM_TABS), unique=True))
    titles = []
    grids = {}
    for tab in tabs:
        spec = contract().tab(tab)
        title = draw(st.sampled_from([spec.name, *spec.aliases]).flatmap(_case))
        if title in grids:
            continue
        titles.append(title)
        grids[title] = draw(grid(tab))
    for title in draw(st.lists(garbage.filter(lambda t: t not in grids), max_size=2)):  # tabs nobody asked for
        if title not in grids:
            titles.append(title)
            grids[title] = draw(st.lists(st.lists(cells, max_size=3), max_size=3))
    return RawWorkbook(titles, grids, "fuzz.xlsx")


def _resolves(raw: RawWorkbook, changes) -> None:
    plan = resolve(changes, raw, RunInfo.new("fuzz"))
    new_ids = [item.new for item in changes.ids]
    assert len(new_ids) == len(set(new_ids))
    assert plan.applied or plan.skipped or not changes or not plan


def _planners(raw: RawWorkbook):
    """Every command's planner, each reading the tabs its CLI command reads."""
    yield "check", lambda: check_workbook(raw, TODAY)
    yield "nightly", lambda: plan_crm(raw, "group", TODAY)

    def crm(required, optional, plan):
        def run():
            tables = load_tables(raw, required, [*optional, "Ändringslogg"])
            result = plan(tables)
            changes = result[0] if isinstance(result, tuple) else None
            if changes is not None and hasattr(changes, "ids"):
                _resolves(raw, changes)
            return result
        return run

    yield "mark-processed", crm(["Leads"], ["Kontaktlogg"], lambda t: plan_mark_processed(t, TODAY))
    yield "status", crm(["Leads"], ["Kontaktlogg"], lambda t: status_report(t, TODAY))
    yield "clean-comments", crm(["Leads"], [], lambda t: plan_clean_comments(t))
    yield "dedupe", crm(["Leads"], ["Kontaktlogg"], lambda t: plan_dedupe(t, (), TODAY))
    required, optional = GROUP_TABS
    optional = [o for o in optional if o != "Ändringslogg"]
    yield "harvest --prepare", crm(required, optional, lambda t: plan_prepare(t, TODAY))
    yield "harvest", crm(required, optional, lambda t: plan_split(t, "Lotto 3 8 15", TODAY))


@settings(max_examples=100, deadline=None, derandomize=True,  # the same cases on every machine: CI never flakes
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(workbooks())
def test_every_planner_plans_or_raises_only_the_projects_errors(raw):
    for name, plan in _planners(raw):
        try:
            plan()
        except ChasSheetsError as exc:
            message = str(exc)
            assert message and "\n" not in message.strip(), f"{name}: not one line: {message!r}"
