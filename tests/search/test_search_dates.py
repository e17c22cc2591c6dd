"""Date filters and date clauses: inclusive bounds in UTC at day, month and year granularity,
relative dates against an injected "now", and the resolved range reported back."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import searchkit
from searchkit import SearchIndex

from .search_helpers import (
    CAFE,
    FAIR,
    FIXTURE_NOW,
    MEMO,
    PAINT,
    PRIMER,
    QUASAR,
    TELESCOPE,
    VOTE,
    utc,
)
from .search_oracle import Doc, Filter, matching

ALL = 1000
PLUS2 = timezone(timedelta(hours=2))


def ids(index: SearchIndex, query: str = "*", **filters: Any) -> set[str]:
    results = index.search(query, per_page=ALL, **filters)
    assert len(results.hits) == results.total
    return {h.id for h in results.hits}


def in_range(docs: dict[str, Doc], start: datetime | None, end: datetime | None) -> set[str]:
    return {d.id for d in matching(docs.values(), Filter(start=start, end=end))}


# --- date clauses in the query, on the fixture seeds ----------------------------------------

# FIXTURE_NOW is Thursday 2018-05-10 12:00 UTC.
CLAUSES = [
    ("date:2018", utc(2018, 1, 1), utc(2019, 1, 1), "date:[2018-01-01 to 2018-12-31]"),
    ("date:2018-05", utc(2018, 5, 1), utc(2018, 6, 1), "date:[2018-05-01 to 2018-05-31]"),
    ("date:2018-05-03", utc(2018, 5, 3), utc(2018, 5, 4), "date:[2018-05-03 to 2018-05-03]"),
    ('date:"2018-05"', utc(2018, 5, 1), utc(2018, 6, 1), "date:[2018-05-01 to 2018-05-31]"),
    ("published:2018-04", utc(2018, 4, 1), utc(2018, 5, 1), "date:[2018-04-01 to 2018-04-30]"),
    (
        "date:[2018-03 to 2018-04]",
        utc(2018, 3, 1),
        utc(2018, 5, 1),
        "date:[2018-03-01 to 2018-04-30]",
    ),
    (
        "date:[2018-04-20 TO 2018-05-02]",
        utc(2018, 4, 20),
        utc(2018, 5, 3),
        "date:[2018-04-20 to 2018-05-02]",
    ),
    ("date:>2018-05", utc(2018, 6, 1), None, "date:[2018-06-01 to]"),
    ("date:>=2018-05", utc(2018, 5, 1), None, "date:[2018-05-01 to]"),
    ("date:<2018-05", None, utc(2018, 5, 1), "date:[to 2018-04-30]"),
    ("date:<=2018-03-31", None, utc(2018, 4, 1), "date:[to 2018-03-31]"),
    ("date:[2019 to]", utc(2019, 1, 1), None, "date:[2019-01-01 to]"),
    ("date:[to 2018-04-15]", None, utc(2018, 4, 16), "date:[to 2018-04-15]"),
    # Relative dates, in UTC, against the injected clock.
    ("date:yesterday", utc(2018, 5, 9), utc(2018, 5, 10), "date:[2018-05-09 to 2018-05-09]"),
    ("date:today", utc(2018, 5, 10), utc(2018, 5, 11), "date:[2018-05-10 to 2018-05-10]"),
    ('date:"last week"', utc(2018, 4, 30), utc(2018, 5, 7), "date:[2018-04-30 to 2018-05-06]"),
    ("date:30d", utc(2018, 4, 10, 12), FIXTURE_NOW, None),
    ('date:"last 30 days"', utc(2018, 4, 10, 12), FIXTURE_NOW, None),
    ("date:>-30d", utc(2018, 4, 10, 12), None, "date:[2018-04-10T12:00:00Z to]"),
]


@pytest.mark.parametrize(
    ("query", "start", "end", "resolved"), CLAUSES, ids=[c[0] for c in CLAUSES]
)
def test_date_clause_matches_the_seeds_and_is_reported_resolved(
    ix: SearchIndex,
    docs: dict[str, Doc],
    query: str,
    start: datetime | None,
    end: datetime | None,
    resolved: str | None,
) -> None:
    expected = in_range(docs, start, end)
    assert expected, "every case should match something"
    results = ix.search(query, per_page=ALL)
    assert results.total == len(expected)
    assert {h.id for h in results.hits} == expected
    if resolved is not None:
        assert results.resolved_query == resolved
    else:
        assert results.resolved_query.startswith("date:[2018-04-10T12:00:00Z to 2018-05-10")
    assert results.query == query


def test_date_clause_combines_with_words(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    may = in_range(docs, utc(2018, 5, 1), utc(2018, 6, 1))
    trump = ids(ix, "trump")
    results = ix.search("trump date:2018-05", per_page=ALL)
    assert {h.id for h in results.hits} == trump & may
    assert results.resolved_query == "trump date:[2018-05-01 to 2018-05-31]"
    assert 0 < results.total < len(trump)


def test_two_date_clauses_intersect(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    assert ids(ix, "date:2018 date:>=2018-05") == in_range(docs, utc(2018, 5, 1), utc(2019, 1, 1))


def test_date_clauses_in_or_and_not(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    march = in_range(docs, utc(2018, 3, 1), utc(2018, 4, 1))
    y2022 = in_range(docs, utc(2022, 1, 1), utc(2023, 1, 1))
    assert march and y2022
    assert ids(ix, "date:2018-03 OR date:2022") == march | y2022
    assert ids(ix, "* NOT date:2018") == set(docs) - in_range(
        docs, utc(2018, 1, 1), utc(2019, 1, 1)
    )


def test_date_clause_and_since_filter_intersect(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    results = ix.search("date:2018", since="2018-05", per_page=ALL)
    assert {h.id for h in results.hits} == in_range(docs, utc(2018, 5, 1), utc(2019, 1, 1))
    # The filter is reported in the results, the clause in the resolved query.
    assert results.filters.since == utc(2018, 5, 1)
    assert results.resolved_query == "date:[2018-01-01 to 2018-12-31]"


# --- since / until filters on the fixture seeds ---------------------------------------------

FILTERS = [
    ({"since": "yesterday", "until": "yesterday"}, utc(2018, 5, 9), utc(2018, 5, 10)),
    ({"since": "last week", "until": "last week"}, utc(2018, 4, 30), utc(2018, 5, 7)),
    ({"since": "last week"}, utc(2018, 4, 30), None),
    ({"since": "30d"}, utc(2018, 4, 10, 12), None),
    ({"since": "last 30 days"}, utc(2018, 4, 10, 12), None),
    ({"since": "2018-05", "until": "2018-05-09"}, utc(2018, 5, 1), utc(2018, 5, 10)),
    ({"until": "2018-03"}, None, utc(2018, 4, 1)),
    ({"since": "2018", "until": "2019"}, utc(2018, 1, 1), utc(2020, 1, 1)),
    ({"since": date(2018, 4, 28), "until": date(2018, 5, 1)}, utc(2018, 4, 28), utc(2018, 5, 2)),
]


@pytest.mark.parametrize(("filters", "start", "end"), FILTERS, ids=lambda v: repr(v)[:50])
def test_since_until_filters_match_the_seeds(
    ix: SearchIndex,
    docs: dict[str, Doc],
    filters: dict[str, Any],
    start: datetime | None,
    end: datetime | None,
) -> None:
    expected = in_range(docs, start, end)
    assert expected
    results = ix.search("*", per_page=ALL, **filters)
    assert {h.id for h in results.hits} == expected
    # The resolved bounds are reported back: since inclusive, until exclusive.
    assert results.filters.since == start
    assert results.filters.until == end


def test_until_a_datetime_includes_that_instant(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    instants = sorted(d.published for d in docs.values() if d.published)
    middle = instants[len(instants) // 2]
    found = ids(ix, since=middle, until=middle)
    assert found == {d.id for d in docs.values() if d.published == middle}
    # One microsecond either side, the range is empty: an error, not a silent nothing.
    for since, until in (
        (middle, middle - timedelta(microseconds=1)),
        (middle + timedelta(microseconds=1), middle),
    ):
        with pytest.raises(searchkit.ParameterError, match="is not before until"):
            ix.search("*", since=since, until=until)


# --- exact boundaries in the newsroom --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "filters", "expected"),
    [
        ("*", {"since": "2021-05-31", "until": "2021-05-31"}, {QUASAR, VOTE}),
        ("date:2021-05-31", {}, {QUASAR, VOTE}),
        ("date:2021-06", {}, {TELESCOPE, CAFE}),
        ("*", {"since": "2021-06", "until": "2021-06"}, {TELESCOPE, CAFE}),
        ("*", {"since": "2021-06-01"}, {TELESCOPE, CAFE, PAINT}),
        ("date:2020", {}, {PRIMER}),
        ("date:2021-01-01", {}, {FAIR}),
        ("date:<2021", {}, {PRIMER}),
        ("date:[2021-07-01 to]", {}, {PAINT}),
        ("*", {"until": utc(2021, 6, 1)}, {QUASAR, VOTE, TELESCOPE, FAIR, PRIMER}),
        ("*", {"since": datetime(2021, 6, 1, 2, 0, tzinfo=PLUS2)}, {TELESCOPE, CAFE, PAINT}),
        ("*", {"since": "2021-06-01T00:00:00+02:00", "until": "2021-05-31T23:30:00Z"}, {VOTE}),
        ("date:yesterday", {}, {QUASAR, VOTE}),
        ("date:today", {}, {TELESCOPE}),
    ],
)
def test_bounds_are_inclusive_whole_spans_in_utc(
    news: SearchIndex, query: str, filters: dict[str, Any], expected: set[str]
) -> None:
    found = {i for i in ids(news, query, **filters) if "#related-" not in i}
    assert found == expected


def test_a_date_filter_leaves_out_undated_documents(news: SearchIndex) -> None:
    assert MEMO in ids(news, "*")
    assert MEMO not in ids(news, "*", until="2100")
    assert MEMO not in ids(news, "*", since="1900")
    assert MEMO not in ids(news, "date:[1900 to 2100]")


def test_published_is_reported_in_utc(news: SearchIndex) -> None:
    (hit,) = news.search("late night vote").hits
    assert hit.published == utc(2021, 5, 31, 23, 30)
    assert hit.published is not None and hit.published.utcoffset() == timedelta(0)


def test_relative_dates_follow_the_injected_clock(newsroom_dirs: Any) -> None:
    _, index_dir = newsroom_dirs
    with searchkit.open_index(index_dir, clock=lambda: utc(2021, 6, 2, 9)) as later:
        results = later.search("date:yesterday")
        assert results.resolved_query == "date:[2021-06-01 to 2021-06-01]"
        assert {h.id for h in results.hits} == {TELESCOPE}


def test_relative_dates_are_utc_whatever_the_clock_zone(newsroom_dirs: Any) -> None:
    _, index_dir = newsroom_dirs
    # 01:00 on 1 June at +02:00 is 23:00 on 31 May in UTC.
    with searchkit.open_index(
        index_dir, clock=lambda: datetime(2021, 6, 1, 1, 0, tzinfo=PLUS2)
    ) as ix:
        results = ix.search("date:today")
        assert results.resolved_query == "date:[2021-05-31 to 2021-05-31]"
        assert {h.id for h in results.hits} == {QUASAR, VOTE}
