"""Dates at and past the ends of time: years 0001 to 9999 are searchable; anything outside is a
DateSpecError (a QueryError with a position and a hint), never a ValueError or an
OverflowError from Python's datetime (issue 10, found 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit import ParameterError, QueryError, SearchIndex, dates

from .search_helpers import FIXTURE_NOW

# Each crashed with a raw ValueError or OverflowError before.
OUT_OF_RANGE = [
    ("date:0000", 0, "year 0000"),
    ("trump date:0000-05", 6, "year 0000"),
    ("date:0000-01-01", 0, "year 0000"),
    ('date:"last 9999999999 days"', 0, "before 0001-01-01"),
    ("date:>-999999999999d", 0, "before 0001-01-01"),
    ("date:-99999999999999999999999999999999999999w", 0, "before 0001-01-01"),
    ("korea date:[1990 to 9999999y]", 6, "before 0001-01-01"),
    ("date:>9999", 0, "no date comes after"),
    ("date:0001-01-01T00:00:00+05:00", 0, "out of range"),
]


@pytest.mark.parametrize(("query", "position", "detail"), OUT_OF_RANGE)
def test_dates_out_of_range_are_query_errors(
    ix: SearchIndex, query: str, position: int, detail: str
) -> None:
    with pytest.raises(QueryError) as info:
        ix.search(query)
    assert info.value.position == position
    assert detail in info.value.message
    assert info.value.hint


@pytest.mark.parametrize(
    ("query", "resolved"),
    [
        ("date:9999", "date:[9999-01-01 to]"),
        ("date:9999-12", "date:[9999-12-01 to]"),
        ("date:9999-12-31", "date:[9999-12-31 to]"),
        ("date:0001", "date:[0001-01-01 to 0001-12-31]"),
        ("date:[0001 to 9999]", "date:[0001-01-01 to]"),
        ("date:<=9999", "date:[to]"),
        ("date:9999-12-31T23:59:59", "date:[9999-12-31T23:59:59Z to]"),
    ],
)
def test_the_first_and_last_years_are_searchable(
    ix: SearchIndex, query: str, resolved: str
) -> None:
    assert ix.search(query, per_page=1).resolved_query == resolved


def test_a_range_over_all_time_finds_every_dated_document(ix: SearchIndex) -> None:
    dated = ix.search("*", since="1900", per_page=1).total
    assert ix.search("date:[0001 to 9999]", per_page=1).total == dated > 0
    assert ix.search("date:9999", per_page=1).total == 0
    assert ix.search("date:0001", per_page=1).total == 0


@pytest.mark.parametrize(
    "filters",
    [
        {"since": "0000"},
        {"until": "0000-12"},
        {"since": "last 99999999999999 days"},
        {"since": "9" * 5000 + "d"},  # more digits than int() reads
        {"since": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))},
    ],
)
def test_filters_out_of_range_are_parameter_errors(
    ix: SearchIndex, filters: dict[str, object]
) -> None:
    with pytest.raises(ParameterError) as info:
        ix.search("korea", **filters)  # type: ignore[arg-type]
    assert info.value.hint


def test_filters_at_the_ends_of_time_are_open(ix: SearchIndex) -> None:
    korea = ix.search("korea", per_page=1).total
    assert ix.search("korea", until=datetime.max, per_page=1).total == korea
    assert ix.search("korea", until=date.max, per_page=1).total == korea
    assert ix.search("korea", until="9999-12-31", per_page=1).total == korea
    assert ix.search("korea", since=datetime.min, per_page=1).total == korea


def test_years_before_1000_keep_their_zeros() -> None:
    rng = dates.parse_range("0042-03", FIXTURE_NOW)
    assert rng.describe() == "[0042-03-01 to 0042-03-31]"


SPEC_PARTS = st.one_of(
    st.from_regex(r"[<>]?=?-?[0-9]{1,14}\s*(d|w|m|y|days|years)?", fullmatch=True),
    st.from_regex(r"[0-9]{1,5}(-[0-9]{1,3}(-[0-9]{1,3})?)?", fullmatch=True),
    st.from_regex(r"(last|past) [0-9]{1,20} (days|weeks|months|years)", fullmatch=True),
    st.builds(
        lambda a, b: f"{a} to {b}",
        st.from_regex(r"[0-9]{4}(-[0-9]{2})?", fullmatch=True),
        st.from_regex(r"[0-9]{1,6}(-[0-9]{2})?", fullmatch=True),
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.isoformat() + "+14:00"
    ),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(spec=SPEC_PARTS, now=st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)))
def test_any_date_text_is_a_range_or_a_date_spec_error(spec: str, now: datetime) -> None:
    """Whatever the text, and whatever "now" is (the first or last days of time included)."""
    for parse in (
        lambda: dates.parse_range(spec, now),
        lambda: dates.as_bound(spec, now, end=False),
        lambda: dates.as_bound(spec, now, end=True),
    ):
        try:
            found = parse()
        except dates.DateSpecError as exc:
            assert str(exc)
            continue
        if isinstance(found, dates.DateRange):
            found.describe()
