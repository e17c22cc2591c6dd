"""The manifest of an index generation: its seeds folder, schema, counts, and every seed file's
state (mtime, size, content hash, and whether it is indexed, stale, invalid or a duplicate).

On disk, `manifest-<generation>.json` in the store: a JSON header line (everything but the
per-seed columns, so it reads in no time), then the columns as packed bytes. The manifest for
generation N is written before Whoosh commits generation N, so a reader always finds the
manifest that matches the index it opened.
"""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IndexDamagedError
from .store import STORE_PREFIX, atomic_write, current_store

MANIFEST_FORMAT = 2  # a JSON header line, then packed columns (1: a JSON row per seed)

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


class SeedStates(MutableMapping[str, SeedState]):
    """Seed path -> SeedState, held as columns so that a manifest of 100,000 seeds loads, and
    compares with a folder scan, without building an object per seed.

    Read from a manifest, the columns stay undecoded until first used: a build that finds the
    folder as the manifest recorded it (see `Manifest.scan`) never decodes them. The unusual
    states (stale, invalid, duplicate) are kept apart, and always decoded."""

    __slots__ = ("_digests", "_extra", "_layout", "_packed", "_source", "_stats")

    def __init__(self) -> None:
        self._stats: dict[str, tuple[int, int]] = {}  # path -> (mtime_ns, size)
        self._digests: dict[str, str] = {}
        self._extra: dict[str, Extra] = {}  # the unusual ones
        self._packed: bytes | None = None  # the columns as read, until decoded
        self._layout: dict[str, int] = {}  # how they are laid out (see pack)
        self._source: Path | None = None  # the manifest they were read from, for errors

    @classmethod
    def packed(
        cls,
        data: bytes,
        layout: dict[str, int],
        extra: dict[str, Extra],
        source: Path,
    ) -> SeedStates:
        """States whose columns are `data` laid out as `layout` (both made by pack()),
        decoded on first use."""
        states = cls()
        states._packed, states._layout = data, layout
        states._extra, states._source = extra, source
        return states

    def load(self) -> None:
        """Decode the columns now; IndexDamagedError if they cannot be read."""
        if self._packed is None:
            return
        data, self._packed = memoryview(self._packed), None
        try:
            count, paths_end = self._layout["count"], self._layout["paths"]
            sizes_at = paths_end + 8 * count
            digests_at = sizes_at + 8 * count
            if len(data) < digests_at + self._layout["digests"]:
                raise ValueError("the seed columns are cut short")
            paths = str(data[:paths_end], "utf-8", "surrogateescape").split("\0") if count else []
            digests = str(data[digests_at : digests_at + self._layout["digests"]], "ascii")
            mtimes = _unpack_ints(data[paths_end:sizes_at])
            sizes = _unpack_ints(data[sizes_at:digests_at])
            if not len(paths) == len(mtimes) == len(sizes) == count:
                raise ValueError("the seed columns differ in length")
            self._stats = dict(zip(paths, zip(mtimes, sizes, strict=True), strict=True))
            self._digests = dict(zip(paths, digests.split(" ") if count else [], strict=True))
            if len(self._stats) != count:
                raise ValueError("a seed path is listed twice")
            if not self._extra.keys() <= self._stats.keys():
                raise ValueError("a seed state names a path that is not in the manifest")
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            source = self._source or Path("manifest")
            raise IndexDamagedError(
                str(source.parent.parent), f"cannot be read ({exc})", str(source)
            ) from None

    def pack(self) -> tuple[dict[str, int], bytes]:
        """The columns as raw bytes, which write and read far faster than 100,000 rows of
        JSON: paths (UTF-8, NUL-separated), mtimes and sizes (little-endian int64), digests
        (space-separated); with the layout needed to read them back."""
        self.load()
        paths = "\0".join(self._stats).encode("utf-8", "surrogateescape")
        stats = list(self._stats.values())
        digests = " ".join(map(self._digests.__getitem__, self._stats)).encode("ascii")
        layout = {"count": len(stats), "paths": len(paths), "digests": len(digests)}
        data = b"".join(
            (
                paths,
                _pack_ints([mtime for mtime, _ in stats]),
                _pack_ints([size for _, size in stats]),
                digests,
            )
        )
        return layout, data

    def __getitem__(self, path: str) -> SeedState:
        self.load()
        mtime_ns, size = self._stats[path]
        extra = self._extra.get(path)
        if extra is None:
            return SeedState(mtime_ns, size, self._digests[path])
        return SeedState(mtime_ns, size, self._digests[path], *extra)

    def __setitem__(self, path: str, state: SeedState) -> None:
        self.load()
        self._stats[path] = (state.mtime_ns, state.size)
        self._digests[path] = state.digest
        extra = state.extra
        if extra is None:
            self._extra.pop(path, None)
        else:
            self._extra[path] = extra

    def __delitem__(self, path: str) -> None:
        self.load()
        del self._stats[path]
        del self._digests[path]
        self._extra.pop(path, None)

    def __iter__(self) -> Iterator[str]:
        self.load()
        return iter(self._stats)

    def __len__(self) -> int:
        self.load()
        return len(self._stats)

    def __contains__(self, path: object) -> bool:
        self.load()
        return path in self._stats

    def copy(self) -> SeedStates:
        self.load()
        states = SeedStates()
        states._stats = dict(self._stats)
        states._digests = dict(self._digests)
        states._extra = dict(self._extra)
        return states

    @property
    def stats(self) -> Mapping[str, tuple[int, int]]:
        """path -> (mtime_ns, size), the shape loader.scan_seeds returns."""
        self.load()
        return self._stats

    def issues(self) -> Iterator[tuple[str, str, str | None, str | None]]:
        """(path, status, error, identity) of the unusual seeds, in no order; this never
        needs the columns decoded."""
        for path, (status, error, identity, _failed) in self._extra.items():
            yield path, status, error, identity

    def failed(self) -> list[str]:
        """The seeds the last build could not read, to be read again whatever their mtime
        and size; this never needs the columns decoded."""
        return [path for path, extra in self._extra.items() if extra[3]]

    def extra_json(self) -> dict[str, list[str | bool | None]]:
        """The unusual states for the header: [status, error, identity], and `true` after
        them when the read failed (so a manifest without failures reads as before)."""
        return {p: list(e if e[3] else e[:3]) for p, e in self._extra.items()}


