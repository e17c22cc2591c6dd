"""What a build process keeps of each seed it read: a few fixed-size fields in arrays, not the
seed, and the related entries it may need later in a file on disk.

A full build of a million seeds cannot keep a million parsed seeds (with their related
entries) in memory until it knows which entries become stubs. Each process keeps, per seed,
its file's number in the build's file table, its content hash, the 128-bit key of its
identity, its set of topics (as a number into a small table), the number of its article in
the process's segment, and whether it parsed; per related entry, the seed's row and the
128-bit key of the entry's document id. The entry itself is written to the process's spill
file the first time the process meets its key (the process reads its seeds in path order,
so that is its first citer), and found again there by offset when it becomes a stub.
Everything travels between processes as bytes.
"""

from __future__ import annotations

import hashlib
import pickle
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents import RelatedEntry

KEY_BYTES = 16  # blake2b-128: two documents' ids never share a key in practice
DIGEST_BYTES = 12  # a seed file's content hash (loader.digest_bytes, as raw bytes)

OK, INVALID, FAILED = 0, 1, 2  # what became of a seed: parsed, not valid, not readable
NO_DOCUMENT = -1  # the docnum of a seed whose article this process did not index
NO_ENTRY = -1  # the spill offset of a citation whose entry another citation holds


def key_of(text: str) -> bytes:
    """The 128-bit key of a document id (an identity, a related entry's key)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES).digest()


@dataclass
class Rows:
    """The seeds one process read, row by row, and the entries they cite."""

    files: array[int] = field(default_factory=lambda: array("I"))  # file numbers
    digests: bytearray = field(default_factory=bytearray)  # DIGEST_BYTES a row
    identities: bytearray = field(default_factory=bytearray)  # KEY_BYTES a row (0s: none)
    topics: array[int] = field(default_factory=lambda: array("I"))  # into topic_sets
    docnums: array[int] = field(default_factory=lambda: array("i"))  # NO_DOCUMENT: none
    status: bytearray = field(default_factory=bytearray)  # OK, INVALID or FAILED
    errors: dict[int, str] = field(default_factory=dict)  # row -> why it is not OK
    warnings: dict[int, tuple[str, ...]] = field(default_factory=dict)  # row -> what was left out
    topic_sets: list[tuple[str, ...]] = field(default_factory=lambda: [()])
    cite_rows: array[int] = field(default_factory=lambda: array("I"))  # the citing row
    cite_keys: bytearray = field(default_factory=bytearray)  # KEY_BYTES a citation
    cite_entries: array[int] = field(default_factory=lambda: array("q"))  # spill offset
    _topic_ids: dict[tuple[str, ...], int] = field(default_factory=lambda: {(): 0})

    def __len__(self) -> int:
        return len(self.files)

    def topic_id(self, topics: tuple[str, ...]) -> int:
        found = self._topic_ids.get(topics)
        if found is None:
            found = self._topic_ids[topics] = len(self.topic_sets)
            self.topic_sets.append(topics)
        return found

    def to_bytes(self) -> bytes:
        """The rows, to send to another process (see from_bytes)."""
        state = {k: v for k, v in self.__dict__.items() if k != "_topic_ids"}
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> Rows:
        rows = cls(**pickle.loads(data))
        rows._topic_ids = {t: i for i, t in enumerate(rows.topic_sets)}
        return rows


class Spill:
    """The related entries a process keeps for later: appended to a file, read by offset
    (by any process of the build)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: Any = None
        self._seen: set[bytes] = set()  # the keys whose entry is written already

    def keep(self, key: bytes, text: str, entry: RelatedEntry) -> int:
        """Write the entry of a citation, if it is the first of its key here: its offset,
        else NO_ENTRY."""
        if key in self._seen:
            return NO_ENTRY
        self._seen.add(key)
        if self._file is None:
            self._file = open(self.path, "ab")  # noqa: SIM115 (closed by close())
        offset: int = self._file.tell()
        pickle.dump((text, entry), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        return offset

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def forget(self) -> None:
        """Drop the keys seen (one per distinct entry read): no seed is read any more."""
        self._seen = set()


class EntryReader:
    """Reads spilled entries from the spill files of a build, keeping them open."""

    def __init__(self, paths: dict[int, Path]) -> None:
        self._paths = paths
        self._files: dict[int, Any] = {}

    def read(self, part: int, offset: int) -> tuple[str, RelatedEntry]:
        fh = self._files.get(part)
        if fh is None:
            fh = self._files[part] = open(self._paths[part], "rb")  # noqa: SIM115
        fh.seek(offset)
        found: tuple[str, RelatedEntry] = pickle.load(fh)
        return found

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()


def remove(path: Path) -> None:
    """Remove a spill file, if it is there."""
    path.unlink(missing_ok=True)
