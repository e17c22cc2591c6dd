"""A million seeds on one machine: build, update and search figures, memory included.

    python bench/bench_million.py [--data DIR] [--seeds N] [--jobs N] [--runs N]
                                  [--skip-build] [--baselines]

The corpus is news-full scaled up to N seeds (default 1,000,000) by bench_index.py's recipe,
written to DIR (default ../searchkit-bench-data next to the repository: about 4 GB at 1M seeds,
kept outside the repository), once; a marker file says which recipe made it. Then, each in
fresh processes (wall time; peak RSS of every process, and of all of them together, sampled
every 50 ms):

  * the parse floor (reading and YAML-parsing every file in one process), once;
  * `searchkit index --full --jobs N` (one run; --jobs 1, 2, 3 ... to see the memory a worker
    adds), unless --skip-build finds the index already there;
  * a no-op `searchkit index` and one after a seed's title changed (--runs each);
  * a cold `searchkit search --json` (--runs);
  * in-process: 200 queries with facets and a one-year filter (the first query, p50, p95,
    max, and the process's RSS after them);
  * with --baselines, the same documents in SQLite FTS5 and tantivy (benchmark-only
    dependencies): build time and latency of the same 200 queries with a year filter and
    topic counts.

The "## A million seeds" section of bench/RESULTS.md is replaced. Without the shared corpus it
says so and measures nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "RESULTS.md"
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

import bench_index  # noqa: E402
from bench_common import compile_package, machine_description, replace_section  # noqa: E402

DEFAULT_DATA = REPO.parent / "searchkit-bench-data"
SCALE_VERSION = "1"

QUERIES = r"""
import json, random, resource, statistics, sys, time
from pathlib import Path
t0 = time.perf_counter()
import searchkit
sys.path.insert(0, sys.argv[3])
import bench_search
articles = bench_search.load_articles(Path(sys.argv[2]))
rng = random.Random(5)
queries = []
for q, _kw in bench_search.mixed_queries(articles, 200):
    year = rng.choice((2018, 2019, 2020, 2021, 2022))
    queries.append((q, {"since": f"{year}-01", "until": f"{year}-12"}))
with searchkit.open_index(sys.argv[1]) as ix:
    times = []
    for q, kw in queries:
        t = time.perf_counter()
        ix.search(q, **kw)
        times.append((time.perf_counter() - t) * 1000)
first = times[0]
times.sort()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"first": first, "p50": statistics.median(times),
                  "p95": times[int(len(times) * 0.95) - 1], "max": times[-1], "rss_mb": rss}))
