"""One shard's side of a search: the stages of Engine.search, split so that a coordinator can
run each on every shard and merge (coordinator.py).

1. `match`: the documents a request's query (or its k-th looser fallback) matches, filtered;
   the facet counts and dates; the document frequencies of the terms it will score.
2. `rank`: the shard's best `limit` documents, scored with the frequencies summed over every
   shard (statistics.GlobalBM25F), or by date; each with what re-ranking needs.
3. `hits`: the hits of the documents of a page, with their highlights.

Every value in and out is plain data (results.py, filters.py), so a Ray actor can hold one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq

from ..filters import Filters
from ..options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from ..query import ParsedQuery, QueryParser
from ..results import Document, Hit, LinkedDocument
from ..search import Budget, Engine
from ..search.expansion import Expansion
from ..search.facets import FacetCounter
from ..whoosh_seam.storage import open_index
from .shardmap import ORDINALS, ShardStats
from .statistics import GlobalBM25F, Term, term_key

Counts = dict[str, Counter[str]]


@dataclass(frozen=True, slots=True)
class ShardRequest:
    """A search request as every shard sees it: `stage` None for the query itself, k for its
    k-th looser fallback (ParsedQuery.fallbacks)."""

    text: str
    filters: Filters
    now: datetime
    stage: int | None = None


@dataclass(frozen=True, slots=True)
class Matched:
    total: int  # documents passing the filters
    matched: int  # documents the words match, before the filters
    counts: Counts
    dates: Any  # Whoosh longs of the documents the date histogram counts (list or array)
    frequencies: dict[Term, int]  # document frequencies of the terms the ranking scores
    terms: frozenset[str]  # words to highlight
    fallbacks: int  # how many looser fallbacks the query has


@dataclass(frozen=True, slots=True)
class Candidate:
    """A document of a shard's ranking: its number in the single-index order (ties go by
    it), score, and what re-ranking reads."""

    ordinal: int
    score: float
    docnum: int
    title: str
    published: int


class ShardEngine(Engine):
    """Engine's stages for one shard of a sharded index."""

    def match(self, parsed: ParsedQuery, req: ShardRequest) -> tuple[Matched, Sequence[int]]:
        expansion = self._expansion(parsed)
        expansion.check(parsed.query)
        query, date_range = _stage(parsed, req.stage)
        matched = self._matches(query, date_range, expansion, Budget(None))
        allowed, counts, dates = self._filter(matched, req.filters)
        frequencies = {
            term: self.reader.doc_frequency(*term)
            for term in self._scored_terms(_scored(query, parsed), expansion)
        }
        found = Matched(
            total=len(allowed),
            matched=len(matched),
            counts={k: Counter(v) for k, v in counts.items()},
            dates=dates,
            frequencies=frequencies,
            terms=self._highlight_terms(query, parsed, expansion),
            fallbacks=len(parsed.fallbacks()) if req.stage is None else 0,
        )
        return found, allowed

    def _scored_terms(self, query: Any, expansion: Expansion) -> set[Term]:
        found: set[Term] = set()
        for leaf in query.leaves():
            words = expansion.words(leaf)
            if words is None:
                terms = leaf.existing_terms(self.reader, expand=True)
                found |= {term_key(f, t) for f, t in terms}
            else:
                found |= {(leaf.fieldname, w) for w in words}
        return found

    def ranked(
        self,
        parsed: ParsedQuery,
        req: ShardRequest,
        allowed: Sequence[int],
        sort: str,
        limit: int,
        ordinals: Any,
    ) -> list[Candidate]:
        """The shard's best `limit` documents by `sort`, before re-ranking."""
        if not len(allowed):
            return []
        query, _ = _stage(parsed, req.stage)
        published = self.columns.published
        if (parsed.match_all or not parsed.terms) and sort in ("relevance", "recent-relevance"):
            sort = "newest"
        if sort in ("newest", "oldest"):
            dated = [(int(d), published(int(d))) for d in allowed]
            if sort == "newest":
                dated.sort(key=lambda x: (-x[1], ordinals[x[0]]))
            else:
                dated.sort(key=lambda x: (x[1] == 0, x[1], ordinals[x[0]]))
            pairs = [(d, 0.0) for d, _ in dated[:limit]]
        else:
            expansion = self._expansion(parsed)
            scored = _scored(query, parsed)
            ranked = self._scored(scored, allowed, limit, expansion, Budget(None))
            if ranked is None:
                results = self.searcher.search(
                    scored, filter={int(d) for d in allowed}, limit=limit
                )
                ranked = [(hit.docnum, float(hit.score or 0.0)) for hit in results]
            if len(ranked) < min(limit, len(allowed)):
                seen = {d for d, _ in ranked}
                ranked += [(int(d), 0.0) for d in allowed if d not in seen][: limit - len(ranked)]
            pairs = ranked
        return [
            Candidate(int(ordinals[d]), s, int(d), self._title(d), int(published(d)))
            for d, s in pairs
        ]


