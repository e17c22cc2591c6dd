"""Watch mode: from a seed file's write to the change being searchable in another process,
and what an idle watcher costs.

    python bench/bench_watch.py SEEDS_DIR [--edits 20] [--bursts 5] [--idle 30] [--write]

SEEDS_DIR is copied to a scratch folder and indexed; then `searchkit index --watch` runs on it
(a subprocess), and a second subprocess, the reader, holds an open SearchIndex and searches
for a token until it finds it. Latency = the time the reader first finds the token minus the
time just before the write (CLOCK_MONOTONIC is one clock for every process on the machine).

- one edit: a seed's title gets a new token; the next edit waits until the burst settled;
- a burst: 100 seeds are written at once, each with the burst's token; the latency is until
  the reader counts all 100;
- idle: the watcher's CPU time (utime + stime from /proc) over `--idle` seconds of quiet, and
  its RSS.

With --write, the "Watch mode" section of bench/RESULTS.md is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench_common import machine_description, replace_section

READER = textwrap.dedent(
    """
    import sys, time, searchkit
    ix = searchkit.open_index(sys.argv[1])
    for line in sys.stdin:
        token, want = line.split()
        while ix.search(token, per_page=1).total < int(want):
            time.sleep(0.005)
        print(time.monotonic(), flush=True)
    """
)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _retitled(text: str, token: str) -> str:
    """The seed text with `token` at the start of its title (quoted or not)."""
    if 'title: "' in text:
        return text.replace('title: "', f'title: "{token} ', 1)
    return text.replace("title: ", f"title: {token} ", 1)


def _seed(title: str, url: str) -> str:
    return (
        f"---\ntitle: {title}\nwebUrl: {url}\npublishedDateTime: 2021-05-01T10:00:00Z\n"
        "---\nWritten by the watch benchmark.\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seeds", type=Path)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--bursts", type=int, default=5)
    ap.add_argument("--idle", type=float, default=30.0)
    ap.add_argument(
        "--gap",
        type=float,
        default=1.5,
        help="seconds between changes: more than the settle walk takes, so that each change "
        "starts from a quiet watcher",
    )
    ap.add_argument(
        "--in-place",
        metavar="INDEX",
        type=Path,
        help="work on SEEDS_DIR itself, with this index of it (it changes both): no copy",
    )
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    if args.in_place:
        seeds, index = args.seeds, args.in_place
    else:
        seeds, index = scratch / "seeds", scratch / "index"
        shutil.copytree(args.seeds, seeds)
    files = sorted(p for p in seeds.iterdir() if p.suffix == ".md")
    build = subprocess.run(
        [sys.executable, "-m", "searchkit", "index", "--seeds", seeds, "--index", index, "-q"],
        check=False,
    )
    assert build.returncode in (0, 3)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "searchkit", "index", "--watch", "--json", "--index", index],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert watcher.stdout is not None
    json.loads(watcher.stdout.readline())  # its first build: nothing to do
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(index)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None

    def searchable(token: str, want: int, write: object) -> float:
        reader.stdin.write(f"{token} {want}\n")  # type: ignore[union-attr]
        reader.stdin.flush()  # type: ignore[union-attr]
        time.sleep(0.2)  # the reader is polling for a token that is not there yet
        started = time.monotonic()
        write()  # type: ignore[operator]
        found = float(reader.stdout.readline())  # type: ignore[union-attr]
        return found - started

    run = f"{int(time.time()) % 1_000_000:06d}"  # tokens no earlier run (--in-place) left
    try:
        edits = []
        for i in range(args.edits):
            target = files[(i * 7919) % len(files)]
            text = target.read_text(encoding="utf-8")
            token = f"zq{run}edit{i}x"
            edits.append(
                searchable(
                    token,
                    1,
                    lambda t=target, x=text, k=token: t.write_text(
                        _retitled(x, k), encoding="utf-8"
                    ),
                )
            )
            time.sleep(args.gap)  # past the settle walk: each edit starts from a quiet watcher
        bursts = []
        for b in range(args.bursts):
            token = f"zq{run}burst{b}x"

            def burst(b: int = b, token: str = token) -> None:
                for k in range(100):
                    (seeds / f"zz-burst-{run}-{b}-{k}.md").write_text(
                        _seed(f"{token} {k}", f"https://bench.example/{run}/{b}/{k}")
                    )

            bursts.append(searchable(token, 100, burst))
            time.sleep(args.gap + 0.5)
        time.sleep(3.0)
        cpu0, t0 = _cpu_seconds(watcher.pid), time.monotonic()
        time.sleep(args.idle)
        idle_cpu = (_cpu_seconds(watcher.pid) - cpu0) / (time.monotonic() - t0)
        rss = _rss_mb(watcher.pid)
    finally:
        watcher.terminate()
        watcher.wait(timeout=60)
        reader.kill()
        reader.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    name = args.seeds.name
    n = len(files)
    lines = [
        f"| {name} ({n:,} seeds) | one edited seed | {len(edits)} | "
        f"{statistics.median(edits):.2f} | {_pct(edits, 95):.2f} | {max(edits):.2f} |",
        f"| {name} ({n:,} seeds) | a burst of 100 new seeds | {len(bursts)} | "
        f"{statistics.median(bursts):.2f} | {_pct(bursts, 95):.2f} | {max(bursts):.2f} |",
    ]
    idle = (
        f"Idle watcher on {name}: {idle_cpu * 100:.2f}% of a core over {args.idle:.0f} s, "
        f"RSS {rss:.0f} MB."
    )
    print("\n".join(lines))
    print(idle)
    print("raw edits", [round(x, 3) for x in edits], "raw bursts", [round(x, 3) for x in bursts])
    if args.write:
        body = "\n".join(
            [
                machine_description(),
                "",
                "From a seed's write to the change being searchable in another process "
                "(bench/bench_watch.py; seconds):",
                "",
                "| corpus | change | runs | p50 | p95 | max |",
                "|---|---|---|---|---|---|",
                *lines,
                "",
                idle,
            ]
        )
        replace_section(Path(__file__).parent / "RESULTS.md", f"Watch mode ({name})", body)


if __name__ == "__main__":
    main()
