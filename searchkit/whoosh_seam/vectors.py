"""Scoring many documents at once with numpy, to the same floating-point sums as Whoosh.

matching.py scores the allowed documents of a segment by walking the query's matcher tree over
postings cut down to those documents, one document at a time (a dict per node). For tens of
thousands of documents that costs seconds. Here the same walk works on arrays aligned with the
documents: a term's BM25F score is computed for all its postings at once from its weights and
the field lengths (the formula of whoosh.scoring.bm25, with the scorer's own idf and average
length, in the same order of operations, so every float is the same), and unions,
intersections, and-maybes and boosts combine their parts' arrays the way Whoosh's matchers
combine scores. Any other matcher (a phrase, say) is scored by matching.py, one document at
a time, and its scores joined in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import (
    AndMaybeMatcher,
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    NullMatcherClass,
    UnionMatcher,
    WrappingMatcher,
)
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.util.numeric import byte_to_length

from .columns import number_column
from .expansion import Expanded, Listed
from .unions import OrderedSum

_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)

Scored = tuple[Any, Any]  # (which documents match: bool array, their scores: float64 array)


class VectorCut:
    """The allowed documents of one segment (`docs`, ascending local numbers) and the term
    postings cut down to them, remembered as arrays for VectorScores."""

    def __init__(self, segment: Any, docs: Any) -> None:
        self.segment = segment
        self.docs = docs
        self.leaves: dict[int, tuple[Any, Any]] = {}  # id(ListMatcher) -> (ids, weights)

    def postings(self, term: tuple[str, bytes]) -> tuple[Any, Any]:
        """The term's postings among the documents: (document numbers, weights) arrays."""
        all_ids, all_weights = self.segment.lists(term)
        ids = np.frombuffer(all_ids, dtype=np.uint32)
        if not len(ids):
            return ids.astype(np.int64), np.frombuffer(all_weights, dtype=np.float64)
        at = np.searchsorted(ids, self.docs)
        inside = at < len(ids)
        hit = np.zeros(len(self.docs), dtype=bool)
        hit[inside] = ids[at[inside]] == self.docs[inside]
        weights = np.frombuffer(all_weights, dtype=np.float64)
        return self.docs[hit], weights[at[hit]]

    def together(self, terms: list[tuple[str, bytes]]) -> set[int]:
        """The documents that hold every one of the terms."""
        found = self.docs
        for term in terms:
            ids = np.frombuffer(self.segment.lists(term)[0], dtype=np.uint32)
            found = np.intersect1d(found, ids, assume_unique=True)
        return set(found.tolist())

    def leaf(self, values: Any, fmt: Any, scorer: Any, term: Any) -> Any:
        """A ListMatcher over the term's cut postings (`values`: their positions or None)."""
        ids, weights = self.postings(term)
        leaf = ListMatcher(ids.tolist(), weights.tolist(), values, fmt, scorer=scorer, term=term)
        self.leaves[id(leaf)] = (ids, weights)
        return leaf


