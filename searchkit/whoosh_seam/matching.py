"""Matching and scoring on one segment of the index, from whole postings lists.

Whoosh matches a query by stepping its matchers through the postings, one document at a time,
and scores while it does. For the queries users type (ANDs and ORs of terms, phrases) the fast
path here works on whole postings lists instead: a term's document numbers and weights are read
a block at a time (and cached per searcher), matching becomes set operations on them, and
scoring builds Whoosh's own matchers over the postings of the documents that passed the
filters only, then adds their parts' scores up the way Whoosh's matchers do, to the same
floating-point sums. Anything else is left to Whoosh.

The public path (an unverified Whoosh) asks Whoosh: ``query.docs(searcher)`` to match, and a
matcher moved with skip_to() to each allowed document to score. Both give the same documents
and the same scores; tests/test_whoosh_seam.py checks it.
"""

from __future__ import annotations

import copy
import io
import pickle
import struct
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3TermsReader
from whoosh.matching import (
    AndMaybeMatcher,
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    NullMatcher,
    NullMatcherClass,
    UnionMatcher,
    WrappingMatcher,
)
from whoosh.reading import SegmentReader

from . import FAST
from .expansion import Expanded, Listed
from .terms import keep, term_bytes
from .unions import CutOr, OrderedSum


def segment_matches(cache: PostingsCache, number: int, searcher: Any, query: Any) -> set[int]:
    """The documents (numbers local to the segment) that `query` matches in segment `number`,
    whose searcher is `searcher`: what ``query.docs(searcher)`` finds."""
    if not FAST:
        return set(query.docs(searcher))
    return _Segment(cache, number, searcher).matches(query)


def segment_match_array(cache: PostingsCache, number: int, searcher: Any, query: Any) -> Any:
    """segment_matches as a sorted numpy array of document numbers (for large segments)."""
    import numpy as np

    if not FAST:
        return np.array(sorted(query.docs(searcher)), dtype=np.int64)
    from .vectors import match_array

    return match_array(_Segment(cache, number, searcher), query)


def segment_scores(
    cache: PostingsCache, number: int, searcher: Any, query: Any, docs: list[int], context: Any
) -> dict[int, float]:
    """Whoosh's score for `query` of each of `docs` (ascending, local to segment `number`,
    each one a match of the query), in the scoring `context`."""
    if not FAST:
        return _at(query.matcher(searcher, context), docs, lambda m: m.score())
    segment = _Segment(cache, number, searcher)
    matcher = _Cut(segment, docs).query(query).matcher(searcher, context)
    return segment.scores(matcher, docs)


def segment_score_array(
    cache: PostingsCache, number: int, searcher: Any, query: Any, docs: Any, context: Any
) -> Any:
    """segment_scores for many documents (a numpy array of them): their scores, as a numpy
    array aligned with them, the same floats, computed column-wise (vectors.py)."""
    import numpy as np

    if not FAST:
        found = _at(query.matcher(searcher, context), docs.tolist(), lambda m: m.score())
        return np.fromiter((found[d] for d in docs.tolist()), dtype=np.float64, count=len(docs))
    from .vectors import VectorCut, VectorScores

    segment = _Segment(cache, number, searcher)
    cut = VectorCut(segment, docs)
    matcher = _Cut(segment, docs, cut).query(query).matcher(searcher, context)
    _mask, values = VectorScores(cut, segment.scores).scores(matcher)
    return values


def term_documents(searcher: Any, fieldname: str, text: str) -> list[int]:
    """The documents (index-wide numbers, ascending) that hold one term: what
    ``searcher.docs_for_query(Term(fieldname, text))`` returns, without the scorer and
    matcher Whoosh builds for each segment (for look-ups by id or by link, once per hit)."""
    if not FAST:
        return list(searcher.docs_for_query(wq.Term(fieldname, text)))
    query = wq.Term(fieldname, text)
    found: list[int] = []
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        term = term_bytes(reader, query)
        if term is None:
            continue
        ids = read_postings(reader, term)[0]
        deleted = reader.deleted_docs_set
        found.extend(d + offset for d in ids if not deleted or d not in deleted)
    return found


