"""What `init` builds for a spreadsheet kind, from templates/contract.toml (pure).

Both backends turn a Layout into their own formatting calls: dropdown validations from the
vocabularies, a bold frozen header, column widths, tool-owned columns marked, and the Leads
tab's conditional colours (processed rows grey, warm leads green).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import _, sheet_
from chas_sheets.sheet.schema import contract

# Formatting and validations reach this far down a new sheet (both backends).
TEMPLATE_ROWS = 1000


@dataclass(frozen=True)
class ConditionalColour:
    """Colour whole rows where `column` is non-blank (equals=None) or equals a word."""

    column: str
    equals: str | None
    fill: str  # RRGGBB


@dataclass(frozen=True)
class TabLayout:
    title: str
    headers: list[str]
    widths: list[int]
    dropdowns: dict[str, tuple[str, ...]]  # header -> allowed values
    tool_owned: list[str]
    colours: list[ConditionalColour] = field(default_factory=list)

    def index(self, header: str) -> int:
        return self.headers.index(header)


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str
    tabs: list[TabLayout]


def layout_for(kind: str) -> Layout:
    c = contract()
    if kind not in c.kinds:
        raise InvalidInput(_("unknown spreadsheet kind '{kind}': use one of {kinds}").format(
            kind=kind, kinds=", ".join(c.kinds)))
    spec = c.kinds[kind]
    return Layout(kind, spec.title, [_tab_layout(name) for name in spec.tabs])


def _tab_layout(name: str) -> TabLayout:
    c = contract()
    tab = c.tab(name)
    colours: list[ConditionalColour] = []
    fmt = c.formats.get(name, {})
    if "processed_fill" in fmt and tab.has_column("Bearbetad"):
        colours.append(ConditionalColour("Bearbetad", None, fmt["processed_fill"]))
    if "warm_fill" in fmt and tab.has_column("Temperatur"):
        colours.append(ConditionalColour("Temperatur", "Varm", fmt["warm_fill"]))
    return TabLayout(
        title=name,
        headers=tab.headers,
        widths=[col.width for col in tab.columns],
        dropdowns={col.name: col.vocabulary for col in tab.columns if col.vocabulary},
        tool_owned=[col.name for col in tab.columns if col.tool_owned],
        colours=colours,
    )


def created_tab_layout(title: str, headers: Sequence[str]) -> TabLayout | None:
    """The layout `init` gives a template tab, for the same tab created by a run that found it
    missing (Körningar, Ändringslogg): the same dropdowns, widths, header and tool-owned
    columns, whichever way it came to be. None for a tab no template has, or whose headers
    are not the template's (then only the header is written)."""
    if not any(title in kind.tabs for kind in contract().kinds.values()):
        return None
    layout = _tab_layout(title)
    return layout if list(headers[:len(layout.headers)]) == layout.headers else None


# --------------------------------------------------------------------------- tool-owned tabs
# A tab the tool rewrites whole (Dashboard, Överbearbetning, ..., any TabReplacement) is laid
# out from its content, the same way on both backends: a frozen bold header, widths from what
# the columns hold (capped, longer text wrapped), dates as dates, the Dashboard's status
# colours, print setup (landscape, fit to width, header repeated), charts below the table on a
# page of their own, and the tool's internal state hidden. Declared here as data; the backends
# (local._format_owned_tab, google_format.owned_tab_requests) only apply it.
STATUS_FILLS = {"OK": "C8E6C9", "Efter": "FFE0B2", "Fel": "FFCDD2"}  # green, amber, red
STATUS_COLUMNS = {"Dashboard": "Status"}  # tab -> the column whose words are coloured
HIDDEN_TABS = frozenset({"Nattkörning"})  # nightly/state.STATE_TAB: the next night's memory, not for people
MIN_WIDTH, MAX_WIDTH = 6, 42  # characters; wider text wraps inside the column
DATE_WIDTH, DATE_TIME_WIDTH = 10, 19  # characters of yyyy-mm-dd, yyyy-mm-dd hh:mm:ss
CM_PER_CHARACTER = 0.19  # a column of width w is about w * 7 + 5 pixels at 96 dpi
PRINTABLE_CM = (29.7 - 2 * 1.9, 21.0 - 2 * 2.5 - 1.0)  # landscape A4 inside the default margins (width, height)
CHART_GAP_CM = 0.5
CHART_KINDS = ("bar", "column", "line")  # bar: horizontal bars; column: vertical
BAR_CM = 0.45  # per bar: a bar chart grows with its rows so that every label stays readable


