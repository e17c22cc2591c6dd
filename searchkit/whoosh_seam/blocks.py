"""Writing a segment's terms and postings blocks in Whoosh's W3 codec format.

Whoosh's FieldWriter writes each posting through several layers of calls. Here a term whose
postings fit in one block (most terms of a news index: ids, paths, dates, rare words) is
written in one pass with the bytes Whoosh's W3 codec writes, except that a block whose pickle
is under _COMPRESS_MIN bytes is stored uncompressed (zlib makes small blocks longer; every
block records whether it is compressed, and Whoosh reads both). Longer terms go through
Whoosh's own postings writer, filled a block at a time. Field lengths are read once per field.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from .pool import TermPostings

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
_HEADER_MAGIC = WHOOSH3_HEADER_MAGIC
_TERMINFO = W3TermInfo._struct


def field_lengths(reader: Any, fieldname: str) -> Sequence[int]:
    """Every document's length of `fieldname`, as the per-document reader reports it."""
    column = _lenfield(fieldname)
    if not reader.has_column(column):
        return ()
    creader = reader.column_reader(column, LENGTHS_COLUMN)
    table = _BYTE_TO_LENGTH
    return [table[creader[i]] for i in range(len(creader))]


class CachedLengths:
    """doc_field_length from lists loaded once per field (for FieldWriter.add_postings)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lengths: dict[str, Sequence[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._lengths[fieldname] = field_lengths(self._reader, fieldname)
        return (lengths[docnum] or default) if docnum < len(lengths) else default


def write_terms(
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
            lengths = field_lengths(lengths_reader, fieldname) if lengths_reader is not None else ()
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
        buckets = self._tindex.buckets
        if buckets and type(buckets[0]) is not _HashBucket:
            self._tindex.buckets = [_HashBucket(entries) for entries in buckets]

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
        tindex.buckets[h & 255].add(h, pos)
        tindex.lastkey = key


class _HashBucket:
    """One of the 256 buckets of (hash, position) pairs a term table keeps until it is closed,
    in two arrays (12 bytes a term) instead of a list of tuples (about 120): the term table of
    a large segment has millions of terms. Whoosh's writer appends pairs and iterates them."""

    __slots__ = ("hashes", "positions")

    def __init__(self, entries: Iterable[tuple[int, int]] = ()) -> None:
        self.hashes = array("I")
        self.positions = array("Q")
        for h, pos in entries:
            self.add(h, pos)

    def add(self, h: int, pos: int) -> None:
        self.hashes.append(h)
        self.positions.append(pos)

    def append(self, entry: tuple[int, int]) -> None:
        self.add(*entry)

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.hashes, self.positions, strict=True)


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
