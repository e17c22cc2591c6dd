"""Which documents a seeds folder yields: articles, deduplicated stubs, inherited topics,
duplicates, and the exact counts of the fixture folder (docs/DOCUMENTS.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_helpers import (
    FIXTURE_ARTICLES,
    FIXTURE_DOCUMENTS,
    FIXTURE_SEED_FILES,
    FIXTURE_SEEDS,
    FIXTURE_STUBS,
    fixture_expected,
    fixture_metas,
    norm_url,
    related,
    seed_paths,
    seed_text,
    stored_docs,
    write_file,
)

import searchkit
from searchkit import Duplicate

S = "https://stubs.example/shared-story"


def _casefold(values) -> list[str]:
    return [v.casefold() for v in values]


# --- a small hand-made folder ---------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md",
        seed_text(
            "Article A",
            "https://news.example/a",
            topics=["Politics", "Economy"],
            related=[
                related(
                    "Shared story as A cites it",
                    S,
                    provider={"name": "Stub  Times", "domain": "stubs.example"},
                ),
                related("Article C as A cites it", "https://news.example/c/"),
                related("Stub without url"),
                related(None, "https://stubs.example/untitled"),
            ],
        ),
    )
    write_file(
        seeds / "b.md",
        seed_text(
            "Article B",
            "https://news.example/b",
            topics=["economy", "World News"],
            related=[
                related("Shared story as B cites it", "HTTPS://STUBS.example/shared-story/#x")
            ],
        ),
    )
    write_file(seeds / "c.md", seed_text("Article C", "https://news.example/c", topics=["Science"]))
    return seeds, tmp_path / "index"


def test_small_folder_counts(small):
    seeds, index = small
    report = searchkit.build_index(seeds, index)
    # Articles a, b, c; stubs: the shared story and a's url-less entry. c is cited but an article;
    # the untitled entry yields nothing.
    assert (report.documents, report.articles, report.related) == (5, 3, 2)
    assert (report.added, report.updated, report.removed, report.unchanged) == (3, 0, 0, 0)
    assert report.ok and report.changed and report.full
    stats = searchkit.index_stats(index)
    assert (stats.documents, stats.articles, stats.related) == (5, 3, 2)


def test_url_cited_by_two_seeds_is_one_stub_with_the_union_of_their_topics(small):
    seeds, index = small
    searchkit.build_index(seeds, index)
    docs = stored_docs(index)
    stub = docs[S]
    assert stub["kind"] == "related"
    # First citer in path order (a.md) supplies the fields.
    assert stub["title"] == "Shared story as A cites it"
    assert stub["data"]["provider"] == ["Stub Times", "stubs.example"]
    # Union of a's and b's topics, case-insensitively, as first written.
    assert stub["data"]["topics"] == ["Politics", "Economy", "World News"]
    # Both citing articles record the stub.
    assert S in docs["https://news.example/a"]["data"]["links"]
    assert S in docs["https://news.example/b"]["data"]["links"]
    assert "path" not in stub


def test_stub_topics_are_searchable_as_a_facet(small):
    """A topic filter finds the related coverage too: the stub inherits its citers' topics."""
    from whoosh import index as whoosh_index
    from whoosh.query import Term

    from searchkit import store

    seeds, index = small
    searchkit.build_index(seeds, index)
    ix = whoosh_index.open_dir(str(store.current_store(index)))
    with ix.searcher() as s:
        found = {s.stored_fields(n)["id"] for n in s.docs_for_query(Term("topic", "world news"))}
    ix.close()
    assert found == {"https://news.example/b", S}


def test_article_cited_by_another_seed_stays_one_article(small):
    seeds, index = small
    searchkit.build_index(seeds, index)
    docs = stored_docs(index)
    article = docs["https://news.example/c"]
    assert article["kind"] == "article"
    assert article["title"] == "Article C"  # the seed's own title, not the citing entry's
    assert article["data"]["topics"] == ["Science"]
    assert article["path"] == "c.md"
    assert "https://news.example/c" in docs["https://news.example/a"]["data"]["links"]
    assert sum(1 for d in docs if d.startswith("https://news.example/c")) == 1


def test_related_entry_without_title_is_ignored(small):
    seeds, index = small
    searchkit.build_index(seeds, index)
    docs = stored_docs(index)
    assert "https://stubs.example/untitled" not in docs
    assert "https://stubs.example/untitled" not in docs["https://news.example/a"]["data"]["links"]


def test_related_entry_without_url_is_a_stub_keyed_by_identity_and_position(small):
    seeds, index = small
    searchkit.build_index(seeds, index)
    docs = stored_docs(index)
    key = "https://news.example/a#related-3"
    assert docs[key]["kind"] == "related"
    assert docs[key]["title"] == "Stub without url"
    assert docs[key]["data"]["topics"] == ["Politics", "Economy"]


