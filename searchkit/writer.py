"""A Whoosh segment writer whose commit reads document lengths from memory.

Whoosh's commit asks for a document's field length once per posting, through a seek and read
on the per-document file: about a third of the commit time on the news corpus. Loading each
field's lengths once gives Whoosh the same numbers much faster; the index written is the same.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]


class _CachedLengths:
    """Wraps a per-document reader; answers doc_field_length from a list per field."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lengths: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._lengths[fieldname] = self._load(fieldname, default)
        return lengths[docnum] if docnum < len(lengths) else default

    def _load(self, fieldname: str, default: int) -> list[int]:
        column = _lenfield(fieldname)
        if not self._reader.has_column(column):
            return []
        creader = self._reader.column_reader(column, LENGTHS_COLUMN)
        return [
            _BYTE_TO_LENGTH[b] if b else default for b in (creader[i] for i in range(len(creader)))
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    def close(self) -> None:
        self._reader.close()


class FastSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """SegmentWriter with a faster commit; see the module docstring."""

    def per_document_reader(self) -> Any:
        return _CachedLengths(super().per_document_reader())
