"""`explain` lists exactly the terms of the query that the top hit holds, with each one's part
of its score, checked against the document's own text and the ranking's score."""

from __future__ import annotations

import re

import pytest

from searchkit import SearchIndex

FIELDS = ("title", "excerpt", "body")


def holds(ix: SearchIndex, doc_id: str, field: str, word: str) -> bool:
    """Whether the document's stored text of `field` has `word` as a whole word (the words
    used here have no other form in the fixture, so no stemming is needed)."""
    text: str = getattr(ix.get(doc_id), field)
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None


@pytest.mark.parametrize("query", ["korea OR stefani", "stefani OR korea", "kim OR obama"])
def test_only_the_terms_the_top_hit_holds_and_their_shares(ix: SearchIndex, query: str) -> None:
    explanation = ix.explain(query)
    top = ix.search(query, per_page=1).hits[0]
    assert explanation.top_id == top.id and explanation.top_score == pytest.approx(top.score)
    words = [w for w in query.split() if w != "OR"]
    expected = {(f, w) for f in FIELDS for w in words if holds(ix, top.id, f, w)}
    assert set(explanation.matched_terms) == expected
    # An OR of words has no bonus: the terms' scores add up to the ranking's score.
    assert explanation.bonus == 0.0
    assert sum(t.score for t in explanation.terms) == pytest.approx(top.score, rel=1e-6)
    assert sum(t.share for t in explanation.terms) == pytest.approx(1.0)
    scores = [t.score for t in explanation.terms]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_a_word_the_top_hit_lacks_is_not_listed(ix: SearchIndex) -> None:
    explanation = ix.explain("korea OR stefani")
    assert explanation.top_hit is not None and "Stefani" in explanation.top_hit
    assert all(term != "korea" for _, term in explanation.matched_terms)


def test_a_title_bonus_is_the_rest_of_the_score(ix: SearchIndex) -> None:
    explanation = ix.explain("north korea summit")
    assert explanation.top_score is not None and explanation.bonus > 0
    parts = sum(t.score for t in explanation.terms) + explanation.bonus
    assert parts == pytest.approx(explanation.top_score)
    assert sum(t.share for t in explanation.terms) < 1


def test_browsing_has_no_terms(ix: SearchIndex) -> None:
    explanation = ix.explain("*")
    assert explanation.terms == () and explanation.bonus == 0.0
