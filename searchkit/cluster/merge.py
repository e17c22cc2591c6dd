"""Merging what the shards answer: pure functions of plain values (shard.py's), so that a
sharded index gives the single index's totals, facets and order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from ..filters import Filters
from ..query import ParsedQuery
from ..results import Facet
from ..search.facets import DayCounts, date_facet, from_long, value_facet
from ..search.ranking import (
    RECENCY_POOL,
    RERANK_POOL,
    articles_over_their_stubs,
    by_recency,
    by_title_coverage,
)
from .shard import Candidate, Matched

Ranked = list[tuple[int, float]]  # (ordinal, score), best first


def merged(answers: dict[int, Matched]) -> Matched:
    """The shards' matches as one: counts, day counts and frequencies summed, terms joined."""
    parts = [answers[n] for n in sorted(answers)]
    counts: dict[str, Counter[str]] = {}
    frequencies: dict[tuple[str, str], int] = {}
    terms: set[str] = set()
    for part in parts:
        for name, values in part.counts.items():
            counts.setdefault(name, Counter()).update(values)
        for term, n in part.frequencies.items():
            frequencies[term] = frequencies.get(term, 0) + n
        terms |= part.terms
    return Matched(
        total=sum(p.total for p in parts),
        matched=sum(p.matched for p in parts),
        counts=counts,
        dates=DayCounts.summed([p.dates for p in parts]),
        frequencies=frequencies,
        terms=frozenset(terms),
        fallbacks=max((p.fallbacks for p in parts), key=len, default=()),
    )


def facets(f: Filters, found: Matched, limit: int) -> dict[str, Facet]:
    """Engine._facets of the merged counts."""
    counts = found.counts
    return {
        "topics": value_facet("topics", counts.get("topics", Counter()), f.topics, limit),
        "providers": value_facet(
            "providers", counts.get("provider", Counter()), f.providers, limit
        ),
        "kind": value_facet("kind", counts.get("kind", Counter()), [f.kind] if f.kind else [], 10),
        "published": date_facet(found.dates),
    }


def ranking_limit(sort: str, page: int, per_page: int) -> int:
    """How many documents each shard ranks: the page's end, or the re-ranked head."""
    head = RECENCY_POOL if sort == "recent-relevance" else RERANK_POOL
    return max(page * per_page, head)


def by_date_or_score(parsed: ParsedQuery, sort: str) -> str:
    """The order the shards' candidates merge in: a query that scores nothing is by date."""
    if (parsed.match_all or not parsed.terms) and sort in ("relevance", "recent-relevance"):
        return "newest"
    return sort


def merge_ranking(
    parsed: ParsedQuery,
    sort: str,
    limit: int,
    candidates: Iterable[Candidate],
    citing: Callable[[list[str]], dict[str, list[int]]],
) -> Ranked:
    """Engine._rank over the shards' candidates: merged by score (ties in the single index's
    order) or date, then the head re-ranked as one index re-ranks it. `citing(ids)`: the
    ordinals of the articles that cite each of the stubs `ids`."""
    every = list(candidates)
    order = by_date_or_score(parsed, sort)
    if order == "newest":
        every.sort(key=lambda c: (-c.published, c.ordinal))
    elif order == "oldest":
        every.sort(key=lambda c: (c.published == 0, c.published, c.ordinal))
    else:
        every.sort(key=lambda c: (-c.score, c.ordinal))
    ranked = [(c.ordinal, c.score) for c in every[:limit]]
    if order in ("newest", "oldest"):
        return ranked
    head = RECENCY_POOL if sort == "recent-relevance" else RERANK_POOL
    by_ordinal = {c.ordinal: c for c in every}
    top, rest = ranked[:head], ranked[head:]
    if parsed.title_phrase is not None:
        top = by_title_coverage(top, parsed.text, lambda o: by_ordinal[o].title)
    stubs = [by_ordinal[o].id for o, _ in top if by_ordinal[o].stub]
    cited = citing(stubs) if stubs else {}
    top = articles_over_their_stubs(
        top, lambda o: by_ordinal[o].stub, lambda o: cited.get(by_ordinal[o].id, [])
    )
    if sort == "recent-relevance":
        top = by_recency(top, lambda o: from_long(by_ordinal[o].published))
    return top + rest


def shards_named(numbers: Iterable[int]) -> str:
    ordered = sorted(numbers)
    return ("shard " if len(ordered) == 1 else "shards ") + ", ".join(map(str, ordered))


def partial_reason(missing: set[int]) -> str | None:
    """The documented partial-results rule: the shards that did not answer, by number."""
    return f"{shards_named(missing)} did not answer" if missing else None
