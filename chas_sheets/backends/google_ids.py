"""The index of Ändringslogg's row IDs (sheet.id_index) as Google keeps it: spreadsheet-level
developer metadata (key `chas-sheets-id-index`), written in the same batchUpdate as the log
rows it covers (atomic: never one without the other). Spreadsheet-level metadata comes with
every read that asks for it, even one naming only some tabs, so the verify read takes the
index, the log's header and its last rows, and a run handing out new IDs needs no read of
the whole log. Pure request builders and checks; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from chas_sheets.errors import MissingColumn
from chas_sheets.sheet import id_index
from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.schema import contract, find_header
from chas_sheets.sheet.tables import RawWorkbook, logged_row_ids
from chas_sheets.sheet.writeplan import WritePlan

INDEX_KEY = "chas-sheets-id-index"


def has_index(book: Mapping[str, Any]) -> bool:
    """Whether a read (its spreadsheet-level metadata, keys only will do) shows an index."""
    return any(meta.get("metadataKey") == INDEX_KEY for meta in book.get("developerMetadata") or ())


def index_in(book: Mapping[str, Any]) -> id_index.IdIndex | None:
    """The index a verify read carries; None when there is none, or more than one (a run of a
    version that wrote a second one cannot be told from the right one: read the log)."""
    found = [meta.get("metadataValue") for meta in book.get("developerMetadata") or ()
             if meta.get("metadataKey") == INDEX_KEY]
    return id_index.decode(found[0]) if len(found) == 1 else None


def replace_requests(index: id_index.IdIndex | None) -> list[dict]:
    """The old index deleted (deleting none is no error) and `index` kept, in the write batch;
    only the deletion when there is no index to keep or it is too long."""
    requests_: list[dict] = [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "locationType": "SPREADSHEET", "metadataKey": INDEX_KEY}}}}]
    text = id_index.encode(index) if index is not None else None
    if text is not None:
        requests_.append({"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": INDEX_KEY, "metadataValue": text, "location": {"spreadsheet": True},
            "visibility": "DOCUMENT"}}})
    return requests_


def first_read_row(ranges: Sequence[str] | None) -> int:
    """The first data row of Ändringslogg a verify read named (2: the log whole)."""
    for text in ranges or ():
        found = re.search(r"!A(\d+):[A-Z]+$", text)
        if found:
            return int(found.group(1))
    return 2


def _log_layout(fresh: RawWorkbook) -> tuple[str, dict[str, int], int] | None:
    title = contract().find_tab_title(LOG_TAB, fresh.grids.keys())
    if title is None:
        return None
    try:
        header = find_header(contract().tab(LOG_TAB), fresh.grids[title], title)
    except MissingColumn:  # no readable header: no index to check against it
        return None
    return title, dict(header.positions), header.row


def logged(book: Mapping[str, Any], fresh: RawWorkbook, ranges: Sequence[str] | None) -> set[str] | None:
    """The IDs Ändringslogg names, from the index and the log's rows the verify read took;
    None when they cannot be known without reading the whole log."""
    layout = _log_layout(fresh)
    if layout is None:
        return None
    title, positions, header_row = layout
    return id_index.logged_with(index_in(book), fresh.grids[title], positions, header_row, first_read_row(ranges))


def after_write(known: set[str], plan: WritePlan, fresh: RawWorkbook) -> id_index.IdIndex | None:
    """The index once `plan` is written: `known` (every ID the log names now) and the IDs of
    the rows it appends to the log; None when it appends none (the index stays as it is)."""
    writes = next((w for t, w in plan.tabs.items() if contract().find_tab_title(LOG_TAB, [t]) == t), None)
    if writes is None or not writes.appends:
        return None
    layout = _log_layout(fresh)
    if layout is not None:
        positions = layout[1]
    elif writes.create_headers:  # the write creates the log
        positions = {h: i for i, h in enumerate(writes.create_headers)}
    else:
        return None
    rows = writes.appends
    return id_index.IdIndex(frozenset(known | id_index.rad_ids(rows, positions)),
                            writes.first_append_row + len(rows) - 1, id_index.row_mark(rows[-1], positions))


def whole_log_ids(fresh: RawWorkbook) -> set[str]:
    """What the log names, from its grid (the verify read took it whole)."""
    return logged_row_ids(RawWorkbook(fresh.titles, fresh.grids, fresh.source))
