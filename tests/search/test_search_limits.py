"""The caps of searchkit.limits (issue 10): past each, a QueryLimitError names the cap, where the
query goes past it and how to narrow it; within them, searches run as before. The time budget
returns partial results. The queries the issue found crashing or running for half a minute are
here by name. Speed is measured in bench/bench_hostile.py, never here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit
from searchkit import ParameterError, QueryError, QueryLimitError, SearchIndex, limits

from .search_helpers import build, run_cli, write_seed


def refused(index: SearchIndex, query: str, limit: str) -> QueryLimitError:
    with pytest.raises(QueryLimitError) as info:
        index.search(query)
    error = info.value
    assert isinstance(error, QueryError)
    assert error.limit == limit
    assert error.value == getattr(limits, limit)
    assert error.hint
    assert error.position is None or 0 <= error.position <= len(query)
    return error


# --- the text: length and nesting ---------------------------------------------------------


def test_a_query_longer_than_the_cap_is_refused_where_it_goes_past(ix: SearchIndex) -> None:
    longest = ("korea " * limits.MAX_QUERY_LENGTH)[: limits.MAX_QUERY_LENGTH]
    assert ix.parse(longest)
    error = refused(ix, longest + "x", "MAX_QUERY_LENGTH")
    assert error.position == limits.MAX_QUERY_LENGTH
    assert f"{limits.MAX_QUERY_LENGTH:,}" in error.message
    huge = "x" * 100_000
    assert len(str(refused(ix, huge, "MAX_QUERY_LENGTH"))) < 400  # the message quotes a part


def test_parentheses_nested_deeper_than_the_cap_are_refused(ix: SearchIndex) -> None:
    depth = limits.MAX_NESTING
    assert ix.search("(" * depth + "korea" + ")" * depth).total > 0
    error = refused(ix, "(" * (depth + 1) + "korea" + ")" * (depth + 1), "MAX_NESTING")
    assert error.position == depth
    assert ix.parse('"((((((((((((((((((((((" korea').text  # quoted: no group


# --- boosts ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["trump^0", "trump^0.0", "(korea trump)^0", "korea^0.0001"])
def test_a_zero_or_tiny_boost_is_refused(ix: SearchIndex, query: str) -> None:
    """trump^0 made Whoosh divide by zero (reported as a damaged index)."""
    error = refused(ix, query, "MAX_BOOST")
    assert error.position == query.index("^")
    assert f"{limits.MIN_BOOST:g}" in error.message


@pytest.mark.parametrize("query", ["korea^1001", "korea^" + "9" * 400, "date:2018 korea^5000"])
def test_a_huge_boost_is_refused(ix: SearchIndex, query: str) -> None:
    error = refused(ix, query, "MAX_BOOST")
    assert error.position == query.index("^")


@pytest.mark.parametrize("query", ["korea^0.001", "korea^0.5", "korea^1000", "(korea trump)^2"])
def test_boosts_within_the_range_run(ix: SearchIndex, query: str) -> None:
    assert ix.search(query).total > 0


# --- fuzzy words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["trump~3", "trump~9", "trump~99", "trump~999999999", "x~50", "korea trmp~5/2"]
)
def test_fuzzy_distances_past_two_are_refused(ix: SearchIndex, query: str) -> None:
    """Whoosh read one digit, so trump~99 was trump~9 and the word 9; both ran for minutes."""
    error = refused(ix, query, "MAX_FUZZY_EDITS")
    assert error.position == query.index("~")


def test_fuzzy_distances_up_to_two_run(ix: SearchIndex) -> None:
    one, two = ix.search("trmp~").total, ix.search("trmp~2").total
    assert 0 < one <= two
    assert ix.search("trump~0").total == ix.search("trump").total


def test_a_fuzzy_prefix_longer_than_the_word_is_the_whole_word(ix: SearchIndex) -> None:
    """korea~0/6 made Whoosh read past the word's end (reported as a damaged index)."""
    assert ix.search("korea~0/6").total == ix.search("korea~0/5").total > 0


def test_a_fuzzy_word_longer_than_the_cap_is_refused(ix: SearchIndex) -> None:
    word = "a" * limits.MAX_FUZZY_LENGTH
    assert ix.search(f"korea {word}~2").total == 0
    error = refused(ix, f"korea {word}b~", "MAX_FUZZY_LENGTH")
    assert error.position == 6


def test_more_fuzzy_words_than_the_cap_are_refused(ix: SearchIndex) -> None:
    words = [f"wrd{i}~" for i in range(limits.MAX_FUZZY_WORDS)]
    assert ix.search(" OR ".join(words)).partial is None
    query = " OR ".join([*words, "korae~"])
    error = refused(ix, query, "MAX_FUZZY_WORDS")
    assert error.position == query.index("korae~")
    assert ix.search(" OR ".join(words + words)).partial is None  # a word twice is one


# --- wildcards ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        ("*a*", "*a*"),
        ("korea ?rump", "?rump"),
        ("body: body: body: **", "**"),
        ("title:*ea", "*ea"),
    ],
)
def test_leading_wildcards_are_refused(ix: SearchIndex, query: str, clause: str) -> None:
    error = refused(ix, query, "MIN_WILDCARD_PREFIX")
    assert clause in error.message
    assert error.position is not None and query[error.position] in "*?"


@pytest.mark.parametrize("query", ["*", "kor*", "k?rea", "title:*", "korea *", "* NOT korea"])
def test_wildcards_after_a_letter_and_a_lone_star_run(ix: SearchIndex, query: str) -> None:
    assert ix.search(query).total > 0


# --- clauses, and what patterns expand to ---------------------------------------------------


