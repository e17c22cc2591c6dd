"""A search over every shard, stage by stage, as Engine.search runs it on one index.

Each stage is scattered to the shards and gathered (shard.py), and merged (merge.py): the
matches, facet counts and term frequencies; a spelling correction when little matches; the
looser fallbacks when nothing does; the ranking, scored with the summed frequencies; the
page's hits; the partial hits that fill a short last page. A shard that does not answer a
stage is left out of it and of the stages after it, and named in `partial`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import QueryError
from ..query import ParsedQuery
from ..results import Fallback, Hit, SearchResults, Suggestion
from ..search import Budget, spelling
from ..search.engine import SUGGEST_BELOW, SearchRequest
from .merge import facets, merge_ranking, merged, partial_reason, ranking_limit
from .shard import Candidate, Matched, ShardRequest


class Shards(Protocol):
    """How a search reaches the shards (coordinator.ClusterIndex)."""

    def scatter(
        self, method: str, args: tuple[Any, ...], *, only: Iterable[int] | None = None
    ) -> tuple[dict[int, Any], set[int]]: ...

    def gather(
        self, calls: dict[int, tuple[str, tuple[Any, ...]]]
    ) -> tuple[dict[int, Any], set[int]]: ...

    def parse(self, text: str, now: Any) -> ParsedQuery: ...


@dataclass
class _Run:
    """One search's state: the shards still answering, and those that stopped."""

    shards: Shards
    live: list[int]
    missing: set[int] = field(default_factory=set)

    def match(self, request: ShardRequest) -> tuple[Matched, dict[int, Matched]]:
        answers, missing = self.shards.scatter("match", (request,), only=self.live)
        self.lose(missing)
        return merged(answers), answers

    def scatter(self, method: str, args: tuple[Any, ...]) -> dict[int, Any]:
        answers, missing = self.shards.scatter(method, args, only=self.live)
        self.lose(missing)
        return answers

    def lose(self, missing: set[int]) -> None:
        self.missing |= missing
        self.live = [n for n in self.live if n not in missing]


def search(
    shards: Shards,
    count: int,
    req: SearchRequest,
    request: ShardRequest,
    budget: Budget | None = None,
) -> SearchResults:
    """Engine.search over `count` shards; `req.parsed` parsed from `request.text`. Once
    `budget` is spent, the stages a single index would skip are skipped, as there, and
    `partial` says which."""
    budget = budget or Budget(None)
    started = time.perf_counter()
    run = _Run(shards, list(range(count)))
    parsed = req.parsed
    found, parts = run.match(request)
    matched = found.matched
    suggestion: Suggestion | None = None
    corrected: str | None = None
    if (
        found.total < SUGGEST_BELOW
        and not parsed.match_all
        and not budget.spent("spelling corrections were tried")
    ):
        text = _correction(run, parsed.text)
        better = _parsed(shards, text, request) if text is not None else None
        if better is not None and text is not None:
            looser = dataclasses.replace(request, text=text)
            try:
                other, other_parts = run.match(looser)
            except QueryError:  # a correction past a cap of searchkit.limits: none
                other = None
            if other is not None and other.total > found.total:
                suggestion = Suggestion(text, other.total)
                if not found.total:
                    parsed, found, parts, request, corrected = (
                        better,
                        other,
                        other_parts,
                        looser,
                        text,
                    )
    fallback: Fallback | None = None
    if not matched and corrected is None:
        for stage, name in enumerate(found.fallbacks):
            if budget.spent("looser matches were tried"):
                break
            found, parts = run.match(dataclasses.replace(request, stage=stage))
            if found.total:
                request, fallback = dataclasses.replace(request, stage=stage), name
                break
    ranked, candidates = _rank(run, parsed, request, found, req.sort, req.page, req.per_page)
    start = (req.page - 1) * req.per_page
    hits = _hits(run, ranked[start : start + req.per_page], candidates, found.terms, start)
    if (
        req.match == "most"
        and fallback is None
        and corrected is None
        and start < found.total < start + req.per_page
        and req.sort in ("relevance", "recent-relevance")
        and found.fallbacks[:1] == ("drop-one",)
        and not budget.spent("documents with some of the words were not added")
    ):
        room = req.page * req.per_page - (start + len(hits))
        hits += _partial_hits(run, parsed, request, req, start + len(hits), room)
    if run.missing & set(parts):
        # A shard that answered the first stage and then stopped: count the others only.
        found = merged({n: part for n, part in parts.items() if n not in run.missing})
    query = parsed.query if request.stage is None else parsed.fallbacks()[request.stage][1]
    return SearchResults(
        query=req.parsed.text,
        resolved_query=parsed.resolved,
        total=found.total,
        page=req.page,
        per_page=req.per_page,
        hits=hits,
        facets=facets(req.filters, found, req.facet_limit) if req.facets else {},
        suggestion=suggestion,
        took_ms=(time.perf_counter() - started) * 1000,
        sort=req.sort,
        filters=req.filters,
        corrected=corrected,
        fallback=fallback,
        parsed=str(query),
        partial="; ".join(r for r in (partial_reason(run.missing), budget.reason) if r) or None,
    )


