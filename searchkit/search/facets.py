"""Per-document facet values read from Whoosh columns, and exact multi-select facet counts.

Counting happens in one pass over the full match set: each facet is counted over the matches
that pass every *other* facet's filter (as Elasticsearch's post_filter does), so the other
values of a facet stay visible after one is selected.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from whoosh.util.times import datetime_to_long, long_to_datetime

from ..filters import Filters
from ..results import Facet, FacetValue, Granularity
from ..whoosh_seam.columns import column_reader, column_values

# Reading whole columns costs about as much as reading a fifth of the documents one by one.
# Once this share has been read singly (a searcher in use, not a one-off search), the rest
# is read at once.
BULK_SHARE = 0.1
_TICKS_PER_DAY = 86_400 * 1_000_000  # Whoosh stores datetimes as microseconds
_MISSING = 2**63


class Columns:
    """Facet values of every document of one reader, read lazily and remembered.

    A row is (kind, topics, provider, published as a Whoosh long or 0). Columns are read per
    segment: Whoosh's multi-segment column reader skips segments that lack a column (all their
    documents undated, say), which would shift every later document's values.
    """

    _FIELDS = ("kind", "topic", "provider", "published")

    def __init__(self, reader: Any) -> None:
        self.size = reader.doc_count_all()
        self._offsets: list[int] = []
        self._segments: list[tuple[Any, ...]] = []
        for segment, offset in reader.leaf_readers():
            self._offsets.append(offset)
            self._segments.append(tuple(column_reader(segment, name) for name in self._FIELDS))
        self._rows: list[Row | None] = [None] * self.size
        self._bulk_loaded = False
        self._read_singly = 0

    def prepare(self, docnums: list[int]) -> None:
        """Load whole columns once BULK_SHARE of the documents have been read one by one."""
        if not self._bulk_loaded and self._read_singly + len(docnums) > self.size * BULK_SHARE:
            self.load_all()

    def load_all(self) -> list[Row]:
        if not self._bulk_loaded:
            rows: list[Row] = []
            ends = [*self._offsets[1:], self.size]
            for readers, start, end in zip(self._segments, self._offsets, ends, strict=True):
                rows.extend(_rows(readers, end - start))
            self._rows = list(rows)
            self._bulk_loaded = True
        return self._rows  # type: ignore[return-value]

    def row(self, docnum: int) -> Row:
        row = self._rows[docnum]
        if row is None:
            i = bisect_right(self._offsets, docnum) - 1
            local = docnum - self._offsets[i]
            row = self._rows[docnum] = _row(
                *(r[local] if r is not None else None for r in self._segments[i])
            )
            self._read_singly += 1
        return row

    def published(self, docnum: int) -> int:
        return self.row(docnum)[3]

    def all_published(self) -> list[int]:
        """Every document's date (a Whoosh long; 0 for none), by document number."""
        return [row[3] for row in self.load_all()]


Row = tuple[str, tuple[str, ...], str, int]


def _text(raw: Any) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else (raw or "")


def _topics(raw: Any) -> tuple[str, ...]:
    return tuple(v for v in _text(raw).split("\n") if v)


def _published(raw: Any) -> int:
    # Whoosh marks a document without a value with the column's maximum
    return raw if raw and raw < _MISSING else 0


def _row(kind: Any, topic: Any, provider: Any, published: Any) -> Row:
    return (_text(kind), _topics(topic), _text(provider), _published(published))


def _rows(readers: tuple[Any, ...], count: int) -> list[Row]:
    """The rows of one segment's documents, from whole columns (the same values as _row)."""
    kinds, topics, providers, published = (
        column_values(r) if r is not None else [None] * count for r in readers
    )
    texts = {v: _text(v) for v in {*kinds, *providers}}  # few distinct values: decode each once
    topic_sets = {v: _topics(v) for v in set(topics)}
    return list(
        zip(
            [texts[v] for v in kinds],
            [topic_sets[v] for v in topics],
            [texts[v] for v in providers],
            [_published(v) for v in published],
            strict=True,
        )
    )


