"""Postings grouped by field and term while a segment is written, in memory up to a limit,
then in run files: the posting pool of searchkit's segment writer (writing.py).

Whoosh's own pool queues one `(field, term, docnum, weight, value)` tuple per posting and
pickles them to sorted run files past its memory limit. This one keeps postings per field in
flat arrays with a term table; at commit a counting sort groups them by term, each term's
postings staying in document order. Past the memory limit postings are spilled to run files
already grouped by term, and merged term by term.

Memory is bounded by the limit, not by the corpus: a run file is written in chunks of about
`_RUN_CHUNK_BYTES`, the merge holds one chunk per run it reads, and when there are more runs
than the limit has room for chunks of, they are first merged in groups into fewer, longer runs
(an external merge sort with a bounded fan-in, as Lucene's and tantivy's indexers do).
"""

from __future__ import annotations

import contextlib
import heapq
import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Rough memory cost, in bytes, used to decide when to spill postings to disk.
_POSTING_BYTES = 16  # docnum, term id and weight in arrays
_TERM_BYTES = 150  # the term's bytes object, its dict slot and its id
_VALUE_BYTES = 56  # a posting value's bytes object and its list slot
_RUN_CHUNK = 4096  # terms per pickle in a run file, at most
_RUN_CHUNK_BYTES = 64 * 1024  # postings and terms per pickle in a run file, about
_CHUNK_MEMORY = 4  # a chunk read back takes about this many times its size on disk
_MIN_FAN_IN = 4  # runs merged at once, however small the limit

# (fieldname, term bytes, docnums, weights, values or None): the postings of one term.
TermPostings = tuple[str, bytes, Sequence[int], Sequence[float], Sequence[bytes] | None]


class _FieldPostings:
    """The postings of one field, in the order they were added."""

    __slots__ = ("docs", "term_ids", "terms", "values", "weights")

    def __init__(self) -> None:
        self.terms: dict[bytes, int] = {}
        self.term_ids = array("I")
        self.docs = array("I")
        self.weights = array("d")
        self.values: list[bytes | None] | None = None  # created at the first non-empty value

    def add(self, tbytes: bytes, docnum: int, weight: float, vbytes: bytes | None) -> None:
        """Add one posting."""
        terms = self.terms
        tid = terms.get(tbytes)
        if tid is None:
            tid = terms[tbytes] = len(terms)
        self.term_ids.append(tid)
        self.docs.append(docnum)
        self.weights.append(weight)
        if self.values is not None:
            self.values.append(vbytes)
        elif vbytes:
            self.values = [b""] * (len(self.docs) - 1)
            self.values.append(vbytes)

    def add_document(
        self, postings: Iterable[tuple[bytes, int, float, bytes | None]], docnum: int, boost: float
    ) -> int:
        """Add a document's postings (`field.index(value)`); return the sum of frequencies."""
        terms = self.terms
        tids = []
        weights = []
        values = []
        length = 0
        for tbytes, freq, weight, vbytes in postings:
            tid = terms.get(tbytes)
            if tid is None:
                tid = terms[tbytes] = len(terms)
            tids.append(tid)
            weights.append(weight * boost)
            values.append(vbytes)
            length += freq
        if tids:
            self.term_ids.extend(tids)
            self.docs.extend(array("I", [docnum]) * len(tids))
            self.weights.extend(weights)
            if self.values is not None:
                self.values.extend(values)
            elif any(values):
                self.values = [b""] * (len(self.docs) - len(tids))
                self.values.extend(values)
        return length

    def memory(self) -> int:
        n = len(self.docs)
        values = n * _VALUE_BYTES if self.values is not None else 0
        return n * _POSTING_BYTES + len(self.terms) * _TERM_BYTES + values

    def by_term(self, fieldname: str) -> Iterator[TermPostings]:
        """The postings grouped by term, terms in sorted order, each term's in added order."""
        terms, term_ids = self.terms, self.term_ids
        docs, weights, values = self.docs, self.weights, self.values
        # Counting sort of the postings by term id (stable).
        counts = array("I", [0]) * len(terms)
        for tid in term_ids:
            counts[tid] += 1
        starts = array("I", [0]) * len(terms)
        total = 0
        for tid, count in enumerate(counts):
            starts[tid] = total
            total += count
        order = array("I", [0]) * len(term_ids)
        fill = array("I", starts)
        for i, tid in enumerate(term_ids):
            order[fill[tid]] = i
            fill[tid] += 1
        del fill
        for tbytes, tid in sorted(terms.items()):
            start = starts[tid]
            count = counts[tid]
            if count == 1:
                i = order[start]
                yield (
                    fieldname,
                    tbytes,
                    (docs[i],),
                    (weights[i],),
                    None if values is None else (values[i],),
                )  # type: ignore[misc]
            else:
                idx = order[start : start + count]
                yield (
                    fieldname,
                    tbytes,
                    [docs[i] for i in idx],
                    [weights[i] for i in idx],
                    None if values is None else [values[i] for i in idx],  # type: ignore[misc]
                )


