"""Constants and helpers shared by the REPL tests (conftest.py holds the fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from searchkit.api import SearchIndex

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
NOW = datetime(2021, 5, 10, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def page_summary(index: SearchIndex, query: str, **filters: object) -> str:
    """The summary line of the first page of `query`, as the index says it should read."""
    results = index.search(query, **filters)  # type: ignore[arg-type]
    shown = min(results.total, results.per_page)
    return f"1-{shown} of {results.total:,} results · page 1 of {results.pages}"
