"""Bad seeds are reported with path and reason, never stop the build, and a seed that breaks
after it was indexed keeps its last good version (stale) until it is fixed."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from index_helpers import related, run_cli, seed_text, stored_docs, title_hits, write_file

import searchkit
from searchkit.documents import MAX_SEED_BYTES

GOOD_SHARED = "https://stubs.example/shared"


def _good_seeds(seeds: Path) -> None:
    write_file(
        seeds / "good-1.md",
        seed_text(
            "First good seed",
            "https://good.example/1",
            topics=["Fine"],
            related=[related("Shared", GOOD_SHARED)],
        ),
    )
    write_file(
        seeds / "sub" / "good-2.md",
        seed_text(
            "Second good seed", "https://good.example/2", related=[related("Shared", GOOD_SHARED)]
        ),
    )


def _padded_seed(size: int) -> bytes:
    """A valid seed of exactly `size` bytes (the padding is trailing white space in the body)."""
    head = seed_text("Big seed", "https://good.example/big", body="Body.\n").encode()
    return head + b" " * (size - len(head))


BILLION_LAUGHS = (
    "---\ntitle: lol\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "---\n"
)

BAD_SEEDS: dict[str, tuple[bytes, str]] = {
    "malformed-yaml": (
        b'---\ntitle: "ok"\nfoo: bar: baz\n---\n',
        r"^line \d+, column 9: invalid YAML: mapping values are not allowed",
    ),
    "unclosed-flow": (b"---\ntitle: [unclosed\n---\n", r"^line \d+, column \d+: invalid YAML"),
    "no-frontmatter": (b"# Just markdown\n\nNo frontmatter here.\n", r"no YAML frontmatter"),
    "frontmatter-not-closed": (b"---\ntitle: Never closed\nexcerpt: x\n", r"no closing '---'"),
    "yaml-list": (b"---\n- title\n- x\n---\n", r"must be a YAML mapping.*list"),
    "yaml-scalar": (b"---\njust a sentence\n---\n", r"must be a YAML mapping.*but it is text"),
    "yaml-empty": (b"---\n---\nbody\n", r"must be a YAML mapping.*empty"),
    "no-title": (
        b"---\nexcerpt: Has no title\nwebUrl: https://bad.example/t\n---\n",
        r"title is missing",
    ),
    "blank-title": (b'---\ntitle: "   "\n---\n', r"title is empty"),
    "title-not-text": (b"---\ntitle: [a, b]\n---\n", r"title must be text"),
    "bad-date-string": (
        b'---\ntitle: T\npublishedDateTime: "next tuesday"\n---\n',
        r'publishedDateTime "next tuesday" is not an ISO 8601',
    ),
    "bad-date-type": (
        b"---\ntitle: T\npublishedDateTime: [2021]\n---\n",
        r"publishedDateTime is a list, not an ISO 8601",
    ),
    "not-utf-8": (b"---\ntitle: caf\xe9\n---\n", r"not UTF-8: byte 0xe9 at offset 14"),
    "utf-16": ("---\ntitle: wide\n---\n".encode("utf-16"), r"not UTF-8"),
    "empty": (b"", r"the file is empty"),
    "white-space-only": (b" \n\n\t\n", r"the file is empty"),
    "over-1-mib": (
        _padded_seed(MAX_SEED_BYTES + 1),
        r"1,048,577 bytes; seeds may be at most 1 MiB",
    ),
    "alias-bomb": (BILLION_LAUGHS.encode(), r"anchors and aliases are not allowed"),
    "python-object-apply": (
        b"---\ntitle: !!python/object/apply:os.system ['touch PWNED']\n---\n",
        r"python/object/apply:os.system",
    ),
    "python-name": (
        b"---\ntitle: T\nx: !!python/name:os.system ''\n---\n",
        r"python/name:os.system",
    ),
    "python-object": (
        b"---\ntitle: !!python/object:collections.OrderedDict {}\n---\n",
        r"python/object:collections.OrderedDict",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SEEDS))
def test_bad_seed_is_reported_with_path_and_reason_and_the_rest_is_indexed(
    tmp_path: Path, case: str
):
    data, reason = BAD_SEEDS[case]
    seeds = tmp_path / "seeds"
    _good_seeds(seeds)
    write_file(seeds / f"{case}.md", data)
    started = time.monotonic()
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert time.monotonic() - started < 10
    assert [e.path for e in report.errors] == [f"{case}.md"]
    assert re.search(reason, report.errors[0].error), report.errors[0].error
    assert report.stale == ()
    assert (report.documents, report.articles, report.related) == (3, 2, 1)
    assert not report.ok
    stats = searchkit.index_stats(tmp_path / "index")
    assert [i.path for i in stats.errors] == [f"{case}.md"]
    assert stats.errors[0].error == report.errors[0].error
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_a_seed_of_exactly_1_mib_is_indexed(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(seeds / "big.md", _padded_seed(MAX_SEED_BYTES))
    assert (seeds / "big.md").stat().st_size == MAX_SEED_BYTES
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert report.ok and report.articles == 1


def test_every_bad_seed_at_once_via_the_cli(tmp_path: Path):
    seeds = tmp_path / "seeds"
    _good_seeds(seeds)
    for case, (data, _) in BAD_SEEDS.items():
        write_file(seeds / "bad" / f"{case}.md", data)
    # Without --json, each problem is one line on stderr naming the file.
    result = run_cli("index", "--seeds", seeds, "--index", tmp_path / "index")
    assert result.code == 3
    for case in BAD_SEEDS:
        assert f"bad/{case}.md" in result.stderr
    assert "\x1b" not in result.stderr
    assert "up to date" not in result.stdout
    # The next run lists them all in its JSON, and sums them up in one line of text.
    result = run_cli("index", "--index", tmp_path / "index", "--json")
    assert result.code == 3, result.stderr
    report = result.json()
    assert sorted(e["path"] for e in report["errors"]) == sorted(f"bad/{c}.md" for c in BAD_SEEDS)
    assert all(e["error"] and e["new"] is False for e in report["errors"])
    assert (report["documents"], report["articles"], report["related"]) == (3, 2, 1)
    result = run_cli("index", "--index", tmp_path / "index")
    assert result.code == 3
    assert result.stderr.splitlines() == [
        f"{len(BAD_SEEDS)} seed files reported before still cannot be indexed: "
        f"`searchkit stats --index {tmp_path / 'index'}` lists them"
    ]
    assert "up to date" not in result.stdout


# --- YAML errors that escape as other exceptions --------------------------------------------------

ESCAPING: dict[str, bytes] = {
    "impossible-yaml-date": b"---\ntitle: T\npublishedDateTime: 2021-02-30\n---\n",
    "impossible-yaml-timestamp": b"---\ntitle: T\npublishedDateTime: 2021-05-03T25:61:00Z\n---\n",
    "impossible-related-date": (
        b"---\ntitle: T\nrelated:\n  - title: R\n    publishedDateTime: 2021-13-01\n---\n"
    ),
    "int-tag-on-text": b'---\ntitle: T\nquality: !!int "high"\n---\n',
    "float-tag-on-text": b'---\ntitle: T\nheat: !!float "hot"\n---\n',
    "timestamp-tag-on-text": b'---\ntitle: T\npublishedDateTime: !!timestamp "later"\n---\n',
    "int-over-4300-digits": b"---\ntitle: T\nquality: " + b"7" * 5000 + b"\n---\n",
    "year-1-with-offset": b"---\ntitle: T\npublishedDateTime: 0001-01-01T00:30:00+01:00\n---\n",
    "year-9999-with-offset": (
        b'---\ntitle: T\npublishedDateTime: "9999-12-31T23:30:00-01:00"\n---\n'
    ),
}


@pytest.mark.parametrize("case", sorted(ESCAPING))
def test_yaml_value_errors_are_reported_not_raised(tmp_path: Path, case: str):
    seeds = tmp_path / "seeds"
    _good_seeds(seeds)
    write_file(seeds / f"{case}.md", ESCAPING[case])
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert [e.path for e in report.errors] == [f"{case}.md"]
    assert report.articles == 2


@pytest.mark.parametrize("case", sorted(ESCAPING))
def test_yaml_value_errors_raise_seed_error_from_the_parser(case: str):
    from searchkit.documents import parse_seed_bytes

    with pytest.raises(searchkit.SeedError) as info:
        parse_seed_bytes(f"{case}.md", ESCAPING[case])
    assert info.value.path == f"{case}.md"


# --- line and column ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('---\ntitle: "ok"\nfoo: bar: baz\n---\n', 3, 9),
        ("---\ntitle: ok\n  bad: indent\n---\n", 3, 6),
        ("---\n\n\ntitle: ok\nfoo: bar: baz\n---\n", 5, 9),
    ],
)
def test_yaml_error_line_and_column_point_into_the_file(text: str, line: int, column: int):
    from searchkit.documents import parse_seed_text

    with pytest.raises(searchkit.SeedError) as info:
        parse_seed_text("bad.md", text)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.detail.startswith(f"line {line}, column {column}: ")


def test_yaml_error_carries_line_and_column(tmp_path: Path):
    from searchkit.documents import parse_seed_text

    with pytest.raises(searchkit.SeedError) as info:
        parse_seed_text("bad.md", '---\ntitle: "ok"\nfoo: bar: baz\n---\n')
    assert info.value.line is not None and info.value.column == 9
    assert str(info.value).startswith("bad.md: line ")


# --- stale seeds ----------------------------------------------------------------------------------


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    _good_seeds(seeds)
    write_file(
        seeds / "victim.md",
        seed_text(
            "Zeppelin victim article",
            "https://good.example/v",
            topics=["Victim"],
            related=[related("Cited only by the victim", "https://stubs.example/v")],
        ),
    )
    report = searchkit.build_index(seeds, index)
    assert report.ok and report.documents == 5
    return seeds, index


def test_seed_broken_after_indexing_keeps_its_last_good_version(indexed):
    seeds, index = indexed
    write_file(seeds / "victim.md", b"---\ntitle: [broken\n---\n")
    report = searchkit.build_index(seeds, index)
    assert report.stale == ("victim.md",)
    assert [e.path for e in report.errors] == ["victim.md"]
    assert "invalid YAML" in report.errors[0].error
    assert report.documents == 5 and (report.added, report.updated) == (0, 0)
    assert report.unchanged + len(report.errors) == report.seed_files
    assert title_hits(index, "zeppelin") == ["https://good.example/v"]
    docs = stored_docs(index)
    assert docs["https://good.example/v"]["title"] == "Zeppelin victim article"
    assert docs["https://stubs.example/v"]["data"]["topics"] == ["Victim"]  # its stub stays too
    stats = searchkit.index_stats(index)
    assert stats.stale == ("victim.md",)
    assert stats.errors == ()
    # The next run still reports it (already reported: summed up), with exit status 3.
    result = run_cli("index", "--index", index)
    assert result.code == 3
    assert "1 seed file reported before still cannot be indexed" in result.stderr
    assert "up to date" not in result.stdout


def test_fixing_a_stale_seed_clears_it(indexed):
    seeds, index = indexed
    write_file(seeds / "victim.md", b"")
    assert searchkit.build_index(seeds, index).stale == ("victim.md",)
    write_file(
        seeds / "victim.md",
        seed_text("Airship victim article", "https://good.example/v", topics=["Fixed"]),
    )
    report = searchkit.build_index(seeds, index)
    assert report.stale == () and report.errors == () and report.ok
    assert title_hits(index, "zeppelin") == []
    assert title_hits(index, "airship") == ["https://good.example/v"]
    assert "https://stubs.example/v" not in stored_docs(index)  # the fixed version cites nothing
    stats = searchkit.index_stats(index)
    assert stats.stale == () and stats.errors == ()
    assert run_cli("index", "--index", index).code == 0


def test_stale_seed_broken_again_stays_stale_with_the_new_reason(indexed):
    seeds, index = indexed
    write_file(seeds / "victim.md", b"")
    searchkit.build_index(seeds, index)
    write_file(seeds / "victim.md", b"---\nexcerpt: no title now\n---\n")
    report = searchkit.build_index(seeds, index)
    assert report.stale == ("victim.md",)
    assert "title is missing" in report.errors[0].error
    assert title_hits(index, "zeppelin") == ["https://good.example/v"]


def test_removing_a_stale_seed_removes_its_documents(indexed):
    seeds, index = indexed
    write_file(seeds / "victim.md", b"\xff\xfe")
    searchkit.build_index(seeds, index)
    (seeds / "victim.md").unlink()
    report = searchkit.build_index(seeds, index)
    assert report.stale == () and report.errors == () and report.removed == 1
    docs = stored_docs(index)
    assert "https://good.example/v" not in docs
    assert "https://stubs.example/v" not in docs
    assert report.documents == 3


def test_seed_that_never_parsed_is_invalid_not_stale(indexed):
    seeds, index = indexed
    write_file(seeds / "new-and-broken.md", b"no frontmatter")
    report = searchkit.build_index(seeds, index)
    assert report.stale == ()
    assert [e.path for e in report.errors] == ["new-and-broken.md"]
    stats = searchkit.index_stats(index)
    assert stats.stale == ()
    assert [i.path for i in stats.errors] == ["new-and-broken.md"]
    # A full rebuild cannot keep a stale version: it has no index to take it from.
    write_file(seeds / "victim.md", b"")
    result = run_cli("index", "--index", index, "--full", "--json")
    assert result.code == 3
    assert {e["path"] for e in result.json()["errors"]} == {"new-and-broken.md", "victim.md"}
    assert result.json()["stale"] == []
    assert "https://good.example/v" not in stored_docs(index)
