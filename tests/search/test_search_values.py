"""The Python API at a prompt: short reprs, one name per concept, a str where a list of values
is expected, and a closed index that says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit import SearchIndex

from .search_helpers import FIXTURE_NOW


def test_reprs_are_short_and_say_what_the_value_is(
    ix: SearchIndex, fixture_index_dir: Path
) -> None:
    results = ix.search("korea")
    text = repr(results)
    assert len(text) < 200
    assert text.startswith("<SearchResults 'korea': ") and f"{results.total:,} total" in text
    hit = results.hits[0]
    assert repr(hit).startswith("<Hit 1: ") and hit.id in repr(hit) and len(repr(hit)) < 250
    facet = results.facets["topics"]
    assert repr(facet).startswith("<Facet topics: ") and len(repr(facet)) < 200
    doc = ix.get(hit.id)
    assert repr(doc).startswith(f"<Document {hit.id} (") and len(repr(doc)) < 250
    assert repr(ix).startswith(f"<SearchIndex {str(fixture_index_dir)!r} (generation ")


def test_one_name_for_text_and_one_for_its_highlighted_spans(ix: SearchIndex) -> None:
    hit = ix.search("korea").hits[0]
    assert isinstance(hit.snippet, str)
    assert hit.snippet == "".join(s.text for s in hit.snippet_spans)
    assert hit.title == "".join(s.text for s in hit.title_spans)
    assert any(s.match for s in hit.title_spans + hit.snippet_spans)


def test_facets_are_named_as_the_keywords_and_methods(ix: SearchIndex) -> None:
    results = ix.search("trump", providers=["HuffPost"])
    assert set(results.facets) == {"topics", "providers", "kind", "published"}
    assert [v.value for v in results.facets["providers"].values if v.selected] == ["HuffPost"]
    everyone = {p.value for p in ix.providers()}
    assert {v.value for v in ix.search("*").facets["providers"].values} <= everyone


def test_a_str_of_topics_is_one_topic(ix: SearchIndex) -> None:
    as_list = ix.search("*", topics=["Politics"])
    assert as_list.total > 0
    assert ix.search("*", topics="Politics").total == as_list.total
    assert (
        ix.search("*", providers="HuffPost").total == ix.search("*", providers=["HuffPost"]).total
    )


def test_a_closed_index_says_so(fixture_index_dir: Path) -> None:
    ix = searchkit.open_index(fixture_index_dir, clock=lambda: FIXTURE_NOW)
    assert ix.search("korea").total > 0
    ix.close()
    assert "closed" in repr(ix)
    for use in (lambda: ix.search("korea"), lambda: ix.topics(), lambda: ix.get("x")):
        with pytest.raises(searchkit.IndexClosedError) as info:
            use()
        assert "closed" in str(info.value) and isinstance(info.value, searchkit.SearchkitError)
    with searchkit.open_index(fixture_index_dir) as again:  # a new one works
        assert again.search("korea").total > 0
    with pytest.raises(searchkit.IndexClosedError):
        again.search("korea")


@pytest.mark.parametrize(
    ("query", "filters", "facet", "given", "suggested"),
    [
        ("trump", {"topics": ["Politcs"]}, "topics", "Politcs", "Politics"),
        ("trump", {"topics": "politcs"}, "topics", "politcs", "Politics"),
        ("*", {"providers": ["huffpos"]}, "providers", "huffpos", "HuffPost"),
        ("*", {"providers": ["huff"]}, "providers", "huff", "HuffPost"),  # a unique start
        ("topic:politcs trump", {}, "topics", "politcs", "Politics"),
        ("provider:huffpos", {}, "providers", "huffpos", "HuffPost"),
    ],
)
def test_a_misspelled_facet_value_is_suggested_from_the_index(
    ix: SearchIndex,
    query: str,
    filters: dict[str, Any],
    facet: str,
    given: str,
    suggested: str,
) -> None:
    results = ix.search(query, **filters)
    assert results.total == 0
    assert results.value_suggestions == (searchkit.ValueSuggestion(facet, given, suggested),)  # type: ignore[arg-type]
    assert suggested in {v.value for v in (ix.topics() if facet == "topics" else ix.providers())}
    if not filters:  # in the query: the corrected query, and what it finds
        assert results.suggestion is not None
        assert suggested in results.suggestion.query
        assert results.suggestion.total == ix.search(results.suggestion.query).total > 0


def test_known_values_and_values_with_no_close_one_get_no_suggestion(ix: SearchIndex) -> None:
    assert ix.search("zzzqqq", topics=["Politics"]).value_suggestions == ()  # known: the words
    assert ix.search("trump", topics=["Xylophones"]).value_suggestions == ()
    assert ix.search("trump", topics=["POLITICS"]).total > 0  # any case is the value itself


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("trump date:>2029", {}),
        ("trump date:2030", {}),
        ("trump", {"since": "2030-01"}),
        ("trump", {"until": "2001"}),
    ],
)
def test_dates_that_empty_the_results_get_the_index_date_span(
    ix: SearchIndex, docs: dict[str, Any], query: str, filters: dict[str, Any]
) -> None:
    results = ix.search(query, **filters)
    assert results.total == 0
    dated = sorted(d.published for d in docs.values() if d.published)
    assert results.date_span == (dated[0], dated[-1])
    assert results.undated_total == ix.search("trump").total > 0


def test_no_date_span_when_the_dates_are_not_what_emptied_the_results(ix: SearchIndex) -> None:
    assert ix.search("zzzqqqx date:2018").date_span is None  # no such word at all
    assert ix.search("trump date:2018").date_span is None  # found some
    assert ix.search("zzzqqqx").date_span is None


def test_the_date_span_leaves_out_deleted_documents(tmp_path: Path) -> None:
    """The span comes from the dates of the documents still in the index: the oldest seed,
    removed by an incremental run, is a deleted row that no longer counts."""
    from index_helpers import seed_text, write_file

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    dates = {
        "old": "2001-02-03T04:05:06Z",
        "mid": "2010-01-01T00:00:00Z",
        "new": "2015-06-07T08:09:10Z",
    }
    for name, when in dates.items():
        text = seed_text(f"Harbour {name}", f"https://span.example/{name}", publishedDateTime=when)
        write_file(seeds / f"{name}.md", text)
    write_file(
        seeds / "undated.md",
        seed_text("Harbour undated", "https://span.example/u", publishedDateTime=None),
    )
    searchkit.build_index(seeds, index)
    with searchkit.open_index(index) as ix:
        assert ix.search("harbour", since="2030").date_span == (
            datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC),
            datetime(2015, 6, 7, 8, 9, 10, tzinfo=UTC),
        )
    (seeds / "old.md").unlink()
    assert searchkit.build_index(seeds, index).removed == 1
    with searchkit.open_index(index) as ix:
        assert ix.search("harbour", since="2030").date_span == (
            datetime(2010, 1, 1, tzinfo=UTC),
            datetime(2015, 6, 7, 8, 9, 10, tzinfo=UTC),
        )
