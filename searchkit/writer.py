"""A Whoosh segment writer that builds segments faster; the index reads back the same.

Whoosh's SegmentWriter spends most of a full build on machinery around the postings: it queues
one `(field, term, docnum, weight, value)` tuple per posting, pickles them to sorted run files
past its memory limit and merges them back at commit, looks up each posting's field length with
a seek and a read, and writes each term through several layers of calls. This writer:

* keeps postings per field in flat arrays with a term table (TermPool); at commit a counting
  sort groups them by term, each term's postings staying in document order. Past the memory
  limit postings are spilled to run files already grouped by term, merged term by term;
* writes a term whose postings fit in one block (most terms: ids, paths, dates, rare words) in
  one pass with the bytes Whoosh's W3 codec writes, except that a block whose pickle is under
  _COMPRESS_MIN bytes is stored uncompressed (zlib makes small blocks longer; every block
  records whether it is compressed, and Whoosh reads both); longer terms go through
  Whoosh's own postings writer, filled a block at a time;
* analyses field values with fast_index(): the same tokens, stems and positions as the
  schema's analyzers, computed per distinct token rather than token by token through a chain of
  generators; and memoises repeated values (topics, providers).

Documents, stored fields, columns, lengths, terms and postings are the same as Whoosh's own
writer makes; only the encoding of small blocks differs (uncompressed, and a position value
shared between postings is pickled once). Schemas with features this writer does not handle
(separate spelling fields, term vectors) go through Whoosh's own code paths.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import pickle
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    IDTokenizer,
    LowercaseFilter,
    PyStemmerFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    SubstitutionFilter,
)
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.fields import DATETIME, FieldType
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Existence, Positions
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte, to_sortable
from whoosh.writing import PostingPool, SegmentWriter

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
_HEADER_MAGIC = WHOOSH3_HEADER_MAGIC
_TERMINFO = W3TermInfo._struct

# Rough memory cost, in bytes, used to decide when to spill postings to disk.
_POSTING_BYTES = 16  # docnum, term id and weight in arrays
_TERM_BYTES = 150  # the term's bytes object, its dict slot and its id
_VALUE_BYTES = 56  # a posting value's bytes object and its list slot
_RUN_CHUNK = 4096  # terms per pickle in a run file

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
        name = f"{len(self._runs)}-{id(self):x}.terms"
        with self._tempstore.create_file(name).raw_file() as fh:
            chunk: list[TermPostings] = []
            for fieldname, tbytes, docs, weights, values in self._in_memory():
                chunk.append(
                    (
                        fieldname,
                        tbytes,
                        array("I", docs),
                        array("d", weights),
                        list(values) if values is not None else None,
                    )
                )
                if len(chunk) >= _RUN_CHUNK:
                    pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    chunk = []
            if chunk:
                pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._runs.append(name)
        self._fields = {}

    def _read_run(self, name: str) -> Iterator[TermPostings]:
        with self._tempstore.open_file(name).raw_file() as fh:
            while True:
                try:
                    chunk = pickle.load(fh)
                except EOFError:
                    break
                yield from chunk
        self._tempstore.delete_file(name)

    def terms(self) -> Iterator[TermPostings]:
        """Every term's postings, sorted by (field, term), each in document order."""
        if not self._runs:
            yield from self._in_memory()
            return
        sources = [self._read_run(name) for name in self._runs]
        sources.append(self._in_memory())
        self._runs = []
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


# --- analysis ------------------------------------------------------------------------------
#
# Whoosh analyses a value through a chain of generators, one Token object passing through every
# filter, token by token. For the chains the schema uses (a regex or ID tokenizer, then
# lowercase, charset, substitution, stop and stem filters, into a Positions or Existence format)
# fast_index() computes the same postings, reading each filter's own settings: every one of
# these filters acts on one token at a time, so what becomes of a token text is worked out once
# and remembered. Any other tokenizer, filter, field type or format goes through field.index()
# unchanged, and a self-check at set-up compares both on sample text.

Postings = tuple[tuple[bytes, int, float, bytes], ...]

