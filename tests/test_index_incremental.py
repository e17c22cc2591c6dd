"""Incremental builds: each kind of change touches exactly the documents it should, and the
result always equals a full build of the same folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from index_helpers import (
    FIXTURE_ARTICLES,
    assert_matches_full_build,
    bump_mtime,
    citing_paths,
    expected_documents,
    related,
    run_cli,
    seed_text,
    snapshot,
    stored_docs,
    title_hits,
    write_file,
)

import searchkit
from searchkit import Duplicate

A, B, C = "https://news.example/a", "https://news.example/b", "https://news.example/c"
S1, S2, S3 = "https://stubs.example/1", "https://stubs.example/2", "https://stubs.example/3"


def _a(title: str = "Alpha article", topics=("Alpha",), rel=None) -> str:
    rel = rel if rel is not None else [related("S1 via a", S1), related("S2 via a", S2)]
    return seed_text(title, A, topics=topics, related=rel)


def _b(rel=None, topics=("Beta",)) -> str:
    rel = rel if rel is not None else [related("S1 via b", S1), related("C via b", C)]
    return seed_text("Beta article", B, topics=topics, related=rel)


def _c() -> str:
    return seed_text("Gamma article", C, topics=["Gamma"], related=[related("S2 via c", S2)])


class Web:
    """Three seeds citing each other and two shared stubs:

    a.md (A, Alpha) -> S1, S2;  b.md (B, Beta) -> S1, C;  c.md (C, Gamma) -> S2
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seeds = root / "seeds"
        self.index = root / "index"
        write_file(self.seeds / "a.md", _a())
        write_file(self.seeds / "b.md", _b())
        write_file(self.seeds / "c.md", _c())
        first = self.build()
        assert (first.documents, first.articles, first.related) == (5, 3, 2)

    def build(self, **kwargs) -> searchkit.IndexReport:
        return searchkit.build_index(self.seeds, self.index, **kwargs)

    def docs(self) -> dict:
        return assert_matches_full_build(self.seeds, self.index, self.root)


@pytest.fixture
def web(tmp_path: Path) -> Web:
    return Web(tmp_path)


def _counts(report) -> tuple[int, int, int, int]:
    return report.added, report.updated, report.removed, report.unchanged


def _docs(report) -> tuple[int, int, int]:
    return report.documents, report.articles, report.related


def test_initial_state(web: Web):
    docs = web.docs()
    assert docs[S1]["title"] == "S1 via a"
    assert docs[S1]["data"]["topics"] == ["Alpha", "Beta"]
    assert docs[S2]["title"] == "S2 via a"
    assert docs[S2]["data"]["topics"] == ["Alpha", "Gamma"]
    assert docs[C]["kind"] == "article"


def test_add_a_seed(web: Web):
    write_file(
        web.seeds / "d.md",
        seed_text(
            "Delta article",
            "https://news.example/d",
            topics=["Delta"],
            related=[related("S3 via d", S3), related("S1 via d", S1)],
        ),
    )
    report = web.build()
    assert _counts(report) == (1, 0, 0, 3)
    assert _docs(report) == (7, 4, 3)
    assert report.changed and not report.full
    docs = web.docs()
    assert docs[S3]["data"]["topics"] == ["Delta"]
    assert docs[S1]["data"]["topics"] == ["Alpha", "Beta", "Delta"]
    assert docs[S1]["title"] == "S1 via a"  # a.md still sorts first


def test_change_a_title(web: Web):
    write_file(web.seeds / "a.md", _a(title="Alpha article rewritten completely"))
    report = web.build()
    assert _counts(report) == (0, 1, 0, 2)
    assert _docs(report) == (5, 3, 2)
    assert report.changed
    docs = web.docs()
    assert docs[A]["title"] == "Alpha article rewritten completely"
    assert title_hits(web.index, "rewritten") == [A]


