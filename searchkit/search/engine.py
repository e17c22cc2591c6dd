"""Run a parsed query on one index generation, stage by stage: match (whoosh_seam.matching),
filter and count facets (facets.py), rank (ranking.py), then page the hits with their
highlights (highlight.py); suggest spellings (spelling.py) when little matches.

Everything returned is a plain value from results.py; no Whoosh object escapes.
"""

from __future__ import annotations

import dataclasses
import heapq
import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from whoosh import query as wq

from ..dates import DateRange
from ..errors import QueryError
from ..filters import Filters
from ..options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from ..query import ParsedQuery
from ..records import KIND_CODES
from ..results import Facet, Fallback, Hit, Match, SearchResults, Sort, Suggestion, ValueCount
from ..whoosh_seam.expansion import Vocabularies
from ..whoosh_seam.matching import (
    PostingsCache,
    segment_match_array,
    segment_matches,
    segment_scores,
)
from ..whoosh_seam.terms import remember_terms
from . import highlight, spelling
from .budget import Budget
from .columns import FacetColumns
from .expansion import Expansion
from .facets import FacetCounter, date_facet, from_long, to_long, value_facet
from .lookups import Documents
from .ranking import (
    RECENCY_POOL,
    RERANK_POOL,
    WEIGHTING,
    articles_over_their_stubs,
    by_recency,
    by_title_coverage,
)

SUGGEST_BELOW = 3  # offer a correction when a query finds fewer documents than this


@dataclass(frozen=True, slots=True)
class SearchRequest:
    parsed: ParsedQuery
    filters: Filters
    sort: Sort
    page: int
    per_page: int
    facets: bool
    facet_limit: int
    # "most": a last page short of full matches is filled with documents that have most of
    # the words (plain words only), marked match="partial"; "all": full matches only.
    match: Match = "most"