_Lists = tuple["array[int]", "array[float]"]  # a term's postings: document numbers, weights
_TERMS_REMEMBERED = 50_000  # PostingsCache.term answers kept (about 300 bytes each)


class PostingsCache:
    """Whole postings lists (document numbers and weights) of the terms searched lately, read
    a block at a time and kept, least recently used first out, up to `limit` postings (12
    bytes each): matching and scoring start from them, and common words recur from query to
    query."""

    def __init__(self, limit: int) -> None:
        self._lists: OrderedDict[tuple[int, tuple[str, bytes]], _Lists] = OrderedDict()
        self._size = 0
        self.limit = limit
        self._terms: dict[tuple[int, str, Any], tuple[str, bytes] | None] = {}

    def term(self, segment: int, reader: Any, query: Any) -> tuple[str, bytes] | None:
        """terms.term_bytes() of a Term query in one segment, remembered: a query asks it of
        each term in each segment, often several times (fields, partial-match fills), and
        each answer goes through the schema and the segment's term table."""
        key = (segment, query.fieldname, query.text)
        try:
            return self._terms[key]
        except KeyError:
            found: tuple[str, bytes] | None = term_bytes(reader, query)
            keep(self._terms, key, found, _TERMS_REMEMBERED)
            return found

    def get(self, segment: int, reader: Any, term: tuple[str, bytes]) -> _Lists:
        """A term's postings in one segment (`reader`), deleted documents included (the
        FilterMatcher that Whoosh puts above the term leaves them out)."""
        key = (segment, term)
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
            return found
        found = read_postings(reader, term)
        self._lists[key] = found
        self._size += len(found[0])
        while self._size > self.limit and len(self._lists) > 1:
            _, (ids, _) = self._lists.popitem(last=False)
            self._size -= len(ids)
        return found


def read_postings(reader: Any, term: tuple[str, bytes]) -> _Lists:
    """A term's document numbers and weights in one segment (`reader`), deleted documents
    included. Read straight from the term's entry and its extent of the postings file: a
    matcher of Whoosh's would first read and unpickle the first block's header (most of the
    cost of a rare term's postings), and the query's own matchers keep their positions."""
    ids: array[int] = array("I")
    weights: array[float] = array("d")  # what weight() returns, whatever the codec stores
    terms = getattr(reader, "_terms", None)
    if FAST and type(reader) is SegmentReader and isinstance(terms, W3TermsReader):
        info = terms.term_info(*term)  # TermNotFound, as reader.postings() raises
        if info.is_inlined():
            inlined_ids, inlined_weights, _values = info.inlined_postings()
            ids.extend(inlined_ids)
            weights.extend(inlined_weights if inlined_weights else repeat(1.0, len(ids)))
        else:
            offset, length = info.extent()
            _read_w3_blocks(terms._postfile, offset, length, ids, weights)
        return ids, weights
    leaf = reader.postings(*term)
    if type(leaf) is FilterMatcher:
        leaf = leaf.child
    leaf.reset()
    while leaf.is_active():
        ids.append(leaf.id())
        weights.append(leaf.weight())
        leaf.next()
    return ids, weights


_BLOCK_LENGTH = struct.Struct("!i")  # Whoosh's pack_int
_MAGIC_SIZE = 4  # the W3 postings header tag


def _read_w3_blocks(
    postfile: Any, offset: int, length: Any, ids: array[int], weights: array[float]
) -> None:
    """A W3 term's postings (`length` bytes at `offset` of the postings file), read in one
    piece and decoded block by block: what W3LeafMatcher's _goto(), _read_ids() and
    _read_weights() do per block, without a seek and a few small reads per block. A block is
    a length (negative for the last), the pickled block info, then its data, pickled and
    maybe compressed: (document number deltas, weights: None for all 1.0, one float for all,
    or one each, values)."""
    # W3TermInfo.from_bytes leaves the extent's length a 1-tuple
    data = postfile.get(offset, length[0] if type(length) is tuple else length)
    if data[:_MAGIC_SIZE] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"postings at offset {offset} do not start with a block header")
    stream = io.BytesIO(data)
    load = pickle.load
    position = _MAGIC_SIZE
    while True:
        (length,) = _BLOCK_LENGTH.unpack_from(data, position)
        start = position + _BLOCK_LENGTH.size
        end = start - length if length < 0 else start + length
        stream.seek(start)
        count, _maxid, _maxweight, compression, _minlength, _maxlength = load(stream)
        block = data[stream.tell() : end]
        mini_ids, mini_weights, _values = pickle.loads(
            zlib.decompress(block) if compression else block
        )
        ids.extend(accumulate(mini_ids))
        if mini_weights is None:
            weights.extend(repeat(1.0, count))
        elif isinstance(mini_weights, float):
            # As float32, as Whoosh reads it.
            weights.extend(repeat(array("f", [mini_weights])[0], count))
        else:
            weights.extend(iter(mini_weights))  # float32 or float64, widened exactly
        if length < 0:
            return
        position = end