def _parsed(shards: Shards, text: str, request: ShardRequest) -> ParsedQuery | None:
    try:
        return shards.parse(text, request.now)
    except QueryError:  # a correction that does not parse: none
        return None


def _correction(run: _Run, text: str) -> str | None:
    """spelling.correct_text over every shard's vocabulary: a word is unknown when no shard
    holds it; its candidates' frequencies are summed over the shards."""
    words = sorted(spelling.query_words(text))
    if not words:
        return None
    totals: dict[str, int] = dict.fromkeys(words, 0)
    for part in run.scatter("word_frequencies", (words,)).values():
        for word, n in part.items():
            totals[word] += n
    unknown = [w for w in words if not totals[w]]
    if not unknown or len(unknown) > spelling.MAX_MISSPELLED:
        return None
    found: dict[str, dict[str, int]] = {w: {} for w in unknown}
    for part in run.scatter("spelling_candidates", (unknown,)).values():
        for word, near in part.items():
            for candidate, n in near.items():
                found[word][candidate] = found[word].get(candidate, 0) + n
    better = {w: spelling.best_candidate(w, found[w]) for w in unknown}
    return spelling.substitute(text, better)


def _rank(
    run: _Run,
    parsed: ParsedQuery,
    request: ShardRequest,
    found: Matched,
    sort: str,
    page: int,
    per_page: int,
) -> tuple[list[tuple[int, float]], dict[int, tuple[int, Candidate]]]:
    """The merged ranking as (ordinal, score) pairs, best first, re-ranked as Engine
    re-ranks; each ranked ordinal's shard and candidate."""
    if not found.total:
        return [], {}
    limit = ranking_limit(sort, page, per_page)
    answers = run.scatter("rank", (request, sort, limit, found.frequencies))
    candidates = {c.ordinal: (n, c) for n, part in answers.items() for c in part}

    def citing(ids: list[str]) -> dict[str, list[int]]:
        return {i: [o for o, _ in pairs] for i, pairs in citing_pairs(run, ids).items()}

    ranked = merge_ranking(parsed, sort, limit, (c for _, c in candidates.values()), citing)
    return ranked, candidates


def _hits(
    run: _Run,
    page: list[tuple[int, float]],
    candidates: dict[int, tuple[int, Candidate]],
    terms: frozenset[str],
    start: int,
) -> tuple[Hit, ...]:
    by_shard: dict[int, list[tuple[int, int, float]]] = {}
    for i, (ordinal, score) in enumerate(page):
        shard, candidate = candidates[ordinal]
        by_shard.setdefault(shard, []).append((start + i + 1, candidate.docnum, score))
    calls = {n: ("hits", (wanted, terms)) for n, wanted in by_shard.items() if n in run.live}
    answers, missing = run.shards.gather(calls)
    run.lose(missing)
    hits: list[Hit] = [hit for part in answers.values() for hit in part]
    if hits:
        citing = citing_pairs(run, [h.id for h in hits])
        hits = [dataclasses.replace(h, cited_by=len(citing[h.id])) for h in hits]
    return tuple(sorted(hits, key=lambda h: h.rank))


def _partial_hits(
    run: _Run,
    parsed: ParsedQuery,
    request: ShardRequest,
    req: SearchRequest,
    ranked_so_far: int,
    room: int,
) -> tuple[Hit, ...]:
    """Engine._partial_hits: the best documents with all the words but one, less the full
    matches, after them, marked match="partial"."""
    if room <= 0:
        return ()
    rest_request = dataclasses.replace(request, stage=0, minus_query=True)
    rest, _ = run.match(rest_request)
    if not rest.total:
        return ()
    ranked, candidates = _rank(run, parsed, rest_request, rest, req.sort, 1, room)
    hits = _hits(run, ranked[:room], candidates, rest.terms, ranked_so_far)
    return tuple(dataclasses.replace(h, match="partial") for h in hits)


def citing_pairs(run: _Run, doc_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Every shard's articles that cite each of `doc_ids`, in the single index's order."""
    citing: dict[str, list[tuple[int, str]]] = {i: [] for i in doc_ids}
    for part in run.scatter("cited_by", (doc_ids,)).values():
        for doc_id, pairs in part.items():
            citing[doc_id].extend(pairs)
    return {i: sorted(pairs) for i, pairs in citing.items()}
