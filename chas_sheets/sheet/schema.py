"""The sheet contract in code: tabs, headers, aliases, vocabularies (templates/contract.toml).

Matching is forgiving (case, spaces, punctuation, diacritics: `text.fold`) and never
rewrites what people typed. Unknown columns are reported and carried through untouched.
"""

from __future__ import annotations

import functools
import importlib.resources
import tomllib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from chas_sheets.errors import MissingColumn, MissingTab
from chas_sheets.i18n import _
from chas_sheets.sheet.values import as_text
from chas_sheets.text import fold, one_line

# How far down a header row may stand (a title row or two above it is common).
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    tool_owned: bool = False
    vocabulary: tuple[str, ...] = ()
    width: int = 14
    kind: str = "text"

    @property
    def keys(self) -> tuple[str, ...]:
        """Folded forms that identify this column's header."""
        return tuple(dict.fromkeys(fold(n) for n in (self.name, *self.aliases)))

    def canonical_value(self, value: object) -> str | None:
        """The vocabulary word `value` means ('INGET SVAR' -> 'Inget svar'), or None."""
        folded = fold(value)
        for word in self.vocabulary:
            if fold(word) == folded:
                return word
        return None


@dataclass(frozen=True)
class TabSpec:
    name: str
    aliases: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    id_prefix: str | None = None
    # A column people fill that also finds rows (the register's e-mails, group names): the tool
    # addresses rows by it but, unlike an ID, never writes it; a blank or repeated one goes by position.
    natural_key: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fold(n) for n in (self.name, *self.aliases)))

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key_column(self) -> str | None:
        """The column that addresses rows: ID where the tab has one."""
        if any(c.name == "ID" for c in self.columns):
            return "ID"
        if self.name == "Skörd":
            return "Företagsnyckel"
        return self.natural_key

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r} in the contract")

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    @property
    def required(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required]


@dataclass(frozen=True)
class KindSpec:
    name: str
    title: str
    tabs: tuple[str, ...]


@dataclass(frozen=True)
class Contract:
    tabs: dict[str, TabSpec]
    kinds: dict[str, KindSpec]
    formats: dict[str, dict] = field(default_factory=dict)

    def tab(self, name: str) -> TabSpec:
        return self.tabs[name]

    def find_tab_title(self, name: str, titles: Iterable[str]) -> str | None:
        """The actual title of tab `name` among `titles` (forgiving; canonical name first)."""
        spec = self.tabs[name]
        by_key: dict[str, str] = {}
        for title in titles:
            by_key.setdefault(fold(title), title)
        for key in spec.keys:
            if key in by_key:
                return by_key[key]
        return None


def _column(raw: dict) -> ColumnSpec:
    return ColumnSpec(
        name=raw["name"],
        aliases=tuple(raw.get("aliases", ())),
        required=bool(raw.get("required", False)),
        tool_owned=bool(raw.get("tool_owned", False)),
        vocabulary=tuple(raw.get("vocabulary", ())),
        width=int(raw.get("width", 14)),
        kind=raw.get("kind", "text"),
    )


def template_path(name: str):
    """A file in templates/, installed with the package as chas_sheets.templates."""
    return importlib.resources.files("chas_sheets.templates") / name


@functools.cache
def contract() -> Contract:
    raw = tomllib.loads(template_path("contract.toml").read_text(encoding="utf-8"))
    tabs = {
        name: TabSpec(
            name=name,
            aliases=tuple(t.get("aliases", ())),
            columns=tuple(_column(c) for c in t["columns"]),
            id_prefix=t.get("id_prefix"),
            natural_key=t.get("key"),
        )
        for name, t in raw["tabs"].items()
    }
    kinds = {
        name: KindSpec(name=name, title=k["title"], tabs=tuple(k["tabs"]))
        for name, k in raw["kinds"].items()
    }
    return Contract(tabs=tabs, kinds=kinds, formats=raw.get("formats", {}))


