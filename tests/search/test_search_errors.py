"""Bad queries raise QueryError with a position and a hint, bad parameters ParameterError;
nothing else escapes (a property test over random query text); the CLI turns them into exit
statuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit import ParameterError, QueryError, SearchIndex, SearchkitError, SearchResults

from .search_helpers import cli_env, run_cli


def query_error(index: SearchIndex, query: str, **options: Any) -> QueryError:
    with pytest.raises(QueryError) as info:
        index.search(query, **options)
    error = info.value
    assert isinstance(error, SearchkitError)
    assert error.query == query
    assert query in str(error) or not query
    return error


@pytest.mark.parametrize(
    ("query", "field", "position"),
    [
        ("tpoic:x", "topic:", 0),
        ("korea titel:kim", "title:", 6),
        ("provdier:cnn", "provider:", 0),
        ("dtae:2018", "date:", 0),
    ],
)
def test_unknown_field_names_the_closest_one(
    ix: SearchIndex, query: str, field: str, position: int
) -> None:
    error = query_error(ix, query)
    assert error.position == position
    assert error.hint is not None and field in error.hint
    assert "unknown field" in error.message
    assert field in str(error)


def test_unknown_field_without_a_close_match_lists_the_fields(ix: SearchIndex) -> None:
    error = query_error(ix, "zzzzzz:x")
    assert error.hint is not None
    assert all(name in error.hint for name in ("title", "topic", "provider", "date"))


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ('korea "north', 6),
        ('"white house', 0),
        ("(korea OR trump", 0),
        ("korea)", 5),
        ("(korea))", 7),
    ],
)
def test_unbalanced_quotes_and_parentheses(ix: SearchIndex, query: str, position: int) -> None:
    error = query_error(ix, query)
    assert error.position == position
    assert query[position] in '"()'


def test_unclosed_parenthesis_position_points_at_the_unclosed_one(ix: SearchIndex) -> None:
    error = query_error(ix, "korea (trump AND (kim)")
    assert error.position == 6


@pytest.mark.parametrize(
    ("query", "position", "detail"),
    [
        ("date:2021-13", 0, "2021-13"),
        ("trump date:2021-13", 6, "2021-13"),
        ("date:2021-02-30", 0, "2021-02-30"),
        ("date:[2019 to 2018]", 0, "ends before it starts"),
        ("date:tomorrowish", 0, "tomorrowish"),
        ('date:""', 0, "not a date"),
        ("date:[]", 0, "empty"),
    ],
)
def test_bad_dates_in_the_query(ix: SearchIndex, query: str, position: int, detail: str) -> None:
    error = query_error(ix, query)
    assert error.position == position
    assert detail in error.message


@pytest.mark.parametrize(
    ("filters", "detail"),
    [
        ({"since": "2021-13"}, "2021-13"),
        ({"until": "2021-02-30"}, "2021-02-30"),
        ({"since": "someday"}, "someday"),
        ({"until": "last fortnight"}, "fortnight"),
        ({"kind": "video"}, "article, related or all"),
        ({"sort": "best"}, "relevance"),
        ({"page": 0}, "1 or more"),
        ({"per_page": 0}, "1 to 1,000"),
        ({"per_page": 100_000}, "1 to 1,000"),
        ({"facet_limit": 0}, "1 or more"),
        ({"per_page": "10"}, "whole number"),
    ],
)
def test_bad_parameters_name_the_parameter(
    ix: SearchIndex, filters: dict[str, Any], detail: str
) -> None:
    """The error names the parameter given and what it may be, not the query."""
    with pytest.raises(ParameterError) as info:
        ix.search("korea", **filters)
    ((name, value),) = filters.items()
    error = info.value
    assert isinstance(error, SearchkitError) and isinstance(error, ValueError)
    assert (error.parameter, error.value) == (name, value)
    assert str(error).startswith(f"{name}: ")
    assert detail in str(error)
    assert "bad query" not in str(error)


def test_unknown_kind_and_sort_hint_at_the_valid_ones(ix: SearchIndex) -> None:
    with pytest.raises(ParameterError) as kind:
        ix.search("korea", kind="video")  # type: ignore[arg-type]
    assert kind.value.hint is not None
    assert "article" in kind.value.hint and "related" in kind.value.hint
    with pytest.raises(ParameterError) as sort:
        ix.search("korea", sort="best")  # type: ignore[arg-type]
    assert sort.value.hint is not None
    assert all(s in sort.value.hint for s in ("relevance", "newest", "oldest"))


@pytest.mark.parametrize("query", ['""', "()", "-", "^"])
def test_nothing_searchable_is_an_error_with_a_hint(ix: SearchIndex, query: str) -> None:
    error = query_error(ix, query)
    assert error.hint


def test_parse_raises_the_same_errors(ix: SearchIndex) -> None:
    with pytest.raises(QueryError) as info:
        ix.parse("tpoic:x")
    assert info.value.hint and "topic:" in info.value.hint


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(searchkit.IndexNotFoundError) as info:
        searchkit.open_index(tmp_path / "nowhere")
    assert isinstance(info.value, SearchkitError)
    # The facts and the fix as data: the command line phrases the command, not the library.
    assert info.value.remedy is searchkit.Remedy.BUILD
    assert str(info.value) == f"no index at {tmp_path / 'nowhere'}"


# --- random query text -------------------------------------------------------------------------

TOKENS = [
    "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "to", "(", ")", "[", "]", "{", "}", '"',
    "'", ":", "*", "?", "~", "~2", "^", "^3", "+", "-", "<", ">", "=", ">=", "<=", "/", "\\",
    "title:", "topic:", "date:", "published:", "provider:", "source:", "kind:", "domain:",
    "tpoic:", "id:", "url:", "links:", "body:", "2018", "2018-05", "2018-05-03", "2021-13",
    "last week", "yesterday", "30d", "-30d", "korea", "trump", "white house", "café", "’",
    "\x00", "\x1b", " ", "*:*", "x", "é", "kroea", "stub", "article",
]  # fmt: skip
QUERIES = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(list(" :\"'()[]{}*?~^+-<>=!/\\&|abkorAZ09é’")), max_size=30),
    st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERIES)
def test_random_queries_give_results_or_a_query_error(ix: SearchIndex, query: str) -> None:
    try:
        results = ix.search(query, per_page=3)
    except QueryError as exc:
        assert exc.query == query
        assert exc.position is None or 0 <= exc.position <= len(query)
    else:
        assert isinstance(results, SearchResults)
        # A short page may be filled with partial matches, after the full ones, uncounted.
        full = [h for h in results.hits if h.match == "all"]
        assert len(full) == min(3, results.total)
        assert results.hits[: len(full)] == tuple(full) and len(results.hits) <= 3
        assert sum(v.count for v in results.facets["kind"].values) == results.total


@settings(max_examples=150, deadline=None)
@given(
    spec=st.one_of(
        st.text(max_size=20), st.lists(st.sampled_from(TOKENS), max_size=4).map(" ".join)
    )
)
def test_random_date_filters_give_results_or_a_query_error(ix: SearchIndex, spec: str) -> None:
    for filters in ({"since": spec}, {"until": spec}):
        try:
            results = ix.search("*", per_page=1, facets=False, **filters)
        except ParameterError:
            continue
        assert isinstance(results, SearchResults)


# --- the CLI -------------------------------------------------------------------------------------


def test_cli_bad_query_exits_2_with_the_message(fixture_index_dir: Path) -> None:
    proc = run_cli("search", "tpoic:x", "--index", fixture_index_dir)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "tpoic" in proc.stderr and "topic:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_bad_date_exits_2(fixture_index_dir: Path) -> None:
    proc = run_cli("search", "korea", "--since", "2021-13", "--index", fixture_index_dir)
    assert proc.returncode == 2
    assert "2021-13" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_missing_index_exits_1_and_says_how_to_build_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("search", "korea", cwd=empty, env=cli_env())
    assert proc.returncode == 1
    # No seeds folder to build from: no command that would fail next, what to pass instead.
    assert "no seeds folder at seeds" in proc.stderr and "pass --seeds" in proc.stderr
    assert "`" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(empty.iterdir()) == []  # nothing was built
    named = run_cli("search", "korea", "--index", empty / "idx", cwd=empty)
    assert named.returncode == 1
    assert str(empty / "idx") in named.stderr
