"""The index folder on disk: which store is current, the write lock, and the manifest.

Layout of an index folder::

    CURRENT                  names the live store folder; replaced atomically (rename)
    write.lock               flock-ed by the one writer; holds its pid
    store-<stamp>/           a Whoosh index plus manifest-<generation>.json files

A full build writes a new store and switches CURRENT when it is complete; an incremental build
commits into the current store. Whoosh commits a generation by renaming its table of contents,
and the manifest for generation N is written before that rename, so a reader (or a writer
killed at any moment) always finds a complete index and the manifest that matches it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IndexCorruptError, IndexLockedError, IndexNotFoundError

CURRENT_FILE = "CURRENT"
LOCK_FILE = "write.lock"
STORE_PREFIX = "store-"
MANIFEST_FORMAT = 1

# Seed states kept in the manifest.
OK = "ok"  # indexed as written on disk
DUPLICATE = "dup"  # parsed, but another seed with the same identity sorts first
STALE = "stale"  # broken now; its last good version stays in the index
INVALID = "invalid"  # broken, and never indexed


@dataclass(slots=True)
class SeedState:
    """What the index knows about one seed file."""

    mtime_ns: int
    size: int
    digest: str
    status: str = OK
    error: str | None = None  # why it failed; for a duplicate, the path indexed instead
    identity: str | None = None  # kept for duplicates, whose identity is not in the index

    def to_json(self) -> list[Any]:
        row: list[Any] = [self.mtime_ns, self.size, self.digest]
        if self.status != OK or self.error or self.identity:
            row += [self.status, self.error, self.identity]
        return row

    @classmethod
    def from_json(cls, row: list[Any]) -> SeedState:
        return cls(*row)


@dataclass(slots=True)
class Manifest:
    """The state of one index generation: its seeds folder and every seed file's state."""

    seeds_dir: str
    schema: str
    generation: int = 0
    built_at: float = 0.0
    seeds: dict[str, SeedState] = field(default_factory=dict)
    counts: tuple[int, int] | None = None  # (documents, articles): a no-op run need not count

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "seeds_dir": self.seeds_dir,
            "schema": self.schema,
            "generation": self.generation,
            "built_at": self.built_at,
            "counts": list(self.counts) if self.counts else None,
            "seeds": {path: state.to_json() for path, state in self.seeds.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        return cls(
            seeds_dir=data["seeds_dir"],
            schema=data["schema"],
            generation=data["generation"],
            built_at=data["built_at"],
            seeds={p: SeedState.from_json(r) for p, r in data["seeds"].items()},
            counts=tuple(data["counts"]) if data.get("counts") else None,
        )


def manifest_path(store: Path, generation: int) -> Path:
    return store / f"manifest-{generation}.json"


def write_manifest(store: Path, manifest: Manifest) -> None:
    """Write the manifest of `manifest.generation` atomically."""
    _atomic_write(
        manifest_path(store, manifest.generation),
        json.dumps(manifest.to_json(), separators=(",", ":")).encode(),
    )


def read_manifest(store: Path, generation: int) -> Manifest:
    path = manifest_path(store, generation)
    try:
        return Manifest.from_json(json.loads(path.read_bytes()))
    except FileNotFoundError:
        raise IndexCorruptError(
            f"{path} is missing: rebuild the index with `searchkit index --full`"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"{path} cannot be read ({exc}): rebuild the index with `searchkit index --full`"
        ) from None


def remembered_seeds_dir(root: Path) -> str | None:
    """The seeds folder of the newest manifest in the index, even one that cannot be used any
    more (built by another schema, say), so a rebuild reads the same folder; None if none."""
    try:
        store = current_store(root)
        if store is None:
            return None
        newest = max(
            store.glob("manifest-*.json"),
            key=lambda p: int(p.stem.split("-")[1]) if p.stem.split("-")[1].isdigit() else -1,
        )
        seeds_dir = json.loads(newest.read_bytes()).get("seeds_dir")
    except (IndexCorruptError, OSError, ValueError, AttributeError):
        return None
    return seeds_dir if isinstance(seeds_dir, str) else None


def prune_manifests(store: Path, keep: int) -> None:
    """Remove manifests of generations other than `keep` (and stray temporary files)."""
    for entry in store.iterdir():
        name = entry.name
        if name.startswith("manifest-") and name != f"manifest-{keep}.json":
            entry.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --- stores --------------------------------------------------------------------------------


def current_store(root: Path) -> Path | None:
    """The live store folder of an index, or None when no build has finished there."""
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {root / CURRENT_FILE}: {exc.strerror}") from None
    store = root / name
    if not name.startswith(STORE_PREFIX) or "/" in name or not store.is_dir():
        raise IndexCorruptError(
            f"{root / CURRENT_FILE} names {name!r}, which is not a store in {root}: "
            "rebuild with `searchkit index --full`"
        )
    return store


def require_store(root: Path) -> Path:
    store = current_store(root)
    if store is None:
        raise IndexNotFoundError(str(root))
    return store


def new_store(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return Path(
        tempfile.mkdtemp(prefix=f"{STORE_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-", dir=root)
    )


def switch_store(root: Path, store: Path) -> None:
    """Make `store` the live one, then remove every other store (the lock is held)."""
    _atomic_write(root / CURRENT_FILE, store.name.encode() + b"\n")
    for entry in root.iterdir():
        if entry.name.startswith(STORE_PREFIX) and entry != store and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def remove_orphan_stores(root: Path) -> None:
    """Remove stores left by killed full builds (the lock is held, so none is in use). With an
    unreadable CURRENT every store is an orphan: the build that follows starts afresh."""
    try:
        live = current_store(root)
    except IndexCorruptError:
        live = None
    for entry in root.iterdir():
        if entry.name.startswith(STORE_PREFIX) and entry != live and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def store_size(store: Path) -> int:
    return sum(f.stat().st_size for f in store.iterdir() if f.is_file())


# --- the write lock -----------------------------------------------------------------------


@contextlib.contextmanager
def write_lock(root: Path, *, wait: float | None = None) -> Iterator[None]:
    """Hold the index's write lock. flock is released by the kernel if the holder dies, so a
    lock left by a killed process never blocks the next writer.

    `wait` is how many seconds to wait for another writer (None: fail at once; inf: forever).
    """
    if root.exists() and not root.is_dir():
        raise IndexCorruptError(f"{root} is a file, not an index folder: choose another --index")
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait if wait is not None else None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if deadline is None or time.monotonic() >= deadline:
                    raise IndexLockedError(str(root), _lock_holder(fd)) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock_holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