class VectorScores:
    """Scores of the cut's documents under a matcher built on its cut postings."""

    def __init__(self, cut: VectorCut, fallback: Any) -> None:
        """`fallback(matcher, docs)`: the dict of scores matching.py gives, for matchers this
        does not know."""
        self.cut = cut
        self.docs = cut.docs
        self.fallback = fallback
        self._lengths: dict[str, Any] = {}

    def scores(self, matcher: Any) -> Scored:
        kind = type(matcher)
        n = len(self.docs)
        if kind is NullMatcherClass:
            return np.zeros(n, dtype=bool), np.zeros(n)
        if kind is WrappingMatcher or kind is FilterMatcher:
            mask, values = self.scores(matcher.child)
            if kind is FilterMatcher:
                listed = np.isin(self.docs, np.fromiter(matcher._ids, dtype=np.int64))
                mask = mask & (listed != bool(matcher._exclude))
            return mask, values * matcher.boost
        if kind is UnionMatcher:
            (ma, a), (mb, b) = self.scores(matcher.a), self.scores(matcher.b)
            both = ma & mb
            return ma | mb, np.where(both, a + b, np.where(ma, a, b))
        if kind is IntersectionMatcher:
            (ma, a), (mb, b) = self.scores(matcher.a), self.scores(matcher.b)
            return ma & mb, a + b
        if kind is AndMaybeMatcher:
            (ma, a), (mb, b) = self.scores(matcher.a), self.scores(matcher.b)
            return ma, np.where(mb, a + b, a)
        if kind is OrderedSum:  # the parts' scores times the boost, added in order
            mask, values = np.zeros(n, dtype=bool), np.zeros(n)
            for part in matcher.parts:
                mp, vp = self.scores(part)
                values = np.where(mp, values + vp * matcher.part_boost, values)
                mask |= mp
            if not matcher.scored:
                return mask, mask.astype(np.float64)
            return mask & (values > 0), values
        if kind is ListMatcher and id(matcher) in self.cut.leaves:
            return self._leaf(matcher)
        return self._joined(self.fallback(matcher, self.docs.tolist()))

    def _leaf(self, matcher: Any) -> Scored:
        ids, weights = self.cut.leaves[id(matcher)]
        mask = np.zeros(len(self.docs), dtype=bool)
        values = np.zeros(len(self.docs))
        at = np.searchsorted(self.docs, ids)
        mask[at] = True
        scorer = matcher._scorer
        kind = type(scorer)
        if kind is BM25FScorer:
            length = self._field_lengths(matcher.term()[0])[ids]
            # whoosh.scoring.bm25(idf, tf, fl, avgfl, B, K1), operation for operation
            idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
            values[at] = idf * (
                (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * length / avgfl))
            )
        elif kind is WeightScorer:
            values[at] = weights
        else:
            return self._joined(self.fallback(matcher, self.docs.tolist()))
        return mask, values

    def _field_lengths(self, fieldname: str) -> Any:
        """Every document's length of the field, as the scorer's dfl() reads it (a missing
        length counts as 1)."""
        found = self._lengths.get(fieldname)
        if found is None:
            reader = self.cut.segment.searcher.reader()
            perdoc = reader._perdoc  # lengths are no schema field: read them as Whoosh does
            column = _lenfield(fieldname)
            count = reader.doc_count_all()
            if perdoc.has_column(column):
                codes = number_column(perdoc.column_reader(column, LENGTHS_COLUMN), "B", count)
                found = _BYTE_TO_LENGTH[np.frombuffer(codes, dtype=np.uint8)]
                found[found == 0] = 1
            else:
                found = np.ones(count)
            self._lengths[fieldname] = found
        return found

    def _joined(self, scores: dict[int, float]) -> Scored:
        mask = np.zeros(len(self.docs), dtype=bool)
        values = np.zeros(len(self.docs))
        if scores:
            keys = np.fromiter(scores, dtype=np.int64, count=len(scores))
            at = np.searchsorted(self.docs, keys)
            mask[at] = True
            values[at] = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        return mask, values


def match_array(segment: Any, query: Any) -> Any:
    """The documents (ascending local numbers, a numpy array) the query matches in the
    segment, as `query.docs` finds them: ANDs and ORs of terms as array operations on
    postings lists, other queries asked of Whoosh."""
    kind = type(query)
    if kind is wq.And and query.subqueries:
        parts = sorted((match_array(segment, q) for q in query.subqueries), key=len)
        found = parts[0]
        for part in parts[1:]:
            found = _within(found, part)
        return found
    if kind is wq.Or and not query.minmatch:
        parts = [match_array(segment, q) for q in query.subqueries]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        size = segment.searcher.reader().doc_count_all()
        if sum(len(p) for p in parts) * 64 < size:
            return np.unique(np.concatenate(parts))
        seen = np.zeros(size, dtype=bool)  # many documents: mark them, then read them off
        for part in parts:
            seen[part] = True
        return np.flatnonzero(seen)
    if kind is Expanded:  # a pattern's words: what the Or of their terms matches
        parts = [match_array(segment, term) for term in query.terms]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    if kind is Listed:
        return np.array(query.documents, dtype=np.int64)
    if kind is wq.Term and not query.minquality:
        return _term_documents(segment, query)
    return np.array(sorted(query.docs(segment.searcher)), dtype=np.int64)


def _term_documents(segment: Any, term: Any) -> Any:
    """The documents a term matches, as Term.matcher() and the reader's postings() find
    them, without building a matcher (and its scorer, which matching does not need)."""
    reader = segment.searcher.reader()
    found = segment.postings.term(segment.number, reader, term)
    if found is None:
        return np.zeros(0, dtype=np.int64)
    ids = np.frombuffer(segment.lists(found)[0], dtype=np.uint32)
    deleted = reader.deleted_docs_set
    if deleted:
        ids = ids[~np.isin(ids, np.fromiter(deleted, dtype=np.int64, count=len(deleted)))]
    return ids.astype(np.int64)


def _within(small: Any, large: Any) -> Any:
    """The documents of `small` that are in `large` (both ascending, without repeats)."""
    if not len(small) or not len(large):
        return small[:0]
    at = np.minimum(np.searchsorted(large, small), len(large) - 1)
    return small[large[at] == small]
