"""A full build shared between the main process and 1 to 3 worker processes (build/full.py)
holds exactly what a build in one process holds: the same documents, stubs, duplicates and
manifest states, also when a worker dies at any step of its protocol."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from index_helpers import (
    FIXTURE_SEEDS,
    assert_matches_full_build,
    copy_seeds,
    expected_documents,
    generate_seeds,
    live_store,
    open_live_index,
    related,
    run_cli,
    seed_text,
    stored_docs,
    write_file,
)

import searchkit
from searchkit import BuildOptions
from searchkit.manifest import read_manifest
from searchkit.whoosh_seam.toc import latest_generation

FIRST_URL = "https://www.huffpost.com/entry/a-shared-identity_n_1"
LATE_URL = "https://www.huffpost.com/entry/a-late-identity_n_2"
SHARED_STUB = "https://example.com/cited-from-both-ends"
BROKEN = ("0-broken.md", "zz-broken.md")
EARLY_STUBS = "https://example.com/early"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Some 530 seeds whose duplicates, invalid seeds and shared stubs fall at both ends of
    the path order, so that both processes meet them."""
    folder = copy_seeds(FIXTURE_SEEDS, tmp_path_factory.mktemp("parallel") / "seeds")
    generate_seeds(folder, 300)
    stub = related("Cited from both ends", SHARED_STUB)
    # "0..." sorts first (main process), "zz..." last (worker).
    write_file(
        folder / "0-first.md", seed_text("First", FIRST_URL, topics=["Alpha"], related=[stub])
    )
    write_file(folder / "0-broken.md", "---\ntitle: [unclosed\n---\n")
    write_file(folder / "zz-a.md", seed_text("Late A", LATE_URL, topics=["Beta"], related=[stub]))
    write_file(folder / "zz-b.md", seed_text("Late B", LATE_URL, topics=["Gamma"], related=[stub]))
    write_file(folder / "zz-c.md", seed_text("Same as first", FIRST_URL, topics=["Delta"]))
    write_file(folder / "zz-broken.md", b"---\ntitle: \xff\xfe\n---\n")
    # Early seeds citing many stubs no one else cites: the main process reads them, so it
    # holds more than half of the stubs and hands some to the worker.
    for i in range(20):
        entries = [related(f"Early {i}-{j}", f"{EARLY_STUBS}/{i}-{j}") for j in range(30)]
        write_file(folder / f"0-many-{i:02d}.md", seed_text(f"Many {i}", related=entries))
    return folder


def _build(seeds: Path, index: Path, jobs: int = 2, **options: Any) -> Any:
    # A slow main process, so the workers surely get their share of a small folder.
    return searchkit.build_index(
        seeds,
        index,
        progress=lambda _p: time.sleep(0.002),
        options=BuildOptions(worker_min_files=0, chunk_size=8, jobs=jobs, **options),
    )


