"""What a full build gains from N processes, and what its N segments cost queries.

    python bench/bench_segments.py [--corpus DIR] [--scale full|100k] [--jobs 1 2 4] [--rounds 5]

Builds news-full (or its 100k scale-up) once per process count (one segment per process),
recording wall times; the serial fraction s follows from the first two counts by Amdahl's
law (T(n) = T(1) * (s + (1 - s) / n)), and gives the expected times at 8 and 16 cores.
Then it runs the same 300
mixed queries as bench_search.py (facets on every query) against each index, interleaved
round by round in one process so that the machine's noise falls on all of them alike.
Reports the median over rounds of each index's p50 and p95, and their ratio to one segment.
The "## Segments" section of bench/RESULTS.md is replaced. Without the shared corpus it says
so and measures nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

import bench_index  # noqa: E402
import bench_search  # noqa: E402
from bench_common import machine_description, replace_section  # noqa: E402

import searchkit  # noqa: E402


def segments_of(index: Path) -> int:
    """Segments of the live store: its segment files (MAIN_<id>.seg), uncompounded or not."""
    store = index / (index / "CURRENT").read_text().strip()
    return len({p.name.split(".")[0] for p in store.glob("MAIN_*.seg")})


def one_round(ix: searchkit.SearchIndex, queries: list[tuple[str, dict]]) -> list[float]:
    times = []
    for q, kw in queries:
        t = time.perf_counter()
        ix.search(q, **kw)
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", metavar="DIR", help="folder with news-full.tar.gz")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", choices=["full", "100k"], default="full")
    args = parser.parse_args(argv)
    corpus = bench_index.find_corpus(args.corpus)
    if corpus is None:
        print("bench_segments: needs the shared corpus (../shared/corpus); nothing measured.")
        return 0
    full = bench_index.extract(corpus, "news-full")
    seeds = full if args.scale == "full" else bench_index.ensure_scaled(full)
    name = "news-full" if args.scale == "full" else "the 100k scale-up"
    queries = bench_search.mixed_queries(bench_search.load_articles(full), 300)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        indexes = {}
        for jobs in args.jobs:
            index = Path(tmp) / f"index-{jobs}"
            options = searchkit.BuildOptions(jobs=jobs)
            started = time.perf_counter()
            searchkit.build_index(seeds, index, full=True, options=options)
            built = time.perf_counter() - started
            indexes[jobs] = (index, built)
            print(f"{jobs} jobs: built in {built:.1f} s", flush=True)
        opened = {j: searchkit.open_index(i) for j, (i, _b) in indexes.items()}
        for ix in opened.values():
            one_round(ix, queries)  # warm caches alike
        p50: dict[int, list[float]] = {j: [] for j in opened}
        p95: dict[int, list[float]] = {j: [] for j in opened}
        for _ in range(args.rounds):
            for jobs, ix in opened.items():
                times = one_round(ix, queries)
                p50[jobs].append(statistics.median(times))
                p95[jobs].append(times[int(len(times) * 0.95) - 1])
        for ix in opened.values():
            ix.close()
        base50 = statistics.median(p50[args.jobs[0]])
        base95 = statistics.median(p95[args.jobs[0]])
        model = ""
        if len(args.jobs) >= 2 and args.jobs[0] == 1:
            t1, tn, n = indexes[1][1], indexes[args.jobs[1]][1], args.jobs[1]
            serial = max(0.0, min(1.0, (tn / t1 - 1 / n) / (1 - 1 / n)))
            expect = {k: t1 * (serial + (1 - serial) / k) for k in (8, 16)}
            model = (
                f"From 1 to {n} processes the build went from {t1:.1f} s to {tn:.1f} s "
                f"({t1 / tn:.2f}x): a serial fraction of {serial:.2f} by Amdahl's law, which "
                f"puts 8 cores at {expect[8]:.1f} s ({t1 / expect[8]:.1f}x) and 16 at "
                f"{expect[16]:.1f} s ({t1 / expect[16]:.1f}x), if the disk keeps up. On this "
                "2-core machine, counts above 2 measure overhead, not scaling."
            )
            print(model, flush=True)
        for jobs, (index, built) in indexes.items():
            m50, m95 = statistics.median(p50[jobs]), statistics.median(p95[jobs])
            rows.append(
                f"| {jobs} | {segments_of(index)} | {built:.1f} | {m50:.1f} | "
                f"{m50 / base50:.2f} | {m95:.1f} | {m95 / base95:.2f} |"
            )
            print(rows[-1], flush=True)
    body = "\n".join(
        [
            machine_description(),
            "",
            f"{name} built with N processes (one segment each), then {len(queries)} mixed "
            "queries with facets (bench_search.py's) against every index, interleaved, "
            f"{args.rounds} rounds; medians over rounds. Build times are single runs.",
            "",
            "| processes | segments | build s | p50 ms | p50 vs first | p95 ms | p95 vs first |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            model,
        ]
    )
    replace_section(bench_index.RESULTS, f"Processes and segments ({name})", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