@dataclass(frozen=True)
class ChartLayout:
    """A chart declared for a tool-owned tab: `series` against `category`, over the rows whose
    `where[0]` column holds `where[1]` (None: every row)."""

    title: str
    category: str
    series: tuple[str, ...]
    where: tuple[str, str] | None = None
    kind: str = "bar"


# Groups and students have goals of different sizes (a group's Delmål is 10-45 leads, a
# student's 50 companies): one axis each.
OWNED_CHARTS = {
    "Dashboard": (
        ChartLayout(sheet_("Groups: leads against the group's goal (with a milestone: leads added since Big Bang "
                           "Day)"),
                    "Namn", ("Mot mål", "Mål"), ("Typ", "Grupp")),
        ChartLayout(sheet_("Students: companies in the individual CRM against the goal"), "Namn", ("Mot mål", "Mål"),
                    ("Typ", "Studerande")),
    ),
}


@dataclass(frozen=True)
class PlacedChart:
    """A chart resolved against a tab's rows: columns 0-based, rows 1-based sheet rows (the
    header is row 1, its data `first_row`..`last_row`), anchored at (`anchor_row`, `anchor_col`)
    (1-based row, 0-based column), size in cm."""

    title: str
    kind: str
    category: int
    series: tuple[int, ...]
    first_row: int
    last_row: int
    anchor_row: int
    anchor_col: int
    width_cm: float
    height_cm: float


@dataclass(frozen=True)
class OwnedTabFormat:
    title: str
    widths: tuple[float, ...]  # characters, one per header
    wrapped: tuple[int, ...]  # 0-based columns whose text is wider than MAX_WIDTH
    date_columns: tuple[int, ...]  # 0-based columns holding dates (and blanks) only
    status_column: int | None  # 0-based column coloured by STATUS_FILLS
    charts: tuple[PlacedChart, ...]
    hidden: bool
    rows: int  # data rows under the header
    lines: tuple[int, ...] = ()  # text lines per sheet row from the header on, where wrapping makes more than 1

    @property
    def charts_row(self) -> int | None:
        """1-based row the charts start on: a page break goes above it, so no chart is split."""
        return min((c.anchor_row for c in self.charts), default=None)


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return DATE_TIME_WIDTH if value.time() != dt.time() else DATE_WIDTH
    if isinstance(value, dt.date):
        return DATE_WIDTH
    if isinstance(value, float):
        return len(f"{value:.2f}".rstrip("0").rstrip("."))
    return max((len(line) for line in str(value).splitlines()), default=0)


def _header_length(header: str) -> int:
    """A header wraps at its spaces when its column's values are narrower (`Nya leads 7 d`
    over single digits): only its longest word must fit."""
    return max((len(word) for word in header.split()), default=0)


def owned_tab_format(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                     chart: Mapping[str, Any] | None = None) -> OwnedTabFormat:
    """How a tool-owned tab is laid out, from its headers and rows (pure)."""
    widths, wrapped, dates = [], [], []
    for col, header in enumerate(headers):
        values = [row[col] for row in rows if col < len(row) and row[col] not in (None, "")]
        content = max([_header_length(str(header)), *(_shown_length(v) for v in values)]) + 2
        widths.append(float(min(max(content, MIN_WIDTH), MAX_WIDTH)))
        if content > MAX_WIDTH:
            wrapped.append(col)
        if values and all(isinstance(v, dt.date) for v in values):
            dates.append(col)
    status = STATUS_COLUMNS.get(title)
    status_column = list(headers).index(status) if status in headers else None
    charts = _placed_charts(title, list(headers), rows, chart, widths)
    lines = [max([1, *(_wrapped_lines(str(h), w) for h, w in zip(headers, widths))])]
    lines += [max([1, *(_wrapped_lines(str(row[c]), widths[c]) for c in wrapped if c < len(row) and row[c])])
              for row in rows]
    return OwnedTabFormat(title, tuple(widths), tuple(wrapped), tuple(dates), status_column, charts,
                          title in HIDDEN_TABS, len(rows), tuple(lines))


