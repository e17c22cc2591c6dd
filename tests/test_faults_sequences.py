"""Sequences of changes with faults: the seeds folder renamed away during a full build and
back; and random sequences of add, change, remove, chmod and rename with a build that fails at
a random step. The index never loses a document whose seed is still there and readable, and a
failed build leaves it as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from index_helpers import TESTS_DIR, cli_env, generate_seeds, run_cli, stored_docs
from unprivileged import Unprivileged, workdir

import searchkit

GENERATED = 300

# A full build in its own process that stops (reading stdin) once it has read its first chunk
# of seeds, so that the test can rename the folder away before it goes on.
PAUSING_BUILD = """
import sys, searchkit
from searchkit import BuildOptions
paused = []
def progress(p):
    if p.phase == "parse" and p.done and not paused:
        paused.append(p.done)
        print("paused", flush=True)
        sys.stdin.readline()
try:
    report = searchkit.build_index(
        sys.argv[1], sys.argv[2], full=True, progress=progress,
        options=BuildOptions(worker_min_files=int(sys.argv[3])),
    )
    print("built", report.documents, len(report.errors), flush=True)
except searchkit.SearchkitError as exc:
    print("failed", type(exc).__name__, flush=True)
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(seeds, index): 300 generated seeds and an index of them."""
    root = tmp_path_factory.mktemp("rename")
    seeds = root / "seeds"
    generate_seeds(seeds, GENERATED)
    index = root / "index"
    report = searchkit.build_index(seeds, index)
    assert report.ok and report.articles == GENERATED
    return seeds, index


def _rename_away_during_a_full_build(seeds: Path, index: Path, worker_min: int) -> str:
    """Start a full build, rename the seeds folder away once it has read some seeds, let it
    go on, rename the folder back; what the build said."""
    away = seeds.with_name("seeds-away")
    with subprocess.Popen(
        [sys.executable, "-c", PAUSING_BUILD, str(seeds), str(index), str(worker_min)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    ) as build:
        assert build.stdin is not None and build.stdout is not None
        try:
            assert build.stdout.readline().strip() == "paused"
            os.rename(seeds, away)
            build.stdin.write("go on\n")
            build.stdin.flush()
            said = build.stdout.readline().strip()
            assert build.wait(timeout=120) == 0
        finally:
            build.kill()
            if away.exists():
                os.rename(away, seeds)
    return said


@pytest.mark.parametrize("worker_min", [10**9, 0], ids=["one-process", "two-processes"])
def test_seeds_renamed_away_during_a_full_build_keep_the_index(
    folder: tuple[Path, Path], tmp_path: Path, worker_min: int
) -> None:
    """Issue 15: the build exited 3 and its smaller index replaced the complete one."""
    seeds, built = folder
    index = tmp_path / "index"
    shutil.copytree(built, index)
    docs = stored_docs(index)
    said = _rename_away_during_a_full_build(seeds, index, worker_min)
    if worker_min:
        assert said == "failed SeedsUnreadableError"
    # With a worker, it may have read every seed before the rename: then it is complete.
    assert said in ("failed SeedsUnreadableError", f"built {len(docs)} 0")
    assert stored_docs(index) == docs
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json")
    assert result.code == 0, result.stderr
    assert result.json()["articles"] == GENERATED and result.json()["errors"] == []


def test_seeds_renamed_away_during_a_first_build_are_read_by_the_next(
    folder: tuple[Path, Path], tmp_path: Path
) -> None:
    """With no index to keep, the build goes on without them, and the next run reads every
    seed it could not read (it used to call them unchanged)."""
    seeds, _ = folder
    index = tmp_path / "index"
    said = _rename_away_during_a_full_build(seeds, index, 10**9).split()
    assert said[0] == "built" and int(said[2]) > 0  # the seeds it could not read, listed
    first = searchkit.index_stats(index)
    assert first.articles < GENERATED
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert report["articles"] == GENERATED and report["errors"] == []
    assert report["unchanged"] == first.articles  # and the others were read again


# --- random sequences, as an unprivileged user ----------------------------------------------------

_step = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 5), st.just(0)),
    st.tuples(st.sampled_from(["change", "hide", "remove"]), st.integers(0, 50), st.just(0)),
    st.tuples(st.just("chmod"), st.integers(-3, 50), st.integers(0, 5)),
    st.tuples(st.just("rename"), st.integers(0, 50), st.integers(0, 5)),
)


@pytest.mark.unprivileged
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(_step, min_size=3, max_size=9).map(
        lambda s: [("add", i, 0) for i in range(3)] + s
    ),
    fault=st.integers(0, 12),
)
@example(  # found on Python 3.13
    steps=[("add", i, 0) for i in range(3)]
    + [("add", 0, 0), ("change", 2, 0), ("hide", 1, 0), ("add", 0, 0)],
    fault=0,
)
def test_random_changes_and_a_failed_build_never_lose_a_readable_seed(
    unprivileged: Unprivileged, steps: list[tuple[str, int, int]], fault: int
) -> None:
    work = unprivileged.give(workdir("searchkit-steps-"))
    try:
        done = unprivileged.run(
            [sys.executable, TESTS_DIR / "fault_steps.py", work],
            stdin=json.dumps({"steps": steps, "fault": fault}),
            cwd=work,
        )
        assert done.code == 0, done.stderr
        assert json.loads(done.stdout) == []
    finally:
        for path in [work, *work.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(work, ignore_errors=True)
