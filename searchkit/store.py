"""The index folder on disk: which store is current, the stores themselves, and the write lock.

Layout of an index folder::

    CURRENT                  names the live store folder; replaced atomically (rename)
    write.lock               flock-ed by the one writer; holds its pid
    store-<stamp>/           a Whoosh index plus manifest-<generation>.json files (manifest.py)

A full build writes a new store and switches CURRENT when it is complete; an incremental build
commits into the current store. Whoosh commits a generation by renaming its table of contents,
and the manifest for generation N is written before that rename, so a reader (or a writer
killed at any moment) always finds a complete index and the manifest that matches it.

Whatever is in the folder, a writer holding the lock can start afresh: a CURRENT or a lock
file that is damaged (even replaced by a folder) is replaced, and taking or releasing the lock
needs no free space on the disk.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import IndexDamagedError, IndexLockedError, IndexNotFoundError, IndexWriteError

CURRENT_FILE = "CURRENT"
LOCK_FILE = "write.lock"
STORE_PREFIX = "store-"


def atomic_write(path: Path, data: bytes | Sequence[bytes | memoryview]) -> None:
    """Replace `path` by a file holding `data` (bytes, or chunks written one after the other),
    all or nothing: a failure (a full disk) leaves `path` as it was and no temporary file
    behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    chunks = [data] if isinstance(data, bytes) else data
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _clear_folder(path: Path) -> None:
    """Remove a folder found where the index keeps a file (damage): moved aside first, so
    that no other process can take it for the file meanwhile."""
    aside = path.with_name(f".{path.name}.damaged-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        os.rename(path, aside)
    shutil.rmtree(aside, ignore_errors=True)


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
            what = f'names "{name}", which is not a store folder' if name else "is empty"
            raise IndexDamagedError(str(root), what, str(root / CURRENT_FILE))
        name = again
    return None


def _read_current(root: Path) -> str | None:
    path = root / CURRENT_FILE
    try:
        return path.read_bytes().decode("utf-8").strip()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None  # the index folder is a file: there is no index in it
    except OSError as exc:
        what = f"cannot be read: {exc.strerror}"
        raise IndexDamagedError(str(root), what, str(path)) from None
    except UnicodeDecodeError:
        raise IndexDamagedError(str(root), "is not UTF-8 text", str(path)) from None


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
    current = root / CURRENT_FILE
    if current.is_dir() and not current.is_symlink():
        _clear_folder(current)  # damage that a file cannot replace atomically
    atomic_write(current, store.name.encode() + b"\n")
    for entry in root.iterdir():
        if entry.name.startswith(STORE_PREFIX) and entry != store:
            _remove(entry)


def remove_orphan_stores(root: Path) -> None:
    """Remove stores left by killed full builds (the lock is held, so none is in use). With a
    damaged CURRENT nothing is removed: the full build that follows switches to a new store,
    which removes the others, and a build that fails first leaves them as they were."""
    try:
        live = current_store(root)
    except IndexDamagedError:
        return
    for entry in root.iterdir():
        if entry.name.startswith(STORE_PREFIX) and entry != live:
            _remove(entry)


def _remove(entry: Path) -> None:
    """Remove a store, or whatever damage took its name (a file)."""
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            entry.unlink()


def remove_if_unbuilt(root: Path, *, created: bool) -> None:
    """After a first build failed: remove the lock it left, and the folder when the build
    created it, if nothing else is there (no index, nothing of the user's)."""
    try:
        if {entry.name for entry in root.iterdir()} - {LOCK_FILE}:
            return
        (root / LOCK_FILE).unlink(missing_ok=True)
        if created:
            root.rmdir()
    except OSError:
        pass  # nothing to tidy, or it cannot be: the build's own error is the one to say


def store_size(store: Path) -> int:
    return sum(f.stat().st_size for f in store.iterdir() if f.is_file())


def device_of(path: Path) -> str:
    """The mount point that holds `path`, with its file-system type ("/srv (ext4)"), for a
    full-disk message; the nearest existing folder of `path` where that is not known (no
    /proc/self/mountinfo)."""
    folder = Path(os.path.abspath(path))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        device = folder.stat().st_dev
        real = os.path.realpath(folder)
        best = ("", "")
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                major, minor = fields[2].split(":")
                point = _unescape_mount(fields[4])
                if (
                    os.makedev(int(major), int(minor)) == device
                    and (real == point or real.startswith(point.rstrip("/") + "/"))
                    and len(point) > len(best[0])
                ):
                    best = (point, fields[fields.index("-", 6) + 1])
    except (OSError, ValueError, IndexError):
        return str(folder)
    return f"{best[0]} ({best[1]})" if best[0] else str(folder)


def _unescape_mount(field: str) -> str:
    """A mountinfo path field: spaces, tabs, newlines and backslashes are octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


# --- the write lock -----------------------------------------------------------------------


@contextlib.contextmanager
def write_lock(root: Path, *, wait: float | None = None) -> Iterator[None]:
    """Hold the index's write lock. flock is released by the kernel if the holder dies, so a
    lock left by a killed process never blocks the next writer.

    `wait` is how many seconds to wait for another writer (None: fail at once; inf: forever).
    Neither taking nor releasing it needs free space: the holder's pid is written into the
    lock file when there is room, for the message another writer gets.
    """
    if root.exists() and not root.is_dir():
        raise IndexWriteError(
            str(root), NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder", str(root))
        )
    root.mkdir(parents=True, exist_ok=True)
    lock = root / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except IsADirectoryError:
        _clear_folder(lock)  # damage: no writer ever locks a folder
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
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
        with contextlib.suppress(OSError):  # a full disk: the lock holds without the pid
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_holder(root: Path) -> tuple[bool, int | None]:
    """Whether another process holds the write lock of the index at `root` now, and its pid
    (None when unknown). Takes no lock: what a writer about to wait tells its user."""
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False, None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True, _lock_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, None
    finally:
        os.close(fd)


def _lock_holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
