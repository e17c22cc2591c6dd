"""The facade other programs, the CLI and the REPL use: open (or build), describe and search an
index.

with searchkit.open_index("index") as ix:
    results = ix.search("facial recognition", topics=["AI"], since="2021-01")
    for hit in results.hits:
        print(hit.rank, hit.title)

Every call into Whoosh runs inside the error boundary of whoosh_seam.errors, so nothing but a
SearchkitError comes out of a SearchIndex.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from . import store as st
from .cluster.errors import NotShardedError, require_ray
from .cluster.shardmap import is_sharded
from .config import DEFAULT_SEEDS_DIR, resolve_index_dir
from .errors import (
    DocumentNotFoundError,
    IndexClosedError,
    IndexDamagedError,
    IndexLockedError,
    IndexWriteError,
    SearchkitError,
    SeedsFolderError,
)
from .filters import DateLike, Filters, KindFilter
from .limits import DEFAULT_TIME_BUDGET
from .manifest import read_schema
from .options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from .query import ParsedQuery, QueryParser
from .reports import IndexReport, ProgressCallback
from .results import (
    Document,
    Explanation,
    Hit,
    LinkedDocument,
    Match,
    SearchResults,
    Sort,
    TermScore,
)
from .results import ValueCount as ValueCount
from .schema import schema_fingerprint
from .search import Budget, Engine, SearchRequest, make_searcher, now_utc
from .search.value_spelling import has_value_clause
from .search_args import DEFAULT_FACET_LIMIT as DEFAULT_FACET_LIMIT
from .search_args import (
    DEFAULT_PER_PAGE,
    check_search_options,
    search_filters,
    suggest_values,
)
from .whoosh_seam.errors import opening, reading
from .whoosh_seam.storage import open_index as open_whoosh_index

if TYPE_CHECKING:
    from .cluster.coordinator import ClusterIndex
    from .freshness import Freshness
    from .stats import IndexStats


T = TypeVar("T")

# How many times a reader opens the index again when a build changed it under the reader,
# before it takes a failure for damage.
REOPEN_ATTEMPTS = 3


class _Generation:
    """One opened store generation: its Whoosh index and parser."""

    def __init__(self, index_dir: Path, store: Path) -> None:
        with opening(index_dir, store):
            self.ix = open_whoosh_index(store)
            self.generation = self.ix.latest_generation()
            # Read once, here: Whoosh reads the newest table of contents for it every time,
            # and a commit may remove the one it found between listing and opening it.
            self.schema = self.ix.schema
        if read_schema(store, self.generation) != schema_fingerprint():
            # Read by this version, the documents would give wrong facets or none.
            raise IndexDamagedError(
                str(index_dir), "was built by another version of searchkit", str(store)
            )
        self.store = store
        self.parser = QueryParser(self.schema)
        # What is read once per generation, for the messages of searches that find nothing:
        # every topic and provider ("values"), and the date span ("dates").
        self.cache: dict[str, Any] = {}

    def is_current(self, store: Path) -> bool:
        """Whether this is still the newest generation, `store` being the live store."""
        return store == self.store and self.ix.latest_generation() == self.generation


class SearchIndex:
    """A searchable index. Safe to share between threads; picks up rebuilds by itself.
    `options` sets its searchers' memory and numpy use (SearchOptions)."""

    def __init__(
        self,
        index_dir: str | Path,
        *,
        clock: Callable[[], datetime] = now_utc,
        options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
    ) -> None:
        self.index_dir = Path(index_dir)
        self._clock = clock
        self._options = options
        self._lock = threading.Lock()
        self._local = threading.local()
        self._current = _Generation(self.index_dir, st.require_store(self.index_dir))
        self._engines: list[Engine] = []
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"generation {self._current.generation}"
        return f"<SearchIndex {str(self.index_dir)!r} ({state})>"

    # --- life cycle ------------------------------------------------------------------

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the index's files; the SearchIndex raises IndexClosedError after this."""
        with self._lock:
            self._closed = True
            for engine in self._engines:
                engine.close()
            self._engines.clear()

    def _generation(self) -> _Generation:
        """The newest generation on disk, reopened when a build has committed since."""
        if self._closed:
            raise IndexClosedError(str(self.index_dir))
        store = st.require_store(self.index_dir)
        with self._lock:
            current = self._current
            try:
                with reading(self.index_dir, current.store):
                    if current.is_current(store):
                        return current
            except IndexDamagedError:
                pass  # its files changed under it: open the newest
            attempts = 0
            while True:
                try:
                    self._current = _Generation(self.index_dir, store)
                    return self._current
                except IndexDamagedError:
                    # A full build may have switched to a new store, and removed this one,
                    # between reading CURRENT and opening the store: open the new one. An
                    # incremental build may have committed, and removed the generation
                    # being opened: open the store again. Damage fails every time.
                    newer = st.require_store(self.index_dir)
                    attempts += 1
                    if newer == store and attempts >= REOPEN_ATTEMPTS:
                        raise
                    store = newer

    def _engine(self) -> tuple[Engine, _Generation]:
        gen = self._generation()
        local = self._local
        engine: Engine | None = getattr(local, "engine", None)
        if engine is None or getattr(local, "generation", None) is not gen:
            with reading(self.index_dir, gen.store):
                searcher = make_searcher(gen.ix)
            new = Engine(searcher, gen.schema, options=self._options)
            with self._lock:
                if engine is not None and engine in self._engines:
                    self._engines.remove(engine)
                    engine.close()
                self._engines.append(new)
            local.engine, local.generation, engine = new, gen, new
        return engine, gen

    def _run(self, work: Callable[[Engine, _Generation], T]) -> T:
        """Run `work` on this thread's engine, inside the boundary that turns Whoosh's errors
        into searchkit's. A build may replace the store while it reads (a full build removes
        the old one), or commit a generation while it is opened: then it runs again, on the
        newest."""
        for attempt in range(1, REOPEN_ATTEMPTS + 1):
            gen: _Generation | None = None
            try:
                engine, gen = self._engine()
                with reading(self.index_dir, gen.store):
                    return work(engine, gen)
            except IndexDamagedError:
                # Opening failed (the generation went while it was opened), or reading did
                # and a build has replaced what was read: once more, on the newest.
                moved = gen is None or self._moved(gen)
                if not moved or attempt == REOPEN_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _moved(self, gen: _Generation) -> bool:
        try:
            store = st.current_store(self.index_dir)
            with reading(self.index_dir, gen.store):
                return store is not None and not gen.is_current(store)
        except SearchkitError:
            return True

    # --- searching -------------------------------------------------------------------

    def parse(self, query: str) -> ParsedQuery:
        """Parse query text (raises QueryError); exposed for validation as you type."""
        return self._generation().parser.parse(query, now=self._clock())

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
        """Ranked, faceted search. Narrow it with `filters` (a Filters value) or with the
        filter keywords: topics (and providers) OR within, AND across; `until` inclusive.
        A single str for `topics` or `providers` is one value. A parameter out of range
        raises ParameterError naming it. With `match="most"` (the default), a last page that
        the documents with every word leave short is filled with those that have most of
        them (all but one), after them, each marked `hit.match == "partial"`; `total` counts
        the full matches only. `match="all"`: full matches only.

        A query past a cap of searchkit.limits raises QueryLimitError. `time_budget` is the
        seconds the search may take (None: no limit): once spent, the search returns what it
        has found, with `partial` saying what was cut short."""
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
        budget = Budget(time_budget)

        def work(engine: Engine, gen: _Generation) -> SearchResults:
            def parse(text: str) -> ParsedQuery:
                return gen.parser.parse(text, now=now)

            request = SearchRequest(
                parse(query), chosen, sort, page, per_page, facets, facet_limit, match
            )
            return engine.search(request, parse_again=parse, budget=budget)

        results = self._run(work)
        if results.total or results.partial:
            return results
        if chosen.date_range is not None or "date:" in query.lower() or "published:" in query:
            results = self._date_span(results, query, chosen, now, time_budget)
        if chosen.topics or chosen.providers or has_value_clause(query):
            results = self._suggest_values(results, chosen, time_budget)
        return results

    def _date_span(
        self,
        results: SearchResults,
        query: str,
        chosen: Filters,
        now: datetime,
        time_budget: float | None,
    ) -> SearchResults:
        """Nothing matched: when the dates (a date: clause or since/until) are what emptied
        the results, the index's date span, for the message that says so."""
        undated = dataclasses.replace(chosen, since=None, until=None)

        def work(engine: Engine, gen: _Generation) -> SearchResults | None:
            parsed = gen.parser.parse(query, now=now)
            if parsed.date_range is None and chosen.date_range is None:
                return None  # a date clause inside an OR: not one range to name
            request = SearchRequest(
                dataclasses.replace(parsed, date_range=None), undated, "relevance", 1, 1,
                False, 1,
            )  # fmt: skip
            return engine.search(request, budget=Budget(time_budget))

        without = self._run(work)
        if without is None or not without.total:
            return results
        span = self._run(lambda e, g: _cached(g, "dates", e.date_span))
        if span is None:
            return results
        return dataclasses.replace(results, date_span=span, undated_total=without.total)

    def _suggest_values(
        self, results: SearchResults, chosen: Filters, time_budget: float | None
    ) -> SearchResults:
        def count(text: str) -> int:
            found = self.search(
                text, filters=chosen, per_page=1, facets=False, time_budget=time_budget
            )
            return found.total

        return suggest_values(self, results, chosen, count)

    def explain(self, query: str, **filters: Any) -> Explanation:
        """The parsed query, the filters, the top hit's score and the terms of the query the
        top hit holds, with each one's share of its score."""
        results = self.search(query, per_page=1, facets=False, **filters)
        top = results.hits[0] if results.hits else None

        def term_scores(engine: Engine, gen: _Generation) -> tuple[TermScore, ...]:
            if top is None:
                return ()
            docnum = engine.documents.docnum(top.id)
            if docnum is None:
                return ()
            parsed = gen.parser.parse(query, now=self._clock())
            if parsed.match_all:
                return ()
            scores = engine.term_scores(parsed, docnum)
            summed = sum(score for _, _, score in scores)
            whole = top.score if top.score > 0 else summed or 1.0
            ordered = sorted(scores, key=lambda t: (-t[2], t[0], t[1]))
            return tuple(TermScore(f, w, score, score / whole) for f, w, score in ordered)

        terms = self._run(term_scores)
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

    @staticmethod
    def _docnum(engine: Engine, doc_id: str) -> int:
        docnum = engine.documents.docnum(doc_id)
        if docnum is None:
            raise DocumentNotFoundError(doc_id)
        return docnum

    def get(self, doc_id: str) -> Document:
        """Everything the index holds about one document."""
        return self._run(lambda e, _g: e.documents.document(self._docnum(e, doc_id)))

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Documents about the same thing (more like this)."""

        def work(engine: Engine, _gen: _Generation) -> list[Hit]:
            pairs = engine.documents.similar(self._docnum(engine, doc_id), limit)
            return [engine.hit(i, d, s, frozenset()) for i, (d, s) in enumerate(pairs, 1)]

        return self._run(work)

    def related(self, doc_id: str) -> list[LinkedDocument]:
        """The documents an article cites, in its order; `kind` says whether each is an
        article of the index, a related stub, or (None) not in the index."""

        def work(engine: Engine, _gen: _Generation) -> list[LinkedDocument]:
            doc = engine.documents.document(self._docnum(engine, doc_id))
            return [engine.documents.linked(link) for link in doc.links]

        return self._run(work)

    def cited_by(self, doc_id: str) -> list[LinkedDocument]:
        """The articles that cite a document."""

        def work(engine: Engine, _gen: _Generation) -> list[LinkedDocument]:
            self._docnum(engine, doc_id)
            return [engine.documents.linked(i) for i in engine.documents.citing_ids(doc_id)]

        return self._run(work)

    def topics(self) -> list[ValueCount]:
        """Every topic with its document count, most frequent first."""
        return list(self._run(lambda e, g: _cached(g, "values", e.all_values)["topics"]))

    def providers(self) -> list[ValueCount]:
        """Every provider with its document count, most frequent first."""
        return list(self._run(lambda e, g: _cached(g, "values", e.all_values)["provider"]))

    def freshness(self) -> Freshness:
        """Whether the index is in step with its seeds folder, checked without building
        (see searchkit.freshness: every file up to 20,000 seeds, folder mtimes above)."""
        from .freshness import check_freshness

        return check_freshness(self.index_dir)

    def stats(self) -> IndexStats:
        return index_stats(self.index_dir)


def _cached(gen: _Generation, key: str, compute: Callable[[], T]) -> T:
    """`compute()`, once per index generation (a build makes a new generation)."""
    if key not in gen.cache:
        gen.cache[key] = compute()
    value: T = gen.cache[key]
    return value


def index_stats(index_dir: str | Path) -> IndexStats:
    """Describe the index at `index_dir`. Raises IndexNotFoundError when there is none."""
    from .stats import index_stats as describe

    return describe(index_dir)


@overload
def open_index(
    path: str | Path | None = None,
    *,
    clock: Callable[[], datetime] = now_utc,
    options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
    cluster: None = None,
) -> SearchIndex: ...


@overload
def open_index(
    path: str | Path | None = None,
    *,
    clock: Callable[[], datetime] = now_utc,
    options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
    cluster: str,
) -> ClusterIndex: ...


def open_index(
    path: str | Path | None = None,
    *,
    clock: Callable[[], datetime] = now_utc,
    options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
    cluster: str | None = None,
) -> SearchIndex | ClusterIndex:
    """Open the index at `path` (default: $SEARCHKIT_INDEX or ./index) for searching.

    Raises IndexNotFoundError when no index was built there. `clock` gives "now" for relative
    dates such as "last week" (injectable for tests); `options` sets the searchers' memory
    and numpy use (SearchOptions). `cluster`: the address of the Ray cluster that serves a
    sharded index (README, "Cluster"); needs the `cluster` extra.
    """
    index_dir = resolve_index_dir(path)
    if cluster is not None:
        require_ray(cluster)
        from .cluster.coordinator import ClusterIndex

        return ClusterIndex(index_dir, cluster, clock=clock, options=options)
    _refuse_sharded(index_dir)
    return SearchIndex(index_dir, clock=clock, options=options)


def _refuse_sharded(index_dir: Path) -> None:
    """A sharded index is searched through its cluster, and never built over."""
    if is_sharded(index_dir):
        raise NotShardedError(
            str(index_dir), "is a sharded index", "name the Ray cluster that serves it (--cluster)"
        )


@dataclass(frozen=True, slots=True)
class Opened:
    """What open_or_build() did: the index, opened; the build or update that ran first, if
    any; and why an existing index could not be brought up to date (it is searched as it is)."""

    index: SearchIndex
    report: IndexReport | None = None
    update_error: SearchkitError | None = None


def open_or_build(
    index_dir: str | Path | None = None,
    seeds_dir: str | Path | None = None,
    *,
    update: bool = False,
    progress: ProgressCallback | None = None,
    on_first_build: Callable[[Path, Path], None] | None = None,
    wait: float = 60.0,
    clock: Callable[[], datetime] = now_utc,
) -> Opened:
    """Open the index at `index_dir`, building it first when there is none and the seeds
    folder (`seeds_dir`, else ./seeds) exists; `on_first_build(index, seeds)` is called
    before that build. With `update`, an existing index is first brought up to date with its
    seeds folder, without waiting for another writer; when that fails (the folder is gone,
    another process is writing, the index is damaged) the index is opened as it is and the
    error returned. Raises IndexNotFoundError when there is no index and nothing to build it
    from, IndexDamagedError when the index is damaged and was not rebuilt."""
    root = resolve_index_dir(index_dir)
    _refuse_sharded(root)
    report = None
    error: SearchkitError | None = None
    try:
        present = st.current_store(root) is not None
    except IndexDamagedError:
        present = True  # an update rebuilds it; opening it says what is damaged
    if not present:
        seeds = Path(seeds_dir) if seeds_dir is not None else Path(DEFAULT_SEEDS_DIR)
        if seeds.is_dir():
            if on_first_build is not None:
                on_first_build(root, seeds)
            report = _build(seeds, root, progress=progress, wait=wait)
    elif update:
        try:
            report = _build(seeds_dir, root, progress=progress, wait=0.0)
        except (SeedsFolderError, IndexLockedError, IndexDamagedError, IndexWriteError) as exc:
            error = exc
    return Opened(SearchIndex(root, clock=clock), report, error)


def _build(
    seeds_dir: str | Path | None, root: Path, *, progress: ProgressCallback | None, wait: float
) -> IndexReport:
    from .build import build_index  # a search of an existing index never loads the builder

    return build_index(seeds_dir, root, progress=progress, wait=wait)


__all__ = [
    "Opened",
    "SearchIndex",
    "index_stats",
    "open_index",
    "open_or_build",
]
