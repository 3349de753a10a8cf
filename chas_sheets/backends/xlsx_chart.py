"""Native openpyxl charts for a tab the tool rewrites, local backend.

What each chart shows and where it stands is decided once for both backends
(`sheet.layout.owned_tab_format`: the tab's declared charts, else the replacement's own spec
`{"type": "bar"|"column"|"line", "title", "category", "series"}`); Google draws the same
`PlacedChart`s with `google_format.chart_request`. A chart covering only some rows (the
Dashboard's groups, its students) takes its series names from the header row.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.series import SeriesLabel, StrRef
from openpyxl.utils import get_column_letter, quote_sheetname

from chas_sheets.sheet.layout import PlacedChart


def add_chart(ws, placed: PlacedChart) -> None:
    """Draw one placed chart on `ws` (header in row 1)."""
    if placed.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if placed.kind == "bar" else "col"
    chart.title = placed.title or None
    for col in placed.series:
        values = Reference(ws, min_col=col + 1, max_col=col + 1, min_row=placed.first_row, max_row=placed.last_row)
        series = Series(values)
        header = f"{quote_sheetname(ws.title)}!${get_column_letter(col + 1)}$1"
        series.tx = SeriesLabel(strRef=StrRef(header))
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=placed.category + 1, max_col=placed.category + 1,
                                   min_row=placed.first_row, max_row=placed.last_row))
    if placed.kind == "bar":
        chart.y_axis.majorGridlines = None
        chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides both axes otherwise
    chart.legend.position = "b"
    chart.width, chart.height = placed.width_cm, placed.height_cm
    ws.add_chart(chart, f"{get_column_letter(placed.anchor_col + 1)}{placed.anchor_row}")
