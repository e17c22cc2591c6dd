"""The manifest of an index generation: its seeds folder, schema, counts, and every seed file's
state (mtime, size, content hash, and whether it is indexed, stale, invalid or a duplicate).

On disk, `manifest-<generation>.json` in the store: a JSON header line (everything but the
per-seed columns, so it reads in no time), then the columns as packed bytes. The manifest for
generation N is written before Whoosh commits generation N, so a reader always finds the
manifest that matches the index it opened.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import IndexDamagedError
from .store import STORE_PREFIX, atomic_write, current_store

if TYPE_CHECKING:
    from .scan import FileList

MANIFEST_FORMAT = 3  # a JSON header line, then packed columns (Columns)

# Seed states kept in the manifest.
OK = "ok"  # indexed as written on disk
DUPLICATE = "dup"  # parsed, but another seed with the same identity sorts first
STALE = "stale"  # broken now; its last good version stays in the index
INVALID = "invalid"  # broken, and never indexed


@dataclass(frozen=True, slots=True)
class SeedState:
    """What the index knows about one seed file."""

    mtime_ns: int
    size: int
    digest: str
    status: str = OK
    error: str | None = None  # why it failed; for a duplicate, the path indexed instead
    identity: str | None = None  # kept for duplicates, whose identity is not in the index
    # The file could not be read (stat-ed, opened, read) by the build that wrote this state:
    # the next build reads it again, whatever its mtime and size say. Always stale or invalid.
    failed: bool = False

    @property
    def extra(self) -> Extra | None:
        """(status, error, identity, failed) when any differs from a plain indexed seed's,
        else None."""
        if self.status == OK and self.error is None and self.identity is None:
            return None
        return (self.status, self.error, self.identity, self.failed)


Extra = tuple[str, str | None, str | None, bool]  # SeedState.extra


DIGEST_BYTES = 12  # loader.digest_bytes: blake2b-96
_NO_DIGEST = bytes(DIGEST_BYTES)
_ENCODING = ("utf-8", "surrogateescape")


class Columns:
    """Seed states as columns, row by row: the path (UTF-8 bytes `blob[starts[i]:ends[i]]`),
    its 128-bit key (scan.path_key), mtime, size and 12-byte content hash (zeros: no hash,
    the file could not be read). numpy arrays; a million seeds are about 130 MB of them and no
    object per seed.

    In a manifest the rows are sorted by key (`by_key`), so that a scan is matched against
    them with one binary search per file and no sort; the paths stay where they were written
    in the blob, so reordering or dropping rows never copies it."""

    __slots__ = (
        "_order",
        "blob",
        "by_key",
        "digests",
        "ends",
        "keys",
        "mtimes",
        "sizes",
        "starts",
        "tail",
    )

    def __init__(
        self,
        blob: bytes | memoryview,
        starts: Any,
        ends: Any,
        keys: Any,
        mtimes: Any,
        sizes: Any,
        digests: Any,
        *,
        by_key: bool = False,
        tail: bytes = b"",
    ) -> None:
        self.blob, self.starts, self.ends, self.keys = blob, starts, ends, keys
        self.mtimes, self.sizes, self.digests = mtimes, sizes, digests
        self.by_key = by_key
        self.tail = tail  # paths after the blob's (offsets go on from len(blob))
        self._order: Any = None  # rows by key, when they are not sorted so; made on first use

    def __len__(self) -> int:
        return len(self.mtimes)

    @classmethod
    def of_scan(cls, files: FileList) -> Columns:
        """A scan's files as columns, in the scan's order, with no content hashes yet."""
        np = _numpy()
        offsets = np.frombuffer(files.offsets, dtype="<i8")
        return cls(
            files.blob,
            offsets[:-1],
            offsets[1:],
            files.key_columns(),
            np.frombuffer(files.mtimes, dtype="<i8"),
            np.frombuffer(files.sizes, dtype="<i8"),
            np.zeros((len(files), DIGEST_BYTES), dtype=np.uint8),
        )

    @classmethod
    def empty(cls) -> Columns:
        np = _numpy()
        none = np.zeros(0, dtype="<i8")
        return cls(
            b"",
            none,
            none,
            np.zeros((0, 2), dtype="<u8"),
            none,
            none,
            np.zeros((0, DIGEST_BYTES), dtype=np.uint8),
            by_key=True,
        )

    _WIDTHS = (8, 8, 16, 8, 8, DIGEST_BYTES)  # bytes a row: starts, ends, keys, ...

    @classmethod
    def from_bytes(cls, data: bytes | memoryview, count: int, blob_bytes: int) -> Columns:
        """Columns packed by to_chunks() (rows sorted by key); ValueError if they do not fit.
        The arrays and the blob are views of `data`: nothing is copied."""
        np = _numpy()
        data = memoryview(data)
        if len(data) != sum(cls._WIDTHS) * count + blob_bytes:
            raise ValueError("the seed columns are cut short or too long")
        at, parts = 0, []
        for width in cls._WIDTHS:
            parts.append(data[at : at + width * count])
            at += width * count
        starts = np.frombuffer(parts[0], dtype="<i8")
        ends = np.frombuffer(parts[1], dtype="<i8")
        if count and (starts.min() < 0 or ends.max() > blob_bytes or (ends < starts).any()):
            raise ValueError("the seed paths are out of bounds")
        keys = np.frombuffer(parts[2], dtype="<u8").reshape(count, 2)
        if count > 1 and (np.diff(keys[:, 0]) < 0).any():
            raise ValueError("the seed rows are out of order")
        return cls(
            data[at:],
            starts,
            ends,
            keys,
            np.frombuffer(parts[3], dtype="<i8"),
            np.frombuffer(parts[4], dtype="<i8"),
            np.frombuffer(parts[5], dtype=np.uint8).reshape(count, DIGEST_BYTES),
            by_key=True,
        )

    def to_chunks(self) -> list[bytes | memoryview]:
        """The columns as bytes, in the order from_bytes() reads them (rows sorted by key)."""
        np = _numpy()
        columns = self if self.by_key else self.take(self.key_order())
        arrays = [
            np.ascontiguousarray(columns.starts, dtype="<i8"),
            np.ascontiguousarray(columns.ends, dtype="<i8"),
            np.ascontiguousarray(columns.keys, dtype="<u8"),
            np.ascontiguousarray(columns.mtimes, dtype="<i8"),
            np.ascontiguousarray(columns.sizes, dtype="<i8"),
            np.ascontiguousarray(columns.digests, dtype=np.uint8),
        ]
        chunks: list[bytes | memoryview] = [
            a.tobytes() if not a.size else a.data.cast("B") for a in arrays
        ]
        return [*chunks, memoryview(columns.blob), memoryview(columns.tail)]

    def path_buffer(self) -> memoryview:
        """The buffer the paths are in (starts and ends index it): the blob, or a copy of it
        followed by the tail when paths were added after it was written."""
        if not len(self.tail):
            return memoryview(self.blob)
        return memoryview(bytes(self.blob) + bytes(self.tail))

    @property
    def blob_bytes(self) -> int:
        return len(self.blob) + len(self.tail)

    def _bytes(self, start: int, end: int) -> bytes | memoryview:
        """Bytes `start` to `end` of the blob followed by the tail (a range may span both)."""
        base = len(self.blob)
        if start >= base:
            return self.tail[start - base : end - base]
        if end > base:
            return bytes(self.blob[start:base]) + bytes(self.tail[: end - base])
        return self.blob[start:end]

    def path(self, row: int) -> str:
        return str(self._bytes(int(self.starts[row]), int(self.ends[row])), *_ENCODING)

    def digest(self, row: int) -> str:
        raw = self.digests[row].tobytes()
        return "" if raw == _NO_DIGEST else raw.hex()

    def key_order(self) -> Any:
        """The rows sorted by key."""
        np = _numpy()
        if self.by_key:
            return np.arange(len(self))
        if self._order is None:
            self._order = np.lexsort((self.keys[:, 1], self.keys[:, 0]))
        return self._order

    def rows_of(self, keys: Any) -> Any:
        """For each key of `keys` ((n, 2) array), the row holding it, or -1."""
        np = _numpy()
        found = np.full(len(keys), -1, dtype=np.int64)
        if not len(self) or not len(keys):
            return found
        mine = self.keys
        if self.by_key:
            hi, order = mine[:, 0], None
        else:
            order = self.key_order()
            hi = mine[order, 0]
        # Searched in sorted order: a million random probes into a million keys jump about
        # memory; sorted ones walk it (0.5 s down to 0.1 s at a million files).
        needles = keys[:, 0]
        if len(needles) > 4096:
            by_value = np.argsort(needles, kind="stable")
            at = np.empty(len(needles), dtype=np.int64)
            at[by_value] = np.searchsorted(hi, needles[by_value])
        else:
            at = np.searchsorted(hi, needles)
        at = np.minimum(at, len(hi) - 1)
        cand = at if order is None else order[at]
        hit = (mine[cand, 0] == keys[:, 0]) & (mine[cand, 1] == keys[:, 1])
        found[hit] = cand[hit]
        # Two keys with the same first half (one in 2**64): look each such key up in full.
        twins = np.flatnonzero(np.diff(hi) == 0)
        if len(twins):
            shared = set(hi[twins].tolist())
            for i in np.flatnonzero(~hit).tolist():
                if int(keys[i, 0]) in shared:
                    same = np.flatnonzero((mine[:, 0] == keys[i, 0]) & (mine[:, 1] == keys[i, 1]))
                    if len(same):
                        found[i] = int(same[0])
        return found

    def take(self, rows: Any, *, by_key: bool | None = None) -> Columns:
        """The columns of `rows` (an array of row numbers), in that order; the blob is shared.
        `by_key`: whether those rows are sorted by key (default: when they were, and `rows`
        is increasing)."""
        if by_key is None:
            by_key = self.by_key and bool((_numpy().diff(rows) > 0).all())
        return Columns(
            self.blob,
            self.starts[rows],
            self.ends[rows],
            self.keys[rows],
            self.mtimes[rows],
            self.sizes[rows],
            self.digests[rows],
            by_key=by_key,
            tail=self.tail,
        )

    def merged(self, added: Columns) -> Columns:
        """These rows (sorted by key) and `added`'s, sorted by key; `added`'s paths are
        appended to the blob."""
        np = _numpy()
        order = added.key_order()
        added = added.take(order, by_key=True)
        at = np.searchsorted(self.keys[:, 0], added.keys[:, 0])
        base = self.blob_bytes
        return Columns(
            self.blob,
            np.insert(self.starts, at, added.starts + base),
            np.insert(self.ends, at, added.ends + base),
            np.insert(self.keys, at, added.keys, axis=0),
            np.insert(self.mtimes, at, added.mtimes),
            np.insert(self.sizes, at, added.sizes),
            np.insert(self.digests, at, added.digests, axis=0),
            by_key=True,
            tail=bytes(self.tail) + bytes(added.blob) + bytes(added.tail),
        )

    def compacted(self) -> Columns:
        """The same rows, with a blob holding only their paths (in row order)."""
        np = _numpy()
        lengths = self.ends - self.starts
        ends = np.cumsum(lengths)
        blob = b"".join(bytes(self._bytes(s, e)) for s, e in _runs(self.starts, self.ends))
        return Columns(
            blob,
            ends - lengths,
            ends,
            self.keys,
            self.mtimes,
            self.sizes,
            self.digests,
            by_key=self.by_key,
        )


def path_views(buffer: memoryview, starts: Any, ends: Any) -> list[tuple[memoryview, array[int]]]:
    """The paths at `starts` to `ends` of `buffer` (Columns.path_buffer; numpy arrays, in
    the order of the paths in it) as FileList.of_columns takes them: one view per run of
    paths that lie one after the other (a gap where a path was dropped, until the manifest
    writes its buffer again), with where each path ends in it; never a copy of a path."""
    np = _numpy()
    breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1
    views = []
    for first, last in pairwise([0, *breaks.tolist(), len(starts)]):
        if last > first:
            base = int(starts[first])
            offsets = np.concatenate(([base], ends[first:last])) - base
            views.append(
                (
                    buffer[base : int(ends[last - 1])],
                    array("q", np.ascontiguousarray(offsets, dtype="<i8").tobytes()),
                )
            )
    return views


def _runs(starts: Any, ends: Any) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges, with ranges that follow each other joined."""
    if not len(starts):
        return
    np = _numpy()
    breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1  # a run may span blob and tail
    firsts = np.concatenate(([0], breaks))
    lasts = np.concatenate((breaks, [len(starts)])) - 1
    yield from zip(starts[firsts].tolist(), ends[lasts].tolist(), strict=True)