_SELF_CHECK = (
    "",
    "The Cat's 3 cats ran; the U.S. isn’t Émile's — café, 1.5% o'clock a I x",
    "Trump’s ‘America First’ haves: stopping, banned, running... ran\tRAN run",
    "Line one\nLine Two\n\nhttps://www.huffpost.com/entry/a-b_n_1?x=1#frag\n",
    "naïve Zoë, São Paulo, Ærø; 東京 😀 x1 a.b.c don't it's",
)


_MEMO_LIMIT = 500_000  # distinct raw tokens remembered per analyzer


def _token_steps(items: Sequence[Any]) -> list[tuple[str, Any]] | None:
    """The filters after the tokenizer as steps: ("map", str -> str) or ("stop", test) where
    test(text) is True for a token the filter removes. None if a filter is not known here."""
    steps: list[tuple[str, Any]] = []
    for item in items:
        kind = type(item)
        if kind is LowercaseFilter:
            steps.append(("map", str.lower))
        elif kind is CharsetFilter:
            steps.append(("map", lambda t, charmap=item.charmap: t.translate(charmap)))
        elif kind is SubstitutionFilter:
            steps.append(("map", lambda t, f=item.pattern.sub, r=item.replacement: f(r, t)))
        elif kind is StopFilter:
            stops, minsize, maxsize = item.stops, item.min, item.max
            steps.append(
                (
                    "stop",
                    lambda t, stops=stops, lo=minsize, hi=maxsize: (
                        len(t) < lo or (hi is not None and len(t) > hi) or t in stops
                    ),
                )
            )
        elif kind is StemFilter or kind is PyStemmerFilter:
            stem, ignore = item._stem, item.ignore
            steps.append(("map", lambda t, stem=stem, ignore=ignore: t if t in ignore else stem(t)))
        else:
            return None
    return steps


TokenMemos = dict[int, dict[str, tuple[str, int]]]


def fast_index(field: Any, memos: TokenMemos | None = None) -> Callable[[Any], Postings] | None:
    """A function equal to `tuple(field.index(value))` (up to the order of the terms) for
    text values, when the field's analyzer and format are ones this module knows; else None.

    Every filter known here acts on one token at a time, so the outcome for a token text (its
    final text, or which stop filter removes it) is computed once and remembered; positions
    are then renumbered the way each StopFilter does it. Fields that share an analyzer object
    share what is remembered when given the same `memos` (keyed by the analyzer's id; the
    caller keeps the analyzers alive): stemming is the costliest step, and title, excerpt
    and body repeat each other's words."""
    if type(field).index is not FieldType.index:
        return None
    fmt = field.format
    if type(fmt) not in (Positions, Existence):
        return None
    analyzer = field.analyzer
    boost = fmt.field_boost
    if type(analyzer) is IDTokenizer and type(fmt) is Existence:
        # The whole value is the one term (ID fields: ids, paths, kinds).
        def whole(value: Any) -> Postings:
            if type(value) is not str:
                return tuple(field.index(value))
            return ((value.encode("utf-8"), 1, boost, b""),)

        return whole if all(whole(v) == tuple(field.index(v)) for v in _SELF_CHECK) else None
    items = list(analyzer.items) if type(analyzer) is CompositeAnalyzer else [analyzer]
    tokenizer = items[0]
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        return None
    steps = _token_steps(items[1:])
    if steps is None:
        return None
    renumbers = [item.renumber for item in items[1:] if type(item) is StopFilter]
    expression = tokenizer.expression
    split: Callable[[str], list[str]] = (
        expression.findall
        if not expression.groups
        else lambda value: [m.group(0) for m in expression.finditer(value)]
    )
    memo = {} if memos is None else memos.setdefault(id(analyzer), {})

    def outcome(text: str) -> tuple[str, int]:
        """(final text, -1), or (text, k) when the k-th stop filter removes the token."""
        k = 0
        for step, fn in steps:
            if step == "map":
                text = fn(text)
            elif fn(text):
                return text, k
            else:
                k += 1
        return text, -1

    def tokens(value: str) -> list[tuple[int, str, int]]:
        found = []
        for pos, raw in enumerate(split(value)):
            result = memo.get(raw)
            if result is None:
                result = outcome(raw)
                if len(memo) < _MEMO_LIMIT:
                    memo[raw] = result
            found.append((pos, *result))
        for k, renumber in enumerate(renumbers):
            found = [token for token in found if token[2] != k]
            if renumber and found:
                # The first token left keeps its position; the others follow it.
                first = found[0][0]
                found = [(first + i, text, r) for i, (_p, text, r) in enumerate(found)]
        return found

    if type(fmt) is Positions:
        encode = fmt.encode
        # Most words occur once in a field: their encoded position is shared (pickling a
        # postings block then refers to it instead of repeating it; it reads back the same).
        single: dict[int, bytes] = {}

        def encode_once(plist: list[int]) -> bytes:
            if len(plist) > 1:
                return encode(plist)  # type: ignore[no-any-return]
            found = single.get(plist[0])
            if found is None:
                found = single[plist[0]] = encode(plist)
            return found

        def positions(value: Any) -> Postings:
            if type(value) is not str:
                return tuple(field.index(value))
            poses: dict[str, list[int]] = {}
            for pos, text, _r in tokens(value):
                found = poses.get(text)
                if found is None:
                    poses[text] = [pos]
                else:
                    found.append(pos)
            return tuple(
                (text.encode("utf-8"), len(plist), float(len(plist)) * boost, encode_once(plist))
                for text, plist in poses.items()
            )

        index = positions
    else:

        def existence(value: Any) -> Postings:
            if type(value) is not str:
                return tuple(field.index(value))
            texts = dict.fromkeys(text for _p, text, _r in tokens(value))
            return tuple((text.encode("utf-8"), 1, boost, b"") for text in texts)

        index = existence
    for sample in _SELF_CHECK:
        if sorted(index(sample)) != sorted(field.index(sample)):
            return None
    return index


