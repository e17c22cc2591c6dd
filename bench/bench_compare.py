"""Before and after: the key figures of two source trees of searchkit, measured in one run.

    python bench/bench_compare.py --before DIR [--label TEXT] [--corpus DIR] [--runs N]

DIR is another checkout of searchkit (for example `git worktree add ../before <commit>`). Each
measurement runs in fresh processes with PYTHONPATH naming the tree under test, the two trees
taking turns (before, after, before, after, ...), so that a drift in the machine's speed
touches both alike; medians are quoted. Measured, on news-full and its 100k scale-up (made by
bench_index.py's recipe, under bench/data/):

  * the full build of news-full (wall time, ratio to the parse floor, peak RSS of the main
    process and its worker), and of the 100k scale-up (once each);
  * a no-op run and a run after one seed changed, over the 100k seeds;
  * search latency in-process, 300 mixed queries with facets (p50, p95, max), on both indexes;
  * a cold `searchkit search --json` on the 100k index.

The "## Before and after" section of bench/RESULTS.md is replaced with a table of both.
Without the shared corpus it says so and measures nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "RESULTS.md"
sys.path.insert(0, str(REPO / "bench"))

import bench_index  # noqa: E402
from bench_common import compile_package, machine_description, replace_section  # noqa: E402

LATENCY = r"""
import json, statistics, sys, time
import searchkit  # first: from the tree under test (bench_search puts this repository first)
sys.path.insert(0, sys.argv[3])
import bench_search
articles = bench_search.load_articles(__import__("pathlib").Path(sys.argv[2]))
queries = bench_search.mixed_queries(articles, 300)
times = []
with searchkit.open_index(sys.argv[1]) as ix:
    ix.search("warm up")
    for q, kw in queries:
        t = time.perf_counter()
        ix.search(q, **kw)
        times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps([statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]]))