def _numpy() -> Any:
    import numpy  # imported on first use: searches read only the header

    return numpy


@dataclass(frozen=True, slots=True)
class ScanDiff:
    """A folder scan against the states of a manifest."""

    changed: list[tuple[str, int, int]]  # (path, mtime_ns, size): new, or (mtime, size) differ
    missing: list[str]  # in the manifest, not found by the scan
    unchanged: int  # found with the (mtime, size) the manifest has


class SeedStates(MutableMapping[str, SeedState]):
    """Seed path -> SeedState: the columns a manifest was read or built with (Columns, read
    on first use, never an object per seed), and the few states changed since.

    A build that finds the folder as the manifest recorded it never reads the columns; an
    incremental build compares them with the scan as arrays (diff()) and changes a few states.
    The unusual states (stale, invalid, duplicate, failed reads) are kept apart, always
    decoded."""

    __slots__ = ("_columns", "_count", "_dropped", "_extra", "_load", "_overlay")

    def __init__(self) -> None:
        self._columns: Columns | None = None
        self._load: Callable[[], Columns] | None = None  # reads the columns, once
        self._dropped: set[int] = set()  # rows of the columns deleted or replaced since
        self._overlay: dict[str, tuple[int, int, str]] = {}  # path -> (mtime, size, digest)
        self._extra: dict[str, Extra] = {}  # the unusual ones
        self._count = 0  # rows in the columns, known before they are read

    @classmethod
    def lazy(cls, load: Callable[[], Columns], extra: dict[str, Extra], count: int) -> SeedStates:
        """States whose `count` rows of columns `load()` reads on first use."""
        states = cls()
        states._load, states._extra, states._count = load, extra, count
        return states

    @classmethod
    def from_columns(cls, columns: Columns, extra: dict[str, Extra]) -> SeedStates:
        states = cls()
        states._columns, states._extra, states._count = columns, extra, len(columns)
        return states

    def load(self) -> None:
        """Read the columns now; IndexDamagedError if they cannot be read."""
        self.columns()

    def columns(self) -> Columns:
        if self._columns is None:
            load, self._load = self._load, None
            self._columns = load() if load is not None else Columns.empty()
        return self._columns

    # --- lookups ----------------------------------------------------------------------------

    def _row(self, path: str) -> int | None:
        """The row of `path` in the columns, if it is there and not dropped."""
        from .scan import path_key

        columns = self.columns()
        if not len(columns):
            return None
        np = _numpy()
        key = np.frombuffer(path_key(path), dtype="<u8").reshape(1, 2)
        row = int(columns.rows_of(key)[0])
        if row < 0 or row in self._dropped or columns.path(row) != path:
            return None
        return row

    def __getitem__(self, path: str) -> SeedState:
        got = self._overlay.get(path)
        if got is None:
            row = self._row(path) if isinstance(path, str) else None
            if row is None:
                raise KeyError(path)
            columns = self.columns()
            got = (int(columns.mtimes[row]), int(columns.sizes[row]), columns.digest(row))
        mtime_ns, size, digest = got
        extra = self._extra.get(path)
        if extra is None:
            return SeedState(mtime_ns, size, digest)
        status, error, identity, failed = extra
        return SeedState(mtime_ns, size, digest, status, error, identity, failed)

    def __setitem__(self, path: str, state: SeedState) -> None:
        if path not in self._overlay:
            row = self._row(path)
            if row is not None:
                self._dropped.add(row)
        self._overlay[path] = (state.mtime_ns, state.size, state.digest)
        extra = state.extra
        if extra is None:
            self._extra.pop(path, None)
        else:
            self._extra[path] = extra

    def __delitem__(self, path: str) -> None:
        if self._overlay.pop(path, None) is None:
            row = self._row(path)
            if row is None:
                raise KeyError(path)
            self._dropped.add(row)
        self._extra.pop(path, None)

    def __iter__(self) -> Iterator[str]:
        columns = self.columns()
        dropped = self._dropped
        for row in range(len(columns)):
            if row not in dropped:
                yield columns.path(row)
        yield from self._overlay

    def __len__(self) -> int:
        rows = self._count if self._columns is None else len(self._columns)
        return rows - len(self._dropped) + len(self._overlay)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (path in self._overlay or self._row(path) is not None)

    def copy(self) -> SeedStates:
        states = SeedStates()
        states._columns, states._load = self.columns(), None
        states._count = len(states._columns)
        states._dropped = set(self._dropped)
        states._overlay = dict(self._overlay)
        states._extra = dict(self._extra)
        return states

    def issues_only(self) -> SeedStates:
        """The unusual seeds' states alone, without the columns of every other seed: what a
        full build's report compares with, once its counts are taken, so that the index it
        replaces does not hold a million rows in memory to the end of the build."""
        states = SeedStates()
        for path in self._extra:
            state = self.get(path)
            if state is not None:
                states[path] = state
        states._extra = dict(self._extra)  # those without a row too, as issues() lists them
        return states

    # --- as arrays ---------------------------------------------------------------------------

    def diff(self, files: FileList) -> ScanDiff:
        """The scan `files` against these states, compared as arrays: the files that are new
        or whose (mtime, size) differ, the paths the scan did not find, and how many files
        are as recorded."""
        np = _numpy()
        columns = self.columns()
        keys = files.key_columns()
        rows = columns.rows_of(keys)
        if self._dropped:
            rows[np.isin(rows, np.fromiter(self._dropped, dtype=np.int64))] = -1
        mtimes = np.frombuffer(files.mtimes, dtype="<i8")
        sizes = np.frombuffer(files.sizes, dtype="<i8")
        known = rows >= 0
        same = np.zeros(len(rows), dtype=bool)
        same[known] = (columns.mtimes[rows[known]] == mtimes[known]) & (
            columns.sizes[rows[known]] == sizes[known]
        )
        found = np.zeros(len(columns), dtype=bool)
        found[rows[known]] = True
        changed, unchanged = [], int(same.sum())
        for i in np.flatnonzero(~same).tolist():
            path = files.path(i)
            stat = self._overlay.get(path)
            if stat is not None and stat[:2] == (mtimes[i], sizes[i]):
                unchanged += 1
            else:
                changed.append((path, int(mtimes[i]), int(sizes[i])))
        overlaid = set(self._overlay)
        missing = [
            columns.path(row) for row in np.flatnonzero(~found).tolist() if row not in self._dropped
        ]
        missing += [p for p in overlaid if p not in files]
        return ScanDiff(changed, missing, unchanged)

    def packed(self) -> Columns:
        """All the states' columns, rows sorted by key: the rows read or built, less those
        dropped, and those set since. The blob is written again only when a quarter of it is
        paths no row names any more."""
        from .scan import path_key

        np = _numpy()
        columns = self.columns()
        if not columns.by_key:
            columns = columns.take(columns.key_order(), by_key=True)
        if self._dropped:
            keep = np.ones(len(columns), dtype=bool)
            keep[np.fromiter(self._dropped, dtype=np.int64)] = False
            columns = columns.take(np.flatnonzero(keep), by_key=True)
        if self._overlay:
            paths = [p.encode(*_ENCODING) for p in self._overlay]
            ends = np.cumsum([len(p) for p in paths], dtype=np.int64)
            stats = list(self._overlay.values())
            keys = b"".join(path_key(p) for p in self._overlay)
            digests = b"".join(bytes.fromhex(d) if d else _NO_DIGEST for _, _, d in stats)
            columns = columns.merged(
                Columns(
                    b"".join(paths),
                    ends - np.array([len(p) for p in paths], dtype=np.int64),
                    ends,
                    np.frombuffer(keys, dtype="<u8").reshape(-1, 2),
                    np.array([m for m, _, _ in stats], dtype="<i8"),
                    np.array([s for _, s, _ in stats], dtype="<i8"),
                    np.frombuffer(digests, dtype=np.uint8).reshape(-1, DIGEST_BYTES),
                )
            )
        used = int((columns.ends - columns.starts).sum())
        if used < 0.75 * columns.blob_bytes:
            columns = columns.compacted()
        return columns

    # --- the unusual states ------------------------------------------------------------------

    def issues(self) -> Iterator[tuple[str, str, str | None, str | None]]:
        """(path, status, error, identity) of the unusual seeds, in no order; this never
        needs the columns read."""
        for path, (status, error, identity, _failed) in self._extra.items():
            yield path, status, error, identity

    def failed(self) -> list[str]:
        """The seeds the last build could not read, to be read again whatever their mtime
        and size; this never needs the columns read."""
        return [path for path, extra in self._extra.items() if extra[3]]

    def extra_json(self) -> dict[str, list[str | bool | None]]:
        """The unusual states for the header: [status, error, identity], and `true` after
        them when the read failed (so a manifest without failures reads as before)."""
        return {p: list(e if e[3] else e[:3]) for p, e in self._extra.items()}