"""


def ensure_corpus(full: Path, data: Path, seeds: int) -> Path:
    dst = data / f"news-{seeds // 1000}k"
    marker = data / f".news-{seeds // 1000}k.version"
    want = f"{SCALE_VERSION} {bench_index.SCALE_VERSION} {seeds}"
    if dst.is_dir() and marker.exists() and marker.read_text().strip() == want:
        return dst
    print(f"generating {seeds:,} seeds in {dst} (about 4 GB at a million) ...", flush=True)
    data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    bench_index.scale_up(full, dst, seeds)
    marker.write_text(want + "\n")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return dst


def searchkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "searchkit", *args]


def run(argv: Sequence[str]) -> dict[str, float]:
    done = bench_index.Run(argv)
    return {
        "seconds": done.seconds,
        "main_mb": done.main_mb,
        "worker_mb": done.worker_mb,
        "total_mb": done.total_mb,
    }


def median_of(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def measure(seeds: Path, index: Path, args: argparse.Namespace) -> dict[str, object]:
    out: dict[str, object] = {}
    floor = run([sys.executable, "-c", bench_index.FLOOR_SCRIPT, str(seeds)])
    out["floor"] = floor["seconds"]
    print(f"parse floor: {floor['seconds']:.0f} s", flush=True)
    if not (args.skip_build and (index / "CURRENT").exists()):
        for jobs in args.jobs:
            built = run(
                searchkit("index", "--full", "--seeds", str(seeds), "--index", str(index),
                          "--jobs", str(jobs), "-q")
            )  # fmt: skip
            out[f"full_{jobs}"] = built
            print(f"full build, {jobs} jobs: {built}", flush=True)
    names = sorted(os.listdir(seeds))
    edited = seeds / names[len(names) // 2]
    original = edited.read_text(encoding="utf-8")
    noop, one = [], []
    try:
        for r in range(args.runs):
            noop.append(run(searchkit("index", "--index", str(index), "-q")))
            edited.write_text(original.replace('title: "', f'title: "Edited {r} ', 1))
            one.append(run(searchkit("index", "--index", str(index), "-q")))
    finally:
        edited.write_text(original, encoding="utf-8")
        run(searchkit("index", "--index", str(index), "-q"))
    out["noop"], out["one"] = noop, one
    cold = [
        run(searchkit("search", "--index", str(index), "--json", "climate change"))
        for _ in range(args.runs)
    ]
    out["cold"] = cold
    full = bench_index.extract(bench_index.find_corpus(None) or Path(), "news-full")
    done = subprocess.run(
        [sys.executable, "-c", QUERIES, str(index), str(full), str(REPO / "bench")],
        capture_output=True,
        text=True,
        check=True,
    )
    out["queries"] = json.loads(done.stdout)
    print(json.dumps(out, indent=1, default=str), flush=True)
    return out


def report(out: dict[str, object], seeds: int, args: argparse.Namespace) -> str:
    floor = float(out["floor"])  # type: ignore[arg-type]
    lines = [
        machine_description(),
        "",
        f"{seeds:,} seeds (news-full scaled up by bench_index.py's recipe). Wall times; peak "
        "RSS per process and of all processes together (sampled every 50 ms).",
        "",
        "| command | wall | peak RSS (together) | target |",
        "|---|---|---|---|",
        f"| parse floor (one process, YAML) | {floor:.0f} s | | |",
    ]
    for jobs in args.jobs:
        row = out.get(f"full_{jobs}")
        if isinstance(row, dict):
            lines.append(
                f"| full build, --jobs {jobs} | {row['seconds']:.0f} s "
                f"({row['seconds'] / floor:.2f}× the floor) | {row['total_mb']:.0f} MB "
                f"(main {row['main_mb']:.0f}, largest worker {row['worker_mb']:.0f}) "
                "| ≤ 2× floor; < 1.5 GB at 2 workers, +~300 MB per worker |"
            )
    noop, one, cold = out["noop"], out["one"], out["cold"]
    for title, rows, target in (
        ("no-op `searchkit index`", noop, "< 3 s, < 300 MB"),
        ("one seed changed, `searchkit index`", one, "< 4 s, < 500 MB"),
        ("cold `searchkit search --json`", cold, "< 0.6 s, < 400 MB"),
    ):
        assert isinstance(rows, list)
        lines.append(
            f"| {title} | {median_of(rows, 'seconds'):.2f} s | "
            f"{median_of(rows, 'total_mb'):.0f} MB | {target} |"
        )
    q = out["queries"]
    assert isinstance(q, dict)
    lines.append(
        f"| in-process, 200 queries with facets and a one-year filter | first {q['first']:.0f} "
        f"ms; p50 {q['p50']:.1f}, p95 {q['p95']:.1f}, max {q['max']:.0f} ms | "
        f"{q['rss_mb']:.0f} MB | first < 300 ms; p95 < 50 ms; max < 500 ms; < 1 GB |"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--corpus", metavar="DIR", help="folder with news-full.tar.gz")
    args = parser.parse_args(argv)
    corpus = bench_index.find_corpus(args.corpus)
    if corpus is None:
        print("bench_million: needs the shared corpus (../shared/corpus); nothing measured.")
        return 0
    compile_package()
    full = bench_index.extract(corpus, "news-full")
    seeds = ensure_corpus(full, args.data, args.seeds)
    index = args.data / f"index-{args.seeds // 1000}k"
    out = measure(seeds, index, args)
    replace_section(RESULTS, "A million seeds", report(out, args.seeds, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
