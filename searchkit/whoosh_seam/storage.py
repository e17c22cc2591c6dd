"""Opening and creating a store's Whoosh index, its files read without memory maps.

Whoosh maps its segment files into memory by default. A file truncated under a mapping turns
the next read of the lost pages into SIGBUS, which kills the process (Python cannot catch it),
and a long-lived reader (a REPL, a watcher, a server) would die of an index damaged under it.
Read through ordinary file handles, the same damage is a short read. Whoosh never asks a
segment's parts (the sub-files of its compound `.seg` file) for more bytes than they hold, so
a short read there is always damage, but Whoosh takes some silently: a stored-fields record
read past the end comes back empty, a document with no id and no title. Reads of a segment's
parts therefore raise EOFError when they come back short, and the error boundary (errors.py)
turns that into an IndexDamagedError. The postings are the exception, for speed (they take
nine reads in ten of a query's): their blocks carry their own lengths, so a short one fails to
decode instead (struct, pickle or zlib errors, which the boundary translates alike). The pages
stay in the operating system's cache either way; only the process's resident memory stops
counting the whole index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh.filedb.compound import SubFile
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile

from . import FAST


class _ExactPart(SubFile):  # type: ignore[misc]
    """A part of a compound segment file whose reads return what they ask for or raise."""

    def read(self, size: int | None = None) -> bytes:
        # SubFile.read with the check, in one frame: the term table reads a few bytes at a
        # time, hundreds of times for a query that lists words (did-you-mean, prefixes).
        remaining = self._length - self._pos
        wanted = remaining if size is None else min(size, remaining)
        if wanted <= 0:
            return b""
        start = self._offset + self._pos
        self._file.seek(start)
        self._pos += wanted
        data: bytes = self._file.read(wanted)
        if len(data) < wanted:
            raise EOFError(
                f"{self._file.name}: {len(data)} bytes where {wanted} were expected at offset "
                f"{start}; the file is shorter than the index recorded"
            )
        return data


class _SegmentFile(StructFile):  # type: ignore[misc]
    """A compound segment file whose parts, but the postings, are read as _ExactPart."""

    def subset(self, offset: int, length: int, name: str | None = None) -> Any:
        name = name or self._name
        if name is not None and name.endswith(".pst"):
            return StructFile(SubFile(self.file, offset, length), name=name)
        return StructFile(_ExactPart(self.file, offset, length), name=name)


class _Storage(FileStorage):  # type: ignore[misc]
    """Whoosh's FileStorage without memory maps, its segment files opened as _SegmentFile."""

    def __init__(self, store: Path) -> None:
        super().__init__(str(store), supports_mmap=False)

    def open_file(self, name: str, **kwargs: Any) -> Any:
        if not name.endswith(".seg"):
            return super().open_file(name, **kwargs)
        return _SegmentFile(open(self._fpath(name), "rb"), name=name, **kwargs)


def _storage(store: Path) -> Any:
    return _Storage(store)


def open_index(store: Path | str) -> Any:
    """The Whoosh index in the folder `store`."""
    return _storage(Path(store)).open_index()


def create_index(store: Path | str, schema: Any) -> Any:
    """A new, empty Whoosh index in the folder `store`."""
    return _storage(Path(store)).create_index(schema)


def segment_layout(ix: Any) -> list[tuple[str, int]] | None:
    """The index's segments in the order their documents are numbered: (id, documents,
    deleted ones included). Equal first entries mean those documents kept their numbers.
    None on a Whoosh not verified for the seam (the caller reads what it needs instead)."""
    if not FAST:
        return None
    return [(seg.segment_id(), int(seg.doc_count_all())) for seg in ix._segments()]