def scan_fingerprint(files: FileList) -> str:
    """A fingerprint of a folder scan: its size and a sum of a hash of each file's (path,
    mtime, size), so that the order the folder lists its files in does not matter. Equal
    fingerprints mean equal scans (a false match takes a 64-bit coincidence). A small scan
    is summed in plain Python: cheaper than importing numpy, which a search's freshness
    check (freshness.py) otherwise does not need."""
    if len(files) < _PLAIN_FINGERPRINT_MAX:
        return _plain_fingerprint(files)
    np = _numpy()
    keys = files.key_columns()
    mtimes = np.frombuffer(files.mtimes, dtype="<i8").view("<u8")
    sizes = np.frombuffer(files.sizes, dtype="<i8").view("<u8")
    mixed = _mix(keys[:, 1] ^ _mix(mtimes ^ _mix(sizes + keys[:, 0])))
    return f"{len(files)}:{int(mixed.sum(dtype=np.uint64)):016x}"


_PLAIN_FINGERPRINT_MAX = 20_000  # files: past this numpy is worth importing
_MASK = (1 << 64) - 1


def _plain_fingerprint(files: FileList) -> str:
    """scan_fingerprint() one file at a time, without numpy."""
    keys = memoryview(files.keys_bytes).cast("Q")
    total = 0
    for i, (mtime, size) in enumerate(zip(files.mtimes, files.sizes, strict=True)):
        hi, lo = keys[2 * i], keys[2 * i + 1]
        total += _mix_one(lo ^ _mix_one((mtime & _MASK) ^ _mix_one((size + hi) & _MASK)))
    return f"{len(files)}:{total & _MASK:016x}"


