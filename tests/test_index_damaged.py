"""A damaged index folder: readers fail with a clear message (exit 1), and `searchkit index`
rebuilds it from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_helpers import live_store, run_cli, stored_docs, write_small_folder

import searchkit


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Damage", "dmg.example")
    assert run_cli("index", "--seeds", seeds, "--index", index).code == 0
    return seeds, index


def _assert_rebuilt(seeds: Path, index: Path, args: tuple[str, ...] = ()) -> None:
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json", *args)
    assert result.code == 0, result.stderr
    report = result.json()
    assert report["notes"], "the rebuild should say why it happened"
    assert report["documents"] == 3
    assert set(stored_docs(index)) == {
        "https://dmg.example/a",
        "https://dmg.example/b",
        "https://dmg.example/s",
    }
    assert run_cli("stats", "--index", index).code == 0


def test_unreadable_manifest(built):
    seeds, index = built
    (manifest,) = live_store(index).glob("manifest-*.json")
    manifest.write_text("{")
    stats = run_cli("stats", "--index", index)
    assert stats.code == 1
    assert "--full" in stats.stderr and "Traceback" not in stats.stderr
    with pytest.raises(searchkit.IndexCorruptError):
        searchkit.index_stats(index)
    _assert_rebuilt(seeds, index)


def test_missing_whoosh_table_of_contents(built):
    seeds, index = built
    for toc in live_store(index).glob("*.toc"):
        toc.unlink()
    stats = run_cli("stats", "--index", index)
    assert stats.code == 1
    assert "--full" in stats.stderr and "Traceback" not in stats.stderr
    _assert_rebuilt(seeds, index)


def test_current_naming_a_missing_store_is_reported_by_stats(built):
    _, index = built
    (index / "CURRENT").write_text("store-that-is-gone\n")
    stats = run_cli("stats", "--index", index)
    assert stats.code == 1
    assert "store-that-is-gone" in stats.stderr and "--full" in stats.stderr


@pytest.mark.parametrize("args", [(), ("--full",)])
def test_current_naming_a_missing_store_is_rebuilt(built, args):
    seeds, index = built
    (index / "CURRENT").write_text("store-that-is-gone\n")
    _assert_rebuilt(seeds, index, args)


def test_index_path_that_is_a_file_is_a_clear_fatal_error(built, tmp_path: Path):
    seeds, _ = built
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    result = run_cli("index", "--seeds", seeds, "--index", not_a_folder)
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert str(not_a_folder) in result.stderr


def test_seeds_path_that_is_a_file_is_a_clear_fatal_error(tmp_path: Path):
    seeds = tmp_path / "seeds.md"
    seeds.write_text("x")
    result = run_cli("index", "--seeds", seeds, "--index", tmp_path / "index")
    assert result.code == 1
    assert "is not a folder" in result.stderr and "Traceback" not in result.stderr