@dataclass
class HeaderMatch:
    """Where each column of a tab stands in a sheet's header row."""

    tab: TabSpec
    row: int  # 1-based sheet row of the header
    headers: list[str]  # header cells as typed, in sheet order ('' for blank)
    positions: dict[str, int]  # column label -> 0-based index (canonical or as typed)
    aliases_used: dict[str, str]  # canonical -> header as typed, where they differ
    unknown: list[str]  # labels of columns the contract does not know
    duplicates: list[str]  # headers that matched a column already found


def match_header_row(tab: TabSpec, cells: Sequence[object], row: int = 1) -> HeaderMatch:
    """Map one header row to the contract's columns (no error for missing ones)."""
    by_key = {key: col for col in tab.columns for key in col.keys}
    headers = [as_text(c) for c in cells]
    positions: dict[str, int] = {}
    aliases_used: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        col = by_key.get(fold(header))
        if col is None:
            label = header
            while label in positions:  # two unknown columns with one header: keep both
                label += " "
            positions[label] = index
            unknown.append(label)
        elif col.name in positions:
            label = f"{header} ({index + 1})"
            positions[label] = index
            duplicates.append(header)
            unknown.append(label)
        else:
            positions[col.name] = index
            if header != col.name:
                aliases_used[col.name] = header
    return HeaderMatch(tab, row, headers, positions, aliases_used, unknown, duplicates)


def find_header(tab: TabSpec, rows: Sequence[Sequence[object]], title: str | None = None) -> HeaderMatch:
    """Find the header row among the first rows (a title row may stand above it).

    Picks the first row holding every required column, else the row matching most
    known columns; raises MissingColumn naming the tab, column and aliases tried.
    """
    title = title or tab.name
    best: HeaderMatch | None = None
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        match = match_header_row(tab, cells, row=index + 1)
        known = len(match.positions) - len(match.unknown)
        if all(c.name in match.positions for c in tab.required) and known:
            return match
        if best is None or known > len(best.positions) - len(best.unknown):
            best = match
    if best is None or len(best.positions) == len(best.unknown):
        if not rows:
            raise MissingColumn(_("tab '{tab}' is empty: it needs a header row with {headers}").format(
                tab=one_line(title), headers=", ".join(tab.headers)))
        # No row holds a single known header: the first row is data (a header row deleted or
        # sorted away). Its cells are a company's contact details, so they are not repeated.
        raise MissingColumn(_("tab '{tab}' has no header row: none of its first {n} rows names a column it needs "
                              "({columns}); put the header row back above the data").format(
                                  tab=one_line(title), n=HEADER_SEARCH_ROWS,
                                  columns=", ".join(c.name for c in tab.required)))
    missing = next(c for c in tab.required if c.name not in best.positions)
    tried = ", ".join(f"'{n}'" for n in (missing.name, *missing.aliases))
    has = one_line(", ".join(h for h in best.headers if h))
    if has:
        raise MissingColumn(_("tab '{tab}' has no column '{column}' (tried {tried}; header row {row} has: "
                              "{has})").format(tab=one_line(title), column=missing.name, tried=tried, row=best.row,
                                               has=has))
    raise MissingColumn(_("tab '{tab}' has no column '{column}' (tried {tried}; header row {row} has nothing)").format(
        tab=one_line(title), column=missing.name, tried=tried, row=best.row))


def require_tab(name: str, titles: Iterable[str], all_titles: Iterable[str] | None = None) -> str:
    """The title of tab `name` among `titles` (the tabs read); the error names `all_titles`."""
    titles = list(titles)
    title = contract().find_tab_title(name, titles)
    if title is None:
        titles = list(all_titles) if all_titles is not None else titles
        spec = contract().tab(name)
        tried = ", ".join(f"'{n}'" for n in (spec.name, *spec.aliases))
        found = ", ".join(f"'{one_line(t)}'" if t != one_line(t) or not t else t for t in titles)
        if found:
            raise MissingTab(_("no tab '{tab}' (tried {tried}; found {found})").format(tab=name, tried=tried,
                                                                                      found=found))
        raise MissingTab(_("no tab '{tab}' (tried {tried}; found no tabs)").format(tab=name, tried=tried))
    return title