def test_url_less_entry_of_a_seed_without_url_is_keyed_by_its_path(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(seeds / "sub" / "n.md", seed_text("No url", related=[related("Anonymous stub")]))
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert (report.documents, report.articles, report.related) == (2, 1, 1)
    assert set(stored_docs(tmp_path / "index")) == {"sub/n.md", "sub/n.md#related-1"}


def test_two_seeds_with_the_same_url_index_the_first_path_and_report_the_other(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "b-second.md",
        seed_text(
            "Second",
            "HTTPS://Dup.example/x/",
            related=[related("Only cited by the duplicate", "https://dup.example/only-dup")],
        ),
    )
    write_file(seeds / "a-first.md", seed_text("First", "https://dup.example/x"))
    write_file(seeds / "c.md", seed_text("Other", "https://dup.example/other"))
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert report.duplicates == (
        Duplicate(path="b-second.md", of="a-first.md", identity="https://dup.example/x"),
    )
    assert not report.errors
    assert not report.ok
    assert (report.documents, report.articles, report.related) == (2, 2, 0)
    docs = stored_docs(tmp_path / "index")
    assert docs["https://dup.example/x"]["title"] == "First"
    assert docs["https://dup.example/x"]["path"] == "a-first.md"
    assert "https://dup.example/only-dup" not in docs  # a duplicate cites nothing
    assert searchkit.index_stats(tmp_path / "index").duplicates == ("b-second.md",)


def test_identity_prefers_web_url_then_original_url_then_path(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "w.md",
        seed_text("Web", "https://x.example/web", originalUrl="https://x.example/orig-w"),
    )
    write_file(seeds / "o.md", seed_text("Orig", originalUrl="https://x.example/orig-o?utm=1"))
    write_file(seeds / "p.md", seed_text("Path only"))
    searchkit.build_index(seeds, tmp_path / "index")
    assert set(stored_docs(tmp_path / "index")) == {
        "https://x.example/web",
        "https://x.example/orig-o?utm=1",
        "p.md",
    }


def test_only_visible_seed_files_with_seed_suffixes_are_read(tmp_path: Path):
    seeds = tmp_path / "seeds"
    for i, name in enumerate(["a.md", "b.markdown", "c.txt", "D.MD", "deep/er/e.md"]):
        write_file(seeds / name, seed_text(f"Visible {i}", f"https://v.example/{i}"))
    for i, name in enumerate(
        [".hidden.md", ".git/x.md", "sub/.h/y.md", "notes.json", "f.md.bak", "README"]
    ):
        write_file(seeds / name, seed_text(f"Invisible {i}", f"https://i.example/{i}"))
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert report.ok
    assert (report.documents, report.articles) == (5, 5)
    paths = {d.get("path") for d in stored_docs(tmp_path / "index").values()}
    assert paths == {"a.md", "b.markdown", "c.txt", "D.MD", "deep/er/e.md"}
    assert seed_paths(seeds) == sorted(paths)  # the independent helper agrees


# --- the fixture folder ---------------------------------------------------------------------------


def test_fixture_counts_recounted_independently():
    """The hard-coded numbers the other tests use, recounted with plain PyYAML."""
    assert len(seed_paths(FIXTURE_SEEDS)) == FIXTURE_SEED_FILES
    expected = fixture_expected()
    assert not expected.duplicates
    assert expected.counts == (FIXTURE_DOCUMENTS, FIXTURE_ARTICLES, FIXTURE_STUBS)


def test_fixture_folder_has_the_awkward_cases_it_is_meant_to_cover():
    metas = fixture_metas()
    expected = fixture_expected()
    assert all((m.get("provider") or {}).get("name") == "HuffPost" for m in metas.values())
    assert sum(1 for m in metas.values() if not m.get("topics")) >= 5
    assert any("excerpt" not in m for m in metas.values())
    assert sum(1 for m in metas.values() if any(ord(c) > 127 for c in m["title"])) >= 10
    assert len({t for m in metas.values() for t in m.get("topics") or []}) >= 20
    assert {m["publishedDateTime"].year for m in metas.values()} >= {2018, 2019, 2020, 2021, 2022}
    assert sum(1 for citers in expected.stubs.values() if len(citers) >= 2) >= 50
    cited_articles = {
        key
        for m in metas.values()
        for r in m.get("related") or []
        if (key := norm_url(r["webUrl"])) in expected.articles
    }
    assert len(cited_articles) >= 30


def test_fixture_index_holds_exactly_the_expected_documents(fixture_index: Path):
    expected = fixture_expected()
    stats = searchkit.index_stats(fixture_index)
    assert (stats.documents, stats.articles, stats.related) == (
        FIXTURE_DOCUMENTS,
        FIXTURE_ARTICLES,
        FIXTURE_STUBS,
    )
    assert stats.seed_files == FIXTURE_SEED_FILES
    assert stats.stale == () and stats.errors == () and stats.duplicates == ()
    docs = stored_docs(fixture_index)
    assert set(docs) == set(expected.articles) | set(expected.stubs)
    for identity, path in expected.articles.items():
        assert docs[identity]["kind"] == "article"
        assert docs[identity]["path"] == path
    for key, title in expected.stub_titles.items():
        assert docs[key]["kind"] == "related"
        assert docs[key]["title"] == title, key
    for doc_id, topics in expected.topics.items():
        assert _casefold(docs[doc_id]["data"]["topics"]) == _casefold(topics), doc_id


def test_fixture_build_report_counts(tmp_path: Path):
    report = searchkit.build_index(FIXTURE_SEEDS, tmp_path / "index", dry_run=True)
    assert (report.documents, report.articles, report.related) == (
        FIXTURE_DOCUMENTS,
        FIXTURE_ARTICLES,
        FIXTURE_STUBS,
    )
    assert report.added == FIXTURE_SEED_FILES and report.ok


def test_empty_and_missing_excerpts_index_as_no_excerpt(tmp_path: Path):
    # In the corpus only non-HuffPost seeds have `excerpt: ""`, so the fixtures cannot hold one.
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md",
        '---\ntitle: "Empty excerpt"\nexcerpt: ""\nwebUrl: "https://e.example/a"\n---\n',
    )
    write_file(seeds / "b.md", '---\ntitle: "No excerpt"\nwebUrl: "https://e.example/b"\n---\n')
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert report.ok and report.articles == 2
    docs = stored_docs(tmp_path / "index")
    assert docs["https://e.example/a"]["excerpt"] == "" == docs["https://e.example/b"]["excerpt"]
