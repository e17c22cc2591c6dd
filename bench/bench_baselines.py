"""The same documents in SQLite FTS5 and tantivy, for scale: build time, size, and the latency of
the same searches with facets (benchmark-only: `pip install -e ".[bench]"` adds tantivy).

    python bench/bench_baselines.py INDEX [--queries N] [--out FILE]

INDEX is a searchkit index (bench_million.py builds the million-seed one); its documents
(articles and related stubs, every field searched) are read back from it, so the three engines
hold exactly the same documents. Each engine then answers the queries bench_million.py times
(a few title words, a one-year date filter, the ten best hits), and counts the topics, the
providers and the documents per month of every match, as searchkit's facets do. Printed as
JSON (and written to FILE): per engine, build seconds, size on disk, and first, p50, p95 and
max milliseconds per search.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_search  # noqa: E402


def documents(index: Path) -> Iterator[dict[str, Any]]:
    """Every document of a searchkit index, as plain fields (read from its stored fields)."""
    from searchkit.records import from_stored
    from searchkit.store import require_store
    from searchkit.whoosh_seam.storage import open_index

    with open_index(require_store(index)).reader() as reader:
        for stored in reader.all_stored_fields():
            doc = from_stored(stored)
            yield {
                "id": doc.id,
                "title": doc.title,
                "excerpt": doc.excerpt,
                "body": doc.body,
                "topics": list(doc.topics),
                "provider": doc.provider.name or "",
                "published": int(doc.published.timestamp()) if doc.published else None,
            }


def queries(n: int) -> list[tuple[str, int]]:
    """(words, year): the searches bench_million.py times, in the same order."""
    articles = bench_search.load_articles(REPO / "bench" / "data" / "news-full")
    rng = random.Random(5)
    out = []
    for q, _kw in bench_search.mixed_queries(articles, n):
        year = rng.choice((2018, 2019, 2020, 2021, 2022))
        out.append((q, year))
    return out


def _year(year: int) -> tuple[int, int]:
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    return start, int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())


def _words(text: str) -> list[str]:
    """The query's words, without its syntax (quotes, apostrophes, field names)."""
    text = re.sub(r"\w+:", " ", text)
    return [w for w in re.findall(r"[A-Za-z0-9]+", text) if w.lower() not in ("and", "or", "not")]


def _timed(run: Any, searches: list[tuple[str, int]]) -> dict[str, float]:
    times = []
    for words, year in searches:
        started = time.perf_counter()
        run(words, year)
        times.append((time.perf_counter() - started) * 1000)
    first = times[0]
    times.sort()
    return {
        "first_ms": first,
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(len(times) * 0.95) - 1],
        "max_ms": times[-1],
    }


def fts5(
    docs: list[dict[str, Any]], searches: list[tuple[str, int]], folder: Path
) -> dict[str, Any]:
    path = folder / "fts5.db"
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE VIRTUAL TABLE d USING fts5(title, excerpt, body, topics, provider, "
        "tokenize='porter unicode61');"
        "CREATE TABLE meta(rowid INTEGER PRIMARY KEY, provider TEXT, published INTEGER);"
        "CREATE TABLE topic(rowid INTEGER, name TEXT);"
    )
    for i, doc in enumerate(docs, 1):
        db.execute(
            "INSERT INTO d(rowid, title, excerpt, body, topics, provider) VALUES (?,?,?,?,?,?)",
            (i, doc["title"], doc["excerpt"], doc["body"], " ".join(doc["topics"]),
             doc["provider"]),
        )  # fmt: skip
        db.execute("INSERT INTO meta VALUES (?,?,?)", (i, doc["provider"], doc["published"]))
        db.executemany("INSERT INTO topic VALUES (?,?)", [(i, t) for t in doc["topics"]])
    db.executescript(
        "CREATE INDEX meta_published ON meta(published); CREATE INDEX topic_row ON topic(rowid);"
    )
    db.commit()
    built = time.perf_counter() - started

    def search(words: str, year: int) -> None:
        match = " ".join('"' + w.replace('"', "") + '"' for w in _words(words)) or '"news"'
        lo, hi = _year(year)
        where = "d MATCH ? AND meta.published >= ? AND meta.published < ?"
        join = "FROM d JOIN meta ON meta.rowid = d.rowid"
        args = (match, lo, hi)
        db.execute(
            f"SELECT d.rowid {join} WHERE {where} ORDER BY bm25(d, 4, 2, 1, 1.5, 1) LIMIT 10", args
        ).fetchall()
        db.execute(
            f"SELECT meta.provider, count(*) {join} WHERE {where} GROUP BY 1", args
        ).fetchall()
        db.execute(
            f"SELECT topic.name, count(*) {join} JOIN topic ON topic.rowid = d.rowid "
            f"WHERE {where} GROUP BY 1",
            args,
        ).fetchall()
        db.execute(
            f"SELECT strftime('%Y-%m', meta.published, 'unixepoch'), count(*) {join} "
            f"WHERE {where} GROUP BY 1",
            args,
        ).fetchall()

    timing = _timed(search, searches)
    db.close()
    return {"build_s": built, "size_mb": path.stat().st_size / 1e6, **timing}


def tantivy_engine(
    docs: list[dict[str, Any]], searches: list[tuple[str, int]], folder: Path
) -> dict[str, Any]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    for name in ("title", "excerpt", "body"):
        builder.add_text_field(name, stored=False, tokenizer_name="en_stem")
    builder.add_text_field("topics", stored=False, tokenizer_name="raw", fast=True)
    builder.add_text_field("provider", stored=False, tokenizer_name="raw", fast=True)
    builder.add_integer_field("published", indexed=True, fast=True)
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    schema = builder.build()
    path = folder / "tantivy"
    path.mkdir()
    started = time.perf_counter()
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(heap_size=256_000_000)
    for doc in docs:
        fields = {k: doc[k] for k in ("id", "title", "excerpt", "body", "provider")}
        fields["topics"] = doc["topics"]
        if doc["published"] is not None:
            fields["published"] = doc["published"]
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    built = time.perf_counter() - started
    searcher = index.searcher()
    fields = ["title", "excerpt", "body"]

    def search(words: str, year: int) -> None:
        text = " ".join(_words(words)) or "news"
        lo, hi = _year(year)
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, index.parse_query(text, fields)),
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        schema, "published", tantivy.FieldType.Integer, lo, hi - 1
                    ),
                ),
            ]
        )
        searcher.search(query, 10)
        searcher.aggregate(
            query,
            {
                "topics": {"terms": {"field": "topics", "size": 10}},
                "provider": {"terms": {"field": "provider", "size": 10}},
                "month": {"histogram": {"field": "published", "interval": 2_592_000}},
            },
        )

    timing = _timed(search, searches)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file()) / 1e6
    return {"build_s": built, "size_mb": size, **timing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not (REPO / "bench" / "data" / "news-full").is_dir():
        print("bench_baselines: needs bench/data/news-full (run bench_index.py); nothing measured.")
        return 0
    started = time.perf_counter()
    docs = list(documents(args.index))
    print(f"{len(docs):,} documents read in {time.perf_counter() - started:.0f} s", flush=True)
    searches = queries(args.queries)
    folder = Path(tempfile.mkdtemp(dir=args.index.parent, prefix="baselines-"))
    out: dict[str, Any] = {"documents": len(docs)}
    try:
        out["sqlite_fts5"] = fts5(docs, searches, folder)
        print(json.dumps(out), flush=True)
        try:
            out["tantivy"] = tantivy_engine(docs, searches, folder)
        except ImportError:
            out["tantivy"] = "not installed: pip install tantivy"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