def _mix_one(x: int) -> int:
    """_mix() on one number."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _mix(x: Any) -> Any:
    """splitmix64's finaliser, on an array of unsigned 64-bit numbers (wrapping)."""
    np = _numpy()
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclass(slots=True)
class Manifest:
    """The state of one index generation: its seeds folder and every seed file's state.

    On disk: a line of JSON with everything but the seed columns (so it reads in no time),
    then the columns as raw bytes (see SeedStates.pack)."""

    seeds_dir: str
    schema: str
    generation: int = 0
    built_at: float = 0.0
    seeds: SeedStates = field(default_factory=SeedStates)
    counts: tuple[int, int] | None = None  # (documents, articles): a no-op run need not count
    scan: str | None = None  # scan_fingerprint() of the folder as `seeds` describes it
    # The mtime (ns) of every folder of the seeds folder ("" for itself), taken just before
    # the scan: what a freshness check of a large folder compares (freshness.py).
    folders: dict[str, int] | None = None
    # When the scan that took `folders` began (time.time_ns()), if it found no link and
    # nothing it could not read: a later scan may then trust them (build/stamped.py).
    stamped_at: int | None = None

    def header(self, count: int | None = None, blob: int | None = None) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "seeds_dir": self.seeds_dir,
            "schema": self.schema,
            "generation": self.generation,
            "built_at": self.built_at,
            "counts": list(self.counts) if self.counts else None,
            "scan": self.scan,
            "folders": self.folders,
            "stamped_at": self.stamped_at,
            "unusual": self.seeds.extra_json(),
            "columns": {"count": count, "blob": blob},
        }

    def to_chunks(self) -> list[bytes | memoryview]:
        """The manifest as written: its header line, then its columns."""
        columns = self.seeds.packed()
        header = json.dumps(self.header(len(columns), columns.blob_bytes), separators=(",", ":"))
        return [header.encode(), b"\n", *columns.to_chunks()]

    def to_bytes(self) -> bytes:
        return b"".join(self.to_chunks())

    @classmethod
    def from_bytes(cls, data: bytes, source: Path) -> Manifest:
        """Read a manifest written by to_bytes()."""
        first, _, rest = data.partition(b"\n")
        return cls.from_header(first, lambda: rest, source)

    @classmethod
    def from_header(cls, first: bytes, rest: Callable[[], bytes], source: Path) -> Manifest:
        """A manifest from its header line; `rest()` gives the bytes after it, read when the
        seed columns are first needed."""
        head = json.loads(first)
        if head.get("format") != MANIFEST_FORMAT:
            # Formats 1 (a JSON row per seed) and 2 (packed columns without path keys) were
            # written by earlier releases, whose indexes are rebuilt anyway.
            raise ValueError(f"written by an earlier searchkit (format {head.get('format')!r})")
        extra = {p: (e[0], e[1], e[2], e[3:] == [True]) for p, e in head["unusual"].items()}
        count, blob = int(head["columns"]["count"]), int(head["columns"]["blob"])

        def load() -> Columns:
            try:
                return Columns.from_bytes(rest(), count, blob)
            except FileNotFoundError:
                raise IndexDamagedError(
                    str(source.parent.parent), "is missing", str(source)
                ) from None
            except OSError as exc:
                what = f"cannot be read: {exc.strerror}"
                raise IndexDamagedError(str(source.parent.parent), what, str(source)) from None
            except (ValueError, TypeError, IndexError) as exc:
                what = f"cannot be read ({exc})"
                raise IndexDamagedError(str(source.parent.parent), what, str(source)) from None

        return cls(
            seeds_dir=head["seeds_dir"],
            schema=head["schema"],
            generation=head["generation"],
            built_at=head["built_at"],
            seeds=SeedStates.lazy(load, extra, count),
            counts=tuple(head["counts"]) if head.get("counts") else None,
            scan=head.get("scan"),
            folders=head.get("folders"),
            stamped_at=head.get("stamped_at"),
        )


