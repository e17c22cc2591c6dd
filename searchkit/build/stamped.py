"""The scan of a build whose folders did not change since the last scan: the files the
manifest lists, each stat-ed again, instead of a walk that lists every folder.

Adding, removing or renaming a name in a folder changes the folder's mtime. So when every
folder the last walk stamped (Manifest.folders) still has the mtime it had then, the seeds
folder holds the files the manifest lists, and only their contents may have changed, which
their stat shows: an in-place edit is seen as a walk sees it. At a million files this skips
the listing of every folder, which each scan process otherwise does in full (a third of a
no-op run).

It stands in for a walk only when it finds what a walk would, and a walk runs otherwise:
- the last walk was plain: it found no link and nothing it could not read (it then recorded
  when it began, Manifest.stamped_at), and the manifest lists no seed it could not read;
- every stamp is older than that walk by STAMP_MARGIN_NS: a name added in the same tick of
  the file system's clock as a folder was stamped would leave its mtime as stamped;
- every folder can still be opened and entered, and every listed file is still a regular
  file that can be stat-ed.
A change made after the folders are checked here is seen by the next run, as with a walk.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from .. import manifest as mf
from .._scan_worker import Listed
from ..scan import FileList, Scan, stat_listed

# How much older than the walk that took it a folder's stamp must be to be trusted: more
# than the coarsest clock tick of a common file system (FAT's 2 s) and the kernel's.
STAMP_MARGIN_NS = 3_000_000_000


def stamps_trusted(folders: dict[str, int] | None, stamped_at: int | None) -> bool:
    """Whether stamps taken by a walk that began at `stamped_at` may tell that no folder
    changed."""
    if not folders or stamped_at is None:
        return False
    return max(folders.values()) <= stamped_at - STAMP_MARGIN_NS


def stamps_changed(
    old: mf.Manifest, folders: dict[str, int] | None, stamped_at: int | None
) -> bool:
    """Whether a manifest with the stamps of `old` should take these instead: the folders
    changed, or only these can be trusted (or only those)."""
    return folders != old.folders or (
        stamps_trusted(folders, stamped_at) != stamps_trusted(old.folders, old.stamped_at)
    )


def stamped_scan(
    seeds_root: Path, old: mf.Manifest, processes: int, helper: Sequence[str]
) -> Scan | None:
    """What a walk of `seeds_root` would find, when no folder changed since the walk that
    `old` recorded; None when that cannot be told, or is not so. The files are stat-ed by
    `processes` processes (this one and helpers: scan.stat_listed)."""
    folders = old.folders
    if folders is None or not stamps_trusted(folders, old.stamped_at) or old.seeds.failed():
        return None
    for rel, mtime in folders.items():
        try:
            fd = os.open(seeds_root / rel if rel else seeds_root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return None
        try:
            # As the walk does: stat it (its mtime), and enter it (search permission).
            if os.fstat(fd).st_mtime_ns != mtime:
                return None
            os.stat(".", dir_fd=fd)
        except OSError:
            return None
        finally:
            os.close(fd)
    columns = old.seeds.columns()
    count = len(columns)
    # In the order of their paths in the manifest's buffer: each process is sent one range
    # of it, and the scan's list of files is a few views of it, never a copy of each path.
    order = np.argsort(columns.starts, kind="stable")
    starts, ends = columns.starts[order], columns.ends[order]
    keys = np.ascontiguousarray(columns.keys[order], dtype="<u8")
    del order
    view = columns.path_buffer()
    shares = max(1, min(processes, count))
    bounds = [count * k // shares for k in range(shares + 1)]
    listed: list[Listed] = []
    for lo, hi in pairwise(bounds):
        base = int(starts[lo]) if hi > lo else 0
        top = int(ends[hi - 1]) if hi > lo else 0
        listed.append((view[base:top], _array(starts[lo:hi] - base), _array(ends[lo:hi] - base)))
    stats = stat_listed(seeds_root, listed, helper)
    del listed
    if stats is None:
        return None
    mtimes, sizes = stats[0]
    for more_mtimes, more_sizes in stats[1:]:
        mtimes.extend(more_mtimes)
        sizes.extend(more_sizes)
    try:
        files = FileList.of_columns(
            mf.path_views(view, starts, ends), mtimes, sizes, keys.data.cast("B")
        )
    except ValueError:  # a helper's answer did not fit
        return None
    return Scan(files, folders=dict(folders), stamped_at=old.stamped_at)


def _array(values: Any) -> array[int]:
    """A numpy array of integers as an array("q")."""
    out = array("q")
    out.frombytes(np.ascontiguousarray(values, dtype="<i8").tobytes())
    return out
