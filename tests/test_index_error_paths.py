"""Error paths leave nothing behind and lead somewhere: a failed first build leaves no index
folder and no lock; every command a message names works as printed; an index whose seeds
folder moved follows it when the files are the same, else one message says what to run;
library errors carry facts and a remedy, not command lines."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from index_helpers import copy_seeds, run_cli, write_file, write_small_folder

import searchkit
from searchkit import Remedy

FIXTURES = Path(__file__).parent / "fixtures" / "seeds"


def _command_in(message: str) -> list[str]:
    """The command a message names between backticks, as argv after `searchkit`."""
    quoted = message.split("`")
    assert len(quoted) == 3, message
    argv = shlex.split(quoted[1])
    assert argv[0] == "searchkit"
    return argv[1:]


def test_a_failed_first_build_leaves_no_index_folder_and_no_lock(tmp_path: Path) -> None:
    result = run_cli("index", "--seeds", tmp_path / "no-such", "--index", tmp_path / "X")
    assert result.code == 1
    assert result.stderr.strip() == (
        f"searchkit: the seeds folder {tmp_path / 'no-such'} does not exist; check the path"
    )
    assert not (tmp_path / "X").exists()
    # A folder that was there stays, without the lock.
    (tmp_path / "Y").mkdir()
    with pytest.raises(searchkit.SeedsFolderError):
        searchkit.build_index(tmp_path / "no-such", tmp_path / "Y")
    assert list((tmp_path / "Y").iterdir()) == []


def test_a_failed_build_of_an_existing_index_keeps_it(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Keep", "keep.example")
    searchkit.build_index(seeds, index)
    with pytest.raises(searchkit.SeedsMismatchError):
        searchkit.build_index(FIXTURES, index)
    assert searchkit.index_stats(index).documents == 3


def test_no_index_and_no_seeds_names_no_command_that_fails(tmp_path: Path) -> None:
    result = run_cli("search", "anything", cwd=tmp_path)
    assert result.code == 1
    assert "`" not in result.stderr and "pass --seeds" in result.stderr
    assert not (tmp_path / "index").exists()


def test_no_index_with_a_seeds_folder_names_the_command_that_builds_it(tmp_path: Path) -> None:
    write_small_folder(tmp_path / "seeds", "Here", "here.example")
    result = run_cli("stats", cwd=tmp_path)
    assert result.code == 1
    command = _command_in(result.stderr)
    assert command == ["index"]
    assert run_cli(*command, cwd=tmp_path).code == 0
    assert run_cli("stats", cwd=tmp_path).code == 0


def test_a_moved_seeds_folder_is_followed_when_its_files_are_the_same(tmp_path: Path) -> None:
    seeds, index = copy_seeds(FIXTURES, tmp_path / "seeds"), tmp_path / "index"
    searchkit.build_index(seeds, index)
    moved = tmp_path / "moved"
    os.rename(seeds, moved)
    # Without --seeds: one line that says what to do.
    result = run_cli("index", "--index", index)
    assert result.code == 1
    assert "if it moved, pass --seeds with its new place" in result.stderr
    # With it: relinked, no full rebuild, and searched from there.
    result = run_cli("index", "--index", index, "--seeds", moved, "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert not report["full"] and report["seeds_dir"] == str(moved.resolve())
    assert any("the index follows it" in note for note in report["notes"])
    assert report["unchanged"] == report["seed_files"] > 0
    assert run_cli("index", "--index", index, "--json").json()["seeds_dir"] == str(moved)
    searched = run_cli("search", "--index", index, "--json", "trump")
    assert searched.code == 0 and searched.stderr == "" and searched.json()["total"] > 0


def test_a_moved_folder_whose_files_differ_needs_one_command(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Moved", "moved.example")
    searchkit.build_index(seeds, index)
    moved = tmp_path / "moved"
    os.rename(seeds, moved)
    write_file(moved / "a.md", (moved / "a.md").read_text() + "\nedited\n")
    with pytest.raises(searchkit.SeedsMismatchError) as caught:
        searchkit.build_index(moved, index)
    assert caught.value.differing == 1 and caught.value.remedy is Remedy.REBUILD_FULL
    result = run_cli("index", "--index", index, "--seeds", moved)
    assert result.code == 1
    command = _command_in(result.stderr)
    assert run_cli(*command).code == 0
    assert searchkit.index_stats(index).seeds == str(moved.resolve())


def test_library_errors_carry_no_command_lines(tmp_path: Path) -> None:
    with pytest.raises(searchkit.IndexNotFoundError) as not_found:
        searchkit.open_index(tmp_path / "none")
    assert not_found.value.remedy is Remedy.BUILD
    with pytest.raises(searchkit.SeedsFolderError) as no_folder:
        searchkit.build_index(tmp_path / "none", tmp_path / "index")
    seeds, index = tmp_path / "seeds", tmp_path / "index2"
    write_small_folder(seeds, "Lib", "lib.example")
    searchkit.build_index(seeds, index)
    with pytest.raises(searchkit.SeedsMismatchError) as mismatch:
        searchkit.build_index(FIXTURES, index)
    for exc in (not_found.value, no_folder.value, mismatch.value):
        assert "searchkit " not in str(exc) and "--" not in str(exc), exc
