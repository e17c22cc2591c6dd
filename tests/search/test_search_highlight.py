"""Highlighting: hits' title segments and snippets mark the words the query matched, in any
form the analyser gives the same stem, and never change or break the text."""

from __future__ import annotations

import re

import pytest

from searchkit import Hit, SearchIndex, Span
from searchkit.schema import text_analyzer
from searchkit.search.highlight import snippet

from .search_helpers import CAFE, FAIR, MEMO, QUASAR, TELESCOPE, VOTE

ELLIPSIS = "…"


def marked(segments: tuple[Span, ...]) -> list[str]:
    return [s.text for s in segments if s.match]


def hit_by_id(index: SearchIndex, query: str, doc_id: str) -> Hit:
    hits = {h.id: h for h in index.search(query, per_page=100).hits}
    return hits[doc_id]


@pytest.mark.parametrize(
    ("query", "doc_id", "title", "snippet_marks"),
    [
        ("banned", TELESCOPE, [], ["banned"]),
        ("banned", VOTE, [], ["ban"]),
        ("bans", VOTE, [], ["ban"]),
        ("astronomer", QUASAR, ["Astronomers"], []),
        ("cafe", CAFE, ["Café"], []),
        ("montreal", QUASAR, [], ["Montréal"]),
        ("owner", CAFE, ["Owners"], ["owners"]),
        ('"white house"', FAIR, ["White", "House"], []),
        ("title:galaxy", QUASAR, ["Galaxy"], []),
        ("climate*", MEMO, ["Climate"], ["Climatologists", "climates"]),
        ("quasr~", QUASAR, ["Quasar"], []),
        ("zymurgy", QUASAR, [], ["zymurgy"]),  # the snippet comes from the body
        ("telescpoe", TELESCOPE, ["Telescope"], []),  # the correction is highlighted
    ],
)
def test_matched_words_are_marked_in_every_form(
    news: SearchIndex, query: str, doc_id: str, title: list[str], snippet_marks: list[str]
) -> None:
    hit = hit_by_id(news, query, doc_id)
    assert marked(hit.title_spans) == title
    assert marked(hit.snippet_spans) == snippet_marks
    assert "".join(s.text for s in hit.title_spans) == hit.title


def test_wildcard_expansions_in_the_excerpt_are_marked(news: SearchIndex) -> None:
    hit = hit_by_id(news, "climat*", MEMO)
    assert marked(hit.title_spans) == ["Climate"]
    assert marked(hit.snippet_spans) == ["Climatologists", "climates"]


def test_snippet_from_the_body_when_the_excerpt_has_no_match(news: SearchIndex) -> None:
    hit = hit_by_id(news, "zymurgy", QUASAR)
    assert "starlight" in hit.snippet
    assert hit.snippet.strip(ELLIPSIS) in news.get(QUASAR).body


def test_no_mark_without_a_text_match(news: SearchIndex) -> None:
    for hit in news.search("topic:science", per_page=100).hits:
        assert not marked(hit.title_spans) and not marked(hit.snippet_spans)


WORD = re.compile(r"\w")


@pytest.mark.parametrize(
    "query", ["trump", "korea", "north korea", '"white house"', "trump’s", "beyonce", "coachella"]
)
def test_fixture_highlights_whole_words_and_keep_the_text(ix: SearchIndex, query: str) -> None:
    results = ix.search(query, per_page=50)
    assert results.hits
    stems = {w[:5] for w in re.findall(r"\w+", query.lower())}
    marks = 0
    for hit in results.hits:
        title = hit.title
        assert "".join(s.text for s in hit.title_spans) == title
        position = 0
        for segment in hit.title_spans:
            end = position + len(segment.text)
            if segment.match:
                marks += 1
                # A mark is a whole word: no word character just outside it.
                assert position == 0 or not WORD.match(title[position - 1]), (title, segment)
                assert end == len(title) or not WORD.match(title[end]), (title, segment)
                assert segment.text.lower()[:5] in stems, (query, segment.text)
            position = end
        doc = ix.get(hit.id)
        text = hit.snippet.strip(ELLIPSIS)
        assert text in doc.excerpt or text in doc.body
        for segment in hit.snippet_spans:
            if segment.match:
                assert segment.text.lower()[:5] in stems, (query, segment.text)
    assert marks >= len(results.hits) // 2


def test_long_text_snippet_is_a_window_around_the_first_match() -> None:
    analyzer = text_analyzer()
    words = [f"word{i}" for i in range(300)]
    words[150] = "Quasars"
    text = " ".join(words)
    segments, matched = snippet(text, {"quasar"}, analyzer)
    assert matched
    assert segments[0].text == ELLIPSIS and segments[-1].text == ELLIPSIS
    inner = "".join(s.text for s in segments[1:-1])
    assert inner in text
    assert marked(segments) == ["Quasars"]
    assert len(inner) <= 230
    short, found = snippet("No match here at all.", {"quasar"}, analyzer)
    assert not found and "".join(s.text for s in short) == "No match here at all."
