"""What an index holds: counts, date span, size, and the seeds that need attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Term
from whoosh.util.times import long_to_datetime

from . import store as st
from .errors import IndexCorruptError
from .records import ARTICLE
from .reports import SeedIssue


@dataclass(frozen=True, slots=True)
class IndexStats:
    documents: int
    articles: int
    stubs: int
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
    invalid: tuple[SeedIssue, ...]
    duplicates: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "articles": self.articles,
            "stubs": self.stubs,
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
            "invalid": [{"path": i.path, "error": i.error} for i in self.invalid],
            "duplicates": list(self.duplicates),
        }


def _iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def index_stats(index_dir: str | Path) -> IndexStats:
    """Describe the index at `index_dir`. Raises IndexNotFoundError when there is none."""
    root = Path(index_dir)
    store = st.require_store(root)
    try:
        ix = whoosh_index.open_dir(str(store))
        generation = ix.latest_generation()
    except Exception as exc:  # Whoosh raises assorted types for a damaged index
        raise IndexCorruptError(
            f"the index at {root} cannot be opened ({exc}): rebuild it with "
            "`searchkit index --full`"
        ) from exc
    manifest = st.read_manifest(store, generation)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        documents = searcher.doc_count()
        articles = sum(1 for _ in searcher.docs_for_query(Term("kind", ARTICLE)))
        topics, providers = _distinct(reader, "topic"), _distinct(reader, "provider")
        earliest, latest = _date_span(reader)
    stale = tuple(p for p, s in sorted(manifest.seeds.items()) if s.status == st.STALE)
    invalid = tuple(
        SeedIssue(p, s.error or "")
        for p, s in sorted(manifest.seeds.items())
        if s.status == st.INVALID
    )
    duplicates = tuple(p for p, s in sorted(manifest.seeds.items()) if s.status == st.DUPLICATE)
    return IndexStats(
        documents=documents,
        articles=articles,
        stubs=documents - articles,
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
        invalid=invalid,
        duplicates=duplicates,
    )


def _distinct(reader: Any, fieldname: str) -> int:
    """Distinct values of a facet field among live documents, ignoring case."""
    values: set[str] = set()
    column = reader.column_reader(fieldname)
    for docnum in reader.all_doc_ids():
        raw = column[docnum]
        if raw:
            values.update(v.casefold() for v in _text(raw).split("\n") if v)
    return len(values)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def _date_span(reader: Any) -> tuple[datetime | None, datetime | None]:
    column = reader.column_reader("published", translate=False)
    default = column.default_value() if hasattr(column, "default_value") else None
    values = [column[d] for d in reader.all_doc_ids()]
    values = [v for v in values if v and v != default]
    if not values:
        return None, None
    return (
        long_to_datetime(min(values)).replace(tzinfo=UTC),
        long_to_datetime(max(values)).replace(tzinfo=UTC),
    )