class Engine:
    """One Whoosh searcher (one index generation) and what has been read from it."""

    def __init__(
        self,
        searcher: Any,
        schema: Any,
        *,
        options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
    ) -> None:
        self.searcher = searcher
        remember_terms(searcher, options.term_cache)
        self.reader = searcher.reader()
        self.schema = schema
        self.analyzer = schema["title"].analyzer
        self.columns = FacetColumns(self.reader)
        self._postings = PostingsCache(options.postings_cache)
        self._vocabularies = Vocabularies()  # for fuzzy words
        self.documents = Documents(searcher)
        # A large index is searched with arrays throughout; a small one where a set is large.
        if self.reader.doc_count_all() >= options.vector_index_min:
            self.vector_min = 0
        else:
            self.vector_min = options.vector_min

    def close(self) -> None:
        self.searcher.close()

    # --- search ----------------------------------------------------------------------

    def search(
        self, req: SearchRequest, *, parse_again: Any = None, budget: Budget | None = None
    ) -> SearchResults:
        """Run a request. When nothing matches every word, the search falls back in turn to
        the spelling-corrected query (`corrected`), to all words but one, then to any word
        (`fallback`).
        Raises QueryLimitError when the query's patterns expand past limits.MAX_CLAUSES;
        once the `budget` is spent, the stages left are cut short (`partial` says which)."""
        started = time.perf_counter()
        budget = budget or Budget(None)
        parsed = req.parsed
        expansion = self._expansion(parsed)
        expansion.check(parsed.query)
        matched = self._matches(parsed.query, parsed.date_range, expansion, budget)
        allowed, counts, dates = self._filter(matched, req.filters)
        query, suggestion = parsed.query, None
        fallback: Fallback | None = None
        corrected_text: str | None = None
        if (
            len(allowed) < SUGGEST_BELOW
            and not parsed.match_all
            and parse_again is not None
            and not budget.spent("spelling corrections were tried")
        ):
            corrected = self._correction(parsed.text, parse_again, expansion)
            if corrected is not None:
                found = self._filtered(
                    corrected.query, req.filters, corrected.date_range, expansion, budget
                )
                if len(found[0]) > len(allowed):
                    suggestion = Suggestion(corrected.text, len(found[0]))
                    if not len(allowed):
                        parsed, (allowed, counts, dates) = corrected, found
                        query, corrected_text = corrected.query, corrected.text
        # Relax the words only when they match nothing at all: when filters exclude every
        # match, an empty page that says so beats documents that lack the words.
        for name, looser in parsed.fallbacks() if not len(matched) and not corrected_text else ():
            if budget.spent("looser matches were tried"):
                break
            allowed, counts, dates = self._filtered(looser, req.filters, None, expansion, budget)
            if len(allowed):
                query, fallback = looser, name
                break
        ranked = self._rank(query, parsed, allowed, req, expansion, budget)
        start = (req.page - 1) * req.per_page
        terms = self._highlight_terms(query, parsed, expansion)
        hits = tuple(
            self.hit(start + i + 1, docnum, score, terms)
            for i, (docnum, score) in enumerate(ranked[start : start + req.per_page])
        )
        if (
            req.match == "most"
            and fallback is None
            and corrected_text is None
            and start < len(allowed) < start + req.per_page
            and req.sort in ("relevance", "recent-relevance")
            and not budget.spent("documents with some of the words were not added")
        ):
            hits += self._partial_hits(parsed, req, allowed, start + len(hits), expansion, budget)
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
            corrected=corrected_text,
            fallback=fallback,
            parsed=str(query),
            partial=budget.reason,
        )

    def _partial_hits(
        self,
        parsed: ParsedQuery,
        req: SearchRequest,
        allowed: Sequence[int],
        ranked_so_far: int,
        expansion: Expansion,
        budget: Budget,
    ) -> tuple[Hit, ...]:
        """Hits for the rest of a last page short of full matches: the best documents that
        have all the words but one (queries of three words or more), passing the filters,
        after the full matches; marked match="partial"."""
        room = req.page * req.per_page - ranked_so_far
        fallbacks = parsed.fallbacks()
        if room <= 0 or not fallbacks or fallbacks[0][0] != "drop-one":
            return ()  # two words: one of them is not "most of them"
        _name, looser = fallbacks[0]
        found, _counts, _dates = self._filtered(looser, req.filters, None, expansion, budget)
        full = set(int(d) for d in allowed)
        rest = [int(d) for d in found if int(d) not in full]
        if not rest:
            return ()
        fill = SearchRequest(parsed, req.filters, req.sort, 1, room, False, 1, "all")
        ranked = self._rank(looser, parsed, rest, fill, expansion, budget)[:room]
        terms = self._highlight_terms(looser, parsed, expansion)
        return tuple(
            dataclasses.replace(self.hit(ranked_so_far + i + 1, d, s, terms), match="partial")
            for i, (d, s) in enumerate(ranked)
        )

    @staticmethod
    def _facets(req: SearchRequest, counts: Any, dates: Sequence[int]) -> dict[str, Facet]:
        f = req.filters
        return {
            "topics": value_facet("topics", counts["topics"], f.topics, req.facet_limit),
            "providers": value_facet("providers", counts["provider"], f.providers, req.facet_limit),
            "kind": value_facet("kind", counts["kind"], [f.kind] if f.kind else [], 10),
            "published": date_facet(dates),
        }

    def date_span(self) -> tuple[datetime, datetime] | None:
        """The first and last publication dates of the index (None: nothing is dated)."""
        span = self.columns.date_span()
        if span is None:
            return None
        first, last = from_long(span[0]), from_long(span[1])
        return (first, last) if first is not None and last is not None else None

    def _expansion(self, parsed: ParsedQuery) -> Expansion:
        return Expansion(
            self.searcher,
            parsed.text,
            dates=self.columns.all_published,
            vocabularies=self._vocabularies,
        )

    def _filtered(
        self,
        query: Any,
        filters: Filters,
        date_range: DateRange | None,
        expansion: Expansion,
        budget: Budget,
    ) -> tuple[Sequence[int], Any, Sequence[int]]:
        return self._filter(self._matches(query, date_range, expansion, budget), filters)

    def _matches(
        self, query: Any, date_range: DateRange | None, expansion: Expansion, budget: Budget
    ) -> Sequence[int]:
        """The documents a query matches, before drill-down filters."""
        docnums = self._docs(query, expansion, budget)
        if date_range is not None:
            start, end = to_long(date_range.start), to_long(date_range.end)
            if len(docnums) >= self.vector_min:
                from .vectors import in_range

                return in_range(self.columns, docnums, start, end)  # type: ignore[no-any-return]
            published = self.columns.published
            docnums = [
                d
                for d in docnums
                if (p := published(d))
                and (start is None or p >= start)
                and (end is None or p < end)
            ]
        return docnums

    def _docs(
        self, query: Any, expansion: Expansion | None = None, budget: Budget | None = None
    ) -> Sequence[int]:
        """The documents a query matches, in order: what `docs_for_query` returns (from the
        segments searched before the budget ran out). An array in an index searched with
        arrays throughout."""
        parts: list[Any] = []
        for number, (searcher, offset) in enumerate(self.searcher.leaf_searchers()):
            if number and budget is not None and budget.spent("every segment was searched"):
                break
            segment_query = expansion.segment(number, query) if expansion else query
            if self.vector_min == 0:
                parts.append(segment_match_array(self._postings, number, searcher, segment_query))
                parts[-1] += offset
            else:
                found = segment_matches(self._postings, number, searcher, segment_query)
                parts.append(sorted(d + offset for d in found))
        if self.vector_min == 0:
            from .vectors import joined

            joined_parts: Sequence[int] = joined(parts)
            return joined_parts
        return [d for part in parts for d in part]

    def _scored(
        self,
        query: Any,
        allowed: Sequence[int],
        limit: int,
        expansion: Expansion | None = None,
        budget: Budget | None = None,
    ) -> list[tuple[int, float]] | None:
        """The `limit` best of the allowed documents by Whoosh's score for the query, best
        first, ties in document order: Whoosh's top-N search with `filter=allowed`, scoring the
        allowed documents only. (Whoosh's own search, which swaps in cheaper matchers midway,
        can now and then drop a document.) None when a score is not positive: Whoosh's search
        treats those specially, so it had better rank them itself."""
        context = self.searcher.context()
        scores: list[tuple[float, int]] = []
        leaves = self.searcher.leaf_searchers()
        ends = [offset for _, offset in leaves[1:]] + [self.reader.doc_count_all()]
        if len(allowed) >= self.vector_min:
            from .vectors import top_scored

            def segment_query(number: int) -> Any:
                return expansion.segment(number, query) if expansion else query

            def more(number: int) -> bool:
                return budget is None or not budget.spent("every match was scored")

            return top_scored(
                self._postings, leaves, ends, segment_query, more, allowed, limit, context
            )
        for number, ((searcher, offset), end) in enumerate(zip(leaves, ends, strict=True)):
            docs = allowed[bisect_left(allowed, offset) : bisect_left(allowed, end)]
            if not len(docs):
                continue
            if scores and budget is not None and budget.spent("every match was scored"):
                break  # the unscored matches follow the scored ones, in order (see _rank)
            local = [int(d) - offset for d in docs]
            segment_query = expansion.segment(number, query) if expansion else query
            found = segment_scores(self._postings, number, searcher, segment_query, local, context)
            scores.extend((-score, d + offset) for d, score in found.items())
        if any(not neg < 0 for neg, _ in scores):
            return None
        return [(d, -neg) for neg, d in heapq.nsmallest(limit, scores)]

    def _filter(
        self, docnums: Sequence[int], filters: Filters
    ) -> tuple[Sequence[int], Any, Sequence[int]]:
        provider_docs: Sequence[int] | None = None
        if filters.providers:  # by name or by domain
            values = [v.lower() for v in filters.providers]
            provider_docs = self._docs(
                wq.Or([wq.Term(f, v) for v in values for f in ("provider", "domain")])
            )
        counter = FacetCounter(self.columns, filters, provider_docs, vector_min=self.vector_min)
        return counter.run(docnums)

    def _rank(
        self,
        query: Any,
        parsed: ParsedQuery,
        allowed: Sequence[int],
        req: SearchRequest,
        expansion: Expansion,
        budget: Budget,
    ) -> list[tuple[int, float]]:
        sort = req.sort
        if not len(allowed):
            return []  # (Whoosh reads an empty filter set as no filter at all)
        if (parsed.match_all or not parsed.terms) and sort in ("relevance", "recent-relevance"):
            sort = "newest"  # nothing to score (browsing, or only field filters such as topic:)
        if sort in ("newest", "oldest"):
            if len(allowed) >= self.vector_min:
                from .vectors import by_date

                return [(d, 0.0) for d in by_date(self.columns, allowed, newest=sort == "newest")]
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
        ranked = self._scored(scored, allowed, limit, expansion, budget)
        if ranked is None:
            results = self.searcher.search(scored, filter={int(d) for d in allowed}, limit=limit)
            ranked = [(hit.docnum, float(hit.score or 0.0)) for hit in results]
        if len(ranked) < min(limit, len(allowed)):
            # Whoosh's scoring matchers can disagree with its docs() for odd queries (a NOT of
            # "*"); the match set counted is the truth, so unscored matches follow in order.
            seen = {d for d, _ in ranked}
            ranked += [(int(d), 0.0) for d in allowed if d not in seen][: limit - len(ranked)]
        top, rest = ranked[:head], ranked[head:]
        if parsed.title_phrase is not None:
            top = by_title_coverage(top, parsed.text, self._title)
        kinds, related = self.columns.kinds, KIND_CODES["related"]
        top = articles_over_their_stubs(
            top,
            lambda d: kinds[d] == related,
            lambda d: self.documents.citing(self.documents.stored(d).id),
        )
        if sort == "recent-relevance":
            published = self.columns.published
            top = by_recency(top, lambda d: from_long(published(d)))
        return top + rest

    def _title(self, docnum: int) -> str:
        title: str = self.searcher.stored_fields(docnum).get("title", "")
        return title

    def _highlight_terms(
        self, query: Any, parsed: ParsedQuery, expansion: Expansion
    ) -> frozenset[str]:
        terms = set(parsed.terms)
        for leaf in query.leaves():
            if leaf.field() not in ("title", "excerpt", "body"):
                continue
            words = expansion.words(leaf)  # a wildcard or fuzzy word: the words it matched
            terms |= _texts(leaf.expanded_terms(self.reader)) if words is None else words
        return frozenset(terms)

    def hit(self, rank: int, docnum: int, score: float, terms: frozenset[str]) -> Hit:
        """The hit at `rank` of a ranking: document `docnum`, its `score`, the query's
        `terms` highlighted in its title and snippet."""
        doc = self.documents.stored(docnum)
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
            title_spans=highlight.segments(doc.title, terms, self.analyzer),
            snippet_spans=snippet,
            path=doc.path,
            cited_by=self.documents.cited_by_count(doc.id),
            links=len(doc.links),
        )

    def _correction(self, text: str, parse_again: Any, expansion: Expansion) -> ParsedQuery | None:
        """The query with unknown words replaced from the index's vocabulary, parsed."""
        corrected = spelling.correct_text(self.reader, text)
        if corrected is None or corrected == text:
            return None
        try:
            parsed: ParsedQuery = parse_again(corrected)
            expansion.check(parsed.query)
        except QueryError:  # a correction that does not parse, or goes past a cap: none
            return None
        return parsed

    def query_terms(self, parsed: ParsedQuery) -> set[tuple[str, str]]:
        """The (field, word) pairs of the index a parsed query searches, its patterns
        expanded into the words they match."""
        expansion = self._expansion(parsed)
        expansion.check(parsed.query)
        found: set[tuple[str, str]] = set()
        for leaf in parsed.query.leaves():
            words = expansion.words(leaf)
            if words is None:
                found |= {(f, t) for f, t in _pairs(leaf.existing_terms(self.reader))}
            else:
                found |= {(leaf.fieldname, word) for word in words}
        return found

    def term_scores(self, parsed: ParsedQuery, docnum: int) -> list[tuple[str, str, float]]:
        """(field, word, score) for each word of the query that document `docnum` holds in a
        scored field, its patterns expanded; the score is the word's BM25F score in that
        field, with the clause's boost, as the ranking adds it up."""
        expansion = self._expansion(parsed)
        expansion.check(parsed.query)
        found: dict[tuple[str, str], float] = {}
        context = self.searcher.context()
        for leaf in parsed.query.leaves():
            words = expansion.words(leaf)
            pairs = (
                _pairs(leaf.existing_terms(self.reader))
                if words is None
                else [(leaf.fieldname, w) for w in words]
            )
            for field, word in pairs:
                if (field, word) in found or not self.schema[field].scorable:
                    continue
                matcher = wq.Term(field, word, boost=leaf.boost).matcher(self.searcher, context)
                if matcher.is_active():
                    matcher.skip_to(docnum)
                if matcher.is_active() and matcher.id() == docnum:
                    found[(field, word)] = float(matcher.score())
        return [(field, word, score) for (field, word), score in found.items()]

    def values(self, name: str) -> list[ValueCount]:
        """Every value of a facet ("topics" or "provider") with its document count."""
        return self.all_values()[name]

    def all_values(self) -> dict[str, list[ValueCount]]:
        """Every topic and every provider with its document count, counted in one pass."""
        counter = FacetCounter(self.columns, Filters(), vector_min=self.vector_min)
        live = self.columns.live(arrays=self.columns.size >= self.vector_min)
        _, counts, _ = counter.run(live, dates=False)
        found = {}
        for name in ("topics", "provider"):
            facet = value_facet(name, counts[name], (), limit=10**9)
            found[name] = [ValueCount(v.value, v.count) for v in facet.values]
        return found


def _pairs(terms: Any) -> list[tuple[str, str]]:
    """Whoosh's (field, text) term pairs, with text as text (Whoosh gives bytes or str)."""
    return [(f, t.decode("utf-8") if isinstance(t, bytes) else str(t)) for f, t in terms]


def _texts(terms: Any) -> set[str]:
    return {text for _, text in _pairs(terms)}


def now_utc() -> datetime:
    return datetime.now(UTC)


def make_searcher(ix: Any) -> Any:
    """A searcher of the Whoosh index `ix`, scoring with searchkit's BM25F."""
    return ix.searcher(weighting=WEIGHTING)