def to_long(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    result: int = datetime_to_long(dt.astimezone(UTC).replace(tzinfo=None))
    return result


def from_long(value: int) -> datetime | None:
    return long_to_datetime(value).replace(tzinfo=UTC) if value else None


class FacetCounter:
    """Applies drill-down filters to a match set and counts every facet."""

    def __init__(
        self, columns: Columns, filters: Filters, provider_docs: set[int] | None = None
    ) -> None:
        """`provider_docs`: the documents whose provider name or domain is one of the filter's
        values (the columns hold names only); None when there is no provider filter."""
        self.columns = columns
        self.topics = {t.casefold() for t in filters.topics}
        self.provider_docs = provider_docs
        self.kind = filters.kind
        self.start = to_long(filters.since)
        self.end = to_long(filters.until)
        self.filters = filters

    def run(self, docnums: list[int]) -> tuple[list[int], dict[str, Counter[str]], list[int]]:
        """(documents passing every filter, counts per facet, dates for the histogram)."""
        cols = self.columns
        cols.prepare(docnums)
        row = cols.row
        topics_seen: list[str] = []
        providers_seen: list[str] = []
        kinds_seen: list[str] = []
        dates: list[int] = []
        allowed: list[int] = []
        want_topics, provider_docs, want_kind = self.topics, self.provider_docs, self.kind
        start, end = self.start, self.end
        for d in docnums:
            kind, topics, provider, published = row(d)
            ok_kind = want_kind is None or kind == want_kind
            ok_topic = not want_topics or any(t.casefold() in want_topics for t in topics)
            ok_provider = provider_docs is None or d in provider_docs
            ok_date = (start is None or published >= start) and (end is None or 0 < published < end)
            if ok_kind and ok_date:
                if ok_provider:
                    topics_seen.extend(topics)
                if ok_topic and provider:
                    providers_seen.append(provider)
            if ok_topic and ok_provider:
                if ok_date:
                    kinds_seen.append(kind)
                if ok_kind and published:
                    dates.append(published)
                if ok_kind and ok_date:
                    allowed.append(d)
        counts = {
            "topics": Counter(topics_seen),
            "provider": Counter(providers_seen),
            "kind": Counter(kinds_seen),
        }
        return allowed, counts, dates


def value_facet(name: str, counts: Counter[str], selected: Iterable[str], limit: int) -> Facet:
    """A facet of values written by people: case variants count as one value, shown in the
    form most documents use."""
    merged: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for value, count in counts.items():
        key = value.casefold()
        merged[key] += count
        forms.setdefault(key, Counter())[value] += count
    chosen = {v.casefold() for v in selected}
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    values = tuple(
        FacetValue(forms[k].most_common(1)[0][0], c, k in chosen) for k, c in ordered[:limit]
    )
    shown = {v.value.casefold() for v in values}
    # A selected value stays visible even when it is not among the most frequent.
    extra = tuple(
        FacetValue(forms[k].most_common(1)[0][0], merged[k], True)
        for k in chosen
        if k in merged and k not in shown
    )
    return Facet(name, values + extra, len(merged), truncated=len(merged) > limit)


def date_facet(dates: list[int]) -> Facet:
    """A histogram whose buckets follow the span of the dates: years, months or days."""
    if not dates:
        return Facet("published", (), 0, granularity=None)
    lo, hi = from_long(min(dates)), from_long(max(dates))
    assert lo is not None and hi is not None
    span_days = (hi - lo).days
    granularity: Granularity = (
        "year" if span_days > 3 * 365 else ("month" if span_days > 62 else "day")
    )
    # Count by day first (a day is a fixed number of Whoosh ticks), then name each distinct day.
    first_day = datetime(lo.year, lo.month, lo.day, tzinfo=UTC)
    base = to_long(first_day) or 0
    by_day = Counter((v - base) // _TICKS_PER_DAY for v in dates)
    counts: Counter[str] = Counter()
    for offset, n in by_day.items():
        counts[_bucket(first_day + timedelta(days=offset), granularity)] += n
    keys = _bucket_range(lo, hi, granularity)
    values = tuple(FacetValue(k, counts.get(k, 0)) for k in keys)
    return Facet("published", values, len(counts), granularity=granularity)


def _bucket(dt: datetime | None, granularity: Granularity) -> str:
    assert dt is not None
    fmt = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}[granularity]
    return dt.strftime(fmt)


def _bucket_range(lo: datetime, hi: datetime, granularity: Granularity) -> list[str]:
    """Every bucket from lo to hi, empty ones included, so gaps show."""
    keys = []
    if granularity == "year":
        return [str(y) for y in range(lo.year, hi.year + 1)]
    if granularity == "month":
        y, m = lo.year, lo.month
        while (y, m) <= (hi.year, hi.month):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return keys
    day = datetime(lo.year, lo.month, lo.day, tzinfo=UTC)
    while day <= hi:
        keys.append(day.strftime("%Y-%m-%d"))
        day += timedelta(days=1)
    return keys