@pytest.fixture(scope="module")
def one_process(seeds: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    index = tmp_path_factory.mktemp("one") / "index"
    report = searchkit.build_index(seeds, index, options=BuildOptions(worker_min_files=10**9))
    # One segment; the articles of the two duplicates were indexed, then deleted.
    assert [(n - deleted, deleted) for n, deleted, _ids in _segments(index)] == [
        (len(stored_docs(index)), 2)
    ]
    return report, index


def _segments(index: Path) -> list[tuple[int, int, set[str]]]:
    """(documents, deleted documents, ids of the documents) of each segment of the live store."""
    from whoosh.reading import SegmentReader

    out = []
    with open_live_index(index) as ix:
        for segment in ix._segments():
            reader = SegmentReader(ix.storage, ix.schema, segment)
            ids = {d["id"] for d in reader.all_stored_fields()}
            out.append((segment.doc_count_all(), segment.deleted_count(), ids))
            reader.close()
    return out


def _manifest_states(index: Path) -> dict[str, tuple[Any, ...]]:
    live = live_store(index)
    manifest = read_manifest(live, latest_generation(live))
    manifest.seeds.load()
    return {path: (s.digest, s.status, s.error, s.identity) for path, s in manifest.seeds.items()}


def _assert_same_build(
    index: Path, report: Any, one_process: tuple[Any, Path], seeds: Path
) -> None:
    oracle_report, oracle = one_process
    docs, expected = stored_docs(index), stored_docs(oracle)
    assert docs.keys() == expected.keys()
    assert {k: v for k, v in docs.items() if v != expected[k]} == {}
    assert _manifest_states(index) == _manifest_states(oracle)
    for name in ("documents", "articles", "related", "errors", "stale", "duplicates"):
        assert getattr(report, name) == getattr(oracle_report, name), name
    counted = expected_documents(seeds, skip=BROKEN)
    assert (report.articles, report.related) == (len(counted.articles), len(counted.stubs))
    assert {(d.path, d.of) for d in report.duplicates} == set(counted.duplicates.items())


def test_the_one_process_oracle_sees_every_case(one_process: tuple[Any, Path]) -> None:
    report, index = one_process
    assert {(d.path, d.of) for d in report.duplicates} == {
        ("zz-b.md", "zz-a.md"),
        ("zz-c.md", "0-first.md"),
    }
    assert {e.path for e in report.errors} == set(BROKEN)
    # The stub takes the topics of the articles that cite it, not of the duplicate zz-b.md.
    assert sorted(stored_docs(index)[SHARED_STUB]["data"]["topics"]) == ["Alpha", "Beta"]


@pytest.mark.parametrize("jobs", [2, 3, 4])
def test_n_processes_build_what_one_process_builds(
    seeds: Path, tmp_path: Path, one_process: tuple[Any, Path], jobs: int
) -> None:
    index = tmp_path / "index"
    report = _build(seeds, index, jobs=jobs)
    _assert_same_build(index, report, one_process, seeds)
    assert report.notes == ()
    segments = _segments(index)
    assert len(segments) == jobs, "a worker indexed no share"
    # zz-b.md and zz-c.md lost to earlier seeds: whoever indexed them deleted them.
    assert sum(deleted for _n, deleted, _ids in segments) == 2
    assert sum(n - deleted for n, deleted, _ids in segments) == report.documents
    # The stubs were dealt out: every process indexed some of those early seeds cite.
    early = {k for k in stored_docs(index) if k.startswith(EARLY_STUBS)}
    assert len(early) == 600
    assert all(early & ids for _n, _deleted, ids in segments)


# A worker that claims chunks (so the main process does not) and dies: before it reports, or
# after reporting but before it sends its segment.
_DIES_BEFORE_REPORTING = """
import pickle, sys
from searchkit.build import share
_tag, job = pickle.load(sys.stdin.buffer)
claims = share.Claims(job["claims"])
for _ in range(5):
    claims.claim(job["part"])
sys.exit(1)
"""
_DIES_BEFORE_SEGMENT = """
import os
from searchkit.build import worker
send = worker._send
def dying_send(message):
    if message[0] == "segment":
        os._exit(1)
    send(message)
worker._send = dying_send
worker.worker_main()
"""


@pytest.mark.parametrize(
    ("command", "segments"),
    [
        # The main process indexes the chunks the worker had claimed: one segment.
        ([sys.executable, "-c", _DIES_BEFORE_REPORTING], 1),
        # The main process indexes the worker's documents again, into a segment of their own.
        ([sys.executable, "-c", _DIES_BEFORE_SEGMENT], 2),
        ([sys.executable, "-c", "import sys; sys.exit(3)"], 1),
        (["/nonexistent/python"], 1),
    ],
    ids=["dies-before-reporting", "dies-before-segment", "exits-at-once", "cannot-start"],
)
def test_a_lost_worker_costs_time_not_documents(
    seeds: Path,
    tmp_path: Path,
    one_process: tuple[Any, Path],
    command: list[str],
    segments: int,
) -> None:
    index = tmp_path / "index"
    report = _build(seeds, index, worker_command=tuple(command))
    _assert_same_build(index, report, one_process, seeds)
    # The report says the build took the long way.
    assert report.notes and all("build worker" in n for n in report.notes)
    assert len(_segments(index)) == segments
    # Nothing the worker left behind stays in the store.
    live = live_store(index)
    assert not [p.name for p in live.iterdir() if p.name.endswith(".tmp")]


def test_a_worker_that_never_starts_is_stopped_when_its_pool_says_so(
    seeds: Path, tmp_path: Path, one_process: tuple[Any, Path]
) -> None:
    """A pool whose workers may never start (a cluster without a free core: stop_idle)
    has the ones that claimed no chunk stopped once every chunk is claimed, not waited for:
    this one never reads its job, and without the rule the build would wait for ever."""
    from searchkit.build.parts import LocalParts

    asleep = (sys.executable, "-c", "import time; time.sleep(600)")
    index = tmp_path / "index"
    done: dict[str, Any] = {}

    def build() -> None:
        done["report"] = _build(seeds, index, parts=LocalParts(asleep, stop_idle=True))

    builder = threading.Thread(target=build, daemon=True)
    builder.start()
    builder.join(timeout=120)
    assert not builder.is_alive(), "the build waited for a worker that never started"
    report = done["report"]
    _assert_same_build(index, report, one_process, seeds)
    assert report.notes == ()  # not lost: it had nothing to lose
    assert len(_segments(index)) == 1


def test_incremental_runs_keep_a_two_process_index_equal_to_a_full_build(
    seeds: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(seeds, tmp_path / "seeds"))
    index = tmp_path / "index"
    _build(folder, index)
    assert len(_segments(index)) == 2
    # zz-b.md's article was indexed by the worker and deleted as a duplicate of zz-a.md's;
    # with zz-a.md gone it is the article.
    (folder / "zz-a.md").unlink()
    write_file(folder / "0-first.md", seed_text("First, edited", FIRST_URL, topics=["Alpha"]))
    report = searchkit.build_index(folder, index)
    assert (report.removed, report.updated) == (1, 1)
    docs = assert_matches_full_build(folder, index, tmp_path)
    assert docs[LATE_URL]["path"] == "zz-b.md"


def test_the_command_line_runs_a_full_build_in_the_processes_it_is_given(tmp_path: Path) -> None:
    """`searchkit index --jobs N`: a folder large enough to share is indexed by N processes
    (one segment each); `--jobs 1` keeps it in one; a count that is not positive is refused."""
    seeds = tmp_path / "seeds"
    generate_seeds(seeds, BuildOptions().worker_min_files)
    for jobs in (3, 1):
        index = tmp_path / f"index-{jobs}"
        done = run_cli("index", "--seeds", seeds, "--index", index, "--jobs", str(jobs), "-q")
        assert done.code == 0, done.stderr
        assert len(_segments(index)) == jobs
    bad = run_cli("index", "--seeds", seeds, "--index", tmp_path / "x", "--jobs", "0")
    assert bad.code == 2 and "--jobs" in bad.stderr and not (tmp_path / "x").exists()
