"""The Python API at a prompt: short reprs, one name per concept, a str where a list of values
is expected, and a closed index that says so."""

from __future__ import annotations

from pathlib import Path

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
