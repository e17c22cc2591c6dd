"""Run a parsed query on a Whoosh searcher: filters, facets, ranking, highlights, suggestions.

Everything returned is a plain value from results.py; no Whoosh object escapes.
"""

from __future__ import annotations

import copy
import heapq
import re
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import Stemmer
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
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
from whoosh.scoring import BM25F

from . import highlight, spelling
from .dates import DateRange
from .facets import Columns, FacetCounter, date_facet, from_long, to_long, value_facet
from .query import ParsedQuery
from .records import from_stored
from .results import (
    Document,
    Facet,
    Filters,
    Hit,
    LinkedDocument,
    SearchResults,
    Segment,
    Suggestion,
    ValueCount,
)

WEIGHTING = BM25F(B=0.75, K1=1.2)
RECENCY_HALF_LIFE_DAYS = 180.0
RERANK_POOL = 50
TITLE_COVERAGE_WEIGHT = 0.6
_WORDS = re.compile(r"\w+(?:['’]\w+)*")
RECENCY_POOL = 200
SUGGEST_BELOW = 3  # offer a correction when a query finds fewer documents than this
POSTINGS_CACHE = 1_000_000  # postings kept in memory per searcher (12 bytes each)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    parsed: ParsedQuery
    filters: Filters
    sort: str
    page: int
    per_page: int
    facets: bool
    facet_limit: int


