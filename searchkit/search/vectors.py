"""Large match sets, with numpy: facet counts, date filters and date orders as array arithmetic.

Imported only when a match set is large (facets.VECTOR_MIN documents): numpy costs a tenth of
a second to import, more than a short-lived command's whole search on a small index. Every
function gives exactly what the Python code it stands in for gives (tests compare the two).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from ..whoosh_seam.matching import segment_score_array
from .columns import MISSING_DATE, FacetColumns

Counts = dict[str, Counter[str]]


class FacetCounter(Protocol):
    """What count_facets needs of facets.FacetCounter (which imports this module)."""

    columns: FacetColumns
    topics: set[str]
    provider_docs: Sequence[int] | None
    kind: int | None
    start: int | None
    end: int | None

    def topic_ok(self, key: int, docnum: int) -> bool: ...

    def names(
        self,
        topic_keys: Mapping[int, int],
        provider_keys: Mapping[int, int],
        kind_codes: Mapping[int, int],
        first: Mapping[int, int],
    ) -> Counts: ...


def as_docs(docnums: Sequence[int]) -> Any:
    """Document numbers as an int64 array (no copy when they already are one)."""
    if isinstance(docnums, np.ndarray):
        return docnums
    return np.fromiter(docnums, dtype=np.int64, count=len(docnums))


def column(values: Any, dtype: Any) -> Any:
    """A column's array (array.array) seen as a numpy array, without a copy."""
    return np.frombuffer(values, dtype=dtype)


def dates_of(counter_columns: Any, docs: Any) -> Any:
    """The documents' dates as Whoosh longs, 0 for undated ones."""
    published = column(counter_columns.dates, np.uint64)[docs]
    return np.where(published >= MISSING_DATE, 0, published).astype(np.int64)


def count_facets(
    counter: FacetCounter, docnums: Sequence[int], *, dates: bool = True
) -> tuple[Any, Counts, Any]:
    """FacetCounter.run for a large match set (see there)."""
    cols = counter.columns
    docs = as_docs(docnums)
    everything = np.ones(len(docs), dtype=bool)
    kinds = column(cols.kinds, np.uint8)[docs]
    providers = column(cols.providers, np.uint64)[docs]
    topics = column(cols.topic_sets, np.uint64)[docs]
    ranged = counter.start is not None or counter.end is not None
    published = dates_of(cols, docs) if dates or ranged else None
    ok_kind = kinds == counter.kind if counter.kind is not None else everything
    ok_topic = everything
    if counter.topics:
        keys, first, inverse = np.unique(topics, return_index=True, return_inverse=True)
        passing = np.fromiter(
            (counter.topic_ok(int(k), int(docs[i])) for k, i in zip(keys, first, strict=True)),
            dtype=bool,
            count=len(keys),
        )
        ok_topic = passing[inverse.reshape(-1)]
    ok_provider = everything
    if counter.provider_docs is not None:
        ok_provider = np.isin(docs, as_docs(counter.provider_docs))
    ok_date = everything.copy()
    if published is not None and counter.start is not None:
        ok_date &= published >= counter.start
    if published is not None and counter.end is not None:
        ok_date &= (published > 0) & (published < counter.end)
    kind_and_date = ok_kind & ok_date
    first_docs: dict[int, int] = {}
    topic_keys = _ordered_counts(topics, docs, kind_and_date & ok_provider, first_docs)
    provider_keys = _ordered_counts(
        providers, docs, kind_and_date & ok_topic & (providers != 0), first_docs
    )
    counted_kinds = kinds[ok_topic & ok_provider & ok_date]
    kind_codes = {int(c): int(n) for c, n in enumerate(np.bincount(counted_kinds)) if n}
    histogram = (
        published[ok_topic & ok_provider & ok_kind & (published > 0)]
        if published is not None and dates
        else []
    )
    allowed = docs[kind_and_date & ok_topic & ok_provider]
    counts = counter.names(topic_keys, provider_keys, kind_codes, first_docs)
    return allowed, counts, histogram


def _ordered_counts(
    keys: Any, docs: Any, selected: Any, first_docs: dict[int, int]
) -> dict[int, int]:
    """How many selected documents hold each key, keys in the order their first selected
    document comes (as the Python counter meets them); `first_docs` gets a document of each."""
    chosen, holders = (keys, docs) if selected.all() else (keys[selected], docs[selected])
    if not len(chosen):
        return {}
    found, counts, first = key_counts(chosen)
    out: dict[int, int] = {}
    for i in np.argsort(first, kind="stable"):
        key = int(found[i])
        out[key] = int(counts[i])
        first_docs.setdefault(key, int(holders[first[i]]))
    return out


