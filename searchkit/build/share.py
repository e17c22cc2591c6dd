"""One process's share of a full build: the chunks of seed files it claims, parsed, with the
article of every seed that parses added to its own segment and a row kept per seed (rows.py);
then the stubs it is given.

Every process of a build (the main process and its workers, build/full.py) runs a Share. They
claim chunks of the build's file table in turn from one counter (Claims), so each process
reads its files in path order and the chunks spread over the processes as fast as each goes.
"""

from __future__ import annotations

import fcntl
import os
import struct
import tempfile
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..loader import Loaded, read_seed
from ..records import article_document, stub_document, to_fields
from ..whoosh_seam.writing import next_docnum
from .rows import FAILED, INVALID, NO_DOCUMENT, NO_ENTRY, OK, EntryReader, Rows, Spill, key_of
from .table import FileTable

NOBODY = 255  # the owner of a chunk no process has claimed


class ChunkClaims(Protocol):
    """The chunks of a build, handed out in order to whichever process asks next."""

    def claim(self, part: int) -> int | None: ...
    def claimed(self) -> int: ...
    def owned_by(self, part: int) -> list[int]: ...
    def handle(self) -> Any:
        """What a worker's job carries to claim with (worker.Claims)."""
        ...

    def close(self) -> None: ...


class Claims:
    """The chunks 0 .. count - 1 of a build, handed out in order to whichever process asks
    next: a counter, and the owner of each chunk, in a file every process holds open, changed
    under a lock."""

    _HEAD = struct.Struct("<qq")  # (next chunk, count)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def create(cls, count: int) -> Claims:
        """Claims over `count` chunks, in an unnamed temporary file (closed with close())."""
        with tempfile.TemporaryFile() as fh:
            fd = os.dup(fh.fileno())  # the file lives on while fd is open
        os.pwrite(fd, cls._HEAD.pack(0, count) + bytes([NOBODY]) * count, 0)
        return cls(fd)

    def claim(self, part: int) -> int | None:
        """The next chunk, now owned by process `part`; None when all are claimed."""
        fd = self.fd
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            k, count = self._HEAD.unpack(os.pread(fd, self._HEAD.size, 0))
            if k >= count:
                return None
            os.pwrite(fd, bytes([part]), self._HEAD.size + k)
            os.pwrite(fd, self._HEAD.pack(k + 1, count), 0)
            return int(k)
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)

    def claimed(self) -> int:
        """How many chunks have been claimed so far."""
        k, count = self._HEAD.unpack(os.pread(self.fd, self._HEAD.size, 0))
        return int(min(k, count))

    def owned_by(self, part: int) -> list[int]:
        """The chunks process `part` claimed."""
        _k, count = self._HEAD.unpack(os.pread(self.fd, self._HEAD.size, 0))
        owners = os.pread(self.fd, count, self._HEAD.size)
        return [k for k, owner in enumerate(owners) if owner == part]

    def handle(self) -> int:
        """The file a worker claims through (passed to its process)."""
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Share:
    """What one process does of a full build: `read()` the chunks it claims, then
    `add_stubs()`. With `writer` None (a dry run) nothing is indexed; with `skip_duplicates`
    (one process reading every chunk in order, as on a Whoosh not verified for parallel
    writing, which cannot delete from a segment being written) a seed whose identity is
    indexed already is not indexed again."""

    def __init__(
        self,
        writer: Any | None,
        root: str,
        table: FileTable,
        chunk_size: int,
        part: int,
        spill: Spill,
        *,
        skip_duplicates: bool = False,
    ) -> None:
        self.writer = writer
        self.root = root
        self.table = table
        self.chunk_size = chunk_size
        self.part = part
        self.rows = Rows()
        self.spill = spill
        self._seen: set[bytes] | None = set() if skip_duplicates else None

    def read(
        self,
        claims: ChunkClaims,
        on_chunk: Callable[[], None] | None = None,
        go_on: Callable[[], bool] | None = None,
    ) -> None:
        """Claim chunks until none is left (or `go_on()` says stop), reading each."""
        while (go_on is None or go_on()) and (k := claims.claim(self.part)) is not None:
            self.read_chunk(k)
            if on_chunk is not None:
                on_chunk()
        self.spill.close()

    def release(self) -> Rows:
        """The rows read, which this share forgets, with the keys its spill saw: what a
        process keeps while it indexes stubs is then the file numbers alone."""
        rows, self.rows = self.rows, Rows(files=self.rows.files)
        self.spill.forget()
        self._seen = None
        return rows

    def read_chunk(self, k: int) -> None:
        start = k * self.chunk_size
        end = min(start + self.chunk_size, len(self.table))
        for number, file in enumerate(self.table.files(start, end), start):
            self.record(number, read_seed(self.root, file))

    def record(self, number: int, loaded: Loaded) -> None:
        """Index the article of file `number` (if it parsed) and keep its row."""
        rows, seed = self.rows, loaded.seed
        row = len(rows)
        rows.files.append(number)
        rows.digests += bytes.fromhex(loaded.digest) if loaded.digest else bytes(12)
        if seed is None:
            rows.identities += bytes(16)
            rows.topics.append(0)
            rows.docnums.append(NO_DOCUMENT)
            rows.status.append(FAILED if loaded.failed else INVALID)
            rows.errors[row] = loaded.error or "cannot be parsed"
            return
        identity = key_of(seed.identity)
        docnum = NO_DOCUMENT
        if self.writer is not None and (self._seen is None or identity not in self._seen):
            docnum = next_docnum(self.writer)
            self.writer.add_document(**to_fields(article_document(seed)))
            if self._seen is not None:
                self._seen.add(identity)
        rows.identities += identity
        rows.topics.append(rows.topic_id(seed.topics))
        rows.docnums.append(docnum)
        rows.status.append(OK)
        if seed.warnings:
            rows.warnings[row] = seed.warnings
        for text, entry in zip(seed.related_keys(), seed.related, strict=True):
            key = key_of(text)
            rows.cite_rows.append(row)
            rows.cite_keys += key
            rows.cite_entries.append(self.spill.keep(key, text, entry))

    def add_stubs(
        self,
        orders: Iterable[tuple[bytes, tuple[str, ...], int, int, int]],
        entries: EntryReader,
        on_stub: Callable[[], None] | None = None,
    ) -> int:
        """Index the stubs `orders` (decide.StubOrder as tuples); how many were indexed (a stub
        whose seed changed since it was read is left for the next run)."""
        added = 0
        writer = self.writer
        for key, topics, part, offset, number in orders:
            if offset != NO_ENTRY:
                text, entry = entries.read(part, offset)
            else:
                found = self._entry_from_seed(key, number)
                if found is None:
                    continue
                text, entry = found
            if writer is not None:
                writer.add_document(**to_fields(stub_document(text, entry, topics)))
            added += 1
            if on_stub is not None:
                on_stub()
        return added

    def _entry_from_seed(self, key: bytes, number: int) -> tuple[str, Any] | None:
        """The related entry of key `key` in the seed file `number`, read again (its first
        entry was spilled for a seed that turned out to be a duplicate)."""
        (file,) = self.table.files(number, number + 1)
        seed = read_seed(self.root, file).seed
        if seed is None:
            return None
        for text, entry in zip(seed.related_keys(), seed.related, strict=True):
            if key_of(text) == key:
                return text, entry
        return None


__all__ = ["NOBODY", "ChunkClaims", "Claims", "Share"]
