"""What an index holds: counts, date span, size, and the seeds that need attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import manifest as mf
from . import store as st
from .filters import Filters
from .records import ARTICLE
from .reports import SeedIssue
from .search.columns import FacetColumns
from .search.facets import FacetCounter, from_long
from .whoosh_seam.errors import opening, reading
from .whoosh_seam.storage import open_index as open_whoosh_index


@dataclass(frozen=True, slots=True)
class IndexStats:
    documents: int
    articles: int
    related: int
    topics: int
    providers: int
    earliest: datetime | None
    latest: datetime | None
    schema_version: str
    seeds: str
    index: str
    size_bytes: int
    last_build: datetime | None
    seed_files: int
    stale: tuple[str, ...]
    errors: tuple[SeedIssue, ...]  # seed files that could not be indexed
    duplicates: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "articles": self.articles,
            "related": self.related,
            "topics": self.topics,
            "providers": self.providers,
            "earliest": _iso(self.earliest),
            "latest": _iso(self.latest),
            "schema_version": self.schema_version,
            "seeds": self.seeds,
            "index": self.index,
            "size_bytes": self.size_bytes,
            "last_build": _iso(self.last_build),
            "seed_files": self.seed_files,
            "stale": list(self.stale),
            "errors": [{"path": i.path, "error": i.error} for i in self.errors],
            "duplicates": list(self.duplicates),
        }


def _iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def index_stats(index_dir: str | Path) -> IndexStats:
    """Describe the index at `index_dir`. Raises IndexNotFoundError when there is none."""
    root = Path(index_dir)
    store = st.require_store(root)
    with opening(root, store):
        ix = open_whoosh_index(store)
        generation = ix.latest_generation()
    manifest = mf.read_manifest(store, generation)
    with reading(root, store), ix.searcher() as searcher:
        columns = FacetColumns(searcher.reader())
        live = columns.live()
        _, counts, dates = FacetCounter(columns, Filters()).run(live)
    documents = len(live)
    articles = counts["kind"][ARTICLE]
    topics = len({t.casefold() for t in counts["topics"]})
    providers = len({p.casefold() for p in counts["provider"]})
    earliest = from_long(int(min(dates))) if len(dates) else None
    latest = from_long(int(max(dates))) if len(dates) else None
    issues = sorted(manifest.seeds.issues())
    stale = tuple(path for path, status, _, _ in issues if status == mf.STALE)
    invalid = tuple(
        SeedIssue(path, error or "") for path, status, error, _ in issues if status == mf.INVALID
    )
    duplicates = tuple(path for path, status, _, _ in issues if status == mf.DUPLICATE)
    return IndexStats(
        documents=documents,
        articles=articles,
        related=documents - articles,
        topics=topics,
        providers=providers,
        earliest=earliest,
        latest=latest,
        schema_version=manifest.schema,
        seeds=manifest.seeds_dir,
        index=str(root.resolve()),
        size_bytes=st.store_size(store),
        last_build=datetime.fromtimestamp(manifest.built_at, UTC) if manifest.built_at else None,
        seed_files=len(manifest.seeds),
        stale=stale,
        errors=invalid,
        duplicates=duplicates,
    )
