"""The index folder on disk: which store is current, the stores themselves, and the write lock.

Layout of an index folder::

    CURRENT                  names the live store folder; replaced atomically (rename)
    write.lock               flock-ed by the one writer; holds its pid
    store-<stamp>/           a Whoosh index plus manifest-<generation>.json files (manifest.py)

A full build writes a new store and switches CURRENT when it is complete; an incremental build
commits into the current store. Whoosh commits a generation by renaming its table of contents,
and the manifest for generation N is written before that rename, so a reader (or a writer
killed at any moment) always finds a complete index and the manifest that matches it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import IndexCorruptError, IndexLockedError, IndexNotFoundError

CURRENT_FILE = "CURRENT"
LOCK_FILE = "write.lock"
STORE_PREFIX = "store-"


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --- stores --------------------------------------------------------------------------------


def current_store(root: Path) -> Path | None:
    """The live store folder of an index, or None when no build has finished there."""
    name = _read_current(root)
    while name is not None:
        store = root / name
        if name.startswith(STORE_PREFIX) and "/" not in name and store.is_dir():
            return store
        # A full build may have switched to a newer store, and removed this one, since
        # CURRENT was read: only a name that stays wrong is damage.
        again = _read_current(root)
        if again == name:
            raise IndexCorruptError(
                f"{root / CURRENT_FILE} names {name!r}, which is not a store in {root}: "
                "rebuild with `searchkit index --full`"
            )
        name = again
    return None


def _read_current(root: Path) -> str | None:
    try:
        return (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {root / CURRENT_FILE}: {exc.strerror}") from None


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
    atomic_write(root / CURRENT_FILE, store.name.encode() + b"\n")
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
