"""Exact multi-select facet counts over a match set, from the facet columns (columns.py).

Counting happens in one pass over the full match set: each facet is counted over the matches
that pass every *other* facet's filter (as Elasticsearch's post_filter does), so the other
values of a facet stay visible after one is selected. Keys are counted, then named: a name
is looked up once per key. Large match sets are counted with numpy (vectors.py), the same
counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from whoosh.util.times import datetime_to_long, long_to_datetime

from ..filters import Filters
from ..options import VECTOR_MIN
from ..records import KIND_CODES
from ..results import Facet, FacetValue, Granularity
from .columns import KIND_NAMES, MISSING_DATE, FacetColumns

_TICKS_PER_DAY = 86_400 * 1_000_000  # Whoosh stores datetimes as microseconds


def to_long(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    result: int = datetime_to_long(dt.astimezone(UTC).replace(tzinfo=None))
    return result


def from_long(value: int) -> datetime | None:
    return long_to_datetime(value).replace(tzinfo=UTC) if value else None


Counts = dict[str, Counter[str]]


class FacetCounter:
    """Applies drill-down filters to a match set and counts every facet."""

    def __init__(
        self,
        columns: FacetColumns,
        filters: Filters,
        provider_docs: Sequence[int] | None = None,
        *,
        vector_min: int = VECTOR_MIN,
    ) -> None:
        """`provider_docs`: the documents whose provider name or domain is one of the filter's
        values, in order (the columns hold names only); None when there is no provider
        filter. A match
        set of `vector_min` documents or more is counted with numpy."""
        self.columns = columns
        self.topics = {t.casefold() for t in filters.topics}
        self.provider_docs = provider_docs
        self.kind = KIND_CODES[filters.kind] if filters.kind else None
        self.start = to_long(filters.since)
        self.end = to_long(filters.until)
        self.vector_min = vector_min
        self._topic_ok: dict[int, bool] = {0: not self.topics}

    def run(
        self, docnums: Sequence[int], *, dates: bool = True
    ) -> tuple[Sequence[int], Counts, Sequence[int]]:
        """(documents passing every filter, in order; counts per facet; the dates (Whoosh
        longs) of the documents the date histogram counts: none when not `dates` and no
        date filter needs them)."""
        if len(docnums) >= self.vector_min:
            from . import vectors  # numpy: only for large match sets

            return vectors.count_facets(self, docnums, dates=dates)
        return self._run(docnums)

    def topic_ok(self, key: int, docnum: int) -> bool:
        """Whether the documents with topic set `key` (held by `docnum`) pass the topic
        filter."""
        ok = self._topic_ok.get(key)
        if ok is None:
            topics = self.columns.topics(key, docnum)
            ok = self._topic_ok[key] = any(t.casefold() in self.topics for t in topics)
        return ok

    def _run(self, docnums: Sequence[int]) -> tuple[list[int], Counts, list[int]]:
        cols = self.columns
        kinds, providers, topic_sets, dated = (
            cols.kinds,
            cols.providers,
            cols.topic_sets,
            cols.dates,
        )
        topic_keys: Counter[int] = Counter()
        provider_keys: Counter[int] = Counter()
        kind_codes: Counter[int] = Counter()
        first: dict[int, int] = {}  # a document holding each key
        dates: list[int] = []
        allowed: list[int] = []
        provider_docs = None if self.provider_docs is None else set(self.provider_docs)
        want_kind, start, end = self.kind, self.start, self.end
        want_topics = bool(self.topics)
        for d in docnums:
            kind, provider, topics = kinds[d], providers[d], topic_sets[d]
            published = dated[d]
            if published >= MISSING_DATE:
                published = 0
            first.setdefault(topics, d)
            first.setdefault(provider, d)
            ok_kind = want_kind is None or kind == want_kind
            ok_topic = not want_topics or self.topic_ok(topics, d)
            ok_provider = provider_docs is None or d in provider_docs
            ok_date = (start is None or published >= start) and (end is None or 0 < published < end)
            if ok_kind and ok_date:
                if ok_provider:
                    topic_keys[topics] += 1
                if ok_topic and provider:
                    provider_keys[provider] += 1
            if ok_topic and ok_provider:
                if ok_date:
                    kind_codes[kind] += 1
                if ok_kind and published:
                    dates.append(published)
                if ok_kind and ok_date:
                    allowed.append(d)
        return allowed, self.names(topic_keys, provider_keys, kind_codes, first), dates

    def names(
        self,
        topic_keys: Mapping[int, int],
        provider_keys: Mapping[int, int],
        kind_codes: Mapping[int, int],
        first: Mapping[int, int],
    ) -> Counts:
        """Counts of keys (in the order their first documents come) as counts of names."""
        cols = self.columns
        topics: Counter[str] = Counter()
        for key, count in topic_keys.items():
            for topic in cols.topics(key, first[key]):
                topics[topic] += count
        providers: Counter[str] = Counter()
        for key, count in provider_keys.items():
            providers[cols.provider(key, first[key])] += count
        kinds = Counter({KIND_NAMES[code]: n for code, n in kind_codes.items() if code})
        return {"topics": topics, "provider": providers, "kind": kinds}


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


@dataclass(frozen=True, slots=True)
class DayCounts:
    """The dates a histogram counts, by day: the first and last (Whoosh longs; None when
    there are none) and how many fall on each day (days since Whoosh's epoch, whose days
    start at midnight UTC). What a shard of a sharded index sends instead of every date:
    a few thousand numbers at most, summed exactly over the shards."""

    first: int | None
    last: int | None
    days: dict[int, int]

    @classmethod
    def of(cls, dates: Sequence[int]) -> DayCounts:
        """The day counts of `dates` (a list, or an array from vectors.count_facets)."""
        if not len(dates):
            return cls(None, None, {})
        if isinstance(dates, list):
            by_day = Counter(v // _TICKS_PER_DAY for v in dates)
            return cls(min(dates), max(dates), dict(by_day))
        from .vectors import count_days

        first, last = int(dates.min()), int(dates.max())  # type: ignore[attr-defined]
        return cls(first, last, dict(count_days(dates, 0, _TICKS_PER_DAY)))

    @classmethod
    def summed(cls, parts: Sequence[DayCounts]) -> DayCounts:
        """The day counts of every part's dates together."""
        dated = [p for p in parts if p.first is not None and p.last is not None]
        if not dated:
            return cls(None, None, {})
        days: Counter[int] = Counter()
        for part in dated:
            days.update(part.days)
        first = min(p.first for p in dated if p.first is not None)
        last = max(p.last for p in dated if p.last is not None)
        return cls(first, last, dict(days))


def date_facet(dates: Sequence[int] | DayCounts) -> Facet:
    """A histogram whose buckets follow the span of the dates: years, months or days."""
    found = dates if isinstance(dates, DayCounts) else DayCounts.of(dates)
    if found.first is None or found.last is None:
        return Facet("published", (), 0, granularity=None)
    lo, hi = from_long(found.first), from_long(found.last)
    assert lo is not None and hi is not None
    span_days = (hi - lo).days
    granularity: Granularity = (
        "year" if span_days > 3 * 365 else ("month" if span_days > 62 else "day")
    )
    # Counted by day (a day is a fixed number of Whoosh ticks), then each distinct day named.
    first_day = datetime(lo.year, lo.month, lo.day, tzinfo=UTC)
    base = (to_long(first_day) or 0) // _TICKS_PER_DAY
    counts: Counter[str] = Counter()
    for day, n in found.days.items():
        counts[_bucket(first_day + timedelta(days=day - base), granularity)] += n
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
