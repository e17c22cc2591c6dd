"""The counts of a build's report add up, whatever happened to the seeds folder before it.

For every build (incremental or full), against the folder on disk and the build before it:

    added + updated + renamed + unchanged + len(errors) + len(duplicates) == seed files found

and each count holds exactly the files its definition names (README, "What a build reports").
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from index_helpers import run_cli, seed_text, write_file

import searchkit
from searchkit import IndexReport

NAMES = ["a.md", "b.md", "c.md", "sub/d.md", "sub/e.md"]
BROKEN = "---\ntitle: [not closed\n---\n"


def _content(choice: int) -> str:
    """Contents 0-2: good seeds with identities 0-2 (two files may share one: a duplicate);
    3: a broken seed; 4: good, identity 0, another title (an edit of content 0)."""
    if choice == 3:
        return BROKEN
    if choice == 4:
        return seed_text("Edited zero", "https://counts.example/0")
    return seed_text(f"Seed {choice}", f"https://counts.example/{choice}")


@dataclass(frozen=True)
class Write:
    name: str
    content: int


@dataclass(frozen=True)
class Delete:
    name: str


@dataclass(frozen=True)
class Rename:
    name: str
    to: str


@dataclass(frozen=True)
class Build:
    full: bool


OPS = st.one_of(
    st.builds(Write, st.sampled_from(NAMES), st.integers(0, 4)),
    st.builds(Delete, st.sampled_from(NAMES)),
    st.builds(Rename, st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.builds(Build, st.booleans()),
)


def _apply(seeds: Path, op: Write | Delete | Rename) -> None:
    if isinstance(op, Write):
        write_file(seeds / op.name, _content(op.content))
    elif isinstance(op, Delete):
        (seeds / op.name).unlink(missing_ok=True)
    elif (seeds / op.name).exists() and not (seeds / op.to).exists():
        (seeds / op.to).parent.mkdir(parents=True, exist_ok=True)
        (seeds / op.name).rename(seeds / op.to)


def _on_disk(seeds: Path) -> dict[str, bytes]:
    return {
        p.relative_to(seeds).as_posix(): p.read_bytes() for p in seeds.rglob("*.md") if p.is_file()
    }


def _indexed_as_is(report: IndexReport, files: dict[str, bytes]) -> set[str]:
    """The files indexed as they are on disk: neither errors nor duplicates."""
    return set(files) - {e.path for e in report.errors} - {d.path for d in report.duplicates}


def _check(report: IndexReport, files: dict[str, bytes], before: _Before | None) -> None:
    found = len(files)
    assert report.seed_files == found
    assert (
        report.added
        + report.updated
        + report.renamed
        + report.unchanged
        + len(report.errors)
        + len(report.duplicates)
        == found
    ), report
    assert set(report.stale) <= {e.path for e in report.errors}
    ok = _indexed_as_is(report, files)
    if before is None:
        assert (report.added, report.updated, report.renamed, report.removed) == (len(ok), 0, 0, 0)
        assert report.unchanged == 0
        return
    # Indexed before: as it was on disk, or a last good version (stale).
    indexed_before = before.ok | before.stale
    assert report.removed + report.renamed == len(indexed_before - set(files))
    assert report.added + report.renamed == len(ok - indexed_before)
    assert report.updated + report.unchanged == len(ok & indexed_before)
    unchanged = {p for p in ok & before.ok if before.files[p] == files[p]}
    assert report.unchanged == len(unchanged)
    # Every error that the build before did not report, for this content, is new.
    for issue in report.errors:
        if issue.path in files and issue.new:
            assert issue.path not in before.errors or before.files.get(issue.path) != files.get(
                issue.path
            ), issue


@dataclass(frozen=True)
class _Before:
    files: dict[str, bytes]
    ok: set[str]
    stale: set[str]
    errors: set[str]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(OPS, min_size=1, max_size=14))
def test_every_report_adds_up(ops: list[Write | Delete | Rename | Build]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="counts-"))
    try:
        seeds, index = tmp / "seeds", tmp / "index"
        seeds.mkdir()
        # A start with a duplicate and a broken seed, so that short runs reach every state.
        for name, content in (("a.md", 0), ("sub/d.md", 0), ("c.md", 3)):
            write_file(seeds / name, _content(content))
        before: _Before | None = None
        for op in [*ops, Build(False)]:
            if not isinstance(op, Build):
                _apply(seeds, op)
                continue
            report = searchkit.build_index(seeds, index, full=op.full)
            files = _on_disk(seeds)
            _check(report, files, before)
            before = _Before(
                files,
                _indexed_as_is(report, files),
                set(report.stale),
                {e.path for e in report.errors},
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_the_issue_cases_add_up_in_text_and_json(tmp_path: Path) -> None:
    """The cases issue 11 found, each as the user saw it."""
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    for i in range(3):
        write_file(seeds / f"good-{i}.md", _content(i))
    assert run_cli("index", "--seeds", seeds, "--index", index).code == 0

    # Two broken files only: not "up to date", both listed, exit 3.
    write_file(seeds / "broken-1.md", BROKEN)
    write_file(seeds / "broken-2.md", BROKEN)
    result = run_cli("index", "--index", index)
    assert result.code == 3
    assert "up to date" not in result.stdout
    assert "3 unchanged, 2 invalid" in result.stdout
    assert all(f"skipped: broken-{i}.md" in result.stderr for i in (1, 2))
    data = run_cli("index", "--index", index, "--json").json()
    assert (data["unchanged"], len(data["errors"]), data["seed_files"]) == (3, 2, 5)
    assert data["changed"] is False

    # A broken file with a good one: 1 added; deleting both: 1 removed.
    write_file(seeds / "new-good.md", seed_text("New good", "https://counts.example/new"))
    write_file(seeds / "new-broken.md", BROKEN)
    data = run_cli("index", "--index", index, "--json").json()
    assert (data["added"], data["unchanged"], len(data["errors"])) == (1, 3, 3)
    (seeds / "new-good.md").unlink()
    (seeds / "new-broken.md").unlink()
    data = run_cli("index", "--index", index, "--json").json()
    assert (data["removed"], data["unchanged"], len(data["errors"])) == (1, 3, 2)

    # A seed indexed, then broken: an error (stale), in no other count.
    write_file(seeds / "good-0.md", BROKEN)
    data = run_cli("index", "--index", index, "--json").json()
    assert data["stale"] == ["good-0.md"]
    assert (data["updated"], data["unchanged"], len(data["errors"])) == (0, 2, 3)

    # A rename is a rename.
    (seeds / "good-1.md").rename(seeds / "moved-1.md")
    data = run_cli("index", "--index", index, "--json").json()
    assert (data["renamed"], data["added"], data["removed"]) == (1, 0, 0)

    # --full says what it indexed.
    result = run_cli("index", "--index", index, "--full")
    assert result.code == 3
    assert "indexed 2 seed files (0 added, 0 updated, 0 renamed, 0 removed, 2 unchanged" in (
        result.stdout
    )