def _is_leaf(matcher: Any) -> bool:
    """A term's own postings, which _Postings can read and cache."""
    return type(matcher) in (W3LeafMatcher, ListMatcher) and matcher.term() is not None


@dataclass(frozen=True, slots=True)
class _Segment:
    """One segment of the index (its searcher), with the engine's postings cache."""

    postings: PostingsCache
    number: int
    searcher: Any

    def lists(self, term: tuple[str, bytes]) -> _Lists:
        return self.postings.get(self.number, self.searcher.reader(), term)

    def matches(self, query: Any) -> set[int]:
        """The documents the query matches, as `query.docs` finds them: ANDs and ORs of terms
        become set operations on postings lists; other queries ask Whoosh."""
        kind = type(query)
        if kind is wq.And and query.subqueries:
            sets = sorted((self.matches(q) for q in query.subqueries), key=len)
            return sets[0].intersection(*sets[1:])
        if kind is wq.Or and not query.minmatch:
            return set().union(*(self.matches(q) for q in query.subqueries))
        if kind is Expanded:  # a pattern's words: what the Or of their terms matches
            return set().union(*(self.matches(q) for q in query.terms))
        if kind is Listed:
            return set(query.documents)
        if kind is wq.Term and not query.minquality:
            term = self.postings.term(self.number, self.searcher.reader(), query)
            if term is None:
                return set()
            ids = set(self.lists(term)[0])
            deleted = self.searcher.reader().deleted_docs_set
            return ids.difference(deleted) if deleted else ids
        if kind is wq.Term:
            return self._ids(query.matcher(self.searcher, self.searcher.boolean_context()))
        return set(query.docs(self.searcher))

    def _ids(self, matcher: Any) -> set[int]:
        kind = type(matcher)
        if kind is WrappingMatcher:  # a boost
            return self._ids(matcher.child)
        if kind is FilterMatcher:  # the segment's deleted documents
            ids = self._ids(matcher.child)
            if matcher._exclude:
                return ids.difference(matcher._ids)
            return ids.intersection(matcher._ids)
        if kind is NullMatcherClass:
            return set()
        if _is_leaf(matcher):
            return set(self.lists(matcher.term())[0])
        return set(matcher.all_ids())

    def scores(self, matcher: Any, docs: list[int]) -> dict[int, float]:
        """The scores a scoring matcher gives some documents (ascending, all matches of the
        whole query), to the same floating-point sums as the matcher's own score(): unions,
        intersections, and-maybes and boosts combine their parts' scores the way Whoosh's
        matchers do; other matchers are moved with skip_to() to the documents asked about."""
        kind = type(matcher)
        if not docs or kind is NullMatcherClass:
            return {}
        if kind is WrappingMatcher or kind is FilterMatcher:
            child = self.scores(matcher.child, docs)
            if kind is FilterMatcher:
                ids, exclude = matcher._ids, matcher._exclude
                child = {d: s for d, s in child.items() if (d in ids) != exclude}
            boost = matcher.boost
            return {d: s * boost for d, s in child.items()}
        if kind is UnionMatcher:
            a, b = self.scores(matcher.a, docs), self.scores(matcher.b, docs)
            union = dict(a)
            for d, s in b.items():
                union[d] = a[d] + s if d in a else s
            return union
        if kind is IntersectionMatcher or kind is AndMaybeMatcher:
            a = self.scores(matcher.a, docs)
            b = self.scores(matcher.b, [d for d in docs if d in a])
            if kind is IntersectionMatcher:
                return {d: a[d] + s for d, s in b.items()}
            return {d: s + b[d] if d in b else s for d, s in a.items()}
        if kind is OrderedSum:  # (unions.py)
            total: dict[int, float] = {}
            for part in matcher.parts:
                for d, s in self.scores(part, docs).items():
                    total[d] = total.get(d, 0.0) + s * matcher.part_boost
            if not matcher.scored:
                return dict.fromkeys(total, 1.0)
            return {d: s for d, s in total.items() if s > 0}
        if kind is ListMatcher:  # a term cut down to the allowed documents: a short list
            wanted, out = set(docs), {}
            matcher.reset()
            while matcher.is_active():
                if matcher.id() in wanted:
                    out[matcher.id()] = matcher.score()
                matcher.next()
            return out
        return _at(matcher, docs, lambda m: m.score())  # any other matcher: step through


