"""A results page that fits the terminal: how many hits `page_size = "auto"` shows, so that
the page, its summary line and its facets are all on screen above the prompt."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..results import SearchResults
from .pager import rows_needed

ROWS_KEPT = 3  # the line typed, the next prompt and the toolbar
MOST = 50  # hits on a page of a very tall terminal
HIT_ROWS = 3  # title, date and provider, snippet: the fewest rows a hit takes


def first_hits(results: SearchResults, count: int) -> SearchResults:
    """`results` as a page of its first `count` hits."""
    return dataclasses.replace(results, hits=results.hits[:count], per_page=count)


def fitting_page(
    results: SearchResults,
    render: Callable[[SearchResults], list[str]],
    *,
    rows: int,
    columns: int,
) -> SearchResults:
    """The first page of `results` (searched with `most_hits(rows)` per page) cut to the most
    hits whose page, as `render` lays it out, fits in `rows` with the prompt (at least 1)."""
    room = rows - ROWS_KEPT
    count = len(results.hits)
    while count > 1 and rows_needed(render(first_hits(results, count)), columns) > room:
        count -= 1
    return first_hits(results, max(1, count))


def most_hits(rows: int) -> int:
    """The most hits a page of a terminal `rows` high could hold (what to search for)."""
    return max(1, min(MOST, (rows - ROWS_KEPT) // HIT_ROWS))
