"""kill -9 during a build of a few thousand seeds: the previous index stays fully searchable with
its old contents, and the next `searchkit index` completes the work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from index_helpers import (
    FIXTURE_ARTICLES,
    FIXTURE_DOCUMENTS,
    FIXTURE_SEEDS,
    Expected,
    cli_env,
    copy_seeds,
    expected_documents,
    generate_seeds,
    run_cli,
    stored_docs,
    title_hits,
)

import searchkit
from searchkit import store

GENERATED = 2000

# Runs a build and reports every progress step on stdout, so the test can kill it at a known phase.
DRIVER = """
import sys, searchkit
def progress(p):
    print(p.phase, p.done, p.total, flush=True)
searchkit.build_index(sys.argv[1], sys.argv[2], full=sys.argv[3] == "full", progress=progress)
print("finished", flush=True)
"""


@dataclass
class World:
    seeds: Path
    previous: Path  # an index of the fixture seeds only, built before the rest was added
    previous_docs: dict
    expected: Expected  # what the whole folder yields
    probes: dict[str, str]  # article id -> a word of its title


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("crash")
    seeds = copy_seeds(FIXTURE_SEEDS, root / "seeds")
    previous = root / "previous-index"
    report = searchkit.build_index(seeds, previous)
    assert report.documents == FIXTURE_DOCUMENTS
    docs = stored_docs(previous)
    articles = sorted(d for d in docs if docs[d]["kind"] == "article")
    probes = {}
    for doc_id in articles[::50]:
        words = [w for w in docs[doc_id]["title"].split() if w.isalpha() and w.lower() != "copy"]
        probes[doc_id] = max(words, key=len)
    generate_seeds(seeds, GENERATED)
    return World(seeds, previous, docs, expected_documents(seeds), probes)


@pytest.fixture
def index(world: World, tmp_path: Path) -> Path:
    dst = tmp_path / "index"
    shutil.copytree(world.previous, dst)
    return dst


class Build:
    """A build in its own process group, killed with SIGKILL when told."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=cli_env(),
            start_new_session=True,
        )

    @classmethod
    def driver(cls, seeds: Path, index: Path, *, full: bool) -> Build:
        return cls(
            [
                sys.executable,
                "-c",
                DRIVER,
                str(seeds),
                str(index),
                "full" if full else "incremental",
            ]
        )

    def wait_for(self, phase: str, done: int = 0) -> str:
        """Read progress until `phase` reaches `done`; returns that line."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            words = line.split()
            assert words[0] != "finished", f"the build finished before reaching {phase} {done}"
            if words[0] == phase and int(words[1]) >= done:
                return line
        raise AssertionError(f"the build ended before reaching {phase} {done}")

    def kill(self) -> None:
        """kill -9 the build, then make sure nothing it started is still running."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the parse worker, if it outlived us
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        if self.proc.stdout:
            self.proc.stdout.close()


def assert_previous_index_intact(index: Path, world: World) -> None:
    stats = searchkit.index_stats(index)
    assert (stats.documents, stats.articles) == (FIXTURE_DOCUMENTS, FIXTURE_ARTICLES)
    assert stored_docs(index) == world.previous_docs
    # Searchable: words of fixture titles find their articles; nothing of the killed build shows.
    for doc_id, word in world.probes.items():
        assert doc_id in title_hits(index, word), (doc_id, word)
    assert title_hits(index, "copy") == []


def assert_completed(index: Path, world: World, result) -> dict:
    assert result.code == 0, result.stderr
    report = result.json()
    assert (report["documents"], report["articles"], report["related"]) == world.expected.counts
    assert report["errors"] == [] and report["stale"] == []
    docs = stored_docs(index)
    assert set(docs) == set(world.expected.articles) | set(world.expected.stubs)
    live = store.current_store(index)
    assert [p.name for p in index.iterdir() if p.name.startswith("store-")] == [live.name]
    assert len(list(live.glob("manifest-*.json"))) == 1
    assert searchkit.index_stats(index).documents == world.expected.documents
    return report


def test_kill_early_in_a_full_build_keeps_the_previous_index(world: World, index: Path):
    assert_previous_index_intact(index, world)
    live = store.current_store(index)
    for phase, done in [("scan", 0), ("parse", 640)]:
        build = Build.driver(world.seeds, index, full=True)
        try:
            build.wait_for(phase, done)
            if phase == "parse":
                # Meanwhile a second writer is refused at once, naming the running build.
                second = run_cli("index", "--index", index)
                assert second.code == 1
                assert f"process {build.proc.pid}" in second.stderr
        finally:
            build.kill()
        assert store.current_store(index) == live, phase
        assert_previous_index_intact(index, world)


def test_kill_late_in_full_and_incremental_builds_then_the_next_run_completes(
    world: World, index: Path
):
    live = store.current_store(index)
    moments = [(True, "commit", 0), (False, "parse", 640), (False, "commit", 0)]
    for full, phase, done in moments:
        build = Build.driver(world.seeds, index, full=full)
        try:
            build.wait_for(phase, done)
        finally:
            build.kill()
        assert store.current_store(index) == live, (full, phase)
        assert_previous_index_intact(index, world)
    # And the real command, killed at an arbitrary moment.
    cli = Build([sys.executable, "-m", "searchkit", "index", "--index", str(index), "--quiet"])
    time.sleep(2.0)
    cli.kill()
    assert_previous_index_intact(index, world)
    report = assert_completed(index, world, run_cli("index", "--index", index, "--json"))
    assert (report["added"], report["unchanged"]) == (GENERATED, FIXTURE_ARTICLES)
    # Nothing is left to do.
    again = run_cli("index", "--index", index, "--json")
    assert again.code == 0 and again.json()["changed"] is False
