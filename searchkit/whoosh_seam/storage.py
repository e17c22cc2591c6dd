"""Opening and creating a store's Whoosh index, its files read without memory maps.

Whoosh maps its segment files into memory by default. A file truncated under a mapping turns
the next read of the lost pages into SIGBUS, which kills the process (Python cannot catch it),
and a long-lived reader (a REPL, a watcher, a server) would die of an index damaged under it.
Read through ordinary file handles, the same damage is a short read, which the error boundary
(errors.py) turns into an IndexCorruptError. The pages stay in the operating system's cache
either way; only the process's resident memory stops counting the whole index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage

from . import FAST


def _storage(store: Path) -> Any:
    return FileStorage(str(store), supports_mmap=False)


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
