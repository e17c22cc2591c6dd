"""One shard's side of a search: the stages of Engine.search, split so that a coordinator can
run each on every shard and merge (search.py).

1. `match`: the documents a request's query (its k-th looser fallback, a spelling
   correction, or a fallback less the full matches) matches, filtered; the facet counts and
   dates; the document frequencies of the terms it will score.
2. `rank`: the shard's best `limit` documents, scored with the frequencies summed over every
   shard (statistics.GlobalBM25F), or by date; each with what re-ranking needs.
3. `hits`: the hits of the documents of a page, with their highlights.

Every value in and out is plain data (results.py, filters.py), so a Ray actor can hold one.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq

from ..filters import Filters
from ..options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from ..query import ParsedQuery, QueryParser
from ..records import KIND_CODES
from ..results import Document, Fallback, Hit, LinkedDocument
from ..search import Budget, Engine, spelling
from ..search.expansion import Expansion
from ..search.facets import DayCounts, FacetCounter
from ..search.lookups import SIMILAR_FIELDS, similar_query
from ..whoosh_seam.storage import open_index
from .shardmap import ORDINALS, ShardStats
from .statistics import KEY_FIELD, GlobalBM25F, Term, term_key

Counts = dict[str, Counter[str]]
CACHED_MATCHES = 8  # match sets a shard keeps for the later stages of recent searches


@dataclass(frozen=True, slots=True)
class ShardRequest:
    """A search request as every shard sees it. `stage` None: the query itself; k: its k-th
    looser fallback (ParsedQuery.fallbacks), which has no date clauses. `minus_query`: what
    the stage matches less what the query itself matches (the partial hits of a short
    page). `undated`: the query without its date clauses (what the dates emptied)."""

    text: str
    filters: Filters
    now: datetime
    stage: int | None = None
    minus_query: bool = False
    undated: bool = False


@dataclass(frozen=True, slots=True)
class Matched:
    total: int  # documents passing the filters
    matched: int  # documents the words match, before the filters
    counts: Counts
    dates: DayCounts  # the dates the histogram counts, by day
    frequencies: dict[Term, int]  # document frequencies of the terms the ranking scores
    terms: frozenset[str]  # words to highlight
    fallbacks: tuple[Fallback, ...]  # the names of the query's looser fallbacks


@dataclass(frozen=True, slots=True)
class Candidate:
    """A document of a shard's ranking: its number in the single-index order (ties go by
    it), score, and what re-ranking reads."""

    ordinal: int
    score: float
    docnum: int
    id: str
    title: str
    published: int
    stub: bool


class ShardEngine(Engine):
    """Engine's stages for one shard of a sharded index."""

    def match(self, parsed: ParsedQuery, req: ShardRequest) -> tuple[Matched, Sequence[int]]:
        expansion = self._expansion(parsed)
        expansion.check(parsed.query)
        query, date_range = _stage(parsed, req)
        matched = self._matches(query, date_range, expansion, Budget(None))
        allowed, counts, dates = self._filter(matched, req.filters)
        if req.minus_query:
            full = self._matches(parsed.query, parsed.date_range, expansion, Budget(None))
            full_allowed = {int(d) for d in self._filter(full, req.filters)[0]}
            allowed = [int(d) for d in allowed if int(d) not in full_allowed]
        frequencies = {
            term: self.reader.doc_frequency(*term)
            for term in self._scored_terms(_scored(query, parsed), expansion)
        }
        found = Matched(
            total=len(allowed),
            matched=len(matched),
            counts={k: Counter(v) for k, v in counts.items()},
            dates=DayCounts.of(dates),
            frequencies=frequencies,
            terms=self._highlight_terms(query, parsed, expansion),
            fallbacks=tuple(name for name, _ in parsed.fallbacks()) if req.stage is None else (),
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
        query, _ = _stage(parsed, req)
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
        return self.candidates(pairs, ordinals)

    def candidates(self, pairs: list[tuple[int, float]], ordinals: Any) -> list[Candidate]:
        """The (document number, score) pairs of a ranking as Candidates."""
        stored, kinds = self.searcher.stored_fields, self.columns.kinds
        related, published = KIND_CODES["related"], self.columns.published
        return [
            Candidate(
                int(ordinals[d]),
                s,
                int(d),
                stored(d)["id"],
                self._title(d),
                int(published(d)),
                bool(kinds[d] == related),
            )
            for d, s in pairs
        ]


def _stage(parsed: ParsedQuery, req: ShardRequest) -> tuple[Any, Any]:
    if req.stage is not None:
        return parsed.fallbacks()[req.stage][1], None
    return parsed.query, None if req.undated else parsed.date_range


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
        self._matches: OrderedDict[ShardRequest, Sequence[int]] = OrderedDict()
        self._values: dict[str, Counter[str]] | None = None

    def _parse(self, req: ShardRequest) -> ParsedQuery:
        parsed = self.parser.parse(req.text, now=req.now)
        return replace(parsed, date_range=None) if req.undated else parsed

    def match(self, req: ShardRequest) -> Matched:
        found, allowed = self.engine.match(self._parse(req), req)
        self._matches[req] = allowed
        while len(self._matches) > CACHED_MATCHES:
            self._matches.popitem(last=False)
        return found

    def rank(
        self, req: ShardRequest, sort: str, limit: int, frequencies: dict[Term, int]
    ) -> list[Candidate]:
        parsed = self._parse(req)
        allowed = self._matches.get(req)
        if allowed is None:  # a restarted actor: match again
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

    def frequencies(self, text: str, now: datetime) -> dict[Term, int]:
        """The document frequencies in this shard of the terms a query searches."""
        terms = self.engine.query_terms(self.parser.parse(text, now=now))
        return {term: self.engine.reader.doc_frequency(*term) for term in terms}

    def term_scores(
        self, text: str, now: datetime, doc_id: str, frequencies: dict[Term, int]
    ) -> list[tuple[str, str, float]]:
        """Engine.term_scores of document `doc_id`, scored with global `frequencies`."""
        docnum = self.engine.documents.docnum(doc_id)
        if docnum is None:
            return []
        self.weighting.use(frequencies)
        try:
            return self.engine.term_scores(self.parser.parse(text, now=now), docnum)
        finally:
            self.weighting.use({})

    def word_frequencies(self, words: list[str]) -> dict[str, int]:
        """How many documents of this shard hold each word (did-you-mean)."""
        reader = self.engine.reader
        return {w: reader.doc_frequency("words", spelling.fold(w)) for w in words}

    def spelling_candidates(self, words: list[str]) -> dict[str, dict[str, int]]:
        """For each unknown word, this shard's words close to it, with their frequencies."""
        return {w: spelling.candidates(self.engine.reader, w) for w in words}

    def word_statistics(self, words: list[str]) -> tuple[dict[str, int], dict[Term, int]]:
        """For more like this: each word's frequency in KEY_FIELD, and the document
        frequency of each word in each field the similar query searches."""
        reader = self.engine.reader
        frequencies = {w: reader.frequency(KEY_FIELD, w) for w in words if (KEY_FIELD, w) in reader}
        counts = {(f, w): reader.doc_frequency(f, w) for w in words for f, _ in SIMILAR_FIELDS}
        return frequencies, counts

    def similar(
        self, words: list[tuple[str, float]], limit: int, frequencies: dict[Term, int]
    ) -> list[Candidate]:
        """This shard's best `limit` documents for the key terms `words` (lookups.similar),
        scored with global `frequencies`."""
        engine = self.engine
        self.weighting.use(frequencies)
        try:
            results = engine.searcher.search(similar_query(words), limit=limit)
            pairs = [(h.docnum, float(h.score or 0.0)) for h in results]
        finally:
            self.weighting.use({})
        return engine.candidates(pairs, self.ordinals)

    def get(self, doc_id: str) -> Document | None:
        documents = self.engine.documents
        docnum = documents.docnum(doc_id)
        return None if docnum is None else documents.document(docnum)

    def linked(self, doc_ids: list[str]) -> dict[str, LinkedDocument]:
        """The documents of `doc_ids` this shard holds, as links."""
        documents = self.engine.documents
        return {i: documents.linked(i) for i in doc_ids if documents.docnum(i) is not None}

    def value_counts(self) -> dict[str, Counter[str]]:
        """Every value of the facets with its document count: counted once, as a single
        index counts them once per generation (a shard's folder never changes)."""
        if self._values is None:
            engine = self.engine
            counter = FacetCounter(engine.columns, Filters(), vector_min=engine.vector_min)
            _, counts, _ = counter.run(engine.columns.live())
            self._values = {name: Counter(counts[name]) for name in ("topics", "provider", "kind")}
        return self._values

    def date_span(self) -> tuple[int, int] | None:
        """The first and last publication dates (Whoosh longs) of this shard's documents."""
        return self.engine.columns.date_span()

    def ping(self) -> int:
        return int(self.engine.reader.doc_count())


__all__ = ["Candidate", "Matched", "Shard", "ShardRequest"]
