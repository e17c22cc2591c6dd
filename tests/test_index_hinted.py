"""A build told which paths changed (as a watcher's batch tells it) stats only those, and ends
where a build that walks the folder ends; when the paths cannot stand in for a walk (a folder,
a link, a seed the last build could not read), it walks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from index_helpers import (
    assert_matches_full_build,
    seed_text,
    spy_on_walks,
    stored_docs,
    write_file,
)

import searchkit
from searchkit.build import hinted


def _seed(name: str) -> str:
    return seed_text(f"Hinted {name}", f"https://hinted.example/{name}")


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    for name in ("a", "b", "c"):
        write_file(seeds / f"{name}.md", _seed(name))
    write_file(seeds / "sub" / "d.md", _seed("d"))
    searchkit.build_index(seeds, index)
    return seeds, index


def test_the_named_paths_are_built_without_a_walk(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, index = built
    walked = spy_on_walks(monkeypatch)
    write_file(seeds / "a.md", _seed("a edited"))
    write_file(seeds / "e.md", _seed("e"))
    (seeds / "b.md").unlink()
    os.rename(seeds / "c.md", seeds / "sub" / "c.md")
    write_file(seeds / "notes.pdf", "not a seed")
    changed = ["a.md", "e.md", "b.md", "c.md", "sub/c.md", "notes.pdf"]
    report = searchkit.build_index(seeds, index, changed=changed)
    assert walked == []
    assert (report.added, report.updated, report.renamed, report.removed) == (1, 1, 1, 1)
    assert report.seed_files == 4
    # A walk afterwards finds nothing left to do, and the index is a full build's.
    again = searchkit.build_index(seeds, index)
    assert walked == [seeds.resolve()] and again.up_to_date and not again.changed
    assert_matches_full_build(seeds, index, tmp_path)


@pytest.mark.parametrize(
    "case", ["folder", "link", "hidden", "too many", "broken link", "in a linked folder"]
)
def test_what_a_hint_cannot_stand_for_is_walked(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    seeds, index = built
    if case == "folder":
        write_file(seeds / "new" / "f.md", _seed("f"))
        changed = ["new"]
    elif case == "link":
        write_file(tmp_path / "outside.md", _seed("outside"))
        os.symlink(tmp_path / "outside.md", seeds / "linked.md")
        changed = ["linked.md"]
    elif case == "hidden":
        write_file(seeds / ".hidden" / "g.md", _seed("g"))
        changed = [".hidden/g.md"]
    elif case == "too many":
        monkeypatch.setattr(hinted, "MAX_HINTED", 1)
        write_file(seeds / "h.md", _seed("h"))
        write_file(seeds / "i.md", _seed("i"))
        changed = ["h.md", "i.md"]
    elif case == "broken link":
        os.symlink(tmp_path / "nowhere.md", seeds / "broken.md")  # a walk reports it
        changed = ["broken.md"]
    else:
        write_file(tmp_path / "elsewhere" / "j.md", _seed("j"))
        os.symlink(tmp_path / "elsewhere", seeds / "linked")  # a walk does not enter it
        changed = ["linked/j.md"]
    walked = spy_on_walks(monkeypatch)
    searchkit.build_index(seeds, index, changed=changed)
    assert walked == [seeds.resolve()], case
    assert_matches_full_build(seeds, index, tmp_path)
    assert stored_docs(index)