def _fast_datetime(field: Any) -> Callable[[Any], Postings] | None:
    """`tuple(field.index(value))` for a DATETIME field and a datetime value, converting the
    value once instead of once per precision tier."""
    if type(field) is not DATETIME or not field.shift_step:
        return None
    shifts = range(0, field.bits, field.shift_step)
    numtype, bits, signed = field.numtype, field.bits, field.signed

    def index(value: Any) -> Postings:
        if type(value) is not datetime:
            return tuple(field.index(value))
        x = to_sortable(numtype, bits, signed, field.prepare_number(field.prepare_datetime(value)))
        return tuple((field.sortable_to_bytes(x, shift), 1, 1.0, b"") for shift in shifts)

    if index(_SELF_CHECK_DATE) != tuple(field.index(_SELF_CHECK_DATE)):
        return None
    return index


_SELF_CHECK_DATE = datetime(2021, 5, 3, 18, 50, 7, 123456)


class Analysis:
    """`field.index(value)` for one field: through fast_index() when it applies, and memoised
    for repeated values (topics, providers, kinds); a field whose values rarely repeat
    (titles, ids) stops being memoised after a trial."""

    TRIAL = 2000
    MIN_HIT_RATE = 0.5
    MAX_ENTRIES = 50_000

    def __init__(self, field: Any, memos: TokenMemos | None = None) -> None:
        self._field = field
        self._index = fast_index(field, memos) or _fast_datetime(field) or self._whoosh_index
        self.entries: dict[Any, Postings] = {}  # value (or (type, value)) -> postings
        self.lookups = 0
        self.hits = 0
        self.memoise = True

    def _whoosh_index(self, value: Any) -> Postings:
        return tuple(self._field.index(value))

    def __call__(self, value: Any) -> Postings:
        if not self.memoise:
            return self._index(value)
        self.lookups += 1
        key = value if type(value) is str else (type(value), value)
        try:
            found = self.entries.get(key)
        except TypeError:  # unhashable (a list of values)
            return self._index(value)
        if found is not None:
            self.hits += 1
            return found
        if self.lookups >= self.TRIAL and self.hits < self.lookups * self.MIN_HIT_RATE:
            self.memoise = False
            self.entries = {}
            return self._index(value)
        postings = self._index(value)
        if len(self.entries) < self.MAX_ENTRIES:
            self.entries[key] = postings
        return postings


