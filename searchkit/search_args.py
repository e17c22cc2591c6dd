"""What SearchIndex and ClusterIndex (cluster/) share: the checks of a search's arguments, its
filters, and the value suggestions of a search that found nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from .errors import ParameterError
from .filters import DateLike, Filters, FilterValueError, KindFilter, make_filters
from .results import SORTS, Match, SearchResults, Suggestion, ValueCount
from .search.value_spelling import filter_value_suggestions, query_value_suggestions

DEFAULT_PER_PAGE = 10
DEFAULT_FACET_LIMIT = 10
MAX_PER_PAGE = 1000
MATCHES: tuple[Match, ...] = ("most", "all")


def check_search_options(
    *,
    match: str,
    sort: str,
    page: object,
    per_page: object,
    facet_limit: object,
    time_budget: float | None,
) -> None:
    """Raise ParameterError naming the first search option out of range."""
    if match not in MATCHES:
        raise ParameterError(
            "match", match, f"unknown match {match!r}", hint="use " + ", ".join(MATCHES)
        )
    if sort not in SORTS:
        raise ParameterError("sort", sort, f"unknown sort {sort!r}", hint="use " + ", ".join(SORTS))
    for name, value, top in (
        ("page", page, None),
        ("per_page", per_page, MAX_PER_PAGE),
        ("facet_limit", facet_limit, None),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(name, value, f"{value!r} is not a whole number")
        if value < 1 or (top is not None and value > top):
            allowed = f"1 to {top:,}" if top else "1 or more"
            raise ParameterError(name, value, f"{value} is out of range", hint=f"use {allowed}")
    if time_budget is not None and not 0 < time_budget < float("inf"):
        raise ParameterError(
            "time_budget", time_budget, f"{time_budget} is not a positive number of seconds"
        )


def search_filters(
    filters: Filters | None,
    topics: Iterable[str],
    providers: Iterable[str],
    kind: KindFilter | None,
    since: DateLike,
    until: DateLike,
    now: datetime,
) -> Filters:
    """`filters`, or the Filters the filter keywords make (ParameterError naming a bad one)."""
    given: dict[str, object] = {"kind": kind, "since": since, "until": until}
    keywords = (topics, providers, kind, since, until)
    if filters is not None:
        if any(keywords):
            raise TypeError("give either filters= or the filter keywords, not both")
        return filters
    try:
        return make_filters(
            topics=topics, providers=providers, kind=kind, since=since, until=until, now=now
        )
    except FilterValueError as exc:
        raise ParameterError(exc.name, given.get(exc.name), exc.message, hint=exc.hint) from None


class Searchable(Protocol):
    def topics(self) -> list[ValueCount]: ...

    def providers(self) -> list[ValueCount]: ...


def suggest_values(
    index: Searchable,
    results: SearchResults,
    chosen: Filters,
    count: Callable[[str], int],
) -> SearchResults:
    """Nothing matched: name the topics and providers of the query and the filters that
    no document has, with the closest values the index has; a query whose clauses hold
    such values gets the corrected query as its suggestion (with its count: `count(text)`,
    the documents it finds with the same filters)."""
    known = {
        "topics": [v.value for v in index.topics()],
        "providers": [v.value for v in index.providers()],
    }
    text, in_query = query_value_suggestions(results.query, known)
    in_filters = filter_value_suggestions(chosen.topics, chosen.providers, known)
    if not (in_query or in_filters):
        return results
    suggestion = results.suggestion
    if in_query and suggestion is None:
        total = count(text)
        if total:
            suggestion = Suggestion(text, total)
    return dataclasses.replace(
        results, suggestion=suggestion, value_suggestions=in_query + in_filters
    )