class Engine:
    """One Whoosh searcher (one index generation) and what has been read from it."""

    def __init__(self, searcher: Any, schema: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = schema
        self.analyzer = schema["title"].analyzer
        self._columns: Columns | None = None
        self._postings = _Postings()

    @property
    def columns(self) -> Columns:
        if self._columns is None:
            self._columns = Columns(self.reader)
        return self._columns

    def close(self) -> None:
        self.searcher.close()

    # --- search ----------------------------------------------------------------------

    def search(self, req: SearchRequest, *, parse_again: Any = None) -> SearchResults:
        """Run a request. When nothing matches every word, the search falls back in turn to
        the spelling-corrected query, to all words but one, then to any word (`relaxed`)."""
        started = time.perf_counter()
        parsed = req.parsed
        matched = self._matches(parsed.query, parsed.date_range)
        allowed, counts, dates = self._filter(matched, req.filters)
        query, relaxed, showing, suggestion = parsed.query, False, None, None
        if len(allowed) < SUGGEST_BELOW and not parsed.match_all and parse_again is not None:
            corrected = self._correction(parsed.text, parse_again)
            if corrected is not None:
                found = self._filtered(corrected.query, req.filters, corrected.date_range)
                if len(found[0]) > len(allowed):
                    suggestion = Suggestion(corrected.text, len(found[0]))
                    if not allowed:
                        parsed, (allowed, counts, dates) = corrected, found
                        query, showing = corrected.query, corrected.text
        # Relax the words only when they match nothing at all: when filters exclude every
        # match, an empty page that says so beats documents that lack the words.
        for fallback in parsed.fallbacks() if not matched and not showing else ():
            allowed, counts, dates = self._filtered(fallback, req.filters, None)
            if allowed:
                query, relaxed = fallback, True
                break
        ranked = self._rank(query, parsed, allowed, req)
        start = (req.page - 1) * req.per_page
        terms = self._highlight_terms(query, parsed)
        hits = tuple(
            self._hit(start + i + 1, docnum, score, terms)
            for i, (docnum, score) in enumerate(ranked[start : start + req.per_page])
        )
        return SearchResults(
            query=req.parsed.text,
            resolved_query=parsed.resolved,
            total=len(allowed),
            page=req.page,
            per_page=req.per_page,
            hits=hits,
            facets=self._facets(req, counts, dates) if req.facets else {},
            suggestion=suggestion,
            took_ms=(time.perf_counter() - started) * 1000,
            sort=req.sort,
            filters=req.filters,
            relaxed=relaxed,
            showing=showing,
            parsed=str(query),
        )

    @staticmethod
    def _facets(req: SearchRequest, counts: Any, dates: list[int]) -> dict[str, Facet]:
        f = req.filters
        return {
            "topics": value_facet("topics", counts["topics"], f.topics, req.facet_limit),
            "provider": value_facet("provider", counts["provider"], f.providers, req.facet_limit),
            "kind": value_facet("kind", counts["kind"], [f.kind] if f.kind else [], 10),
            "published": date_facet(dates),
        }

    def count(self, parsed: ParsedQuery, filters: Filters) -> int:
        return len(self._filtered(parsed.query, filters, parsed.date_range)[0])

    def _filtered(
        self, query: Any, filters: Filters, date_range: DateRange | None
    ) -> tuple[list[int], Any, list[int]]:
        return self._filter(self._matches(query, date_range), filters)

    def _matches(self, query: Any, date_range: DateRange | None) -> list[int]:
        """The documents a query matches, before drill-down filters."""
        docnums = self._docs(query)
        if date_range is not None:
            start, end = to_long(date_range.start), to_long(date_range.end)
            published = self.columns.published
            self.columns.prepare(docnums)
            docnums = [
                d
                for d in docnums
                if (p := published(d))
                and (start is None or p >= start)
                and (end is None or p < end)
            ]
        return docnums

    def _docs(self, query: Any) -> list[int]:
        """The documents a query matches, in order: what `docs_for_query` returns, computed
        with set operations on whole postings lists where the query is ANDs and ORs of terms
        (Whoosh steps through a union of five fields' postings one document at a time)."""
        docnums: list[int] = []
        for number, (searcher, offset) in enumerate(self.searcher.leaf_searchers()):
            found = _Segment(self._postings, number, searcher).matches(query)
            docnums.extend(sorted(d + offset for d in found))
        return docnums

    def _scored(self, query: Any, allowed: list[int], limit: int) -> list[tuple[int, float]] | None:
        """The `limit` best of the allowed documents by Whoosh's score for the query, best
        first, ties in document order: Whoosh's top-N search with `filter=allowed`, scoring the
        allowed documents only. (Whoosh's own search, which swaps in cheaper matchers midway,
        can now and then drop a document.) None when a score is not positive: Whoosh's search
        treats those specially, so it had better rank them itself."""
        context = self.searcher.context()
        scores: list[tuple[float, int]] = []
        leaves = self.searcher.leaf_searchers()
        ends = [offset for _, offset in leaves[1:]] + [self.reader.doc_count_all()]
        for number, ((searcher, offset), end) in enumerate(zip(leaves, ends, strict=True)):
            docs = allowed[bisect_left(allowed, offset) : bisect_left(allowed, end)]
            if not docs:
                continue
            local = [d - offset for d in docs]
            segment = _Segment(self._postings, number, searcher)
            matcher = _Cut(segment, local).query(query).matcher(searcher, context)
            found = segment.scores(matcher, local)
            scores.extend((-score, d + offset) for d, score in found.items())
        if any(not neg < 0 for neg, _ in scores):
            return None
        return [(d, -neg) for neg, d in heapq.nsmallest(limit, scores)]

    def _filter(self, docnums: list[int], filters: Filters) -> tuple[list[int], Any, list[int]]:
        provider_docs = None
        if filters.providers:  # by name or by domain
            values = [v.lower() for v in filters.providers]
            provider_docs = set(
                self._docs(wq.Or([wq.Term(f, v) for v in values for f in ("provider", "domain")]))
            )
        return FacetCounter(self.columns, filters, provider_docs).run(docnums)

    def _rank(
        self, query: Any, parsed: ParsedQuery, allowed: list[int], req: SearchRequest
    ) -> list[tuple[int, float]]:
        sort = req.sort
        if not allowed:
            return []  # (Whoosh reads an empty filter set as no filter at all)
        if (parsed.match_all or not parsed.terms) and sort in ("relevance", "recent-relevance"):
            sort = "newest"  # nothing to score (browsing, or only field filters such as topic:)
        if sort in ("newest", "oldest"):
            published = self.columns.published
            if sort == "newest":
                ordered = sorted(allowed, key=lambda d: (-published(d), d))
            else:  # undated documents last either way
                ordered = sorted(allowed, key=lambda d: (published(d) == 0, published(d), d))
            return [(d, 0.0) for d in ordered]
        scored = query
        if parsed.title_phrase is not None:
            scored = wq.AndMaybe(query, parsed.title_phrase)
        # Re-ranking touches a fixed head of the ranking, whatever the page, so that paging
        # neither repeats nor skips documents.
        head = RECENCY_POOL if sort == "recent-relevance" else RERANK_POOL
        limit = max(req.page * req.per_page, head)
        ranked = self._scored(scored, allowed, limit)
        if ranked is None:
            results = self.searcher.search(scored, filter=set(allowed), limit=limit)
            ranked = [(hit.docnum, float(hit.score or 0.0)) for hit in results]
        if len(ranked) < min(limit, len(allowed)):
            # Whoosh's scoring matchers can disagree with its docs() for odd queries (a NOT of
            # "*"); the match set counted is the truth, so unscored matches follow in order.
            seen = {d for d, _ in ranked}
            ranked += [(d, 0.0) for d in allowed if d not in seen][: limit - len(ranked)]
        top, rest = ranked[:head], ranked[head:]
        if parsed.title_phrase is not None:
            top = self._by_title_coverage(top, parsed.text)
        if sort == "recent-relevance":
            top = self._by_recency(top)
        return top + rest

    def _by_title_coverage(
        self, ranked: list[tuple[int, float]], text: str
    ) -> list[tuple[int, float]]:
        """Favour titles that hold more of the query's words, stop words included: the index
        drops "you" or "have", but a title that has them is the better known-item match."""
        words = _word_forms(text)
        if len(words) < 2:
            return ranked
        out = []
        for docnum, score in ranked:
            title = _word_forms(self.searcher.stored_fields(docnum).get("title", ""))
            coverage = len(words & title) / len(words)
            out.append((docnum, score * (1 + TITLE_COVERAGE_WEIGHT * coverage)))
        return sorted(out, key=lambda x: -x[1])

    def _by_recency(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Relevance times a decay that halves every RECENCY_HALF_LIFE_DAYS of age (the
        ranking depends on the age differences only, so archives rank as well as news)."""
        published = self.columns.published
        dated = [(d, s, from_long(published(d))) for d, s in ranked]
        newest = max((p for _, _, p in dated if p), default=None)
        if newest is None:
            return ranked
        out = []
        for d, s, p in dated:
            age = (newest - p).total_seconds() / 86400 if p else 10 * RECENCY_HALF_LIFE_DAYS
            out.append((d, s * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)))
        return sorted(out, key=lambda x: -x[1])

    def _highlight_terms(self, query: Any, parsed: ParsedQuery) -> frozenset[str]:
        terms = set(parsed.terms)
        for leaf in query.leaves():
            try:  # wildcards and fuzzy words expand to the index's words they match
                expanded = leaf.expanded_terms(self.reader)
            except Exception:  # a query type that cannot list its words: highlight what we know
                continue
            for fieldname, text in expanded:
                if fieldname in ("title", "excerpt", "body"):
                    terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
        return frozenset(terms)

    def _hit(self, rank: int, docnum: int, score: float, terms: frozenset[str]) -> Hit:
        stored = self.searcher.stored_fields(docnum)
        doc = from_stored(stored)
        snippet, matched = highlight.snippet(doc.excerpt, terms, self.analyzer)
        if not matched and doc.body:
            body_snippet, body_matched = highlight.snippet(doc.body, terms, self.analyzer)
            if body_matched or not doc.excerpt:
                snippet = body_snippet
        return Hit(
            rank=rank,
            id=doc.id,
            kind=doc.kind,
            title=doc.title,
            url=doc.url,
            provider=doc.provider.name,
            domain=doc.provider.domain,
            published=doc.published,
            topics=doc.topics,
            score=round(score, 4),
            title_segments=highlight.segments(doc.title, terms, self.analyzer),
            snippet=snippet,
            path=doc.path,
            cited_by=self.cited_by_count(doc.id),
            links=len(doc.links),
        )

    def _correction(self, text: str, parse_again: Any) -> ParsedQuery | None:
        """The query with unknown words replaced from the index's vocabulary, parsed."""
        corrected = spelling.correct_text(self.reader, text)
        if corrected is None or corrected == text:
            return None
        try:
            parsed: ParsedQuery = parse_again(corrected)
        except Exception:  # a correction that does not parse is no suggestion
            return None
        return parsed

    # --- documents -------------------------------------------------------------------

    def docnum(self, doc_id: str) -> int | None:
        found = list(self.searcher.docs_for_query(wq.Term("id", doc_id)))
        return found[0] if found else None

    def citing(self, doc_id: str) -> list[int]:
        return list(self.searcher.docs_for_query(wq.Term("links", doc_id)))

    def cited_by_count(self, doc_id: str) -> int:
        return len(self.citing(doc_id))

    def document(self, docnum: int) -> Document:
        doc = from_stored(self.searcher.stored_fields(docnum))
        citing = sorted(self.searcher.stored_fields(d)["id"] for d in self.citing(doc.id))
        return Document(
            id=doc.id,
            kind=doc.kind,
            title=doc.title,
            excerpt=doc.excerpt,
            body=doc.body,
            url=doc.url,
            provider=doc.provider.name,
            domain=doc.provider.domain,
            published=doc.published,
            topics=doc.topics,
            quality=doc.quality,
            path=doc.path,
            images=tuple(i.url for i in doc.images),
            links=doc.links,
            cited_by=tuple(citing),
            extra=dict(doc.extra),
        )

    def linked(self, doc_id: str) -> LinkedDocument:
        docnum = self.docnum(doc_id)
        if docnum is None:
            return LinkedDocument(doc_id, doc_id, None, None, None, None)
        doc = from_stored(self.searcher.stored_fields(docnum))
        return LinkedDocument(
            doc.id, doc.title, doc.kind, doc.url, doc.published, doc.provider.name
        )

    def similar(self, docnum: int, limit: int) -> list[tuple[int, float]]:
        """More like this: the document's most distinctive title and excerpt words."""
        doc = from_stored(self.searcher.stored_fields(docnum))
        words = self.searcher.key_terms_from_text(
            "excerpt", f"{doc.title} {doc.title} {doc.excerpt} {doc.body}", numterms=12
        )
        if not words:
            return []
        clauses = [
            wq.Term(field, word, boost=weight * boost)
            for word, weight in words
            for field, boost in (("title", 2.0), ("excerpt", 1.0), ("body", 0.5))
        ]
        results = self.searcher.search(wq.Or(clauses), limit=limit + 1)
        return [(h.docnum, float(h.score or 0.0)) for h in results if h.docnum != docnum][:limit]

    def values(self, name: str) -> list[ValueCount]:
        """Every value of a facet ("topics" or "provider") with its document count."""
        counter = FacetCounter(self.columns, Filters())
        docnums = list(self.reader.all_doc_ids())
        _, counts, _ = counter.run(docnums)
        facet = value_facet(name, counts[name], (), limit=10**9)
        return [ValueCount(v.value, v.count) for v in facet.values]


_Lists = tuple["array[int]", "array[float]"]  # a term's postings: document numbers, weights


class _Postings:
    """Whole postings lists (document numbers and weights) of the terms searched lately, read
    a block at a time and kept, least recently used first out, up to POSTINGS_CACHE postings:
    matching and scoring start from them, and common words recur from query to query."""

    def __init__(self) -> None:
        self._lists: OrderedDict[tuple[int, tuple[str, bytes]], _Lists] = OrderedDict()
        self._size = 0

    def get(self, segment: int, reader: Any, term: tuple[str, bytes]) -> _Lists:
        """A term's postings in one segment (`reader`), deleted documents included (the
        FilterMatcher that Whoosh puts above the term leaves them out)."""
        key = (segment, term)
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
            return found
        found = _read_postings(reader, term)
        self._lists[key] = found
        self._size += len(found[0])
        while self._size > POSTINGS_CACHE and len(self._lists) > 1:
            _, (ids, _) = self._lists.popitem(last=False)
            self._size -= len(ids)
        return found


def _read_postings(reader: Any, term: tuple[str, bytes]) -> _Lists:
    """A term's document numbers and weights, from a matcher of its own (the query's matchers
    keep their positions)."""
    leaf = reader.postings(*term)
    if type(leaf) is FilterMatcher:
        leaf = leaf.child
    leaf.reset()
    ids: array[int] = array("I")
    weights: array[float] = array("d")  # what weight() returns, whatever the codec stores
    if type(leaf) is W3LeafMatcher:  # whole blocks at once: Whoosh decodes them so anyway
        while leaf.is_active():
            leaf.id()  # decodes the block's document numbers,
            leaf.weight()  # and its weights
            ids.extend(leaf._ids)
            weights.extend(iter(leaf._weights))  # float32 or float64, widened exactly
            leaf._next_block()
    else:
        while leaf.is_active():
            ids.append(leaf.id())
            weights.append(leaf.weight())
            leaf.next()
    return ids, weights


def _is_leaf(matcher: Any) -> bool:
    """A term's own postings, which _Postings can read and cache."""
    return type(matcher) in (W3LeafMatcher, ListMatcher) and matcher.term() is not None


@dataclass(frozen=True, slots=True)
class _Segment:
    """One segment of the index (its searcher), with the engine's postings cache."""

    postings: _Postings
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
    docs: list[int]  # ascending

    def query(self, query: Any) -> Any:
        kind = type(query)
        if kind is wq.Term:
            return _CutTerm(query, self)
        if kind is wq.Phrase:
            return _CutPhrase(query, self)
        if kind is wq.And or kind is wq.Or:
            cut = copy.copy(query)
            cut.subqueries = [self.query(q) for q in query.subqueries]
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
        term = matcher.term()
        all_ids, all_weights = self.segment.lists(term)
        ids, weights, lo = [], [], 0
        for d in self.docs:
            lo = bisect_left(all_ids, d, lo)
            if lo == len(all_ids):
                break
            if all_ids[lo] == d:
                ids.append(d)
                weights.append(all_weights[lo])
        values = None
        if positions:
            reader = self.segment.searcher.reader()
            found = _at(reader.postings(*term), sorted(positions), lambda m: m.value())
            values = [found.get(d) for d in ids]
        fmt = self.segment.searcher.schema[term[0]].format
        scorer = matcher.scorer if type(matcher) is W3LeafMatcher else matcher._scorer
        return ListMatcher(ids, weights, values, fmt, scorer=scorer, term=term)


class _CutTerm(wq.Term):  # type: ignore[misc]
    """A term whose matcher holds only its postings among the cut's documents."""

    def __init__(self, term: Any, cut: _Cut, positions: set[int] | None = None) -> None:
        super().__init__(term.fieldname, term.text, boost=term.boost, minquality=term.minquality)
        self.cut = cut
        self.positions = positions

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return self.cut.matcher(super().matcher(searcher, context), self.positions)


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
        together = set(self.cut.docs)
        for word in words:
            together.intersection_update(self.cut.segment.lists((self.fieldname, word))[0])
        terms = [_CutTerm(wq.Term(self.fieldname, w), self.cut, together) for w in words]
        matcher = wq.SpanNear2(terms, slop=self.slop, ordered=True, mindist=1).matcher(
            searcher, context
        )
        return WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher


def _at(matcher: Any, docs: list[int], read: Callable[[Any], Any]) -> dict[int, Any]:
    """`read(matcher)` at each of `docs` (ascending) the matcher matches, moving it there with
    skip_to()."""
    out = {}
    for d in docs:
        if matcher.is_active() and matcher.id() < d:
            matcher.skip_to(d)
        if not matcher.is_active():
            break
        if matcher.id() == d:
            out[d] = read(matcher)
    return out


def _word_forms(text: str) -> set[str]:
    return {_stem(w.replace("’", "'")) for w in _WORDS.findall(text.lower())}


# Titles repeat their words: stemming each distinct word once saves most of the re-ranking time.
# The index's stemmer (schema.py: Snowball English from PyStemmer). It never releases the GIL,
# so one stemmer serves every thread.
_stem = lru_cache(maxsize=65_536)(Stemmer.Stemmer("english").stemWord)


def now_utc() -> datetime:
    return datetime.now(UTC)


def make_searcher(ix: Any) -> Any:
    return ix.searcher(weighting=WEIGHTING)


__all__ = ["Engine", "SearchRequest", "Segment", "make_searcher", "now_utc"]