def _field_lengths(reader: Any, fieldname: str) -> Sequence[int]:
    """Every document's length of `fieldname`, as the per-document reader reports it."""
    column = _lenfield(fieldname)
    if not reader.has_column(column):
        return ()
    creader = reader.column_reader(column, LENGTHS_COLUMN)
    table = _BYTE_TO_LENGTH
    return [table[creader[i]] for i in range(len(creader))]


class FastSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """SegmentWriter with a faster posting pool and commit; see the module docstring."""

    def __init__(
        self, ix: Any, limitmb: float = 128, *, tempname: str | None = None, **kwargs: Any
    ) -> None:
        """`tempname` names the folder for spilled postings when another writer works on the
        same index at the same time (Whoosh's default name would be shared)."""
        super().__init__(ix, limitmb=limitmb, **kwargs)
        if tempname is not None:
            self._tempstorage = self.storage.temp_storage(tempname)
        schema = self.schema
        self._fast = not any(
            schema[name].separate_spelling() or schema[name].vector for name in schema.names()
        )
        self._analyses: dict[str, Analysis] = {}
        self._token_memos: TokenMemos = {}  # shared by the fields' Analysis objects
        if self._fast:
            self.pool = TermPool(self._tempstorage, limitmb)
        elif tempname is not None:
            self.pool = PostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def add_document(self, **fields: Any) -> None:
        if not self._fast:
            super().add_document(**fields)
            return
        # Whoosh's SegmentWriter.add_document, with the postings going to the TermPool.
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        boosted = any(name.startswith("_") for name in fields)
        docboost = self._doc_boost(fields) if boosted else 1.0
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost) if boosted else 1.0
                    length = pool.field(fieldname).add_document(
                        self._analyse(fieldname, field, value), docnum, fieldboost
                    )
                    if not field.scorable:
                        length = 0
                customval = fields.get(f"_stored_{fieldname}", value) if boosted else value
                perdocwriter.add_field(
                    fieldname, field, customval if field.stored else None, length
                )
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            # Postings already pooled for this document stay, as with Whoosh's own writer.
            raise

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        if not docnum % 32:
            pool.check_memory()

    def _analyse(self, fieldname: str, field: Any, value: Any) -> Postings:
        """`tuple(field.index(value))`, through this field's Analysis."""
        analysis = self._analyses.get(fieldname)
        if analysis is None:
            analysis = self._analyses[fieldname] = Analysis(field, self._token_memos)
        return analysis(value)

    def _flush_segment(self) -> None:
        if not self._fast:
            self._flush_with_cached_lengths()
            return
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        try:
            _write_terms(self.fieldwriter, self.schema, pdr, self.pool.terms())
        finally:
            if pdr is not None:
                pdr.close()
        self.fieldwriter.close()

    def _flush_with_cached_lengths(self) -> None:
        # Whoosh's _flush_segment, with the field lengths read once per field.
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(pdr) if pdr is not None else None
        # Only reached with Whoosh's own posting pool (schemas this writer does not handle).
        postings = self.pool.iter_postings()  # type: ignore[attr-defined]
        self.fieldwriter.add_postings(self.schema, lengths, postings)
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