def test_change_of_the_same_size_is_found_by_the_content_hash(web: Web):
    before = (web.seeds / "a.md").stat().st_size
    write_file(web.seeds / "a.md", _a(title="Alpha articlf"))
    assert (web.seeds / "a.md").stat().st_size == before
    report = web.build()
    assert _counts(report) == (0, 1, 0, 2)
    assert web.docs()[A]["title"] == "Alpha articlf"


def test_changing_topics_changes_the_stubs_the_seed_cites(web: Web):
    write_file(web.seeds / "b.md", _b(topics=("Beta", "Extra")))
    report = web.build()
    assert _counts(report) == (0, 1, 0, 2)
    docs = web.docs()
    assert docs[S1]["data"]["topics"] == ["Alpha", "Beta", "Extra"]
    assert docs[S2]["data"]["topics"] == ["Alpha", "Gamma"]


def test_first_citer_edits_its_entry_and_the_stub_follows(web: Web):
    write_file(
        web.seeds / "a.md", _a(rel=[related("S1 retitled by a", S1), related("S2 via a", S2)])
    )
    web.build()
    assert web.docs()[S1]["title"] == "S1 retitled by a"


def test_later_citer_edits_its_entry_and_the_stub_keeps_the_first_citers_fields(web: Web):
    write_file(web.seeds / "b.md", _b(rel=[related("S1 retitled by b", S1), related("C via b", C)]))
    web.build()
    assert web.docs()[S1]["title"] == "S1 via a"


def test_rename_counts_as_renamed_and_moves_stub_fields(web: Web):
    os.rename(web.seeds / "a.md", web.seeds / "z.md")
    report = web.build()
    assert _counts(report) == (0, 0, 0, 2)
    assert report.renamed == 1
    assert _docs(report) == (5, 3, 2)
    docs = web.docs()
    assert docs[A]["path"] == "z.md"
    # z.md now sorts last: the next citers in path order supply the stubs' fields.
    assert docs[S1]["title"] == "S1 via b"
    assert docs[S2]["title"] == "S2 via c"
    assert docs[S1]["data"]["topics"] == ["Beta", "Alpha"]


def test_remove_a_seed(web: Web):
    (web.seeds / "c.md").unlink()
    report = web.build()
    assert _counts(report) == (0, 0, 1, 2)
    # C is still cited by b.md: it stays, as a stub now, with b's entry and topics.
    assert _docs(report) == (5, 2, 3)
    docs = web.docs()
    assert docs[C]["kind"] == "related"
    assert docs[C]["title"] == "C via b"
    assert docs[C]["data"]["topics"] == ["Beta"]
    assert "path" not in docs[C]
    assert docs[S2]["data"]["topics"] == ["Alpha"]  # c.md no longer cites it


def test_removing_the_first_citer_moves_stub_fields_to_the_next_citer(web: Web):
    (web.seeds / "a.md").unlink()
    report = web.build()
    assert _docs(report) == (4, 2, 2)
    docs = web.docs()
    assert A not in docs  # nobody cites A
    assert docs[S1]["title"] == "S1 via b"
    assert docs[S1]["data"]["topics"] == ["Beta"]
    assert docs[S2]["title"] == "S2 via c"
    assert docs[S2]["data"]["topics"] == ["Gamma"]


@pytest.mark.parametrize("how", ["remove the seed", "drop the entry"])
def test_stub_shared_by_two_seeds_losing_one_citer_stays_with_fewer_topics(web: Web, how: str):
    if how == "remove the seed":
        (web.seeds / "b.md").unlink()
    else:
        write_file(web.seeds / "b.md", _b(rel=[related("C via b", C)]))
    report = web.build()
    assert report.related == 2
    docs = web.docs()
    assert docs[S1]["kind"] == "related"
    assert docs[S1]["title"] == "S1 via a"
    assert docs[S1]["data"]["topics"] == ["Alpha"]


