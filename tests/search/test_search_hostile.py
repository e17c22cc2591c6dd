"""Hostile query text through SearchIndex.search (issue 10): whatever the string, a search
returns results or raises a QueryError that says what and where; nothing else comes out.

The strategies build what the attack of issue 10 used: unbalanced quotes and parentheses,
unknown fields, any date text, boosts, fuzzy distances, wildcards, control characters, NUL, and
strings up to 100,000 characters. How long each takes is measured in bench/bench_hostile.py.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import QueryError, SearchIndex, SearchResults

WORDS = ["korea", "trump", "kim", "summit", "white", "house", "kroea", "x", "ab", "café", "’s"]
NAMES = ["title", "topic", "provider", "source", "kind", "domain", "id", "url", "links", "body"]
FIELDS = [f"{name}:" for name in [*NAMES, "excerpt", "tpoic", "zzz", "Title", "date", "text"]]
DATES = st.one_of(
    st.from_regex(r"-?[0-9]{1,14}(-[0-9]{1,3}){0,2}", fullmatch=True),
    st.from_regex(r"[<>]=?-?[0-9]{1,14}[dwmy]?", fullmatch=True),
    st.from_regex(r"\[[0-9]{0,6} (to|TO) [0-9]{0,6}\]", fullmatch=True),
    st.from_regex(r'"(last|past) [0-9]{1,20} (days|weeks|years)"', fullmatch=True),
    st.sampled_from(["today", "yesterday", '"last week"', "9999-12-31", "0000", "30d"]),
    st.text(max_size=12),
)
NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.from_regex(r"[0-9]{0,400}(\.[0-9]{0,20})?", fullmatch=True),
    st.sampled_from(["0", "0.0", ".5", "1e9", "-1", "nan", "inf", "99999999999999999999"]),
)
TERMS = st.one_of(
    st.sampled_from(WORDS),
    st.builds(lambda f, w: f + w, st.sampled_from(FIELDS), st.sampled_from(WORDS)),
    st.builds(lambda d: "date:" + d, DATES),
    st.builds(lambda w, n: f"{w}^{n}", st.sampled_from(WORDS), NUMBERS),
    st.builds(lambda w, n: f"{w}~{n}", st.sampled_from(WORDS), NUMBERS),
    st.builds(lambda w, n, p: f"{w}~{n}/{p}", st.sampled_from(WORDS), NUMBERS, NUMBERS),
    st.from_regex(r"[a-z]{0,4}[*?]{1,3}[a-z]{0,4}[*?]?", fullmatch=True),
    st.sampled_from(
        [
            '"',
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "'",
            "^",
            "~",
            "*",
            ":",
            "-",
            "+",
            "AND",
            "OR",
            "NOT",
            "ANDNOT",
            "ANDMAYBE",
            "TO",
            '"white house"',
        ]
    ),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=4),  # controls and NUL
    st.text(max_size=6),
)
SEPARATORS = st.sampled_from([" ", "", "  ", "\t", "\n", "\x00", " OR ", " AND "])
QUERIES = st.one_of(
    st.builds(lambda terms, sep: sep.join(terms), st.lists(TERMS, max_size=14), SEPARATORS),
    # Long strings: a fragment repeated up to 100,000 characters.
    st.builds(
        lambda term, times: (term * times)[:100_000],
        st.one_of(TERMS, st.sampled_from(["~", "(", "a-", "w* ", "t0~2 OR ", "body: "])),
        st.integers(1, 100_000),
    ),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERIES)
def test_hostile_queries_give_results_or_a_query_error(ix: SearchIndex, query: str) -> None:
    try:
        results = ix.search(query, per_page=3)
    except QueryError as exc:  # QueryLimitError too
        assert exc.query == query
        assert exc.message
        assert exc.position is None or 0 <= exc.position <= len(query)
        assert "\n" not in str(exc)
    else:
        assert isinstance(results, SearchResults)
        assert len(results.hits) == min(3, results.total)
