"""Permissions, as an unprivileged user (tests/unprivileged.py): what cannot be read is an error
with its path, never a removal; a read failure is retried; a full build that cannot read its
seeds keeps the index; a read-only index can still be searched.

Every command runs as that user; the files are set up as root (who owns what is the point)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from index_helpers import CliResult, seed_text, write_file
from unprivileged import Unprivileged

pytestmark = pytest.mark.unprivileged

ROOT_UID = 0


def _seeds(work: Path) -> Path:
    """a.md, b.md, and sub/c.md, sub/d.md: four articles, no stubs."""
    seeds = work / "seeds"
    for name in ("a", "b", "sub/c", "sub/d"):
        slug = name.replace("/", "-")
        write_file(seeds / f"{name}.md", seed_text(f"Perm {slug}", f"https://perm.example/{slug}"))
    return seeds


def _index(user: Unprivileged, seeds: Path, index: Path, *args: str) -> CliResult:
    return user.cli("index", "--seeds", seeds, "--index", index, "--json", *args)


def _documents(user: Unprivileged, index: Path) -> int:
    stats = user.cli("stats", "--index", index, "--json")
    assert stats.code == 0, stats.stderr
    count: int = stats.json()["documents"]
    return count


def _one_line(result: CliResult) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    if result.code and result.stdout.startswith('{"error": '):  # --json: the error on stdout
        assert result.stderr == "" and result.stdout.count("\n") == 1
        return f"searchkit: {json.loads(result.stdout)['error']['message']}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def built(unprivileged: Unprivileged, user_dir: Path) -> tuple[Path, Path]:
    """(seeds, index), the index built by the user from the four seeds."""
    seeds = unprivileged.give(_seeds(user_dir))
    index = user_dir / "index"
    result = _index(unprivileged, seeds, index)
    assert result.code == 0, result.stderr
    assert result.json()["documents"] == 4
    return seeds, index


def _owned_by_root(path: Path, mode: int) -> None:
    os.chown(path, ROOT_UID, ROOT_UID)
    path.chmod(mode)


# --- the seeds folder -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("--full",)])
def test_a_seeds_folder_that_can_be_listed_but_not_entered_changes_nothing(
    unprivileged: Unprivileged, built: tuple[Path, Path], args: tuple[str, ...]
) -> None:
    """Issue 15's first case: mode 744, not the user's, used to empty the index (exit 0)."""
    seeds, index = built
    _owned_by_root(seeds, 0o744)
    result = _index(unprivileged, seeds, index, *args)
    assert result.code == 1
    line = _one_line(result)
    assert str(seeds) in line and "cannot be entered (Permission denied)" in line
    assert json.loads(result.stdout)["error"]["type"] == "SeedsFolderError"  # --json
    assert _documents(unprivileged, index) == 4


def test_a_new_index_of_a_folder_that_cannot_be_entered_is_not_created(
    unprivileged: Unprivileged, user_dir: Path
) -> None:
    seeds = _seeds(user_dir)
    _owned_by_root(seeds, 0o744)
    index = user_dir / "new-index"
    result = _index(unprivileged, seeds, index)
    assert result.code == 1 and str(seeds) in _one_line(result)
    assert not (index / "CURRENT").exists()


def test_a_seeds_folder_that_cannot_be_listed_changes_nothing(
    unprivileged: Unprivileged, built: tuple[Path, Path]
) -> None:
    seeds, index = built
    _owned_by_root(seeds, 0o711)  # enter, not list
    result = _index(unprivileged, seeds, index)
    assert result.code == 1 and "cannot be read (Permission denied)" in _one_line(result)
    assert _documents(unprivileged, index) == 4


# --- a folder or a file inside it -----------------------------------------------------------------


def test_a_subfolder_that_cannot_be_entered_keeps_its_documents_as_stale(
    unprivileged: Unprivileged, built: tuple[Path, Path]
) -> None:
    seeds, index = built
    _owned_by_root(seeds / "sub", 0o744)
    result = _index(unprivileged, seeds, index)
    assert result.code == 3, result.stderr
    report = result.json()
    assert (report["removed"], report["documents"]) == (0, 4)
    errors = {e["path"]: e["error"] for e in report["errors"]}
    assert "cannot enter the folder (Permission denied)" in errors["sub/"]
    assert "its folder sub/ could not be read" in errors["sub/c.md"]
    assert report["stale"] == ["sub/c.md", "sub/d.md"]
    found = unprivileged.cli("search", "--index", index, "--json", "perm")
    assert found.json()["total"] == 4

    os.chown(seeds / "sub", unprivileged.uid, unprivileged.gid)
    (seeds / "sub").chmod(0o755)
    again = _index(unprivileged, seeds, index)
    assert again.code == 0, again.stdout
    assert again.json()["errors"] == [] and again.json()["documents"] == 4


def test_a_read_failure_is_retried_when_the_file_is_readable_again(
    unprivileged: Unprivileged, built: tuple[Path, Path]
) -> None:
    """Issue 15's second case: fixing the permission (mtime and size unchanged) used not to
    be noticed until the file changed."""
    seeds, index = built
    a = seeds / "a.md"
    write_file(a, seed_text("Perm edited", "https://perm.example/a"))
    _owned_by_root(a, 0o600)
    result = _index(unprivileged, seeds, index)
    assert result.code == 3
    report = result.json()
    assert report["errors"] == [
        {"path": "a.md", "error": "cannot read the file (Permission denied); "
         "make it readable for this user", "new": True}
    ]  # fmt: skip
    assert report["stale"] == ["a.md"] and report["documents"] == 4
    assert (report["updated"], report["unchanged"]) == (0, 3)  # a.md is in no count

    again = _index(unprivileged, seeds, index)
    assert again.code == 3  # still unreadable: still said, as reported before
    assert [e["new"] for e in again.json()["errors"]] == [False]
    a.chmod(0o644)  # readable again, with the same mtime and size
    fixed = _index(unprivileged, seeds, index)
    assert fixed.code == 0, fixed.stdout
    assert fixed.json()["stale"] == []
    titles = unprivileged.cli("search", "--index", index, "--json", "title:edited")
    assert titles.json()["total"] == 1


def test_a_full_build_that_cannot_read_a_seed_keeps_the_index(
    unprivileged: Unprivileged, built: tuple[Path, Path]
) -> None:
    seeds, index = built
    _owned_by_root(seeds / "b.md", 0o600)
    before = (index / "CURRENT").read_text()
    result = _index(unprivileged, seeds, index, "--full")
    assert result.code == 1
    line = _one_line(result)
    assert "could not read 1 seed path: b.md (cannot read the file (Permission denied)" in line
    assert "was left as it was" in line and "searchkit index --full" in line
    assert (index / "CURRENT").read_text() == before
    assert sorted(p.name for p in index.iterdir() if p.name.startswith("store-")) == [
        before.strip()
    ]
    assert _documents(unprivileged, index) == 4


def test_a_first_build_that_cannot_read_a_seed_lists_it_and_reads_it_next_time(
    unprivileged: Unprivileged, user_dir: Path
) -> None:
    seeds = unprivileged.give(_seeds(user_dir))
    _owned_by_root(seeds / "b.md", 0o600)
    index = user_dir / "index"
    result = _index(unprivileged, seeds, index)
    assert result.code == 3
    report = result.json()
    assert [e["path"] for e in report["errors"]] == ["b.md"]
    assert report["documents"] == 3 and report["stale"] == []

    (seeds / "b.md").chmod(0o644)
    again = _index(unprivileged, seeds, index)
    assert again.code == 0 and again.json()["documents"] == 4


# --- a read-only index ----------------------------------------------------------------------------


def _read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def test_a_read_only_index_is_searched_but_not_updated(
    unprivileged: Unprivileged, built: tuple[Path, Path]
) -> None:
    seeds, index = built
    _read_only(index)
    result = _index(unprivileged, seeds, index)
    assert result.code == 1
    line = _one_line(result)
    assert f"cannot write the index at {index}: Permission denied" in line
    assert "make the folder writable for this user, or pass --index DIR" in line

    found = unprivileged.cli("search", "--index", index, "--json", "perm")
    assert found.code == 0 and found.json()["total"] == 4
    assert _documents(unprivileged, index) == 4
    session = unprivileged.cli("repl", "--index", index, stdin="perm\n:stats\n")
    assert session.code == 0, session.stderr
    assert "Not updating the index: cannot write the index" in session.stderr
    assert "Traceback" not in session.stderr
    assert "1-4 of 4 results" in session.stdout


def test_a_full_build_replaces_a_damaged_index_even_when_it_cannot_read_a_seed(
    unprivileged: Unprivileged, built: tuple[Path, Path]
) -> None:
    """No sound index to keep: the new one replaces it, and says what it could not read."""
    seeds, index = built
    (segment,) = index.glob("store-*/*.seg")
    segment.write_bytes(segment.read_bytes()[:100])
    _owned_by_root(seeds / "b.md", 0o600)
    result = _index(unprivileged, seeds, index, "--full")
    assert result.code == 3, result.stderr
    report = result.json()
    assert [e["path"] for e in report["errors"]] == ["b.md"]
    assert report["documents"] == 3
    assert any("the index was damaged" in note for note in report["notes"])
    (seeds / "b.md").chmod(0o644)
    again = _index(unprivileged, seeds, index)
    assert again.code == 0 and again.json()["documents"] == 4
