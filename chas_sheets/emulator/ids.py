"""The id generator of the batch now running (sheet, chart, protected range, metadata ids).

A batchUpdate hands its store's generator to every sub-request through a context variable,
set for the batch and reset after it, so nothing of one batch outlives it.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

_IDS: contextvars.ContextVar = contextvars.ContextVar("ids")


@contextlib.contextmanager
def ids_for_batch(ids: Any) -> Iterator[None]:
    token = _IDS.set(ids)
    try:
        yield
    finally:
        _IDS.reset(token)


def book_random(book: Any = None):
    """The store's id generator for the batch now running (`book` is accepted for the callers'
    symmetry; ids are the store's, not the spreadsheet's)."""
    try:
        return _IDS.get()
    except LookupError:
        raise RuntimeError("an id was asked for outside a batchUpdate") from None
