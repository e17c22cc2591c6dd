"""ClusterIndex: a sharded index searched through shard actors on a Ray cluster, with the
methods of SearchIndex.

A search scatters each stage of Engine.search to every shard and gathers (shard.py): the
matches and facet counts, summed; the document frequencies of the terms scored, summed and
sent back so that every shard scores with the statistics of the whole index; each shard's
best documents, merged by score (ties in the single index's order) and re-ranked as one
index re-ranks its head; then the hits of the page, from the shards that hold them.

Shard actors are restarted by Ray from their shard on disk (max_restarts). A shard that does
not answer a call within `timeout` seconds (it died, or is being restarted) is left out: the
results are then partial, `partial` naming the missing shards, and the next search asks it
again.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from ..errors import DocumentNotFoundError, IndexDamagedError, QueryError, SearchkitError
from ..filters import DateLike, Filters, FilterValueError, make_filters
from ..options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from ..query import ParsedQuery, QueryParser
from ..results import (
    SORTS,
    Document,
    Explanation,
    Facet,
    Hit,
    LinkedDocument,
    SearchResults,
    Sort,
    ValueCount,
)
from ..schema import build_schema, schema_fingerprint
from ..search import now_utc
from ..search.facets import date_facet, from_long, value_facet
from ..search.ranking import RECENCY_POOL, RERANK_POOL, by_recency, by_title_coverage
from .errors import ClusterError
from .runtime import connect
from .shard import Candidate, Matched, Shard, ShardRequest
from .shardmap import ShardStats, read_shard_map, shard_dir, shard_of

SHARD_TIMEOUT = 10.0  # seconds a shard has to answer one call of a search
OPEN_TIMEOUT = 120.0  # seconds the shards have to open when the index is opened
DEFAULT_PER_PAGE = 10
DEFAULT_FACET_LIMIT = 10
MAX_PER_PAGE = 1000


@ray.remote(max_restarts=-1, max_task_retries=0, num_cpus=0)
class ShardActor:
    """One shard, opened from disk; restarted by Ray from the same files when it dies."""

    def __init__(self, store: str, stats: ShardStats, options: SearchOptions) -> None:
        self.shard = Shard(store, stats, options)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.shard, method)(*args)


class ClusterIndex:
    """A sharded index (cluster.json in `index_dir`) served by shard actors on the Ray
    cluster at `address`. Same methods as SearchIndex; similar() and stats() raise
    ClusterError (README, "Cluster": what is not provided)."""

    def __init__(
        self,
        index_dir: str | Path,
        address: str | None,
        *,
        clock: Callable[[], datetime] = now_utc,
        options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
        timeout: float = SHARD_TIMEOUT,
    ) -> None:
        self.index_dir = Path(index_dir).absolute()
        self.address = address
        self.shard_map = read_shard_map(self.index_dir)
        if self.shard_map.schema != schema_fingerprint():
            raise IndexDamagedError(
                str(self.index_dir), "was built by another version of searchkit", "cluster.json"
            )
        self.timeout = timeout
        self._clock = clock
        self._parser = QueryParser(build_schema())
        connect(address)
        stats = self.shard_map.stats
        self._actors = [
            ShardActor.options(scheduling_strategy="SPREAD").remote(  # type: ignore[attr-defined]
                str(shard_dir(self.index_dir, i)), stats, options
            )
            for i in range(self.shard_map.shards)
        ]
        _, missing = self._scatter("ping", (), timeout=OPEN_TIMEOUT)
        if missing:
            self.close()
            raise ClusterError(
                address,
                f"{_shards(missing)} of {self.index_dir} could not be opened",
                "check that every node sees the index folder at the same path",
            )

    @property
    def shards(self) -> int:
        return self.shard_map.shards

    # --- life cycle ------------------------------------------------------------------

    def __enter__(self) -> ClusterIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the shard actors this index started."""
        for actor in self._actors:
            ray.kill(actor, no_restart=True)
        self._actors = []

    def actor(self, number: int) -> Any:
        """The actor of shard `number` (to watch or stop it)."""
        return self._actors[number]

    # --- scatter and gather ----------------------------------------------------------

    def _scatter(
        self,
        method: str,
        args: tuple[Any, ...],
        *,
        only: Iterable[int] | None = None,
        timeout: float | None = None,
    ) -> tuple[dict[int, Any], set[int]]:
        """Call `method(*args)` on the shards (`only` these) at once; their answers and the
        shards that gave none in time. A searchkit error of a shard is raised here."""
        numbers = range(self.shards) if only is None else only
        return self._gather({n: (method, args) for n in numbers}, timeout)

    def _gather(
        self, calls: dict[int, tuple[str, tuple[Any, ...]]], timeout: float | None = None
    ) -> tuple[dict[int, Any], set[int]]:
        """Make the calls {shard: (method, args)} at once; the answers and the shards that
        gave none within the timeout."""
        refs = {n: self._actors[n].call.remote(m, *args) for n, (m, args) in calls.items()}
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        answers: dict[int, Any] = {}
        missing: set[int] = set()
        for n, ref in refs.items():
            try:
                answers[n] = ray.get(ref, timeout=max(0.0, deadline - time.monotonic()))
            except RayTaskError as exc:
                if isinstance(exc.cause, SearchkitError):
                    raise exc.cause from None
                if isinstance(exc.cause, RayActorError):
                    missing.add(n)
                    continue
                raise
            except (RayActorError, GetTimeoutError):
                missing.add(n)
        return answers, missing

    # --- searching -------------------------------------------------------------------

    def parse(self, query: str) -> ParsedQuery:
        return self._parser.parse(query, now=self._clock())

    def search(
        self,
        query: str = "",
        *,
        filters: Filters | None = None,
        topics: Iterable[str] = (),
        providers: Iterable[str] = (),
        kind: str | None = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: Sort = "relevance",
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        facets: bool = True,
        facet_limit: int = DEFAULT_FACET_LIMIT,
        time_budget: float | None = None,
    ) -> SearchResults:
        """SearchIndex.search over every shard. `time_budget` is not used: each shard has
        `timeout` seconds per stage, and one that does not answer is named in `partial`."""
        if sort not in SORTS:
            raise QueryError(query, f"unknown sort {sort!r}", hint="use " + ", ".join(SORTS))
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE or facet_limit < 1:
            raise QueryError(
                query,
                "page, per_page and facet_limit must be positive "
                f"(per_page at most {MAX_PER_PAGE})",
            )
        started = time.perf_counter()
        now = self._clock()
        chosen = _filters(query, filters, topics, providers, kind, since, until, now)
        parsed = self._parser.parse(query, now=now)
        request = ShardRequest(query, chosen, now)
        parts, missing = self._match(request, range(self.shards))
        found = _merged(parts)
        relaxed = False
        if not found.matched:
            for stage in range(found.fallbacks):
                looser = replace(request, stage=stage)
                parts, more = self._match(looser, sorted(parts))
                missing |= more
                found = _merged(parts)
                if found.total:
                    request, relaxed = looser, True
                    break
        live = sorted(parts)
        ranked, candidates, more = self._rank(parsed, request, found, sort, page, per_page, live)
        missing |= more
        start = (page - 1) * per_page
        hits, more = self._hits(ranked[start : start + per_page], candidates, found.terms, start)
        missing |= more
        if missing & set(parts):
            # A shard that answered the first stage and then died: count the others only.
            found = _merged({n: part for n, part in parts.items() if n not in missing})
        shown_query = parsed.fallbacks()[request.stage] if request.stage is not None else None
        return SearchResults(
            query=query,
            resolved_query=parsed.resolved,
            total=found.total,
            page=page,
            per_page=per_page,
            hits=hits,
            facets=_facets(chosen, found, facet_limit) if facets else {},
            suggestion=None,
            took_ms=(time.perf_counter() - started) * 1000,
            sort=sort,
            filters=chosen,
            relaxed=relaxed,
            showing=None,
            parsed=str(parsed.query if shown_query is None else shown_query),
            partial=_partial(missing),
        )

    def _match(
        self, request: ShardRequest, shards: Iterable[int]
    ) -> tuple[dict[int, Matched], set[int]]:
        """What every shard of `shards` matched; the shards that did not answer."""
        return self._scatter("match", (request,), only=shards)

    def _rank(
        self,
        parsed: ParsedQuery,
        request: ShardRequest,
        found: Matched,
        sort: Sort,
        page: int,
        per_page: int,
        shards: list[int],
    ) -> tuple[list[tuple[int, float]], dict[int, tuple[int, Candidate]], set[int]]:
        """The merged ranking as (ordinal, score) pairs, best first, re-ranked as Engine
        re-ranks; each ranked ordinal's shard and candidate."""
        if not found.total:
            return [], {}, set()
        merge_sort: str = sort
        if (parsed.match_all or not parsed.terms) and sort in ("relevance", "recent-relevance"):
            merge_sort = "newest"
        head = RECENCY_POOL if sort == "recent-relevance" else RERANK_POOL
        limit = max(page * per_page, head)
        args = (request, sort, limit, found.frequencies)
        answers, missing = self._scatter("rank", args, only=shards)
        candidates = {c.ordinal: (n, c) for n, part in answers.items() for c in part}
        every = [c for _, c in candidates.values()]
        if merge_sort == "newest":
            every.sort(key=lambda c: (-c.published, c.ordinal))
        elif merge_sort == "oldest":
            every.sort(key=lambda c: (c.published == 0, c.published, c.ordinal))
        else:
            every.sort(key=lambda c: (-c.score, c.ordinal))
        ranked = [(c.ordinal, c.score) for c in every[:limit]]
        if merge_sort in ("newest", "oldest"):
            return ranked, candidates, missing
        top, rest = ranked[:head], ranked[head:]
        if parsed.title_phrase is not None:
            top = by_title_coverage(top, parsed.text, lambda o: candidates[o][1].title)
        if sort == "recent-relevance":
            top = by_recency(top, lambda o: from_long(candidates[o][1].published))
        return top + rest, candidates, missing

    def _hits(
        self,
        page: list[tuple[int, float]],
        candidates: dict[int, tuple[int, Candidate]],
        terms: frozenset[str],
        start: int,
    ) -> tuple[tuple[Hit, ...], set[int]]:
        by_shard: dict[int, list[tuple[int, int, float]]] = {}
        for i, (ordinal, score) in enumerate(page):
            shard, candidate = candidates[ordinal]
            by_shard.setdefault(shard, []).append((start + i + 1, candidate.docnum, score))
        answers, missing = self._gather(
            {n: ("hits", (wanted, terms)) for n, wanted in by_shard.items()}
        )
        hits: list[Hit] = [hit for part in answers.values() for hit in part]
        if hits:
            citing, more = self._citing([h.id for h in hits])
            missing |= more
            hits = [replace(h, cited_by=len(citing[h.id])) for h in hits]
        return tuple(sorted(hits, key=lambda h: h.rank)), missing

    def _citing(self, doc_ids: list[str]) -> tuple[dict[str, list[tuple[int, str]]], set[int]]:
        """Every shard's articles that cite each of `doc_ids`, in the single index's order."""
        answers, missing = self._scatter("cited_by", (doc_ids,))
        citing: dict[str, list[tuple[int, str]]] = {i: [] for i in doc_ids}
        for part in answers.values():
            for doc_id, pairs in part.items():
                citing[doc_id].extend(pairs)
        return {i: sorted(pairs) for i, pairs in citing.items()}, missing

    def explain(self, query: str, **filters: Any) -> Explanation:
        """The parsed query, the filters and the top hit's score."""
        results = self.search(query, per_page=1, facets=False, **filters)
        top = results.hits[0] if results.hits else None
        terms: set[tuple[str, str]] = set()
        if top is not None:
            answers, _ = self._scatter("query_terms", (query, self._clock()))
            for part in answers.values():
                terms |= part
        return Explanation(
            query,
            results.parsed,
            results.resolved_query,
            results.filters,
            top.title if top else None,
            top.score if top else None,
            tuple(sorted(terms)),
        )

    # --- documents -------------------------------------------------------------------

    def _owner(self, doc_id: str) -> int:
        return shard_of(doc_id, self.shards)

    def _ask(self, shard: int, method: str, *args: Any) -> Any:
        answers, missing = self._scatter(method, args, only=[shard])
        if missing:
            raise ClusterError(
                self.address,
                f"shard {shard}, which holds what was asked, did not answer",
                "try again in a moment: Ray restarts a shard that died",
            )
        return answers[shard]

    def get(self, doc_id: str) -> Document:
        """Everything the index holds about one document."""
        doc: Document | None = self._ask(self._owner(doc_id), "get", doc_id)
        if doc is None:
            raise DocumentNotFoundError(doc_id)
        citing, _ = self._citing([doc_id])
        return replace(doc, cited_by=tuple(sorted(i for _, i in citing[doc_id])))

    def related(self, doc_id: str) -> list[LinkedDocument]:
        """The documents an article cites, in its order (kind None: not in the index)."""
        doc = self.get(doc_id)
        found: dict[str, LinkedDocument] = {}
        owners: dict[int, list[str]] = {}
        for link in doc.links:
            owners.setdefault(self._owner(link), []).append(link)
        for shard, links in owners.items():
            found.update(self._ask(shard, "linked", links))
        return [found.get(link) or _unknown(link) for link in doc.links]

    def cited_by(self, doc_id: str) -> list[LinkedDocument]:
        """The articles that cite a document, in the single index's order."""
        self.get(doc_id)
        citing, _ = self._citing([doc_id])
        found: dict[str, LinkedDocument] = {}
        owners: dict[int, list[str]] = {}
        for _, i in citing[doc_id]:
            owners.setdefault(self._owner(i), []).append(i)
        for shard, ids in owners.items():
            found.update(self._ask(shard, "linked", ids))
        return [found.get(i) or _unknown(i) for _, i in citing[doc_id]]

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Not offered on a cluster: says so."""
        raise _not_on_a_cluster(self.address, "similar documents (more like this)")

    def stats(self) -> Any:
        """Not offered on a cluster: says so."""
        raise _not_on_a_cluster(self.address, "index statistics")

    def topics(self) -> list[ValueCount]:
        """Every topic with its document count, most frequent first."""
        return self._values("topics")

    def providers(self) -> list[ValueCount]:
        """Every provider with its document count, most frequent first."""
        return self._values("provider")

    def _values(self, name: str) -> list[ValueCount]:
        answers, missing = self._scatter("value_counts", (name,))
        if missing:
            raise ClusterError(
                self.address,
                f"{_shards(missing)} did not answer",
                "try again in a moment: Ray restarts a shard that died",
            )
        counts: Counter[str] = Counter()
        for part in answers.values():
            counts.update(part)
        facet = value_facet(name, counts, (), limit=10**9)
        return [ValueCount(v.value, v.count) for v in facet.values]


def _not_on_a_cluster(address: str | None, what: str) -> ClusterError:
    return ClusterError(
        address, f"{what} are not available on a sharded index", "use a single-machine index"
    )


def _merged(answers: dict[int, Matched]) -> Matched:
    """The shards' matches as one: counts and frequencies summed, dates and terms joined."""
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
    if any(not isinstance(p.dates, list) for p in parts):
        dates: Any = np.concatenate([np.asarray(p.dates, dtype=np.int64) for p in parts])
    else:
        dates = [d for p in parts for d in p.dates]
    return Matched(
        total=sum(p.total for p in parts),
        matched=sum(p.matched for p in parts),
        counts=counts,
        dates=dates,
        frequencies=frequencies,
        terms=frozenset(terms),
        fallbacks=max((p.fallbacks for p in parts), default=0),
    )


