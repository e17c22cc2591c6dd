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

A build with nothing to do is mostly this scan, so the loop keeps per-file work to one stat call
and a tuple, and a large folder is stat-ed by two processes.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import subprocess
import sys
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

from .documents import SEED_SUFFIXES
from .errors import SeedsFolderError

FileStat = tuple[int, int]  # (mtime_ns, size)

# A folder with at least this many seed files is stat-ed by two processes: stat() is most of a
# no-op build, and in CPython most of its cost is building the result, which holds the GIL.
PARALLEL_STAT_MIN_FILES = 20_000

# The helper prints (mtime_ns, size, kind) per name: kind 1 for a regular file, 0 for anything
# else, -errno when the name could not be stat-ed.
_STAT_SCRIPT = """
import os, stat, sys
from array import array
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
out = array("q")
for name in sys.stdin.buffer.read().split(b"\\0"):
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError as exc:
        out.extend((0, 0, -(exc.errno or 1)))
        continue
    out.extend((st.st_mtime_ns, st.st_size, stat.S_ISREG(st.st_mode)))
sys.stdout.buffer.write(out.tobytes())
"""


STAT_HELPER = (sys.executable, "-S", "-c", _STAT_SCRIPT)


@dataclass(frozen=True, slots=True)
class Scan:
    """What a scan of the seeds folder found. Paths are relative, with `/` separators; an
    unreadable folder's path ends with `/`."""

    files: dict[str, FileStat]  # every seed file that could be stat-ed: (mtime_ns, size)
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> why it was not read
    broken_links: dict[str, str] = field(default_factory=dict)  # link -> why it leads nowhere
    outside: dict[str, str] = field(default_factory=dict)  # link -> the file outside it leads to
    folder_links: dict[str, str] = field(default_factory=dict)  # link -> its folder (not followed)

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


def scan_seeds(
    root: Path,
    *,
    parallel_min: int = PARALLEL_STAT_MIN_FILES,
    cores: int | None = None,
    helper: Sequence[str] = STAT_HELPER,
) -> Scan:
    """Every seed file under `root`, recursively, by relative path, with its (mtime_ns, size),
    and what could not be read; hidden entries are skipped. Raises SeedsFolderError when
    `root` itself cannot be read.

    A folder of `parallel_min` seed files or more is stat-ed by two processes when there are
    two `cores` (None: as many as the OS gives this process); the second is `helper` (argv,
    the folder appended), which must print the stats packed as _STAT_SCRIPT does."""
    two = (cores if cores is not None else usable_cores()) >= 2
    stat_files = functools.partial(
        _stat_files, parallel_min=parallel_min if two else None, helper=helper
    )
    _check_root(root)
    scan = Scan({})
    found = scan.files
    real_root = os.path.realpath(root)
    stack = [(str(root), "")]
    suffixes = SEED_SUFFIXES
    while stack:
        folder, prefix = stack.pop()
        opened = _open_folder(folder, prefix, root)
        if isinstance(opened, str):
            scan.unreadable[prefix] = opened
            continue
        fd, entries = opened
        try:
            files: list[str] = []
            links: list[str] = []
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
                        stack.append((os.path.join(folder, name), prefix + name + "/"))
                    elif entry.is_symlink():
                        links.append(name)
                except OSError as exc:
                    if exc.errno != errno.ENOENT:  # else it is gone
                        scan.unreadable[prefix + name] = _cannot("stat the file", exc)
            for name, stat in stat_files(folder, fd, files):
                if isinstance(stat, tuple):
                    found[prefix + name] = stat
                elif stat != errno.ENOENT:  # else it is gone
                    problem = OSError(stat, os.strerror(stat))
                    scan.unreadable[prefix + name] = _cannot("stat the file", problem)
            for name in links:
                _follow(scan, fd, folder, name, prefix + name, real_root)
        finally:
            os.close(fd)
    return scan


def _check_root(root: Path) -> None:
    try:
        st = os.stat(root)
    except (FileNotFoundError, NotADirectoryError):
        raise SeedsFolderError(str(root), "does not exist", missing=True) from None
    except OSError as exc:
        raise SeedsFolderError(str(root), f"cannot be read ({exc.strerror})") from None
    if not S_ISDIR(st.st_mode):
        raise SeedsFolderError(str(root), "is not a folder", missing=True)


def _open_folder(folder: str, prefix: str, root: Path) -> tuple[int, list[Any]] | str:
    """The folder open as a descriptor, with its entries; or why it cannot be read (for the
    seeds folder itself, SeedsFolderError). Entries are stat-ed relative to the descriptor,
    which saves resolving the whole path 100,000 times."""
    step = "open"
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        problem = exc
    else:
        try:
            step = "enter"
            os.stat(".", dir_fd=fd)  # needs search permission, as stat-ing its files does
            step = "list"
            with os.scandir(fd) as it:
                return fd, list(it)
        except OSError as exc:
            os.close(fd)
            problem = exc
    if prefix == "":
        what = {"open": "cannot be read", "enter": "cannot be entered"}.get(
            step, "cannot be listed"
        )
        raise SeedsFolderError(str(root), f"{what} ({problem.strerror})") from None
    if problem.errno == errno.ENOENT:
        return "the folder vanished during the scan; the next run reads it again"
    verb = {"open": "read", "enter": "enter"}.get(step, "list")
    return _cannot(f"{verb} the folder", problem)


def _cannot(what: str, exc: OSError) -> str:
    reason = exc.strerror or os.strerror(exc.errno or 0)
    return f"cannot {what} ({reason}); make it readable for this user"


def _follow(scan: Scan, fd: int, folder: str, name: str, rel: str, real_root: str) -> None:
    """A symlink found in the folder open as `fd`: a link to a seed file is taken (wherever it
    leads), a link to a folder is noted, a link that leads nowhere is unreadable."""
    try:
        st = os.stat(name, dir_fd=fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            name = os.readlink(name, dir_fd=fd)
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
        scan.files[rel] = (st.st_mtime_ns, st.st_size)
        if os.path.commonpath([real_root, target]) != real_root:
            scan.outside[rel] = target


def _stat_files(
    folder: str, fd: int, names: list[str], *, parallel_min: int | None, helper: Sequence[str]
) -> list[tuple[str, FileStat | int]]:
    """(name, (mtime_ns, size)) of the regular files among `names` (in the folder open as
    `fd`), and (name, errno) of those that could not be stat-ed; in two processes for a
    large folder on a machine with more than one core."""
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
    for i, name in enumerate(theirs):
        kind = rows[3 * i + 2]
        if kind > 0:
            found.append((name, (rows[3 * i], rows[3 * i + 1])))
        elif kind < 0:
            found.append((name, -kind))
    return found


def _feed(pipe: Any, names: list[str]) -> None:
    with contextlib.suppress(OSError), pipe:
        pipe.write(b"\0".join(map(os.fsencode, names)))


def _stat_here(fd: int, names: list[str]) -> list[tuple[str, FileStat | int]]:
    found: list[tuple[str, FileStat | int]] = []
    stat = os.stat
    for name in names:
        try:
            st = stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            found.append((name, exc.errno or errno.EIO))
            continue
        if S_ISREG(st.st_mode):
            found.append((name, (st.st_mtime_ns, st.st_size)))
    return found