_MAX_BUCKETS = 1 << 20


def key_counts(keys: Any) -> tuple[Any, Any, Any]:
    """The distinct values of `keys` (a uint64 array of hashes: facet keys), how many times
    each comes, and where it first comes, in no particular order: what
    ``np.unique(keys, return_index=True, return_counts=True)`` gives, without sorting a
    million keys (a third of the time). Each key goes to a bucket by its low bits, and a
    bucket counts the key that comes first in it; the few keys that share a bucket with
    another key are counted apart."""
    n = len(keys)
    buckets = min(_MAX_BUCKETS, 1 << max(4, (4 * n - 1).bit_length()))
    index = np.int32 if n < 2**31 else np.intp  # half the memory to touch, for most
    bucket = (keys & np.uint64(buckets - 1)).astype(index)
    first_in = np.full(buckets, n, dtype=index)
    np.minimum.at(first_in, bucket, np.arange(n, dtype=index))
    clash = keys[first_in[bucket]] != keys
    clashes = bool(clash.any())
    if clashes:
        bucket = bucket[~clash]
    counts = np.bincount(bucket, minlength=buckets)
    used = np.flatnonzero(counts)
    found, counted, first = keys[first_in[used]], counts[used], first_in[used]
    if clashes:
        where = np.flatnonzero(clash)
        more, at, more_counts = np.unique(keys[where], return_index=True, return_counts=True)
        found = np.concatenate((found, more))
        counted = np.concatenate((counted, more_counts))
        first = np.concatenate((first, where[at]))
    return found, counted, first


def count_days(dates: Sequence[int], base: int, ticks_per_day: int) -> Counter[int]:
    """How many of the dates fall on each day, counted from `base`."""
    days = (np.asarray(dates, dtype=np.int64) - base) // ticks_per_day
    unique, counts = np.unique(days, return_counts=True)
    return Counter({int(d): int(n) for d, n in zip(unique, counts, strict=True)})


def in_range(cols: Any, docnums: Sequence[int], start: int | None, end: int | None) -> Any:
    """The documents dated in [start, end) (None: open), in order."""
    docs = as_docs(docnums)
    published = dates_of(cols, docs)
    keep = published > 0
    if start is not None:
        keep &= published >= start
    if end is not None:
        keep &= published < end
    return docs[keep]


def by_date(cols: Any, docnums: Sequence[int], *, newest: bool) -> list[int]:
    """The documents newest (or oldest) first, ties in document order; undated ones last when
    oldest first (as the Python sort keys in engine.py order them)."""
    docs = as_docs(docnums)
    published = dates_of(cols, docs)
    if newest:
        order = np.lexsort((docs, -published))
    else:
        order = np.lexsort((docs, published, published == 0))
    ordered: list[int] = docs[order].tolist()
    return ordered


def top_scored(
    postings: Any,
    leaves: Sequence[tuple[Any, int]],
    ends: Sequence[int],
    query: Callable[[int], Any],
    more: Callable[[int], bool],
    allowed: Sequence[int],
    limit: int,
    context: Any,
) -> list[tuple[int, float]] | None:
    """Engine._scored for many allowed documents: the `limit` best by score, ties in document
    order; None when a score is not positive (see there). `query(number)` is segment
    `number`'s query; `more(number)` says whether to score segment `number` once one has been
    (the time budget)."""
    docs = as_docs(allowed)
    parts: list[Any] = []
    scores: list[Any] = []
    for number, ((searcher, offset), end) in enumerate(zip(leaves, ends, strict=True)):
        lo, hi = np.searchsorted(docs, [offset, end])
        part = docs[lo:hi]
        if not len(part):
            continue
        if parts and not more(number):
            break  # the unscored matches follow the scored ones, in order (see Engine._rank)
        local = part - offset
        parts.append(part)
        segment = query(number)
        scores.append(segment_score_array(postings, number, searcher, segment, local, context))
    if not parts:
        return []
    found, score = np.concatenate(parts), np.concatenate(scores)
    if not (score > 0).all():
        return None
    if len(found) > limit:
        # Keep every document that scores at least the limit-th best, ties included.
        least = np.partition(score, len(score) - limit)[len(score) - limit]
        keep = score >= least
        found, score = found[keep], score[keep]
    order = np.lexsort((found, -score))[:limit]
    return [(int(d), float(s)) for d, s in zip(found[order], score[order], strict=True)]


def joined(parts: Sequence[Any]) -> Any:
    """Arrays of document numbers, one after the other, as one array."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