def _unknown(doc_id: str) -> LinkedDocument:
    return LinkedDocument(doc_id, doc_id, None, None, None, None)


def _shards(numbers: Iterable[int]) -> str:
    ordered = sorted(numbers)
    return ("shard " if len(ordered) == 1 else "shards ") + ", ".join(map(str, ordered))


def _partial(missing: set[int]) -> str | None:
    """The documented partial-results rule: the shards that did not answer, by number."""
    return f"{_shards(missing)} did not answer" if missing else None


def _facets(f: Filters, found: Matched, limit: int) -> dict[str, Facet]:
    counts = found.counts
    return {
        "topics": value_facet("topics", counts.get("topics", Counter()), f.topics, limit),
        "provider": value_facet("provider", counts.get("provider", Counter()), f.providers, limit),
        "kind": value_facet("kind", counts.get("kind", Counter()), [f.kind] if f.kind else [], 10),
        "published": date_facet(found.dates),
    }


def _filters(
    query: str,
    filters: Filters | None,
    topics: Iterable[str],
    providers: Iterable[str],
    kind: str | None,
    since: DateLike,
    until: DateLike,
    now: datetime,
) -> Filters:
    keywords = (topics, providers, kind, since, until)
    if filters is not None:
        if any(keywords):
            raise TypeError("give either filters= or the filter keywords, not both")
        return filters
    try:
        return make_filters(
            topics=topics, providers=providers, kind=kind, since=since, until=until, now=now
        )
    except FilterValueError as exc:
        raise QueryError(query, exc.message, hint=exc.hint) from None