class _Lengths:
    """doc_field_length from lists loaded once per field (for FieldWriter.add_postings)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lengths: dict[str, Sequence[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._lengths[fieldname] = _field_lengths(self._reader, fieldname)
        return (lengths[docnum] or default) if docnum < len(lengths) else default


def _write_terms(
    fieldwriter: Any, schema: Any, lengths_reader: Any, items: Iterable[TermPostings]
) -> None:
    """What FieldWriter.add_postings does, one term at a time instead of one posting."""
    lastfn = None
    lengths: Sequence[int] = ()
    add = fieldwriter.add
    single: _SingleBlockWriter | None = None
    for fieldname, tbytes, docs, weights, values in items:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lengths = (
                _field_lengths(lengths_reader, fieldname) if lengths_reader is not None else ()
            )
            single = _SingleBlockWriter.for_field(fieldwriter, lengths)
            lastfn = fieldname
        if single is not None and len(docs) <= single.blocklimit:
            single.write(tbytes, docs, weights, values)
            continue
        fieldwriter.start_term(tbytes)
        postwriter = getattr(fieldwriter, "_postwriter", None)
        if (
            postwriter is not None
            and type(postwriter) is W3PostingsWriter
            and not postwriter._byteids
        ):
            _fill_blocks(postwriter, docs, weights, values, lengths)
        else:
            nlengths = len(lengths)
            for i, docnum in enumerate(docs):
                length = lengths[docnum] if docnum < nlengths else 0
                add(docnum, weights[i], (values[i] if values is not None else None) or b"", length)
        fieldwriter.finish_term()
    if lastfn is not None:
        fieldwriter.finish_field()


# A block whose pickle is shorter than this is stored uncompressed: zlib makes such small
# blocks longer, not shorter (each block records whether it is compressed).
_COMPRESS_MIN = 96


_FLOAT32: dict[float, float] = {}


def _float32(value: float) -> float:
    """`value` rounded to a 32-bit float, as array("f") stores it."""
    found = _FLOAT32.get(value)
    if found is None:
        found = array("f", (value,))[0]
        if len(_FLOAT32) < 4096:
            _FLOAT32[value] = found
    return found


_LENGTH_BYTE: dict[int | None, int] = {}


def _length_byte(length: int | None) -> int:
    """length_to_byte(length), remembered (lengths repeat, and it bisects a table)."""
    found = _LENGTH_BYTE.get(length)
    if found is None:
        found = _LENGTH_BYTE[length] = length_to_byte(length)
    return found


class _SingleBlockWriter:
    """Writes a term whose postings fit in one block, as W3FieldWriter's start_term(), add()
    and finish_term() would, in one pass: most terms of a news index (ids, paths, dates, rare
    words) have a single posting, and the generic path costs many calls per term. The bytes
    are the same except that small blocks are not compressed (see _COMPRESS_MIN)."""

    def __init__(self, fieldwriter: Any, lengths: Sequence[int]) -> None:
        codec = fieldwriter._codec
        self.blocklimit: int = codec._blocklimit
        self._compression: int = codec._compression
        self._fixedsize = fieldwriter._format.fixed_value_size()
        self._prefix = pack_ushort(fieldwriter._fieldid)
        self._rawfile = fieldwriter._postfile.file
        self._tindex = fieldwriter._tindex
        self._tindex_rawfile = fieldwriter._tindex.dbfile.file
        self._lengths = lengths

    @classmethod
    def for_field(cls, fieldwriter: Any, lengths: Sequence[int]) -> _SingleBlockWriter | None:
        """The writer for the field just started, if the codec is the one this replicates."""
        if (
            type(fieldwriter) is not W3FieldWriter
            or type(fieldwriter._codec) is not W3Codec
            or fieldwriter._codec._inlinelimit > 1
            or type(fieldwriter._postfile) is not StructFile
            or type(fieldwriter._postwriter) is not W3PostingsWriter
            or type(fieldwriter._tindex) is not OrderedHashWriter
            or fieldwriter._tindex.hashfn is not md5_hash
            or type(fieldwriter._tindex.dbfile) is not StructFile
        ):
            return None
        return cls(fieldwriter, lengths)

    def write(
        self,
        tbytes: bytes,
        docs: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes] | None,
    ) -> None:
        if len(docs) == 1:
            self._write_one(tbytes, docs[0], weights[0], (values[0] if values else None) or b"")
            return
        # W3PostingsWriter.add_posting(): block statistics.
        lengths = self._lengths
        nlengths = len(lengths)
        minlength = None
        maxlength = 0
        for docnum in docs:
            length = lengths[docnum] if docnum < nlengths else 0
            if length:
                if minlength is None or length < minlength:
                    minlength = length
                if length > maxlength:
                    maxlength = length
        maxweight: float = 0
        for weight in weights:
            if weight > maxweight:
                maxweight = weight
        weights32 = array("f", weights)
        # _write_block(last=True): _mini_ids(), _mini_weights(), _mini_values().
        first = docs[0]
        last = docs[-1]
        ids = tuple(b - a for a, b in zip((0, *docs), docs, strict=False))
        if all(w == 1.0 for w in weights32):
            mini_weights: Any = None
        elif all(w == weights32[0] for w in weights32):
            mini_weights = weights32[0]
        else:
            mini_weights = tuple(weights32)
        fixedsize = self._fixedsize
        kept = [v for v in values if v] if values is not None else []
        if fixedsize is None or fixedsize < 0:
            mini_values: Any = tuple(kept)
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = b"".join(kept)
        self._write_block(
            tbytes,
            pickle.dumps((ids, mini_weights, mini_values), 2),
            len(docs),
            first,
            last,
            maxweight,
            0 + sum(weights32),
            minlength,
            maxlength,
        )

    def _write_one(self, tbytes: bytes, docnum: int, weight: float, value: bytes) -> None:
        """write() for a term with one posting (ids, paths, dates, rare words: most terms)."""
        lengths = self._lengths
        length = lengths[docnum] if docnum < len(lengths) else 0
        weight32 = _float32(weight)
        fixedsize = self._fixedsize
        if fixedsize is None or fixedsize < 0:
            mini_values: Any = (value,) if value else ()
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = value
        databytes = pickle.dumps(((docnum,), None if weight32 == 1.0 else weight32, mini_values), 2)
        self._write_block(
            tbytes,
            databytes,
            1,
            docnum,
            docnum,
            weight if weight > 0 else 0,
            0 + weight32,
            length or None,
            length,
        )

    def _write_block(
        self,
        tbytes: bytes,
        databytes: bytes,
        count: int,
        first: int,
        last: int,
        maxweight: float,
        totalweight: float,
        minlength: int | None,
        maxlength: int,
    ) -> None:
        """The block of a term (its postings pickled in `databytes`) and its term info."""
        comp = self._compression if len(databytes) >= _COMPRESS_MIN else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        minbyte = _length_byte(minlength)
        maxbyte = _length_byte(maxlength)
        infobytes = pickle.dumps((count, last, maxweight, comp, minbyte, maxbyte), 2)
        block = _HEADER_MAGIC + pack_int(-(len(infobytes) + len(databytes))) + infobytes + databytes
        rawfile = self._rawfile
        offset = rawfile.tell()
        rawfile.write(block)
        # W3TermInfo.add_block() and to_bytes().
        terminfo = _TERMINFO.pack(
            False, totalweight, count, minbyte, maxbyte, maxweight, first, last
        )
        self._add_term(self._prefix + tbytes, terminfo + pack_long(offset) + pack_int(len(block)))

    def _add_term(self, key: bytes, value: bytes) -> None:
        """OrderedHashWriter.add(key, value) for its MD5 hash, in one write."""
        tindex = self._tindex
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        rawfile = self._tindex_rawfile
        pos = rawfile.tell()
        tindex.index.append(pos)
        rawfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        # md5_hash(): the low 32 bits of the digest read as a big-endian number.
        h = int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[12:], "big")
        tindex.buckets[h & 255].append((h, pos))
        tindex.lastkey = key


def _fill_blocks(
    postwriter: W3PostingsWriter,
    docs: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes] | None,
    lengths: Sequence[int],
) -> None:
    """Put a term's postings into a W3PostingsWriter block by block, leaving the last block
    for finish_postings: the state add_posting() would leave, without a call per posting."""
    limit = postwriter._blocklimit
    n = len(docs)
    nlengths = len(lengths)
    for start in range(0, n, limit):
        if start:
            postwriter._write_block()
        end = min(start + limit, n)
        block_docs = docs[start:end]
        block_weights = weights[start:end]
        postwriter._ids = array("I", block_docs)
        postwriter._weights = array("f", block_weights)
        postwriter._values = [] if values is None else [v for v in values[start:end] if v]
        block_lengths = [
            length for length in (lengths[d] if d < nlengths else 0 for d in block_docs) if length
        ]
        postwriter._minlength = min(block_lengths) if block_lengths else None
        postwriter._maxlength = max(block_lengths) if block_lengths else 0
        maxweight = max(block_weights)
        postwriter._maxweight = maxweight if maxweight > 0 else 0
