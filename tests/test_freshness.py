"""Nothing serves a stale index silently: SearchIndex.freshness(), and the line `searchkit
search` prints when the seeds changed since the last build; --refresh updates first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from index_helpers import run_cli, seed_text, write_file, write_small_folder

import searchkit
from searchkit import freshness
from searchkit.build import BuildOptions
from searchkit.scan import scan_seeds


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Fresh", "fresh.example")
    write_file(seeds / "sub" / "c.md", seed_text("Fresh C", "https://fresh.example/c"))
    searchkit.build_index(seeds, index)
    return seeds, index


def _fresh(index: Path) -> searchkit.Freshness:
    with searchkit.open_index(index) as ix:
        return ix.freshness()


def test_every_change_is_seen_file_by_file(built: tuple[Path, Path]) -> None:
    seeds, index = built
    state = _fresh(index)
    assert state.fresh and state.method == "files" and not state.missing
    assert state.seeds_dir == str(seeds.resolve()) and state.built_at is not None
    write_file(seeds / "a.md", seed_text("Fresh A edited", "https://fresh.example/a"))
    assert not _fresh(index).fresh  # an in-place edit
    searchkit.build_index(seeds, index)
    assert _fresh(index).fresh
    (seeds / "sub" / "c.md").unlink()
    assert not _fresh(index).fresh


def test_a_missing_seeds_folder_is_said(built: tuple[Path, Path]) -> None:
    seeds, index = built
    os.rename(seeds, seeds.with_name("elsewhere"))
    state = _fresh(index)
    assert state.missing and not state.fresh


def test_a_large_folder_is_checked_by_its_folders(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, index = built
    monkeypatch.setattr(freshness, "FILES_CHECK_MAX", 2)
    stamps = BuildOptions(stamp_min_files=1)  # as a build of a large folder does
    searchkit.build_index(seeds, index, full=True, options=stamps)  # records the folders' mtimes
    state = _fresh(index)
    assert state.fresh and state.method == "folders"
    # What a folder check cannot see (README): a file rewritten in place.
    write_file(seeds / "a.md", seed_text("Fresh A edited", "https://fresh.example/a"))
    assert _fresh(index).fresh
    # What it sees: a file added in a subfolder, removed, renamed, or saved by rename.
    for change in (
        lambda: write_file(seeds / "sub" / "d.md", seed_text("D", "https://fresh.example/d")),
        lambda: (seeds / "b.md").unlink(),
        lambda: os.rename(seeds / "sub" / "c.md", seeds / "sub" / "c2.md"),
        lambda: os.replace(write_file(seeds / "new.tmp", "x"), seeds / "a.md"),
    ):
        searchkit.build_index(seeds, index, options=stamps)
        assert _fresh(index).fresh
        change()
        assert not _fresh(index).fresh


def test_the_plain_fingerprint_is_the_builds(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small scan is fingerprinted in plain Python, a large one with numpy: the same."""
    from searchkit import manifest as mf

    found = scan_seeds(built[0])
    plain = mf.scan_fingerprint(found.files)
    monkeypatch.setattr(mf, "_PLAIN_FINGERPRINT_MAX", 0)
    assert plain == mf.scan_fingerprint(found.files)


def test_search_names_the_command_that_updates_a_stale_index(built: tuple[Path, Path]) -> None:
    seeds, index = built
    result = run_cli("search", "--index", index, "wallaby")
    assert result.code == 0 and result.stderr == ""
    write_file(seeds / "a.md", seed_text("Wallaby A", "https://fresh.example/a"))
    result = run_cli("search", "--index", index, "--json", "wallaby")
    assert result.json()["total"] == 0
    assert result.stderr.splitlines() == [
        f"searchkit: the seeds in {seeds.resolve()} changed since the index was built; run "
        f"`searchkit index --index {index}` to update it, or search with --refresh"
    ]
    # The command it names works as printed, and the line goes.
    command = result.stderr.split("`")[1].split()
    assert command[:2] == ["searchkit", "index"]
    assert run_cli(*command[1:]).code == 0
    result = run_cli("search", "--index", index, "--json", "wallaby")
    assert result.json()["total"] == 1 and result.stderr == ""


def test_refresh_updates_first(built: tuple[Path, Path]) -> None:
    seeds, index = built
    write_file(seeds / "a.md", seed_text("Wallaby A", "https://fresh.example/a"))
    result = run_cli("search", "--index", index, "--refresh", "--json", "wallaby")
    assert result.code == 0
    assert result.json()["total"] == 1
    assert "1 updated" in result.stderr
    result = run_cli("search", "--index", index, "--refresh", "--json", "wallaby")
    assert result.json()["total"] == 1 and result.stderr == ""  # nothing to do: silent


def test_search_of_an_index_whose_seeds_are_gone_says_so(built: tuple[Path, Path]) -> None:
    seeds, index = built
    os.rename(seeds, seeds.with_name("moved"))
    result = run_cli("search", "--index", index, "--json", "fresh")
    assert result.code == 0 and result.json()["total"] > 0
    assert "is gone" in result.stderr