def _term_key(item: TermPostings) -> tuple[str, bytes]:
    return item[0], item[1]


class TermPool:
    """Postings grouped by field and term, in memory up to `limitmb`, then in run files.

    Documents must be added in increasing document number (as a segment writer does), so each
    term's postings are in document order within memory and across runs.
    """

    def __init__(self, tempstore: Any, limitmb: float = 128) -> None:
        self._tempstore = tempstore
        self._limit = limitmb * 1024 * 1024
        self._fields: dict[str, _FieldPostings] = {}
        self._runs: list[str] = []
        self._made = 0  # run files made, for their names
        self.fieldnames: set[str] = set()

    def field(self, fieldname: str) -> _FieldPostings:
        postings = self._fields.get(fieldname)
        if postings is None:
            postings = self._fields[fieldname] = _FieldPostings()
            self.fieldnames.add(fieldname)
        return postings

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's pool interface: one posting (used when merging other segments in)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        self.field(fieldname).add(tbytes, docnum, weight, vbytes)

    def check_memory(self) -> None:
        if sum(p.memory() for p in self._fields.values()) > self._limit:
            self._spill()

    def _in_memory(self) -> Iterator[TermPostings]:
        for fieldname in sorted(self._fields):
            yield from self._fields[fieldname].by_term(fieldname)

    def _spill(self) -> None:
        self._runs.append(self._write_run(self._in_memory()))
        self._fields = {}

    def _write_run(self, items: Iterable[TermPostings]) -> str:
        """Write `items` (sorted by field and term) to a new run file; returns its name."""
        name = f"{self._made}-{id(self):x}.terms"
        self._made += 1
        with self._tempstore.create_file(name).raw_file() as fh:
            chunk: list[TermPostings] = []
            size = 0
            for fieldname, tbytes, docs, weights, values in items:
                chunk.append(
                    (
                        fieldname,
                        tbytes,
                        array("I", docs),
                        array("d", weights),
                        list(values) if values is not None else None,
                    )
                )
                size += len(tbytes) + 12 * len(docs)
                if values:  # an estimate from the first: a chunk's size need not be exact
                    size += len(values[0]) * len(values)
                if len(chunk) >= _RUN_CHUNK or size >= _RUN_CHUNK_BYTES:
                    pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    chunk, size = [], 0
            if chunk:
                pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return name

    def _read_run(self, name: str) -> Iterator[TermPostings]:
        with self._tempstore.open_file(name).raw_file() as fh:
            while True:
                try:
                    chunk = pickle.load(fh)
                except EOFError:
                    break
                yield from chunk
        self._tempstore.delete_file(name)

    def fan_in(self) -> int:
        """How many runs one merge reads at once: one chunk of each fits in the limit."""
        return max(_MIN_FAN_IN, int(self._limit // (_RUN_CHUNK_BYTES * _CHUNK_MEMORY)))

    def terms(self) -> Iterator[TermPostings]:
        """Every term's postings, sorted by (field, term), each in document order."""
        if not self._runs:
            yield from self._in_memory()
            return
        if self._fields:
            self._spill()  # the merge below needs the room they take
        fan_in = self.fan_in()
        while len(self._runs) > fan_in:
            # Merge consecutive runs, so that each term's postings stay in document order.
            runs, self._runs = self._runs, []
            for start in range(0, len(runs), fan_in):
                group = runs[start : start + fan_in]
                if len(group) == 1:
                    self._runs.append(group[0])
                else:
                    self._runs.append(self._write_run(self._merged(group)))
        runs, self._runs = self._runs, []
        yield from self._merged(runs)

    def _merged(self, runs: list[str]) -> Iterator[TermPostings]:
        """The terms of `runs` (consecutive, in document order) merged term by term; each
        run file is deleted once read."""
        sources = [self._read_run(name) for name in runs]
        # heapq.merge keeps equal keys in source order, that is in document order.
        group: list[TermPostings] = []
        for item in heapq.merge(*sources, key=_term_key):
            if group and _term_key(group[0]) != _term_key(item):
                yield _concat(group)
                group = []
            group.append(item)
        if group:
            yield _concat(group)

    def cleanup(self) -> None:
        for name in self._runs:
            with contextlib.suppress(OSError):
                self._tempstore.delete_file(name)
        self._runs = []
        self._fields = {}


def _concat(group: list[TermPostings]) -> TermPostings:
    if len(group) == 1:
        return group[0]
    fieldname, tbytes = group[0][0], group[0][1]
    docs: list[int] = []
    weights: list[float] = []
    values: list[bytes] | None = None
    if any(g[4] is not None for g in group):
        values = []
    for g in group:
        docs.extend(g[2])
        weights.extend(g[3])
        if values is not None:
            values.extend(g[4] if g[4] is not None else [b""] * len(g[2]))
    return fieldname, tbytes, docs, weights, values
