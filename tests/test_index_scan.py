"""Scanning the seeds folder: a large folder is stat-ed by two processes, and finds exactly
what one process finds; what could not be stat-ed or listed is told from what is gone (the
permission cases are in test_faults_permissions.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from index_helpers import seed_text, write_file

import searchkit
from searchkit import SeedIssue, scan
from searchkit._scan_worker import walk
from searchkit.documents import SEED_SUFFIXES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    for i in range(40):
        write_file(seeds / f"s{i:02d}.md", seed_text(f"Scan {i}", f"https://scan.example/{i}"))
    write_file(seeds / "UPPER.TXT", seed_text("Upper", "https://scan.example/upper"))
    write_file(seeds / "notes.json", "{}")
    write_file(seeds / ".hidden.md", seed_text("Hidden", "https://scan.example/hidden"))
    (seeds / "folder.md").mkdir()
    write_file(seeds / "folder.md" / "inner.md", seed_text("Inner", "https://scan.example/in"))
    os.symlink(seeds / "s00.md", seeds / "link.md")
    return seeds


def _one_process(folder: Path) -> scan.Scan:
    return scan.scan_seeds(folder)


@pytest.mark.parametrize("processes", [2, 3])
def test_several_processes_find_what_one_finds(folder: Path, processes: int) -> None:
    expected = _one_process(folder)
    assert len(expected.files) == 43  # 40 + UPPER.TXT + folder.md/inner.md + link.md
    assert "folder.md/inner.md" in expected.files and ".hidden.md" not in expected.files
    assert expected.files["s07.md"] == (
        (folder / "s07.md").stat().st_mtime_ns,
        (folder / "s07.md").stat().st_size,
    )
    assert scan.scan_seeds(folder, processes=processes) == expected


def test_the_shares_of_a_walk_split_the_files_without_overlap(folder: Path) -> None:
    suffixes = tuple(s.encode() for s in SEED_SUFFIXES)
    whole = set(scan.FileList.joined([walk(os.fsencode(folder), 0, 1, suffixes)]))
    shares = [
        set(scan.FileList.joined([walk(os.fsencode(folder), k, 3, suffixes)])) for k in range(3)
    ]
    assert set().union(*shares) == whole and sum(map(len, shares)) == len(whole) == 42
    assert all(shares), "a share with no file: the hash does not spread them"


def test_a_failing_helper_costs_nothing_but_time(folder: Path) -> None:
    expected = _one_process(folder)
    failing = (sys.executable, "-c", "import sys; sys.exit(3)")
    assert scan.scan_seeds(folder, processes=2, helper=failing) == expected
    garbled = (sys.executable, "-c", "print('not a pickle')")
    assert scan.scan_seeds(folder, processes=3, helper=garbled) == expected


def test_a_folder_that_vanishes_during_the_scan_is_unreadable_then_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listed, then gone before it is read: its seeds are kept this time (the folder may
    have been renamed, or unmounted), and removed by the run that no longer lists it."""
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_file(seeds / "a.md", seed_text("Stays", "https://v.example/a"))
    write_file(seeds / "sub" / "b.md", seed_text("Vanishes", "https://v.example/b"))
    assert searchkit.build_index(seeds, index).ok
    write_file(seeds / "c.md", seed_text("New", "https://v.example/c"))  # not a no-op run
    real_scandir = os.scandir
    listed: list[int] = []

    def scandir(target: Any) -> Any:
        # Only the seeds folder, the first time: other listings (the index folder's, which
        # Path.iterdir() makes with scandir since Python 3.13) go through.
        if listed or isinstance(target, int) or os.fsdecode(target) != str(seeds):
            return real_scandir(target)
        listed.append(target)
        listing = list(real_scandir(target))
        shutil.rmtree(seeds / "sub")  # right after it was listed
        return contextlib.nullcontext(listing)

    monkeypatch.setattr(scan.os, "scandir", scandir)
    report = searchkit.build_index(seeds, index)
    monkeypatch.undo()
    assert (report.removed, report.documents, report.stale) == (0, 3, ("sub/b.md",))
    vanished = "the folder vanished during the scan; the next run reads it again"
    assert report.errors == (
        SeedIssue("sub/", vanished),
        SeedIssue("sub/b.md", f"its folder sub/ could not be read: {vanished}"),
    )
    again = searchkit.build_index(seeds, index)
    assert (again.ok, again.removed, again.documents) == (True, 1, 2)


@pytest.mark.parametrize("processes", [1, 2])
def test_the_scan_takes_the_folder_stamps_freshness_compares_with(
    tmp_path: Path, processes: int
) -> None:
    """A build records each folder's mtime from its own walk (not a second listing): the same
    folders and values as the freshness check's folder_stamps(), hidden folders and links to
    folders left out; and the manifest holds them after a build of a large folder."""
    from searchkit.freshness import folder_stamps

    root = tmp_path / "seeds"
    for rel in ("a.md", "sub/b.md", "sub/deeper/c.md", "other/d.txt", ".hidden/e.md"):
        write_file(root / rel, seed_text(rel, f"https://stamps.example/{rel}"))
    (root / "empty").mkdir()
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)
    found = scan.scan_seeds(root, processes=processes)
    assert found.folders == folder_stamps(root)
    assert set(found.folders) == {"", "sub", "sub/deeper", "other", "empty"}
    searchkit.build_index(root, tmp_path / "index")  # a first build takes them
    with searchkit.open_index(tmp_path / "index") as ix:
        assert ix.freshness().fresh
    from searchkit import manifest as mf
    from searchkit.store import current_store
    from searchkit.whoosh_seam.toc import latest_generation

    store = current_store(tmp_path / "index")
    assert store is not None
    assert mf.read_manifest(store, latest_generation(store)).folders == folder_stamps(root)


@given(
    paths=st.lists(st.text(alphabet="ab/é.xmd", min_size=1, max_size=8), unique=True, max_size=60),
    probes=st.lists(st.text(alphabet="ab/é.xmd", min_size=1, max_size=8), max_size=80),
)
def test_a_file_list_finds_a_path_as_a_dict_does(paths: list[str], probes: list[str]) -> None:
    """Lookups by path: the first few compare every key, later ones a sorted index; both
    answer as a dict of the same files (present, absent, and stats)."""
    files = {p: (i, 10 * i) for i, p in enumerate(paths)}
    listed = scan.FileList.of(files)
    for probe in [*probes, *paths, *probes]:  # past the switch to the sorted index
        assert (probe in listed) == (probe in files)
        if probe in files:
            assert listed[probe] == files[probe]