"""


class Tree:
    """One source tree of searchkit, its indexes, and what was measured of it."""

    def __init__(self, name: str, source: Path) -> None:
        self.name = name
        self.source = source.resolve()
        self.env = dict(os.environ, PYTHONPATH=str(self.source))
        self.figures: dict[str, list[float]] = {}

    def index_dir(self, corpus: str) -> Path:
        return DATA / f"compare-{self.name}-{corpus}"

    def add(self, key: str, value: float) -> None:
        self.figures.setdefault(key, []).append(value)

    def run(self, argv: Sequence[str]) -> bench_index.Run:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)
        try:
            return bench_index.Run(argv)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def searchkit(self, *args: str) -> bench_index.Run:
        return self.run([sys.executable, "-m", "searchkit", *args])

    def median(self, key: str) -> float:
        values = self.figures.get(key, [])
        return statistics.median(values) if values else float("nan")


def build(tree: Tree, seeds: Path, corpus: str) -> bench_index.Run:
    index = tree.index_dir(corpus)
    shutil.rmtree(index, ignore_errors=True)
    return tree.searchkit("index", "--full", "--seeds", str(seeds), "--index", str(index), "-q")


def measure(trees: list[Tree], full: Path, scaled: Path, runs: int) -> None:
    for tree in trees:  # the 100k indexes, once each
        done = build(tree, scaled, "100k")
        tree.add("full_100k", done.seconds)
        tree.add("rss_100k", done.main_mb + done.worker_mb)
    names = sorted(scaled.iterdir())
    edited = names[len(names) // 2]
    original = edited.read_text(encoding="utf-8")
    try:
        for r in range(runs):
            floor = trees[0].run([sys.executable, "-c", bench_index.FLOOR_SCRIPT, str(full)])
            for tree in trees:
                tree.add("floor", floor.seconds)
                done = build(tree, full, "full")
                tree.add("full", done.seconds)
                tree.add("main_mb", done.main_mb)
                tree.add("worker_mb", done.worker_mb)
            for k in range(3):
                text = original.replace('title: "', f'title: "Edited {r}.{k} ', 1)
                edited.write_text(text, encoding="utf-8")
                for tree in trees:  # the edit is seen by each tree's own index
                    index = str(tree.index_dir("100k"))
                    tree.add("one", tree.searchkit("index", "--index", index, "-q").seconds)
                    tree.add("noop", tree.searchkit("index", "--index", index, "-q").seconds)
                edited.write_text(original, encoding="utf-8")
                for tree in trees:
                    tree.searchkit("index", "--index", str(tree.index_dir("100k")), "-q")
            for tree in trees:
                for corpus in ("full", "100k"):
                    index = str(tree.index_dir(corpus))
                    out = tree.run(
                        [sys.executable, "-c", LATENCY, index, str(full), str(REPO / "bench")]
                    )
                    p50, p95, top = map(float, out.stdout.strip().strip("[]").split(","))
                    tree.add(f"p50_{corpus}", p50)
                    tree.add(f"p95_{corpus}", p95)
                    tree.add(f"max_{corpus}", top)
                for _ in range(3):
                    index = str(tree.index_dir("100k"))
                    cold = tree.searchkit("search", "--index", index, "--json", "climate change")
                    tree.add("cold", cold.seconds)
            print(f"run {r + 1}: " + "; ".join(_summary(t) for t in trees), flush=True)
    finally:
        edited.write_text(original, encoding="utf-8")


def _summary(tree: Tree) -> str:
    return f"{tree.name}: full {tree.median('full'):.1f} s, p95 {tree.median('p95_100k'):.1f} ms"


ROWS = [
    ("full build of news-full / parse floor", "ratio", "{:.2f}×", "≤ 2×"),
    ("full build of news-full (s)", "full", "{:.1f}", ""),
    ("peak RSS main + worker, news-full (MB)", "rss_full", "{:.0f}", ""),
    ("full build of the 100k scale-up (s, one run)", "full_100k", "{:.0f}", ""),
    ("peak RSS main + worker, 100k (MB)", "rss_100k", "{:.0f}", "< 600 per process"),
    ("no-op `searchkit index`, 100k (s)", "noop", "{:.2f}", "< 1"),
    ("one seed changed, 100k (s)", "one", "{:.2f}", "< 2"),
    ("search p50 / p95 / max, news-full (ms)", "lat_full", "", ""),
    ("search p50 / p95 / max, 100k (ms)", "lat_100k", "", "p95 < 50"),
    ("cold `searchkit search --json`, 100k (s)", "cold", "{:.3f}", "< 0.4"),
]


def _cell(tree: Tree, key: str, fmt: str) -> str:
    if key == "ratio":
        return fmt.format(tree.median("full") / tree.median("floor"))
    if key == "rss_full":
        return fmt.format(tree.median("main_mb") + tree.median("worker_mb"))
    if key.startswith("lat_"):
        corpus = key[4:]
        return " / ".join(f"{tree.median(f'{k}_{corpus}'):.1f}" for k in ("p50", "p95", "max"))
    return fmt.format(tree.median(key))


def report(trees: list[Tree], label: str, runs: int) -> str:
    before, after = trees
    lines = [
        machine_description(),
        "",
        f"{label}. Both trees measured in one run, taking turns, {runs} runs each (medians); "
        "indexes built by each tree's own code.",
        "",
        "| figure | before | after | target |",
        "|---|---|---|---|",
    ]
    for title, key, fmt, target in ROWS:
        lines.append(
            f"| {title} | {_cell(before, key, fmt)} | {_cell(after, key, fmt)} | {target} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, type=Path, help="another searchkit checkout")
    parser.add_argument("--label", default="Before and after", help="what the change is")
    parser.add_argument("--corpus", metavar="DIR", help="folder with news-full.tar.gz")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    corpus = bench_index.find_corpus(args.corpus)
    if corpus is None:
        print("bench_compare: needs the shared corpus (../shared/corpus); nothing measured.")
        return 0
    if not (args.before / "searchkit" / "__init__.py").exists():
        print(f"bench_compare: {args.before} is not a searchkit checkout")
        return 2
    compile_package()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(args.before / "searchkit")], check=True
    )
    full = bench_index.extract(corpus, "news-full")
    scaled = bench_index.ensure_scaled(full)
    trees = [Tree("before", args.before), Tree("after", REPO)]
    measure(trees, full, scaled, args.runs)
    text = report(trees, args.label, args.runs)
    print(text)
    replace_section(RESULTS, "Before and after", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