@pytest.mark.parametrize("how", ["remove the seeds", "drop the entries"])
def test_stub_losing_its_last_citer_leaves_the_index(web: Web, how: str):
    if how == "remove the seeds":
        (web.seeds / "a.md").unlink()
        (web.seeds / "b.md").unlink()
    else:
        write_file(web.seeds / "a.md", _a(rel=[related("S2 via a", S2)]))
        write_file(web.seeds / "b.md", _b(rel=[related("C via b", C)]))
    report = web.build()
    docs = web.docs()
    assert S1 not in docs
    assert report.related == sum(1 for d in docs.values() if d["kind"] == "related")
    assert title_hits(web.index, "S1") == []


def test_changing_a_seeds_url_moves_its_article(web: Web):
    write_file(web.seeds / "c.md", _c().replace(C, "https://news.example/c-moved"))
    report = web.build()
    assert _counts(report) == (0, 1, 0, 2)
    docs = web.docs()
    assert docs["https://news.example/c-moved"]["kind"] == "article"
    assert docs[C]["kind"] == "related"  # still cited by b.md
    assert _docs(report) == (6, 3, 3)


def test_new_article_takes_over_a_stub_id_and_gives_it_back(web: Web):
    write_file(web.seeds / "s1.md", seed_text("S1 as an article", S1, topics=["Own"]))
    report = web.build()
    assert _docs(report) == (5, 4, 1)
    docs = web.docs()
    assert docs[S1]["kind"] == "article"
    assert docs[S1]["title"] == "S1 as an article"
    assert docs[S1]["data"]["topics"] == ["Own"]
    (web.seeds / "s1.md").unlink()
    report = web.build()
    assert _docs(report) == (5, 3, 2)
    docs = web.docs()
    assert docs[S1]["kind"] == "related"
    assert docs[S1]["title"] == "S1 via a"
    assert docs[S1]["data"]["topics"] == ["Alpha", "Beta"]


def test_duplicate_that_sorts_first_takes_over_and_hands_back(web: Web):
    shutil.copyfile(web.seeds / "b.md", web.seeds / "0-copy-of-b.md")
    bump_mtime(web.seeds / "0-copy-of-b.md")
    report = web.build()
    assert report.duplicates == (Duplicate(path="b.md", of="0-copy-of-b.md", identity=B),)
    assert _docs(report) == (5, 3, 2)
    assert web.docs()[B]["path"] == "0-copy-of-b.md"
    (web.seeds / "0-copy-of-b.md").unlink()
    report = web.build()
    assert report.duplicates == ()
    assert report.ok
    assert web.docs()[B]["path"] == "b.md"
    assert searchkit.index_stats(web.index).duplicates == ()


def test_duplicate_that_sorts_last_is_reported_and_indexes_nothing(web: Web):
    write_file(
        web.seeds / "zz.md",
        _c()
        .replace("Gamma article", "Another title")
        .replace("S2 via c", "S3 via zz")
        .replace(S2, S3),
    )
    report = web.build()
    assert report.duplicates == (Duplicate(path="zz.md", of="c.md", identity=C),)
    assert _docs(report) == (5, 3, 2)
    assert S3 not in web.docs()
    assert searchkit.index_stats(web.index).duplicates == ("zz.md",)


def test_touch_without_a_content_change_writes_no_document(web: Web):
    whoosh_files_before = snapshot(web.index, skip={"write.lock"})
    whoosh_files_before = {p: v for p, v in whoosh_files_before.items() if "manifest-" not in p}
    for name in ("a.md", "b.md", "c.md"):
        bump_mtime(web.seeds / name)
    report = web.build()
    assert not report.changed
    assert _counts(report) == (0, 0, 0, 3)
    assert _docs(report) == (5, 3, 2)
    after = {
        p: v for p, v in snapshot(web.index, skip={"write.lock"}).items() if "manifest-" not in p
    }
    assert after == whoosh_files_before
    # The new mtimes were recorded: the next run does not even read the files again.
    settled = snapshot(web.index, skip={"write.lock"})
    assert not web.build().changed
    assert snapshot(web.index, skip={"write.lock"}) == settled


