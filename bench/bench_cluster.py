"""Sharded index on Ray against the single index: build time, query latency with facets,
and what the coordinator adds per query. On one 2-core machine this measures the overhead of
sharding, not its scaling (every shard shares the same two cores).

    .venv/bin/python bench/bench_cluster.py SEEDS --address HOST:PORT --shards 2 4 [--write]

The cluster is one started beforehand (`ray start --head --num-cpus 2`). Each figure is the
median of `--runs` runs; latencies over `--queries` queries drawn from the seeds' titles.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import STOP, machine_description, replace_section

import searchkit
from searchkit.cluster.build import build_sharded
from searchkit.cluster.coordinator import ClusterIndex

RESULTS = Path(__file__).with_name("RESULTS.md")


def queries(index: Any, count: int, seed: int = 7) -> list[str]:
    """Two-word queries from the titles of the index's articles (the same for every run)."""
    titles = [h.title for h in index.search("", kind="article", per_page=1000).hits]
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        words = [w for w in rng.choice(titles).lower().split() if w.isalpha() and w not in STOP]
        if len(words) >= 2:
            out.append(" ".join(rng.sample(words, 2)))
    return out


def latencies(index: Any, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        index.search(text, facets=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def round_trip(index: ClusterIndex, count: int) -> float:
    """Median ms of one scatter/gather of a no-op to every shard: Ray's part of a stage."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        index.scatter("ping", ())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seeds", type=Path)
    ap.add_argument("--address", required=True)
    ap.add_argument("--shards", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--write", action="store_true", help="write the section of RESULTS.md")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    rows = []
    try:
        single = work / "single"
        build_times = []
        for _ in range(args.runs):
            shutil.rmtree(single, ignore_errors=True)
            started = time.perf_counter()
            searchkit.build_index(args.seeds, single, full=True)
            build_times.append(time.perf_counter() - started)
        with searchkit.open_index(single) as ix:
            texts = queries(ix, args.queries)
            latencies(ix, texts[:20])  # warm
            runs = [latencies(ix, texts) for _ in range(args.runs)]
        rows.append(("single", statistics.median(build_times), runs, None))
        for shards in args.shards:
            folder = work / f"s{shards}"
            build_times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                build_sharded(args.seeds, folder, shards, address=args.address, full=True)
                build_times.append(time.perf_counter() - started)
            with ClusterIndex(folder, args.address) as cx:
                latencies(cx, texts[:20])
                runs = [latencies(cx, texts) for _ in range(args.runs)]
                trip = round_trip(cx, 100)
            rows.append((f"{shards} shards", statistics.median(build_times), runs, trip))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    count = len(list(args.seeds.iterdir()))
    lines = [
        machine_description(),
        "",
        f"Seeds: {args.seeds.name} ({count:,} files). A local Ray cluster on the same 2 cores "
        "(`ray start --head --num-cpus 2`): this measures the overhead of sharding, not its "
        f"scaling. Medians of {args.runs} runs; {args.queries} two-word queries from titles, "
        "with facets.",
        "",
        "| index | build s | query p50 ms | query p95 ms | scatter round trip ms |",
        "|---|---|---|---|---|",
    ]
    for name, build, runs, trip in rows:
        p50 = statistics.median(pct(r, 0.5) for r in runs)
        p95 = statistics.median(pct(r, 0.95) for r in runs)
        shown = "-" if trip is None else f"{trip:.1f}"
        lines.append(f"| {name} | {build:.1f} | {p50:.1f} | {p95:.1f} | {shown} |")
    body = "\n".join(lines)
    print(body)
    if args.write:
        replace_section(RESULTS, f"Cluster: {args.seeds.name}", body)


if __name__ == "__main__":
    main()
