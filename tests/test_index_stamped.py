"""A build whose folders did not change since the last walk stats the files the manifest lists
instead of listing the folders again (build/stamped.py), and ends where a walk ends; whenever
the folders may have changed, or the last walk was not plain, it walks."""

from __future__ import annotations

import os
import time
from array import array
from pathlib import Path

import pytest
from index_helpers import assert_matches_full_build, seed_text, spy_on_walks, write_file

import searchkit
from searchkit import manifest as mf
from searchkit import scan
from searchkit import store as st
from searchkit._scan_worker import stat_listed
from searchkit.build import BuildOptions
from searchkit.build.stamped import STAMP_MARGIN_NS
from searchkit.whoosh_seam.toc import latest_generation

# Every folder takes stamps and is stat-ed by `jobs` processes, however small.
OPTIONS = BuildOptions(stamp_min_files=0, parallel_stat_min_files=0, jobs=2)


def _seed(name: str) -> str:
    return seed_text(f"Stamped {name}", f"https://stamped.example/{name}")


def _age(seeds: Path) -> None:
    """Put every folder's mtime a minute back: well before the next walk, as a folder left
    alone is."""
    past = time.time_ns() - 60 * 1_000_000_000
    for folder, _, _ in os.walk(seeds):
        os.utime(folder, ns=(past, past))


def _manifest(index: Path) -> mf.Manifest:
    store = st.require_store(index)
    return mf.read_manifest(store, latest_generation(store))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    for i in range(12):
        write_file(seeds / f"s{i:02d}.md", _seed(f"s{i}"))
    write_file(seeds / "sub" / "deep" / "d.md", _seed("d"))
    write_file(seeds / "sub" / "e.txt", _seed("e"))
    _age(seeds)
    searchkit.build_index(seeds, index, options=OPTIONS)
    return seeds, index


