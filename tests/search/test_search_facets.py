"""Facet counts, drill-down filters and multi-select semantics, checked against counts computed
directly from the parsed seeds (search_oracle.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchkit import SearchIndex, SearchResults
from searchkit.search.facets import DayCounts, date_facet, to_long

from .search_helpers import utc
from .search_oracle import Doc, Filter, facet_counts, granularity, matching, words_match

ALL = 1000  # a page size and facet limit that show everything (the most a page holds)


def facet_map(results: SearchResults, name: str) -> dict[str, int]:
    """A facet's non-zero counts; topic and provider values casefolded (they match so)."""
    fold = name in ("topics", "providers")
    return {
        (v.value.casefold() if fold else v.value): v.count
        for v in results.facets[name].values
        if v.count
    }


def assert_facets_match(results: SearchResults, expected: dict[str, Counter[str]]) -> None:
    for name in ("topics", "providers", "kind", "published"):
        assert facet_map(results, name) == dict(expected[name]), name


def everything(ix: SearchIndex, query: str = "*", **filters: Any) -> SearchResults:
    return ix.search(query, per_page=ALL, facet_limit=ALL, **filters)


# --- counts over the whole fixture ------------------------------------------------------------


def test_browse_all_counts_every_document_and_facet(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    results = everything(ix)
    assert results.total == len(docs)
    assert {h.id for h in results.hits} == set(docs)
    assert_facets_match(results, facet_counts(docs.values()))
    kinds = facet_map(results, "kind")
    assert kinds == {
        "article": sum(d.kind == "article" for d in docs.values()),
        "related": sum(d.kind == "related" for d in docs.values()),
    }
    assert sum(kinds.values()) == results.total


def test_topic_counts_count_a_document_once_per_topic(
    ix: SearchIndex, docs: dict[str, Doc], news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    results = everything(ix)
    assert sum(facet_map(results, "topics").values()) == sum(len(d.topics) for d in docs.values())
    # In the newsroom, a stub cited by a Science and a Politics article counts under both.
    newsroom = everything(news)
    assert sum(facet_map(newsroom, "topics").values()) == sum(
        len(d.topics) for d in news_docs.values()
    )
    primer = {v.value for v in news.search("primer", facet_limit=ALL).facets["topics"].values}
    assert primer == {"Science", "Politics"}


# Each case: search filters, and the same filter for the model (UTC, end exclusive).
FILTER_CASES: list[tuple[dict[str, Any], Filter]] = [
    ({"topics": ["Politics"]}, Filter(topics=("Politics",))),
    # Several topics mean OR; values match case-insensitively.
    ({"topics": ["politics", "WORLD NEWS"]}, Filter(topics=("politics", "world news"))),
    ({"topics": ["Entertainment"], "kind": "article"}, Filter(("Entertainment",), kind="article")),
    ({"kind": "related"}, Filter(kind="related")),
    ({"kind": "stub"}, Filter(kind="related")),
    ({"providers": ["huffpost"]}, Filter(providers=("huffpost",))),
    ({"providers": ["HuffPost"], "topics": ["World News"]}, Filter(("World News",), ("HuffPost",))),
    # Date bounds are inclusive and cover the whole day, month or year.
    (
        {"since": "2018-05-03", "until": "2018-05-03"},
        Filter(start=utc(2018, 5, 3), end=utc(2018, 5, 4)),
    ),
    (
        {"since": "2018-05", "until": "2018-05", "topics": ["Politics"]},
        Filter(("Politics",), start=utc(2018, 5, 1), end=utc(2018, 6, 1)),
    ),
    ({"since": "2019"}, Filter(start=utc(2019, 1, 1))),
    ({"until": "2018", "topics": ["World News"]}, Filter(("World News",), end=utc(2019, 1, 1))),
    (
        {"since": "2018-04-07", "until": "2018-04-20", "kind": "article"},
        Filter(kind="article", start=utc(2018, 4, 7), end=utc(2018, 4, 21)),
    ),
    (
        {"since": date(2018, 4, 1), "until": date(2018, 4, 30)},
        Filter(start=utc(2018, 4, 1), end=utc(2018, 5, 1)),
    ),
    # A datetime is an instant; `until` includes it.
    (
        {"since": utc(2018, 5, 3, 12, 0), "until": utc(2018, 5, 4, 12, 0)},
        Filter(
            start=utc(2018, 5, 3, 12, 0),
            end=utc(2018, 5, 4, 12, 0) + timedelta(microseconds=1),
        ),
    ),
]


@pytest.mark.parametrize(("filters", "model"), FILTER_CASES, ids=lambda v: repr(v)[:60])
def test_filtered_counts_match_the_seeds(
    ix: SearchIndex, docs: dict[str, Doc], filters: dict[str, Any], model: Filter
) -> None:
    results = everything(ix, **filters)
    expected = matching(docs.values(), model)
    assert expected, "a filter case should match something"
    assert results.total == len(expected)
    assert {h.id for h in results.hits} == {d.id for d in expected}
    assert_facets_match(results, facet_counts(docs.values(), model))


@pytest.mark.parametrize(
    ("words", "filters", "model"),
    [
        (["korea"], {}, Filter()),
        (["coachella"], {}, Filter()),
        (["netflix"], {"kind": "article"}, Filter(kind="article")),
        (
            ["trump"],
            {"topics": ["Politics"], "since": "2018-05"},
            Filter(("Politics",), start=utc(2018, 5, 1)),
        ),
        (["north", "korea"], {}, Filter()),
    ],
)
def test_distinctive_words_find_at_least_the_documents_holding_them(
    ix: SearchIndex,
    docs: dict[str, Doc],
    words: list[str],
    filters: dict[str, Any],
    model: Filter,
) -> None:
    results = ix.search(" ".join(words), per_page=ALL, facet_limit=ALL, **filters)
    holding = {d.id for d in matching(docs.values(), model) if words_match(d, words)}
    assert holding, words
    assert results.fallback is None and results.corrected is None
    assert results.total >= len(holding)
    assert holding <= {h.id for h in results.hits}
    # Whatever else was found passes the filters too.
    allowed = {d.id for d in matching(docs.values(), model)}
    assert {h.id for h in results.hits} <= allowed
    # Facets are counted over the same match set.
    kinds = facet_map(results, "kind")
    if model.kind:
        assert kinds[model.kind] == results.total
    else:
        assert sum(kinds.values()) == results.total


def test_facets_count_every_match_not_just_the_page(ix: SearchIndex) -> None:
    one = ix.search("trump", per_page=1, facet_limit=ALL)
    full = ix.search("trump", per_page=ALL, facet_limit=ALL)
    assert len(one.hits) == 1 and one.total == full.total > 1
    assert one.facets == full.facets


def test_facets_can_be_left_out(ix: SearchIndex) -> None:
    results = ix.search("trump", facets=False)
    assert results.total > 0
    assert not results.facets


# --- multi-select ---------------------------------------------------------------------------


def test_selected_topic_keeps_the_other_topics_counts(
    ix: SearchIndex, docs: dict[str, Doc]
) -> None:
    base = everything(ix)
    selected = everything(ix, topics=["World News"])
    assert selected.total == len(matching(docs.values(), Filter(topics=("World News",))))
    assert selected.total < base.total
    # The topic facet is counted without the topic filter...
    assert facet_map(selected, "topics") == facet_map(base, "topics")
    # ...while the other facets are counted with it.
    assert facet_map(selected, "kind") != facet_map(base, "kind")
    assert sum(facet_map(selected, "kind").values()) == selected.total
    marks = {v.value: v.selected for v in selected.facets["topics"].values}
    assert marks.pop("World News") is True
    assert not any(marks.values())


def test_selected_topics_are_counted_with_the_other_filters(
    ix: SearchIndex, docs: dict[str, Doc]
) -> None:
    results = everything(ix, topics=["Politics", "Entertainment"], kind="article", since="2018-05")
    model = Filter(("Politics", "Entertainment"), kind="article", start=utc(2018, 5, 1))
    expected = facet_counts(docs.values(), model)
    assert_facets_match(results, expected)
    # Without the topic filter but with the others, Politics alone would count this many:
    politics_articles = Filter(("Politics",), kind="article", start=utc(2018, 5, 1))
    assert facet_map(results, "topics")["politics"] == len(
        matching(docs.values(), politics_articles)
    )
    assert {v.value for v in results.facets["topics"].values if v.selected} == {
        "Politics",
        "Entertainment",
    }


def test_selected_kind_keeps_the_other_kind_visible(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    results = everything(ix, kind="related", topics=["Politics"])
    articles = matching(docs.values(), Filter(("Politics",), kind="article"))
    stubs = matching(docs.values(), Filter(("Politics",), kind="related"))
    assert results.total == len(stubs)
    assert facet_map(results, "kind") == {"article": len(articles), "related": len(stubs)}
    assert {v.value: v.selected for v in results.facets["kind"].values} == {
        "article": False,
        "related": True,
    }


def test_date_histogram_ignores_the_date_drill_down_but_not_other_filters(
    ix: SearchIndex, docs: dict[str, Doc]
) -> None:
    unfiltered = everything(ix, topics=["World News"])
    drilled = everything(ix, topics=["World News"], since="2021", until="2022")
    assert drilled.total < unfiltered.total
    assert drilled.facets["published"] == unfiltered.facets["published"]
    world = [d.published for d in matching(docs.values(), Filter(("World News",))) if d.published]
    assert facet_map(drilled, "published") == dict(Counter(p.strftime("%Y") for p in world))
    # A topic filter does narrow the histogram.
    assert facet_map(drilled, "published") != facet_map(everything(ix), "published")


def test_topic_and_provider_filters_combine_with_and(
    news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    both = everything(news, topics=["Science"], providers=["Acme News"])
    expected = matching(news_docs.values(), Filter(("Science",), ("Acme News",)))
    assert {h.id for h in both.hits} == {d.id for d in expected}
    science = everything(news, topics=["Science"])
    acme = everything(news, providers=["Acme News"])
    assert {h.id for h in both.hits} == {h.id for h in science.hits} & {h.id for h in acme.hits}
    assert both.total < min(science.total, acme.total)


def test_several_providers_mean_any_of_them(news: SearchIndex, news_docs: dict[str, Doc]) -> None:
    results = everything(news, providers=["acme news", "Beta Times"])
    expected = matching(news_docs.values(), Filter(providers=("Acme News", "Beta Times")))
    assert {h.id for h in results.hits} == {d.id for d in expected}
    assert {h.provider for h in results.hits} == {"Acme News", "Beta Times"}


def test_selected_provider_keeps_the_other_providers_counts(
    news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    base = everything(news)
    assert facet_map(base, "providers") == dict(facet_counts(news_docs.values())["providers"])
    # Runs of spaces in a provider name collapse: "Gamma  Post" is shown as "Gamma Post".
    assert "Gamma Post" in {v.value for v in base.facets["providers"].values}
    results = everything(news, providers=["Gamma Post"], topics=["Science"])
    model = Filter(("Science",), ("Gamma Post",))
    assert results.total == len(matching(news_docs.values(), model))
    assert_facets_match(results, facet_counts(news_docs.values(), model))
    assert facet_map(results, "providers")["acme news"] > 0
    assert [v.value for v in results.facets["providers"].values if v.selected] == ["Gamma Post"]


def test_topic_case_variants_are_one_value_shown_as_most_documents_write_it(
    news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    topics = {v.value: v.count for v in everything(news).facets["topics"].values}
    assert "science" not in topics
    assert topics["Science"] == sum(
        any(t.casefold() == "science" for t in d.topics) for d in news_docs.values()
    )


def test_provider_filter_matches_a_domain_too(news: SearchIndex, news_docs: dict[str, Doc]) -> None:
    by_name = news.search("*", providers=["Beta Times"], per_page=ALL)
    by_domain = news.search("*", providers=["beta.example"], per_page=ALL)
    assert by_name.total == 2
    assert {h.id for h in by_domain.hits} == {h.id for h in by_name.hits}


# --- facet limits -----------------------------------------------------------------------------


def test_facet_limit_truncates_and_asking_for_more_shows_more(
    ix: SearchIndex, docs: dict[str, Doc]
) -> None:
    distinct = len(facet_counts(docs.values())["topics"])
    assert distinct > 5
    full = ix.search("*", facet_limit=ALL).facets["topics"]
    assert (full.total_values, full.truncated, len(full.values)) == (distinct, False, distinct)
    counts = [v.count for v in full.values]
    assert counts == sorted(counts, reverse=True)

    short = ix.search("*", facet_limit=3).facets["topics"]
    assert (short.total_values, short.truncated, len(short.values)) == (distinct, True, 3)
    assert short.values == full.values[:3]

    more = ix.search("*", facet_limit=distinct - 1).facets["topics"]
    assert len(more.values) == distinct - 1 and more.truncated
    exact = ix.search("*", facet_limit=distinct).facets["topics"]
    assert exact.values == full.values and not exact.truncated


def test_a_selected_value_beyond_the_limit_is_still_shown(ix: SearchIndex) -> None:
    full = ix.search("*", facet_limit=ALL).facets["topics"].values
    rare = full[-1]
    facet = ix.search("*", topics=[rare.value], facet_limit=2).facets["topics"]
    assert facet.truncated
    assert facet.values[:2] == full[:2]
    shown = {v.value: v for v in facet.values}
    assert shown[rare.value].selected and shown[rare.value].count == rare.count


def test_provider_facet_limit(news: SearchIndex, news_docs: dict[str, Doc]) -> None:
    distinct = len(facet_counts(news_docs.values())["providers"])
    facet = news.search("*", facet_limit=2).facets["providers"]
    assert len(facet.values) == 2 and facet.truncated and facet.total_values == distinct
    assert len(news.search("*", facet_limit=distinct).facets["providers"].values) == distinct


# --- the date histogram -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "start", "end", "unit"),
    [
        ("*", None, None, "year"),
        ("date:2018", utc(2018, 1, 1), utc(2019, 1, 1), "month"),
        ("date:2018-05", utc(2018, 5, 1), utc(2018, 6, 1), "day"),
        ("date:[2018-04-20 to 2018-05-05]", utc(2018, 4, 20), utc(2018, 5, 6), "day"),
    ],
)
def test_date_histogram_buckets_follow_the_span(
    ix: SearchIndex,
    docs: dict[str, Doc],
    query: str,
    start: datetime | None,
    end: datetime | None,
    unit: str,
) -> None:
    results = everything(ix, query)
    dated = [
        d.published for d in matching(docs.values(), Filter(start=start, end=end)) if d.published
    ]
    assert granularity(dated) == unit  # the case is what it claims to be
    facet = results.facets["published"]
    assert facet.granularity == unit
    fmt = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}[unit]
    assert facet_map(results, "published") == dict(Counter(p.strftime(fmt) for p in dated))
    keys = [v.value for v in facet.values]
    assert keys == sorted(keys)
    assert sum(v.count for v in facet.values) == len(dated) == results.total


def test_date_histogram_of_the_newsroom_is_by_month_and_skips_undated(
    news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    facet = everything(news).facets["published"]
    assert facet.granularity == "month"
    dated = [d.published for d in news_docs.values() if d.published]
    assert len(dated) < len(news_docs)  # the memo has no date
    assert {v.value: v.count for v in facet.values if v.count} == dict(
        Counter(p.strftime("%Y-%m") for p in dated)
    )
    # 23:30 on 31 May in UTC, written with a +02:00 offset, counts in May.
    assert {v.value: v.count for v in facet.values}["2021-05"] == 2


# Dates from 1995 to 2030, to the microsecond: every granularity, and days that cross midnight.
_LONGS = st.integers(
    min_value=to_long(datetime(1995, 1, 1, tzinfo=UTC)) or 0,
    max_value=to_long(datetime(2030, 12, 31, 23, 59, tzinfo=UTC)) or 0,
)


@given(
    dates=st.lists(_LONGS, max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=4),
    narrow=st.booleans(),
)
def test_day_counts_summed_over_parts_make_the_histogram_of_all_the_dates(
    dates: list[int], cuts: list[int], narrow: bool
) -> None:
    """What the shards of a sharded index send (each its dates' counts by day) adds up to
    the histogram of every date, as arrays or lists, whatever the split."""
    if narrow and dates:  # within a few days: a histogram by day
        dates = [dates[0] + (d - dates[0]) % (5 * 86_400_000_000) for d in dates]
    bounds = sorted({0, len(dates), *(min(c, len(dates)) for c in cuts)})
    parts = [dates[a:b] for a, b in pairwise(bounds)]
    counted = [
        DayCounts.of(np.array(p, dtype=np.int64) if i % 2 else p) for i, p in enumerate(parts)
    ]
    assert date_facet(DayCounts.summed(counted)) == date_facet(dates)
    assert sum(v.count for v in date_facet(dates).values) == len(dates)


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=300),
    st.lists(st.integers(0, 2**64 - 1), min_size=41, max_size=41, unique=True),
    st.integers(0, 3),
)
def test_facet_keys_are_counted_as_numpy_unique_counts_them(
    picks: list[int], values: list[int], shared_bits: int
) -> None:
    """key_counts (facet keys counted by bucket, not sorted) finds the distinct keys, their
    counts and their first places that np.unique finds, keys that share a bucket included:
    `shared_bits` gives many keys the same low bits, so that they clash."""
    from searchkit.search.vectors import key_counts

    if shared_bits:
        values = [(v >> 24 << 24) | (shared_bits * 7) for v in values]  # same low 24 bits
    keys = np.array([values[p] for p in picks], dtype=np.uint64)
    found, counts, first = key_counts(keys)
    want_keys, want_first, want_counts = np.unique(keys, return_index=True, return_counts=True)
    got = sorted(zip(found.tolist(), counts.tolist(), first.tolist(), strict=True))
    want = sorted(zip(want_keys.tolist(), want_counts.tolist(), want_first.tolist(), strict=True))
    assert got == want