def test_more_clauses_than_the_cap_are_refused_when_parsed(ix: SearchIndex) -> None:
    """Each word counts once for each of the fields a word without a field is searched in."""
    fields = 5
    words = [f"q{i}" for i in range(limits.MAX_CLAUSES // fields + 1)]
    error = refused(ix, " ".join(words), "MAX_CLAUSES")
    assert "fewer words" in (error.hint or "")
    assert ix.search(" ".join(words[:-1])).total == 0  # one word fewer: within the cap


@pytest.fixture(scope="module")
def many_words(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """An index whose excerpts hold zq0000 ... zq1099 (1,100 words under one prefix), in two
    segments: seeds 0 to 5, then 6 to 10 added by an incremental build."""
    root = tmp_path_factory.mktemp("many-words")
    for n in range(11):
        excerpt = " ".join(f"zq{n * 100 + i:04d}" for i in range(100))
        write_seed(root / "seeds", f"s{n:02d}.md", {"title": f"Seed {n}", "excerpt": excerpt})
        if n == 5:
            build(root / "seeds", root / "index")
    build(root / "seeds", root / "index")
    with searchkit.open_index(root / "index") as ix:
        yield ix


def test_a_pattern_that_expands_past_the_cap_is_refused(many_words: SearchIndex) -> None:
    error = refused(many_words, "seed zq*", "MAX_CLAUSES")
    assert "zq*" in error.message and f"{limits.MAX_CLAUSES:,}" in error.message
    assert error.position == 5
    assert "longer prefix" in (error.hint or "")
    assert many_words.search("zq0*").total == 10  # 1,000 words: within the cap
    refused(many_words, "excerpt:[zq0000 to zq1099]", "MAX_CLAUSES")


def test_patterns_that_expand_past_the_cap_together_are_refused(many_words: SearchIndex) -> None:
    error = refused(many_words, "zq0* OR zq10*", "MAX_CLAUSES")
    assert "once its wildcards" in error.message
    assert error.position is None
    assert many_words.search("zq05* OR zq10*").total == 2


# --- what expansions are used for --------------------------------------------------------


def test_fuzzy_words_highlight_the_words_they_matched(ix: SearchIndex) -> None:
    results = ix.search("title:trmp~", per_page=3)
    assert results.hits
    for hit in results.hits:
        marked = {s.text.lower() for s in hit.title_spans if s.match}
        assert marked and all(m.startswith("trump") for m in marked)


def test_explain_lists_the_words_a_pattern_matched(ix: SearchIndex) -> None:
    terms = ix.explain("title:trmp~").matched_terms
    assert ("title", "trump") in terms
    assert all(field == "title" for field, _ in terms)


# --- the time budget ---------------------------------------------------------------------


def test_results_are_whole_within_the_budget(ix: SearchIndex) -> None:
    assert ix.search("korea").partial is None
    assert ix.search("korea", time_budget=None).partial is None


# A budget of a nanosecond is spent at the first look: every stage that can be cut short is.
SPENT = 1e-9


def test_a_spent_budget_cuts_nothing_a_search_does_not_need(ix: SearchIndex) -> None:
    results = ix.search("korea", time_budget=SPENT)
    assert results.partial is None
    assert results.hits == ix.search("korea").hits


def test_a_spent_budget_skips_spelling_and_looser_matches(ix: SearchIndex) -> None:
    assert ix.search("kroea").corrected == "korea"
    typo = ix.search("kroea", time_budget=SPENT)
    assert typo.total == 0 and typo.corrected is None and typo.suggestion is None
    assert (
        typo.partial == "the time budget of 1e-09 s ran out before spelling corrections were tried"
    )


def test_a_spent_budget_returns_the_segments_searched(many_words: SearchIndex) -> None:
    assert many_words.search("seed").total == 11
    results = many_words.search("seed", time_budget=SPENT)
    assert 0 < results.total < 11
    assert len(results.hits) == min(10, results.total)
    assert results.partial and "every segment was searched" in results.partial


@pytest.mark.parametrize("budget", [0, -1, float("inf"), float("nan")])
def test_a_budget_must_be_positive(ix: SearchIndex, budget: float) -> None:
    with pytest.raises(ParameterError, match="time_budget"):
        ix.search("korea", time_budget=budget)


# --- the command line ----------------------------------------------------------------------


def test_cli_says_partial_is_null_in_json(fixture_index_dir: Path) -> None:
    proc = run_cli("search", "--json", "--index", fixture_index_dir, "--", "trump^0.5")
    assert proc.returncode == 0, proc.stderr
    assert '"partial": null' in proc.stdout


@pytest.mark.parametrize(
    "query",
    [
        "trump^0",
        "date:0000",
        'date:"last 9999999999 days"',
        "trump~999999999",
        "*a*",
        "x" * 5000,
        "a\x1b[31mb date:9999-99",
    ],
)
def test_cli_bad_queries_exit_2_with_one_line(fixture_index_dir: Path, query: str) -> None:
    proc = run_cli("search", "--index", fixture_index_dir, "--", query)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("searchkit: bad query")
    assert "Traceback" not in proc.stderr
    # With --json, the error is one JSON object on stdout, with the same status.
    as_json = run_cli("search", "--json", "--index", fixture_index_dir, "--", query)
    assert as_json.returncode == 2 and as_json.stderr == ""
    assert as_json.stdout.count("\n") == 1
    error = json.loads(as_json.stdout)["error"]
    assert error["type"] in ("QueryError", "QueryLimitError")
    assert isinstance(error["position"], int) or error["position"] is None
    assert "\x1b" not in as_json.stdout
