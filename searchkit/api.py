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
    IndexDamagedError,
    IndexLockedError,
    IndexWriteError,
    QueryError,
    SearchkitError,
    SeedsFolderError,
)
from .filters import DateLike, Filters, FilterValueError, make_filters
from .limits import DEFAULT_TIME_BUDGET
from .manifest import read_schema
from .options import DEFAULT_SEARCH_OPTIONS, SearchOptions
from .query import ParsedQuery, QueryParser
from .reports import IndexReport, ProgressCallback
from .results import SORTS, Document, Explanation, Hit, LinkedDocument, SearchResults, Sort
from .results import ValueCount as ValueCount
from .schema import schema_fingerprint
from .search import Budget, Engine, SearchRequest, make_searcher, now_utc
from .whoosh_seam.errors import opening, reading
from .whoosh_seam.storage import open_index as open_whoosh_index

if TYPE_CHECKING:
    from .cluster.coordinator import ClusterIndex
    from .stats import IndexStats

DEFAULT_PER_PAGE = 10
DEFAULT_FACET_LIMIT = 10
MAX_PER_PAGE = 1000

T = TypeVar("T")


class _Generation:
    """One opened store generation: its Whoosh index and parser."""

    def __init__(self, index_dir: Path, store: Path) -> None:
        with opening(index_dir, store):
            self.ix = open_whoosh_index(store)
            self.generation = self.ix.latest_generation()
        if read_schema(store, self.generation) != schema_fingerprint():
            # Read by this version, the documents would give wrong facets or none.
            raise IndexDamagedError(
                str(index_dir), "was built by another version of searchkit", str(store)
            )
        self.store = store
        self.parser = QueryParser(self.ix.schema)

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
        with self._lock:
            for engine in self._engines:
                engine.close()
            self._engines.clear()

    def _generation(self) -> _Generation:
        """The newest generation on disk, reopened when a build has committed since."""
        store = st.require_store(self.index_dir)
        with self._lock:
            current = self._current
            try:
                with reading(self.index_dir, current.store):
                    if current.is_current(store):
                        return current
            except IndexDamagedError:
                pass  # its files changed under it: open the newest
            while True:
                try:
                    self._current = _Generation(self.index_dir, store)
                    return self._current
                except IndexDamagedError:
                    # A full build may have switched to a new store, and removed this one,
                    # between reading CURRENT and opening the store: open the new one.
                    newer = st.require_store(self.index_dir)
                    if newer == store:
                        raise
                    store = newer

    def _engine(self) -> tuple[Engine, _Generation]:
        gen = self._generation()
        local = self._local
        engine: Engine | None = getattr(local, "engine", None)
        if engine is None or getattr(local, "generation", None) is not gen:
            with reading(self.index_dir, gen.store):
                searcher = make_searcher(gen.ix)
            new = Engine(searcher, gen.ix.schema, options=self._options)
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
        the old one): then it runs once more, on the new one."""
        engine, gen = self._engine()
        try:
            with reading(self.index_dir, gen.store):
                return work(engine, gen)
        except IndexDamagedError:
            if self._moved(gen):
                engine, gen = self._engine()
                with reading(self.index_dir, gen.store):
                    return work(engine, gen)
            raise

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
        kind: str | None = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: Sort = "relevance",
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        facets: bool = True,
        facet_limit: int = DEFAULT_FACET_LIMIT,
        time_budget: float | None = DEFAULT_TIME_BUDGET,
    ) -> SearchResults:
        """Ranked, faceted search. Narrow it with `filters` (a Filters value) or with the
        filter keywords: topics (and providers) OR within, AND across; `until` inclusive.

        A query past a cap of searchkit.limits raises QueryLimitError. `time_budget` is the
        seconds the search may take (None: no limit): once spent, the search returns what it
        has found, with `partial` saying what was cut short."""
        if sort not in SORTS:
            raise QueryError(query, f"unknown sort {sort!r}", hint="use " + ", ".join(SORTS))
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE or facet_limit < 1:
            raise QueryError(
                query,
                "page, per_page and facet_limit must be positive "
                f"(per_page at most {MAX_PER_PAGE})",
            )
        if time_budget is not None and not 0 < time_budget < float("inf"):
            raise QueryError(
                query, f"time_budget must be a positive number of seconds, not {time_budget}"
            )
        now = self._clock()
        chosen = self._filters(query, filters, topics, providers, kind, since, until, now)
        budget = Budget(time_budget)

        def work(engine: Engine, gen: _Generation) -> SearchResults:
            def parse(text: str) -> ParsedQuery:
                return gen.parser.parse(text, now=now)

            request = SearchRequest(parse(query), chosen, sort, page, per_page, facets, facet_limit)
            return engine.search(request, parse_again=parse, budget=budget)

        return self._run(work)

    @staticmethod
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

    def explain(self, query: str, **filters: Any) -> Explanation:
        """The parsed query, the filters and the top hit's score."""
        results = self.search(query, per_page=1, facets=False, **filters)
        top = results.hits[0] if results.hits else None

        def matched_terms(engine: Engine, gen: _Generation) -> tuple[tuple[str, str], ...]:
            if top is None:
                return ()
            parsed = gen.parser.parse(query, now=self._clock())
            return tuple(sorted(engine.query_terms(parsed)))

        return Explanation(
            query,
            results.parsed,
            results.resolved_query,
            results.filters,
            top.title if top else None,
            top.score if top else None,
            self._run(matched_terms),
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
        return self._run(lambda e, _g: e.values("topics"))

    def providers(self) -> list[ValueCount]:
        """Every provider with its document count, most frequent first."""
        return self._run(lambda e, _g: e.values("provider"))

    def stats(self) -> IndexStats:
        return index_stats(self.index_dir)


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