def test_the_walk_records_when_its_stamps_were_taken(built: tuple[Path, Path]) -> None:
    _, index = built
    manifest = _manifest(index)
    assert manifest.folders is not None and set(manifest.folders) == {"", "sub", "sub/deep"}
    assert manifest.stamped_at is not None
    assert max(manifest.folders.values()) < manifest.stamped_at - STAMP_MARGIN_NS


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_an_unchanged_tree_is_stat_ed_not_walked(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    seeds, index = built
    options = BuildOptions(stamp_min_files=0, parallel_stat_min_files=0, jobs=jobs)
    walked = spy_on_walks(monkeypatch)
    assert searchkit.build_index(seeds, index, options=options).up_to_date
    # Edits in place (the same file, the same name) leave every folder's mtime as it was.
    write_file(seeds / "s03.md", _seed("s3 edited"))
    write_file(seeds / "sub" / "deep" / "d.md", _seed("d edited"))
    report = searchkit.build_index(seeds, index, options=options)
    assert walked == []
    assert (report.added, report.updated, report.removed) == (0, 2, 0)
    assert report.seed_files == 14
    assert_matches_full_build(seeds, index, tmp_path, OPTIONS)
    with searchkit.open_index(index) as ix:
        assert ix.search("edited").total == 2


def test_a_helper_is_sent_its_share_a_chunk_at_a_time(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, index = built
    monkeypatch.setattr(scan, "LISTED_CHUNK", 3)
    walked = spy_on_walks(monkeypatch)
    for name in ("s08.md", "s11.md"):
        write_file(seeds / name, _seed(f"{name} edited"))
    report = searchkit.build_index(seeds, index, options=OPTIONS)
    assert walked == [] and report.updated == 2
    assert_matches_full_build(seeds, index, tmp_path, OPTIONS)


def _added(seeds: Path, tmp_path: Path) -> None:
    write_file(seeds / "new.md", _seed("new"))


def _removed(seeds: Path, tmp_path: Path) -> None:
    (seeds / "s01.md").unlink()


def _renamed(seeds: Path, tmp_path: Path) -> None:
    os.rename(seeds / "s02.md", seeds / "sub" / "s02.md")


def _new_folder(seeds: Path, tmp_path: Path) -> None:
    write_file(seeds / "sub" / "deep" / "deeper" / "f.md", _seed("f"))


def _removed_behind_its_folder(seeds: Path, tmp_path: Path) -> None:
    """Removed, and the folder's mtime put back: only the stat of the file can tell."""
    before = os.stat(seeds / "sub").st_mtime_ns
    (seeds / "sub" / "e.txt").unlink()
    os.utime(seeds / "sub", ns=(before, before))


def _a_folder_now(seeds: Path, tmp_path: Path) -> None:
    """A seed replaced by a folder of the same name, the folder's mtime put back."""
    before = os.stat(seeds).st_mtime_ns
    (seeds / "s04.md").unlink()
    write_file(seeds / "s04.md" / "inside.md", _seed("inside"))
    os.utime(seeds, ns=(before, before))


def _a_link_now(seeds: Path, tmp_path: Path) -> None:
    """A seed replaced by a link to a file outside, the folder's mtime put back."""
    write_file(tmp_path / "outside.md", _seed("outside"))
    before = os.stat(seeds).st_mtime_ns
    (seeds / "s05.md").unlink()
    os.symlink(tmp_path / "outside.md", seeds / "s05.md")
    os.utime(seeds, ns=(before, before))


@pytest.mark.parametrize(
    "change",
    [
        _added,
        _removed,
        _renamed,
        _new_folder,
        _removed_behind_its_folder,
        _a_folder_now,
        _a_link_now,
    ],
)
def test_a_change_the_stamps_cannot_vouch_for_is_walked(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change
) -> None:  # type: ignore[no-untyped-def]
    seeds, index = built
    walked = spy_on_walks(monkeypatch)
    change(seeds, tmp_path)
    report = searchkit.build_index(seeds, index, options=OPTIONS)
    assert walked == [seeds.resolve()]
    assert report.changed
    assert_matches_full_build(seeds, index, tmp_path, OPTIONS)


def test_stamps_taken_just_after_a_change_are_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder changed within the margin of the walk that stamped it may have changed again
    in the same clock tick, unseen: the next run walks, and takes stamps it can trust."""
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_file(seeds / "a.md", _seed("a"))  # the folder's mtime is now
    searchkit.build_index(seeds, index, options=OPTIONS)
    walked = spy_on_walks(monkeypatch)
    assert searchkit.build_index(seeds, index, options=OPTIONS).up_to_date
    assert walked == [seeds.resolve()]  # the stamps were taken within the margin
    _age(seeds)  # stands for time passing: the folder is old now (and its mtime not stamped)
    assert searchkit.build_index(seeds, index, options=OPTIONS).up_to_date
    assert walked == [seeds.resolve()] * 2
    assert searchkit.build_index(seeds, index, options=OPTIONS).up_to_date
    assert walked == [seeds.resolve()] * 2  # the stamps of the last walk are trusted


def test_a_walk_that_met_a_link_leaves_no_stamps_to_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_file(seeds / "a.md", _seed("a"))
    write_file(tmp_path / "outside.md", _seed("outside"))
    os.symlink(tmp_path / "outside.md", seeds / "linked.md")
    _age(seeds)
    searchkit.build_index(seeds, index, options=OPTIONS)
    assert _manifest(index).stamped_at is None
    walked = spy_on_walks(monkeypatch)
    write_file(tmp_path / "outside.md", _seed("outside edited"))
    report = searchkit.build_index(seeds, index, options=OPTIONS)
    assert walked == [seeds.resolve()] and report.updated == 1


def test_a_failing_helper_costs_nothing_but_time(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, index = built
    options = BuildOptions(
        stamp_min_files=0, parallel_stat_min_files=0, jobs=3, stat_helper=("false",)
    )
    walked = spy_on_walks(monkeypatch)
    write_file(seeds / "s07.md", _seed("s7 edited"))
    report = searchkit.build_index(seeds, index, options=options)
    assert walked == [] and report.updated == 1
    assert_matches_full_build(seeds, index, tmp_path, OPTIONS)


def test_listed_paths_are_stat_ed_from_a_buffer_with_gaps(tmp_path: Path) -> None:
    for name in ("a.md", "bb.md", "ccc.md"):
        write_file(tmp_path / name, "x" * len(name))
    buffer = memoryview(b"a.md--bb.mdccc.md")
    starts, ends = array("q", [0, 6, 11]), array("q", [4, 11, 17])
    found = stat_listed(os.fsencode(tmp_path), (buffer, starts, ends))
    assert found is not None
    mtimes, sizes = found
    assert list(sizes) == [4, 5, 6]
    assert list(mtimes) == [os.stat(tmp_path / n).st_mtime_ns for n in ("a.md", "bb.md", "ccc.md")]
    (tmp_path / "bb.md").unlink()
    assert stat_listed(os.fsencode(tmp_path), (buffer, starts, ends)) is None