def manifest_path(store: Path, generation: int) -> Path:
    return store / f"manifest-{generation}.json"


def write_manifest(store: Path, manifest: Manifest) -> None:
    """Write the manifest of `manifest.generation` atomically."""
    atomic_write(manifest_path(store, manifest.generation), manifest.to_chunks())


def read_manifest(store: Path, generation: int) -> Manifest:
    """The manifest of `generation` in `store`; IndexDamagedError if it is missing or cannot
    be read."""
    path = manifest_path(store, generation)
    index_dir = str(store.parent)
    try:
        with open(path, "rb") as fh:
            first = fh.readline()
            start = fh.tell()

        def rest() -> bytes:
            with open(path, "rb") as fh:
                fh.seek(start)
                return fh.read()

        return Manifest.from_header(first, rest, path)
    except FileNotFoundError:
        raise IndexDamagedError(index_dir, "is missing", str(path)) from None
    except OSError as exc:
        raise IndexDamagedError(index_dir, f"cannot be read: {exc.strerror}", str(path)) from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise IndexDamagedError(index_dir, f"cannot be read ({exc})", str(path)) from None


def read_schema(store: Path, generation: int) -> str | None:
    """The schema fingerprint the manifest of `generation` was built with, read from its
    header line alone (the seed columns can be tens of megabytes); None when it says none."""
    path = manifest_path(store, generation)
    try:
        with open(path, "rb") as fh:
            schema = json.loads(fh.readline()).get("schema")
    except FileNotFoundError:
        raise IndexDamagedError(str(store.parent), "is missing", str(path)) from None
    except (OSError, ValueError, AttributeError) as exc:
        raise IndexDamagedError(str(store.parent), f"cannot be read ({exc})", str(path)) from None
    return schema if isinstance(schema, str) else None


