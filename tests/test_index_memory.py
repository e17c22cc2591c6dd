"""Memory bounded by design: a full build's peak memory does not grow with the corpus, and an
incremental run reads no per-seed state for the seeds that did not change.

The first test compares the peak RSS of subprocess builds of N and 4N synthetic seeds (made
from the fixture seeds, each citing its own related articles, so that stubs grow with the
corpus too) as a slope per seed, with a wide margin: a design that keeps a Python object per
seed (kilobytes each) fails it, allocator noise (a few megabytes) does not."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from index_helpers import FIXTURE_SEEDS, seed_paths, write_file

import searchkit
from searchkit import manifest as mf

SMALL = 1_500
# Bytes of peak memory a full build may add per seed: the manifest's columns, the stub
# decisions and the term table take a few hundred (measured: 300 to 900, allocator noise
# included); a Python object per seed (a parsed document, a dict of fields) takes several
# thousand (the build that kept one measured 3,300 to 8,500).
SLOPE_LIMIT = 1_600

_RELATED_URL = re.compile(r'^(    webUrl: "[^"]*)"', re.M)


def _synthetic(dst: Path, count: int) -> None:
    """`count` seeds made from the fixture seeds; seed i has its own identity and title and
    cites related articles shared with three other seeds (i // 4)."""
    sources = [(FIXTURE_SEEDS / p).read_text(encoding="utf-8") for p in seed_paths(FIXTURE_SEEDS)]
    for i in range(count):
        text = sources[i % len(sources)]
        text = re.sub(r'^webUrl: "([^"]*)"', rf'webUrl: "\1?copy={i}"', text, count=1, flags=re.M)
        text = re.sub(r'^title: "', f'title: "Copy {i} ', text, count=1, flags=re.M)
        text = _RELATED_URL.sub(rf'\1?group={i // 4}"', text)
        write_file(dst / f"{i // 1000:03d}" / f"{i:06d}.md", text)


_BUILD = """
import json, resource, sys
import searchkit
options = searchkit.BuildOptions(jobs=int(sys.argv[3]), worker_min_files=0, writer_limit_mb=4)
report = searchkit.build_index(sys.argv[1], sys.argv[2], full=True, options=options)
assert report.ok, report.errors
print(json.dumps({
    "documents": report.documents,
    "main_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "worker_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def _build(seeds: Path, index: Path, jobs: int) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, str(seeds), str(index), str(jobs)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, int] = json.loads(done.stdout)
    return out


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("memory")
    small, large = root / "small", root / "large"
    _synthetic(small, SMALL)
    _synthetic(large, 4 * SMALL)
    return small, large


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_full_builds_peak_memory_does_not_grow_with_the_corpus(
    corpora: tuple[Path, Path], tmp_path: Path, jobs: int
) -> None:
    small, large = corpora
    a = _build(small, tmp_path / "small", jobs)
    b = _build(large, tmp_path / "large", jobs)
    assert b["documents"] > 3 * a["documents"]  # stubs grew with the seeds
    extra_seeds = 3 * SMALL
    for key in ("main_kb", "worker_kb") if jobs > 1 else ("main_kb",):
        slope = (b[key] - a[key]) * 1024 / extra_seeds
        assert slope < SLOPE_LIMIT, (key, a, b, f"{slope:.0f} bytes per seed")


def test_an_incremental_run_reads_no_state_of_unchanged_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 5,000 seeds, changing one reads that seed's row of the manifest and no other:
    no SeedState is made for a seed the change does not touch: the manifest's columns are
    diffed, not expanded into a state per seed."""
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    _synthetic(seeds, 5_000)
    assert searchkit.build_index(seeds, index, options=searchkit.BuildOptions(jobs=1)).ok
    changed = seeds / "003" / "003123.md"
    write_file(changed, changed.read_text(encoding="utf-8").replace("Copy 3123", "Edited 3123"))

    made: list[tuple[object, ...]] = []
    real_init = mf.SeedState.__init__

    def counting_init(self: mf.SeedState, *args: object, **kwargs: object) -> None:
        made.append(args)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(mf.SeedState, "__init__", counting_init)
    report = searchkit.build_index(seeds, index)
    monkeypatch.undo()
    assert (report.updated, report.added, report.removed) == (1, 0, 0)
    assert report.unchanged == 4_999
    # The changed seed and the three that cite the same related articles (whose topics the
    # stubs inherit) are read, a few times each; the 4,996 others are not.
    assert len(made) <= 4 * 4, f"{len(made)} seed states made for one changed seed"
    with searchkit.open_index(index) as ix:
        assert ix.search('title:"Edited 3123"').total == 1
