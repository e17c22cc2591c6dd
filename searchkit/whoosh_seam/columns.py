"""Whole columns of per-document values (kind, topics, provider, date), read at once.

Whoosh reads a column one document at a time, each read a seek and a small decode. The two
kinds of column searchkit's facets use are laid out simply on disk (variable-length bytes with
an offsets and lengths table; fixed-width numbers), so the fast path slices them out of the
file's bytes in one go. The public path asks the column reader for every value in turn.
"""

from __future__ import annotations

from array import array
from typing import Any

from . import FAST


def column_reader(segment_reader: Any, name: str) -> Any | None:
    """The raw (untranslated) reader of column `name` in one segment, or None when the segment
    has no such column (every document in it lacks the value)."""
    if not segment_reader.has_column(name):
        return None
    return segment_reader.column_reader(name, translate=False)


def column_values(reader: Any) -> list[Any]:
    """Every value of a column reader, document by document."""
    if FAST:
        found = _fast_values(reader)
        if found is not None:
            return found
    return list(reader)


def _fast_values(reader: Any) -> list[Any] | None:
    from whoosh.columns import NumericColumn, VarBytesColumn

    if type(reader) is VarBytesColumn.Reader:
        lengths, offsets = reader._lengths, reader._offsets
        if not len(lengths):
            return []
        data = reader._dbfile.get(reader._basepos, offsets[-1] + lengths[-1])
        return [data[o : o + n] for o, n in zip(offsets, lengths, strict=True)]
    if type(reader) is NumericColumn.Reader and not reader._reverse:
        values = reader._dbfile.get_array(reader._basepos, reader._typecode, reader._count)
        return [*values, *[reader._default] * (reader._doccount - reader._count)]
    return None


def number_column(reader: Any, typecode: str, count: int) -> array[int]:
    """Every value of a number column (Whoosh's NumericColumn) of `count` documents, as an
    array of `typecode`."""
    if FAST:
        from whoosh.columns import NumericColumn

        if type(reader) is NumericColumn.Reader and not reader._reverse:
            values = reader._dbfile.get_array(reader._basepos, reader._typecode, reader._count)
            if values.typecode != typecode:
                values = array(typecode, values)
            missing = count - len(values)
            if missing > 0:
                values.extend(array(typecode, [reader._default]) * missing)
            return values  # type: ignore[no-any-return]
    return array(typecode, (reader[i] for i in range(count)))
