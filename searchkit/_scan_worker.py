"""The walk of a seeds folder by one of n processes: every process lists every folder, and
stats the seed files whose path hashes to its share (process k of n takes the paths whose
CRC-32 is k modulo n). Hashing the path, not the place in a listing, gives each file to
exactly one process however the listings differ.

A folder whose folders did not change since its last scan need not be listed again: then
each process stats the paths it is sent, by stat_listed() (build/stamped.py).

A no-op build at a million seeds is this walk: a stat per file, nothing else, so the loop
keeps per-file work to a stat call and a few appends to flat arrays, and the files are kept
as columns, never as an object each. Standard library only: a helper process runs this file
as a script (`python -S _scan_worker.py ROOT K N SUFFIXES`, or `ROOT --listed` with the
listed paths on its stdin) and starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import pickle
import sys
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from stat import S_ISREG
from typing import Any, TypeAlias

KEY_BYTES = 16  # a path's key: blake2b-128 of its UTF-8 bytes


@dataclass
class Found:
    """The seed files of one share of a walk, as columns; paths are relative, with `/`
    separators, UTF-8 (surrogateescape) bytes one after the other."""

    blob: bytearray = field(default_factory=bytearray)
    offsets: array[int] = field(default_factory=lambda: array("q", [0]))
    mtimes: array[int] = field(default_factory=lambda: array("q"))
    sizes: array[int] = field(default_factory=lambda: array("q"))
    keys: bytearray = field(default_factory=bytearray)  # KEY_BYTES a file
    failed: list[tuple[bytes, int]] = field(default_factory=list)  # (path, errno) not stat-ed
    # The first process only: each folder's mtime (ns), taken just before it is listed, by
    # its relative path without the trailing "/" (b"" for the root): freshness.py's stamps.
    folders: dict[bytes, int] = field(default_factory=dict)

    def state(self) -> dict[str, Any]:
        return {
            k: getattr(self, k) for k in ("blob", "offsets", "mtimes", "sizes", "keys", "failed")
        }


# Called by the first process only, which also reads what the others skip: a folder that
# cannot be read (its relative path with a trailing "/", the step that failed, the error),
# and a symlink (its folder, its name, its relative path).
FolderError = Callable[[bytes, str, OSError], None]
LinkFound = Callable[[bytes, bytes, bytes], None]


def walk(
    root: bytes,
    share: int,
    shares: int,
    suffixes: tuple[bytes, ...],
    *,
    on_folder_error: FolderError | None = None,
    on_link: LinkFound | None = None,
) -> Found:
    """Walk the folder `root` (recursively; hidden entries skipped; links to folders not
    followed), stat-ing the regular files with a seed suffix in share `share` of `shares`."""
    found = Found()
    blob, offsets, mtimes, sizes, keys = (
        found.blob,
        found.offsets,
        found.mtimes,
        found.sizes,
        found.keys,
    )
    stat, crc32, blake2b = os.stat, zlib.crc32, hashlib.blake2b
    lower = tuple(s.lower() for s in suffixes)
    stack = [(root, b"")]
    stamps = found.folders if on_folder_error is not None else None
    while stack:
        folder, prefix = stack.pop()
        if stamps is not None:
            # As freshness.folder_stamps: a folder that cannot be stat-ed has none.
            with contextlib.suppress(OSError):
                stamps[prefix[:-1]] = stat(folder).st_mtime_ns
        step = "open"
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            if on_folder_error is not None:
                on_folder_error(prefix, step, exc)
            continue
        base = crc32(prefix)  # crc32(name, base) == crc32(prefix + name)
        try:
            step = "enter"
            stat(".", dir_fd=fd)  # needs search permission, as stat-ing its files does
            step = "list"
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name[:1] == b".":
                        continue
                    try:
                        if (name.endswith(suffixes) or name.lower().endswith(lower)) and (
                            entry.is_file(follow_symlinks=False)
                        ):
                            if shares > 1 and crc32(name, base) % shares != share:
                                continue
                            path = prefix + name if prefix else name
                            try:
                                st = stat(name, dir_fd=fd, follow_symlinks=False)
                            except OSError as exc:
                                found.failed.append((path, exc.errno or errno.EIO))
                                continue
                            if S_ISREG(st.st_mode):
                                blob += path
                                offsets.append(len(blob))
                                mtimes.append(st.st_mtime_ns)
                                sizes.append(st.st_size)
                                keys += blake2b(path, digest_size=KEY_BYTES).digest()
                        elif entry.is_dir(follow_symlinks=False):
                            stack.append((folder + b"/" + name, prefix + name + b"/"))
                        elif on_link is not None and entry.is_symlink():
                            on_link(folder, name, prefix + name)
                    except OSError as exc:
                        if on_folder_error is not None and exc.errno != errno.ENOENT:
                            found.failed.append((prefix + name, exc.errno or errno.EIO))
        except OSError as exc:
            if on_folder_error is not None:
                on_folder_error(prefix, step, exc)
        finally:
            os.close(fd)
    return found


# Files listed for stat_listed(): their paths lie in a buffer, at starts[i]:ends[i].
Listed: TypeAlias = "tuple[bytes | memoryview, array[int], array[int]]"


def stat_listed(
    root: bytes, listed: Listed, origin: int = 0
) -> tuple[array[int], array[int]] | None:
    """The (mtimes, sizes) of the `listed` files (paths relative to `root`; their buffer
    starts at `origin` of the one `listed` places them in); None as soon as one cannot be
    stat-ed or is no longer a regular file (a walk says what became of it)."""
    blob, starts, ends = listed
    mtimes, sizes = array("q"), array("q")
    stat = os.stat
    view = not isinstance(blob, bytes)  # a memoryview's slices are no paths to os.stat
    paths: Any = blob
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for start, end in zip(starts, ends, strict=True):
            start, end = start - origin, end - origin
            path = bytes(paths[start:end]) if view else paths[start:end]
            try:
                st = stat(path, dir_fd=fd, follow_symlinks=False)
            except OSError:
                return None
            if not S_ISREG(st.st_mode):
                return None
            mtimes.append(st.st_mtime_ns)
            sizes.append(st.st_size)
    finally:
        os.close(fd)
    return mtimes, sizes


def _stat_sent(root: bytes) -> None:
    """Print the (mtimes, sizes) of the paths sent on stdin a chunk at a time (scan._send),
    or None as soon as one cannot be stat-ed (stat_listed)."""
    mtimes: array[int] = array("q")
    sizes: array[int] = array("q")
    answer: tuple[array[int], array[int]] | None = (mtimes, sizes)
    while True:
        head = pickle.load(sys.stdin.buffer)
        if head is None:
            break
        origin, size, starts, ends = head  # then the paths, `size` bytes
        blob = sys.stdin.buffer.read(size)
        if len(blob) != size:
            sys.exit("the listed paths were cut short")
        got = stat_listed(root, (blob, starts, ends), origin)
        if got is None:
            answer = None
            break
        mtimes.extend(got[0])
        sizes.extend(got[1])
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)


def _main() -> None:
    if sys.argv[2:] == ["--listed"]:
        _stat_sent(os.fsencode(sys.argv[1]))
        return
    root, share, shares = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    suffixes = tuple(s.encode() for s in sys.argv[4].split(","))
    found = walk(os.fsencode(root), share, shares, suffixes)
    pickle.dump(found.state(), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    _main()
