"""The facade other programs, the CLI and the REPL use: build, describe and search an index.

with searchkit.open_index("index") as ix:
    results = ix.search("facial recognition", topics=["AI"], since="2021-01")
    for hit in results.hits:
        print(hit.rank, hit.title)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index

from . import dates as date_specs
from . import store as st
from .config import resolve_index_dir
from .errors import DocumentNotFoundError, IndexCorruptError, QueryError
from .query import KIND_ALIASES, ParsedQuery, QueryParser
from .reports import BuildProgress, IndexReport, ProgressCallback
from .results import (
    SORTS,
    Document,
    Explanation,
    Filters,
    Hit,
    LinkedDocument,
    SearchResults,
    ValueCount,
)
from .search import Engine, SearchRequest, make_searcher, now_utc

if TYPE_CHECKING:
    from .stats import IndexStats

DEFAULT_PER_PAGE = 10
DEFAULT_FACET_LIMIT = 10
MAX_PER_PAGE = 1000

DateLike = date | datetime | str | None


class _Generation:
    """One opened store generation: its Whoosh index and parser."""

    def __init__(self, store: Path) -> None:
        try:
            self.ix = whoosh_index.open_dir(str(store))
            self.generation = self.ix.latest_generation()
        except Exception as exc:  # Whoosh raises assorted types for a damaged index
            raise IndexCorruptError(
                f"the index at {store} cannot be opened ({exc}): rebuild it with "
                "`searchkit index --full`"
            ) from exc
        self.store = store
        self.parser = QueryParser(self.ix.schema)


class SearchIndex:
    """A searchable index. Safe to share between threads; picks up rebuilds by itself."""

    def __init__(self, index_dir: str | Path, *, clock: Callable[[], datetime] = now_utc) -> None:
        self.index_dir = Path(index_dir)
        self._clock = clock
        self._lock = threading.Lock()
        self._local = threading.local()
        self._current = _Generation(st.require_store(self.index_dir))
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
            if store == current.store and current.ix.latest_generation() == current.generation:
                return current
            while True:
                try:
                    self._current = _Generation(store)
                    return self._current
                except IndexCorruptError:
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
            new = Engine(make_searcher(gen.ix), gen.ix.schema)
            with self._lock:
                if engine is not None and engine in self._engines:
                    self._engines.remove(engine)
                    engine.close()
                self._engines.append(new)
            local.engine, local.generation, engine = new, gen, new
        return engine, gen

    # --- searching -------------------------------------------------------------------

    def parse(self, query: str) -> ParsedQuery:
        """Parse query text (raises QueryError); exposed for validation as you type."""
        return self._generation().parser.parse(query, now=self._clock())

    def search(
        self,
        query: str = "",
        *,
        topics: Iterable[str] = (),
        providers: Iterable[str] = (),
        kind: str | None = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        facets: bool = True,
        facet_limit: int = DEFAULT_FACET_LIMIT,
    ) -> SearchResults:
        """Ranked, faceted search. Topic (and provider) filters OR within, AND across."""
        if sort not in SORTS:
            raise QueryError(query, f"unknown sort {sort!r}", hint="use " + ", ".join(SORTS))
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE or facet_limit < 1:
            raise QueryError(
                query,
                "page, per_page and facet_limit must be positive "
                f"(per_page at most {MAX_PER_PAGE})",
            )
        engine, gen = self._engine()
        now = self._clock()
        filters = self._filters(query, topics, providers, kind, since, until, now)
        parsed = gen.parser.parse(query, now=now)
        request = SearchRequest(parsed, filters, sort, page, per_page, facets, facet_limit)
        return engine.search(request, parse_again=lambda t: gen.parser.parse(t, now=now))

    @staticmethod
    def _filters(
        query: str,
        topics: Iterable[str],
        providers: Iterable[str],
        kind: str | None,
        since: DateLike,
        until: DateLike,
        now: datetime,
    ) -> Filters:
        if kind is not None and kind not in ("all", ""):
            resolved = KIND_ALIASES.get(kind.lower())
            if resolved is None:
                raise QueryError(query, f"unknown kind {kind!r}", hint="use article or related")
            kind = resolved
        else:
            kind = None
        try:
            start = date_specs.as_bound(since, now, end=False)
            end = date_specs.as_bound(until, now, end=True)
        except date_specs.DateSpecError as exc:
            raise QueryError(query, str(exc)) from None
        if start is not None and end is not None and start >= end:
            raise QueryError(query, f"since ({since}) is not before until ({until})")
        return Filters(
            tuple(t for t in topics if t), tuple(p for p in providers if p), kind, start, end
        )

    def explain(self, query: str, **filters: Any) -> Explanation:
        """The parsed query, the filters and the top hit's score."""
        results = self.search(query, per_page=1, facets=False, **filters)
        engine, gen = self._engine()
        parsed = gen.parser.parse(query, now=self._clock())
        top = results.hits[0] if results.hits else None
        matched: tuple[tuple[str, str], ...] = ()
        if top is not None:
            docnum = engine.docnum(top.id)
            if docnum is not None:
                matched = tuple(
                    sorted(
                        (f, t.decode() if isinstance(t, bytes) else str(t))
                        for f, t in parsed.query.existing_terms(engine.reader, expand=True)
                        if engine.searcher.document_number(id=top.id) == docnum
                    )
                )
        return Explanation(
            query,
            results.parsed,
            results.resolved_query,
            results.filters,
            top.title if top else None,
            top.score if top else None,
            matched,
        )

    # --- documents -------------------------------------------------------------------

    def _docnum(self, engine: Engine, doc_id: str) -> int:
        docnum = engine.docnum(doc_id)
        if docnum is None:
            raise DocumentNotFoundError(doc_id)
        return docnum

    def get(self, doc_id: str) -> Document:
        """Everything the index holds about one document."""
        engine, _ = self._engine()
        return engine.document(self._docnum(engine, doc_id))

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Documents about the same thing (more like this)."""
        engine, _ = self._engine()
        pairs = engine.similar(self._docnum(engine, doc_id), limit)
        return [engine._hit(i, d, s, frozenset()) for i, (d, s) in enumerate(pairs, 1)]

    def related(self, doc_id: str) -> list[LinkedDocument]:
        """The documents an article cites, in its order; `kind` says whether each is an
        article of the index, a related stub, or (None) not in the index."""
        engine, _ = self._engine()
        doc = engine.document(self._docnum(engine, doc_id))
        return [engine.linked(link) for link in doc.links]

    def cited_by(self, doc_id: str) -> list[LinkedDocument]:
        """The articles that cite a document."""
        engine, _ = self._engine()
        self._docnum(engine, doc_id)
        return [
            engine.linked(engine.searcher.stored_fields(d)["id"])
            for d in sorted(engine.citing(doc_id))
        ]

    def topics(self) -> list[ValueCount]:
        """Every topic with its document count, most frequent first."""
        engine, _ = self._engine()
        return engine.values("topics")

    def providers(self) -> list[ValueCount]:
        """Every provider with its document count, most frequent first."""
        engine, _ = self._engine()
        return engine.values("provider")

    def stats(self) -> IndexStats:
        return index_stats(self.index_dir)


def build_index(
    seeds_dir: str | Path | None = None,
    index_dir: str | Path = "index",
    *,
    full: bool = False,
    dry_run: bool = False,
    wait: float | None = None,
    progress: ProgressCallback | None = None,
) -> IndexReport:
    """Bring the index at `index_dir` in step with the seeds folder; return what changed.

    `seeds_dir` defaults to the folder the index was built from (or `seeds` for a new index);
    naming another folder than the index's is refused unless `full` is set. `wait` is how long
    to wait for another writer, in seconds (None: fail at once with IndexLockedError).
    `progress` is called with BuildProgress values as the build goes.
    """
    from .indexer import build_index as build  # the search path never loads YAML or the writer

    return build(seeds_dir, index_dir, full=full, dry_run=dry_run, wait=wait, progress=progress)


def index_stats(index_dir: str | Path) -> IndexStats:
    """Describe the index at `index_dir`. Raises IndexNotFoundError when there is none."""
    from .stats import index_stats as describe

    return describe(index_dir)


def open_index(
    path: str | Path | None = None, *, clock: Callable[[], datetime] = now_utc
) -> SearchIndex:
    """Open the index at `path` (default: $SEARCHKIT_INDEX or ./index) for searching.

    Raises IndexNotFoundError when no index was built there. `clock` gives "now" for relative
    dates such as "last week" (injectable for tests).
    """
    return SearchIndex(resolve_index_dir(path), clock=clock)


__all__ = [
    "BuildProgress",
    "Document",
    "Explanation",
    "Hit",
    "IndexReport",
    "IndexStats",
    "LinkedDocument",
    "SearchIndex",
    "SearchResults",
    "ValueCount",
    "build_index",
    "index_stats",
    "open_index",
]
