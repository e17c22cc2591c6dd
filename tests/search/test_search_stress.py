"""Readers never see a raw Whoosh error, nor a half-built index: thousands of searches from
several threads and from separate processes while the index is rebuilt in full, updated
incrementally, and updated by a watcher's batches. Every search succeeds, and every total is
the value before a build or the value after it.

Bounded: a fixed number of builds, and each reader stops at the end of them once it has run
its minimum of searches (no timed assertions).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import textwrap
import threading
import traceback
from pathlib import Path

import searchkit

from .search_helpers import FIXTURE_SEEDS

THREADS = 3
PROCESSES = 2
MIN_SEARCHES = 300  # per reader: 3 threads and 2 processes, 1,500 searches at least
MARKER = "zz-marker.md"
MARKER_TEXT = (
    "---\ntitle: Quokkastress marker\nwebUrl: https://stress.example/marker\n"
    "publishedDateTime: 2021-05-01T10:00:00Z\n---\nThe quokkastress marker.\n"
)
WAIT = 120.0

# A reader in its own process: searches until the stop file appears, then prints what it saw.
READER = textwrap.dedent(
    """
    import json, sys, traceback
    from pathlib import Path
    import searchkit

    index, stop, base, minimum = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    errors, n = [], 0
    with searchkit.open_index(index) as ix:
        while n < minimum or not stop.exists():
            try:
                marker = ix.search("quokkastress", per_page=1).total
                every = ix.search("*", per_page=1).total
                if marker not in (0, 1) or every not in (base, base + 1):
                    errors.append(f"totals {marker} {every}")
            except Exception:
                errors.append(traceback.format_exc())
            n += 1
    print(json.dumps({"searches": n, "errors": errors[:5], "failed": len(errors)}))
    """
)


def _copy_seeds(dst: Path, count: int) -> None:
    dst.mkdir(parents=True)
    for src in sorted(FIXTURE_SEEDS.glob("*.md"))[:count]:
        (dst / src.name).write_bytes(src.read_bytes())


def test_readers_see_only_whole_indexes_during_every_kind_of_build(tmp_path: Path) -> None:
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    _copy_seeds(seeds, 40)
    base = searchkit.build_index(seeds, index_dir).documents
    stop_file = tmp_path / "stop"
    errors: list[str] = []
    counts = [0] * THREADS
    stop = threading.Event()

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", READER, *map(str, (index_dir, stop_file, base, MIN_SEARCHES))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]

    with searchkit.open_index(index_dir) as index:

        def reader(n: int) -> None:
            i = 0
            while i < MIN_SEARCHES or not stop.is_set():
                try:
                    marker = index.search("quokkastress", per_page=1).total
                    every = index.search("*", per_page=1).total
                    if marker not in (0, 1) or every not in (base, base + 1):
                        errors.append(f"totals {marker} {every}")
                except Exception:  # every failure is reported below, with its traceback
                    errors.append(traceback.format_exc())
                i += 1
            counts[n] = i

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        try:
            for round_ in range(3):
                (seeds / MARKER).write_text(MARKER_TEXT)
                searchkit.build_index(seeds, index_dir)  # incremental: the marker in
                (seeds / MARKER).unlink()
                searchkit.build_index(seeds, index_dir, full=round_ % 2 == 0)  # and out
            _watch_batches(seeds, index_dir, batches=4)
        finally:
            stop.set()
            stop_file.touch()
            for thread in threads:
                thread.join(WAIT)
        outputs = [p.communicate(timeout=WAIT) for p in processes]

    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors[0]
    assert all(n >= MIN_SEARCHES for n in counts), counts
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        seen = json.loads(out)
        assert seen["failed"] == 0, seen["errors"]
        assert seen["searches"] >= MIN_SEARCHES


def _watch_batches(seeds: Path, index_dir: Path, *, batches: int) -> None:
    """Put the marker in and out `batches` times, each applied by a watcher's batch."""
    reports: queue.Queue[searchkit.IndexReport] = queue.Queue()
    stop = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            searchkit.watch(seeds, index_dir, on_report=reports.put, stop=stop)
        except BaseException as exc:
            failures.append(exc)

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        reports.get(timeout=WAIT)  # its first build
        for i in range(batches):
            if i % 2 == 0:
                (seeds / MARKER).write_text(MARKER_TEXT)
            else:
                (seeds / MARKER).unlink()
            report = reports.get(timeout=WAIT)
            assert (report.added, report.removed) == ((1, 0) if i % 2 == 0 else (0, 1))
    finally:
        stop.set()
        watcher.join(WAIT)
    assert not failures, failures