def _pack_ints(values: list[int]) -> bytes:
    packed = array("q", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _unpack_ints(data: memoryview) -> list[int]:
    packed = array("q")
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tolist()


def scan_fingerprint(files: Mapping[str, tuple[int, int]]) -> str:
    """A hash of a folder scan (path -> (mtime_ns, size)) in its order. Equal fingerprints
    mean equal scans; a scan that lists the same files in another order only misses the fast
    path."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\0".join(files).encode("utf-8", "surrogateescape"))
    digest.update(b"\1" + _pack_ints([mtime for mtime, _ in files.values()]))
    digest.update(b"\1" + _pack_ints([size for _, size in files.values()]))
    return digest.hexdigest()


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

    def header(self, layout: dict[str, int] | None = None) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "seeds_dir": self.seeds_dir,
            "schema": self.schema,
            "generation": self.generation,
            "built_at": self.built_at,
            "counts": list(self.counts) if self.counts else None,
            "scan": self.scan,
            "unusual": self.seeds.extra_json(),
            "columns": layout,
        }

    def to_bytes(self) -> bytes:
        layout, columns = self.seeds.pack()
        header = json.dumps(self.header(layout), separators=(",", ":")).encode()
        return header + b"\n" + columns

    @classmethod
    def from_bytes(cls, data: bytes, source: Path) -> Manifest:
        """Read a manifest written by to_bytes()."""
        first, _, rest = data.partition(b"\n")
        head = json.loads(first)
        if head.get("format") != MANIFEST_FORMAT:
            # Format 1 (one JSON object, a row per seed) came with schema version 2, whose
            # indexes are rebuilt anyway.
            raise ValueError(f"written by an earlier searchkit (format {head.get('format')!r})")
        extra = {p: (e[0], e[1], e[2], e[3:] == [True]) for p, e in head["unusual"].items()}
        seeds = SeedStates.packed(rest, head["columns"], extra, source)
        return cls(
            seeds_dir=head["seeds_dir"],
            schema=head["schema"],
            generation=head["generation"],
            built_at=head["built_at"],
            seeds=seeds,
            counts=tuple(head["counts"]) if head.get("counts") else None,
            scan=head.get("scan"),
        )


def manifest_path(store: Path, generation: int) -> Path:
    return store / f"manifest-{generation}.json"


def write_manifest(store: Path, manifest: Manifest) -> None:
    """Write the manifest of `manifest.generation` atomically."""
    atomic_write(manifest_path(store, manifest.generation), manifest.to_bytes())


def read_manifest(store: Path, generation: int) -> Manifest:
    """The manifest of `generation` in `store`; IndexDamagedError if it is missing or cannot
    be read."""
    path = manifest_path(store, generation)
    index_dir = str(store.parent)
    try:
        return Manifest.from_bytes(path.read_bytes(), path)
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
