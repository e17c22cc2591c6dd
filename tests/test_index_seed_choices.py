"""Seed choices (issue 10, section 6), as decided in docs/DOCUMENTS.md: a flaw that costs only
part of a seed leaves that part out with a warning and keeps the article; a URL that is not
text is no identity; messages show values as the seed wrote them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from index_helpers import related, run_cli, seed_text, stored_docs, write_file

import searchkit
from searchkit import BuildOptions
from searchkit.documents import parse_seed_text
from searchkit.errors import SeedError

URL = "https://choice.example/a"


def _seed(meta: str, body: str = "") -> str:
    return f"---\ntitle: Choices\nwebUrl: {URL}\n{meta}---\n{body}"


# --- related entries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("related_yaml", "warning"),
    [
        ('  - "just a title"\n', "related[0] is text, not a mapping of fields: left out"),
        ("  - [a, b]\n", "related[0] is a list, not a mapping of fields: left out"),
        (
            '  - title: Soon\n    publishedDateTime: "soon"\n',
            'related[0] left out: related[0].publishedDateTime "soon" is not an ISO 8601 '
            "date or timestamp",
        ),
        ("  - title: [x]\n", "related[0] left out: related[0].title must be text, not a list"),
    ],
)
def test_a_malformed_related_entry_is_left_out_with_a_warning(
    related_yaml: str, warning: str
) -> None:
    text = _seed(f"related:\n{related_yaml}  - title: Kept\n    webUrl: https://r.example/k\n")
    seed = parse_seed_text("a.md", text)
    assert seed.title == "Choices"
    assert [(e.title, e.position) for e in seed.related] == [("Kept", 1)]
    assert seed.warnings == (warning,)


def test_related_that_is_not_a_list_is_ignored_with_a_warning() -> None:
    seed = parse_seed_text("a.md", _seed("related: nothing here\n"))
    assert seed.related == ()
    assert seed.warnings == ("related is text, not a list of entries: ignored",)


def test_the_warning_is_a_note_of_the_build_and_the_article_is_indexed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md", _seed('related:\n  - "oops"\n  - title: Kept\n    webUrl: https://r.x/k\n')
    )
    result = run_cli("index", "--seeds", seeds, "--index", tmp_path / "index", "--json")
    assert result.code == 0, result.stderr  # the seed is indexed: a warning is no error
    report = result.json()
    assert report["errors"] == [] and (report["articles"], report["related"]) == (1, 1)
    assert report["notes"] == ["a.md: related[0] is text, not a mapping of fields: left out"]
    plain = run_cli("index", "--seeds", seeds, "--index", tmp_path / "again", "--full")
    assert "a.md: related[0] is text, not a mapping of fields: left out" in plain.stdout


def test_warnings_come_back_from_the_worker_of_a_shared_full_build(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    for i in range(12):
        entries = '  - "oops"\n' if i in (0, 11) else ""
        write_file(
            seeds / f"s{i:02d}.md",
            f"---\ntitle: Shared {i}\nwebUrl: https://w.example/{i}\nrelated:\n{entries}---\n",
        )
    report = searchkit.build_index(
        seeds,
        tmp_path / "index",
        progress=lambda _p: time.sleep(0.01),  # so that the worker gets its share
        options=BuildOptions(worker_min_files=0, chunk_size=2),
    )
    assert report.ok and report.articles == 12
    assert sorted(n for n in report.notes if "related[0]" in n) == [
        "s00.md: related[0] is text, not a mapping of fields: left out",
        "s11.md: related[0] is text, not a mapping of fields: left out",
    ]


def test_an_incremental_build_says_the_warning_of_the_seed_it_reads(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_file(seeds / "a.md", seed_text("A", "https://i.example/a"))
    searchkit.build_index(seeds, index)
    write_file(seeds / "a.md", _seed("related:\n  - 7\n"))
    report = searchkit.build_index(seeds, index)
    assert report.notes == ("a.md: related[0] is a number, not a mapping of fields: left out",)
    assert searchkit.build_index(seeds, index).notes == ()  # said by the build that read it


# --- URLs that are not text -----------------------------------------------------------------------


def test_a_url_that_is_not_text_is_no_identity(tmp_path: Path) -> None:
    """`webUrl: 42` used to become the identity "42", merging unrelated seeds."""
    seeds = tmp_path / "seeds"
    write_file(seeds / "a.md", seed_text("First", 42))
    write_file(seeds / "b.md", seed_text("Second", 42, originalUrl="https://n.example/b"))
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert report.ok and report.duplicates == ()
    assert set(stored_docs(tmp_path / "index")) == {"a.md", "https://n.example/b"}
    assert "a.md: webUrl is a number (42), not a URL: ignored" in report.notes


def test_a_related_url_that_is_not_text_keys_the_entry_by_its_place(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write_file(seeds / "a.md", seed_text("A", "https://n.example/a", related=[related("R", 42)]))
    write_file(seeds / "b.md", seed_text("B", "https://n.example/b", related=[related("S", 42)]))
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert report.related == 2  # not one stub "42" cited by both
    assert set(stored_docs(tmp_path / "index")) >= {
        "https://n.example/a#related-1",
        "https://n.example/b#related-1",
    }


# --- messages show what the seed says -------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (
            "publishedDateTime: 9999-12-31T23:59:59-01:00\n",
            "publishedDateTime 9999-12-31T23:59:59-01:00 is out of range in UTC",
        ),
        (
            'publishedDateTime: "next tuesday"\n',
            'publishedDateTime "next tuesday" is not an ISO 8601 date or timestamp',
        ),
        ("publishedDateTime: [2021]\n", "publishedDateTime is a list, not an ISO 8601 date"),
        ("publishedDateTime: {y: 1}\n", "publishedDateTime is a mapping, not an ISO 8601 date"),
        ("excerpt: {a: 1}\n", "excerpt must be text, not a mapping"),
        ("topics: 3\n", "topics must be a list of text, not a number"),
    ],
)
def test_messages_show_what_the_seed_says_not_python_values(meta: str, message: str) -> None:
    with pytest.raises(SeedError) as info:
        parse_seed_text("a.md", _seed(meta))
    assert message in info.value.reason
    assert "datetime.datetime" not in info.value.reason and "dict" not in info.value.reason


def test_frontmatter_of_another_kind_is_named_as_yaml_names_it() -> None:
    with pytest.raises(SeedError, match="but it is a number"):
        parse_seed_text("a.md", "---\n42\n---\n")