def test_second_run_without_changes_writes_nothing(web: Web):
    before = snapshot(web.index, skip={"write.lock"})
    report = web.build()
    assert not report.changed
    assert _counts(report) == (0, 0, 0, 3)
    assert _docs(report) == (5, 3, 2)
    assert report.ok
    assert snapshot(web.index, skip={"write.lock"}) == before


def test_dry_run_reports_what_a_real_run_does_and_writes_nothing(web: Web):
    write_file(web.seeds / "a.md", _a(title="Alpha edited"))
    (web.seeds / "c.md").unlink()  # C stays as a stub: b.md cites it
    write_file(
        web.seeds / "d.md",
        seed_text("Delta", "https://news.example/d", related=[related("S3 via d", S3)]),
    )
    before = snapshot(web.index)
    dry = web.build(dry_run=True)
    assert snapshot(web.index) == before
    assert dry.dry_run and not dry.changed
    real = web.build()
    assert (_counts(dry), _docs(dry)) == (_counts(real), _docs(real)) == ((1, 1, 1, 1), (7, 3, 4))


def test_full_rebuild_of_an_unchanged_folder_keeps_every_document(web: Web):
    before = stored_docs(web.index)
    # Another process, as a user would run it.
    result = run_cli("index", "--index", web.index, "--full", "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert report["full"] and report["changed"]
    assert [report[k] for k in ("added", "updated", "removed", "unchanged")] == [0, 0, 0, 3]
    assert stored_docs(web.index) == before
    assert len([p for p in web.index.iterdir() if p.name.startswith("store-")]) == 1


def test_two_full_builds_in_a_row_from_one_process(web: Web):
    for _ in range(2):
        report = web.build(full=True)
        assert report.full and report.documents == 5


def test_a_series_of_changes_stays_equal_to_a_full_build(web: Web):
    steps = [
        lambda: write_file(
            web.seeds / "sub" / "e.md",
            seed_text(
                "Epsilon",
                "https://news.example/e",
                topics=["Eps"],
                related=[related("S2 via e", S2), related("A via e", A)],
            ),
        ),
        lambda: os.rename(web.seeds / "b.md", web.seeds / "sub" / "b.md"),
        lambda: (web.seeds / "a.md").unlink(),
        lambda: write_file(web.seeds / "a.md", _a(topics=("Alpha", "Again"))),
        lambda: write_file(web.seeds / "c.md", _c().replace(S2, S3)),
    ]
    for step in steps:
        step()
        report = web.build()
        docs = web.docs()
        assert report.documents == len(docs)
        assert report.articles == sum(1 for d in docs.values() if d["kind"] == "article")


def test_removing_a_cited_fixture_article_turns_it_into_a_stub(built_index):
    seeds, index = built_index
    expected = expected_documents(seeds)
    citers = citing_paths(seeds)
    # An article cited by at least two other seeds.
    identity = next(
        i for i, path in sorted(expected.articles.items()) if len(citers.get(i, [])) >= 2
    )
    path = expected.articles[identity]
    (seeds / path).unlink()
    report = searchkit.build_index(seeds, index)
    after = expected_documents(seeds)
    assert (report.added, report.updated, report.removed) == (0, 0, 1)
    assert (report.documents, report.articles, report.related) == after.counts
    assert report.articles == FIXTURE_ARTICLES - 1
    assert identity in after.stubs and identity not in expected.stubs
    docs = stored_docs(index)
    assert docs[identity]["kind"] == "related"
    assert docs[identity]["title"] == after.stub_titles[identity]
    assert [t.casefold() for t in docs[identity]["data"]["topics"]] == [
        t.casefold() for t in after.topics[identity]
    ]