def remembered_seeds_dir(root: Path) -> str | None:
    """The seeds folder of the newest manifest in the index, even one that cannot be used any
    more (built by another schema, or with CURRENT damaged: then the newest store's), so a
    rebuild reads the same folder; None if none."""
    try:
        live = current_store(root)
        stores = [live] if live is not None else []
    except IndexDamagedError:
        try:
            found = [s for s in root.glob(f"{STORE_PREFIX}*") if s.is_dir()]
            stores = sorted(found, key=lambda s: s.stat().st_mtime, reverse=True)
        except OSError:
            stores = []
    for store in stores:
        seeds_dir = _seeds_dir_of(store)
        if seeds_dir is not None:
            return seeds_dir
    return None


def _seeds_dir_of(store: Path) -> str | None:
    """The seeds folder named by the newest manifest of `store`, if any can be read."""
    try:
        newest = max(
            store.glob("manifest-*.json"),
            key=lambda p: int(p.stem.split("-")[1]) if p.stem.split("-")[1].isdigit() else -1,
        )
        with open(newest, "rb") as fh:
            seeds_dir = json.loads(fh.readline()).get("seeds_dir")
    except (OSError, ValueError, AttributeError):
        return None
    return seeds_dir if isinstance(seeds_dir, str) else None


def prune_manifests(store: Path, keep: int) -> None:
    """Remove manifests of generations other than `keep` (and stray temporary files)."""
    for entry in store.iterdir():
        name = entry.name
        if name.startswith(("manifest-", ".manifest-")) and name != f"manifest-{keep}.json":
            entry.unlink(missing_ok=True)
