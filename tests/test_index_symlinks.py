"""Links in the seeds folder (issue 10, section 5): a link to a file is followed wherever it
leads, with a note when it leaves the folder; a link that leads nowhere is an error; a link to
a folder is not followed (no loops), with a note. README.md, "Seeds"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from index_helpers import bump_mtime, run_cli, seed_text, stored_docs, write_file

import searchkit


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    write_file(folder / "a.md", seed_text("Inside", "https://l.example/in"))
    return folder


def _build(seeds: Path, index: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result.code, result.json() if result.stdout else {}


def test_a_link_to_a_file_inside_is_followed(seeds: Path, tmp_path: Path) -> None:
    (seeds / "alias.md").symlink_to(seeds / "a.md")
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert [d.path for d in report.duplicates] == ["alias.md"]  # the same article, twice
    assert report.notes == ()


def test_a_link_to_a_file_outside_is_indexed_with_a_note(seeds: Path, tmp_path: Path) -> None:
    target = write_file(tmp_path / "elsewhere" / "b.md", seed_text("Outside", "https://l.x/out"))
    (seeds / "b.md").symlink_to(target)
    code, report = _build(seeds, tmp_path / "index")
    assert code == 0 and report["errors"] == []
    assert set(stored_docs(tmp_path / "index")) == {"https://l.example/in", "https://l.x/out"}
    assert report["notes"] == [
        "1 seed file is a link to a file outside the seeds folder, indexed from there: "
        f"b.md -> {target}"
    ]
    # An edit of the target is seen by the next run (its mtime is the link's).
    write_file(target, seed_text("Outside, edited", "https://l.x/out"))
    code, report = _build(seeds, tmp_path / "index")
    assert (code, report["updated"]) == (0, 1)
    assert stored_docs(tmp_path / "index")["https://l.x/out"]["title"] == "Outside, edited"


def test_a_link_to_a_folder_is_not_followed_with_a_note(seeds: Path, tmp_path: Path) -> None:
    write_file(tmp_path / "more" / "c.md", seed_text("Behind a folder link", "https://l.x/c"))
    (seeds / "more").symlink_to(tmp_path / "more", target_is_directory=True)
    (seeds / "loop").symlink_to(seeds, target_is_directory=True)  # would loop if followed
    code, report = _build(seeds, tmp_path / "index")
    assert code == 0, report  # a note, not an error
    assert set(stored_docs(tmp_path / "index")) == {"https://l.example/in"}
    assert report["notes"] == [
        "2 links to folders were not followed (a folder link could loop): "
        f"loop -> {seeds}, more -> {tmp_path / 'more'}; move the folder in, or link its "
        "files one by one"
    ]


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_a_link_that_leads_nowhere_is_an_error(seeds: Path, tmp_path: Path, kind: str) -> None:
    if kind == "dangling":
        (seeds / "b.md").symlink_to(tmp_path / "gone.md")
        reason = f"the link leads to {tmp_path / 'gone.md'}, which does not exist"
    else:
        (seeds / "b.md").symlink_to(seeds / "c.md")
        (seeds / "c.md").symlink_to(seeds / "b.md")
        reason = "the link leads round a loop of links"
    code, report = _build(seeds, tmp_path / "index")
    assert code == 3
    assert report["documents"] == 1
    errors = {e["path"]: e["error"] for e in report["errors"]}
    assert errors["b.md"].startswith(reason) and errors["b.md"].endswith("fix or remove the link")


def test_a_seed_replaced_by_a_broken_link_keeps_its_document(seeds: Path, tmp_path: Path) -> None:
    """A link that leads nowhere cannot be read, so the document stays (stale), and the link is
    read again by every run until it leads somewhere; a full build reads the folder as it is
    and goes on without it, as it does without any seed it cannot use."""
    write_file(seeds / "b.md", seed_text("Will be a link", "https://l.example/b"))
    index = tmp_path / "index"
    assert _build(seeds, index)[0] == 0
    (seeds / "b.md").unlink()
    (seeds / "b.md").symlink_to(tmp_path / "unmounted" / "b.md")
    code, report = _build(seeds, index)
    assert (code, report["removed"], report["stale"]) == (3, 0, ["b.md"])
    assert "https://l.example/b" in stored_docs(index)
    # It leads somewhere again, to a file with an old mtime: read all the same.
    target = write_file(tmp_path / "unmounted" / "b.md", seed_text("Back", "https://l.example/b"))
    os.utime(target, ns=(1, 1))
    code, report = _build(seeds, index)
    assert code == 0 and report["errors"] == [] and report["stale"] == []
    assert stored_docs(index)["https://l.example/b"]["title"] == "Back"

    target.unlink()
    code, report = _build(seeds, index, "--full")
    assert (code, report["documents"]) == (3, 1)  # listed, and no reason to keep the index
    assert [e["path"] for e in report["errors"]] == ["b.md"]


def test_hidden_links_are_skipped_like_hidden_files(seeds: Path, tmp_path: Path) -> None:
    (seeds / ".gone.md").symlink_to(tmp_path / "gone.md")
    (seeds / ".folder").symlink_to(tmp_path, target_is_directory=True)
    code, report = _build(seeds, tmp_path / "index")
    assert (code, report["errors"], report["notes"]) == (0, [], [])


def test_a_link_that_is_not_named_like_a_seed_is_not_read(seeds: Path, tmp_path: Path) -> None:
    target = write_file(tmp_path / "notes.md", seed_text("Not a seed name", "https://l.x/n"))
    (seeds / "notes.json").symlink_to(target)
    bump_mtime(target)
    code, report = _build(seeds, tmp_path / "index")
    assert (code, report["documents"], report["notes"]) == (0, 1, [])