@dataclass(frozen=True, slots=True)
class _Cut:
    """Cuts a query's terms down to their postings among some documents of one segment, so
    that Whoosh builds its matchers on short lists: an intersection of whole postings lists
    looks for its first match as it is built, a phrase for its first occurrence. On those
    documents the cut query matches and scores as the query does."""

    segment: _Segment
    docs: Any  # ascending: a list, or a numpy array when `vector` is given
    vector: Any = None  # a vectors.VectorCut that makes the leaves and remembers them
    wanted: frozenset[int] = field(init=False)  # the documents, to look up

    def __post_init__(self) -> None:
        wanted = frozenset(self.docs) if self.vector is None else frozenset()
        object.__setattr__(self, "wanted", wanted)

    def query(self, query: Any) -> Any:
        kind = type(query)
        if kind is wq.Term:
            return _CutTerm(query, self)
        if kind is wq.Phrase:
            return _CutPhrase(query, self)
        if kind is wq.And or kind is wq.Or:
            cut = copy.copy(query)
            cut.subqueries = [self.query(q) for q in query.subqueries]
            if kind is wq.Or:
                cut.__class__ = CutOr  # the same state; no preloading (unions.py)
            return cut
        if kind is Expanded:
            cut = copy.copy(query)
            cut.terms = [self.query(q) for q in query.terms]
            cut.or_type = CutOr
            return cut
        if kind is wq.AndMaybe or kind is wq.AndNot:
            cut = copy.copy(query)
            cut.a, cut.b = self.query(query.a), self.query(query.b)
            cut.subqueries = (cut.a, cut.b)
            return cut
        return query

    def matcher(self, matcher: Any, positions: set[int] | None = None) -> Any:
        """A term's matcher with the same postings among the documents only; `positions`:
        where to read the positions of the term too (for a phrase)."""
        kind = type(matcher)
        if kind is WrappingMatcher or kind is FilterMatcher:  # a boost, deletions
            return matcher._replacement(self.matcher(matcher.child, positions))
        if not _is_leaf(matcher):
            return matcher
        scorer = matcher.scorer if type(matcher) is W3LeafMatcher else matcher._scorer
        return self.leaf(matcher.term(), scorer, positions)

    def leaf(self, term: tuple[str, bytes], scorer: Any, positions: set[int] | None) -> Any:
        """A ListMatcher over the term's postings among the documents, scored by `scorer`."""
        fmt = self.segment.searcher.schema[term[0]].format
        if self.vector is not None:
            ids = self.vector.postings(term)[0].tolist() if positions else []
            values = self._positions(term, positions, ids)
            return self.vector.leaf(values, fmt, scorer, term)
        all_ids, all_weights = self.segment.lists(term)
        ids, weights = [], []
        if len(all_ids) < len(self.docs):  # a rarer word: walk its postings
            for d, w in zip(all_ids, all_weights, strict=True):
                if d in self.wanted:
                    ids.append(d)
                    weights.append(w)
        else:  # look each document up in the postings
            lo = 0
            for d in self.docs:
                lo = bisect_left(all_ids, d, lo)
                if lo == len(all_ids):
                    break
                if all_ids[lo] == d:
                    ids.append(d)
                    weights.append(all_weights[lo])
        values = self._positions(term, positions, ids)
        return ListMatcher(ids, weights, values, fmt, scorer=scorer, term=term)

    def _positions(
        self, term: tuple[str, bytes], positions: set[int] | None, ids: list[int]
    ) -> list[Any] | None:
        """The term's positions in the documents `ids`, read where `positions` says."""
        if not positions:
            return None
        reader = self.segment.searcher.reader()
        found = _at(reader.postings(*term), sorted(positions), lambda m: m.value())
        return [found.get(d) for d in ids]

    def together(self, fieldname: str, words: list[bytes]) -> set[int]:
        """The documents that hold every one of the words in the field."""
        terms = [(fieldname, word) for word in words]
        if self.vector is not None:
            found: set[int] = self.vector.together(terms)
            return found
        together = set(self.docs)
        for term in terms:
            together.intersection_update(self.segment.lists(term)[0])
        return together