def _wrapped_lines(text: str, width: float) -> int:
    """Lines `text` takes wrapped at its spaces in a column `width` characters wide: row
    heights are set from it, since neither Excel nor LibreOffice fits them when opening a file."""
    room, count = max(int(width) - 2, 1), 0
    for paragraph in text.splitlines() or [""]:
        used = None
        for word in paragraph.split() or [""]:
            if used is None or used + 1 + len(word) > room:
                count += 1 + (len(word) - 1) // room if word else 1
                used = len(word) % room or room if word else 0
            else:
                used += 1 + len(word)
    return max(count, 1)


def _declared(title: str, headers: list[str], chart: Mapping[str, Any] | None) -> list[ChartLayout]:
    """The tab's declared charts when its headers have their columns, else the one chart the
    replacement carries (`TabReplacement.chart`, see backends/xlsx_chart.py)."""
    declared = [c for c in OWNED_CHARTS.get(title, ())
                if {c.category, *c.series, *(c.where[:1] if c.where else ())} <= set(headers)]
    if declared or not chart:
        return declared
    category = chart.get("category", 0)
    category = headers[category] if isinstance(category, int) and 0 <= category < len(headers) else category
    series = [headers[s] if isinstance(s, int) and 0 <= s < len(headers) else s for s in chart.get("series", ())]
    series = series or [h for h in headers if h != category]
    kind = str(chart.get("type", "column")).lower()
    if kind not in CHART_KINDS:
        raise InvalidInput(_("chart: unknown type {kind!r} (use bar, column or line)").format(kind=kind))
    return [ChartLayout(str(chart.get("title", "")), str(category), tuple(str(s) for s in series), None, kind)]


def _column_of(reference: str, headers: list[str]) -> int:
    if reference not in headers:
        raise InvalidInput(_("chart: no column {column!r} in the tab (has: {headers})").format(
            column=reference, headers=", ".join(headers)))
    return headers.index(reference)


def _placed_charts(title: str, headers: list[str], rows: Sequence[Sequence[Any]],
                   chart: Mapping[str, Any] | None, widths: list[float]) -> tuple[PlacedChart, ...]:
    """Charts side by side below the table, one blank row under it, each at most half the
    table's width and at most a printed page high (at the scale fit-to-width prints with)."""
    layouts = _declared(title, headers, chart)
    if not layouts:
        return ()
    spans = []
    for layout in layouts:
        if layout.where is None:
            spans.append((layout, 2, len(rows) + 1))
            continue
        col = _column_of(layout.where[0], headers)
        matching = [i for i, row in enumerate(rows, start=2) if col < len(row) and row[col] == layout.where[1]]
        if matching:  # rows are grouped (groups, then students): the chart covers their span
            spans.append((layout, matching[0], matching[-1]))
    if not spans:
        return ()
    table_cm = sum(widths) * CM_PER_CHARACTER
    width_cm = max(12.0, min(24.0, (table_cm - CHART_GAP_CM * (len(spans) - 1)) / len(spans)))
    printed_cm = max(table_cm, len(spans) * (width_cm + CHART_GAP_CM))
    scale = min(1.0, PRINTABLE_CM[0] / printed_cm)
    page_cm = PRINTABLE_CM[1] / scale * 0.9  # room for the repeated header row
    anchor_row = len(rows) + 3
    placed, left_cm = [], 0.0
    for layout, first, last in spans:
        bars = (last - first + 1) * max(len(layout.series), 1)
        height = min(page_cm, max(7.5, BAR_CM * bars + 3.0)) if layout.kind == "bar" else min(page_cm, 7.5)
        placed.append(PlacedChart(
            layout.title, layout.kind, _column_of(layout.category, headers),
            tuple(_column_of(s, headers) for s in layout.series), first, last, anchor_row,
            _column_at(widths, left_cm), width_cm, round(height, 2)))
        left_cm += width_cm + CHART_GAP_CM
    return tuple(placed)


def _column_at(widths: list[float], left_cm: float) -> int:
    """The first column starting at or after `left_cm` (past the table: columns of width 8.43)."""
    edge, col = 0.0, 0
    while edge < left_cm - 1e-9:
        edge += (widths[col] if col < len(widths) else 8.43) * CM_PER_CHARACTER
        col += 1
    return col
