"""What `init` builds for a spreadsheet kind, from templates/contract.toml (pure).

Both backends turn a Layout into their own formatting calls: dropdown validations from the
vocabularies, a bold frozen header, column widths, tool-owned columns marked, and the Leads
tab's conditional colours (processed rows grey, warm leads green).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chas_sheets.errors import InvalidInput
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
        raise InvalidInput(f"unknown spreadsheet kind '{kind}': use one of {', '.join(c.kinds)}")
    spec = c.kinds[kind]
    tabs = []
    for name in spec.tabs:
        tab = c.tab(name)
        colours: list[ConditionalColour] = []
        fmt = c.formats.get(name, {})
        if "processed_fill" in fmt and tab.has_column("Bearbetad"):
            colours.append(ConditionalColour("Bearbetad", None, fmt["processed_fill"]))
        if "warm_fill" in fmt and tab.has_column("Temperatur"):
            colours.append(ConditionalColour("Temperatur", "Varm", fmt["warm_fill"]))
        tabs.append(
            TabLayout(
                title=name,
                headers=tab.headers,
                widths=[col.width for col in tab.columns],
                dropdowns={col.name: col.vocabulary for col in tab.columns if col.vocabulary},
                tool_owned=[col.name for col in tab.columns if col.tool_owned],
                colours=colours,
            )
        )
    return Layout(kind, spec.title, tabs)
