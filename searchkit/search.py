"""Run a parsed query on a Whoosh searcher: filters, facets, ranking, highlights, suggestions.

Everything returned is a plain value from results.py; no Whoosh object escapes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from whoosh import query as wq
from whoosh.lang import porter2
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
        for fallback in parsed.fallbacks if not matched and not showing else ():
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
        docnums = sorted(self.searcher.docs_for_query(query))
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

    def _filter(self, docnums: list[int], filters: Filters) -> tuple[list[int], Any, list[int]]:
        provider_docs = None
        if filters.providers:  # by name or by domain
            values = [v.lower() for v in filters.providers]
            provider_docs = set(
                self.searcher.docs_for_query(
                    wq.Or([wq.Term(f, v) for v in values for f in ("provider", "domain")])
                )
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


def _word_forms(text: str) -> set[str]:
    return {porter2.stem(w.replace("’", "'")) for w in _WORDS.findall(text.lower())}


def now_utc() -> datetime:
    return datetime.now(UTC)


def make_searcher(ix: Any) -> Any:
    return ix.searcher(weighting=WEIGHTING)


__all__ = ["Engine", "SearchRequest", "Segment", "make_searcher", "now_utc"]
