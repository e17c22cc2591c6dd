"""ClusterIndex: a sharded index searched through shard actors on a Ray cluster, with the
methods of SearchIndex.

A search scatters each stage of Engine.search to every shard and gathers (search.py). Shard
actors are restarted by Ray from their shard on disk (max_restarts). A shard that does not
answer a call within `timeout` seconds (it died, is being restarted, or is stuck) is left
out: the results are then partial, `partial` naming the missing shards, and the next search
asks it again. Reading a document needs the shard that holds it: that fails with a
ClusterError instead.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from ..errors import DocumentNotFoundError, IndexDamagedError, SearchkitError
from ..filters import DateLike, Filters, KindFilter
from ..limits import DEFAULT_TIME_BUDGET
from ..options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from ..query import ParsedQuery, QueryParser
from ..results import (
    Document,
    Explanation,
    Hit,
    LinkedDocument,
    Match,
    SearchResults,
    Sort,
    TermScore,
    ValueCount,
)
from ..schema import build_schema, schema_fingerprint
from ..search import Budget, SearchRequest, now_utc
from ..search.facets import from_long, value_facet
from ..search.lookups import SIMILAR_TERMS, similar_text
from ..search.value_spelling import has_value_clause
from ..search_args import (
    DEFAULT_FACET_LIMIT,
    DEFAULT_PER_PAGE,
    check_search_options,
    search_filters,
    suggest_values,
)
from . import search as scatter_search
from .errors import ClusterError
from .merge import shards_named
from .runtime import connect
from .shard import Shard, ShardRequest
from .shardmap import ShardStats, read_shard_map, shard_of
from .statistics import GlobalReader, key_terms, text_words

if TYPE_CHECKING:
    from ..stats import IndexStats

# Seconds a shard has to answer one call of a search before it is left out (partial). A
# generous bound: a loaded machine answers late, and late is better than partial.
DEFAULT_SHARD_TIMEOUT = 60.0
SHARD_TIMEOUT_ENV = "SEARCHKIT_SHARD_TIMEOUT"
OPEN_TIMEOUT = 120.0  # seconds the shards have to open when the index is opened
RETRY_HINT = "try again in a moment: Ray restarts a shard that died"


@ray.remote(max_restarts=-1, max_task_retries=0, num_cpus=0)
class ShardActor:
    """One shard, opened from disk; restarted by Ray from the same files when it dies."""

    def __init__(self, store: str, stats: ShardStats, options: SearchOptions) -> None:
        self.shard = Shard(store, stats, options)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.shard, method)(*args)


def shard_timeout(given: float | None) -> float:
    """`given`, else $SEARCHKIT_SHARD_TIMEOUT, else DEFAULT_SHARD_TIMEOUT (seconds)."""
    if given is None:
        text = os.environ.get(SHARD_TIMEOUT_ENV, "")
        try:
            given = float(text) if text else DEFAULT_SHARD_TIMEOUT
        except ValueError:
            raise ClusterError(
                None, f"${SHARD_TIMEOUT_ENV} is {text!r}", "give a number of seconds"
            ) from None
    if not 0 < given < float("inf"):
        raise ClusterError(None, f"a shard timeout of {given} s", "give a positive number")
    return given


class ClusterIndex:
    """A sharded index (cluster.json in `index_dir`) served by shard actors on the Ray
    cluster at `address`, with the methods of SearchIndex. `timeout`: the seconds a shard
    has to answer one call of a search (None: $SEARCHKIT_SHARD_TIMEOUT, else 60)."""

    def __init__(
        self,
        index_dir: str | Path,
        address: str | None,
        *,
        clock: Callable[[], datetime] = now_utc,
        options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
        timeout: float | None = None,
    ) -> None:
        self.index_dir = Path(index_dir).absolute()
        self.address = address
        self.shard_map = read_shard_map(self.index_dir)
        if self.shard_map.schema != schema_fingerprint():
            raise IndexDamagedError(
                str(self.index_dir), "was built by another version of searchkit", "cluster.json"
            )
        self.timeout = shard_timeout(timeout)
        self._clock = clock
        self._schema = build_schema()
        self._parser = QueryParser(self._schema)
        self._actors: list[Any] = []
        connect(address)
        stats = self.shard_map.stats
        self._actors = [
            ShardActor.options(scheduling_strategy="SPREAD").remote(  # type: ignore[attr-defined]
                str(self.shard_map.path(self.index_dir, i)), stats, options
            )
            for i in range(self.shard_map.shards)
        ]
        _, missing = self.scatter("ping", (), timeout=max(OPEN_TIMEOUT, self.timeout))
        if missing:
            self.close()
            raise ClusterError(
                address,
                f"{shards_named(missing)} of {self.index_dir} could not be opened",
                "check that every node sees the index folder at the same path",
            )

    def __repr__(self) -> str:
        return f"<ClusterIndex {str(self.index_dir)!r} ({self.shards} shards)>"

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

    def scatter(
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
        return self.gather({n: (method, args) for n in numbers}, timeout)

    def gather(
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

    def _ask(self, shard: int, method: str, *args: Any) -> Any:
        """`method(*args)` of one shard, which must answer."""
        return self._ask_all(method, args, only=[shard])[shard]

    def _ask_all(
        self, method: str, args: tuple[Any, ...], *, only: Iterable[int] | None = None
    ) -> dict[int, Any]:
        answers, missing = self.scatter(method, args, only=only)
        if missing:
            raise ClusterError(self.address, f"{shards_named(missing)} did not answer", RETRY_HINT)
        return answers

    # --- searching -------------------------------------------------------------------

    def parse(self, query: str, now: datetime | None = None) -> ParsedQuery:
        """Parse query text (raises QueryError)."""
        return self._parser.parse(query, now=now or self._clock())

    def search(
        self,
        query: str = "",
        *,
        filters: Filters | None = None,
        topics: Iterable[str] = (),
        providers: Iterable[str] = (),
        kind: KindFilter | None = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: Sort = "relevance",
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        facets: bool = True,
        facet_limit: int = DEFAULT_FACET_LIMIT,
        time_budget: float | None = DEFAULT_TIME_BUDGET,
        match: Match = "most",
    ) -> SearchResults:
        """SearchIndex.search over every shard. `time_budget` is checked between stages as
        there: once it is spent, the stages a single index would skip are skipped, and
        `partial` says which. A stage waits for each shard at most the shards' `timeout`: a
        shard that does not answer in time is left out and named in `partial`."""
        check_search_options(
            match=match,
            sort=sort,
            page=page,
            per_page=per_page,
            facet_limit=facet_limit,
            time_budget=time_budget,
        )
        now = self._clock()
        chosen = search_filters(filters, topics, providers, kind, since, until, now)
        parsed = self.parse(query, now)
        request = SearchRequest(parsed, chosen, sort, page, per_page, facets, facet_limit, match)
        shard_request = ShardRequest(query, chosen, now)
        budget = Budget(time_budget)
        results = scatter_search.search(self, self.shards, request, shard_request, budget)
        if results.total or results.partial:
            return results
        if chosen.date_range is not None or "date:" in query.lower() or "published:" in query:
            results = self._date_span(results, parsed, shard_request)
        if chosen.topics or chosen.providers or has_value_clause(query):

            def count(text: str) -> int:
                return self.search(text, filters=chosen, per_page=1, facets=False).total

            results = suggest_values(self, results, chosen, count)
        return results

    def _date_span(
        self, results: SearchResults, parsed: ParsedQuery, request: ShardRequest
    ) -> SearchResults:
        """SearchIndex._date_span: the index's date span when the dates emptied the results."""
        if parsed.date_range is None and request.filters.date_range is None:
            return results
        undated = dataclasses.replace(request.filters, since=None, until=None)
        without = dataclasses.replace(request, filters=undated, undated=True)
        answers = self._ask_all("match", (without,))
        total = sum(part.total for part in answers.values())
        spans = [s for s in self._ask_all("date_span", ()).values() if s is not None]
        if not total or not spans:
            return results
        first, last = from_long(min(s[0] for s in spans)), from_long(max(s[1] for s in spans))
        if first is None or last is None:
            return results
        return dataclasses.replace(results, date_span=(first, last), undated_total=total)

    def explain(self, query: str, **filters: Any) -> Explanation:
        """SearchIndex.explain: the terms of the query the top hit holds, each scored with
        the statistics of the whole index by the shard that holds it."""
        results = self.search(query, per_page=1, facets=False, **filters)
        top = results.hits[0] if results.hits else None
        terms: tuple[TermScore, ...] = ()
        now = self._clock()
        if top is not None and not self.parse(query, now).match_all:
            frequencies: dict[tuple[str, str], int] = {}
            for part in self._ask_all("frequencies", (query, now)).values():
                for term, n in part.items():
                    frequencies[term] = frequencies.get(term, 0) + n
            args = (query, now, top.id, frequencies)
            scores = self._ask(self._owner(top.id), "term_scores", *args)
            whole = top.score if top.score > 0 else sum(s for _, _, s in scores) or 1.0
            ordered = sorted(scores, key=lambda t: (-t[2], t[0], t[1]))
            terms = tuple(TermScore(f, w, s, s / whole) for f, w, s in ordered)
        bonus = 0.0
        if top is not None and top.score > 0:
            rest = top.score - sum(t.score for t in terms)
            bonus = rest if rest > 1e-6 * top.score else 0.0  # not the rounding of scores
        return Explanation(
            query,
            results.parsed,
            results.resolved_query,
            results.filters,
            top.title if top else None,
            top.score if top else None,
            terms,
            top.id if top else None,
            bonus,
        )

    # --- documents -------------------------------------------------------------------

    def _owner(self, doc_id: str) -> int:
        return shard_of(doc_id, self.shards)

    def _citing(self, doc_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
        """Every shard's articles that cite each of `doc_ids`, in the single index's order."""
        citing: dict[str, list[tuple[int, str]]] = {i: [] for i in doc_ids}
        for part in self._ask_all("cited_by", (doc_ids,)).values():
            for doc_id, pairs in part.items():
                citing[doc_id].extend(pairs)
        return {i: sorted(pairs) for i, pairs in citing.items()}

    def _linked(self, doc_ids: list[str]) -> list[LinkedDocument]:
        found: dict[str, LinkedDocument] = {}
        owners: dict[int, list[str]] = {}
        for i in doc_ids:
            owners.setdefault(self._owner(i), []).append(i)
        for shard, ids in owners.items():
            found.update(self._ask(shard, "linked", ids))
        return [found.get(i) or LinkedDocument(i, i, None, None, None, None) for i in doc_ids]

    def get(self, doc_id: str) -> Document:
        """Everything the index holds about one document."""
        doc: Document | None = self._ask(self._owner(doc_id), "get", doc_id)
        if doc is None:
            raise DocumentNotFoundError(doc_id)
        citing = self._citing([doc_id])[doc_id]
        return dataclasses.replace(doc, cited_by=tuple(sorted(i for _, i in citing)))

    def related(self, doc_id: str) -> list[LinkedDocument]:
        """The documents an article cites, in its order (kind None: not in the index)."""
        return self._linked(list(self.get(doc_id).links))

    def cited_by(self, doc_id: str) -> list[LinkedDocument]:
        """The articles that cite a document, in the single index's order."""
        self.get(doc_id)
        return self._linked([i for _, i in self._citing([doc_id])[doc_id]])

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Documents about the same thing (more like this): the document's key terms, picked
        with the statistics of the whole index, searched on every shard and merged."""
        doc = self.get(doc_id)
        text = similar_text(doc.title, doc.excerpt, doc.body)
        words = text_words(self._schema, text)
        frequencies: Counter[str] = Counter()
        counts: Counter[tuple[str, str]] = Counter()
        for cf, df in self._ask_all("word_statistics", (words,)).values():
            frequencies.update(cf)
            counts.update(df)
        stats = self.shard_map.stats
        reader = GlobalReader(self._schema, stats.doc_count, stats.field_lengths, frequencies)
        terms = key_terms(reader, text, SIMILAR_TERMS)
        if not terms:
            return []
        answers = self._ask_all("similar", (terms, limit + 1, dict(counts)))
        every = sorted(
            ((c, n) for n, part in answers.items() for c in part),
            key=lambda x: (-x[0].score, x[0].ordinal),
        )
        chosen = [(c, n) for c, n in every if c.id != doc_id][:limit]
        by_shard: dict[int, list[tuple[int, int, float]]] = {}
        for rank, (c, n) in enumerate(chosen, 1):
            by_shard.setdefault(n, []).append((rank, c.docnum, c.score))
        hits = [
            h for n, wanted in by_shard.items() for h in self._ask(n, "hits", wanted, frozenset())
        ]
        citing = self._citing([h.id for h in hits])
        hits = [dataclasses.replace(h, cited_by=len(citing[h.id])) for h in hits]
        return sorted(hits, key=lambda h: h.rank)

    def topics(self) -> list[ValueCount]:
        """Every topic with its document count, most frequent first."""
        return _values("topics", self._value_counts())

    def providers(self) -> list[ValueCount]:
        """Every provider with its document count, most frequent first."""
        return _values("provider", self._value_counts())

    def _value_counts(self) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {}
        for part in self._ask_all("value_counts", ()).values():
            for name, values in part.items():
                counts.setdefault(name, Counter()).update(values)
        return counts

    def stats(self) -> IndexStats:
        """SearchIndex.stats: the counts and dates summed over the shards; the seed files,
        problems and last build from the staging index the shards were cut from."""
        from .stats import cluster_stats

        counts = self._value_counts()
        spans = [s for s in self._ask_all("date_span", ()).values() if s is not None]
        return cluster_stats(self.index_dir, counts, spans)


def _values(name: str, counts: dict[str, Counter[str]]) -> list[ValueCount]:
    facet = value_facet(name, counts.get(name, Counter()), (), limit=10**9)
    return [ValueCount(v.value, v.count) for v in facet.values]
