"""Seeds folder -> its seed files, each with its mtime and size: the scan every build starts with.

A build with nothing to do is mostly this scan, so the loop keeps per-file work to one stat call
and a tuple, and a large folder is stat-ed by two processes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import threading
from array import array
from collections.abc import Sequence
from pathlib import Path
from stat import S_ISREG
from typing import Any

from .documents import SEED_SUFFIXES
from .errors import SeedsFolderError

FileStat = tuple[int, int]  # (mtime_ns, size)

# A folder with at least this many seed files is stat-ed by two processes: stat() is most of a
# no-op build, and in CPython most of its cost is building the result, which holds the GIL.
PARALLEL_STAT_MIN_FILES = 20_000

_STAT_SCRIPT = """
import os, stat, sys
from array import array
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
out = array("q")
for name in sys.stdin.buffer.read().split(b"\\0"):
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        out.extend((0, 0, 0))
        continue
    out.extend((st.st_mtime_ns, st.st_size, stat.S_ISREG(st.st_mode)))
sys.stdout.buffer.write(out.tobytes())
"""


STAT_HELPER = (sys.executable, "-S", "-c", _STAT_SCRIPT)


def usable_cores() -> int:
    """The cores this process may run on (os.sched_getaffinity is Linux-only)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def scan_seeds(
    root: Path,
    *,
    parallel_min: int = PARALLEL_STAT_MIN_FILES,
    cores: int | None = None,
    helper: Sequence[str] = STAT_HELPER,
) -> dict[str, FileStat]:
    """Every seed file under `root`, recursively, by relative path (`/` separators), with its
    (mtime_ns, size); hidden entries are skipped and symlinks are followed only while they stay
    inside `root`.

    A no-op build over a large folder is mostly this scan, so the loop keeps per-file work to
    one stat call and a tuple. A folder of `parallel_min` seed files or more is stat-ed by two
    processes when there are two `cores` (None: as many as the OS gives this process); the
    second is `helper` (argv, the folder appended), which must print the stats packed as
    _STAT_SCRIPT does."""
    two = (cores if cores is not None else usable_cores()) >= 2
    stat_files = functools.partial(
        _stat_files, parallel_min=parallel_min if two else None, helper=helper
    )
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise SeedsFolderError(f"the seeds folder {root} {what}; pass --seeds DIR")
    real_root = os.path.realpath(root)
    found: dict[str, FileStat] = {}
    visited: set[str] = {real_root}
    stack = [(str(root), "")]
    suffixes = SEED_SUFFIXES
    while stack:
        folder, prefix = stack.pop()
        try:
            # Entries of a folder opened by descriptor are stat-ed relative to it, which
            # saves resolving the whole path 100,000 times.
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                with os.scandir(fd) as it:
                    entries = list(it)
            except BaseException:
                os.close(fd)
                raise
        except OSError as exc:
            raise SeedsFolderError(f"cannot read {folder}: {exc.strerror}") from None
        try:
            files: list[str] = []
            for entry in entries:
                name = entry.name
                if name[0] == ".":
                    continue
                try:
                    if (
                        name.endswith(suffixes) or name.lower().endswith(suffixes)
                    ) and entry.is_file(follow_symlinks=False):
                        files.append(name)
                    elif entry.is_dir(follow_symlinks=False):
                        path = os.path.join(folder, name)
                        visited.add(os.path.realpath(path))
                        stack.append((path, prefix + name + "/"))
                    elif entry.is_symlink():
                        path = os.path.join(folder, name)
                        _follow(path, prefix + name, real_root, visited, stack, found)
                except OSError:
                    continue  # vanished while scanning: the next run sees the folder as it is
            for name, stat in stat_files(folder, fd, files):
                found[prefix + name] = stat
        finally:
            os.close(fd)
    return found


def _stat_files(
    folder: str, fd: int, names: list[str], *, parallel_min: int | None, helper: Sequence[str]
) -> list[tuple[str, FileStat]]:
    """(name, (mtime_ns, size)) of the regular files among `names` (in the folder open as
    `fd`); in two processes for a large folder on a machine with more than one core."""
    half = len(names) // 2
    if parallel_min is None or len(names) < parallel_min:
        return _stat_here(fd, names)
    theirs = names[half:]
    try:
        proc = subprocess.Popen(
            [*helper, folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return _stat_here(fd, names)
    assert proc.stdin is not None and proc.stdout is not None
    feed = threading.Thread(target=_feed, args=(proc.stdin, theirs), daemon=True)
    feed.start()
    found = _stat_here(fd, names[:half])
    data = proc.stdout.read()
    feed.join()
    proc.stdout.close()
    if proc.wait() != 0 or len(data) != 24 * len(theirs):
        return found + _stat_here(fd, theirs)  # the helper failed: do its share here
    rows = array("q")
    rows.frombytes(data)
    found += [
        (name, (rows[3 * i], rows[3 * i + 1])) for i, name in enumerate(theirs) if rows[3 * i + 2]
    ]
    return found


def _feed(pipe: Any, names: list[str]) -> None:
    with contextlib.suppress(OSError), pipe:
        pipe.write(b"\0".join(map(os.fsencode, names)))


def _stat_here(fd: int, names: list[str]) -> list[tuple[str, FileStat]]:
    found = []
    stat = os.stat
    for name in names:
        try:
            st = stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue  # vanished while scanning: the next run sees the folder as it is
        if S_ISREG(st.st_mode):
            found.append((name, (st.st_mtime_ns, st.st_size)))
    return found


def _follow(
    path: str,
    rel: str,
    real_root: str,
    visited: set[str],
    stack: list[tuple[str, str]],
    found: dict[str, FileStat],
) -> None:
    """A symlink found by scan_seeds: its folder is scanned, or its file taken, if it stays
    inside the seeds folder."""
    target = os.path.realpath(path)
    if os.path.commonpath([real_root, target]) != real_root:
        return
    if os.path.isdir(target):
        if target not in visited:
            visited.add(target)
            stack.append((path, rel + "/"))
    elif path.lower().endswith(SEED_SUFFIXES) and os.path.isfile(target):
        st = os.stat(target)
        found[rel] = (st.st_mtime_ns, st.st_size)
