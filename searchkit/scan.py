"""Seeds folder -> its seed files, each with its mtime and size, and what could not be read: the
scan every build starts with.

The scan tells apart what a build must not confuse:

- a file that is **gone**: its name is no longer in a folder that could be read (ENOENT there).
  It is not in the scan, so the build removes its documents;
- a file or folder that is **unreadable**: it cannot be stat-ed, listed or entered, or a
  folder vanished while it was scanned. It is in `Scan.unreadable` with the reason, and the
  build keeps what it had of it;
- a **broken link**: a link that leads nowhere (its target is missing, or a loop). It is in
  `Scan.broken_links` with the reason: an error, like a seed that cannot be parsed.

A seeds folder that cannot be read as a whole (missing, not a folder, cannot be listed or
entered) raises SeedsFolderError before anything else happens.

Links: a link to a file is followed wherever it points (those leaving the folder are listed,
for a note); a link to a folder is not followed, so no loop can form (listed too).

A build with nothing to do is mostly this scan. The files are stat-ed by several processes
when asked (each takes the paths that hash to its share: _scan_worker.py) and kept as columns
(FileList), so a million files cost a few tens of megabytes and no object each.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import subprocess
import sys
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

from . import _scan_worker
from ._scan_worker import KEY_BYTES, Found, Listed, walk
from .documents import SEED_SUFFIXES
from .errors import SeedsFolderError

FileStat = tuple[int, int]  # (mtime_ns, size)

# A folder whose last scan found at least this many seed files is scanned by several
# processes (when there are cores for them): stat() is most of a no-op build, and in CPython
# most of its cost is building the result, which holds the GIL.
PARALLEL_STAT_MIN_FILES = 20_000

# A helper process of the scan: it prints the pickled columns of its share (_scan_worker.py).
STAT_HELPER = (sys.executable, "-S", _scan_worker.__file__)

_ENCODING = ("utf-8", "surrogateescape")


class FileList(Mapping[str, FileStat]):
    """The seed files a scan found: path -> (mtime_ns, size), held as columns: paths as UTF-8
    bytes one after the other (in the parts the processes of the scan found them), mtimes,
    sizes, and each path's 128-bit key."""

    __slots__ = ("_firsts", "_keys", "_lookups", "_mtimes", "_order", "_parts", "_sizes", "_sorted")

    def __init__(self, parts: Sequence[Found] = ()) -> None:
        self._parts: list[tuple[bytes | bytearray | memoryview, array[int]]] = [
            (p.blob, p.offsets) for p in parts if len(p.mtimes)
        ]
        self._firsts = [0]  # the first row of each part
        self._mtimes, self._sizes = array("q"), array("q")
        for p in parts:
            if len(p.mtimes):
                self._firsts.append(self._firsts[-1] + len(p.mtimes))
                self._mtimes.extend(p.mtimes)
                self._sizes.extend(p.sizes)
        self._keys: bytes | memoryview = b"".join(p.keys for p in parts)
        self._order: Any = None  # rows by key (numpy), for lookups by path; built on use
        self._sorted: Any = None  # the first halves of the keys in that order
        self._lookups = 0  # lookups by path so far: the first few compare every key instead

    @classmethod
    def joined(cls, parts: Sequence[Found]) -> FileList:
        """The files of every share of a walk, in one list."""
        return cls(parts)

    @classmethod
    def of_columns(
        cls,
        paths: Sequence[tuple[bytes | memoryview, array[int]]],
        mtimes: array[int],
        sizes: array[int],
        keys: bytes | memoryview,
    ) -> FileList:
        """A list of files held as they are given, without a copy: their paths in parts
        (a buffer, and where each path starts in it and the last ends), and their mtimes,
        sizes and keys, one after the other."""
        files = cls()
        for blob, offsets in paths:
            if len(offsets) > 1:
                files._parts.append((blob, offsets))
                files._firsts.append(files._firsts[-1] + len(offsets) - 1)
        if files._firsts[-1] != len(mtimes) or len(sizes) != len(mtimes):
            raise ValueError("the paths and their columns differ in length")
        if len(keys) != KEY_BYTES * len(mtimes):
            raise ValueError("the paths and their keys differ in length")
        files._mtimes, files._sizes, files._keys = mtimes, sizes, keys
        return files

    @classmethod
    def of(cls, files: Mapping[str, FileStat]) -> FileList:
        """A list of the files `files` (path -> (mtime_ns, size))."""
        found = Found()
        for path, (mtime, size) in files.items():
            encoded = path.encode(*_ENCODING)
            found.blob += encoded
            found.offsets.append(len(found.blob))
            found.mtimes.append(mtime)
            found.sizes.append(size)
            found.keys += path_key(path)
        return cls.joined([found])

    # --- columns, for array work (manifest.py, build/) -----------------------------------

    @property
    def blob(self) -> bytes:
        """All the paths, one after the other (a copy)."""
        return b"".join(bytes(blob) for blob, _ in self._parts)

    @property
    def offsets(self) -> array[int]:
        """Where each path starts in `blob`, and where the last ends (a copy)."""
        import numpy as np

        offsets = array("q", [0])
        base = 0
        for blob, part in self._parts:
            offsets.frombytes((np.frombuffer(part, dtype=np.int64)[1:] + base).tobytes())
            base += len(blob)
        return offsets

    @property
    def mtimes(self) -> array[int]:
        return self._mtimes

    @property
    def sizes(self) -> array[int]:
        return self._sizes

    @property
    def keys_bytes(self) -> bytes | memoryview:
        """KEY_BYTES per file (path_key of its path), in row order."""
        return self._keys

    def path(self, row: int) -> str:
        k = bisect_right(self._firsts, row) - 1
        blob, offsets = self._parts[k]
        i = row - self._firsts[k]
        return str(blob[offsets[i] : offsets[i + 1]], *_ENCODING)  # bytes or a memoryview

    def total_size(self) -> int:
        return sum(self._sizes)

    # --- the mapping ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._mtimes)

    def __iter__(self) -> Iterator[str]:
        return (self.path(i) for i in range(len(self)))

    def key_columns(self) -> Any:
        """The paths' keys as an (n, 2) numpy array of 64-bit numbers."""
        import numpy as np

        return np.frombuffer(self._keys, dtype="<u8").reshape(-1, KEY_BYTES // 8)

    def _row(self, path: str) -> int | None:
        import numpy as np

        keys = self.key_columns()
        hi, lo = np.frombuffer(path_key(path), dtype="<u8")
        self._lookups += 1
        if self._order is None and self._lookups <= _LOOKUPS_BEFORE_SORTING:
            # A few lookups (an incremental run's changed files): one pass over the keys
            # each (a millisecond at a million files) costs less than sorting them.
            candidates = np.flatnonzero(keys[:, 0] == hi).tolist()
        else:
            if self._order is None:
                self._order = np.argsort(keys[:, 0], kind="stable")
                self._sorted = keys[self._order, 0]
            start = int(np.searchsorted(self._sorted, hi, side="left"))
            end = int(np.searchsorted(self._sorted, hi, side="right"))
            candidates = self._order[start:end].tolist()
        for row in candidates:
            if keys[row, 1] == lo and self.path(row) == path:
                return int(row)
        return None

    def __getitem__(self, path: str) -> FileStat:
        row = self._row(path) if isinstance(path, str) else None
        if row is None:
            raise KeyError(path)
        return self._mtimes[row], self._sizes[row]

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._row(path) is not None

    def __repr__(self) -> str:
        return f"FileList({len(self)} files)"


_LOOKUPS_BEFORE_SORTING = 64


def path_key(path: str) -> bytes:
    """A seed path's 128-bit key, as the scan computes it."""
    import hashlib

    return hashlib.blake2b(path.encode(*_ENCODING), digest_size=KEY_BYTES).digest()


@dataclass(frozen=True, slots=True)
class Scan:
    """What a scan of the seeds folder found. Paths are relative, with `/` separators; an
    unreadable folder's path ends with `/`."""

    files: FileList  # every seed file that could be stat-ed: (mtime_ns, size)
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> why it was not read
    broken_links: dict[str, str] = field(default_factory=dict)  # link -> why it leads nowhere
    outside: dict[str, str] = field(default_factory=dict)  # link -> the file outside it leads to
    folder_links: dict[str, str] = field(default_factory=dict)  # link -> its folder (not followed)
    # Each folder's mtime (ns) as freshness.folder_stamps() gives it, taken by the walk just
    # before it listed the folder; None when the scan did not walk the folder.
    folders: dict[str, int] | None = None
    # When the walk began (time.time_ns()), if it found no link and nothing it could not
    # read: then a later scan may trust `folders` to tell that no folder changed
    # (build/stamped.py). None otherwise.
    stamped_at: int | None = None

    @property
    def problems(self) -> dict[str, str]:
        """Every path the scan could not take, with the reason: unreadable, broken links."""
        return {**self.unreadable, **self.broken_links}

    def unreadable_reason(self, path: str) -> str | None:
        """Why the seed file `path` was not found by this scan although it may be there (it,
        or a folder above it, could not be read; or it is a broken link); None when nothing
        says so (then it is there, or gone)."""
        if not (self.unreadable or self.broken_links):
            return None
        reason = self.unreadable.get(path) or self.broken_links.get(path)
        if reason is not None:
            return reason
        end = path.find("/")
        while end != -1:
            folder = path[: end + 1]
            if folder in self.unreadable:
                return f"its folder {folder} could not be read: {self.unreadable[folder]}"
            end = path.find("/", end + 1)
        return None


def usable_cores() -> int:
    """The cores this process may run on (os.sched_getaffinity is Linux-only)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def scan_seeds(root: Path, *, processes: int = 1, helper: Sequence[str] = STAT_HELPER) -> Scan:
    """Every seed file under `root`, recursively, by relative path, with its (mtime_ns, size),
    and what could not be read; hidden entries are skipped. Raises SeedsFolderError when
    `root` itself cannot be read.

    With `processes` > 1 the files are stat-ed by this process and processes - 1 helpers
    (`helper`: argv, to which ROOT, K, N and the suffixes are appended; it must print the
    pickled columns of share K of N, as _scan_worker.py does). A helper that fails costs time:
    its share is walked here."""
    _check_root(root)
    began = time.time_ns()
    unreadable: dict[str, str] = {}
    links: list[tuple[bytes, bytes, bytes]] = []
    suffixes = ",".join(SEED_SUFFIXES)
    helpers = []
    for share in range(1, max(1, processes)):
        with contextlib.suppress(OSError):
            proc = subprocess.Popen(
                [*helper, str(root), str(share), str(processes), suffixes],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            helpers.append((share, proc))

    def on_folder_error(prefix: bytes, step: str, exc: OSError) -> None:
        _folder_error(unreadable, root, prefix.decode(*_ENCODING), step, exc)

    encoded = tuple(s.encode() for s in SEED_SUFFIXES)
    shares = max(1, processes)
    parts = [
        walk(
            os.fsencode(root),
            0,
            shares,
            encoded,
            on_folder_error=on_folder_error,
            on_link=lambda *link: links.append(link),
        )
    ]
    done = {0}
    for share, proc in helpers:
        part = _collect(proc)
        if part is not None:
            parts.append(part)
            done.add(share)
    for share in range(shares):
        if share not in done:  # its helper failed or could not start: walk its share here
            parts.append(walk(os.fsencode(root), share, shares, encoded))
    scan = Scan(FileList())
    for part in parts:
        for path, code in part.failed:
            if code != errno.ENOENT:  # else it is gone
                problem = OSError(code, os.strerror(code))
                unreadable[path.decode(*_ENCODING)] = _cannot("stat the file", problem)
    real_root = os.path.realpath(root)
    linked = Found()
    for folder, name, rel in links:
        _follow(scan, linked, folder, name, rel, real_root)
    if len(linked.mtimes):
        parts.append(linked)
    return Scan(
        FileList.joined(parts),
        unreadable,
        scan.broken_links,
        scan.outside,
        scan.folder_links,
        {rel.decode(*_ENCODING): mtime for rel, mtime in parts[0].folders.items()},
        None if links or unreadable else began,
    )


def stat_listed(
    root: Path, shares: Sequence[Listed], helper: Sequence[str] = STAT_HELPER
) -> list[tuple[array[int], array[int]]] | None:
    """The (mtimes, sizes) of each share of listed files (paths relative to `root`, and
    where each lies in a buffer: _scan_worker.Listed), the first stat-ed here
    and each other by a helper process (`helper` ROOT --listed); None when a file cannot be
    stat-ed or is not a regular file. A helper that fails costs time: its share is stat-ed
    here."""
    encoded = os.fsencode(root)
    helpers: list[tuple[int, subprocess.Popen[bytes], threading.Thread]] = []
    for k in range(1, len(shares)):
        try:
            proc = subprocess.Popen(
                [*helper, str(root), "--listed"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            continue
        sending = threading.Thread(target=_send, args=(proc, shares[k]), daemon=True)
        sending.start()
        helpers.append((k, proc, sending))
    answers: dict[int, tuple[array[int], array[int]] | None] = {}
    answers[0] = _scan_worker.stat_listed(encoded, shares[0]) if shares else None
    for k, proc, sending in helpers:
        answers[k] = _collect_listed(proc, sending)
    result = []
    for k in range(len(shares)):
        answer = answers.get(k, _FAILED)
        if answer is _FAILED:  # its helper failed or could not start: stat its share here
            answer = _scan_worker.stat_listed(encoded, shares[k])
        if answer is None:
            return None
        result.append(answer)
    return result


_FAILED: Any = object()  # what _collect_listed() gives for a helper that failed


LISTED_CHUNK = 65_536  # paths sent to a helper at a time: it never holds its whole share


def _send(proc: subprocess.Popen[bytes], share: Listed) -> None:
    """Send a helper its share, a chunk at a time: where each path lies, then the part of
    the buffer they lie in (as it is: never a copy of it here); None after the last."""
    assert proc.stdin is not None
    paths, starts, ends = share
    with contextlib.suppress(OSError, ValueError):
        for lo in range(0, len(starts), LISTED_CHUNK):
            chunk_starts = starts[lo : lo + LISTED_CHUNK]
            chunk_ends = ends[lo : lo + LISTED_CHUNK]
            first, last = chunk_starts[0], chunk_ends[-1]
            head = (first, last - first, chunk_starts, chunk_ends)
            pickle.dump(head, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.write(paths[first:last])
        pickle.dump(None, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError, ValueError):
        proc.stdin.close()


def _collect_listed(proc: subprocess.Popen[bytes], sending: threading.Thread) -> Any:
    """A helper's (mtimes, sizes), None when it found a file changed in kind, _FAILED when
    it failed."""
    assert proc.stdout is not None
    try:
        answer = pickle.load(proc.stdout)
    except Exception:
        answer = _FAILED
    finally:
        proc.stdout.close()
        sending.join()
    if proc.wait() != 0 or answer is _FAILED:
        return _FAILED
    if answer is None:
        return None
    if not (
        isinstance(answer, tuple)
        and len(answer) == 2
        and all(isinstance(a, array) and a.typecode == "q" for a in answer)
    ):
        return _FAILED
    return (answer[0], answer[1])


def _collect(proc: subprocess.Popen[bytes]) -> Found | None:
    """The share a helper walked; None if it failed."""
    assert proc.stdout is not None
    try:
        state = pickle.load(proc.stdout)  # as it comes: never the whole answer twice
    except Exception:  # a truncated or foreign answer: walk its share here
        state = None
    finally:
        proc.stdout.close()
    if proc.wait() != 0 or not isinstance(state, dict):
        return None
    try:
        return Found(**state)
    except TypeError:
        return None


def _check_root(root: Path) -> None:
    try:
        st = os.stat(root)
    except (FileNotFoundError, NotADirectoryError):
        raise SeedsFolderError(str(root), "does not exist", missing=True) from None
    except OSError as exc:
        raise SeedsFolderError(str(root), f"cannot be read ({exc.strerror})") from None
    if not S_ISDIR(st.st_mode):
        raise SeedsFolderError(str(root), "is not a folder", missing=True)


def _folder_error(
    unreadable: dict[str, str], root: Path, prefix: str, step: str, problem: OSError
) -> None:
    """Why a folder cannot be read, in `unreadable` (for the seeds folder itself,
    SeedsFolderError)."""
    if prefix == "":
        what = {"open": "cannot be read", "enter": "cannot be entered"}.get(
            step, "cannot be listed"
        )
        raise SeedsFolderError(str(root), f"{what} ({problem.strerror})") from None
    if problem.errno == errno.ENOENT:
        unreadable[prefix] = "the folder vanished during the scan; the next run reads it again"
        return
    verb = {"open": "read", "enter": "enter"}.get(step, "list")
    unreadable[prefix] = _cannot(f"{verb} the folder", problem)


def _cannot(what: str, exc: OSError) -> str:
    reason = exc.strerror or os.strerror(exc.errno or 0)
    return f"cannot {what} ({reason}); make it readable for this user"


def _follow(
    scan: Scan, linked: Found, folder_b: bytes, name_b: bytes, rel_b: bytes, real_root: str
) -> None:
    """A symlink found in the folder `folder_b`: a link to a seed file is taken (wherever it
    leads), a link to a folder is noted, a link that leads nowhere is a broken link."""
    folder, rel = os.fsdecode(folder_b), rel_b.decode(*_ENCODING)
    name = os.fsdecode(name_b)
    try:
        st = os.stat(os.path.join(folder, name))
    except OSError as exc:
        with contextlib.suppress(OSError):
            name = os.readlink(os.path.join(folder, name))
        if exc.errno == errno.ENOENT:
            reason = f"the link leads to {name}, which does not exist; fix or remove the link"
        elif exc.errno == errno.ELOOP:
            reason = "the link leads round a loop of links; fix or remove the link"
        else:
            reason = _cannot(f"follow the link to {name}", exc)
        scan.broken_links[rel] = reason
        return
    target = os.path.realpath(os.path.join(folder, name))
    if S_ISDIR(st.st_mode):
        scan.folder_links[rel] = target
    elif S_ISREG(st.st_mode) and rel.lower().endswith(SEED_SUFFIXES):
        linked.blob += rel_b
        linked.offsets.append(len(linked.blob))
        linked.mtimes.append(st.st_mtime_ns)
        linked.sizes.append(st.st_size)
        linked.keys += path_key(rel)
        if os.path.commonpath([real_root, target]) != real_root:
            scan.outside[rel] = target


__all__ = [
    "PARALLEL_STAT_MIN_FILES",
    "STAT_HELPER",
    "FileList",
    "FileStat",
    "Scan",
    "path_key",
    "scan_seeds",
    "stat_listed",
    "usable_cores",
]
