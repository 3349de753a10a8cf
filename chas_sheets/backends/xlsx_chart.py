"""A native openpyxl chart for a tab the tool rewrites (TabReplacement.chart), local backend.

The chart spec is one small dict both backends draw (Google: `google_format.chart_request`
turns it into `addChart`):

    {"type": "bar" | "column" | "line",   # bar: horizontal bars; column: vertical (default)
     "title": "Företag mot mål",
     "category": "Namn",                  # header (or 0-based index) of the labels; default column 0
     "series": ["Mot mål", "Mål"]}        # headers (or indexes) of the values; default all others

The data are the tab's rows under its header (row 1); the chart stands to the right of them.
"""

from __future__ import annotations

from typing import Any, Mapping

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter

from chas_sheets.errors import InvalidInput

ROW_HEIGHT_CM = 0.5  # a bar chart grows with its rows so that every label stays readable


def _column(reference: Any, headers: list[str]) -> int:
    """1-based column of a header name or a 0-based index."""
    if isinstance(reference, int):
        if not 0 <= reference < len(headers):
            raise InvalidInput(f"chart: column {reference} is outside the tab's {len(headers)} columns")
        return reference + 1
    if str(reference) not in headers:
        raise InvalidInput(f"chart: no column {reference!r} in the tab (has: {', '.join(headers)})")
    return headers.index(str(reference)) + 1


def add_chart(ws, chart_spec: Mapping[str, Any], n_rows: int) -> None:
    """Draw `chart_spec` over the first `n_rows` data rows of `ws` (header in row 1)."""
    headers = [("" if cell.value is None else str(cell.value)) for cell in ws[1]]
    kind = str(chart_spec.get("type", "column")).lower()
    category = _column(chart_spec.get("category", 0), headers)
    series = [_column(s, headers) for s in chart_spec.get("series", ())] or [
        c for c in range(1, len(headers) + 1) if c != category]
    if kind == "line":
        chart = LineChart()
    elif kind in ("bar", "column"):
        chart = BarChart()
        chart.type = "bar" if kind == "bar" else "col"
    else:
        raise InvalidInput(f"chart: unknown type {kind!r} (use bar, column or line)")
    chart.title = str(chart_spec.get("title", "")) or None
    last = max(n_rows, 1) + 1
    for col in series:
        chart.add_data(Reference(ws, min_col=col, max_col=col, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=category, max_col=category, min_row=2, max_row=last))
    chart.width = 18
    if kind == "bar":
        chart.height = max(7.5, ROW_HEIGHT_CM * n_rows * max(len(series), 1) / 1.5)
    ws.add_chart(chart, f"{get_column_letter(len(headers) + 2)}2")