class _CutTerm(wq.Term):  # type: ignore[misc]
    """A term whose matcher holds only its postings among the cut's documents."""

    def __init__(self, term: Any, cut: _Cut, positions: set[int] | None = None) -> None:
        super().__init__(term.fieldname, term.text, boost=term.boost, minquality=term.minquality)
        self.cut = cut
        self.positions = positions

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """What cutting Whoosh's Term.matcher() gives (its scorer, the segment's deletions,
        the boost over the cut postings), without building Whoosh's leaf matcher first: that
        reads the postings' first block from the file, once per term and segment."""
        if self.minquality:
            return self.cut.matcher(super().matcher(searcher, context), self.positions)
        reader = searcher.reader()
        segment = self.cut.segment
        term = segment.postings.term(segment.number, reader, self)
        if term is None:
            return NullMatcher()
        weighting = (context.weighting if context is not None else None) or searcher.weighting
        scorer = weighting.scorer(searcher, term[0], term[1], qf=1)
        matcher = self.cut.leaf(term, scorer, self.positions)
        deleted = reader.deleted_docs_set
        if deleted:
            matcher = FilterMatcher(matcher, deleted, exclude=True)
        if self.boost != 1.0:
            matcher = WrappingMatcher(matcher, boost=self.boost)
        return matcher


class _CutPhrase(wq.Phrase):  # type: ignore[misc]
    """A phrase whose words' matchers hold only their postings among the cut's documents,
    with their positions where all the words are."""

    def __init__(self, phrase: Any, cut: _Cut) -> None:
        super().__init__(
            phrase.fieldname,
            phrase.words,
            slop=phrase.slop,
            boost=phrase.boost,
            char_ranges=phrase.char_ranges,
        )
        self.cut = cut

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """Whoosh's Phrase.matcher, on the cut terms."""
        if self.fieldname not in searcher.schema:
            return NullMatcher
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)  # Whoosh's error
        words = []
        for word in self.words:
            try:
                words.append(field.to_bytes(word))
            except ValueError:
                return NullMatcher
            if (self.fieldname, words[-1]) not in searcher.reader():
                return NullMatcher
        together = self.cut.together(self.fieldname, words)
        terms = [_CutTerm(wq.Term(self.fieldname, w), self.cut, together) for w in words]
        matcher = wq.SpanNear2(terms, slop=self.slop, ordered=True, mindist=1).matcher(
            searcher, context
        )
        return WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher


def _at(matcher: Any, docs: list[int], read: Callable[[Any], Any]) -> dict[int, Any]:
    """`read(matcher)` at each of `docs` (ascending) the matcher matches. The matcher and the
    documents leapfrog: the matcher skips to the next document, the documents to the next
    match, so the cost follows the fewer of the two (a phrase of common words among many
    documents matches few of them)."""
    out = {}
    i, count = 0, len(docs)
    while i < count and matcher.is_active():
        found = matcher.id()
        i = bisect_left(docs, found, i)
        if i == count:
            break
        wanted = docs[i]
        if found == wanted:
            out[wanted] = read(matcher)
            i += 1
            if i < count:
                matcher.skip_to(docs[i])
        else:
            matcher.skip_to(wanted)
    return out