def _stage(parsed: ParsedQuery, stage: int | None) -> tuple[Any, Any]:
    if stage is None:
        return parsed.query, parsed.date_range
    return parsed.fallbacks()[stage], None


def _scored(query: Any, parsed: ParsedQuery) -> Any:
    if parsed.title_phrase is not None:
        return wq.AndMaybe(query, parsed.title_phrase)
    return query


class Shard:
    """A shard opened for searching: what a shard actor holds (coordinator.py). Opening it
    is all a restarted actor needs: the shard on disk is the whole state."""

    def __init__(
        self, store: str | Path, stats: ShardStats, options: SearchOptions = DEFAULT_SEARCH_OPTIONS
    ) -> None:
        self.store = Path(store)
        ix = open_index(self.store)
        self.weighting = GlobalBM25F(stats)
        self.engine = ShardEngine(ix.searcher(weighting=self.weighting), ix.schema, options=options)
        self.parser = QueryParser(ix.schema)
        self.ordinals = np.load(self.store / ORDINALS)
        self._last: tuple[Any, Sequence[int]] | None = None

    def _allowed(self, req: ShardRequest) -> tuple[ParsedQuery, Matched, Sequence[int]]:
        parsed = self.parser.parse(req.text, now=req.now)
        key = repr(req)
        found, allowed = self.engine.match(parsed, req)
        self._last = (key, allowed)
        return parsed, found, allowed

    def match(self, req: ShardRequest) -> Matched:
        return self._allowed(req)[1]

    def rank(
        self, req: ShardRequest, sort: str, limit: int, frequencies: dict[Term, int]
    ) -> list[Candidate]:
        parsed = self.parser.parse(req.text, now=req.now)
        if self._last is not None and self._last[0] == repr(req):
            allowed = self._last[1]
        else:
            allowed = self.engine.match(parsed, req)[1]
        self.weighting.use(frequencies)
        try:
            return self.engine.ranked(parsed, req, allowed, sort, limit, self.ordinals)
        finally:
            self.weighting.use({})

    def hits(self, wanted: list[tuple[int, int, float]], terms: frozenset[str]) -> list[Hit]:
        """The hits (rank, document number, score) of a page, highlighted with `terms`."""
        return [self.engine.hit(rank, d, score, terms) for rank, d, score in wanted]

    def cited_by(self, doc_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
        """This shard's articles that cite each of `doc_ids`: (ordinal, id) pairs."""
        documents, stored = self.engine.documents, self.engine.searcher.stored_fields
        return {
            i: [(int(self.ordinals[d]), stored(d)["id"]) for d in documents.citing(i)]
            for i in doc_ids
        }

    def query_terms(self, text: str, now: datetime) -> set[tuple[str, str]]:
        """The (field, word) pairs of this shard a query searches (Engine.query_terms)."""
        return self.engine.query_terms(self.parser.parse(text, now=now))

    def get(self, doc_id: str) -> Document | None:
        documents = self.engine.documents
        docnum = documents.docnum(doc_id)
        return None if docnum is None else documents.document(docnum)

    def linked(self, doc_ids: list[str]) -> dict[str, LinkedDocument]:
        """The documents of `doc_ids` this shard holds, as links."""
        documents = self.engine.documents
        return {i: documents.linked(i) for i in doc_ids if documents.docnum(i) is not None}

    def value_counts(self, name: str) -> Counter[str]:
        """Every value of facet `name` ("topics" or "provider") with its document count."""
        engine = self.engine
        counter = FacetCounter(engine.columns, Filters(), vector_min=engine.vector_min)
        _, counts, _ = counter.run(engine.columns.live())
        return Counter(counts[name])

    def ping(self) -> int:
        return int(self.engine.reader.doc_count())


__all__ = ["Candidate", "Matched", "Shard", "ShardRequest"]
