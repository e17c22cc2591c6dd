"""The facet keys of every document of one index generation, as compact arrays.

Each document holds four numbers in Whoosh columns, written at index time (records.py): its
kind (1 article, 2 related), a 64-bit key of its provider's name, a 64-bit key of its set of
topics, and its date (a Whoosh long). A searcher reads each column whole, at first use, as an
array of fixed-width numbers (about 25 bytes a document), so counting facets over a match set
is arithmetic on arrays, not a Python object per document. Names are looked up only for the keys
a count shows, from the value columns (`provider`, `topic`) of one document that holds the key,
and remembered for the searcher's life.

Columns are read per segment: Whoosh's multi-segment column reader skips segments that lack a
column (all their documents undated, say), which would shift every later document's values.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from ..records import KIND_CODES, VALUE_SEPARATOR
from ..whoosh_seam.columns import column_reader, number_column

KIND_NAMES = {code: kind for kind, code in KIND_CODES.items()}
MISSING_DATE = 2**63  # Whoosh marks a document without a date with the column's maximum


class FacetColumns:
    """Facet keys of every document (by document number) of one Whoosh reader."""

    def __init__(self, reader: Any) -> None:
        self.size: int = reader.doc_count_all()
        self._segments: list[tuple[Any, int, int]] = []  # (segment reader, offset, count)
        for segment, offset in reader.leaf_readers():
            self._segments.append((segment, offset, segment.doc_count_all()))
        self._offsets = [offset for _, offset, _ in self._segments]
        self._arrays: dict[str, array[int]] = {}
        self._providers: dict[int, str] = {0: ""}
        self._topic_sets: dict[int, tuple[str, ...]] = {0: ()}
        self._readers: dict[tuple[int, str], Any] = {}  # (segment, column) -> its reader

    def _column(self, name: str, typecode: str, default: int) -> array[int]:
        found = self._arrays.get(name)
        if found is None:
            found = array(typecode)
            for segment, _offset, count in self._segments:
                reader = column_reader(segment, name)
                if reader is None:
                    found.extend(array(typecode, [default]) * count)
                else:
                    found.extend(number_column(reader, typecode, count))
            self._arrays[name] = found
        return found

    @property
    def kinds(self) -> array[int]:
        return self._column("kind_code", "B", 0)

    @property
    def providers(self) -> array[int]:
        return self._column("provider_key", "Q", 0)

    @property
    def topic_sets(self) -> array[int]:
        return self._column("topics_key", "Q", 0)

    @property
    def dates(self) -> array[int]:
        """Whoosh longs; MISSING_DATE or more for an undated document (see published())."""
        return self._column("published", "Q", MISSING_DATE)

    def published(self, docnum: int) -> int:
        """The document's date as a Whoosh long, 0 when it has none."""
        value = self.dates[docnum]
        return value if value < MISSING_DATE else 0

    def all_published(self) -> array[int]:
        """Every document's date as a Whoosh long (0 for none), by document number."""
        found = self._arrays.get("published-or-0")
        if found is None:
            found = array("q", [v if v < MISSING_DATE else 0 for v in self.dates])
            self._arrays["published-or-0"] = found
        return found

    def date_span(self) -> tuple[int, int] | None:
        """The first and last dates (Whoosh longs) of the documents not deleted; None when
        none is dated. Read from the dates column, not by searching every document."""
        import numpy as np

        dates = np.frombuffer(self.dates, dtype=np.uint64)
        keep = dates < np.uint64(MISSING_DATE)
        for segment, offset, _count in self._segments:
            if segment.has_deletions():
                gone = np.fromiter(segment.deleted_docs_set, dtype=np.int64)
                keep[gone + offset] = False
        if not keep.any():
            return None
        live = dates[keep]
        return int(live.min()), int(live.max())

    # --- names of keys --------------------------------------------------------------------

    def _value(self, column: str, docnum: int) -> str:
        i = bisect_right(self._offsets, docnum) - 1
        segment, offset, _count = self._segments[i]
        # Made once per segment and column: making one reads the column's offsets whole.
        key = (i, column)
        if key not in self._readers:
            self._readers[key] = column_reader(segment, column)
        reader = self._readers[key]
        if reader is None:
            return ""
        raw = reader[docnum - offset]
        return raw.decode("utf-8") if isinstance(raw, bytes) else (raw or "")

    def provider(self, key: int, docnum: int) -> str:
        """The provider name of key `key`, held by document `docnum`."""
        name = self._providers.get(key)
        if name is None:
            name = self._providers[key] = self._value("provider", docnum)
        return name

    def topics(self, key: int, docnum: int) -> tuple[str, ...]:
        """The topics of key `key`, held by document `docnum`."""
        found = self._topic_sets.get(key)
        if found is None:
            text = self._value("topic", docnum)
            found = tuple(t for t in text.split(VALUE_SEPARATOR) if t)
            self._topic_sets[key] = found
        return found

    # --- live documents -------------------------------------------------------------------

    def live(self, *, arrays: bool = False) -> Sequence[int]:
        """Every document number not deleted, in order: a list, or a numpy array (`arrays`,
        for a large index: a list of a million numbers takes a quarter of a second)."""
        if arrays:
            import numpy as np

            keep = np.ones(self.size, dtype=bool)
            for segment, offset, _count in self._segments:
                if segment.has_deletions():
                    keep[np.fromiter(segment.deleted_docs_set, dtype=np.int64) + offset] = False
            found: Sequence[int] = np.flatnonzero(keep)  # type: ignore[assignment]
            return found
        out: list[int] = []
        for segment, offset, count in self._segments:
            deleted = segment.deleted_docs_set if segment.has_deletions() else ()
            out.extend(offset + d for d in range(count) if d not in deleted)
        return out
